"""Tests of association and difference: the same numbers as scipy/statsmodels, with n
and every authority left out accounted for."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from typer.testing import CliRunner

from lacompare.analysis.significance import (
    CI_METHODS,
    _row_ranks,
    adjust_p,
    correlate,
    correlation_matrix,
    kruskal,
    mann_whitney,
    pairwise_correlation,
    read_la_values,
    resolve_exclusions,
)
from lacompare.errors import InputError

TOL = {"rtol": 1e-9, "atol": 1e-12}


def current_codes(store, n=None):
    codes = [
        r[0]
        for r in store.con.execute(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL ORDER BY la_code"
        ).fetchall()
    ]
    return codes[:n] if n else codes


def put(store, rows):
    """Insert (la_code, measure, period, value, missing_reason[, label]) rows."""
    if not store.con.execute("SELECT count(*) FROM sources").fetchall()[0][0]:
        store.con.execute("INSERT INTO sources (file, sha256) VALUES ('t.csv', 'x')")
    frame = pd.DataFrame(
        [(*r, None)[:6] if len(r) == 5 else r for r in rows],
        columns=["la_code", "measure", "period", "value", "missing_reason", "label"],
    )
    frame["value"] = frame["value"].astype(float)
    frame = frame.astype(dict.fromkeys(("missing_reason", "label"), object))
    store.con.register("_t", frame)
    store.con.execute(
        "INSERT INTO observation_cells (la_code, measure, period, value, "
        "missing_reason, "
        "label, source_id) SELECT la_code, measure, period, value, missing_reason, "
        "label, 1 FROM _t"
    )
    store.con.unregister("_t")


@pytest.fixture
def data(store):
    """All 153 current authorities: x, y (related, with ties), z; some gaps."""
    rng = np.random.default_rng(7)
    codes = current_codes(store)
    n = len(codes)
    x = rng.normal(50, 10, n).round(0)  # rounded: ties
    y = 0.6 * x + rng.normal(0, 8, n)
    rows = []
    for period, shift in (("2022", -1.0), ("2023", 0.0), ("2024", 1.0)):
        rows += [
            (c, "x", period, v + shift, None) for c, v in zip(codes, x, strict=True)
        ]
        rows += [
            (c, "y", period, v * (1 + shift / 10), None)
            for c, v in zip(codes, y, strict=True)
        ]
    rows = [r for r in rows if not (r[0] == "E06000053" and r[1] == "y")]  # Scilly
    # City of London suppressed in x.
    rows = [
        (*r[:3], None, "suppressed") if r[0] == "E09000001" and r[1] == "x" else r
        for r in rows
    ]
    put(store, rows)
    return store


def paired(store, x="x", y="y", period="2024", drop=()):
    v = read_la_values(store, [x, y], period=period).values.dropna()
    v = v[~v.index.isin(drop)]
    return v[x].to_numpy(), v[y].to_numpy(), v


# ----------------------------------------------------------------- correlate


@pytest.mark.parametrize(
    "method,func",
    [
        ("spearman", stats.spearmanr),
        ("pearson", stats.pearsonr),
        ("kendall", stats.kendalltau),
    ],
)
def test_correlate_matches_scipy(data, method, func):
    res = correlate(data, "x", "y", method, period="2024")
    x, y, _ = paired(data)
    ref = func(x, y)
    assert res.n == len(x) == 151
    np.testing.assert_allclose(res.r, ref.statistic, **TOL)
    np.testing.assert_allclose(res.p, ref.pvalue, **TOL)
    assert res.ci_method == CI_METHODS[method]
    assert res.ci_low < res.r < res.ci_high
    assert (
        res.statistic_name
        == {"spearman": "r_s", "pearson": "r", "kendall": "tau_b"}[method]
    )


def test_correlate_says_who_was_left_out_and_why(data):
    res = correlate(data, "x", "y", period="2024")
    why = dict(zip(res.excluded["la_name"], res.excluded["reason"], strict=True))
    assert why == {
        "City of London": "no value for x (suppressed)",
        "Isles of Scilly": "no value for y (no row in the store)",
    }
    assert list(res.excluded.columns) == ["la_code", "la_name", "reason"]
    assert len(res.data) == res.n
    row = res.to_frame().iloc[0]
    assert (
        row["excluded_n"] == 2 and "City of London (no value for x" in row["excluded"]
    )
    assert res.describe().startswith("Spearman r_s = ")


def test_pearson_ci_is_scipys_fisher_interval(data):
    res = correlate(data, "x", "y", "pearson", period="2024", confidence=0.9)
    x, y, _ = paired(data)
    ci = stats.pearsonr(x, y).confidence_interval(confidence_level=0.9)
    np.testing.assert_allclose([res.ci_low, res.ci_high], [ci.low, ci.high], **TOL)


@pytest.mark.parametrize(
    "method,se",
    [
        ("spearman", lambda r, n: math.sqrt((1 + r * r / 2) / (n - 3))),
        ("kendall", lambda r, n: math.sqrt(0.437 / (n - 4))),
    ],
)
def test_rank_correlation_ci_formula(data, method, se):
    res = correlate(data, "x", "y", method, period="2024")
    z, crit = math.atanh(res.r), stats.norm.ppf(0.975)
    expected = (
        math.tanh(z - crit * se(res.r, res.n)),
        math.tanh(z + crit * se(res.r, res.n)),
    )
    np.testing.assert_allclose([res.ci_low, res.ci_high], expected, **TOL)


def test_exclude_region_as_002_did_without_london(data):
    full = correlate(data, "x", "y", period="2024")
    res = correlate(data, "x", "y", period="2024", exclude=["region:London"])
    london = set(
        data.query(
            "SELECT la_code FROM authorities WHERE region = "
            "'London' AND valid_to IS NULL"
        )["la_code"]
    )
    assert res.n == full.n - (len(london) - 1)  # City of London had no x anyway
    reasons = res.excluded.set_index("la_code")["reason"]
    assert set(reasons[reasons == "excluded by user: region:London"].index) == london
    x, y, _ = paired(data, drop=london)
    np.testing.assert_allclose(res.r, stats.spearmanr(x, y).statistic, **TOL)


def test_exclude_by_name_code_dfe_code_and_group(store):
    ex = resolve_exclusions(
        store,
        [
            "Isles of Scilly",
            "E06000001",
            "806",
            "london_region:Inner London",
            "LA_TYPE:Shire county",
        ],
    )
    codes = set(ex["la_code"])
    assert {"E06000053", "E06000001", "E06000002", "E09000001"} <= codes
    county = store.query(
        "SELECT la_code FROM authorities WHERE la_type = 'shire county'"
    )["la_code"]
    assert set(county) <= codes
    assert resolve_exclusions(store, None).empty
    # Bare names as `lacompare summary --exclude` takes them: every Dorset; regions.
    dorset = resolve_exclusions(store, "Dorset")["la_code"].tolist()
    assert dorset == ["E06000059", "E10000009"]
    inner = resolve_exclusions(store, ["Inner London"])
    assert set(inner["la_code"]) == set(
        resolve_exclusions(store, "london_region:inner london")["la_code"]
    )
    assert len(resolve_exclusions(store, "London")) == 33
    assert resolve_exclusions(store, "St Helens")["la_code"].tolist() == ["E08000013"]


@pytest.mark.parametrize(
    "bad,msg",
    [("region:Londn", "no authority has region"), ("Atlantis", "not an authority")],
)
def test_exclude_typos_are_errors(store, bad, msg):
    with pytest.raises(InputError, match=msg):
        resolve_exclusions(store, [bad])


def test_periods_single_range_list_latest_and_per_measure(data):
    codes = current_codes(data, 3)
    one = read_la_values(data, ["x"], period="2024").values.loc[codes, "x"]
    rng = read_la_values(data, ["x"], period="2022:2023").values.loc[codes, "x"]
    lst = read_la_values(data, ["x"], period=["2022", "2024"]).values.loc[codes, "x"]
    latest = read_la_values(data, ["x"]).values.loc[codes, "x"]
    np.testing.assert_allclose(rng, one - 1.5)
    np.testing.assert_allclose(lst, one - 1.0)
    np.testing.assert_allclose(latest, one)
    both = read_la_values(data, ["x", "y"], period={"x": "2022", "y": "2024"})
    assert both.periods == {"x": ["2022"], "y": ["2024"]}
    res = correlate(data, "x", "y", period={"x": "2022", "y": "2024"})
    assert res.to_frame()["x_periods"].iloc[0] == "2022"


def test_period_and_measure_errors_help(data):
    with pytest.raises(InputError, match="its periods: 2022, 2023, 2024"):
        correlate(data, "x", "y", period="2030")
    with pytest.raises(InputError, match="did you mean x"):
        correlate(data, "xx", "y")
    with pytest.raises(InputError, match="method"):
        correlate(data, "x", "y", "tau")
    with pytest.raises(InputError, match="YEAR:YEAR"):
        correlate(data, "x", "y", period="a:b")


def test_a_missing_value_is_never_zero(store):
    codes = current_codes(store, 6)
    put(
        store,
        [(c, "a", "2024", float(i), None) for i, c in enumerate(codes)]
        + [(c, "b", "2024", float(i % 3), None) for i, c in enumerate(codes[:5])]
        + [(codes[5], "b", "2024", None, "not applicable")],
    )
    res = correlate(store, "a", "b")
    assert res.n == 5
    why = res.excluded.set_index("la_code")["reason"]
    assert why[codes[5]] == "no value for b (not applicable)"
    # Every other authority of 31 March 2024 is listed too: it has no data.
    assert len(why) == 153 - 5
    assert (why.drop(codes[5]) == "no data in the store for a or b").all()


# ----------------------------------------------------------- correlation matrix


def messy_frame(n=153, m=40, seed=3, missing=0.08):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 1))
    x = base + rng.normal(size=(n, m)) * rng.uniform(0.3, 3, m)
    x[:, ::3] = np.round(x[:, ::3] * 2)  # ties
    x[:, 1] = x[:, 1] * 1e6 + 5e7  # big values (pounds)
    x[rng.random((n, m)) < missing] = np.nan
    x[:, 2] = np.nan
    x[:5, 2] = [1, 2, 3, 4, 5]  # a column with 5 values
    x[:, 4] = x[:, 5]  # identical columns with the same gaps
    x[:, 6] = 1.0  # constant
    return pd.DataFrame(x, columns=[f"m{i}" for i in range(m)])


@pytest.mark.parametrize(
    "method,func", [("spearman", stats.spearmanr), ("pearson", stats.pearsonr)]
)
def test_matrix_matches_scipy_pair_by_pair_with_nans_pairwise(method, func):
    frame = messy_frame()
    res = pairwise_correlation(frame, method)
    vals = frame.to_numpy()
    m = vals.shape[1]
    for i in range(m):
        for j in range(i + 1, m):
            ok = ~np.isnan(vals[:, i]) & ~np.isnan(vals[:, j])
            assert res.n.iat[i, j] == ok.sum()
            if ok.sum() < 3 or np.ptp(vals[ok, i]) == 0 or np.ptp(vals[ok, j]) == 0:
                assert np.isnan(res.r.iat[i, j])
                continue
            ref = func(vals[ok, i], vals[ok, j])
            np.testing.assert_allclose(res.r.iat[i, j], ref.statistic, **TOL)
            np.testing.assert_allclose(
                res.p.iat[i, j], ref.pvalue, rtol=1e-9, atol=1e-15
            )
    assert np.allclose(res.r.to_numpy(), res.r.to_numpy().T, equal_nan=True)


def test_matrix_when_the_same_few_authorities_are_missing_everywhere():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(153, 60))
    x[:, :20] = np.round(x[:, :20])
    x[:3, :40] = np.nan  # City of London, Scilly... suppressed in most measures
    x[3, ::7] = np.nan
    x[:150, 59] = np.nan  # only three values: no pair reaches min_n with many
    res = pairwise_correlation(pd.DataFrame(x), "spearman")
    for i in range(60):
        for j in range(i + 1, 60):
            ok = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            if ok.sum() < 3:
                assert np.isnan(res.r.iat[i, j])
                continue
            ref = stats.spearmanr(x[ok, i], x[ok, j])
            np.testing.assert_allclose(res.r.iat[i, j], ref.statistic, **TOL)
            np.testing.assert_allclose(
                res.p.iat[i, j], ref.pvalue, rtol=1e-9, atol=1e-15
            )


def test_matrix_of_450_measures_is_exact():
    # Its speed is measured in bench/analysis.py.
    frame = messy_frame(m=450, seed=11, missing=0.03)
    res = pairwise_correlation(frame, "spearman")
    rng = np.random.default_rng(0)
    vals = frame.to_numpy()
    for i, j in rng.choice(450, size=(200, 2)):
        if i == j or i in (2, 6) or j in (2, 6):
            continue
        ok = ~np.isnan(vals[:, i]) & ~np.isnan(vals[:, j])
        ref = stats.spearmanr(vals[ok, i], vals[ok, j])
        np.testing.assert_allclose(res.r.iat[i, j], ref.statistic, **TOL)


def test_matrix_from_store_long_form_and_adjusted_p(data):
    res = correlation_matrix(data, ["x", "y"], period="2024", exclude="Isles of Scilly")
    long = res.long(adjust="holm")
    assert long[["x", "y", "n"]].values.tolist() == [["x", "y", 151]]
    x, y, _ = paired(data)
    np.testing.assert_allclose(
        long["r"].iloc[0], stats.spearmanr(x, y).statistic, **TOL
    )
    assert long["p_holm"].iloc[0] == pytest.approx(long["p"].iloc[0])
    assert res.excluded["la_name"].tolist() == ["Isles of Scilly"]
    assert res.missing.to_dict("records") == [
        {"la_code": "E09000001", "measure": "x", "reason": "suppressed"}
    ]
    with pytest.raises(InputError, match="Kendall"):
        correlation_matrix(data, ["x", "y"], "kendall")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(-3, 3) | st.just(99), min_size=6, max_size=6),
        min_size=1,
        max_size=8,
    )
)
def test_row_ranks_equal_scipy_rankdata(rows):
    a = np.array(rows, dtype=float)
    a[a == 99] = np.inf
    np.testing.assert_array_equal(_row_ranks(a), stats.rankdata(a, axis=1))


# ---------------------------------------------------------------- adjust_p


@pytest.mark.parametrize(
    "method,sm",
    [
        ("holm", "holm"),
        ("bh", "fdr_bh"),
        ("bonferroni", "bonferroni"),
        ("by", "fdr_by"),
    ],
)
def test_adjust_p_is_statsmodels(method, sm):
    p = np.random.default_rng(1).uniform(0, 0.2, 30)
    np.testing.assert_allclose(
        adjust_p(p, method), multipletests(p, method=sm)[1], **TOL
    )


def test_adjust_p_keeps_nan_and_series_index():
    s = pd.Series([0.01, np.nan, 0.03], index=["a", "b", "c"])
    out = adjust_p(s, "holm")
    assert list(out.index) == ["a", "b", "c"] and np.isnan(out["b"])
    np.testing.assert_allclose(
        out[["a", "c"]], multipletests([0.01, 0.03], method="holm")[1]
    )
    with pytest.raises(InputError):
        adjust_p([0.1], "fisher")


# ----------------------------------------------------------- difference tests


def test_mann_whitney_london_against_the_rest(data):
    res = mann_whitney(data, "y", "region:London", period="2024")
    v = read_la_values(data, ["y"], period="2024").values["y"].dropna()
    regions = data.query("SELECT la_code, region FROM authorities").set_index(
        "la_code"
    )["region"]
    inside = regions.reindex(v.index) == "London"
    ref = stats.mannwhitneyu(v[inside], v[~inside])
    assert res.groups == ("London", "not London")
    assert (res.n1, res.n2) == (inside.sum(), (~inside).sum())
    np.testing.assert_allclose([res.u, res.p], [ref.statistic, ref.pvalue], **TOL)
    assert res.rank_biserial == pytest.approx(2 * res.u / (res.n1 * res.n2) - 1)
    assert res.excluded["la_name"].tolist() == ["Isles of Scilly"]
    assert res.to_frame()["n"].iloc[0] == res.n == 152


def test_mann_whitney_two_named_groups_of_a_column(data):
    res = mann_whitney(
        data,
        "y",
        "London_Region",
        groups=["outer london", "Inner London"],
        period="2024",
    )
    assert res.groups == ("Outer London", "Inner London")
    left = res.excluded.set_index("la_name")["reason"]
    assert left["Leeds"] == "in group Yorkshire and The Humber, not compared"
    with pytest.raises(InputError, match="name two"):
        mann_whitney(data, "y", "region", period="2024")


def test_mann_whitney_by_a_yes_no_measure(store):
    codes = current_codes(store, 12)
    put(
        store,
        [(c, "v", "2024", float(i), None) for i, c in enumerate(codes)]
        + [
            (c, "funded", "2016", None, None, "Yes" if i % 2 else "No")
            for i, c in enumerate(codes[:11])
        ],
    )
    res = mann_whitney(store, "v", "funded")
    assert res.groups == ("Yes", "No") and (res.n1, res.n2) == (5, 6)
    ref = stats.mannwhitneyu([1, 3, 5, 7, 9], [0, 2, 4, 6, 8, 10])
    assert (res.u, res.p) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue))
    why = res.excluded.set_index("la_code")["reason"]
    assert why[codes[11]].startswith("no value for funded (no row")


def test_mann_whitney_by_a_0_1_measure(store):
    codes = current_codes(store, 8)
    put(
        store,
        [(c, "v", "2024", float(i), None) for i, c in enumerate(codes)]
        + [(c, "flag", "2024", float(i >= 4), None) for i, c in enumerate(codes)],
    )
    res = mann_whitney(store, "v", "flag")
    assert res.groups == ("1", "0") and res.rank_biserial == 1.0


def test_kruskal_by_region_matches_scipy(data):
    res = kruskal(data, "y", by="region", period="2024")
    v = read_la_values(data, ["y"], period="2024").values["y"].dropna()
    regions = (
        data.query("SELECT la_code, region FROM authorities")
        .set_index("la_code")["region"]
        .reindex(v.index)
    )
    names = sorted(regions.unique())
    ref = stats.kruskal(*[v[regions == g] for g in names])
    np.testing.assert_allclose([res.h, res.p], [ref.statistic, ref.pvalue], **TOL)
    assert res.df == 8 and res.n == 152
    assert res.epsilon_squared == pytest.approx(res.h / (res.n - 1))
    assert sorted(res.groups["group"]) == names
    assert res.groups["group"].tolist()[:2] == ["North East", "North West"]
    assert res.groups["n"].sum() == res.n


def test_kruskal_by_london_split_with_exclusion(data):
    res = kruskal(
        data, "y", by="london_region", period="2024", exclude=["region:South West"]
    )
    assert "Inner London" in set(res.groups["group"])
    assert "South West" not in set(res.groups["group"])
    assert (res.excluded["reason"] != "").all()


# ------------------------------------------------------------------ CLI


@pytest.fixture
def db(tmp_path):
    from lacompare.store import open_store

    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        codes = current_codes(store)
        rng = np.random.default_rng(2)
        x = rng.normal(size=len(codes))
        y = 2 * x + rng.normal(size=len(codes))
        z = rng.normal(size=len(codes))
        put(
            store,
            [
                (c, m, "2024", v, None)
                for m, vals in (("x", x), ("y", y), ("z", z))
                for c, v in zip(codes, vals, strict=True)
            ],
        )
    return path


def invoke(*args):
    from lacompare.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    return result


def test_cli_correlate_table_and_csv(db):
    out = invoke("correlate", "x", "y", "--exclude", "region:London", "--db", db)
    assert out.exit_code == 0, out.output
    assert (
        "Spearman r_s" in out.output and "excluded by user: region:London" in out.output
    )
    out = invoke(
        "correlate", "x", "y", "--method", "pearson", "--format", "csv", "--db", db
    )
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0].startswith("x,y,method,statistic,r,p,n,")


def test_cli_correlate_many_measures_gives_pairs(db, tmp_path):
    target = tmp_path / "pairs.csv"
    out = invoke(
        "correlate", "x,y", "z", "--adjust", "holm", "--out", target, "--db", db
    )
    assert out.exit_code == 0, out.output
    pairs = pd.read_csv(target)
    assert pairs[["x", "y"]].values.tolist() == [["x", "y"], ["x", "z"], ["y", "z"]]
    assert "p_holm" in pairs.columns


def test_cli_tests(db):
    out = invoke("test", "mann-whitney", "x", "--group-by", "region:London", "--db", db)
    assert out.exit_code == 0, out.output
    assert "Mann-Whitney U" in out.output and "rank-biserial" in out.output
    out = invoke(
        "test", "kruskal", "x", "--by", "region", "--format", "csv", "--db", db
    )
    assert out.exit_code == 0, out.output
    assert out.output.startswith("measure,by,h,df,p,n,epsilon_squared")


def test_cli_errors_are_one_line(db):
    out = invoke("correlate", "x", "nope", "--db", db)
    assert out.exit_code == 1
    assert out.output.strip().startswith("error:") and "Traceback" not in out.output
    out = invoke("correlate", "x", "y", "--exclude", "Atlantis", "--db", db)
    assert out.exit_code == 1 and "Atlantis" in out.output


@pytest.mark.parametrize(
    "command", [["correlate"], ["test", "mann-whitney"], ["test", "kruskal"]]
)
def test_cli_help_has_an_example(command):
    out = invoke(*command, "--help")
    assert out.exit_code == 0
    assert "Example: lacompare " + " ".join(command) in " ".join(out.output.split())
