"""District sums and boundary policies on small stores built here."""

from __future__ import annotations

import math

import pytest

from lacompare.derive._aggregate import derive_upper_tier, is_additive, place_district
from lacompare.derive._harmonise import derive_harmonised
from lacompare.errors import InputError

CUMBRIA = ["E07000026", "E07000027", "E07000028", "E07000029", "E07000030", "E07000031"]


def _setup(store, unit="children", reference="financial year"):
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('t.csv', 'x')")
    store.con.execute(
        "INSERT INTO measures (measure, unit, reference_date) VALUES ('m', ?, ?)",
        [unit, reference],
    )


def _district(store, code, period, value, reason=None):
    store.con.execute(
        "INSERT INTO totals (area_code, area_name, measure, period, value, "
        "missing_reason, source_id, check_result) VALUES (?, ?, 'm', ?, ?, ?, 1, "
        "'district')",
        [code, code, period, value, reason],
    )


def _obs(store, code, period, value, reason=None, measure="m"):
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, value, "
        "missing_reason, "
        "source_id) VALUES (?, ?, ?, ?, ?, 1)",
        [code, measure, period, value, reason],
    )


def test_districts_sum_into_their_county_with_inputs_recorded(store):
    _setup(store)
    for i, code in enumerate(CUMBRIA):
        _district(store, code, "2019-20", 10 * (i + 1))
    _obs(store, "E06000001", "2019-20", 7)  # a unitary: carried as published
    result = derive_upper_tier(store, "m")
    got = dict(zip(result.values["la_code"], result.values["value"], strict=True))
    assert got == {"E10000006": 210.0, "E06000001": 7.0}
    roles = store.query(
        "SELECT role, input_value FROM derived_inputs WHERE "
        "la_code = 'E10000006' ORDER BY role"
    )
    assert len(roles) == 6 and roles["input_value"].sum() == 210


def test_a_suppressed_or_absent_district_makes_the_sum_missing(store):
    _setup(store)
    for code in CUMBRIA:
        _district(
            store,
            code,
            "2019-20",
            None if code == CUMBRIA[2] else 5,
            "suppressed" if code == CUMBRIA[2] else None,
        )
        if code != CUMBRIA[4]:
            _district(store, code, "2020-21", 5)
    result = derive_upper_tier(store, "m")
    rows = result.values.set_index("period")
    assert math.isnan(rows.loc["2019-20", "value"])
    assert rows.loc["2019-20", "missing_reason"] == "input-suppressed"
    assert rows.loc["2020-21", "missing_reason"] == "input-absent"
    absent = result.issues.of_kind("district-absent")
    assert len(absent) == 1 and CUMBRIA[4] in absent[0].message
    assert CUMBRIA[2] in result.issues.of_kind("district-missing")[0].message


def test_placement_follows_the_period_day():
    from datetime import date

    # Mendip was in Somerset county until March 2023, then part of the unitary.
    mendip = "E07000187"
    assert place_district(mendip, date(2022, 3, 31))[0] == "E10000027"
    county, why = place_district(mendip, date(2024, 3, 31))
    assert county is None and "E06000066" in why


def test_rates_are_never_summed(store):
    _setup(store, unit="rate per 10,000")
    _district(store, CUMBRIA[0], "2019-20", 50)
    assert is_additive("rate per 10,000")[0] is False
    with pytest.raises(InputError, match="cannot be summed"):
        derive_upper_tier(store, "m")


def test_aggregate_sums_successors_and_missing_member_is_missing(store):
    _setup(store, reference="31 March")
    _obs(store, "E10000006", "2022", 700)
    _obs(store, "E06000063", "2024", 400)
    _obs(store, "E06000064", "2024", 350)
    _obs(store, "E06000063", "2025", 410)
    _obs(store, "E06000064", "2025", None, "suppressed")
    h = derive_harmonised(store, "m", policy="aggregate")
    cumbria = h.values[h.values["la_code"] == "E10000006"].set_index("period")
    assert cumbria.loc["2022", "value"] == 700
    assert cumbria.loc["2024", "value"] == 750
    assert cumbria.loc["2025", "missing_reason"] == "input-suppressed"
    # The loaded values are untouched.
    assert store.con.execute(
        "SELECT count(*) FROM observations WHERE measure = 'm'"
    ).fetchall() == [(5,)]


def test_a_rate_is_recomputed_not_summed(store):
    from lacompare.derive import derive_rate

    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('t.csv', 'x')")
    store.con.execute(
        "INSERT INTO measures (measure, unit, reference_date) VALUES "
        "('cla', 'children', '31 March'), ('pop', 'persons', "
        "'mid-year')"
    )
    for code, cla, pop in (("E06000061", 300, 70000), ("E06000062", 500, 90000)):
        _obs(store, code, "2024", cla, measure="cla")
        _obs(store, code, "2023", pop, measure="pop")
    derive_rate(store, "cla", "pop", name="cla_rate")
    h = derive_harmonised(store, "cla_rate", policy="aggregate")
    northants = h.values[h.values["la_code"] == "E10000021"]
    assert northants["value"].tolist() == [pytest.approx(800 / 160000 * 10000)]
    assert h.issues.of_kind("recomputed")


def test_flag_marks_breaks_and_keep_changes_nothing(store):
    _setup(store, reference="31 March")
    _obs(store, "E10000023", "2022", 100)
    _obs(store, "E06000065", "2024", 110)
    kept = derive_harmonised(store, "m", policy="keep")
    assert kept.changes == ["north-yorkshire-2023"] and kept.derived is None
    flagged = derive_harmonised(store, "m", policy="flag")
    rows = store.con.execute(
        "SELECT la_code, side, last_period_before, "
        "first_period_after FROM series_breaks ORDER BY side"
    ).fetchall()
    assert [list(r) for r in rows] == [
        ["E10000023", "predecessor", "2022", None],
        ["E06000065", "successor", None, "2024"],
    ]
    assert len(flagged.breaks) == 2
