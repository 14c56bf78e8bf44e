"""Models of the variation between authorities: regression, panels, expected spend.

Three models, each fitted with statsmodels on values read from the store:

- :func:`fit_regression`: one cross-section, multiple OLS with robust (HC3) standard
  errors, optional log transforms and standardised coefficients.
- :func:`fit_panel`: authorities × years with authority and year fixed effects and
  standard errors clustered by authority.
- :func:`model_spend`: the expected-spend model of the LGA/Newton Europe study
  ("Making Sense", 2018): spend per head on deprivation, 0-25 population, disposable
  income, unemployment and crime, with k-fold cross-validated error, predicted against
  actual spend for every authority and each authority's quintile on every factor.

Variables are named as measures of the store, optionally with a period and a
breakdown: ``measure``, ``measure@period`` or ``measure[breakdown]@period``. A
variable without a period takes the measure's latest period (each its own: a
spend figure for 2024-25 can be modelled on IDACI 2019); every result lists the
period each variable used. Every result carries ``n`` and an ``excluded`` table of
the authorities left out and why (a missing or suppressed value, no row for the
period, a value that cannot be logged, an exclusion asked for). A missing value
is never 0.

These are associations between authorities, not causes.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._spend_explain import (
    Design,
    ModelComparison,
    compare_spend_models,
    contributions_of,
    skewed,
)
from lacompare.analysis._variables import parse_variable
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "SPEND_FACTORS",
    "PanelResult",
    "RegressionResult",
    "SpendModel",
    "find_spend_factors",
    "fit_panel",
    "fit_regression",
    "model_spend",
    "parse_years",
    "quintiles",
]

#: Covariance types accepted for ``robust`` (statsmodels ``cov_type``);
#: ``nonrobust`` is the classical OLS covariance.
ROBUST_TYPES = ("HC0", "HC1", "HC2", "HC3", "nonrobust")

#: The default factors of :func:`model_spend`: Newton Europe's five (LGA, "Making
#: Sense", 2018), each with the measure ids looked for, most preferred first.
#: Patterns are regular expressions searched in each measure's id and in its label
#: made into an id (lower case, words joined by ``_``); measures whose id or label
#: has ``rank`` are never taken (ranks run the other way: 1 = most deprived). Where
#: several measures match one pattern, the one with values for most authorities
#: wins, then the first by id. The IoD2019 domain scores for employment and crime
#: are fall-backs (proxies) when no unemployment or recorded-crime measure is loaded.
#: The measures ``lacompare build`` loads come first by id: IDACI from IoD2025 (the
#: 2019 edition has no figures for the authorities made since; the two are never
#: spliced), ONS GDHI per head, the claimant rate (every authority, every year; the
#: model-based unemployment rate lacks about 25) and crimes per 1,000 residents.
SPEND_FACTORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "deprivation",
        "Deprivation (IDACI): higher, more spend",
        (
            r"^iod2025_idaci_average_score$",
            r"^idaci_average_score$",
            r"idaci.*score",
            r"idaci",
            r"^imd_average_score$",
            r"imd.*score",
        ),
    ),
    (
        "population_0_25",
        "Population aged 0-25: larger, lower spend per head",
        (r"^(?:population_)?age_0_25$", r"pop\w*0_(?:to_)?25", r"0_(?:to_)?25\w*pop"),
    ),
    (
        "disposable_income",
        "Disposable household income: higher, more spend",
        (r"^gdhi_per_head$", r"gdhi", r"disposable\w*income"),
    ),
    (
        "unemployment",
        "Unemployment: higher, more spend",
        (r"^claimant_rate$", r"claimant", r"unemploy", r"^employment_average_score$"),
    ),
    (
        "crime",
        "Crime: higher, more spend",
        (r"^crime_rate_per_1000$", r"crime_rate", r"recorded_crime", r"crime"),
    ),
)

# --------------------------------------------------------------------------- results


@dataclass
class RegressionResult:
    """A cross-sectional OLS fit (see :func:`fit_regression`).

    Attributes
    ----------
    target
        Name of the dependent variable (its measure id).
    coefficients
        One row per term: ``term, measure, period, transform, coef, se, t, p,
        ci_lower, ci_upper, beta, vif`` (``beta`` = standardised coefficient, the
        change in SDs of the target per SD of the factor; ``vif`` = variance
        inflation factor).
    variables
        The variables used: ``role, name, measure, label, period, period_rule,
        breakdown, transform`` (``period_rule`` says whether the period was given,
        defaulted or the measure's latest).
    excluded
        ``la_code, la_name, reason`` for every authority with a value for some
        variable that was left out of the fit.
    data
        The model frame: ``la_code, la_name, region`` and each variable's value
        (before any log) for the ``n`` authorities fitted.
    n, r2, r2_adj, aic, bic
        Fit statistics.
    cov_type
        Covariance of the coefficients (``HC3`` by default).
    model
        The statsmodels results object, for anything else.
    """

    target: str
    coefficients: pd.DataFrame
    variables: pd.DataFrame
    excluded: pd.DataFrame
    data: pd.DataFrame
    n: int
    r2: float
    r2_adj: float
    aic: float
    bic: float
    cov_type: str
    model: Any

    @property
    def fit(self) -> pd.DataFrame:
        """The fit statistics as one row (``target, n, excluded, r2, r2_adj, …``)."""
        return pd.DataFrame(
            [
                {
                    "target": self.target,
                    "n": self.n,
                    "excluded": len(self.excluded),
                    "r2": self.r2,
                    "r2_adj": self.r2_adj,
                    "aic": self.aic,
                    "bic": self.bic,
                    "cov_type": self.cov_type,
                }
            ]
        )


@dataclass
class PanelResult:
    """A fixed-effects panel fit (see :func:`fit_panel`).

    Attributes
    ----------
    target
        Name of the dependent variable.
    coefficients
        One row per factor: ``term, measure, transform, coef, se, t, p, ci_lower,
        ci_upper`` (the fixed effects are not listed).
    variables
        ``role, name, measure, label, year, period, breakdown, transform``: the
        period of each measure that fed each panel year.
    excluded
        ``la_code, la_name, year, reason`` for every authority-year left out.
    data
        The panel frame used: ``la_code, la_name, year`` and each variable.
    n, n_authorities, n_years
        Observations (authority-years), authorities and years fitted.
    r2
        R² of the dummy-variable regression (fixed effects included).
    r2_within
        R² of the factors after the fixed effects are partialled out (what
        linearmodels' ``PanelOLS`` reports as ``rsquared``).
    aic
        Akaike information criterion of the dummy-variable regression.
    entity_effects, time_effects
        Which fixed effects were included.
    cov_type
        ``cluster (authority)``.
    model
        The statsmodels results object.
    """

    target: str
    coefficients: pd.DataFrame
    variables: pd.DataFrame
    excluded: pd.DataFrame
    data: pd.DataFrame
    n: int
    n_authorities: int
    n_years: int
    r2: float
    r2_within: float
    aic: float
    entity_effects: bool
    time_effects: bool
    cov_type: str
    model: Any

    @property
    def fit(self) -> pd.DataFrame:
        """The fit statistics as one row."""
        return pd.DataFrame(
            [
                {
                    "target": self.target,
                    "n": self.n,
                    "authorities": self.n_authorities,
                    "years": self.n_years,
                    "excluded": len(self.excluded),
                    "r2": self.r2,
                    "r2_within": self.r2_within,
                    "aic": self.aic,
                    "entity_effects": self.entity_effects,
                    "time_effects": self.time_effects,
                    "cov_type": self.cov_type,
                }
            ]
        )


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


# ------------------------------------------------------------------ public functions


def quintiles(values: Sequence[float] | pd.Series) -> pd.Series:
    """Each value's quintile, 1 (lowest fifth) to 5 (highest fifth).

    ``quintile = floor(5 × (r − 1) / n) + 1`` where ``r`` is the value's rank
    (ties take the lowest rank, so equal values share a quintile) and ``n`` the
    number of non-missing values; missing values get no quintile. With distinct
    values this agrees with ``pandas.qcut(values, 5)``.

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
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=float)
    series = series.astype(float)
    rank = series.rank(method="min")
    n = int(series.notna().sum())
    out = np.floor(5 * (rank - 1) / max(n, 1)) + 1
    return out.astype("Int64")


def parse_years(periods: str | Sequence[int | str]) -> list[int]:
    """The panel years a ``--periods`` text names.

    A year is the calendar year of the date a period ends on (its 31 March, or the
    date itself): ``2016`` and ``2015-16`` are both 2016. Accepts ``2016:2024``
    (inclusive), ``2016,2018,2020``, a single period, or a list.

    Examples
    --------
    >>> parse_years("2016:2019"), parse_years("2015-16:2017-18")
    ([2016, 2017, 2018, 2019], [2016, 2017, 2018])
    >>> parse_years([2020, "2022"])
    [2020, 2022]
    """
    if isinstance(periods, str):
        text = periods.strip()
        if ":" in text:
            start, _, end = text.partition(":")
            first, last = _year_of(start), _year_of(end)
            if first > last:
                raise InputError(
                    f"periods {periods!r}: the first year is after the last"
                )
            return list(range(first, last + 1))
        parts: Sequence[int | str] = [p for p in text.split(",") if p.strip()]
    else:
        parts = periods
    years = sorted({_year_of(str(p)) for p in parts})
    if not years:
        raise InputError("no periods given: use e.g. 2016:2024")
    return years


def find_spend_factors(store: Store, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """Which measures of the store stand for Newton's five spend factors.

    Looks for each family of :data:`SPEND_FACTORS` in turn (see there for the
    rules). Measures in ``exclude`` (e.g. the target) are never taken.

    Returns
    -------
    pandas.DataFrame
        ``family, measure, label, match, note``; ``measure`` is missing for a
        family not found.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value,"
    ...     " source_id) VALUES ('E06000001', 'idaci_average_score', '2019', 0.28, 1),"
    ...     " ('E06000001', 'idaci_rank_of_average_score', '2019', 8, 1)")
    >>> find_spend_factors(s).set_index("family")["measure"].dropna().to_dict()
    {'deprivation': 'idaci_average_score'}
    """
    from lacompare.sources.specs import measure_id

    catalogue = store.query(
        """SELECT o.measure, any_value(m.label) AS label, any_value(m.unit) AS unit,
                  count(DISTINCT CASE WHEN o.value IS NOT NULL THEN o.la_code END)
                      AS authorities
           FROM observations o LEFT JOIN measures m USING (measure)
           GROUP BY o.measure"""
    )
    catalogue = catalogue[
        (catalogue["authorities"] > 0)
        & (catalogue["unit"].fillna("") != "category")
        & ~catalogue["measure"].isin(list(exclude))
    ]
    label_ids = catalogue["label"].fillna("").map(measure_id)
    keys = catalogue["measure"].str.lower() + " " + label_ids
    usable = ~keys.str.contains("rank", regex=False)
    rows = []
    for family, description, patterns in SPEND_FACTORS:
        chosen = None
        for pattern in patterns:
            hits = catalogue[
                usable
                & (
                    catalogue["measure"].str.lower().str.contains(pattern, regex=True)
                    | label_ids.str.contains(pattern, regex=True)
                )
            ]
            if len(hits):
                hits = hits.sort_values(
                    ["authorities", "measure"], ascending=[False, True]
                )
                chosen = (hits.iloc[0], pattern)
                break
        if chosen is None:
            rows.append(
                {
                    "family": family,
                    "measure": None,
                    "label": None,
                    "match": None,
                    "note": f"{description}: no measure found",
                }
            )
        else:
            hit, pattern = chosen
            note = description
            proxy = "average_score" in hit["measure"]
            if family in ("unemployment", "crime") and proxy:
                note += " (IoD2019 domain score used as a proxy)"
            rows.append(
                {
                    "family": family,
                    "measure": hit["measure"],
                    "label": hit["label"],
                    "match": pattern,
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=["family", "measure", "label", "match", "note"])


def fit_regression(
    store: Store,
    target: str,
    factors: Sequence[str],
    period: str | None = None,
    log: Sequence[str] = (),
    robust: str | None = "HC3",
    exclude: Sequence[str] = (),
) -> RegressionResult:
    """Multiple OLS of one measure on others across authorities.

    Parameters
    ----------
    store
        An open store.
    target
        The dependent measure: ``measure``, ``measure@period`` or
        ``measure[breakdown]@period``.
    factors
        The explanatory measures, written the same way.
    period
        The period for every variable that does not name its own (default: each
        measure's latest period with values, judged by the date it ends on).
    log
        Variables to take the natural log of (by measure id or as written); an
        authority whose value is 0 or negative is left out, with that reason.
    robust
        Covariance of the coefficients: ``HC3`` (default), ``HC0``-``HC2``, or
        ``nonrobust``/None. Tests use Student's t with the residual degrees of
        freedom.
    exclude
        Authorities to leave out: an ONS or DfE code, a name (every authority of
        that name, e.g. both North Yorkshire councils), a region or
        ``column:value`` (``region:London``), as every analysis reads them.

    Returns
    -------
    RegressionResult

    Raises
    ------
    InputError
        Unknown measure or period, a breakdown that must be chosen, too few
        authorities, or factors that are collinear.

    Notes
    -----
    The breakdown of a measure defaults to the total (empty) breakdown; a measure
    stored only with breakdowns needs ``measure[breakdown]``, unless every
    authority has exactly one breakdown (a table whose text columns only repeat
    the authority's name), when each authority's own row is used.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute(
    ...     "INSERT INTO observation_cells (la_code, measure, period, value, "
    ...     "source_id) "
    ...     "SELECT la_code, unnest(['spend', 'idaci']), unnest(['2024-25', '2019']),"
    ...     " unnest([100 + 30 * (n % 7) + n % 3, n % 7]), 1 FROM (SELECT la_code,"
    ...     " row_number() OVER (ORDER BY la_code) AS n FROM authorities"
    ...     " WHERE valid_to IS NULL)")
    >>> r = fit_regression(s, "spend", ["idaci"], exclude=["Leeds"])
    >>> r.n, round(float(r.coefficients.loc[1, "coef"]), 1), r.excluded.la_name.tolist()
    (152, 30.0, ['Leeds'])
    >>> r.variables[["name", "period", "period_rule"]].values.tolist()
    [['spend', '2024-25', 'latest'], ['idaci', '2019', 'latest']]
    """
    cov = _cov_type(robust)
    plan, frame, excluded = _model_frame(
        store, target, factors, period=period, years=None, log=log, exclude=exclude
    )
    return _regress(frame, excluded, plan, _names(plan), cov)


def fit_panel(
    store: Store,
    target: str,
    factors: Sequence[str],
    periods: str | Sequence[int | str] = "2016:2024",
    entity_effects: bool = True,
    time_effects: bool = True,
    log: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> PanelResult:
    """Panel OLS over authorities × years with authority and year fixed effects.

    Fitted by statsmodels OLS with one dummy per authority and per year (the
    least-squares dummy-variable estimator, identical in its coefficients to the
    within estimator of linearmodels' ``PanelOLS``), standard errors clustered by
    authority (statsmodels' small-sample correction), t tests with G − 1 degrees
    of freedom for G authorities.

    Parameters
    ----------
    store
        An open store.
    target, factors
        Measures (``measure`` or ``measure[breakdown]``; the periods come from
        ``periods``).
    periods
        Years to include (see :func:`parse_years`): each measure's periods are
        placed in the year their date ends in, so a 2016-17 financial year and a
        31 March 2017 count are both 2017.
    entity_effects, time_effects
        Include authority and year fixed effects.
    log
        Variables to take the natural log of.
    exclude
        Authorities to leave out, as for :func:`fit_regression`.

    Returns
    -------
    PanelResult

    Raises
    ------
    InputError
        Unknown measure, no periods in range, a factor with no variation within
        authorities (absorbed by the authority effects), or too few observations.

    Notes
    -----
    With authority effects, an authority with a single year carries no
    information about the factors; it is left out and listed.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute(
    ...     "INSERT INTO observation_cells (la_code, measure, period, value, "
    ...     "source_id) "
    ...     "SELECT la_code, unnest(['cla', 'cin']), y::VARCHAR, unnest([n + 2 *"
    ...     " ((n * y) % 5) + y, (n * y) % 5]), 1 FROM (SELECT la_code, row_number()"
    ...     " OVER (ORDER BY la_code) AS n FROM authorities WHERE valid_to IS NULL"
    ...     " LIMIT 20), range(2018, 2022) t(y)")
    >>> p = fit_panel(s, "cla", ["cin"], periods="2018:2021")
    >>> p.n, p.n_authorities, p.n_years, round(float(p.coefficients.loc[0, "coef"]), 6)
    (80, 20, 4, 2.0)
    """
    years = parse_years(periods)
    plan, frame, excluded = _model_frame(
        store, target, factors, period=None, years=years, log=log, exclude=exclude
    )
    return _panel(
        frame, excluded, plan, _names(plan), years, entity_effects, time_effects
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
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute(
    ...     "INSERT INTO observation_cells (la_code, measure, period, value, "
    ...     "source_id) "
    ...     "SELECT la_code, unnest(['spend', 'idaci_average_score']), '2019', "
    ...     "unnest([500 + 900 * ((n % 9) / 20) + 60 * (n % 4), (n % 9) / 20]), 1 "
    ...     "FROM (SELECT la_code, row_number() OVER (ORDER BY la_code) AS n "
    ...     "FROM authorities WHERE valid_to IS NULL)")
    >>> m = model_spend(s, "spend", k=5)
    >>> m.n, m.factors.dropna(subset=["measure"]).measure.tolist()
    (153, ['idaci_average_score'])
    >>> round(float(m.fit.loc[0, "cv_r2"]), 2), m.heatmap.columns.tolist()[3:]
    (0.74, ['spend', 'idaci_average_score'])
    """
    import statsmodels.api as sm

    if factors is None:
        found = find_spend_factors(store, exclude=[parse_variable(target).measure])
        chosen = found.dropna(subset=["measure"])
        if chosen.empty:
            raise InputError(
                "no spend factors found in the store: load deprivation (IDACI), "
                "0-25 population, disposable income, unemployment or crime measures, "
                "or name factors with --factors"
            )
        factor_specs = chosen["measure"].tolist()
    else:
        found = None
        factor_specs = list(factors)
    if not factor_specs:
        raise InputError("model_spend needs at least one factor")
    target_measure = parse_variable(target).measure
    if target_measure in log or target in log:
        raise InputError(
            "model_spend predicts spend in its own units: log factors only, or use "
            "fit_regression for a log target"
        )
    reg = fit_regression(
        store,
        target,
        factor_specs,
        period=period,
        log=log,
        robust=robust,
        exclude=exclude,
    )
    common_period = None
    if factors is None and period is None:
        factor_specs, common_period = _common_periods(store, reg)
        reg = fit_regression(
            store,
            target,
            factor_specs,
            period=period,
            log=log,
            robust=robust,
            exclude=exclude,
        )
    n = reg.n
    if not 2 <= k <= n:
        raise InputError(f"folds must be between 2 and n = {n}; got {k}")
    comparison = None
    if repeats:
        names = reg.variables["name"].tolist()
        comparison = compare_spend_models(
            reg.data.rename(columns={names[0]: "__target"}),
            "__target",
            names[1:],
            k=k,
            repeats=repeats,
            seed=seed,
        )
        # The comparison's choice is the model reported, where it is one fit_regression
        # can give (logs); interactions and region effects are reported, not fitted.
        if comparison.chosen == "log" and not log:
            log = [name for name in names[1:] if skewed(reg.data[name].to_numpy())]
            reg = fit_regression(
                store,
                target,
                factor_specs,
                period=period,
                log=log,
                robust=robust,
                exclude=exclude,
            )

    exog = reg.model.model.exog
    y = reg.model.model.endog
    # Folds over authorities sorted by code: the same folds whatever order the
    # store returned rows in.
    order = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(order, k)
    oof = np.empty(n)
    fold_of = np.empty(n, dtype=int)
    rows = []
    for i, test in enumerate(folds, start=1):
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
    cv = pd.DataFrame(rows)
    resid = y - oof
    cv_r2 = 1 - float((resid**2).sum()) / float(((y - y.mean()) ** 2).sum())

    pred = reg.model.get_prediction(exog).summary_frame(alpha=alpha)
    data = reg.data
    predicted = pred["mean"].to_numpy()
    positive = predicted > 0
    cv_positive = oof > 0
    predictions = pd.DataFrame(
        {
            "la_code": data["la_code"].to_numpy(),
            "la_name": data["la_name"].to_numpy(),
            "region": data["region"].to_numpy(),
            "actual": y,
            "predicted": predicted,
            "gap": y - predicted,
            "gap_pct": np.where(
                positive,
                100 * (y - predicted) / np.where(positive, predicted, 1),
                np.nan,
            ),
            "ci_lower": pred["mean_ci_lower"].to_numpy(),
            "ci_upper": pred["mean_ci_upper"].to_numpy(),
            "pi_lower": pred["obs_ci_lower"].to_numpy(),
            "pi_upper": pred["obs_ci_upper"].to_numpy(),
        }
    )
    predictions["outside_pi"] = (predictions["actual"] < predictions["pi_lower"]) | (
        predictions["actual"] > predictions["pi_upper"]
    )
    predictions["cv_predicted"] = oof
    predictions["cv_gap_pct"] = np.where(
        cv_positive, 100 * (y - oof) / np.where(cv_positive, oof, 1), np.nan
    )
    predictions["fold"] = fold_of

    names = reg.variables["name"].tolist()
    heat = data[["la_code", "la_name", "region"]].copy()
    for name in names:
        heat[name] = quintiles(data[name].reset_index(drop=True)).to_numpy()
    heat = heat.sort_values(["la_name", "la_code"]).reset_index(drop=True)

    fit = pd.DataFrame(
        [
            {
                "target": reg.target,
                "n": n,
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

    factor_vars = reg.variables[reg.variables["role"] == "factor"]
    factor_table = factor_vars[["measure", "label", "period"]].reset_index(drop=True)
    if found is not None:
        chosen = found.dropna(subset=["measure"])[
            ["family", "measure", "match", "note"]
        ]
        factor_table = factor_table.merge(chosen, on="measure", how="left")
        missing = found[found["measure"].isna()][["family", "note"]]
        factor_table = pd.concat([factor_table, missing], ignore_index=True)
    else:
        factor_table["family"] = None
        factor_table["match"] = "named"
        factor_table["note"] = None
    factor_table = factor_table[
        ["family", "measure", "label", "period", "match", "note"]
    ]
    factor_names = names[1:]
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
    contributions = contributions_of(
        _fitted_design(reg, factor_names), np.asarray(reg.model.params), groups
    )
    predictions = pd.concat([predictions, contributions], axis=1)
    return SpendModel(
        target=reg.target,
        factors=factor_table,
        coefficients=reg.coefficients,
        fit=fit,
        cv=cv,
        predictions=predictions,
        heatmap=heat,
        excluded=reg.excluded,
        regression=reg,
        comparison=comparison,
        common_period=common_period,
    )


def _common_periods(store: Store, reg: RegressionResult) -> tuple[list[str], str]:
    """Each factor's period nearest the target's: the latest on or before it.

    A factor with no period on or before the target's day (recorded crime published
    for one later year) takes its earliest after. Days come from each measure's
    reference date (a calendar year ends 31 December, a financial year 31 March).
    """
    from lacompare.derive import reference_day

    variables = reg.variables
    target = variables[variables["role"] == "target"].iloc[0]
    refs = dict(
        store.con.execute("SELECT measure, reference_date FROM measures").fetchall()
    )
    day = reference_day(str(target["period"]), refs.get(target["measure"]))
    specs, said = [], []
    for measure in variables[variables["role"] == "factor"]["measure"]:
        periods = store.query(
            "SELECT DISTINCT period FROM observations WHERE "
            "measure = ? AND value IS NOT NULL",
            [measure],
        )["period"]
        dated = sorted(
            (d, p)
            for p in periods
            if (d := reference_day(p, refs.get(measure))) is not None
        )
        before = [x for x in dated if day is None or x[0] <= day]
        chosen = before[-1] if before else dated[0]
        specs.append(f"{measure}@{chosen[1]}")
        if not before:
            said.append(f"{measure} {chosen[1]} (none earlier)")
    text = (
        f"factors at their latest period on or before the target's "
        f"{target['period']} ({day.isoformat() if day else 'undated'})"
        + (", else the earliest after: " + ", ".join(said) if said else "")
    )
    return specs, text


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


# ------------------------------------------------------------------ variable plans


def _cov_type(robust: str | None) -> str:
    cov = "nonrobust" if robust in (None, "", "none") else str(robust)
    if cov.upper() in ROBUST_TYPES:
        cov = cov.upper()
    if cov not in ROBUST_TYPES:
        raise InputError(
            f"robust must be one of {', '.join(ROBUST_TYPES)}; got {robust!r}"
        )
    return cov


def _period_key(period: str) -> tuple[dt.date, str]:
    from lacompare.cells import period_as_of

    return (period_as_of(period) or dt.date.min, period)


def _year_of(period: str) -> int:
    from lacompare.cells import period_as_of

    day = period_as_of(str(period).strip())
    if day is None:
        raise InputError(
            f"cannot read {period!r} as a year or period (e.g. 2016, 2016-17)"
        )
    return day.year


def _plan(
    store: Store,
    specs: list[tuple[str, str]],
    *,
    period: str | None,
    years: list[int] | None,
    log: Sequence[str],
) -> pd.DataFrame:
    """Resolve each variable to a measure, period(s) and breakdown.

    One row per variable and period: ``role, spec, name, measure, label, unit,
    period, year, period_rule, breakdown, any_breakdown, transform``.
    """
    parsed = [(role, spec, *parse_variable(spec)) for role, spec in specs]
    known = store.query(
        """SELECT DISTINCT o.measure, m.label, m.unit
           FROM (SELECT DISTINCT measure FROM observations) o
           LEFT JOIN measures m USING (measure)"""
    )
    ids = set(known["measure"])
    by_label = {
        lb.casefold(): m
        for m, lb in zip(known["measure"], known["label"], strict=True)
        if isinstance(lb, str)
    }
    resolved = []
    for role, spec, name, breakdown, own_period in parsed:
        if name in ids:
            measure = name
        elif name.casefold() in by_label:
            measure = by_label[name.casefold()]
        else:
            near = difflib.get_close_matches(name, sorted(ids), n=3, cutoff=0.5)
            hint = f" (nearest: {', '.join(near)})" if near else ""
            raise InputError(f"no measure {name!r} in the store{hint}")
        if years is not None and own_period:
            raise InputError(
                f"{spec!r}: a panel takes its periods from --periods, not from @period"
            )
        resolved.append((role, spec, measure, breakdown, own_period))
    measures = sorted({r[2] for r in resolved})
    cat = store.query(
        """SELECT o.measure, o.period, o.breakdown, count(o.value) AS n_values
           FROM observations o WHERE o.measure IN (SELECT unnest(?))
           GROUP BY ALL""",
        [measures],
    )
    meta = known.set_index("measure")
    if "category" in set(meta.loc[measures, "unit"].dropna()):
        bad = [m for m in measures if meta.loc[m, "unit"] == "category"]
        raise InputError(
            f"{', '.join(bad)}: a category (text) measure cannot be a model variable"
        )
    rows = []
    logged = set(log)
    for role, spec, measure, breakdown, own_period in resolved:
        rows_m = cat[(cat["measure"] == measure) & (cat["n_values"] > 0)]
        if breakdown is not None:
            rows_m = rows_m[rows_m["breakdown"] == breakdown]
            if rows_m.empty:
                have = sorted(cat.loc[cat["measure"] == measure, "breakdown"].unique())
                raise InputError(
                    f"{spec!r}: no values with breakdown {breakdown!r}; "
                    f"breakdowns: {_listing(have)}"
                )
        available = sorted(rows_m["period"].unique(), key=_period_key)
        if not available:
            raise InputError(f"{spec!r}: the measure has no values")
        if years is not None:
            periods = [p for p in available if _year_of_or_none(p) in years]
            if not periods:
                raise InputError(
                    f"{spec!r}: no periods in years {years[0]}-{years[-1]}"
                    f"; periods: {_listing(available)}"
                )
            by_year: dict[int, str] = {}
            for p in periods:
                y = _year_of(p)
                if y in by_year:
                    raise InputError(
                        f"{spec!r}: periods {by_year[y]!r} and {p!r} both "
                        f"fall in {y}; load one"
                    )
                by_year[y] = p
            chosen = [(p, _year_of(p), "panel") for p in periods]
        else:
            if own_period:
                want, rule = own_period, "given"
            elif period is not None:
                want, rule = period, "default"
            else:
                want, rule = available[-1], "latest"
            if want not in available:
                raise InputError(
                    f"{spec!r}: no values for period {want!r}; periods: "
                    f"{_listing(available)}"
                )
            chosen = [(want, 0, rule)]
        for p, year, rule in chosen:
            bd, any_bd = _breakdown(
                store, spec, measure, p, breakdown, rows_m[rows_m["period"] == p]
            )
            label = meta.loc[measure, "label"]
            rows.append(
                {
                    "role": role,
                    "spec": spec,
                    "measure": measure,
                    "label": label if isinstance(label, str) else None,
                    "period": p,
                    "year": year,
                    "period_rule": rule,
                    "breakdown": bd,
                    "any_breakdown": any_bd,
                    "transform": "log" if (measure in logged or spec in logged) else "",
                }
            )
    plan = pd.DataFrame(rows)
    unknown_logs = logged - set(plan["measure"]) - set(plan["spec"])
    if unknown_logs:
        raise InputError(
            f"log: {', '.join(sorted(unknown_logs))} is not a variable of the model"
        )
    # A name per variable: the measure id, with its period when one measure
    # appears twice (spend@2023-24 against spend@2024-25).
    specs_of = plan.drop_duplicates("spec")
    dup = specs_of["measure"].duplicated(keep=False)
    if dup.any() and years is not None:
        raise InputError("a panel cannot use one measure twice")
    names = np.where(
        dup, specs_of["measure"] + "@" + specs_of["period"], specs_of["measure"]
    )
    plan["name"] = plan["spec"].map(dict(zip(specs_of["spec"], names, strict=True)))
    if plan.drop_duplicates("spec")["name"].duplicated().any():
        raise InputError("a variable is named twice")
    return plan


def _year_of_or_none(period: str) -> int | None:
    try:
        return _year_of(period)
    except InputError:
        return None


def _listing(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(i) for i in list(items)[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")


def _breakdown(
    store: Store,
    spec: str,
    measure: str,
    period: str,
    given: str | None,
    rows: pd.DataFrame,
) -> tuple[str, bool]:
    """The breakdown to read, or ("", True) for each authority's only row."""
    if given is not None:
        return given, False
    have = sorted(rows["breakdown"].unique())
    if "" in have:
        return "", False
    if len(have) == 1:
        return have[0], False
    # Some tables repeat the authority's name in a text column that ingest reads
    # as a breakdown; with one breakdown per authority there is nothing to choose.
    most = store.con.execute(
        """SELECT max(nb) FROM (SELECT count(DISTINCT breakdown) AS nb
           FROM observations WHERE measure = ? AND period = ? AND value IS NOT NULL
           GROUP BY la_code)""",
        [measure, period],
    ).fetchall()[0]
    if most and most[0] == 1:
        return "", True
    raise InputError(
        f"{spec!r}: {measure} {period} has breakdowns "
        f"{_listing(have, 5)}; choose one as "
        f"{measure}[breakdown]@{period}"
    )


def _names(plan: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(plan["name"]))


# ------------------------------------------------------------------ the model frame


def _join_reasons(acc: np.ndarray, add: np.ndarray) -> np.ndarray:
    both = (acc != "") & (add != "")
    return np.where(both, acc + "; " + add, np.where(acc == "", add, acc))


def _assemble(
    store: Store, plan: pd.DataFrame, exclude: Sequence[str], panel: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wide model frame and the table of what was left out and why.

    Rows are authorities (× years for a panel) with a row for any variable; a
    row with any problem goes to ``excluded`` with every problem named.
    """
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(plan))
    params: list[object] = []
    for r in plan.itertuples():
        params += [
            r.name,
            r.measure,
            r.period,
            int(r.year),
            r.breakdown,
            bool(r.any_breakdown),
        ]
    long = store.query(
        f"""SELECT p.name, p.year, o.la_code,
                   count(o.value) AS n_values,
                   count(DISTINCT o.value) AS n_distinct,
                   min(o.value) AS value,
                   string_agg(DISTINCT o.missing_reason, ', ') AS missing_reason
            FROM observations o
            JOIN (VALUES {values}) p(name, measure, period, year, breakdown, any_bd)
              ON o.measure = p.measure AND o.period = p.period
             AND (p.any_bd OR o.breakdown = p.breakdown)
            GROUP BY ALL""",
        params,
    )
    auth = store.query(
        "SELECT la_code, la_name, region, valid_from, valid_to FROM authorities"
    )
    names = _names(plan)
    long["year"] = long["year"].astype(int)
    key = ["la_code", "year"]
    good = (long["n_values"] > 0) & (long["n_distinct"] == 1)
    wide = long[good].pivot(index=key, columns="name", values="value")
    index = pd.MultiIndex.from_frame(long[key].drop_duplicates().sort_values(key))
    wide = wide.reindex(index=index, columns=names)
    status = (
        long.assign(
            status=np.where(
                long["n_values"] == 0,
                long["missing_reason"].fillna("no value").astype(str),
                np.where(
                    long["n_distinct"] > 1,
                    long["n_distinct"].astype(str) + " different values",
                    "",
                ),
            )
        )
        .pivot(index=key, columns="name", values="status")
        .reindex(index=index, columns=names)
    )
    frame = wide.reset_index()
    frame = frame.merge(auth, on="la_code", how="left")
    n_rows = len(frame)
    reasons = np.full(n_rows, "", dtype=object)
    log_of = plan.drop_duplicates("name").set_index("name")["transform"]
    years = frame["year"].astype(str).to_numpy(dtype=object)
    for name in names:
        col = frame[name].to_numpy(dtype=float)
        missing = np.isnan(col)
        # The period each row read (a panel year may have none loaded).
        periods = frame["year"].map(
            plan[plan["name"] == name].set_index("year")["period"]
        )
        has_period = periods.notna().to_numpy()
        per = periods.fillna("").astype(str).to_numpy(dtype=object)
        state = status[name].reset_index(drop=True).fillna("no row")
        state = state.astype(str).to_numpy(dtype=object)
        text = np.where(
            has_period,
            name + " " + per + ": " + state,
            name + ": no period loaded for " + years,
        )
        text = text + _lifecycle(frame, per)
        reasons = _join_reasons(reasons, np.where(missing, text, ""))
        if log_of[name] == "log":
            bad = ~missing & (col <= 0)
            reasons = _join_reasons(
                reasons, np.where(bad, f"{name}: value ≤ 0, cannot take the log", "")
            )
    from lacompare.analysis._exclusions import resolve_exclusions

    gone = resolve_exclusions(store, exclude).set_index("la_code")["reason"]
    why = frame["la_code"].map(gone)
    reasons = _join_reasons(reasons, np.where(why.notna(), why.astype(object), ""))
    frame["_reason"] = reasons
    cols = ["la_code", "la_name"] + (["year"] if panel else []) + ["reason"]
    excluded = (
        frame[frame["_reason"] != ""]
        .rename(columns={"_reason": "reason"})[cols]
        .sort_values(cols[:-1])
        .reset_index(drop=True)
    )
    kept = frame[frame["_reason"] == ""].drop(columns=["_reason"])
    kept = kept.sort_values(key).reset_index(drop=True)
    keep_cols = ["la_code", "la_name", "region"] + (["year"] if panel else []) + names
    return kept[keep_cols], excluded


def _model_frame(
    store: Store,
    target: str,
    factors: Sequence[str],
    *,
    period: str | None,
    years: list[int] | None,
    log: Sequence[str],
    exclude: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The plan of the variables, the model frame and who was left out (a panel
    when ``years`` is given)."""
    if not factors:
        raise InputError("name at least one factor")
    plan = _plan(
        store,
        [("target", target)] + [("factor", f) for f in factors],
        period=period,
        years=years,
        log=log,
    )
    frame, excluded = _assemble(store, plan, exclude, panel=years is not None)
    return plan, frame, excluded


def _lifecycle(frame: pd.DataFrame, periods: np.ndarray) -> np.ndarray:
    """' (authority from …)' or ' (abolished …)' where a period is outside its life."""
    from lacompare.cells import period_as_of

    unique = {p: period_as_of(p) if p else None for p in set(periods)}
    dates = pd.to_datetime(pd.Series(periods, dtype=object).map(unique))
    start = pd.to_datetime(frame["valid_from"])
    end = pd.to_datetime(frame["valid_to"])
    before = (start.notna() & dates.notna() & (dates < start)).to_numpy()
    after = (end.notna() & dates.notna() & (dates > end)).to_numpy()
    start_text = start.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    end_text = end.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    return np.where(
        before,
        " (authority from " + start_text + ")",
        np.where(after, " (abolished " + end_text + ")", ""),
    )


# ------------------------------------------------------------------ fitting


def _terms(plan: pd.DataFrame, names: list[str]) -> dict[str, str]:
    log_of = plan.drop_duplicates("name").set_index("name")["transform"]
    return {n: (f"log({n})" if log_of[n] == "log" else n) for n in names}


def _design(
    frame: pd.DataFrame, names: list[str], terms: dict[str, str]
) -> tuple[pd.Series, pd.DataFrame]:
    model = frame[names].astype(float).copy()
    for name in names:
        if terms[name].startswith("log("):
            model[name] = np.log(model[name])
    model.columns = [terms[n] for n in names]
    return model.iloc[:, 0], model.iloc[:, 1:]


def _check_rank(exog: pd.DataFrame, what: str) -> None:
    rank = np.linalg.matrix_rank(exog.to_numpy())
    if rank < exog.shape[1]:
        constant = [c for c in exog.columns[1:] if exog[c].nunique() <= 1]
        detail = (
            f"{', '.join(constant)} does not vary"
            if constant
            else "some factors are linear combinations of the others"
        )
        raise InputError(f"cannot fit {what}: {detail}")


def _regress(
    frame: pd.DataFrame,
    excluded: pd.DataFrame,
    plan: pd.DataFrame,
    names: list[str],
    cov: str,
) -> RegressionResult:
    import statsmodels.api as sm
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    terms = _terms(plan, names)
    y, x = _design(frame, names, terms)
    k = x.shape[1]
    n = len(y)
    if n <= k + 1:
        raise InputError(
            f"only {n} authorities have every value; a model with {k} "
            f"factors needs at least {k + 2} ({len(excluded)} left out: "
            "see excluded)"
        )
    exog = x.copy()
    exog.insert(0, "Intercept", 1.0)
    _check_rank(exog, "the regression")
    model = sm.OLS(y, exog)
    res = model.fit() if cov == "nonrobust" else model.fit(cov_type=cov, use_t=True)
    sd_y = float(y.std(ddof=1))
    # Standardised coefficients: the fit on z-scores, from the raw fit's slopes.
    beta = (
        (x.std(ddof=1) * res.params[x.columns]).to_numpy() / sd_y
        if sd_y > 0
        else np.full(k, np.nan)
    )
    vif = (
        [variance_inflation_factor(exog.to_numpy(), i) for i in range(1, k + 1)]
        if k > 1
        else [1.0] * k
    )
    coef = _coefficients(
        res,
        plan,
        list(exog.columns),
        [None, *names[1:]],
        ("measure", "period", "transform"),
    )
    coef["beta"] = np.r_[np.nan, beta]
    coef["vif"] = np.r_[np.nan, vif]
    variables = _variables(plan, panel=False)
    return RegressionResult(
        target=names[0],
        coefficients=coef,
        variables=variables,
        excluded=excluded,
        data=frame.reset_index(drop=True),
        n=int(res.nobs),
        r2=float(res.rsquared),
        r2_adj=float(res.rsquared_adj),
        aic=float(res.aic),
        bic=float(res.bic),
        cov_type=cov,
        model=res,
    )


def _coefficients(
    res: Any,
    plan: pd.DataFrame,
    terms: list[str],
    variables: Sequence[str | None],
    meta: Sequence[str],
) -> pd.DataFrame:
    """``term``, the variable's ``meta`` columns (blank for the intercept, whose
    variable is None), then ``coef, se, t, p, ci_lower, ci_upper`` of each term."""
    first = plan.drop_duplicates("name").set_index("name")
    ci = res.conf_int().loc[terms]
    return pd.DataFrame(
        {
            "term": terms,
            **{
                col: ["" if nm is None else first.loc[nm, col] for nm in variables]
                for col in meta
            },
            "coef": res.params[terms].to_numpy(),
            "se": res.bse[terms].to_numpy(),
            "t": res.tvalues[terms].to_numpy(),
            "p": res.pvalues[terms].to_numpy(),
            "ci_lower": ci.iloc[:, 0].to_numpy(),
            "ci_upper": ci.iloc[:, 1].to_numpy(),
        }
    )


def _variables(plan: pd.DataFrame, panel: bool) -> pd.DataFrame:
    cols = (
        ["role", "name", "measure", "label", "year", "period", "breakdown", "transform"]
        if panel
        else [
            "role",
            "name",
            "measure",
            "label",
            "period",
            "period_rule",
            "breakdown",
            "transform",
        ]
    )
    out = plan.copy()
    out["breakdown"] = np.where(
        out["any_breakdown"], "(each authority's own row)", out["breakdown"]
    )
    return out[cols].reset_index(drop=True)


def _panel(
    frame: pd.DataFrame,
    excluded: pd.DataFrame,
    plan: pd.DataFrame,
    names: list[str],
    years: list[int],
    entity_effects: bool,
    time_effects: bool,
) -> PanelResult:
    import statsmodels.api as sm

    if entity_effects:
        # An authority seen once is fitted exactly by its own effect.
        counts = frame.groupby("la_code")["year"].transform("size")
        single = frame[counts == 1]
        if len(single):
            extra = single[["la_code", "la_name", "year"]].assign(
                reason="only year with every value: with authority effects it "
                "carries no information"
            )
            excluded = (
                pd.concat([excluded, extra], ignore_index=True)
                .sort_values(["la_code", "la_name", "year"])
                .reset_index(drop=True)
            )
            frame = frame[counts > 1].reset_index(drop=True)
    terms = _terms(plan, names)
    y, x = _design(frame, names, terms)
    k = x.shape[1]
    dummies = [pd.Series(1.0, index=frame.index, name="Intercept")]
    if entity_effects:
        dummies.append(
            pd.get_dummies(frame["la_code"], prefix="la", drop_first=True, dtype=float)
        )
    if time_effects:
        dummies.append(
            pd.get_dummies(frame["year"], prefix="year", drop_first=True, dtype=float)
        )
    effects = pd.concat(dummies, axis=1)
    n = len(y)
    if n <= k + effects.shape[1]:
        raise InputError(
            f"only {n} authority-years have every value: too few for "
            f"{k} factors and {effects.shape[1]} fixed effects"
        )
    # One QR of [effects | factors] serves three checks: its first columns span
    # the fixed effects (so residualising on them gives the within variation and
    # the within R²), and a near-zero diagonal marks a column that adds nothing.
    fx = effects.to_numpy()
    xv = x.to_numpy()
    q, r = np.linalg.qr(np.column_stack([fx, xv]))
    m = fx.shape[1]
    scale = np.linalg.norm(np.column_stack([fx, xv]), axis=0)
    weak = np.abs(np.diag(r)) <= 1e-9 * np.maximum(scale, 1e-300)
    qe = q[:, :m]
    xres = xv - qe @ (qe.T @ xv)
    absorbed = np.linalg.norm(xres, axis=0) <= 1e-9 * np.maximum(
        np.linalg.norm(xv - xv.mean(axis=0), axis=0), 1e-300
    )
    if absorbed.any():
        # A factor that does not move within authorities (IDACI 2019 in every
        # year) is absorbed by the authority effects: refuse rather than report noise.
        bad = ", ".join(x.columns[absorbed])
        raise InputError(
            f"{bad} does not vary within authorities (or years) over "
            f"the periods: it is absorbed by the fixed effects"
        )
    if weak[m:].any():
        raise InputError(
            "cannot fit the panel: some factors are linear combinations of the others"
        )
    if weak[:m].any():
        raise InputError(
            "cannot fit the panel: the authority and year effects are "
            "not separately identified (authorities observed in "
            "disjoint sets of years)"
        )
    exog = pd.concat([effects.iloc[:, :1], x, effects.iloc[:, 1:]], axis=1)
    groups = pd.factorize(frame["la_code"])[0]
    res = sm.OLS(y, exog).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    yv = y.to_numpy()
    yres = yv - qe @ (qe.T @ yv)
    r2_within = 1 - float(res.ssr) / float((yres**2).sum())
    # The fixed effects are not listed: only the factors' terms.
    coef = _coefficients(
        res, plan, list(x.columns), names[1:], ("measure", "transform")
    )
    return PanelResult(
        target=names[0],
        coefficients=coef,
        variables=_variables(plan, panel=True),
        excluded=excluded,
        data=frame.drop(columns=["region"]).reset_index(drop=True),
        n=int(res.nobs),
        n_authorities=int(frame["la_code"].nunique()),
        n_years=int(frame["year"].nunique()),
        r2=float(res.rsquared),
        r2_within=r2_within,
        aic=float(res.aic),
        entity_effects=entity_effects,
        time_effects=time_effects,
        cov_type="cluster (authority)",
        model=res,
    )
