"""Continuing authorities (issue 17, item 3): values published on the old code of a
same-area recode count for the authority's code today, with a note; split
authorities get a stated reason, never a copy of the predecessor's value."""

from __future__ import annotations

import pytest

from lacompare.analysis import read_la_values
from lacompare.analysis.models import fit_regression, model_spend
from lacompare.analysis.significance import correlate
from lacompare.geography.changes import continuing_codes, read_changes
from lacompare.store import open_store

OLD = {"E10000002": "E06000060", "E10000023": "E06000065", "E10000027": "E06000066"}


def test_recodes_come_from_the_changes_data():
    recodes = {
        c.predecessors[0]: c.successors[0] for c in read_changes() if c.kind == "recode"
    }
    assert continuing_codes() == recodes == OLD


@pytest.fixture
def store():
    """Every current authority with spend 2024-25 and IDACI 2019; the recoded
    three and Northamptonshire have IDACI on their old code only."""
    s = open_store(":memory:")
    codes = s.query(
        "SELECT la_code FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
    )["la_code"].tolist()
    rows = []
    for n, code in enumerate(codes, 1):
        idaci = (n % 9) / 20
        rows.append(
            {
                "la_code": code,
                "measure": "spend",
                "period": "2024-25",
                "value": 500 + 900 * idaci + 60 * (n % 4),
            }
        )
        if code in OLD.values():
            old = next(o for o, new in OLD.items() if new == code)
            rows.append(
                {"la_code": old, "measure": "idaci", "period": "2019", "value": idaci}
            )
        elif code not in ("E06000061", "E06000062"):
            rows.append(
                {"la_code": code, "measure": "idaci", "period": "2019", "value": idaci}
            )
    rows.append(
        {"la_code": "E10000021", "measure": "idaci", "period": "2019", "value": 0.1}
    )
    s.write_cells(rows, file="t.csv")
    yield s
    s.close()


def test_model_counts_old_code_for_new(store):
    m = model_spend(store, "spend", factors=["idaci"], k=5, repeats=0)
    assert set(OLD.values()) <= set(m.predictions["la_code"])
    note = m.factors.set_index("measure").loc["idaci", "note"]
    assert "Buckinghamshire (E10000002 → E06000060, 1 Apr 2020)" in note
    left = m.excluded.set_index("la_code")["reason"]
    assert set(left.index) >= {"E06000061", "E06000062"}
    assert (
        "idaci 2019: published for Northamptonshire only (split" in (left["E06000061"])
    )
    assert not set(OLD) & set(left.index)


def test_own_value_wins_over_old_code(store):
    store.write_cells(
        [{"la_code": "E06000060", "measure": "idaci", "period": "2019", "value": 0.9}],
        file="own.csv",
    )
    r = fit_regression(store, "spend", ["idaci"])
    bucks = r.data.set_index("la_code").loc["E06000060", "idaci"]
    assert bucks == 0.9
    assert (
        "Buckinghamshire" not in r.variables.set_index("name").loc["idaci", "continued"]
    )


def test_la_values_and_correlate_continue(store):
    v = read_la_values(store, ["idaci", "spend"])
    assert v.values.loc[list(OLD.values()), "idaci"].notna().all()
    assert not set(OLD) & set(v.values.index)
    assert v.notes and v.notes[0].startswith("idaci: counted as one series")
    assert "published for Northamptonshire only" in v.reasons.loc["E06000062", "idaci"]
    c = correlate(store, "idaci", "spend")
    assert set(OLD.values()) <= set(c.data.iloc[:, 0])
    assert {"E06000061", "E06000062"} <= set(c.excluded["la_code"])
