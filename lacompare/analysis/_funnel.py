"""Significance flags of :func:`lacompare.analysis.compare`.

* A rate derived from a count and a population (:func:`lacompare.derive.derive_rate`)
  is judged against **funnel-plot control limits** around England's rate: exact
  Poisson (or binomial) limits at 95% and 99.8% for the authority's population,
  interpolated as in Spiegelhalter (2005), *Funnel plots for comparing institutional
  performance*, Statistics in Medicine 24:1185-1202;
* any other measure by its z-score against the distribution of authorities
  (|z| > 1.96 for 95%, > 3.09 for 99.8%; SD with ddof=1).
"""

from __future__ import annotations

import functools
import math
from typing import Any

from lacompare.errors import InputError

FUNNEL_MODELS = ("poisson", "binomial")
#: Two-sided normal critical values for the z-score flag.
Z95, Z998 = 1.959963984540054, 3.090232306167813


def funnel_limits(theta: Any, population: Any, p: float, model: str = "poisson") -> Any:
    """Exact funnel-plot control limit (as a proportion) at probability ``p``.

    For a target proportion ``theta`` and population ``n``, the ``p`` quantile of
    the count (Poisson with mean ``theta * n``, or binomial(n, theta)),
    interpolated between integers as in Spiegelhalter (2005), divided by ``n``.

    Examples
    --------
    >>> round(float(funnel_limits(0.007, 20000, 0.975)) * 10_000, 2)
    81.58
    """
    import numpy as np

    theta = np.asarray(theta, dtype=float)
    n = np.asarray(population, dtype=float)
    if model == "poisson":
        y, upper, lower = _poisson_quantile(theta * n, p)
    elif model == "binomial":
        # Only here: scipy.stats takes half a second to import, and `compare`
        # (Poisson by default) must start fast (issue 19).
        from scipy import stats

        dist = stats.binom(np.round(n).astype(int), theta)
        y = dist.ppf(p)
        upper = dist.cdf(y)
        lower = dist.cdf(y - 1)
    else:
        raise InputError(f"funnel model must be one of {', '.join(FUNNEL_MODELS)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(upper > lower, (upper - p) / (upper - lower), 0.0)
        return (y - alpha) / n


#: Means up to this are summed term by term here (about 80 standard deviations
#: of terms each); larger ones use scipy.special's incomplete gamma function.
SUMMED_MEAN = 1e5


def _poisson_quantile(mu: Any, p: float) -> tuple[Any, Any, Any]:
    """The ``p`` quantile ``y`` (0 < p < 1) of a Poisson count with mean ``mu``,
    and its distribution function at ``y`` and ``y - 1``: what
    ``scipy.stats.poisson(mu).ppf(p)`` and ``.cdf`` give, to about 1e-11 (NaN for
    a mean that is negative, infinite or NaN).

    Without scipy for a mean up to :data:`SUMMED_MEAN` (every funnel plot of an
    authority's children): scipy.stats takes half a second to import and
    scipy.special a tenth, and ``compare`` must start fast (issue 19). The
    probabilities are summed from 40 standard deviations below the mean, where
    what is left out is below 1e-300.

    Examples
    --------
    >>> [round(float(v), 6) for v in _poisson_quantile(140.0, 0.975)]
    [164.0, 0.978718, 0.974283]
    """
    import numpy as np

    mu = np.asarray(mu, dtype=float)
    flat = mu.ravel()
    out = np.full((3, flat.size), np.nan)
    summed = np.isfinite(flat) & (flat >= 0) & (flat <= SUMMED_MEAN)
    for i in np.flatnonzero(summed):
        out[:, i] = _summed_quantile(float(flat[i]), p)
    large = np.isfinite(flat) & (flat > SUMMED_MEAN)
    if large.any():
        out[:, large] = _special_quantile(flat[large], p)
    y, upper, lower = (v.reshape(mu.shape) for v in out)
    return y, upper, lower


def _summed_quantile(mu: float, p: float) -> tuple[float, float, float]:
    """:func:`_poisson_quantile` of one mean, its probabilities summed."""
    import numpy as np

    if mu == 0:
        return 0.0, 1.0, 0.0  # all of it at 0
    lo, cdf = _poisson_cdf(mu)
    i = min(int(np.searchsorted(cdf, p, side="left")), len(cdf) - 1)
    below = float(cdf[i - 1]) if i > 0 else 0.0
    return float(lo + i), min(float(cdf[i]), 1.0), min(below, 1.0)


@functools.lru_cache(maxsize=2048)
def _poisson_cdf(mu: float) -> tuple[int, Any]:
    """From which count, and the Poisson distribution function of ``mu`` from
    there to 40 standard deviations above the mean (cached: a funnel asks for
    four quantiles of each mean)."""
    import numpy as np

    spread = 40 * math.sqrt(mu) + 40
    lo, hi = max(0, math.floor(mu - spread)), math.ceil(mu + spread)
    k = np.arange(lo + 1, hi + 1, dtype=float)
    # Each probability relative to the one at ``lo``, then divided by their sum:
    # what lies outside the window is below 1e-300 of it, so the sum is 1, and
    # no rounding of the first probability (a difference of large logarithms)
    # is carried into the others.
    log_pmf = np.concatenate(([0.0], np.cumsum(math.log(mu) - np.log(k))))
    pmf = np.exp(log_pmf - log_pmf.max())
    return lo, np.cumsum(pmf) / pmf.sum()


def _special_quantile(mu: Any, p: float) -> Any:
    """:func:`_poisson_quantile` of large means, as scipy.stats computes it."""
    import numpy as np
    from scipy import special

    ceiling = np.ceil(special.pdtrik(p, mu))
    below = np.maximum(ceiling - 1, 0)
    y = np.where(special.pdtr(below, mu) >= p, below, ceiling)
    return np.stack([y, special.pdtr(y, mu), special.pdtr(y - 1, mu)])


def _funnel_tests(
    names: list[str], recipes: dict[str, dict[str, Any]], model: str
) -> Any:
    """Each measure's funnel test as the table states it; a published rate
    borrowing its population from a derived copy names the copy."""
    import numpy as np

    base = (
        f"funnel limits: exact {model.capitalize()} 95%/99.8% around "
        "England's rate, for the authority's population "
        "(Spiegelhalter 2005)"
    )
    return np.array(
        [
            f"{base}; the population is the one lacompare's derived rate uses"
            + _population_words(recipes[x])
            if recipes.get(x, {}).get("borrowed_from")
            else base
            for x in names
        ],
        dtype=object,
    )


def _population_words(recipe: dict[str, Any]) -> str:
    """`` (Children aged 0 to 17, mid-year estimate)``: the derived copy's
    population by its catalogue label, not its store id (committees read this).

    Examples
    --------
    >>> _population_words({"denominator": "population_0_17"})
    ' (Children aged 0 to 17, mid-year estimate)'
    >>> _population_words({})
    ''
    """
    from lacompare.catalogue import display_label, indicator_for_key

    key = recipe.get("denominator")
    if not key:
        return ""
    breakdown = recipe.get("denominator_breakdown") or ""
    full = f"{key}[{breakdown}]" if breakdown else str(key)
    ind = indicator_for_key(full)
    if ind is None:
        return f" ({display_label(full)})"
    when = f", {ind.year_type[0].lower()}{ind.year_type[1:]}" if ind.year_type else ""
    return f" ({ind.label}{when})"


def derive_flags(
    got: Any,
    m: Any,
    value: Any,
    z: Any,
    n: Any,
    num: Any,
    den: Any,
    england: Any,
    names: list[str],
    recipes: dict[str, dict[str, Any]],
    model: str,
) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Flag, level, test and funnel limits of each row: funnel limits for rates with
    a count and a population, else the z-score."""
    import numpy as np

    from lacompare.derive import choose

    is_rate = np.array(
        [
            bool(
                recipes.get(x, {}).get("recipe") == "rate"
                and recipes[x].get("numerator_unit_factor", 1.0) == 1.0
            )
            for x in names
        ],
        dtype=bool,
    )
    per_m = np.array(
        [float(recipes[x].get("scale", 1.0)) if x in recipes else 1.0 for x in names]
    )
    size = len(m)
    per = per_m[m]
    with np.errstate(invalid="ignore"):
        funnel = (
            got
            & is_rate[m]
            & ~np.isnan(num)
            & ~np.isnan(den)
            & (den > 0)
            & ~np.isnan(england)
            & ~np.isnan(value)
        )
    limits = {
        col: np.full(size, np.nan)
        for col in ("lower_95", "upper_95", "lower_998", "upper_998")
    }
    flag = np.full(size, None, dtype=object)
    level = np.full(size, None, dtype=object)
    test = np.full(size, None, dtype=object)
    if funnel.any():
        f = funnel
        theta = england[f] / per[f]
        for col, p in (
            ("lower_95", 0.025),
            ("upper_95", 0.975),
            ("lower_998", 0.001),
            ("upper_998", 0.999),
        ):
            limits[col][f] = funnel_limits(theta, den[f], p, model) * per[f]
        v = value[f]
        lo95, hi95 = limits["lower_95"][f], limits["upper_95"][f]
        lo998, hi998 = limits["lower_998"][f], limits["upper_998"][f]
        flag[f] = np.select([v > hi95, v < lo95], ["above", "below"], "within")
        level[f] = choose(
            [(v > hi998) | (v < lo998), (v > hi95) | (v < lo95)],
            ["99.8%", "95%"],
            len(v),
        )
        test[f] = _funnel_tests(names, recipes, model)[m[f]]
    zt = got & ~funnel & ~np.isnan(z)
    if zt.any():
        zz = z[zt]
        flag[zt] = np.select([zz > Z95, zz < -Z95], ["above", "below"], "within")
        level[zt] = choose(
            [np.abs(zz) > Z998, np.abs(zz) > Z95], ["99.8%", "95%"], len(zz)
        )
        test[zt] = np.array(
            [
                f"|z| > 1.96 (95%) / 3.09 (99.8%) against {k} authorities"
                for k in n[zt].tolist()
            ],
            dtype=object,
        )
    return flag, level, test, limits
