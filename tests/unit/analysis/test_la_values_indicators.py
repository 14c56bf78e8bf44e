"""read_la_values (and so correlate and model) take catalogue ids as -m does."""

from __future__ import annotations

import pytest

from lacompare.analysis import read_la_values
from lacompare.errors import InputError
from lacompare.store import open_store


@pytest.fixture
def store():
    s = open_store(":memory:")
    s.write_cells(
        [
            {
                "la_code": "E06000001",
                "measure": "CIN",
                "period": "2025",
                "value": 300.0,
            },
            {
                "la_code": "E06000002",
                "measure": "CIN",
                "period": "2025",
                "value": 410.0,
            },
        ],
        file="cin.csv",
    )
    yield s
    s.close()


def test_a_catalogue_id_reads_its_source_under_the_name_typed(store):
    values = read_la_values(store, ["cin_rate_per_10000"], registry=False)
    assert list(values.values.columns) == ["cin_rate_per_10000"]
    assert values.values["cin_rate_per_10000"].to_dict() == {
        "E06000001": 300.0,
        "E06000002": 410.0,
    }


def test_a_catalogue_id_with_no_source_in_the_store_is_refused(store):
    with pytest.raises(InputError, match="cla_rate_per_10000"):
        read_la_values(store, ["cla_rate_per_10000"], registry=False)
