"""The indicator catalogue on a store built from ../shared/data: every source it
names is there, values come from the preferred source, England's figures are the
published ones, and ``lacompare measures`` / ``compare`` read it."""

from __future__ import annotations

import csv
import io

import pytest
from typer.testing import CliRunner

from lacompare.catalogue import (
    read_catalogue,
    read_indicator,
    read_indicator_totals,
    search_indicators,
)
from lacompare.store import open_store

pytestmark = pytest.mark.shared
runner = CliRunner()


@pytest.fixture(scope="module")
def db(national_store):
    return national_store


@pytest.fixture(scope="module")
def store(db):
    with open_store(db, read_only=True) as s:
        yield s


def test_every_source_named_is_in_the_build(store):
    held = set(
        store.con.execute(
            "SELECT DISTINCT measure, breakdown FROM observations "
            "WHERE value IS NOT NULL OR label IS NOT NULL"
        ).fetchall()
    )
    missing = [
        (i.id, s.key)
        for i in read_catalogue()
        for s in i.sources
        if (s.measure, s.breakdown) not in held
    ]
    assert missing == []


def test_every_indicator_has_values_for_most_authorities(store):
    cover = search_indicators(store=store)
    # Small counts are suppressed (CP plans of two years or more: 94 of 153).
    thin = cover[cover["authorities"] < 90][["id", "authorities"]]
    assert thin.empty, thin.to_string()


def test_england_cla_rate_2025_is_the_published_67(store):
    tot = read_indicator_totals(store, "cla_rate_per_10000", periods="2025")
    eng = tot[tot["area_code"] == "E92000001"].iloc[0]
    assert eng["value"] == 67
    assert bool(eng["published"]) and not bool(eng["computed"])
    assert eng["note"] == "published"
    # Every region of 2025 is published too.
    regions = tot[tot["area_code"].str.startswith("E12")]
    assert len(regions) == 9 and regions["published"].all()


def test_published_first_derived_fills_gaps(store):
    cla = read_indicator(store, "cla_rate_per_10000").set_index(["la_code", "period"])
    leicester_2025 = cla.loc[("E06000016", "2025")]
    assert leicester_2025["value"] == 66
    assert leicester_2025["source_measure"].startswith(
        "rate_per_10000[population_type=Children looked after on 31 March"
    )
    assert bool(leicester_2025["published"])
    # 2013 was never published as a rate: the harmonised series computed it.
    leicester_2013 = cla.loc[("E06000016", "2013")]
    assert leicester_2013["source_measure"] == "rate_per_10000"
    assert not bool(leicester_2013["published"])
    # LAIT's CP rates start in 2016; lacompare's derived ones fill 2013-2015.
    cpp = read_indicator(store, "cpp_rate_per_10000", la_codes="E06000016")
    by_period = cpp.set_index("period")
    assert by_period.loc["2016", "source_measure"] == "CPP_rate"
    assert by_period.loc["2015", "source_measure"] == "cpp_rate_per_10000_derived"
    assert not bool(by_period.loc["2015", "published"])
    # One value per authority and period.
    assert not cla.index.duplicated().any()


def test_the_build_curates_polarity_and_keeps_the_catalogue(store):
    assert (
        store.con.execute(
            "SELECT polarity FROM measures WHERE measure = 'turnover_rate_fte'"
        ).fetchone()[0]
        == "higher-is-worse"
    )
    assert store.con.execute("SELECT count(*) FROM indicators").fetchone()[0] == len(
        read_catalogue()
    )


