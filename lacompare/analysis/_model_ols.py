"""Multiple OLS across authorities, with robust standard errors.

:func:`fit_regression` reads the model frame (:mod:`lacompare.analysis.
_model_frame`) and fits it with statsmodels: robust (HC3) standard errors,
standardised coefficients and variance inflation factors. The design helpers
(:func:`terms_of`, :func:`design_of`, :func:`coefficient_table`,
:func:`variable_table`) are shared with the panel (:mod:`lacompare.analysis.
_model_panel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._model_frame import read_model_frame
from lacompare.analysis._model_plan import cov_type, variable_names
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store


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
        breakdown, transform, continued`` (``period_rule`` says whether the period
        was given, defaulted or the measure's latest; ``continued`` names the
        same-area recodes whose old code gave values, '' for none).
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


# ------------------------------------------------------------------ the design


def terms_of(plan: pd.DataFrame, names: list[str]) -> dict[str, str]:
    """Each variable's term: its name, or ``log(name)`` when logged."""
    log_of = plan.drop_duplicates("name").set_index("name")["transform"]
    return {n: (f"log({n})" if log_of[n] == "log" else n) for n in names}


def design_of(
    frame: pd.DataFrame, names: list[str], terms: dict[str, str]
) -> tuple[pd.Series, pd.DataFrame]:
    """The target and the factors' columns, logged where asked, named by term."""
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


def coefficient_table(
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


def variable_table(plan: pd.DataFrame, panel: bool) -> pd.DataFrame:
    """The variables a result lists: one row per variable (and year for a panel)."""
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
    # Which same-area recodes gave values (lacompare.analysis._continuing).
    cols += ["continued"] if "continued" in plan.columns else []
    out = plan.copy()
    out["breakdown"] = np.where(
        out["any_breakdown"], "(each authority's own row)", out["breakdown"]
    )
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------ fitting


def _standardised(x: pd.DataFrame, y: pd.Series, res: Any) -> np.ndarray:
    """Betas: the fit on z-scores, from the raw fit's slopes."""
    sd_y = float(y.std(ddof=1))
    if sd_y > 0:
        return (x.std(ddof=1) * res.params[x.columns]).to_numpy() / sd_y
    return np.full(x.shape[1], np.nan)


def _inflation(exog: pd.DataFrame, k: int) -> list[float]:
    """Each factor's variance inflation factor (1 for a single factor)."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    if k > 1:
        return [variance_inflation_factor(exog.to_numpy(), i) for i in range(1, k + 1)]
    return [1.0] * k


def regress(
    frame: pd.DataFrame,
    excluded: pd.DataFrame,
    plan: pd.DataFrame,
    names: list[str],
    cov: str,
) -> RegressionResult:
    """Fit the target (first of ``names``) on the factors by OLS."""
    import statsmodels.api as sm

    y, x = design_of(frame, names, terms_of(plan, names))
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
    coef = coefficient_table(
        res,
        plan,
        list(exog.columns),
        [None, *names[1:]],
        ("measure", "period", "transform"),
    )
    coef["beta"] = np.r_[np.nan, _standardised(x, y, res)]
    coef["vif"] = np.r_[np.nan, _inflation(exog, k)]
    return RegressionResult(
        target=names[0],
        coefficients=coef,
        variables=variable_table(plan, panel=False),
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
    >>> codes = s.query("SELECT la_code FROM authorities WHERE valid_to IS NULL "
    ...                 "ORDER BY la_code")["la_code"]
    >>> _ = s.write_cells(
    ...     [{"la_code": c, "measure": "spend", "period": "2024-25",
    ...       "value": 100 + 30 * (n % 7) + n % 3} for n, c in enumerate(codes, 1)]
    ...     + [{"la_code": c, "measure": "idaci", "period": "2019",
    ...         "value": n % 7} for n, c in enumerate(codes, 1)], file="x")
    >>> r = fit_regression(s, "spend", ["idaci"], exclude=["Leeds"])
    >>> r.n, round(float(r.coefficients.loc[1, "coef"]), 1), r.excluded.la_name.tolist()
    (152, 30.0, ['Leeds'])
    >>> r.variables[["name", "period", "period_rule"]].values.tolist()
    [['spend', '2024-25', 'latest'], ['idaci', '2019', 'latest']]
    """
    cov = cov_type(robust)
    plan, frame, excluded = read_model_frame(
        store, target, factors, period=period, years=None, log=log, exclude=exclude
    )
    return regress(frame, excluded, plan, variable_names(plan), cov)
