"""Rates, per-head figures and ratios: periods matched by reference date, missing
inputs carried, provenance recorded, totals derived alongside."""

from __future__ import annotations

import json
import math

import pytest

from lacompare.derive import (
    INPUTS_TABLE,
    derive_per_head,
    derive_rate,
    derive_ratio,
    population_measure,
    printed,
)
from lacompare.errors import InputError

HARTLEPOOL, MIDDLESBROUGH, REDCAR, STOCKTON = (
    "E06000001",
    "E06000002",
    "E06000003",
    "E06000004",
)


def _load(store, rows, measures, totals=()):
    """Insert observations (la, measure, period, value, reason[, breakdown])."""
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('fixture.csv', 'x')")
    sid = store.con.execute("SELECT max(source_id) FROM sources").fetchall()[0][0]
    for m in measures:
        store.con.execute(
            "INSERT INTO measures (measure, unit, polarity, reference_date) "
            "VALUES (?, ?, ?, ?)",
            list(m),
        )
    for r in rows:
        la, measure, period, value, reason, *bd = r
        store.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, breakdown, "
            "value, "
            "missing_reason, source_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [la, measure, period, bd[0] if bd else "", value, reason, sid],
        )
    for area, name, measure, period, value in totals:
        store.con.execute(
            "INSERT INTO totals (area_code, area_name, measure, period, value, "
            "source_id) VALUES (?, ?, ?, ?, ?, ?)",
            [area, name, measure, period, value, sid],
        )
    return sid


@pytest.fixture
def cla(store):
    """Counts at 31 March 2023-2024 and mid-year populations 2022-2023."""
    _load(
        store,
        [
            (HARTLEPOOL, "cla", "2023", 300, None),
            (HARTLEPOOL, "cla", "2024", 330, None),
            (MIDDLESBROUGH, "cla", "2024", None, "suppressed"),
            (REDCAR, "cla", "2024", 0, None),
            (STOCKTON, "cla", "2024", 250, None),  # no population at all
            (HARTLEPOOL, "pop", "2022", 20000, None),
            (HARTLEPOOL, "pop", "2023", 22000, None),
            (HARTLEPOOL, "pop", "2024", 99999, None),  # after 31 March 2024: not used
            (MIDDLESBROUGH, "pop", "2023", 30000, None),
            (REDCAR, "pop", "2023", None, "not-available"),
        ],
        [
            ("cla", "children", "higher-is-worse", "31 March"),
            ("pop", "persons", "neutral", "mid-year"),
        ],
        totals=[
            ("E92000001", "England", "cla", "2024", 83630),
            ("E92000001", "England", "pop", "2023", 12059476),
        ],
    )
    return store


def _by(frame):
    return {
        (r.la_code, r.period): (r.value, r.missing_reason) for r in frame.itertuples()
    }


def test_rate_matches_31_march_to_previous_mid_year(cla):
    d = derive_rate(cla, "cla", "pop", per=10_000, name="cla_rate")
    got = _by(d.values)
    assert got[(HARTLEPOOL, "2024")] == (pytest.approx(330 / 22000 * 10_000), None)
    assert got[(HARTLEPOOL, "2023")] == (pytest.approx(300 / 20000 * 10_000), None)
    inputs = d.values.set_index(["la_code", "period"])["inputs"]
    assert inputs[(HARTLEPOOL, "2024")] == "cla[2024] / pop[2023]"


def test_missing_inputs_carry_their_reason(cla):
    got = _by(derive_rate(cla, "cla", "pop", name="cla_rate").values)
    assert math.isnan(got[(MIDDLESBROUGH, "2024")][0])
    assert got[(MIDDLESBROUGH, "2024")][1] == "input-suppressed"
    assert got[(REDCAR, "2024")][1] == "input-not-available"
    assert got[(STOCKTON, "2024")][1] == "input-absent"
    # a missing value is never 0
    stored = cla.query(
        "SELECT value, missing_reason FROM observations "
        "WHERE measure = 'cla_rate' AND value IS NULL"
    )
    assert len(stored) == 3 and stored["missing_reason"].notna().all()


def test_stale_population_is_no_match(cla):
    # Only a population two years older than the count: absent, not silently used.
    cla.con.execute(
        "DELETE FROM observation_cells WHERE measure = 'pop' "
        "AND la_code = ? AND period = '2023'",
        [HARTLEPOOL],
    )
    got = _by(derive_rate(cla, "cla", "pop", name="r").values)
    assert got[(HARTLEPOOL, "2024")][1] == "input-absent"
    assert got[(HARTLEPOOL, "2023")][1] is None


