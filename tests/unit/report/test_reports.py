"""Reports: numbers in words, generated sentences, options, errors, and a profile
on a small generated store (no public data needed)."""

from __future__ import annotations

import re
import sys
from html import unescape

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lacompare.errors import InputError
from lacompare.report._profile import (
    prepare_profiles,
    profile_document,
    profile_sentences,
    quarter_phrase,
)
from lacompare.report._reports import (
    MeasureSpec,
    build_report,
    check_format,
    check_template,
    format_measure_value,
    measure_decimals,
    parse_measure_spec,
    render_html,
    split_specs,
    write_document,
)


def row(**changes):
    base = {
        "value": 85.0,
        "period": "2025",
        "neighbours_mean": 72.4,
        "neighbours_n": 10,
        "region": "Yorkshire and The Humber",
        "region_value": 77.0,
        "region_source": "published",
        "england_value": 67.0,
        "england_source": "published",
        "rank": 120,
        "rank_of": 151,
        "quartile": "D",
        "flag": "within",
        "test": "|z| > 1.96 (95%) / 3.09 (99.8%) against 151 authorities",
        "z": 0.4,
        "missing_reason": None,
    }
    base.update(changes)
    return base


CLA = MeasureSpec(
    "cla", label="Rate of children looked after", unit=None, polarity="higher-is-worse"
)


# ---------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "text"),
    [
        (1732, "£ per child", 0, "£1,732"),
        (0.534, "£ per head", 2, "£0.53"),
        (81531, "£ thousand", 0, "£81.5 million"),
        (-1792, "£", 0, "-£1,792"),
        (103, "%", 0, "103%"),
        (0.534, "proportion", 1, "53.4%"),
        (2.675, None, 2, "2.68"),
        (float("nan"), None, 0, "–"),
        (None, "%", 1, "–"),
    ],
)
def test_values_in_words(value, unit, decimals, text):
    assert format_measure_value(value, unit, decimals) == text


def test_decimals_follow_the_data():
    assert measure_decimals([22, 165, 40]) == 0
    assert measure_decimals([0.203, 0.31, 0.05]) == 2
    assert measure_decimals([1.5, 2.5], "FTE") == 2
    assert measure_decimals([]) == 0


def test_specs_split_and_parse():
    assert split_specs("a, b[x=1, y=2]=Rate per 10,000 children, c") == [
        "a",
        "b[x=1, y=2]=Rate per 10,000 children",
        "c",
    ]
    assert split_specs(["a,b", "c"]) == ["a", "b", "c"]
    assert parse_measure_spec("m[31 March]=CLA rate") == ("m", "31 March", "CLA rate")
    with pytest.raises(InputError):
        parse_measure_spec("a[b")


def test_templates_and_formats():
    assert check_template("la_profile") == "la-profile"
    assert check_template("profile") == "la-profile"
    with pytest.raises(InputError, match="choose one of network, la-profile"):
        check_template("budget")
    assert check_format(None, "x.PDF") == "pdf"
    assert check_format(None, "x.txt") == "html"
    with pytest.raises(InputError):
        check_format("docx", None)


# ------------------------------------------------------------- sentences


def test_sentence_polarity_worse():
    first = profile_sentences(row(), "Leeds", CLA, 0)[0]
    assert first == (
        "Leeds's rate of children looked after (85 in 2025) is higher "
        "(worse) than its statistical neighbours' average (72) and in "
        "the worst quarter (band D) of authorities (ranked 120 of 151, "
        "where 1 is the best)."
    )


def test_sentence_polarity_better_and_lower():
    spec = MeasureSpec(
        "t", label="Timely assessments", unit="%", polarity="higher-is-better"
    )
    text = profile_sentences(
        row(value=70, neighbours_mean=80, quartile="C"), "York", spec, 0
    )[0]
    assert "is lower (worse) than its statistical neighbours' average (80%)" in text
    assert "the second-worst quarter (band C)" in text
    spec = MeasureSpec(
        "t", label="Timely assessments", unit="%", polarity="higher-is-worse"
    )
    text = profile_sentences(row(value=70, neighbours_mean=80), "York", spec, 0)[0]
    assert "is lower (better) than" in text


def test_sentence_neutral_makes_no_judgement():
    spec = MeasureSpec("s", label="Spend per child", unit="£ per child")
    sentences = profile_sentences(
        row(
            value=1732,
            neighbours_mean=1470,
            region_value=1466,
            region_source="computed: mean of 15 authorities",
            england_value=1385,
            quartile="B",
        ),
        "Leeds",
        spec,
        0,
    )
    text = " ".join(sentences)
    assert "better" not in text and "worse" not in text
    assert "is higher than its statistical neighbours' average (£1,470)" in text
    assert "the second-highest quarter of authorities" in text
    assert "where 1 is the highest" in text
    assert (
        "above the average of authorities in Yorkshire and The Humber (£1,466)" in text
    )


