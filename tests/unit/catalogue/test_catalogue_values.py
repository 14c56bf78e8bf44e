"""read_indicator and read_indicator_totals: one value per authority and period, the
preferred source first; the store's copy of the catalogue."""

from __future__ import annotations

import math

import pytest

from lacompare.catalogue import (
    read_catalogue,
    read_indicator,
    read_indicator_totals,
    refresh_catalogue,
)
from lacompare.store import open_store

LEICESTER, LEEDS, RUTLAND = "E06000016", "E08000035", "E06000017"


def put(store, rows):
    """Values (la_code, measure, period, value, missing_reason[, breakdown]),
    written as one load."""
    store.write_cells(
        [
            {
                "la_code": la,
                "measure": measure,
                "period": period,
                "breakdown": bd[0] if bd else "",
                "value": value,
                "missing_reason": reason,
            }
            for la, measure, period, value, reason, *bd in rows
        ],
        file="t.csv",
    )


def test_published_first_derived_fills_gaps(store):
    put(
        store,
        [
            (LEICESTER, "CPP_rate", "2024", 48.0, None),
            (LEICESTER, "cpp_rate_per_10000_derived", "2024", 48.03, None),
            (LEICESTER, "cpp_rate_per_10000_derived", "2015", 40.1, None),
            (LEEDS, "CPP_rate", "2024", 38.7, None),
        ],
    )
    got = read_indicator(store, "cpp_rate_per_10000").set_index(["la_code", "period"])
    # Both sources have 2024: the published one is used, the derived one is not.
    assert got.loc[(LEICESTER, "2024"), "value"] == 48.0
    assert got.loc[(LEICESTER, "2024"), "source_measure"] == "CPP_rate"
    assert bool(got.loc[(LEICESTER, "2024"), "published"]) is True
    # Only the derived source has 2015: it fills the gap, flagged.
    assert got.loc[(LEICESTER, "2015"), "value"] == 40.1
    assert bool(got.loc[(LEICESTER, "2015"), "published"]) is False
    assert len(got) == 3  # one value per authority and period


def test_a_suppressed_published_value_is_filled_but_a_lone_one_kept(store):
    put(
        store,
        [
            (LEICESTER, "CPP_rate", "2025", None, "suppressed"),
            (LEICESTER, "cpp_rate_per_10000_derived", "2025", 49.5, None),
            (LEEDS, "CPP_rate", "2025", None, "suppressed"),
        ],
    )
    got = read_indicator(store, "cpp_rate_per_10000").set_index("la_code")
    assert got.loc[LEICESTER, "value"] == 49.5
    # Nothing to fill Leeds's: the row stays, with its reason; never 0.
    assert math.isnan(got.loc[LEEDS, "value"])
    assert got.loc[LEEDS, "missing_reason"] == "suppressed"
    assert got.loc[LEEDS, "source_measure"] == "CPP_rate"


def test_breakdowns_and_filters(store):
    bd = "population_type=Children looked after on 31 March each year"
    put(
        store,
        [
            (LEICESTER, "rate_per_10000", "2025", 66.0, None, bd),
            (
                LEICESTER,
                "rate_per_10000",
                "2025",
                23.0,
                None,
                "population_type=Children starting to be looked after each year",
            ),
            (LEEDS, "rate_per_10000", "2025", 85.0, None, bd),
            (LEEDS, "rate_per_10000", "2024", 89.0, None, bd),
        ],
    )
    got = read_indicator(store, "cla_rate_per_10000", la_codes=[LEICESTER])
    assert got[["la_code", "period", "value"]].values.tolist() == [
        [LEICESTER, "2025", 66.0]
    ]
    assert got["source_measure"].item() == f"rate_per_10000[{bd}]"
    assert read_indicator(store, "cla_rate_per_10000", periods="2024")[
        "value"
    ].tolist() == [89.0]


def test_financial_years_spelt_three_ways_are_one_period(store):
    put(store, [(LEICESTER, "csc_expenditure_per_child", "2024/25", 1700.0, None)])
    got = read_indicator(store, "csc_spend_per_child", periods=["2024-25"])
    assert got["period"].tolist() == ["2024-25"]
    put(store, [(LEICESTER, "TotalLACFinance", "2024-25 (OT)", 6.1e7, None)])
    assert read_indicator(store, "s251_cla_gross")["period"].tolist() == ["2024-25"]


def test_empty_result_has_the_columns(store):
    from lacompare.catalogue import VALUE_COLUMNS

    assert list(read_indicator(store, "gdhi_per_head").columns) == VALUE_COLUMNS