def test_same_period_matching(cla):
    got = _by(derive_rate(cla, "cla", "pop", name="r", match="same-period").values)
    assert got[(HARTLEPOOL, "2024")][0] == pytest.approx(330 / 99999 * 10_000)
    with pytest.raises(InputError, match="match must be one of"):
        derive_rate(cla, "cla", "pop", name="r", match="nearest")


def test_reference_date_override(cla):
    # Treat the population as a 31 March figure: 2024 meets 2024.
    d = derive_rate(cla, "cla", "pop", name="r", reference_dates={"pop": "31 March"})
    assert _by(d.values)[(HARTLEPOOL, "2024")][0] == pytest.approx(330 / 99999 * 1e4)


def test_provenance_is_recorded(cla):
    d = derive_rate(cla, "cla", "pop", name="cla_rate")
    src = cla.query("SELECT * FROM sources WHERE source_id = ?", [d.source_id])
    assert src["file"].iloc[0] == "derived:rate"
    recipe = json.loads(src["spec"].iloc[0])
    assert (recipe["numerator"], recipe["denominator"], recipe["scale"]) == (
        "cla",
        "pop",
        10_000,
    )
    meas = cla.query("SELECT * FROM measures WHERE measure = 'cla_rate'").iloc[0]
    assert meas["unit"] == "per 10,000" and meas["polarity"] == "higher-is-worse"
    assert "cla / pop" in meas["description"]
    assert meas["reference_date"] == "31 March"
    inputs = cla.query(
        f"SELECT role, input_measure, input_period, input_value FROM {INPUTS_TABLE} "
        "WHERE measure = 'cla_rate' AND la_code = ? AND period = '2024' "
        "AND level = 'authority' ORDER BY role",
        [HARTLEPOOL],
    )
    assert inputs.values.tolist() == [
        ["denominator", "pop", "2023", 22000.0],
        ["numerator", "cla", "2024", 330.0],
    ]


def test_totals_are_derived_from_published_totals(cla):
    d = derive_rate(cla, "cla", "pop", name="cla_rate")
    assert d.totals == 1
    row = cla.query(
        "SELECT value, check_result, source_column FROM totals "
        "WHERE measure = 'cla_rate'"
    ).iloc[0]
    assert row["value"] == pytest.approx(83630 / 12059476 * 1e4)
    assert row["check_result"] == "derived"
    assert row["source_column"] == "cla[2024] / pop[2023]"


def test_rederiving_replaces(cla):
    first = derive_rate(cla, "cla", "pop", name="cla_rate")
    second = derive_rate(cla, "cla", "pop", per=1000, name="cla_rate")
    n = cla.query("SELECT count(*) AS n FROM observations WHERE measure = 'cla_rate'")
    assert n["n"].iloc[0] == len(second.values)
    assert (
        cla.query(
            "SELECT count(*) AS n FROM sources WHERE source_id = ?", [first.source_id]
        )["n"].iloc[0]
        == 0
    )
    assert (
        cla.query(
            f"SELECT count(*) AS n FROM {INPUTS_TABLE} WHERE source_id = ?",
            [first.source_id],
        )["n"].iloc[0]
        == 0
    )


def test_will_not_overwrite_loaded_measure(cla):
    with pytest.raises(InputError, match="holds loaded"):
        derive_rate(cla, "cla", "pop", name="pop")


def test_unknown_measure_names_near_ones(cla):
    with pytest.raises(InputError, match="did you mean cla"):
        derive_rate(cla, "claa", "pop")


def test_population_band(cla):
    cla.con.execute("UPDATE measures SET measure = 'pop_0_17' WHERE measure = 'pop'")
    cla.con.execute(
        "UPDATE observation_cells SET measure = 'pop_0_17' WHERE measure = 'pop'"
    )
    assert population_measure(cla, "0-17") == "pop_0_17"
    d = derive_rate(cla, "cla", "0-17", name="r")
    assert d.recipe["denominator"] == "pop_0_17"


def test_breakdowns(store):
    _load(
        store,
        [
            (HARTLEPOOL, "n", "2024", 10, None, "age=0-4"),
            (HARTLEPOOL, "n", "2024", 20, None, "age=5-9"),
            (HARTLEPOOL, "p", "2024", 1000, None, "age=0-4"),
            (HARTLEPOOL, "p", "2024", 4000, None, "age=5-9"),
            (HARTLEPOOL, "p", "2024", 5000, None),
        ],
        [("n", None, "neutral", None), ("p", None, "neutral", None)],
    )
    # each breakdown over the total population
    d = derive_rate(store, "n", "p", per=100, name="r1")
    assert sorted(d.values["value"]) == [0.2, 0.4]
    # each breakdown over the same breakdown of the population
    d = derive_rate(store, "n", "p", per=100, name="r2", population_breakdown=None)
    assert sorted(d.values["value"]) == [0.5, 1.0]
    # one breakdown, named by a unique part of it, becomes the new measure's total
    d = derive_rate(store, "n", "p", per=100, name="r3", breakdown="5-9")
    assert d.values[["breakdown", "value"]].values.tolist() == [["", 0.4]]
    with pytest.raises(InputError, match="has no breakdown"):
        derive_rate(store, "n", "p", name="r4", breakdown="10-14")
    with pytest.raises(InputError, match="ambiguous"):
        derive_rate(store, "n", "p", name="r4", breakdown="age")


