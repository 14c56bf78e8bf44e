"""The scrutiny report's neighbour comparison on a store built from the real
public files in ../shared/data: the published CLA rate, and the CP and CIN rates
the report derives itself (no published rate of either is in a store built by
``lacompare ingest``), each against Leicester's DfE 2025 statistical neighbours.
The derived rates are checked against count / population × 10,000 computed here
from the raw CSV files. Skipped, saying why, when ../shared/data is absent."""

from __future__ import annotations

import csv
import math

import pytest

from lacompare import load_neighbour_set
from lacompare.report._reports import build_report, render_html
from lacompare.snapshot import load_extract, monthly_dates, write_synthetic_extract
from lacompare.store import ingest, open_store

pytestmark = pytest.mark.shared

POP = "population/ons_mid-year_population_estimates_0_to_17_2012_to_2024.csv"
CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
CIN = "cin_cpp/b1_children_in_need_2013_to_2025.csv"
CPP = "cin_cpp/d5_cpps_at31march_by_duration_2013_to_2025.csv"
LEICESTER = "E06000016"


def raw_column(path, column: str, period: str) -> dict[str, float]:
    """{ONS code: value} of one column's authority rows in one year."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return {
            r["new_la_code"]: float(r[column])
            for r in csv.DictReader(fh)
            if r["geographic_level"] == "Local authority"
            and r["time_period"] == period
            and r[column] not in ("", "c", "x", "z", "..")
        }


@pytest.fixture(scope="module")
def built(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scrutiny-shared")
    extract = write_synthetic_extract(folder / "x.csv", seed=3, scale=0.3, months=14)
    with open_store(":memory:") as store:
        for name in (POP, CLA, CIN, CPP):
            ingest(store, shared_data / name)
        load_neighbour_set(store, "dfe-2025", "dfe-2025", valid_for="2025-26")
        load_extract(
            store, extract, authority="Leicester", dates=monthly_dates("2024-10-04", 14)
        )
        before = store.con.execute(
            "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM "
            "measures), (SELECT count(*) FROM sources)"
        ).fetchall()
        doc = build_report("scrutiny", store, authority="Leicester")
        after = store.con.execute(
            "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM "
            "measures), (SELECT count(*) FROM sources)"
        ).fetchall()
        neighbours = [
            r[0]
            for r in store.con.execute(
                "SELECT neighbour_code FROM neighbours WHERE set_id = 'dfe-2025' AND "
                "la_code = ?",
                [LEICESTER],
            ).fetchall()
        ]
        yield doc, before, after, neighbours


def comparison(doc):
    table = next(t for t in doc.tables() if t.name == "Neighbours")
    return table, table.frame.set_index("measure")


def test_leicester_is_compared_on_cla_cp_and_cin_with_dfe_2025(built) -> None:
    doc, *_ = built
    table, frame = comparison(doc)
    assert list(frame.index) == [
        "Children looked after per 10,000 children",
        "Child protection plans per 10,000 children",
        "Children in need per 10,000 children",
    ]
    assert frame["basis"].tolist() == ["published", "derived", "derived"]
    assert (frame["period"] == "2025").all()
    assert frame[["published", "neighbours", "england"]].notna().all().all()
    assert "Statistical neighbours: DfE set dfe-2025." in table.notes


def test_published_cla_rate_is_the_files(built, shared_data) -> None:
    doc, *_ = built
    _, frame = comparison(doc)
    with open(shared_data / CLA, newline="", encoding="utf-8-sig") as fh:
        rate = next(
            float(r["rate_per_10000"])
            for r in csv.DictReader(fh)
            if r["new_la_code"] == LEICESTER
            and r["time_period"] == "2025"
            and "on 31 March" in r["population_type"]
        )
    assert frame.loc["Children looked after per 10,000 children", "published"] == rate


@pytest.mark.parametrize(
    ("label", "path", "column"),
    [
        ("Child protection plans per 10,000 children", CPP, "CPP_At31"),
        ("Children in need per 10,000 children", CIN, "At31_episodes"),
    ],
)
def test_derived_rates_are_count_over_population(
    built, shared_data, label, path, column
) -> None:
    doc, _, _, neighbours = built
    _, frame = comparison(doc)
    counts = raw_column(shared_data / path, column, "2025")
    # 31 March 2025 counts over the mid-2024 population, as DfE does.
    pops = raw_column(shared_data / POP, "population_estimate", "2024")
    mine = counts[LEICESTER] / pops[LEICESTER] * 10_000
    assert math.isclose(frame.loc[label, "published"], mine, rel_tol=1e-12)
    theirs = [
        counts[c] / pops[c] * 10_000 for c in neighbours if c in counts and c in pops
    ]
    assert len(neighbours) == 10 and len(theirs) == 10
    assert math.isclose(
        frame.loc[label, "neighbours"], sum(theirs) / len(theirs), rel_tol=1e-9
    )


def test_the_report_says_what_it_derived_and_leaves_the_store_alone(
    built, shared_data
) -> None:
    doc, before, after, _ = built
    assert before == after  # derived in a scratch store, not in the user's
    html = render_html(doc)
    assert "no published rate (cpp_rate_per_10000) is in the store" in html
    assert (
        "cpp_at31 at 31 March 2025 (from "
        "d5_cpps_at31march_by_duration_2013_to_2025.csv)"
    ) in html
    count = raw_column(shared_data / CPP, "CPP_At31", "2025")[LEICESTER]
    pop = raw_column(shared_data / POP, "population_estimate", "2024")[LEICESTER]
    # Hand-checked: 449 / 90,763 × 10,000 = 49.5
    assert f"{count:,.0f} / {pop:,.0f} × 10,000 = {count / pop * 10_000:,.1f}" in html
    files = set(doc.sources["file"])
    assert {
        "d5_cpps_at31march_by_duration_2013_to_2025.csv",
        "b1_children_in_need_2013_to_2025.csv",
        "ons_mid-year_population_estimates_0_to_17_2012_to_2024.csv",
    } <= files
