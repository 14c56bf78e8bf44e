"""A load reports the seconds each of its stages took."""

from __future__ import annotations

from lacompare.store import ingest
from lacompare.store._ingest import STAGES


def test_a_load_reports_seconds_for_every_stage_in_order(store, write):
    result = ingest(store, write("f.csv", "area_name,year,value\nLeeds,2024,70\n"))
    assert tuple(result.timings) == STAGES
    assert all(seconds >= 0 for seconds in result.timings.values())


def test_a_dry_run_reports_them_too(store, write):
    result = ingest(
        store, write("f.csv", "la,value\nLeeds,1\n"), period="2021", check=True
    )
    assert tuple(result.timings) == STAGES
