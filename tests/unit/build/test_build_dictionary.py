"""Publishers' measure dictionaries applied to the measures a load created."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lacompare.build import apply_measure_dictionary, build_store, match_dictionary_spec
from lacompare.build._files import read_known_files
from lacompare.errors import InputError, SpecError
from lacompare.sources import DictionarySpec, read_measure_dictionary
from lacompare.store import ingest

LONG = (
    "measure_short,year,area_name,value\n"
    "LAC,2024,Leeds,70\nLAC,2024,York,55\n"
    "InfMort,2024,Leeds,3.9\nInfMort,2024,York,3.1\n"
    "Spend,2024,Leeds,100\nSpend,2024,York,90\n"
)
SPEC = DictionarySpec(
    key="code",
    label="name",
    unit="unit",
    polarity="polarity",
    reference_date="year_type",
    missing=("NA",),
)


def measures(store) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in store.con.execute(
            "SELECT measure, label, unit, polarity, reference_date, description "
            "FROM measures ORDER BY 1"
        ).fetchall()
    }


def long_file(write) -> Path:
    return write("long.csv", LONG)


def test_a_known_dictionary_is_recognised_by_name_and_flags_win():
    spec = match_dictionary_spec("elsewhere/lait_data_dictionary.csv")
    assert (spec.key, spec.unit, spec.missing) == (
        "Measure_short",
        "y_axis_name",
        ("NA",),
    )
    assert match_dictionary_spec("lait_data_dictionary.csv", unit="Units").unit == (
        "Units"
    )
    with pytest.raises(SpecError, match="--key"):
        match_dictionary_spec("glossary.csv", label="name")


# ------------------------------------------------------------------------------------
# Applying


def test_apply_sets_fields_and_lists_what_did_not_match(store, write):
    data = long_file(write)
    ingest(store, data)
    book = read_measure_dictionary(
        write(
            "d.csv",
            (
                "code,name,unit,polarity,year_type\n"
                'LAC,Children looked after,"Rate per 10,000",-,Annual\n'
                "InfMort,Infant mortality,Rate per 1000 live births,Low,Calendar Year\n"
                "KS2,Key stage 2,%,High,Academic Year\n"
            ),
        ),
        SPEC,
    )
    applied, issues = apply_measure_dictionary(store, book, files=[data])
    got = measures(store)
    assert got["LAC"][:4] == (
        "Children looked after",
        "Rate per 10,000",
        "neutral",
        None,
    )
    assert got["InfMort"][:4] == (
        "Infant mortality",
        "Rate per 1000 live births",
        "higher-is-worse",
        "calendar year",
    )
    # No entry: left as loaded, and listed.
    assert got["Spend"][:3] == ("Spend", None, "neutral")
    (unmatched,) = issues.of_kind("dictionary-unmatched-measure")
    assert unmatched.message.startswith("1 of the 3 measures loaded from long.csv")
    assert unmatched.message.endswith(": Spend")
    (unused,) = issues.of_kind("dictionary-unused-entry")
    assert unused.message.startswith("1 of the dictionary's 3 entries") and (
        unused.message.endswith(": KS2")
    )
    rows = {
        (r.measure, r.field): (r.before, r.after, r.action)
        for r in applied.itertuples()
    }
    assert rows[("InfMort", "polarity")] == ("neutral", "higher-is-worse", "set")
    assert rows[("LAC", "polarity")] == ("neutral", "neutral", "same")
    assert ("LAC", "reference_date") not in rows  # 'Annual' states no day
    assert set(applied["measure"]) == {"LAC", "InfMort"}


def test_a_value_a_spec_states_wins(store, write, tmp_path):
    data = long_file(write)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[source]\nreference_date = "31 March"\n'
        '[measures.LAC]\nunit = "per 10,000 children"\n'
        'polarity = "higher-is-better"\n'
    )
    ingest(store, data, spec=spec)
    book = read_measure_dictionary(
        write(
            "d.csv",
            (
                "code,name,unit,polarity,year_type\n"
                'LAC,Children looked after,"Rate per 10,000",Low,Financial Year\n'
                "InfMort,Infant mortality,Rate per 1000 live births,Low,Calendar Year\n"
            ),
        ),
        SPEC,
    )
    applied, issues = apply_measure_dictionary(store, book, files=[data])
    got = measures(store)
    # The spec's unit, polarity and (source-wide) reference date stay; the label,
    # which the spec leaves to the data, comes from the dictionary.
    assert got["LAC"][:4] == (
        "Children looked after",
        "per 10,000 children",
        "higher-is-better",
        "31 March",
    )
    assert got["InfMort"][3] == "31 March"
    kept = applied[applied["action"] == "spec-wins"]
    assert sorted(zip(kept["measure"], kept["field"], strict=True)) == [
        ("InfMort", "reference_date"),
        ("LAC", "polarity"),
        ("LAC", "reference_date"),
        ("LAC", "unit"),
    ]
    (wins,) = issues.of_kind("dictionary-spec-wins")
    assert wins.message.startswith("4 values stated by a spec were kept")
    assert "LAC unit 'per 10,000 children' (dictionary: 'Rate per 10,000')" in (
        wins.message
    )


def test_a_reload_keeps_the_dictionary_values(store, write):
    data = long_file(write)
    ingest(store, data)
    book = read_measure_dictionary(
        write(
            "d.csv",
            (
                "code,name,unit,polarity,year_type\n"
                "InfMort,Infant mortality,Rate per 1000 live births,Low,Calendar Year\n"
            ),
        ),
        SPEC,
    )
    apply_measure_dictionary(store, book, files=[data])
    ingest(store, data)  # the same file again replaces its load
    assert measures(store)["InfMort"][:3] == (
        "Infant mortality",
        "Rate per 1000 live births",
        "higher-is-worse",
    )


def test_a_heading_key_matches_a_wide_tables_column(store, write):
    data = write("wide.csv", "la_name,Pop 0-25,CLA count\nLeeds,1000,50\nYork,800,30\n")
    ingest(store, data, period="2021")
    book = read_measure_dictionary(
        write(
            "d.csv", ("column,name,unit\nPop 0-25,Population aged 0 to 25,persons\n")
        ),
        DictionarySpec(key="column", label="name", unit="unit", match="heading"),
    )
    applied, issues = apply_measure_dictionary(store, book, files=["wide.csv"])
    assert measures(store)["pop_0_25"][:2] == ("Population aged 0 to 25", "persons")
    assert set(applied["key"]) == {"Pop 0-25"}
    assert "cla_count" in issues.of_kind("dictionary-unmatched-measure")[0].message


def test_check_changes_nothing_and_apply_is_recorded_once(store, write):
    data = long_file(write)
    ingest(store, data)
    path = write(
        "d.csv",
        "code,name,unit,polarity,year_type\n"
        "LAC,Children looked after,rate,-,Financial Year\n",
    )
    book = read_measure_dictionary(path, SPEC)
    before = measures(store)
    applied, _ = apply_measure_dictionary(store, book, files=[data], check=True)
    assert set(applied["action"]) == {"set", "same"}
    assert measures(store) == before
    assert store.con.execute("SELECT count(*) FROM sources").fetchall()[0][0] == 1
    for _ in range(2):
        apply_measure_dictionary(store, book, files=[data])
    rows = store.con.execute(
        "SELECT source_id, file, observations, spec FROM sources WHERE file = ?",
        [str(path.resolve())],
    ).fetchall()
    assert len(rows) == 1 and rows[0][2] == 0
    assert json.loads(rows[0][3])["kind"] == "measure-dictionary"
    assert book.source_id == rows[0][0]
    kinds = [
        r[0]
        for r in store.con.execute(
            "SELECT kind FROM load_issues WHERE source_id = ?", [book.source_id]
        ).fetchall()
    ]
    assert kinds == ["dictionary-unmatched-measure"]
    again, _ = apply_measure_dictionary(store, book, files=[data], check=True)
    assert set(again["action"]) == {"same"}


def test_a_file_not_loaded_is_an_error(store, write):
    book = read_measure_dictionary(
        write("d.csv", "code,name\nA,Alpha\n"), DictionarySpec(key="code", label="name")
    )
    with pytest.raises(InputError, match="no load of this file in the store"):
        apply_measure_dictionary(store, book, files=["elsewhere.csv"])
    with pytest.raises(InputError, match="--for FILE"):
        apply_measure_dictionary(store, book)


def test_the_build_applies_a_dictionary_after_the_loads_it_describes(store, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "figures.csv").write_text(LONG)
    (folder / "glossary.csv").write_text(
        "id,title,polarity\nInfMort,Infant mortality,Low\nLAC,Children looked after,-\n"
    )
    (folder / "orphan_glossary.csv").write_text("id,title\nX,Ex\n")
    known_toml = tmp_path / "known.toml"
    known_toml.write_text(
        '[[load]]\npath = "figures.csv"\nmin_authorities = 2\n\n'
        '[[dictionary]]\npath = "glossary.csv"\ndescribes = ["figures.csv"]\n'
        'key = "id"\nlabel = "title"\npolarity = "polarity"\n\n'
        '[[dictionary]]\npath = "orphan_glossary.csv"\ndescribes = ["absent.csv"]\n'
        'key = "id"\nlabel = "title"\n'
    )
    result = build_store(store, folder, known=read_known_files(known_toml), steps=False)
    status = {f.relative: (f.status, f.detail) for f in result.files}
    assert status["figures.csv"][0] == "loaded"
    assert status["glossary.csv"] == (
        "dictionary",
        "measure dictionary: 2 measures matched, 3 values set, "
        "1 already so, 0 kept as a spec states",
    )
    assert status["orphan_glossary.csv"][0] == "dictionary"
    assert status["orphan_glossary.csv"][1].startswith("not applied")
    assert measures(store)["InfMort"][:3] == (
        "Infant mortality",
        None,
        "higher-is-worse",
    )
    kinds = [i.kind for i in result.issues]
    assert kinds == ["dictionary-unmatched-measure", "dictionary-not-applied"]
    assert any(
        "glossary.csv: measure dictionary" in line for line in result.summary_lines()
    )


def test_the_command(tmp_path, write):
    from lacompare.cli import app
    from lacompare.store import open_store

    data = long_file(write)
    db = tmp_path / "s.duckdb"
    with open_store(db) as s:
        ingest(s, data)
    path = write("d.csv", "code,name,pol\nInfMort,Infant mortality,Low\n")
    runner = CliRunner()
    args = [
        "ingest-dictionary",
        str(path),
        "--for",
        str(data),
        "--key",
        "code",
        "--label",
        "name",
        "--polarity",
        "pol",
        "--db",
        str(db),
        "--out",
        str(tmp_path / "applied.csv"),
    ]
    result = runner.invoke(app, [*args, "--check"])
    assert result.exit_code == 0, result.output
    assert "2 values would be set" in result.output
    with open_store(db, read_only=True) as s:
        assert measures(s)["InfMort"][0] == "InfMort"
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "have no entry" in result.output
    with open_store(db, read_only=True) as s:
        assert measures(s)["InfMort"][:3] == (
            "Infant mortality",
            None,
            "higher-is-worse",
        )
    assert (
        (tmp_path / "applied.csv")
        .read_text()
        .startswith("measure,key,field,before,dictionary,after,action")
    )
    bad = runner.invoke(
        app,
        [
            "ingest-dictionary",
            str(path),
            "--key",
            "nope",
            "--label",
            "name",
            "--for",
            str(data),
            "--db",
            str(db),
        ],
    )
    assert bad.exit_code == 1 and "column nope" in bad.output
    assert "Traceback" not in bad.output


# ------------------------------------------------------------------------------------
# The real LAIT files


@pytest.fixture(scope="module")
def lait_built(shared_data, tmp_path_factory):
    """A build from a folder holding (links to) the four LAIT files."""
    from lacompare.store import open_store

    folder = tmp_path_factory.mktemp("lait_build")
    (folder / "lait").mkdir()
    for name in (
        "lait_bds_long_0.parquet",
        "lait_core_csc_measures_long.csv",
        "lait_data_dictionary.csv",
        "lait_core_csc_measures_dictionary.csv",
    ):
        (folder / "lait" / name).symlink_to(shared_data / "lait" / name)
    with open_store(":memory:") as s:
        yield s, build_store(s, folder, steps=False), shared_data / "lait"


@pytest.mark.shared
def test_lait_measures_get_their_dictionary_meaning(lait_built):
    store, result, _ = lait_built
    status = {f.relative: (f.status, f.detail) for f in result.files}
    assert status["lait/lait_core_csc_measures_dictionary.csv"] == (
        "dictionary",
        "measure dictionary: 55 measures matched, 175 values set, "
        "40 already so, 0 kept as a spec states",
    )
    assert status["lait/lait_data_dictionary.csv"][0] == "dictionary"
    assert status["lait/lait_data_dictionary.csv"][1].startswith(
        "measure dictionary: 434 measures matched"
    )
    got = measures(store)
    assert got["LAC"][:3] == (
        "Children looked after rate per 10,000",
        "Rate per 10,000",
        "neutral",
    )  # LAIT polarity '-'
    assert got["InfMort"][:4] == (
        "Infant Mortality",
        "Rate per 1000 live births",
        "higher-is-worse",
        "calendar year",
    )
    assert got["ReReferral"][1:4] == (
        "% of referrals",
        "higher-is-worse",
        "financial year",
    )
    assert got["Work_Force_Vac_Rate"][3] == "30 September"
    assert got["LAC"][4].startswith("Number of children looked after on 31 March")
    # Every LAIT measure has an entry and every entry a measure; the polarity and
    # year-type words are all known.
    kinds = [i.kind for i in result.issues]
    assert "dictionary-unmatched-measure" not in kinds
    assert "dictionary-unknown-word" not in kinds
    assert kinds.count("dictionary-conflict") == 2  # labels and units of 15 ids
    polarity = dict(
        store.con.execute(
            "SELECT polarity, count(*) FROM measures GROUP BY 1"
        ).fetchall()
    )
    # LAIT's dictionary, except where the indicator catalogue states the polarity
    # (child poverty, a context factor, and the CPP abuse rate are neutral there).
    assert polarity == {"higher-is-better": 220, "higher-is-worse": 86, "neutral": 128}
    # Ids listed twice with different labels keep their code as label.
    assert got["LAC_Unauth"][0] == "LAC_Unauth"


@pytest.mark.shared
def test_lait_dictionaries_agree_and_reapplying_changes_only_catalogued(lait_built):
    store, _, lait = lait_built
    entry = {d.path: d for d in read_known_files().dictionaries}
    full = read_measure_dictionary(
        lait / "lait_data_dictionary.csv", entry["lait/lait_data_dictionary.csv"].spec
    )
    applied, issues = apply_measure_dictionary(store, full, check=True)
    assert applied["measure"].nunique() == 434
    # The same, but for the polarities the indicator catalogue states over LAIT's
    # (build applies the catalogue after the dictionaries): those alone would change.
    changed = applied[applied["action"] != "same"]
    assert set(changed["action"]) == {"set"} and set(changed["field"]) == {"polarity"}
    assert set(changed["measure"]) == {"ChildPov", "CPP_Abuse_Rate"}
    assert issues.of_kind("dictionary-unused-entry") == []
    core = read_measure_dictionary(
        lait / "lait_core_csc_measures_dictionary.csv",
        entry["lait/lait_core_csc_measures_dictionary.csv"].spec,
    )
    applied, _ = apply_measure_dictionary(store, core, check=True)
    changed = applied[applied["action"] != "same"]
    assert len(applied) == 215 and set(changed["field"]) <= {"polarity"}
    assert set(changed["measure"]) <= {"ChildPov", "CPP_Abuse_Rate"}


def test_a_file_name_loaded_from_two_folders_needs_its_path(store, write, tmp_path):
    first = long_file(write)
    other = tmp_path / "copy"
    other.mkdir()
    second = other / "long.csv"
    second.write_text(LONG.replace("70", "71"))
    ingest(store, first)
    ingest(store, second)
    book = read_measure_dictionary(
        write("d.csv", "code,name\nLAC,Looked after\n"),
        DictionarySpec(key="code", label="name"),
    )
    with pytest.raises(InputError, match="2 loaded files have this name"):
        apply_measure_dictionary(store, book, files=["long.csv"])
    applied, _ = apply_measure_dictionary(store, book, files=[second])
    assert applied["after"].tolist() == ["Looked after"]
    # The dictionary's own record is never taken for a load it describes.
    with pytest.raises(InputError, match="no load of this file"):
        apply_measure_dictionary(store, book, files=["d.csv"])
