"""The demo reproduces, from the packaged SENDIAS rows, what a hand count gives."""

from __future__ import annotations

import csv
import math
import statistics

import pytest

from lacompare.cells import parse_cell
from lacompare.demo import DEMO_MEASURES, demo_data_path, run_demo
from lacompare.geography import resolve_authority


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo"))


def _expected():
    """Regional statistics computed independently, straight from the CSV."""
    rows = list(csv.DictReader(demo_data_path().open(encoding="utf-8")))
    by = {}
    for row in rows:
        region = resolve_authority(row["local_authority"], as_of="2021-03-31").region
        for measure in DEMO_MEASURES:
            value = parse_cell(row[measure]).value
            for group in (region, "England"):
                by.setdefault((group, measure), [])
                if value is not None:
                    by[(group, measure)].append(value)
    return rows, by


def test_all_149_services_resolve(demo):
    assert demo.load.authorities == 149
    assert demo.load.unresolved == []
    assert len(demo.notes) == 2
    assert any("Isles of Scilly" in n for n in demo.notes)
    assert any("City of London" in n for n in demo.notes)


def test_files_written(demo):
    for path in (demo.db, demo.regional_summary, demo.delivery_counts, demo.report):
        assert path.exists() and path.stat().st_size > 0


def test_regional_summary_matches_a_hand_count(demo):
    _, expected = _expected()
    with demo.regional_summary.open() as fh:
        written = list(csv.DictReader(fh))
    assert list(written[0]) == [
        "region",
        "measure",
        "n",
        "mean",
        "median",
        "sd",
        "min",
        "max",
    ]
    assert {r["measure"] for r in written} == set(DEMO_MEASURES)
    for row in written:
        values = expected[(row["region"], row["measure"])]
        assert int(row["n"]) == len(values)
        if values:
            assert float(row["mean"]) == pytest.approx(statistics.fmean(values))
            assert float(row["median"]) == pytest.approx(statistics.median(values))
            assert float(row["min"]) == min(values)
            assert float(row["max"]) == max(values)
        if len(values) > 1:
            assert float(row["sd"]) == pytest.approx(statistics.stdev(values))
        elif row["sd"]:
            assert math.isnan(float(row["sd"]))


def test_england_row_for_every_measure(demo):
    england = demo.summary[demo.summary["region"] == "England"]
    assert sorted(england["measure"]) == sorted(DEMO_MEASURES)
    funding = england.set_index("measure").loc["per_head_2021"]
    assert 0 <= funding["min"] < funding["median"] < funding["max"]


def test_delivery_counts_match_the_file(demo):
    rows, _ = _expected()
    with demo.delivery_counts.open() as fh:
        written = {r["region"]: r for r in csv.DictReader(fh)}
    assert list(next(iter(written.values()))) == [
        "region",
        "in_house",
        "outsourced",
        "joint_health_and_social_care",
        "joint_health_only",
        "joint_social_care_only",
    ]
    england = written["England"]
    assert int(england["in_house"]) == sum(r["delivery"] == "In-House" for r in rows)
    assert int(england["outsourced"]) == sum(
        r["delivery"] == "Outsourced" for r in rows
    )
    assert int(england["joint_health_only"]) == sum(
        r["joint_health_only"] == "1" for r in rows
    )
    regions = [r for name, r in written.items() if name != "England"]
    assert sum(int(r["in_house"]) for r in regions) == int(england["in_house"])


def test_report_is_self_contained_and_labelled(demo):
    html = demo.report.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "Funding per head of 0-25 population, 2021 (£ per head)" in html
    assert '<th scope="col"' in html and "<caption>" in html
    assert "England" in html


def test_demo_runs_twice_into_the_same_folder(demo):
    again = run_demo(demo.out)
    assert again.load.observations == demo.load.observations
