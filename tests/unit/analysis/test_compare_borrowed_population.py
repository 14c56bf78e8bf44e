"""A published rate (DfE's children in need per 10,000) is judged by funnel limits,
its population read from the derived copy of the same catalogue indicator, so the
verdict is the same whichever copy a user compares."""

from __future__ import annotations

import pytest

from lacompare.analysis import compare
from lacompare.derive import derive_rate
from lacompare.store import open_store

# Leeds's figure is far above the others', for a large population: outside the
# funnel around England's rate, though only one of eight by z-score.
FIGURES = {
    "E08000035": (5000, 170_000),  # Leeds
    "E08000036": (1000, 70_000),
    "E08000032": (1500, 110_000),
    "E08000033": (600, 45_000),
    "E08000034": (1200, 90_000),
    "E06000014": (500, 35_000),
    "E08000016": (700, 50_000),
    "E08000017": (900, 65_000),
}


@pytest.fixture
def store():
    s = open_store(":memory:")
    rows = []
    for la, (count, pop) in FIGURES.items():
        rows += [
            {
                "la_code": la,
                "measure": "at31_episodes",
                "period": "2025",
                "value": count,
            },
            {
                "la_code": la,
                "measure": "population_0_17",
                "period": "2024",
                "value": pop,
            },
            # What DfE prints: the rate to one decimal place, no population.
            {
                "la_code": la,
                "measure": "CIN",
                "period": "2025",
                "value": round(count / pop * 10_000, 1),
            },
        ]
    s.write_cells(rows, file="fixture.csv")
    s.con.execute(
        "UPDATE measures SET reference_date = '31 March' "
        "WHERE measure IN ('at31_episodes', 'CIN')"
    )
    s.con.execute(
        "UPDATE measures SET reference_date = 'mid-year' "
        "WHERE measure = 'population_0_17'"
    )
    derive_rate(
        s, "at31_episodes", "population_0_17", name="cin_rate_per_10000_derived"
    )
    yield s
    s.close()


def test_the_published_rate_borrows_the_derived_copys_population(store):
    published = compare(store, "Leeds", measures=["CIN"]).table.iloc[0]
    derived = compare(
        store, "Leeds", measures=["cin_rate_per_10000_derived"]
    ).table.iloc[0]
    assert published["test"].startswith("funnel limits")
    # The derived copy's population by its catalogue label: no store id.
    assert published["test"].endswith(
        "; the population is the one lacompare's derived rate uses "
        "(Children aged 0 to 17, mid-year estimate)"
    )
    assert "_derived" not in published["test"]
    assert published["flag"] == derived["flag"] == "above"
    assert published["upper_95"] == pytest.approx(derived["upper_95"], rel=1e-3)