def test_totals_published_first_computed_flagged(store):
    bd = "population_type=Children looked after on 31 March each year"
    put(
        store,
        [
            (LEICESTER, "rate_per_10000", "2025", 66.0, None, bd),
            (LEEDS, "rate_per_10000", "2025", 85.0, None, bd),
            (LEEDS, "rate_per_10000", "2024", 89.0, None, bd),
        ],
    )
    store.con.execute(
        "INSERT INTO totals (area_code, area_name, measure, period, breakdown, value, "
        "source_id, check_result) VALUES ('E92000001', 'England', 'rate_per_10000', "
        "'2025', ?, 67, 1, 'not-additive'), ('E92000001', 'England', "
        "'cla_rate_per_10000_derived', '2024', '', 69.3, 1, 'derived')",
        [bd],
    )
    got = read_indicator_totals(store, "cla_rate_per_10000")
    eng = got[got["area_code"] == "E92000001"].set_index("period")
    assert eng.loc["2025", "value"] == 67
    assert bool(eng.loc["2025", "published"]) and not eng.loc["2025", "computed"]
    # A total lacompare derived is used, but not as published.
    assert eng.loc["2024", "value"] == 69.3 and not eng.loc["2024", "published"]
    # No published region total: computed from its authorities and said so.
    east_mids = got[(got["area_code"] == "E12000004") & (got["period"] == "2025")]
    assert east_mids["value"].item() == 66.0
    assert bool(east_mids["computed"].item())
    assert east_mids["note"].item().startswith("computed: mean of 1 authorities")


def test_computed_totals_of_counts_are_sums(store):
    put(
        store,
        [
            (LEICESTER, "at31_episodes", "2025", 2109.0, None),
            (RUTLAND, "at31_episodes", "2025", 200.0, None),
        ],
    )
    got = read_indicator_totals(store, "cin_count")
    eng = got[got["area_code"] == "E92000001"]
    assert eng["value"].item() == 2309.0
    assert eng["note"].item().startswith("computed: sum of 2 authorities")


def test_refresh_fills_the_tables_and_curates_polarity(store):
    store.con.execute(
        "INSERT INTO measures (measure, polarity) VALUES "
        "('turnover_rate_fte', 'neutral'), ('percentage', 'neutral')"
    )
    put(
        store,
        [
            (LEICESTER, "turnover_rate_fte", "2025", 13.3, None),
            (
                LEICESTER,
                "percentage",
                "2024",
                32.0,
                None,
                "sw_stability=3 or more social workers during the year",
            ),
            (
                LEICESTER,
                "percentage",
                "2024",
                100.0,
                None,
                "sw_stability=Total children",
            ),
        ],
    )
    result = refresh_catalogue(store, force=True)
    assert result.refreshed
    assert (
        "turnover_rate_fte",
        "neutral",
        "higher-is-worse",
    ) in result.polarity_changes
    # 'percentage' has a breakdown the catalogue does not name: left alone.
    assert "percentage" in result.partial
    assert store.con.execute(
        "SELECT measure, polarity FROM measures ORDER BY 1"
    ).fetchall() == [
        ("percentage", "neutral"),
        ("turnover_rate_fte", "higher-is-worse"),
    ]
    assert store.con.execute("SELECT count(*) FROM indicators").fetchone()[0] == len(
        read_catalogue()
    )
    assert store.con.execute(
        "SELECT measure, published FROM indicator_sources WHERE indicator_id = "
        "'cla_rate_per_10000' ORDER BY rank DESC LIMIT 1"
    ).fetchall() == [("cla_rate_per_10000_derived", False)]
    assert any(
        "turnover_rate_fte (neutral -> higher-is-worse)" in line
        for line in result.summary_lines()
    )
    assert not refresh_catalogue(store).refreshed  # current: nothing to do


def test_opening_a_store_refreshes_its_copy(store):
    # The store fixture was just opened: the catalogue is there and current.
    assert store.con.execute("SELECT count(*) FROM indicators").fetchone()[0] == len(
        read_catalogue()
    )
    assert not refresh_catalogue(store).refreshed


def test_a_read_only_store_is_left_alone(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:  # as a store written before the catalogue
        store.con.execute("DELETE FROM indicators")
        store.con.execute("DELETE FROM meta WHERE key = 'catalogue_sha256'")
    with open_store(path, read_only=True) as store:
        assert not refresh_catalogue(store).refreshed
        assert store.con.execute("SELECT count(*) FROM indicators").fetchone()[0] == 0


@pytest.mark.parametrize("bad", ["cla_rate", "", "CLA rate"])
def test_unknown_indicator_is_one_line(store, bad):
    from lacompare.errors import InputError

    with pytest.raises(InputError, match="no indicator"):
        read_indicator(store, bad)
