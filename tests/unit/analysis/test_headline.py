"""compare with no measures named: the catalogue's headline indicators."""

from __future__ import annotations

import pytest

from lacompare.analysis._headline import compare_headline, headline_specs
from lacompare.errors import InputError
from lacompare.store import ingest, open_store


@pytest.fixture
def store(tmp_path):
    # Two headline indicators in different breakdowns, and a measure that is not one.
    path = tmp_path / "t.csv"
    rows = [
        "time_period,time_identifier,geographic_level,country_code,country_name,"
        "new_la_code,la_name,population_type,rate_per_10000,other_measure"
    ]
    with open_store(":memory:") as probe:
        codes = probe.query(
            "SELECT la_code, la_name FROM authorities WHERE "
            "valid_to IS NULL AND region = 'North East'"
        )
    for i, r in enumerate(codes.itertuples()):
        for pop in (
            "Children looked after on 31 March each year",
            "Children starting to be looked after each year",
        ):
            rows.append(
                f"2025,Financial year,Local authority,E92000001,England,"
                f"{r.la_code},{r.la_name},{pop},{60 + i},{i}"
            )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    s = open_store(":memory:")
    ingest(s, path)
    yield s
    s.close()


def test_the_headline_set_takes_each_key_in_its_breakdown(store):
    specs = headline_specs(store)
    assert (
        "rate_per_10000",
        "population_type=Children looked after on 31 March each year",
    ) in specs
    assert all(m != "other_measure" for m, _ in specs)


def test_compare_on_the_headline_set(store):
    result = compare_headline(store, "Darlington", breakdown="ignored")
    table = result.table
    assert set(table["measure"]) == {"rate_per_10000"}
    assert table["breakdown"].str.contains("31 March").all()
    assert table["la_name"].eq("Darlington").all()


def test_a_store_without_headline_indicators_says_so(tmp_path):
    with open_store(":memory:") as s, pytest.raises(InputError, match="-m"):
        compare_headline(s, "Leeds")