def test_per_head_normalises_thousands(store):
    _load(
        store,
        [
            (HARTLEPOOL, "spend", "2023-24", 5000, None),
            (HARTLEPOOL, "pop", "2023", 40000, None),
        ],
        [
            ("spend", "£ thousand", "neutral", "financial year"),
            ("pop", "persons", "neutral", "mid-year"),
        ],
    )
    d = derive_per_head(store, "spend", "pop", name="per_head")
    assert d.values["value"].tolist() == [125.0]
    assert any(i.kind == "unit-scaled" for i in d.issues)
    unit = store.query("SELECT unit FROM measures WHERE measure = 'per_head'")
    assert unit["unit"].iloc[0] == "£ per head"


def test_ratio_zero_base_prints_dash(store):
    _load(
        store,
        [
            (HARTLEPOOL, "pop", "2021", 90000, None),
            (HARTLEPOOL, "fte", "2021", 0, None),
            (MIDDLESBROUGH, "pop", "2021", 5000, None),
            (MIDDLESBROUGH, "fte", "2021", 2, None),
        ],
        [("pop", "persons", "neutral", "mid-year"), ("fte", "FTE", "neutral", None)],
    )
    d = derive_ratio(
        store, "pop", "fte", name="pop_per_fte", polarity="higher-is-worse"
    )
    got = _by(d.values)
    assert got[(MIDDLESBROUGH, "2021")] == (2500.0, None)
    assert got[(HARTLEPOOL, "2021")][1] == "base-zero"
    raw = store.query(
        "SELECT raw FROM observations WHERE measure = 'pop_per_fte' AND la_code = ?",
        [HARTLEPOOL],
    )["raw"].iloc[0]
    assert raw == "-" and printed(None, "base-zero") == "[z]"
    assert store.query(
        "SELECT polarity, unit FROM measures WHERE measure = 'pop_per_fte'"
    ).values.tolist() == [["higher-is-worse", "persons per FTE"]]


def test_recoded_authority_meets_its_former_code(store):
    # North Yorkshire: county council E10000023 until 31 March 2023, then unitary
    # E06000065 (same area, same DfE code 815). The 2024 count meets mid-2023
    # population filed under the old code.
    _load(
        store,
        [
            ("E06000065", "cla", "2024", 500, None),
            ("E10000023", "pop", "2023", 114929, None),
        ],
        [("cla", None, "neutral", "31 March"), ("pop", None, "neutral", "mid-year")],
    )
    d = derive_rate(store, "cla", "pop", name="r")
    assert d.values["value"].iloc[0] == pytest.approx(500 / 114929 * 1e4)
    assert any(i.kind == "lineage-matched" for i in d.issues)


def test_split_authority_does_not_inherit(store):
    # Northamptonshire (E10000021) split in 2021: North Northamptonshire (E06000061)
    # is not the county, so the county's population is not its population.
    _load(
        store,
        [
            ("E06000061", "cla", "2021", 500, None),
            ("E10000021", "pop", "2020", 170000, None),
        ],
        [("cla", None, "neutral", "31 March"), ("pop", None, "neutral", "mid-year")],
    )
    d = derive_rate(store, "cla", "pop", name="r")
    assert d.values["missing_reason"].tolist() == ["input-absent"]


def test_latest_load_wins(store):
    _load(
        store,
        [
            (HARTLEPOOL, "cla", "2024", 100, None),
            (HARTLEPOOL, "pop", "2023", 10000, None),
        ],
        [("cla", None, "neutral", "31 March"), ("pop", None, "neutral", "mid-year")],
    )
    sid = store.con.execute(
        "INSERT INTO sources (file, sha256) VALUES ('v2', 'y') RETURNING source_id"
    ).fetchall()[0][0]
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, value, "
        "source_id) VALUES (?, 'cla', '2024', 120, ?)",
        [HARTLEPOOL, sid],
    )
    d = derive_rate(store, "cla", "pop", name="r")
    assert d.values["value"].tolist() == [120.0]
    assert any(i.kind == "duplicate-values" for i in d.issues)


def test_summary_lines(cla):
    lines = derive_rate(cla, "cla", "pop", name="cla_rate").summary_lines()
    assert lines[0].startswith("derived cla_rate (rate): 2 values")
    assert "input-suppressed 1" in lines[1]