def test_sentence_same_value_is_the_same():
    text = profile_sentences(row(value=72.4, neighbours_mean=72.4), "Leeds", CLA, 0)[0]
    assert "is the same as its statistical neighbours' average (72)" in text


def test_sentences_significance_and_trend():
    trend = pd.DataFrame(
        {
            "period": ["2021", "2023", "2025"],
            "value": [75.0, 80, 85],
            "england_value": [69.0, 70, 67],
        }
    )
    out = profile_sentences(
        row(flag="above", flag_level="99.8%", z=3.8), "Leeds", CLA, 0, trend
    )
    assert (
        "It is significantly higher than the average of authorities (z = 3.8; "
        "significant at the 99.8% level)." in out
    )
    assert out[-1] == (
        "Between 2021 and 2025 it rose from 75 to 85; England fell from 69 to 67."
    )
    funnel = profile_sentences(
        row(flag="below", flag_level="95%", test="funnel limits: exact Poisson …"),
        "Leeds",
        CLA,
        0,
    )
    assert any(
        "significantly lower than England's rate for an area of its size" in s
        for s in funnel
    )


def test_sentence_missing_value_says_why():
    out = profile_sentences(
        row(value=None, missing_reason="suppressed"), "Rutland", CLA, 0
    )
    assert out == [
        "Rutland has no figure for rate of children looked after in "
        "2025 (suppressed to protect confidentiality, [c])."
    ]


def test_dated_label_gets_no_second_year():
    spec = MeasureSpec(
        "f",
        label="Funding per head, 2019",
        unit="£ per head",
        polarity="higher-is-better",
    )
    text = profile_sentences(
        row(value=1.13, neighbours_mean=None, quartile="B", period="2021"),
        "Coventry",
        spec,
        2,
    )[0]
    assert text.startswith(
        "Coventry's funding per head, 2019 (£1.13) is in the "
        "second-best quarter (band B)"
    )


def test_quarter_phrases():
    assert quarter_phrase("A", "higher-is-better") == "the best quarter (band A)"
    assert quarter_phrase("D", "neutral") == "the lowest quarter"
    assert quarter_phrase(None, "neutral") is None


# ------------------------------------------------ a profile on a generated store


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """153 current authorities, three measures over three years, DfE neighbours."""
    from lacompare.analysis import load_neighbour_set
    from lacompare.store import open_store

    path = tmp_path_factory.mktemp("gen") / "gen.duckdb"
    rng = np.random.default_rng(1)
    with open_store(path) as store:
        las = store.query(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
        )["la_code"].tolist()
        store.con.execute(
            "INSERT INTO sources (file, sheet, sha256) VALUES "
            "('/data/generated.csv', 'Table 1', 'abc123')"
        )
        store.con.execute(
            "INSERT INTO measures VALUES "
            "('cla_rate', 'Children looked after per 10,000', NULL, "
            "'higher-is-worse', '31 March', NULL), "
            "('timely', 'Assessments within 45 days', '%', "
            "'higher-is-better', NULL, NULL), "
            "('spend', 'Spend per child', '£ per child', 'neutral', "
            "NULL, NULL)"
        )
        rows = []
        for m, mean, sd in (
            ("cla_rate", 70, 25),
            ("timely", 80, 8),
            ("spend", 1400, 400),
        ):
            base = rng.normal(mean, sd, len(las))
            for k, year in enumerate(("2023", "2024", "2025")):
                rows += [
                    (la, m, year, float(round(v + k)))
                    for la, v in zip(las, base, strict=True)
                ]
        frame = pd.DataFrame(rows, columns=["la_code", "measure", "period", "value"])
        # Leeds is far above everyone on the rate, and suppressed for spend 2025.
        leeds = frame["la_code"] == "E08000035"
        frame.loc[leeds & (frame["measure"] == "cla_rate"), "value"] = 400.0
        frame["missing_reason"] = None
        hit = leeds & (frame["measure"] == "spend") & (frame["period"] == "2025")
        frame.loc[hit, ["value", "missing_reason"]] = [np.nan, "suppressed"]
        store.con.register("gen", frame)
        store.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, "
            "value, "
            "missing_reason, source_id) SELECT la_code, measure, "
            "period, value, missing_reason, 1 FROM gen"
        )
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    return path


@pytest.fixture(scope="module")
def gen_store(generated):
    from lacompare.store import open_store

    with open_store(generated, read_only=True) as s:
        yield s


def test_profile_default_measures_are_those_with_polarity(gen_store):
    data = prepare_profiles(gen_store)
    assert [s.measure for s in data.specs] == ["cla_rate", "timely"]


