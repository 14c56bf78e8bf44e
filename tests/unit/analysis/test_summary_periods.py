"""Empty and partial periods in summaries (issue 17, item 6): a period whose every
value is blank is named and left out of the window's span, a change runs from the
first to the last period with values, and each authority's figure says how many
periods it rests on, the short ones listed in a note."""

from __future__ import annotations

import csv

from analysis_cli import save_store, summary_app
from typer.testing import CliRunner

from lacompare.analysis import summarise

HARTLEPOOL, MIDDLESBROUGH, WIGHT = "E06000001", "E06000002", "E06000046"
YEARS = [str(y) for y in range(2012, 2018)]


def _rows() -> list[dict]:
    """2012 blank for everyone; Isle of Wight has no rows after 2015; Hartlepool
    rises by 2 a year, Middlesbrough by 3, Isle of Wight by 1."""
    rows = []
    for la, step in ((HARTLEPOOL, 2.0), (MIDDLESBROUGH, 3.0), (WIGHT, 1.0)):
        for i, year in enumerate(YEARS):
            if la == WIGHT and year > "2015":
                continue
            row = {"la_code": la, "measure": "rate", "period": year}
            if year == "2012":
                row.update(missing_reason="blank", raw="")
            else:
                row["value"] = 50.0 + step * i
            rows.append(row)
    return rows


def _summary(store, per_la: str):
    store.write_cells(_rows(), file="rates.csv")
    return summarise(store, "rate", periods="2012:2017", per_la=per_la)


def test_a_period_with_no_values_is_named_and_not_in_the_span(store) -> None:
    out = _summary(store, "change")
    assert out.empty == {"rate": ["2012"]}
    assert out.periods == {"rate": ["2013", "2014", "2015", "2016", "2017"]}
    line = next(n for n in out.notes() if n.startswith("rate: per-authority"))
    assert "over 2013, 2014, 2015, 2016, 2017" in line
    assert "first to the last period with values" in line
    assert "no values at all in 2012" in line
    assert "2012, 2013" not in line
    # The change is each authority's own, from its values only.
    figures = dict(zip(out.values["la_code"], out.values["value"], strict=True))
    assert figures == {HARTLEPOOL: 2.0, MIDDLESBROUGH: 3.0, WIGHT: 1.0}


def test_each_figure_says_how_many_periods_it_used(store) -> None:
    out = _summary(store, "mean")
    per = out.per_authority().set_index("la_code")
    assert per.loc[WIGHT, ["periods_used", "periods_of"]].tolist() == [3, 5]
    assert per.loc[HARTLEPOOL, ["periods_used", "periods_of"]].tolist() == [5, 5]
    assert per.loc[WIGHT, ["first_period", "last_period"]].tolist() == [
        "2013",
        "2015",
    ]
    partial = [n for n in out.notes() if "partial coverage" in n]
    assert len(partial) == 1
    assert "Isle of Wight 3 of 5 (2013–2015)" in partial[0]
    assert "Hartlepool" not in partial[0] and "Middlesbrough" not in partial[0]


def test_full_coverage_has_no_partial_note(store) -> None:
    store.write_cells(
        [r for r in _rows() if r["la_code"] != WIGHT and r["period"] != "2012"],
        file="full.csv",
    )
    out = summarise(store, "rate", periods="2013:2017", per_la="mean")
    assert out.empty == {"rate": []}
    assert not [n for n in out.notes() if "partial coverage" in n]
    assert not [n for n in out.notes() if "no values at all" in n]


def test_a_listed_period_the_store_lacks_is_named(store) -> None:
    store.write_cells(_rows(), file="rates.csv")
    out = summarise(store, "rate", periods="2010,2013,2014", per_la="mean")
    assert out.periods == {"rate": ["2013", "2014"]}
    assert out.empty == {"rate": ["2010"]}
    line = next(n for n in out.notes() if n.startswith("rate: per-authority"))
    assert "over 2013, 2014 (no values at all in 2010: left out)" in line


def test_pooled_counts_the_empty_period_as_missing_and_says_so(store) -> None:
    out = _summary(store, "pooled")
    england = out.table.set_index("region").loc["England"]
    assert england["missing"] == 3  # the three blank 2012 rows
    assert any("2012" in n and "counted as missing" in n for n in out.notes())


def test_cli_writes_each_authority_with_its_periods(store, tmp_path) -> None:
    store.write_cells(_rows(), file="rates.csv")
    db = save_store(store, tmp_path)
    values = tmp_path / "per_la.csv"
    result = CliRunner().invoke(
        summary_app(),
        ["summary", "rate", "--periods", "2012:2017", "--per-la", "change"]
        + ["--db", str(db), "--values", str(values)],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "no values at all in 2012" in text
    assert "Isle of Wight 3 of 5" in text
    with values.open(encoding="utf-8") as f:
        rows = {r["la_name"]: r for r in csv.DictReader(f)}
    assert rows["Isle of Wight"]["periods_used"] == "3"
    assert rows["Isle of Wight"]["periods_of"] == "5"
    assert rows["Middlesbrough"]["periods_used"] == "5"
