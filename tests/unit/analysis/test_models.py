"""Models: OLS, panel fixed effects and the expected-spend model, against statsmodels.

Fixtures are built stores: ~150 real authority codes with values drawn from a known
linear model plus noise (seeded), so the fits must recover the coefficients and
agree with statsmodels run by hand on the same frame to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from typer.testing import CliRunner

from lacompare.analysis.models import (
    SPEND_FACTORS,
    find_spend_factors,
    fit_panel,
    fit_regression,
    model_spend,
    parse_years,
    quintiles,
)
from lacompare.errors import InputError
from lacompare.geography import read_authorities
from lacompare.store import open_store

TRUE = {"const": 800.0, "idaci": 3000.0, "pop": -0.002}
NOISE = 40.0


def current_codes(n: int = 150) -> list[str]:
    reg = read_authorities()
    codes = reg.loc[reg["valid_to"].astype(str).str.len() == 0, "la_code"]
    return sorted(codes)[:n]


def insert(store, rows: pd.DataFrame) -> None:
    """Observations (la_code, measure, period, value[, breakdown, missing_reason])."""
    rows = rows.copy()
    for col, default in (("breakdown", ""), ("missing_reason", None)):
        if col not in rows:
            rows[col] = default
    if not store.con.execute("SELECT count(*) FROM sources").fetchall()[0][0]:
        sql(store, "INSERT INTO sources (file, sha256) VALUES ('built', 'x')")
    store.con.register("_rows", rows)
    sql(
        store,
        """INSERT INTO observation_cells (la_code, measure, period, breakdown, value,
                                     missing_reason, source_id)
           SELECT la_code, measure, period, breakdown, value, missing_reason, 1
           FROM _rows""",
    )
    store.con.unregister("_rows")


def sql(store, query: str, params: list | None = None) -> None:
    """Run a statement to completion (DuckDB keeps a DML result open until read)."""
    store.con.execute(query, params or []).fetchall()


def cross_section(seed: int = 0, n: int = 150) -> pd.DataFrame:
    """Wide frame: la_code, idaci, pop, spend from the known model."""
    rng = np.random.default_rng(seed)
    codes = current_codes(n)
    idaci = rng.uniform(0.05, 0.35, len(codes))
    pop = rng.lognormal(np.log(60000), 0.5, len(codes))
    spend = (
        TRUE["const"]
        + TRUE["idaci"] * idaci
        + TRUE["pop"] * pop
        + rng.normal(0, NOISE, len(codes))
    )
    return pd.DataFrame({"la_code": codes, "idaci": idaci, "pop": pop, "spend": spend})


def long_rows(wide: pd.DataFrame, periods: dict[str, str]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "la_code": wide["la_code"],
                    "measure": m,
                    "period": p,
                    "value": wide[m],
                }
            )
            for m, p in periods.items()
        ],
        ignore_index=True,
    )


@pytest.fixture
def built(store):
    wide = cross_section()
    insert(store, long_rows(wide, {"spend": "2024-25", "idaci": "2019", "pop": "2023"}))
    return store, wide


def statsmodels_fit(frame: pd.DataFrame, y: str, xs: list[str], cov: str = "HC3"):
    exog = sm.add_constant(frame[xs])
    return sm.OLS(frame[y], exog).fit(cov_type=cov, use_t=True)


# ------------------------------------------------------------------ fit_regression


def test_regression_recovers_the_coefficients(built):
    store, _ = built
    r = fit_regression(store, "spend", ["idaci", "pop"])
    coef = r.coefficients.set_index("term")["coef"]
    se = r.coefficients.set_index("term")["se"]
    assert r.n == 150 and r.excluded.empty
    for term, key in (("Intercept", "const"), ("idaci", "idaci"), ("pop", "pop")):
        assert abs(coef[term] - TRUE[key]) < 4 * se[term]
    assert r.r2 > 0.9


def test_regression_equals_statsmodels_on_the_same_frame(built):
    store, wide = built
    r = fit_regression(store, "spend", ["idaci", "pop"])
    ref = statsmodels_fit(wide, "spend", ["idaci", "pop"])
    coef = r.coefficients
    np.testing.assert_allclose(coef["coef"], ref.params, rtol=1e-9)
    np.testing.assert_allclose(coef["se"], ref.bse, rtol=1e-9)
    np.testing.assert_allclose(coef["p"], ref.pvalues, rtol=1e-9)
    np.testing.assert_allclose(
        coef[["ci_lower", "ci_upper"]], ref.conf_int(), rtol=1e-9
    )
    assert r.r2 == pytest.approx(ref.rsquared, abs=1e-12)
    assert r.r2_adj == pytest.approx(ref.rsquared_adj, abs=1e-12)
    assert r.aic == pytest.approx(ref.aic, rel=1e-12)
    assert r.cov_type == "HC3"


def test_standardised_coefficients_are_the_fit_on_z_scores(built):
    store, wide = built
    r = fit_regression(store, "spend", ["idaci", "pop"])
    z = (
        wide[["spend", "idaci", "pop"]] - wide[["spend", "idaci", "pop"]].mean()
    ) / wide[["spend", "idaci", "pop"]].std(ddof=1)
    ref = sm.OLS(z["spend"], sm.add_constant(z[["idaci", "pop"]])).fit()
    np.testing.assert_allclose(
        r.coefficients["beta"].iloc[1:], ref.params[["idaci", "pop"]], rtol=1e-9
    )
    assert np.isnan(r.coefficients["beta"].iloc[0])


def test_nonrobust_and_vif(built):
    store, wide = built
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    r = fit_regression(store, "spend", ["idaci", "pop"], robust=None)
    ref = sm.OLS(wide["spend"], sm.add_constant(wide[["idaci", "pop"]])).fit()
    np.testing.assert_allclose(r.coefficients["se"], ref.bse, rtol=1e-9)
    exog = sm.add_constant(wide[["idaci", "pop"]]).to_numpy()
    assert r.coefficients["vif"].iloc[1] == pytest.approx(
        variance_inflation_factor(exog, 1), rel=1e-12
    )
    with pytest.raises(InputError, match="robust must be one of"):
        fit_regression(store, "spend", ["idaci"], robust="HC9")


def test_log_transform_and_values_that_cannot_be_logged(built):
    store, wide = built
    bad = wide["la_code"].iloc[3]
    sql(
        store,
        "UPDATE observation_cells SET value = 0 WHERE measure = 'pop' AND la_code = ?",
        [bad],
    )
    r = fit_regression(store, "spend", ["idaci", "pop"], log=["pop"])
    kept = wide[wide["la_code"] != bad].assign(log_pop=lambda d: np.log(d["pop"]))
    ref = statsmodels_fit(kept, "spend", ["idaci", "log_pop"])
    np.testing.assert_allclose(r.coefficients["coef"], ref.params, rtol=1e-9)
    assert r.coefficients["term"].tolist() == ["Intercept", "idaci", "log(pop)"]
    assert r.coefficients["transform"].tolist() == ["", "", "log"]
    assert r.excluded["la_code"].tolist() == [bad]
    assert "pop: value ≤ 0, cannot take the log" in r.excluded["reason"].iloc[0]
    # The data keep the values as stored, not their logs.
    assert r.data["pop"].iloc[0] == pytest.approx(kept["pop"].iloc[0])
    with pytest.raises(InputError, match="not a variable"):
        fit_regression(store, "spend", ["idaci"], log=["pop"])


def test_excluded_authorities_are_listed_with_why(built):
    store, wide = built
    codes = wide["la_code"].tolist()
    suppressed, no_row, conflict = codes[0], codes[1], codes[2]
    sql(
        store,
        "UPDATE observation_cells SET value = NULL, missing_reason = "
        "'suppressed' WHERE measure = 'spend' AND la_code = ?",
        [suppressed],
    )
    sql(
        store,
        "DELETE FROM observation_cells WHERE measure = 'idaci' AND la_code = ?",
        [no_row],
    )
    insert(
        store,
        pd.DataFrame(
            {
                "la_code": [conflict],
                "measure": ["pop"],
                "period": ["2023"],
                "value": [1.0],
            }
        ),
    )
    leeds = "E08000035"
    r = fit_regression(store, "spend", ["idaci", "pop"], exclude=["Leeds"])
    why = r.excluded.set_index("la_code")["reason"]
    assert why[suppressed] == "spend 2024-25: suppressed"
    assert why[no_row] == "idaci 2019: no row"
    assert why[conflict] == "pop 2023: 2 different values"
    assert why[leeds] == "excluded by user: Leeds"
    assert r.n == 150 - 4 == len(r.data)
    assert not set(r.data["la_code"]) & set(why.index)
    assert r.excluded.columns.tolist() == ["la_code", "la_name", "reason"]
    assert r.excluded.set_index("la_code").loc[leeds, "la_name"] == "Leeds"
    kept = wide[~wide["la_code"].isin(why.index)]
    ref = statsmodels_fit(kept, "spend", ["idaci", "pop"])
    np.testing.assert_allclose(r.coefficients["coef"], ref.params, rtol=1e-9)


def test_exclusion_by_code_and_unknown_name(built):
    store, _ = built
    r = fit_regression(store, "spend", ["idaci"], exclude=["E08000035", "805"])
    assert sorted(r.excluded["la_name"]) == ["Hartlepool", "Leeds"]
    with pytest.raises(InputError, match="cannot exclude 'Atlantis'"):
        fit_regression(store, "spend", ["idaci"], exclude=["Atlantis"])


def test_successor_missing_an_older_period_says_so(built):
    store, wide = built
    # North Yorkshire's unitary council (from 2023-04-01) has no 2019 IDACI.
    assert "E06000065" in set(wide["la_code"])
    sql(
        store,
        "DELETE FROM observation_cells WHERE measure = 'idaci' "
        "AND la_code = 'E06000065'",
    )
    r = fit_regression(store, "spend", ["idaci", "pop"])
    why = r.excluded.set_index("la_code")["reason"]
    assert why["E06000065"] == "idaci 2019: no row (authority from 2023-04-01)"


def test_each_variable_uses_its_latest_period_or_the_one_named(built):
    store, wide = built
    older = wide.assign(idaci=wide["idaci"] * 2)
    insert(store, long_rows(older, {"idaci": "2015"}))
    r = fit_regression(store, "spend", ["idaci", "pop"])
    assert r.variables[["name", "period", "period_rule"]].values.tolist() == [
        ["spend", "2024-25", "latest"],
        ["idaci", "2019", "latest"],
        ["pop", "2023", "latest"],
    ]
    r15 = fit_regression(store, "spend", ["idaci@2015", "pop"])
    assert r15.variables["period"].tolist() == ["2024-25", "2015", "2023"]
    assert r15.variables["period_rule"].tolist() == ["latest", "given", "latest"]
    ratio = r.coefficients["coef"].iloc[1] / r15.coefficients["coef"].iloc[1]
    assert ratio == pytest.approx(2.0, rel=1e-9)
    assert r15.coefficients["period"].tolist() == ["", "2015", "2023"]
    with pytest.raises(InputError, match="no values for period '2016'"):
        fit_regression(store, "spend", ["idaci@2016"])
    with pytest.raises(InputError, match="no measure 'idacy'.*nearest: idaci"):
        fit_regression(store, "spend", ["idacy"])


def test_one_measure_at_two_periods_gets_two_names(built):
    store, wide = built
    insert(
        store, long_rows(wide.assign(spend=wide["spend"] * 0.9), {"spend": "2023-24"})
    )
    r = fit_regression(store, "spend@2024-25", ["spend@2023-24", "idaci"])
    assert r.variables["name"].tolist() == ["spend@2024-25", "spend@2023-24", "idaci"]
    assert r.coefficients["coef"].iloc[1] == pytest.approx(1 / 0.9, rel=1e-6)


def test_breakdowns_must_be_chosen_unless_one_per_authority(store):
    wide = cross_section()
    rows = long_rows(wide, {"spend": "2024-25"})
    insert(store, rows)
    by_sex = pd.concat(
        [
            long_rows(wide, {"idaci": "2019"}).assign(
                breakdown=f"sex={s}", value=lambda d, k=k: d["value"] * k
            )
            for s, k in (("female", 1.0), ("male", 3.0))
        ]
    )
    insert(store, by_sex)
    with pytest.raises(InputError, match=r"choose one as idaci\[breakdown\]@2019"):
        fit_regression(store, "spend", ["idaci"])
    female = fit_regression(store, "spend", ["idaci[sex=female]"])
    male = fit_regression(store, "spend", ["idaci[sex=male]@2019"])
    assert female.coefficients["coef"].iloc[1] == pytest.approx(
        3 * male.coefficients["coef"].iloc[1], rel=1e-9
    )
    assert female.variables["breakdown"].iloc[1] == "sex=female"
    # A text column repeating the authority's name gives each its own breakdown.
    own = long_rows(wide, {"pop": "2023"})
    own["breakdown"] = "name=" + own["la_code"]
    insert(store, own)
    r = fit_regression(store, "spend", ["pop"])
    assert r.n == 150
    assert r.variables["breakdown"].iloc[1] == "(each authority's own row)"


def test_too_few_authorities_and_collinear_factors(store):
    wide = cross_section(n=150)
    insert(
        store,
        long_rows(wide.head(3), {"spend": "2024", "idaci": "2024", "pop": "2024"}),
    )
    with pytest.raises(InputError, match="only 3 authorities"):
        fit_regression(store, "spend", ["idaci", "pop"])
    insert(
        store,
        long_rows(
            wide.assign(twice=2 * wide["idaci"]),
            {"spend": "2025", "idaci": "2025", "twice": "2025"},
        ),
    )
    with pytest.raises(InputError, match="linear combinations"):
        fit_regression(store, "spend", ["idaci", "twice"], period="2025")


# ------------------------------------------------------------------ quintiles


def test_quintiles_agree_with_qcut_and_keep_ties_together():
    values = np.random.default_rng(3).normal(size=150)
    expected = pd.qcut(values, 5, labels=False) + 1
    assert quintiles(values).tolist() == list(expected)
    assert quintiles([5, 5, 5, 5, 1]).tolist() == [2, 2, 2, 2, 1]
    q = quintiles(pd.Series([np.nan, 2.0], index=["a", "b"]))
    assert q.isna().tolist() == [True, False] and q["b"] == 1


def test_parse_years():
    assert parse_years("2016:2018") == [2016, 2017, 2018]
    assert parse_years("2016-17:2017-18") == [2017, 2018]
    assert parse_years("2019, 2016") == [2016, 2019]
    with pytest.raises(InputError):
        parse_years("2020:2016")
    with pytest.raises(InputError, match="cannot read 'soon'"):
        parse_years("soon")


# ------------------------------------------------------------------ model_spend


def hand_kfold(y: np.ndarray, exog: np.ndarray, k: int, seed: int):
    n = len(y)
    folds = np.array_split(np.random.default_rng(seed).permutation(n), k)
    pred = np.empty(n)
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        beta = np.linalg.lstsq(exog[train], y[train], rcond=None)[0]
        pred[test] = exog[test] @ beta
    return pred


def test_spend_model_cv_is_a_deterministic_k_fold(built):
    store, wide = built
    m = model_spend(store, "spend", ["idaci", "pop"], k=10, seed=0)
    # Authorities in code order, as documented; the fixture is already sorted.
    assert m.predictions["la_code"].tolist() == wide["la_code"].tolist()
    y = wide["spend"].to_numpy()
    exog = sm.add_constant(wide[["idaci", "pop"]]).to_numpy()
    oof = hand_kfold(y, exog, 10, 0)
    fit = m.fit.iloc[0]
    assert fit["cv_r2"] == pytest.approx(
        1 - ((y - oof) ** 2).sum() / ((y - y.mean()) ** 2).sum(), abs=1e-9
    )
    assert fit["cv_rmse"] == pytest.approx(np.sqrt(((y - oof) ** 2).mean()), rel=1e-9)
    assert fit["cv_mae"] == pytest.approx(np.abs(y - oof).mean(), rel=1e-9)
    np.testing.assert_allclose(m.predictions["cv_predicted"], oof, rtol=1e-9)
    assert m.cv["n_test"].sum() == 150 and len(m.cv) == 10
    again = model_spend(store, "spend", ["idaci", "pop"], k=10, seed=0)
    pd.testing.assert_frame_equal(again.fit, m.fit)
    other = model_spend(store, "spend", ["idaci", "pop"], k=10, seed=1)
    assert other.fit.iloc[0]["cv_r2"] != fit["cv_r2"]
    assert other.fit.iloc[0]["r2"] == fit["r2"]
    assert 0.85 < fit["cv_r2"] < fit["r2"]
    with pytest.raises(InputError, match="folds must be between 2 and n = 150"):
        model_spend(store, "spend", ["idaci"], k=1)


def test_spend_predictions_intervals_gaps_and_heatmap(built):
    store, wide = built
    m = model_spend(store, "spend", ["idaci", "pop"], alpha=0.1)
    ref = statsmodels_fit(wide, "spend", ["idaci", "pop"])
    frame = ref.get_prediction(sm.add_constant(wide[["idaci", "pop"]])).summary_frame(
        alpha=0.1
    )
    p = m.predictions
    np.testing.assert_allclose(p["predicted"], frame["mean"], rtol=1e-9)
    np.testing.assert_allclose(p["pi_lower"], frame["obs_ci_lower"], rtol=1e-9)
    np.testing.assert_allclose(p["ci_upper"], frame["mean_ci_upper"], rtol=1e-9)
    np.testing.assert_allclose(
        p["gap_pct"], 100 * (wide["spend"] - frame["mean"]) / frame["mean"], rtol=1e-9
    )
    assert (
        p["outside_pi"]
        == ((p["actual"] < p["pi_lower"]) | (p["actual"] > p["pi_upper"]))
    ).all()
    heat = m.heatmap.set_index("la_code")
    assert heat.columns.tolist() == ["la_name", "region", "spend", "idaci", "pop"]
    for col in ("spend", "idaci", "pop"):
        expected = pd.Series(
            pd.qcut(wide[col], 5, labels=False).to_numpy() + 1, index=wide["la_code"]
        )
        assert (heat[col] == expected.reindex(heat.index)).all()
        assert heat[col].value_counts().tolist() == [30] * 5
    assert m.factors["match"].tolist() == ["named", "named"]


def test_spend_model_finds_newtons_factors(store):
    wide = cross_section()
    rng = np.random.default_rng(9)
    wide["gdhi_per_head"] = rng.normal(20000, 3000, len(wide))
    wide["claimant_count_rate"] = rng.uniform(1, 6, len(wide))
    wide["crime_rate_per_1000"] = rng.uniform(40, 120, len(wide))
    insert(
        store,
        long_rows(
            wide.rename(
                columns={"idaci": "idaci_average_score", "pop": "population_age_0_25"}
            ),
            {
                "spend": "2024-25",
                "idaci_average_score": "2019",
                "population_age_0_25": "2023",
                "gdhi_per_head": "2022",
                "claimant_count_rate": "2024",
                "crime_rate_per_1000": "2024",
            },
        ),
    )
    # A rank runs the other way (1 = most deprived) and must never be taken.
    insert(
        store,
        long_rows(
            wide.assign(r=wide["idaci"].rank()).rename(
                columns={"r": "idaci_rank_of_average_score"}
            ),
            {"idaci_rank_of_average_score": "2019"},
        ),
    )
    found = find_spend_factors(store, exclude=["spend"])
    assert found["family"].tolist() == [f for f, _, _ in SPEND_FACTORS]
    assert found["measure"].tolist() == [
        "idaci_average_score",
        "population_age_0_25",
        "gdhi_per_head",
        "claimant_count_rate",
        "crime_rate_per_1000",
    ]
    m = model_spend(store, "spend")
    assert m.factors["measure"].tolist() == found["measure"].tolist()
    assert m.factors["period"].tolist() == ["2019", "2023", "2022", "2024", "2024"]
    assert m.coefficients["term"].tolist()[1:] == found["measure"].tolist()
    ref = statsmodels_fit(
        wide,
        "spend",
        ["idaci", "pop", "gdhi_per_head", "claimant_count_rate", "crime_rate_per_1000"],
    )
    np.testing.assert_allclose(m.coefficients["coef"], ref.params, rtol=1e-9)


def test_spend_model_says_when_no_factor_is_in_the_store(store):
    insert(store, long_rows(cross_section(), {"spend": "2024-25"}))
    with pytest.raises(InputError, match="no spend factors found"):
        model_spend(store, "spend")
    with pytest.raises(InputError, match="log factors only"):
        model_spend(store, "spend", ["spend"], log=["spend"])


# ------------------------------------------------------------------ fit_panel


def panel_frame(n_la: int = 60, years=range(2016, 2022), seed: int = 1):
    rng = np.random.default_rng(seed)
    codes = current_codes(n_la)
    grid = pd.MultiIndex.from_product(
        [codes, list(years)], names=["la_code", "year"]
    ).to_frame(index=False)
    effect_la = dict(zip(codes, rng.normal(0, 20, n_la), strict=True))
    effect_year = {y: 3.0 * i for i, y in enumerate(years)}
    grid["x1"] = rng.normal(10, 3, len(grid)) + grid["la_code"].map(effect_la) / 10
    grid["x2"] = rng.uniform(0, 5, len(grid))
    grid["y"] = (
        grid["la_code"].map(effect_la)
        + grid["year"].map(effect_year)
        + 2.0 * grid["x1"]
        - 1.5 * grid["x2"]
        + rng.normal(0, 1, len(grid))
    )
    return grid


def panel_rows(grid: pd.DataFrame, period_of=str) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "la_code": grid["la_code"],
                    "measure": m,
                    "period": grid["year"].map(period_of),
                    "value": grid[m],
                }
            )
            for m in ("y", "x1", "x2")
        ],
        ignore_index=True,
    )


def test_panel_equals_statsmodels_with_dummies(store):
    grid = panel_frame(n_la=40)
    insert(store, panel_rows(grid))
    p = fit_panel(store, "y", ["x1", "x2"], periods="2016:2021")
    ref = smf.ols("y ~ x1 + x2 + C(la_code) + C(year)", data=grid).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(grid["la_code"])[0]},
        use_t=True,
    )
    coef = p.coefficients.set_index("term")
    np.testing.assert_allclose(coef["coef"], ref.params[["x1", "x2"]], rtol=1e-9)
    np.testing.assert_allclose(coef["se"], ref.bse[["x1", "x2"]], rtol=1e-9)
    np.testing.assert_allclose(coef["p"], ref.pvalues[["x1", "x2"]], rtol=1e-9)
    assert p.r2 == pytest.approx(ref.rsquared, abs=1e-12)
    assert p.aic == pytest.approx(ref.aic, rel=1e-12)
    assert (p.n, p.n_authorities, p.n_years) == (240, 40, 6)
    assert coef.loc["x1", "coef"] == pytest.approx(2.0, abs=0.1)
    assert coef.loc["x2", "coef"] == pytest.approx(-1.5, abs=0.1)
    # Within R² of a balanced two-way panel: the fit on doubly demeaned data.
    dm = grid[["y", "x1", "x2"]].copy()
    for col in dm:
        dm[col] = (
            grid[col]
            - grid.groupby("la_code")[col].transform("mean")
            - grid.groupby("year")[col].transform("mean")
            + grid[col].mean()
        )
    within = sm.OLS(dm["y"], dm[["x1", "x2"]]).fit()
    assert p.r2_within == pytest.approx(within.rsquared, abs=1e-9)
    np.testing.assert_allclose(coef["coef"], within.params, rtol=1e-9)


def test_panel_without_time_effects_and_pooled(store):
    grid = panel_frame(n_la=30)
    insert(store, panel_rows(grid))
    groups = pd.factorize(grid["la_code"])[0]
    for ent, time_fx, formula in (
        (True, False, "y ~ x1 + x2 + C(la_code)"),
        (False, False, "y ~ x1 + x2"),
    ):
        p = fit_panel(
            store,
            "y",
            ["x1", "x2"],
            periods="2016:2021",
            entity_effects=ent,
            time_effects=time_fx,
        )
        ref = smf.ols(formula, data=grid).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
        )
        np.testing.assert_allclose(
            p.coefficients["coef"], ref.params[["x1", "x2"]], rtol=1e-9
        )
        np.testing.assert_allclose(
            p.coefficients["se"], ref.bse[["x1", "x2"]], rtol=1e-9
        )


def test_panel_with_a_log_factor(store):
    grid = panel_frame(n_la=30)
    insert(store, panel_rows(grid))
    p = fit_panel(store, "y", ["x1", "x2"], periods="2016:2021", log=["x2"])
    ref = smf.ols("y ~ x1 + np.log(x2) + C(la_code) + C(year)", data=grid).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(grid["la_code"])[0]},
        use_t=True,
    )
    assert p.coefficients["term"].tolist() == ["x1", "log(x2)"]
    np.testing.assert_allclose(
        p.coefficients["coef"], ref.params[["x1", "np.log(x2)"]], rtol=1e-9
    )
    np.testing.assert_allclose(
        p.coefficients["se"], ref.bse[["x1", "np.log(x2)"]], rtol=1e-9
    )


def test_panel_years_align_financial_and_march_periods(store):
    grid = panel_frame(n_la=40, years=range(2017, 2022))
    rows = panel_rows(grid)
    # The target is a financial year: 2016-17 ends 31 March 2017, panel year 2017.
    fin = rows["measure"] == "y"
    rows.loc[fin, "period"] = rows.loc[fin, "period"].map(
        lambda y: f"{int(y) - 1}-{str(y)[2:]}"
    )
    insert(store, rows)
    p = fit_panel(store, "y", ["x1", "x2"], periods="2017:2021")
    assert p.n == 200
    years = p.variables[p.variables["name"] == "y"][["year", "period"]]
    assert years.values.tolist()[0] == [2017, "2016-17"]
    ref = smf.ols("y ~ x1 + x2 + C(la_code) + C(year)", data=grid).fit()
    np.testing.assert_allclose(
        p.coefficients["coef"], ref.params[["x1", "x2"]], rtol=1e-9
    )


def test_panel_lists_missing_years_and_singletons(store):
    grid = panel_frame(n_la=30)
    rows = panel_rows(grid)
    codes = sorted(grid["la_code"].unique())
    gap, single = codes[0], codes[1]
    drop = (
        (rows["la_code"] == gap)
        & (rows["measure"] == "x1")
        & (rows["period"] == "2018")
    )
    drop |= (rows["la_code"] == single) & (rows["period"] != "2016")
    rows = rows[~drop]
    insert(store, rows)
    p = fit_panel(store, "y", ["x1", "x2"], periods="2016:2021", exclude=[codes[2]])
    ex = p.excluded.set_index(["la_code", "year"])["reason"]
    assert ex[(gap, 2018)] == "x1 2018: no row"
    assert ex[(single, 2016)].startswith("only year with every value")
    assert (ex.loc[codes[2]] == f"excluded by user: {codes[2]}").all()
    assert p.n == 30 * 6 - 1 - 6 - 6
    kept = grid[
        ~grid["la_code"].isin([single, codes[2]])
        & ~((grid["la_code"] == gap) & (grid["year"] == 2018))
    ]
    ref = smf.ols("y ~ x1 + x2 + C(la_code) + C(year)", data=kept).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(kept["la_code"])[0]},
        use_t=True,
    )
    np.testing.assert_allclose(p.coefficients["se"], ref.bse[["x1", "x2"]], rtol=1e-9)


def test_panel_refuses_a_factor_absorbed_by_authority_effects(store):
    grid = panel_frame(n_la=30)
    grid["idaci"] = grid["la_code"].map(
        dict(
            zip(
                sorted(grid["la_code"].unique()), np.linspace(0.1, 0.4, 30), strict=True
            )
        )
    )
    rows = panel_rows(grid)
    rows = pd.concat(
        [
            rows,
            pd.DataFrame(
                {
                    "la_code": grid["la_code"],
                    "measure": "idaci",
                    "period": grid["year"].astype(str),
                    "value": grid["idaci"],
                }
            ),
        ]
    )
    insert(store, rows)
    with pytest.raises(InputError, match="idaci does not vary within authorities"):
        fit_panel(store, "y", ["x1", "idaci"], periods="2016:2021")
    with pytest.raises(InputError, match="no periods in years 2030-2031"):
        fit_panel(store, "y", ["x1"], periods="2030:2031")
    with pytest.raises(InputError, match="takes its periods from --periods"):
        fit_panel(store, "y", ["x1@2016"], periods="2016:2021")


# ------------------------------------------------------------------ CLI


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "m.duckdb"
    with open_store(path) as s:
        wide = cross_section()
        insert(s, long_rows(wide, {"spend": "2024-25", "idaci": "2019", "pop": "2023"}))
        insert(s, panel_rows(panel_frame(n_la=20)))
    return path, wide


runner = CliRunner()


def cli(*args: str):
    from lacompare.cli import app

    return runner.invoke(app, list(args))


@pytest.mark.parametrize("command", ["spend", "ols", "panel"])
def test_cli_help_has_an_example(command):
    result = cli("model", command, "--help")
    assert result.exit_code == 0
    assert f"Example: lacompare model {command}" in " ".join(result.output.split())
    assert "Example: lacompare model" in " ".join(cli("model", "--help").output.split())


def test_cli_spend_csv_and_files(db, tmp_path):
    path, wide = db
    out, heat = tmp_path / "pred.csv", tmp_path / "heat.csv"
    result = cli(
        "model",
        "spend",
        "--target",
        "spend",
        "--factors",
        "idaci,pop",
        "--folds",
        "5",
        "--db",
        str(path),
        "--format",
        "csv",
        "--out",
        str(out),
        "--heatmap",
        str(heat),
    )
    assert result.exit_code == 0, result.output
    from io import StringIO

    coef = pd.read_csv(StringIO(result.stdout))
    with open_store(path, read_only=True) as s:
        m = model_spend(s, "spend", ["idaci", "pop"], k=5)
    np.testing.assert_allclose(coef["coef"], m.coefficients["coef"], rtol=1e-12)
    assert "cv_r2=" in result.stderr
    pred = pd.read_csv(out)
    assert len(pred) == 150 and "gap_pct" in pred
    assert pd.read_csv(heat).columns.tolist()[3:] == ["spend", "idaci", "pop"]


def test_cli_spend_table(db):
    path, _ = db
    result = cli(
        "model",
        "spend",
        "--target",
        "spend",
        "--factors",
        "idaci,pop",
        "--exclude",
        "Leeds",
        "--db",
        str(path),
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "n = 149 authorities (1 left out)" in text
    assert "Furthest above predicted" in text and "Leeds" in text


def test_cli_ols_and_panel(db):
    path, wide = db
    result = cli(
        "model",
        "ols",
        "--target",
        "spend",
        "--factors",
        "idaci@2019,pop",
        "--log",
        "pop",
        "--db",
        str(path),
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    from io import StringIO

    coef = pd.read_csv(StringIO(result.stdout))
    assert coef["term"].tolist() == ["Intercept", "idaci", "log(pop)"]
    table = cli(
        "model", "ols", "--target", "spend", "--factors", "idaci", "--db", str(path)
    )
    assert table.exit_code == 0 and "R² =" in table.output
    assert "latest" in table.output  # the period rule of each variable
    panel = cli(
        "model",
        "panel",
        "--target",
        "y",
        "--factors",
        "x1,x2",
        "--periods",
        "2016:2021",
        "--db",
        str(path),
    )
    assert panel.exit_code == 0, panel.output
    text = " ".join(panel.output.split())
    assert "120 authority-years (20 authorities, 6 years" in text
    assert "authority and year fixed effects" in text


def test_cli_bad_measure_is_one_line(db):
    path, _ = db
    result = cli(
        "model", "ols", "--target", "spend", "--factors", "idacy", "--db", str(path)
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no measure 'idacy'" in lines[0]