@pytest.mark.parametrize("words", ["looked after", "lookd after"])
def test_measures_csv_lists_the_cla_rate(db, words):
    from lacompare.cli import app

    res = runner.invoke(app, ["measures", words, "--format", "csv", "--db", str(db)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    cla = next(r for r in rows if r["id"] == "cla_rate_per_10000")
    assert cla["label"] == "Children looked after per 10,000 children"
    assert cla["latest_period"] == "2025" and int(cla["authorities"]) >= 150
    assert all(r["kind"] == "indicator" for r in rows)


def test_compare_bands_a_neutral_measure_by_height_with_its_decimals(db, monkeypatch):
    from lacompare.cli import app

    monkeypatch.setenv("COLUMNS", "250")  # one line per row

    res = runner.invoke(
        app,
        [
            "compare",
            "Leicester",
            "-m",
            "iod2025_idaci_average_score,turnover_rate_fte",
            "--db",
            str(db),
        ],
    )
    assert res.exit_code == 0, res.output
    rows = [line for line in res.stdout.splitlines() if line.startswith("│")]
    # The table names each indicator by its catalogue label, not the store's id.
    idaci = next(
        line for line in rows if "Income deprivation affecting children (IDACI" in line
    )
    assert "quarter" in idaci and "best" not in idaci and "worst" not in idaci
    value = next(c.strip() for c in idaci.split("│")[3:4])
    assert len(value.split(".")[1]) == 3  # IDACI to 3 decimal places
    turnover = next(line for line in rows if "Social worker turnover rate" in line)
    assert any(w in turnover for w in ("best", "worst"))


def _table_rows(stdout: str) -> list[list[str]]:
    """The cells of each row of a rich table on the terminal."""
    return [
        [c.strip() for c in line.split("│")[1:-1]]
        for line in stdout.splitlines()
        if line.startswith("│")
    ]


def test_compare_with_no_flags_reads_the_catalogue(db, monkeypatch):
    """A new analyst's first command: the headline indicators by their labels,
    England's CLA rate the published 67; CSV keeps the ids beside the labels."""
    from lacompare.cli import app

    monkeypatch.setenv("COLUMNS", "250")  # one line per row
    res = runner.invoke(app, ["compare", "Leicester", "--db", str(db)])
    assert res.exit_code == 0, res.output
    rows = _table_rows(res.stdout)
    assert len(rows) >= 5
    labels = {i.label for i in read_catalogue() if i.headline}
    assert all(any(r[0].startswith(label) for label in labels) for r in rows), rows
    cla = next(r for r in rows if r[0] == "Children looked after per 10,000 children")
    assert (cla[1], cla[5]) == ("2025", "67")
    assert "Social worker turnover rate (%)" in [r[0] for r in rows]
    assert "Average caseload per social worker (cases per FTE)" in [r[0] for r in rows]
    # Raw ids appear only in the notes, beside the label.
    assert not any("rate_per_10000" in r[0] or "_fte" in r[0] for r in rows)

    res = runner.invoke(
        app, ["compare", "Leicester", "--db", str(db), "--format", "csv"]
    )
    assert res.exit_code == 0, res.output
    got = {r["measure"]: r for r in csv.DictReader(io.StringIO(res.stdout))}
    assert got["rate_per_10000"]["label"] == (
        "Children looked after per 10,000 children"
    )
    assert got["turnover_rate_fte"]["label"] == "Social worker turnover rate (%)"
    assert got["rate_per_10000"]["england_value"] == "67.0"


def test_compare_takes_catalogue_ids(db):
    """-m takes the ids lacompare measures lists: each read from its preferred
    source, in that source's own breakdown."""
    from lacompare.cli import app

    res = runner.invoke(
        app,
        [
            "compare",
            "Leicester",
            "-m",
            "cla_rate_per_10000,social_worker_turnover_rate",
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["measure"], r["label"]) for r in rows] == [
        ("rate_per_10000", "Children looked after per 10,000 children"),
        ("turnover_rate_fte", "Social worker turnover rate (%)"),
    ]
    assert rows[0]["breakdown"].startswith("population_type=Children looked after")
    assert (rows[0]["period"], rows[0]["value"]) == ("2025", "66.0")


def test_summary_table_is_titled_by_label(db, monkeypatch):
    from lacompare.cli import app

    monkeypatch.setenv("COLUMNS", "250")
    res = runner.invoke(
        app, ["summary", "cla_rate_per_10000", "--periods", "2025", "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    title = res.stdout.strip().splitlines()[0].strip()
    assert title.startswith("Children looked after per 10,000 children: ")
