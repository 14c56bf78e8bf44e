"""The la-profile year by year (issue 20 item 3): each measure's years in a table
whose marks are compare's verdict for that figure, the trend chart marking the
same years, the key under the table, the chart's axis from zero on request."""

from __future__ import annotations

import pandas as pd
import pytest

from lacompare.analysis import compare
from lacompare.report import prepare_profiles
from lacompare.report._profile import profile_document
from lacompare.report._profile_years import MARKS, year_mark


@pytest.fixture(scope="module")
def store_and_data():
    """Every North East authority on one measure over four years; the first is
    far above the rest in 2022 and far below in 2024."""
    from lacompare.store import open_store

    store = open_store(":memory:")
    store.con.execute(
        "INSERT INTO measures (measure, label, polarity) VALUES "
        "('rate', 'Rate of something', 'higher-is-worse')"
    )
    codes = sorted(store.list_authorities().query("region == 'North East'")["la_code"])
    jump = {"2021": 51.0, "2022": 90.0, "2023": 51.5, "2024": 30.0}
    rows = [
        {
            "la_code": c,
            "measure": "rate",
            "period": p,
            "value": jump[p] if k == 0 else 50.0 + k % 4,
        }
        for p in jump
        for k, c in enumerate(codes)
    ]
    store.write_cells(rows, file="test")
    data = prepare_profiles(store, ["rate"], with_spend=False)
    yield store, data, codes[0]
    store.close()


def _years_table(doc):
    return next(t for t in doc.tables() if "year by year" in t.title)


def test_each_year_marked_with_compares_verdict(store_and_data) -> None:
    store, data, code = store_and_data
    doc = profile_document(data, code)
    table = _years_table(doc)
    frame = table.frame.set_index("period")
    assert list(frame.index) == ["2021", "2022", "2023", "2024"]
    for period in frame.index:
        row = compare(store, code, "rate", period=period).table.iloc[0]
        assert frame.loc[period, "mark"] == year_mark(row["flag"], row["flag_level"])
    assert frame.loc["2022", "mark"].startswith(MARKS["above"])
    assert frame.loc["2024", "mark"].startswith(MARKS["below"])
    assert frame.loc["2021", "mark"] == "Not significant"
    # The latest year's mark is the headline table's verdict: one per figure.
    headline = next(t for t in doc.tables() if t.title.endswith("headline measures"))
    assert headline.frame["sig"].iloc[0] == frame.loc["2024", "mark"]
    assert any("▲ significantly higher" in n for n in table.notes)
    # The middle half of authorities each year, lower below upper.
    assert (frame["quartile_low"] <= frame["quartile_high"]).all()


def test_the_trend_chart_marks_the_same_years(store_and_data) -> None:
    _, data, code = store_and_data
    doc = profile_document(data, code)
    chart = doc.figures()[0].chart
    spec = chart.to_dict()
    marked = next(
        layer
        for layer in spec["layer"]
        if layer.get("encoding", {}).get("shape", {}).get("field") == "mark"
    )
    rows = spec["datasets"][marked["data"]["name"]]
    assert sorted((r["period"], r["flag"]) for r in rows) == [
        ("2022", "above"),
        ("2024", "below"),
    ]
    assert "significantly higher than other authorities in 2022" in (chart.description)


def test_axis_from_zero_on_request(store_and_data) -> None:
    _, data, code = store_and_data

    def y_low(zero: bool) -> float:
        spec = profile_document(data, code, zero=zero).figures()[0].chart.to_dict()
        line = next(la for la in spec["layer"] if la["mark"]["type"] == "line")
        return line["encoding"]["y"]["scale"]["domain"][0]

    assert y_low(True) == 0
    assert y_low(False) >= 20  # fitted to values from 30 to 90


def test_year_mark_words() -> None:
    assert year_mark("above", "99.8%") == "▲ Higher (99.8%)"
    assert year_mark("below", None) == "▼ Lower"
    assert year_mark(float("nan"), None) == "–"
    assert pd.isna(float("nan"))
