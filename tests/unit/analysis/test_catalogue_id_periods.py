"""summary and table read a catalogue id from the source holding the periods asked
for, and say which store measure when it is not the id's first source."""

from __future__ import annotations

import pytest

from lacompare.analysis import summarise, summarise_grouped
from lacompare.catalogue import get_indicator
from lacompare.store import open_store

CLA = get_indicator("cla_rate_per_10000")
FIRST = (CLA.sources[0].measure, CLA.sources[0].breakdown)
CODES = ["E06000001", "E06000002", "E06000003"]


def _cells(measure, breakdown, years):
    return [
        {
            "la_code": code,
            "measure": measure,
            "breakdown": breakdown,
            "period": str(year),
            "value": float(10 * i + year - 2000),
        }
        for year in years
        for i, code in enumerate(CODES)
    ]


@pytest.fixture
def store():
    s = open_store(":memory:")
    s.write_cells(_cells(*FIRST, range(2021, 2026)), file="dfe.csv")
    s.write_cells(_cells("rate_per_10000", "", range(2012, 2026)), file="long.csv")
    yield s
    s.close()


def test_summary_over_early_periods_reads_the_long_series(store):
    out = summarise(store, "cla_rate_per_10000", periods="2012:2017", per_la="change")
    assert out.measures == ["rate_per_10000"] and out.breakdown == ""
    assert out.periods["rate_per_10000"][0] == "2012"
    england = out.table[out.table["region"] == "England"]
    assert england["n"].tolist() == [len(CODES)]
    assert any("'rate_per_10000'" in i.message for i in out.issues)


def test_summary_of_recent_periods_keeps_the_first_source(store):
    out = summarise(store, "cla_rate_per_10000", periods="2022:2025")
    assert out.breakdown == FIRST[1]
    assert not any(i.kind == "source" for i in out.issues)


def test_table_takes_a_catalogue_id(store):
    latest = summarise_grouped(store, "cla_rate_per_10000", "la_type")
    assert (latest.attrs["measure"], latest.attrs["breakdown"]) == FIRST
    assert latest.attrs["period"] == "2025"
    early = summarise_grouped(store, "cla_rate_per_10000", "la_type", period="2014")
    assert (early.attrs["measure"], early.attrs["breakdown"]) == ("rate_per_10000", "")
    items = early[early["row_role"] == "item"].dropna(subset=["value"])
    assert sorted(items["la_code"]) == CODES
    assert any("'rate_per_10000'" in n for n in early.attrs["notes"])
