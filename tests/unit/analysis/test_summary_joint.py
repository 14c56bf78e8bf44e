"""summary counts a joint return once (issue 17 item 4): the partner's copy is left
out with the reason, so n and the statistics do not count one figure twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from lacompare.analysis import summarise
from lacompare.store import open_store
from lacompare.store._ingest import ingest

NORTH, WEST = "E06000061", "E06000062"


@pytest.fixture
def store(tmp_path: Path):
    path = tmp_path / "workforce.csv"
    path.write_text(
        "la,caseload\nDerby,15.0\nLeicester,17.0\n"
        "North Northamptonshire / West Northamptonshire,14.8\n",
        encoding="utf-8",
    )
    with open_store(":memory:") as s:
        ingest(s, path, period="2024")
        yield s


def test_the_partner_copy_is_left_out_saying_why(store):
    result = summarise(store, "caseload", periods="2024")
    england = result.table[result.table["region"] == "England"].iloc[0]
    assert england["n"] == 3  # Derby, Leicester and the joint return once
    assert england["mean"] == pytest.approx((15.0 + 17.0 + 14.8) / 3)
    out = result.excluded.set_index("la_code")
    assert WEST in out.index and NORTH not in out.index
    assert "joint return (Northamptonshire Children's Trust)" in out.loc[WEST, "reason"]
    assert "under North Northamptonshire" in out.loc[WEST, "reason"]
