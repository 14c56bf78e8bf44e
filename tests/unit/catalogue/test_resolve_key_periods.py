"""resolve_key with periods: a catalogue id reads the source that has the periods
asked for, not only its first source with values (issue: one id, two answers)."""

from __future__ import annotations

import pytest

from lacompare.catalogue import get_indicator, resolve_key, source_note
from lacompare.store import open_store

CLA = get_indicator("cla_rate_per_10000")
FIRST, LONG = (CLA.sources[0].measure, CLA.sources[0].breakdown), ("rate_per_10000", "")


def _cells(key, years):
    measure, breakdown = key
    return [
        {
            "la_code": code,
            "measure": measure,
            "breakdown": breakdown,
            "period": str(year),
            "value": float(year - 2000 + i),
        }
        for year in years
        for i, code in enumerate(["E06000001", "E06000002"])
    ]


@pytest.fixture
def store():
    s = open_store(":memory:")
    s.write_cells(_cells(FIRST, range(2021, 2026)), file="dfe.csv")
    s.write_cells(_cells(LONG, range(2012, 2026)), file="long.csv")
    yield s
    s.close()


def test_the_long_series_is_the_fourth_source_of_the_cla_rate():
    keys = [(x.measure, x.breakdown) for x in CLA.sources]
    assert keys.index(LONG) > 0 and FIRST != LONG


def test_without_periods_the_first_source_with_values(store):
    assert resolve_key(store, "cla_rate_per_10000") == FIRST


def test_a_window_before_the_first_source_reads_the_long_series(store):
    assert resolve_key(store, "cla_rate_per_10000", periods="2012:2017") == LONG


def test_a_window_both_cover_keeps_catalogue_order(store):
    assert resolve_key(store, "cla_rate_per_10000", periods="2021:2025") == FIRST


def test_listed_periods_count_like_a_window(store):
    assert resolve_key(store, "cla_rate_per_10000", periods=["2014"]) == LONG
    assert resolve_key(store, "cla_rate_per_10000", periods="2013,2022") == LONG


def test_periods_nobody_has_fall_back_to_the_first_source(store):
    assert resolve_key(store, "cla_rate_per_10000", periods="1990:1995") == FIRST


def test_a_store_measure_is_itself_whatever_the_periods(store):
    assert resolve_key(store, "rate_per_10000", "x", periods="2012:2013") == (
        "rate_per_10000",
        "x",
    )


def test_the_note_names_a_source_that_is_not_the_first():
    note = source_note("cla_rate_per_10000", LONG)
    assert "'rate_per_10000'" in note
    assert (
        f"source {[(x.measure, x.breakdown) for x in CLA.sources].index(LONG) + 1}"
        in note
    )
    assert source_note("cla_rate_per_10000", FIRST) is None
