"""An age band (--population 0-25) on a store holding several measures that name
the band: the catalogue's population indicator is chosen, and an ambiguous or
absent band says so rather than 'no measure 0-25'."""

from __future__ import annotations

import pytest

from lacompare.derive import derive_rate, population_measure
from lacompare.errors import InputError
from lacompare.store import open_store

LEEDS, YORK = "E08000035", "E06000014"


@pytest.fixture
def store():
    s = open_store(":memory:")
    rows = []
    for la, pop, ratio, count in ((LEEDS, 250000, 12.5, 500), (YORK, 60000, 8.0, 90)):
        rows += [
            {
                "la_code": la,
                "measure": "population_age_0_25",
                "period": "2023",
                "value": pop,
            },
            # Another measure naming the band: a ratio, not a population.
            {
                "la_code": la,
                "measure": "pop_per_fte_0_25",
                "period": "2023",
                "value": ratio,
            },
            {
                "la_code": la,
                "measure": "children_count",
                "period": "2024",
                "value": count,
            },
        ]
    s.write_cells(rows, file="fixture.csv")
    yield s
    s.close()


def test_the_catalogue_population_of_the_band_is_chosen(store):
    assert population_measure(store, "0-25") == "population_age_0_25"
    derived = derive_rate(store, "children_count", "0-25", name="r")
    assert derived.recipe["denominator"] == "population_age_0_25"


def test_a_band_with_no_population_says_so(store):
    with pytest.raises(InputError, match="no population measure for ages 2-18"):
        derive_rate(store, "children_count", "2-18", name="r2")
