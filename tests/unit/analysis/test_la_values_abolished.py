"""An authority abolished before the periods compared, with only 'not applicable'
rows, is not an authority the comparison left out (Cumbria ended 2023, so a 2025
correlation does not list it); one that existed then and has no value still is."""

from __future__ import annotations

import pytest

from lacompare.analysis import read_la_values
from lacompare.analysis.significance import correlate
from lacompare.store import open_store

CUMBRIA, HARTLEPOOL, MIDDLESBROUGH = "E10000006", "E06000001", "E06000002"


def _rows(period, cumbria_value=None):
    rows = []
    for measure in ("a", "b"):
        for i, code in enumerate([HARTLEPOOL, MIDDLESBROUGH, "E06000003"]):
            rows.append(
                {
                    "la_code": code,
                    "measure": measure,
                    "period": period,
                    "value": float(i + (measure == "b")),
                }
            )
        cumbria = {"la_code": CUMBRIA, "measure": measure, "period": period}
        if cumbria_value is None:
            cumbria["missing_reason"] = "not-applicable"
        else:
            cumbria["value"] = cumbria_value
        rows.append(cumbria)
    return rows


@pytest.fixture
def store():
    s = open_store(":memory:")
    s.write_cells(_rows("2025") + _rows("2020"), file="f.csv")
    yield s
    s.close()


def test_an_abolished_authority_without_value_is_set_aside_and_named(store):
    v = read_la_values(store, ["a", "b"], period="2025")
    assert CUMBRIA not in v.values.index
    assert any("Cumbria" in n for n in v.notes)
    c = correlate(store, "a", "b", period="2025")
    assert CUMBRIA not in set(c.excluded["la_code"])
    assert c.n == len(v.values.dropna())


def test_an_authority_of_the_period_without_value_is_still_left_out(store):
    c = correlate(store, "a", "b", period="2020")
    reasons = c.excluded.set_index("la_code")["reason"]
    assert "not-applicable" in reasons[CUMBRIA]
    assert not any(
        "Cumbria" in n for n in read_la_values(store, ["a"], period="2020").notes
    )


def test_an_abolished_authority_with_a_value_is_kept():
    s = open_store(":memory:")
    s.write_cells(_rows("2025", cumbria_value=7.0), file="f.csv")
    v = read_la_values(s, ["a", "b"], period="2025")
    assert v.values.loc[CUMBRIA, "a"] == 7.0
    s.close()
