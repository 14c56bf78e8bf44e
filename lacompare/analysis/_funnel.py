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


def _poisson_quantile(mu: Any, p: float) -> tuple[Any, Any, Any]:
    """The ``p`` quantile ``y`` (0 < p < 1) of a Poisson count with mean ``mu``,
    and its distribution function at ``y`` and ``y - 1``: what
    ``scipy.stats.poisson(mu).ppf(p)`` and ``.cdf`` give (NaN for a mean that is
    negative or NaN), from scipy.special's ``pdtrik`` and ``pdtr`` as scipy.stats
    computes them, without importing scipy.stats (0.09 s against 0.5 s).

    Examples
    --------
    >>> [float(v) for v in _poisson_quantile(140.0, 0.975)]
    [164.0, 0.9787..., 0.9742...]
    """
    import numpy as np
    from scipy import special

    mu = np.asarray(mu, dtype=float)
    valid = mu >= 0
    mean = np.where(valid, mu, 0.0)
    with np.errstate(invalid="ignore"):
        ceiling = np.ceil(special.pdtrik(p, mean))
        below = np.maximum(ceiling - 1, 0)
        y = np.where(special.pdtr(below, mean) >= p, below, ceiling)

        def cdf(k: Any) -> Any:
            at = np.where(k >= 0, np.clip(special.pdtr(np.floor(k), mean), 0, 1), 0)
            return np.where(np.isnan(k), np.nan, at)

        upper, lower = cdf(y), cdf(y - 1)
    bad = np.where(valid, 1.0, np.nan)
    return y * bad, upper * bad, lower * bad


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
