"""Continuing authorities on the national store (issue 17, item 3): a same-area
recode (Buckinghamshire 2020, North Yorkshire and Somerset 2023) is one series in
`model spend`, `correlate` and read_la_values; a split authority whose factor was
published for its predecessor only is left out with that reason.

Skipped, saying why, when ../shared/data is absent.
"""

from __future__ import annotations

import pytest

from lacompare.analysis import read_la_values
from lacompare.analysis.models import model_spend
from lacompare.analysis.significance import correlate
from lacompare.store import open_store

pytestmark = pytest.mark.shared

RECODED = {"E06000060", "E06000065", "E06000066"}
TARGET = "csc_expenditure_per_child"
IOD2019_FACTORS = [
    "idaci_average_score",
    "population_age_0_25",
    "gdhi_per_head",
    "claimant_rate",
    "crime_rate_per_1000",
]


@pytest.fixture(scope="module")
def store(national_store):
    with open_store(national_store, read_only=True) as s:
        yield s


def test_model_spend_covers_recoded_authorities(store):
    m = model_spend(store, TARGET, repeats=0)
    assert m.n >= 148, m.excluded
    assert RECODED <= set(m.predictions["la_code"])


def test_iod2019_factor_continues_across_recodes(store):
    m = model_spend(store, TARGET, factors=IOD2019_FACTORS, repeats=0)
    assert RECODED <= set(m.predictions["la_code"])
    assert m.n >= 147
    note = m.factors.set_index("measure").loc["idaci_average_score", "note"]
    for text in ("E10000002 → E06000060", "E10000023 → E06000065", "Somerset"):
        assert text in note
    left = m.excluded.set_index("la_code")["reason"]
    assert "published for Northamptonshire only" in left["E06000061"]
    assert "published for Cumbria only" in left["E06000064"]
    # The old codes are not left out as authorities of their own.
    assert not {"E10000002", "E10000023", "E10000027"} & set(left.index)


def test_correlate_and_la_values_continue_recodes(store):
    v = read_la_values(store, ["idaci_average_score"])
    assert v.values.loc[sorted(RECODED), "idaci_average_score"].notna().all()
    assert not {"E10000002", "E10000023", "E10000027"} & set(v.values.index)
    assert any("E10000027 → E06000066" in n for n in v.notes)
    c = correlate(store, "idaci_average_score", "population_age_0_25")
    assert RECODED <= set(c.data.iloc[:, 0])