def test_profile_on_generated_store(gen_store):
    data = prepare_profiles(gen_store, ["cla_rate", "timely", "spend"])
    doc = profile_document(data, data.resolve("leeds"))
    html = render_html(doc)
    assert "http://" not in html and "https://" not in html
    assert doc.title == "Leeds: how it compares"
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert (
        "Leeds's children looked after per 10,000 (400 in 2025) is higher "
        "(worse) than its statistical neighbours' average" in text
    )
    assert "It is significantly higher than the average of authorities" in text
    assert (
        "Leeds has no figure for spend per child in 2025 (suppressed to "
        "protect confidentiality, [c])." in text.replace("\n", " ")
    )
    assert len(doc.figures()) == 3  # a trend per measure
    assert "generated.csv" in html and "Table 1" in html
    # The headline neighbours' average is the mean of the 10 neighbours' values.
    nb = gen_store.query(
        """SELECT avg(o.value) AS v FROM neighbours n JOIN observations o
           ON o.la_code = n.neighbour_code WHERE n.set_id = 'dfe-2025' AND
           n.la_code = 'E08000035' AND o.measure = 'timely' AND o.period = '2025'
        """
    )["v"].iloc[0]
    row = data.latest[
        (data.latest["la_code"] == "E08000035") & (data.latest["key"] == "timely")
    ].iloc[0]
    assert row["neighbours_mean"] == pytest.approx(nb)
    assert f"its statistical neighbours' average ({nb:.0f}%)" in text


def test_profile_xlsx_keeps_missing_empty(gen_store, tmp_path):
    import openpyxl

    data = prepare_profiles(gen_store, ["spend", "cla_rate"])
    doc = profile_document(data, data.resolve("E08000035"))
    path = write_document(doc, tmp_path / "p.xlsx", "xlsx")
    ws = openpyxl.load_workbook(path)["Headline values"]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "Measure")
    spend = next(r for r in rows[head + 1 :] if r[0] == "Spend per child")
    assert spend[rows[head].index("Leeds")] is None  # empty, never 0
    assert "[c]" in spend[-1]  # the row's note says why


def test_profile_errors(gen_store):
    with pytest.raises(InputError, match="needs an authority"):
        build_report("la-profile", gen_store)
    with pytest.raises(InputError, match="does not take colour"):
        build_report("la-profile", gen_store, authority="Leeds", colour="red")
    with pytest.raises(InputError, match="no authority 'Atlantis'"):
        build_report("la-profile", gen_store, authority="Atlantis")


def test_write_profiles_for_several(gen_store, tmp_path):
    from lacompare.report._profile import write_profiles

    paths = write_profiles(
        gen_store, tmp_path, ["Leeds", "York"], measures=["cla_rate"]
    )
    assert [p.name for p in paths] == [
        "profile-E08000035.html",
        "profile-E06000014.html",
    ]
    assert "York: how it compares" in paths[1].read_text()


# ------------------------------------------------------------- CLI and errors


def test_cli_profile_and_misplaced_options(generated, tmp_path):
    from lacompare.cli import app

    runner = CliRunner()
    out = tmp_path / "leeds.html"
    result = runner.invoke(
        app,
        [
            "report",
            "la-profile",
            "--db",
            str(generated),
            "--authority",
            "Leeds",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Leeds: how it compares" in out.read_text()
    for args, message in (
        (["network", "--authority", "Leeds"], "network does not take --authority"),
        (["la-profile"], "la-profile needs an authority: --authority"),
        (["variation"], "variation needs one --measure"),
        (["spend"], "spend needs --target"),
        (["budget"], "no report template 'budget'"),
        (["network", "--format", "docx"], "format 'docx'"),
    ):
        result = runner.invoke(app, ["report", *args, "--db", str(generated)])
        assert result.exit_code == 1, args
        assert message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1


def test_cli_network_without_store_uses_demo(tmp_path, monkeypatch):
    import lacompare.store as store_module
    from lacompare.cli import app

    monkeypatch.setattr(
        store_module, "default_db_path", lambda: tmp_path / "none" / "lacompare.duckdb"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "network", "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "network.xlsx").exists()


def test_pdf_without_weasyprint_is_one_line(generated, tmp_path, monkeypatch):
    from lacompare.cli import app
    from lacompare.report._pdf import MissingDependency, require_weasyprint

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails
    with pytest.raises(MissingDependency, match=r"lacompare\[pdf\]"):
        require_weasyprint()
    result = CliRunner().invoke(
        app,
        [
            "report",
            "la-profile",
            "--db",
            str(generated),
            "--authority",
            "Leeds",
            "--format",
            "pdf",
            "--out",
            str(tmp_path / "x.pdf"),
        ],
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pip install 'lacompare[pdf]'" in lines[0]
    assert not (tmp_path / "x.pdf").exists()
