"""The expected-spend model of the LGA/Newton Europe study ("Making Sense", 2018).

:func:`model_spend` fits spend per head on deprivation, 0-25 population,
disposable income, unemployment and crime (or the factors given), in named steps:
choose the factors (:mod:`lacompare.analysis._spend_factors`), fit the regression
(at the factors' periods nearest the target's, logged where the comparison of
candidate models chooses logs), cross-validate it by k folds, predict each
authority's spend with its intervals, place every authority in a quintile of
each variable, and split each prediction into the factors' contributions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lacompare.analysis._model_ols import RegressionResult, fit_regression
from lacompare.analysis._spend_explain import (
    Design,
    ModelComparison,
    compare_spend_models,
    contributions_of,
    skewed,
)
from lacompare.analysis._spend_factors import find_spend_factors, match_periods
from lacompare.analysis._variables import parse_variable
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store


@dataclass
class SpendModel:
    """The expected-spend model (see :func:`model_spend`).

    Attributes
    ----------
    target
        The spend measure modelled.
    factors
        ``family, measure, label, period, match, note``: which measure stood for
        each factor (``family`` is blank for factors the user named; a default
        family with no measure in the store has a blank ``measure`` and a note).
    coefficients
        As :attr:`RegressionResult.coefficients` (robust SEs, betas, VIFs).
    fit
        One row: ``target, n, excluded, r2, r2_adj, aic, cv_r2, cv_rmse, cv_mae,
        folds, seed``.
    cv
        One row per fold: ``fold, n_test, r2, rmse, mae`` (fold R² against the
        fold's own mean).
    predictions
        One row per authority fitted: ``la_code, la_name, region, actual,
        predicted, gap, gap_pct, ci_lower, ci_upper, pi_lower, pi_upper,
        outside_pi, cv_predicted, cv_gap_pct, fold``, then ``contribution_<factor>``
        for each factor (its family's name for the default five): its part of
        ``predicted`` minus the mean prediction, so they add up to that
        difference; ``gap = actual - predicted`` and ``gap_pct`` is the gap as %
        of ``predicted`` (missing where predicted spend is not positive).
    heatmap
        ``la_code, la_name, region`` then the authority's quintile (1 = lowest
        fifth, 5 = highest) on the target and on each factor, among the ``n``.
    excluded
        ``la_code, la_name, reason``.
    regression
        The full :class:`RegressionResult` of the model on all ``n`` authorities.
    """

    target: str
    factors: pd.DataFrame
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    cv: pd.DataFrame
    predictions: pd.DataFrame
    heatmap: pd.DataFrame
    excluded: pd.DataFrame
    regression: RegressionResult
    #: The candidate models compared by repeated k-fold CV (see
    #: :func:`lacompare.analysis._spend_explain.compare_spend_models`).
    comparison: ModelComparison | None = None
    #: How the factors' periods were chosen (default factors only).
    common_period: str | None = None

    @property
    def n(self) -> int:
        """Authorities fitted."""
        return self.regression.n


@dataclass
class _Folds:
    """Out-of-fold predictions: each authority's, its fold, and each fold's fit."""

    predicted: np.ndarray
    fold: np.ndarray
    table: pd.DataFrame


@dataclass
class _ChosenFit:
    """The regression reported and how it was chosen."""

    regression: RegressionResult
    #: The factors logged.
    logged: list[str]
    comparison: ModelComparison | None
    #: How the factors' periods were chosen (default factors only).
    common_period: str | None


def quintiles(values: Sequence[float] | pd.Series) -> pd.Series:
    """Each value's quintile, 1 (lowest fifth) to 5 (highest fifth).

    ``quintile = floor(5 × (r − 1) / n) + 1`` where ``r`` is the value's rank from
    the lowest (:func:`lacompare.derive.rank_with_polarity`, as for a measure where
    higher is worse: ties share the lowest rank, so equal values share a quintile)
    and ``n`` the number of non-missing values; missing values get no quintile.
    With distinct values this agrees with ``pandas.qcut(values, 5)``.

    Parameters
    ----------
    values
        Numbers; NaN is missing.

    Returns
    -------
    pandas.Series
        Nullable integers (``Int64``), index kept from ``values`` if it has one.

    Examples
    --------
    >>> quintiles([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintiles([1.0, 1.0, None, 3.0, 4.0, 5.0]).tolist()
    [1, 1, <NA>, 3, 4, 5]
    """
    from lacompare.derive import rank_with_polarity

    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=float)
    series = series.astype(float)
    rank = pd.Series(
        rank_with_polarity(series.to_numpy(), "higher-is-worse"), index=series.index
    )
    n = int(series.notna().sum())
    out = np.floor(5 * (rank - 1) / max(n, 1)) + 1
    return out.astype("Int64")


# ------------------------------------------------------------------ the fit


def _choose_factors(
    store: Store, target: str, factors: Sequence[str] | None, log: Sequence[str]
) -> tuple[pd.DataFrame | None, list[str]]:
    """The factors found in the store (None when named) and the factor specs."""
    if factors is None:
        found = find_spend_factors(store, exclude=[parse_variable(target).measure])
        chosen = found.dropna(subset=["measure"])
        if chosen.empty:
            raise InputError(
                "no spend factors found in the store: load deprivation (IDACI), "
                "0-25 population, disposable income, unemployment or crime measures, "
                "or name factors with --factors"
            )
        specs = chosen["measure"].tolist()
    else:
        found, specs = None, list(factors)
    if not specs:
        raise InputError("model_spend needs at least one factor")
    if parse_variable(target).measure in log or target in log:
        raise InputError(
            "model_spend predicts spend in its own units: log factors only, or use "
            "fit_regression for a log target"
        )
    return found, specs


def _compare_models(
    reg: RegressionResult, k: int, repeats: int, seed: int
) -> ModelComparison:
    names = reg.variables["name"].tolist()
    return compare_spend_models(
        reg.data.rename(columns={names[0]: "__target"}),
        "__target",
        names[1:],
        k=k,
        repeats=repeats,
        seed=seed,
    )


def cross_validate(reg: RegressionResult, k: int, seed: int) -> _Folds:
    """Each authority's prediction from the model fitted without its fold.

    Authorities are in code order; the folds are ``numpy.array_split`` of
    ``numpy.random.default_rng(seed).permutation(n)``, the same on every run.
    """
    import statsmodels.api as sm

    exog = reg.model.model.exog
    y = reg.model.model.endog
    n = reg.n
    order = np.random.default_rng(seed).permutation(n)
    oof = np.empty(n)
    fold_of = np.empty(n, dtype=int)
    rows = []
    for i, test in enumerate(np.array_split(order, k), start=1):
        train = np.setdiff1d(np.arange(n), test)
        fitted = sm.OLS(y[train], exog[train]).fit()
        oof[test] = fitted.predict(exog[test])
        fold_of[test] = i
        err = y[test] - oof[test]
        ss_tot = float(((y[test] - y[test].mean()) ** 2).sum())
        rows.append(
            {
                "fold": i,
                "n_test": len(test),
                "r2": 1 - float((err**2).sum()) / ss_tot if ss_tot else np.nan,
                "rmse": float(np.sqrt((err**2).mean())),
                "mae": float(np.abs(err).mean()),
            }
        )
    return _Folds(oof, fold_of, pd.DataFrame(rows))


def _percent_of(gap: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``gap`` as % of ``base``; missing where ``base`` is not positive."""
    positive = base > 0
    return np.where(positive, 100 * gap / np.where(positive, base, 1), np.nan)


def predict_spend(reg: RegressionResult, folds: _Folds, alpha: float) -> pd.DataFrame:
    """Each authority's actual and predicted spend, the gap, the confidence and
    prediction intervals, and its out-of-fold prediction."""
    exog = reg.model.model.exog
    y = reg.model.model.endog
    pred = reg.model.get_prediction(exog).summary_frame(alpha=alpha)
    data = reg.data
    predicted = pred["mean"].to_numpy()
    out = pd.DataFrame(
        {
            "la_code": data["la_code"].to_numpy(),
            "la_name": data["la_name"].to_numpy(),
            "region": data["region"].to_numpy(),
            "actual": y,
            "predicted": predicted,
            "gap": y - predicted,
            "gap_pct": _percent_of(y - predicted, predicted),
            "ci_lower": pred["mean_ci_lower"].to_numpy(),
            "ci_upper": pred["mean_ci_upper"].to_numpy(),
            "pi_lower": pred["obs_ci_lower"].to_numpy(),
            "pi_upper": pred["obs_ci_upper"].to_numpy(),
        }
    )
    out["outside_pi"] = (out["actual"] < out["pi_lower"]) | (
        out["actual"] > out["pi_upper"]
    )
    out["cv_predicted"] = folds.predicted
    out["cv_gap_pct"] = _percent_of(y - folds.predicted, folds.predicted)
    out["fold"] = folds.fold
    return out


def _heatmap(reg: RegressionResult) -> pd.DataFrame:
    """Each authority's quintile on the target and each factor, by name."""
    data = reg.data
    heat = data[["la_code", "la_name", "region"]].copy()
    for name in reg.variables["name"]:
        heat[name] = quintiles(data[name].reset_index(drop=True)).to_numpy()
    return heat.sort_values(["la_name", "la_code"]).reset_index(drop=True)


def _fit_row(
    reg: RegressionResult, folds: _Folds, k: int, seed: int, log: Sequence[str]
) -> pd.DataFrame:
    y = reg.model.model.endog
    resid = y - folds.predicted
    cv_r2 = 1 - float((resid**2).sum()) / float(((y - y.mean()) ** 2).sum())
    return pd.DataFrame(
        [
            {
                "target": reg.target,
                "n": reg.n,
                "excluded": len(reg.excluded),
                "r2": reg.r2,
                "r2_adj": reg.r2_adj,
                "aic": reg.aic,
                "cv_r2": cv_r2,
                "cv_rmse": float(np.sqrt((resid**2).mean())),
                "cv_mae": float(np.abs(resid).mean()),
                "folds": k,
                "seed": seed,
                "model": "log" if log else "linear",
                "logged": ", ".join(log),
            }
        ]
    )


def _factor_table(reg: RegressionResult, found: pd.DataFrame | None) -> pd.DataFrame:
    """``family, measure, label, period, match, note`` of each factor, then the
    default families with no measure in the store."""
    factor_vars = reg.variables[reg.variables["role"] == "factor"]
    table = factor_vars[["measure", "label", "period"]].reset_index(drop=True)
    if found is not None:
        chosen = found.dropna(subset=["measure"])[
            ["family", "measure", "match", "note"]
        ]
        table = table.merge(chosen, on="measure", how="left")
        missing = found[found["measure"].isna()][["family", "note"]]
        table = pd.concat([table, missing], ignore_index=True)
    else:
        table["family"] = None
        table["match"] = "named"
        table["note"] = None
    table = _add_continued(table, factor_vars)
    return table[["family", "measure", "label", "period", "match", "note"]]


def _add_continued(table: pd.DataFrame, factor_vars: pd.DataFrame) -> pd.DataFrame:
    """Append to each factor's note the same-area recodes it was continued across
    (Buckinghamshire's IDACI 2019 on E10000002 counted for E06000060)."""
    if "continued" not in factor_vars.columns:
        return table
    said = factor_vars.drop_duplicates("measure").set_index("measure")["continued"]
    extra = table["measure"].map(said).fillna("").astype(str)
    note = table["note"].fillna("").astype(str)
    joined = np.where((note != "") & (extra != ""), note + "; " + extra, note + extra)
    out = pd.Series(joined, index=table.index, dtype=object)
    return table.assign(note=out.where(out != "", None))


def _fitted_design(reg: RegressionResult, factor_names: list[str]) -> Design:
    """The design of a fitted regression, each column tied to its factor."""
    exog = reg.model.model.exog
    design = Design("linear")
    for i, (column, factor) in enumerate(
        zip(reg.model.model.exog_names[1:], factor_names, strict=True), start=1
    ):
        design.columns[column] = exog[:, i]
        design.involves[column] = (factor,)
    return design


def _contributions(reg: RegressionResult, factor_table: pd.DataFrame) -> pd.DataFrame:
    """Each factor's part of each prediction (named by its family, if any)."""
    factor_names = reg.variables["name"].tolist()[1:]
    families = {
        row.measure: (row.family or row.measure)
        for row in factor_table.dropna(subset=["measure"]).itertuples()
    }
    groups = {
        name: families.get(measure, measure)
        for name, measure in zip(
            factor_names, reg.variables["measure"].tolist()[1:], strict=True
        )
    }
    return contributions_of(
        _fitted_design(reg, factor_names), np.asarray(reg.model.params), groups
    )


def _fit_chosen_model(
    store: Store,
    target: str,
    specs: list[str],
    *,
    default_factors: bool,
    period: str | None,
    log: Sequence[str],
    robust: str | None,
    exclude: Sequence[str],
    k: int,
    repeats: int,
    seed: int,
) -> _ChosenFit:
    """The regression reported, the factors logged, the comparison of candidate
    models and how the periods were chosen.

    Default factors take their periods nearest the target's; where the comparison
    chooses logs (and none were asked for), the skewed factors are logged.
    Interactions and region effects are compared, not fitted.
    """

    def fit(specs: list[str], log: Sequence[str]) -> RegressionResult:
        return fit_regression(
            store,
            target,
            specs,
            period=period,
            log=log,
            robust=robust,
            exclude=exclude,
        )

    reg = fit(specs, log)
    common_period = None
    if default_factors and period is None:
        specs, common_period = match_periods(store, reg.variables)
        reg = fit(specs, log)
    if not 2 <= k <= reg.n:
        raise InputError(f"folds must be between 2 and n = {reg.n}; got {k}")
    comparison = None
    logged = list(log)
    if repeats:
        comparison = _compare_models(reg, k, repeats, seed)
        if comparison.chosen == "log" and not log:
            names = reg.variables["name"].tolist()
            logged = [n for n in names[1:] if skewed(reg.data[n].to_numpy())]
            reg = fit(specs, logged)
    return _ChosenFit(reg, logged, comparison, common_period)


def _summarise(
    chosen: _ChosenFit,
    found: pd.DataFrame | None,
    k: int,
    seed: int,
    alpha: float,
) -> SpendModel:
    """The chosen fit cross-validated, its predictions, quintiles, factors and
    each factor's contributions, as a :class:`SpendModel`."""
    reg = chosen.regression
    folds = cross_validate(reg, k, seed)
    factor_table = _factor_table(reg, found)
    predictions = pd.concat(
        [predict_spend(reg, folds, alpha), _contributions(reg, factor_table)], axis=1
    )
    return SpendModel(
        target=reg.target,
        factors=factor_table,
        coefficients=reg.coefficients,
        fit=_fit_row(reg, folds, k, seed, chosen.logged),
        cv=folds.table,
        predictions=predictions,
        heatmap=_heatmap(reg),
        excluded=reg.excluded,
        regression=reg,
        comparison=chosen.comparison,
        common_period=chosen.common_period,
    )


def model_spend(
    store: Store,
    target: str,
    factors: Sequence[str] | None = None,
    k: int = 10,
    seed: int = 0,
    period: str | None = None,
    log: Sequence[str] = (),
    robust: str | None = "HC3",
    exclude: Sequence[str] = (),
    alpha: float = 0.05,
    repeats: int = 10,
) -> SpendModel:
    """Expected spend per head from the factors behind it, against actual spend.

    The open version of the LGA/Newton Europe model (2018): OLS of spend per head
    on deprivation, 0-25 population, disposable income, unemployment and crime
    (or any factors given), with k-fold cross-validated R², RMSE and MAE, each
    authority's predicted spend with its prediction interval and the gap to its
    actual spend, and its quintile on every factor (the heatmap).

    Parameters
    ----------
    store
        An open store.
    target
        The spend measure (e.g. spend per head of 0-25 population), written as
        for :func:`fit_regression`. It is modelled in its own units (not logged).
    factors
        Factor measures; default: the measures :func:`find_spend_factors` finds for
        Newton's five (an error when none is in the store).
    k
        Folds for cross-validation (2 ≤ k ≤ n).
    seed
        Seed of the fold assignment. Authorities are sorted by code, shuffled with
        ``numpy.random.default_rng(seed).permutation(n)`` and cut into ``k``
        consecutive folds with ``numpy.array_split``; so the folds, and the CV
        figures, are the same on every run.
    period, log, robust, exclude
        As for :func:`fit_regression` (``log`` may name factors only).
    alpha
        1 − coverage of the confidence and prediction intervals (0.05: 95%).
    repeats
        Runs of ``k``-fold cross-validation for the comparison of candidate models
        (linear, logs of skewed factors, pairwise interactions, region effects);
        0 skips the comparison.

    Returns
    -------
    SpendModel

    Notes
    -----
    ``cv_r2`` is pooled over folds: 1 − Σ(actual − out-of-fold prediction)² /
    Σ(actual − mean actual)². Prediction intervals come from statsmodels'
    ``get_prediction().summary_frame()`` on the full fit (with the robust
    covariance for the mean and the residual variance for a new authority).
    ``predicted`` is the in-sample fit, as the LGA's published "predicted spend";
    ``cv_predicted`` is each authority's prediction from the model fitted without
    its fold.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> codes = s.query("SELECT la_code FROM authorities WHERE valid_to IS NULL "
    ...                 "ORDER BY la_code")["la_code"]
    >>> _ = s.write_cells(
    ...     [{"la_code": c, "measure": "spend", "period": "2019",
    ...       "value": 500 + 900 * ((n % 9) / 20) + 60 * (n % 4)}
    ...      for n, c in enumerate(codes, 1)]
    ...     + [{"la_code": c, "measure": "idaci_average_score", "period": "2019",
    ...         "value": (n % 9) / 20} for n, c in enumerate(codes, 1)], file="x")
    >>> m = model_spend(s, "spend", k=5)
    >>> m.n, m.factors.dropna(subset=["measure"]).measure.tolist()
    (153, ['idaci_average_score'])
    >>> round(float(m.fit.loc[0, "cv_r2"]), 2), m.heatmap.columns.tolist()[3:]
    (0.74, ['spend', 'idaci_average_score'])
    """
    found, specs = _choose_factors(store, target, factors, log)
    chosen = _fit_chosen_model(
        store,
        target,
        specs,
        default_factors=factors is None,
        period=period,
        log=log,
        robust=robust,
        exclude=exclude,
        k=k,
        repeats=repeats,
        seed=seed,
    )
    return _summarise(chosen, found, k, seed, alpha)
