"""Year-on-year change and window figures (average change, slope, CAGR) agree with
numpy/scipy to 1e-9 and keep the reasons values are missing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lacompare.derive import derive_change, derive_window, window_values
from lacompare.derive._dates import decimal_year, reference_day
from lacompare.errors import InputError

A, B, C, D = "E06000001", "E06000002", "E06000003", "E06000004"
SERIES = {
    A: {"2013": 60.0, "2014": 66.0, "2015": 63.0, "2016": 70.0, "2017": 72.5},
    B: {"2013": 0.0, "2014": 5.0, "2015": None, "2016": 8.0, "2017": 6.0},
    C: {"2015": None, "2016": None},
    D: {"2012": 40.0, "2013": 44.0, "2017": 30.0},
}


@pytest.fixture
def series(store):
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    store.con.execute(
        "INSERT INTO measures (measure, unit, polarity, reference_date)"
        " VALUES ('rate', 'per 10,000', 'higher-is-worse', '31 March')"
    )
    for la, values in SERIES.items():
        for period, value in values.items():
            store.con.execute(
                "INSERT INTO observation_cells (la_code, measure, period, value, "
                "missing_reason, source_id) VALUES (?, 'rate', ?, ?, ?, 1)",
                [la, period, value, None if value is not None else "suppressed"],
            )
    return store


def _got(frame):
    return {
        (r.la_code, r.period): (r.value, r.missing_reason) for r in frame.itertuples()
    }


def test_difference(series):
    got = _got(derive_change(series, "rate").values)
    assert got[(A, "2014")] == (6.0, None)
    assert got[(A, "2017")] == (2.5, None)
    assert got[(A, "2013")][1] == "input-absent"  # first year
    assert got[(B, "2015")][1] == "input-suppressed"  # this year suppressed
    assert got[(B, "2016")][1] == "input-suppressed"  # last year suppressed
    assert got[(D, "2017")][1] == "input-absent"  # no 2016 value: a gap
    unit = series.query(
        "SELECT unit, polarity FROM measures WHERE measure = 'rate_yoy_diff'"
    ).values.tolist()
    assert unit == [["per 10,000", "higher-is-worse"]]


def test_percent_change_from_zero_is_a_dash(series):
    d = derive_change(series, "rate", how="percent")
    got = _got(d.values)
    assert got[(A, "2014")][0] == pytest.approx(10.0, abs=1e-12)
    assert math.isnan(got[(B, "2014")][0]) and got[(B, "2014")][1] == "base-zero"
    raw = series.query(
        "SELECT raw FROM observations WHERE measure = 'rate_yoy_pct' "
        "AND la_code = ? AND period = '2014'",
        [B],
    )["raw"].iloc[0]
    assert raw == "-"
    with pytest.raises(InputError, match="how must be one of"):
        derive_change(series, "rate", how="ratio")


def _expected(la, how, window=("2013", "2017")):
    lo, hi = (reference_day(p, "31 March") for p in window)
    pts = sorted(
        (reference_day(p, "31 March"), v)
        for p, v in SERIES[la].items()
        if v is not None and lo <= reference_day(p, "31 March") <= hi
    )
    t = np.array([decimal_year(d) for d, _ in pts])
    v = np.array([x for _, x in pts])
    if how == "mean":
        return v.mean()
    if how == "latest":
        return v[-1]
    if how == "slope":
        return stats.linregress(t, v).slope
    if how == "cagr":
        return 100 * ((v[-1] / v[0]) ** (1 / (t[-1] - t[0])) - 1)
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["mean", "latest", "slope", "cagr"])
def test_window_statistics_agree_with_numpy_and_scipy(series, how):
    got = window_values(series, "rate", "2013:2017", how=how).set_index("la_code")
    assert got.loc[A, "value"] == pytest.approx(_expected(A, how), rel=1e-9, abs=1e-9)
    assert got.loc[A, "n_values"] == 5 and got.loc[A, "n_periods"] == 5
    if how in ("mean", "latest", "slope"):
        assert got.loc[B, "value"] == pytest.approx(_expected(B, how), rel=1e-9)
    assert got.loc[C, "missing_reason"] == "input-suppressed"
    assert math.isnan(got.loc[C, "value"])


def test_average_change_is_mean_of_year_on_year_differences(series):
    got = window_values(series, "rate", "2013:2017", how="change").set_index("la_code")
    assert got.loc[A, "value"] == pytest.approx(
        np.mean(np.diff([60, 66, 63, 70, 72.5])), rel=1e-12
    )
    # with every year present it is (last - first) / years
    assert got.loc[A, "value"] == pytest.approx((72.5 - 60) / 4, rel=1e-12)
    # B: 2015 suppressed, so only 2013→14 and 2016→17 are year-on-year pairs
    assert got.loc[B, "value"] == pytest.approx(np.mean([5 - 0, 6 - 8]), rel=1e-12)
    # D: 2013 and 2017 only: no consecutive years in the window
    assert got.loc[D, "missing_reason"] == "too-few-periods"


def test_cagr_from_zero_is_base_zero(series):
    got = window_values(series, "rate", "2013:2017", how="cagr").set_index("la_code")
    assert got.loc[B, "missing_reason"] == "base-zero"


def test_window_bounds_and_min_periods(series):
    got = window_values(series, "rate", "2012:2013", how="mean").set_index("la_code")
    assert got.loc[D, "value"] == 42.0 and got.loc[D, "n_values"] == 2
    got = window_values(
        series, "rate", "2013:2017", how="mean", min_periods=3
    ).set_index("la_code")
    assert got.loc[D, "missing_reason"] == "too-few-periods"
    pooled = window_values(series, "rate", ["2016", "2017"], how="pooled")
    assert len(pooled) == 6 and set(pooled["period"]) == {"2016", "2017"}


def test_derive_window_stores_under_the_window(series):
    d = derive_window(series, "rate", "2013:2017", how="change", name="avg_change")
    stored = series.query(
        "SELECT la_code, period, value, missing_reason FROM "
        "observations WHERE measure = 'avg_change' ORDER BY 1"
    )
    assert set(stored["period"]) == {"2013:2017"}
    assert stored.set_index("la_code").loc[A, "value"] == pytest.approx(3.125)
    assert d.recipe["recipe"] == "window-change"
    label = series.query(
        "SELECT label, unit FROM measures WHERE measure = 'avg_change'"
    ).iloc[0]
    assert "average year-on-year change 2013:2017" in label["label"]
    with pytest.raises(InputError, match="nothing to store"):
        derive_window(series, "rate", "2013:2017", how="pooled")


def test_recoded_authority_is_one_lineage(store):
    # Buckinghamshire: county E10000002 to 31 March 2020, unitary E06000060 after.
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    store.con.execute("INSERT INTO measures (measure) VALUES ('m')")
    for la, period, value in (
        ("E10000002", "2019", 10.0),
        ("E10000002", "2020", 12.0),
        ("E06000060", "2021", 15.0),
    ):
        store.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, "
            "value, "
            "source_id) VALUES (?, 'm', ?, ?, 1)",
            [la, period, value],
        )
    got = window_values(store, "m", "2019:2021", how="change")
    assert got[["la_code", "value", "n_values"]].values.tolist() == [
        ["E06000060", 2.5, 3]
    ]
    yoy = {r.period: r.value for r in derive_change(store, "m").values.itertuples()}
    assert yoy["2021"] == 3.0
