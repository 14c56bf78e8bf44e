"""Joint returns on the national store (issue 17, item 4): DfE's workforce file
reports North and West Northamptonshire together (Northamptonshire Children's
Trust), and Kingston upon Thames with Richmond upon Thames (Achieving for
Children). Each member shows the shared figure, flagged; England's n counts it
once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lacompare.analysis import compare, compare_headline
from lacompare.store import open_store

GROUPS = {
    "North Northamptonshire": ("West Northamptonshire", "Northamptonshire Children's"),
    "West Northamptonshire": ("North Northamptonshire", "Northamptonshire Children's"),
    "Kingston upon Thames": ("Richmond upon Thames", "Achieving for Children"),
    "Richmond upon Thames": ("Kingston upon Thames", "Achieving for Children"),
}


@pytest.fixture(scope="module")
def store(national_store: Path):
    with open_store(national_store, read_only=True) as s:
        yield s


@pytest.mark.parametrize("la", sorted(GROUPS))
def test_each_member_shows_the_joint_caseload_flagged(store, la: str) -> None:
    partner, partnership = GROUPS[la]
    row = compare(store, la, "caseload_fte").table.iloc[0]
    twin = compare(store, partner, "caseload_fte").table.iloc[0]
    assert row["value"] == row["value"] and row["value"] == twin["value"]
    assert row["joint_return"].startswith(f"joint return with {partner} ")
    assert partnership in row["joint_return"]
    assert row["rank"] == twin["rank"]


def test_englands_n_counts_each_joint_return_once(store) -> None:
    row = compare(store, "North Northamptonshire", "caseload_fte").table.iloc[0]
    period = row["period"]
    every = store.read_values(
        measures="caseload_fte", periods=period, present_only=True
    )
    once = store.read_values(
        measures="caseload_fte", periods=period, present_only=True, joint="once"
    )
    assert len(every) - len(once) == 2  # one copy left out per partnership
    assert row["n"] == len(once)


def test_the_headline_comparison_flags_the_workforce_figures(store) -> None:
    t = compare_headline(store, "North Northamptonshire").table
    caseload = t[t["measure"] == "caseload_fte"].iloc[0]
    assert caseload["value"] == caseload["value"]
    assert "West Northamptonshire" in caseload["joint_return"]
    # Measures of the authority's own (children looked after) are not flagged.
    own = t[t["joint_return"].isna()]
    assert len(own) and own["value"].notna().any()


def test_the_load_says_which_rows_were_joint_returns(store) -> None:
    rows = store.con.execute(
        """SELECT i.message FROM load_issues i JOIN sources s USING (source_id)
           WHERE i.kind = 'joint-return' AND s.superseded_by IS NULL
             AND s.file LIKE '%csww_indicators_2017_to_2025.csv'"""
    ).fetchall()
    text = " ".join(r[0] for r in rows)
    assert "Northamptonshire Children's Trust" in text
    assert "Achieving for Children" in text
