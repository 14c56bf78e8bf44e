"""compare and summarise read the indicator catalogue: its labels name the measures
compared, and its ids (what ``lacompare measures`` lists) are taken as measures."""

from __future__ import annotations

import pytest

from lacompare.analysis import compare, summarise
from lacompare.errors import InputError
from lacompare.store import ingest, open_store

CLA = "population_type=Children looked after on 31 March each year"
STARTS = "population_type=Children starting to be looked after each year"


@pytest.fixture
def store(tmp_path):
    """The CLA rate and the rate of starts (one measure, two breakdowns) for the
    North East's authorities, as DfE's CLA release has them."""
    path = tmp_path / "cla.csv"
    rows = [
        "time_period,time_identifier,geographic_level,country_code,country_name,"
        "new_la_code,la_name,population_type,rate_per_10000"
    ]
    with open_store(":memory:") as probe:
        codes = probe.query(
            "SELECT la_code, la_name FROM authorities WHERE "
            "valid_to IS NULL AND region = 'North East'"
        )
    for i, r in enumerate(codes.itertuples()):
        for pop, base in ((CLA[16:], 60), (STARTS[16:], 20)):
            rows.append(
                f"2025,Financial year,Local authority,E92000001,England,"
                f"{r.la_code},{r.la_name},{pop},{base + i}"
            )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    s = open_store(":memory:")
    ingest(s, path)
    yield s
    s.close()


def test_compare_labels_a_measure_by_its_catalogue_indicator(store):
    row = compare(store, "Darlington", "rate_per_10000", breakdown=CLA).table.iloc[0]
    assert row["label"] == "Children looked after per 10,000 children"
    assert row["unit"] == "per 10,000 children"
    assert row["measure"] == "rate_per_10000"  # the id stays for scripts


def test_compare_takes_catalogue_ids_each_in_its_breakdown(store):
    table = compare(
        store, "Darlington", "cla_starts_rate_per_10000,cla_rate_per_10000"
    ).table
    assert table[["measure", "breakdown"]].values.tolist() == [
        ["rate_per_10000", STARTS],
        ["rate_per_10000", CLA],
    ]
    assert table["label"].tolist() == [
        "Children starting to be looked after per 10,000 children",
        "Children looked after per 10,000 children",
    ]
    assert table["rank_of"].tolist() == [12, 12]


def test_an_unknown_name_is_still_refused_with_suggestions(store):
    with pytest.raises(InputError, match="Children looked after per 10,000"):
        compare(store, "Darlington", "cla_rate")


def test_summarise_takes_a_catalogue_id(store):
    result = summarise(store, "cla_rate_per_10000")
    assert result.measures == ["rate_per_10000"] and result.breakdown == CLA
    england = result.table.iloc[-1]
    assert england["region"] == "England" and england["n"] == 12
    assert england["min"] == 60


def test_summarise_refuses_ids_in_different_breakdowns(store):
    with pytest.raises(InputError, match="one at a time"):
        summarise(store, ["cla_rate_per_10000", "cla_starts_rate_per_10000"])
