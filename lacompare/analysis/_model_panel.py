"""Panel OLS over authorities × years, with authority and year fixed effects.

:func:`fit_panel` reads the panel frame (one row per authority-year), drops the
authorities seen once (with authority effects they carry no information), builds
the fixed effects, checks the factors are identified beside them (one QR), and
fits the least-squares dummy-variable model with standard errors clustered by
authority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._model_frame import read_model_frame
from lacompare.analysis._model_ols import (
    coefficient_table,
    design_of,
    terms_of,
    variable_table,
)
from lacompare.analysis._model_plan import parse_years, variable_names
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store


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


def _drop_single_years(
    frame: pd.DataFrame, excluded: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leave out (and list) each authority seen once: with authority effects it
    is fitted exactly by its own effect."""
    counts = frame.groupby("la_code")["year"].transform("size")
    single = frame[counts == 1]
    if not len(single):
        return frame, excluded
    extra = single[["la_code", "la_name", "year"]].assign(
        reason="only year with every value: with authority effects it "
        "carries no information"
    )
    excluded = (
        pd.concat([excluded, extra], ignore_index=True)
        .sort_values(["la_code", "la_name", "year"])
        .reset_index(drop=True)
    )
    return frame[counts > 1].reset_index(drop=True), excluded


def _fixed_effects(
    frame: pd.DataFrame, entity_effects: bool, time_effects: bool
) -> pd.DataFrame:
    """The intercept, then a dummy per authority and per year (first dropped)."""
    dummies = [pd.Series(1.0, index=frame.index, name="Intercept")]
    if entity_effects:
        dummies.append(
            pd.get_dummies(frame["la_code"], prefix="la", drop_first=True, dtype=float)
        )
    if time_effects:
        dummies.append(
            pd.get_dummies(frame["year"], prefix="year", drop_first=True, dtype=float)
        )
    return pd.concat(dummies, axis=1)


def _within_projector(effects: pd.DataFrame, x: pd.DataFrame) -> np.ndarray:
    """An orthonormal basis of the fixed effects, after checking the factors.

    One QR of [effects | factors] serves three checks: its first columns span the
    fixed effects (so residualising on them gives the within variation and the
    within R²), and a near-zero diagonal marks a column that adds nothing.
    """
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
    return qe


def fit_fixed_effects(
    frame: pd.DataFrame,
    excluded: pd.DataFrame,
    plan: pd.DataFrame,
    names: list[str],
    entity_effects: bool,
    time_effects: bool,
) -> PanelResult:
    """Fit the panel frame: the dummy-variable OLS, SEs clustered by authority."""
    import statsmodels.api as sm

    if entity_effects:
        frame, excluded = _drop_single_years(frame, excluded)
    y, x = design_of(frame, names, terms_of(plan, names))
    k = x.shape[1]
    effects = _fixed_effects(frame, entity_effects, time_effects)
    n = len(y)
    if n <= k + effects.shape[1]:
        raise InputError(
            f"only {n} authority-years have every value: too few for "
            f"{k} factors and {effects.shape[1]} fixed effects"
        )
    qe = _within_projector(effects, x)
    exog = pd.concat([effects.iloc[:, :1], x, effects.iloc[:, 1:]], axis=1)
    groups = pd.factorize(frame["la_code"])[0]
    res = sm.OLS(y, exog).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    yv = y.to_numpy()
    yres = yv - qe @ (qe.T @ yv)
    return PanelResult(
        target=names[0],
        # The fixed effects are not listed: only the factors' terms.
        coefficients=coefficient_table(
            res, plan, list(x.columns), names[1:], ("measure", "transform")
        ),
        variables=variable_table(plan, panel=True),
        excluded=excluded,
        data=frame.drop(columns=["region"]).reset_index(drop=True),
        n=int(res.nobs),
        n_authorities=int(frame["la_code"].nunique()),
        n_years=int(frame["year"].nunique()),
        r2=float(res.rsquared),
        r2_within=1 - float(res.ssr) / float((yres**2).sum()),
        aic=float(res.aic),
        entity_effects=entity_effects,
        time_effects=time_effects,
        cov_type="cluster (authority)",
        model=res,
    )


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
    >>> codes = s.query("SELECT la_code FROM authorities WHERE valid_to IS NULL "
    ...                 "ORDER BY la_code LIMIT 20")["la_code"]
    >>> rows = [(c, n, y) for n, c in enumerate(codes, 1) for y in range(2018, 2022)]
    >>> _ = s.write_cells(
    ...     [{"la_code": c, "measure": "cla", "period": str(y),
    ...       "value": n + 2 * ((n * y) % 5) + y} for c, n, y in rows]
    ...     + [{"la_code": c, "measure": "cin", "period": str(y),
    ...         "value": (n * y) % 5} for c, n, y in rows], file="x")
    >>> p = fit_panel(s, "cla", ["cin"], periods="2018:2021")
    >>> p.n, p.n_authorities, p.n_years, round(float(p.coefficients.loc[0, "coef"]), 6)
    (80, 20, 4, 2.0)
    """
    years = parse_years(periods)
    plan, frame, excluded = read_model_frame(
        store, target, factors, period=None, years=years, log=log, exclude=exclude
    )
    return fit_fixed_effects(
        frame, excluded, plan, variable_names(plan), entity_effects, time_effects
    )
