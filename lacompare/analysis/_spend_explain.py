"""Which expected-spend model, and why each authority's expected spend is what it is.

The LGA spend-variation study explains spend per head by five factors and finds that
"combinations of factors" matter. Four candidate models are compared here by
repeated k-fold cross-validation on the same authorities:

* ``linear``: spend on the factors as published;
* ``log``: the skewed factors (skewness above 1, all values positive) logged;
* ``interactions``: ``linear`` plus every pairwise product of the factors (each
  centred and scaled first, so main effects keep their meaning);
* ``region``: ``linear`` plus a shift for each region.

The chosen model is the one with the fewest terms whose mean CV R² is within one
standard deviation (across repeats) of the best: a better fit that is not clearly
better does not earn its extra terms.

Contributions decompose a fitted model's prediction for an authority into one part
per factor (and one for region effects), adding up to the prediction minus the mean
prediction (the England average of expected spend over the authorities fitted). They
are interventional Shapley values with the authorities themselves as the
background: a single-factor term gives ``b * (x - mean(x))``; a product term
``b * u_i * u_j`` gives factor ``i``
``b/2 * (u_i*mean(u_j) - mean(u_i*u_j) + u_i*u_j - mean(u_i)*u_j)``, and ``j``
the same with the roles swapped, which is exact for a model with pairwise terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from lacompare.errors import InputError
from lacompare.formatting import format_number

if TYPE_CHECKING:
    import pandas as pd

VARIANTS = ("linear", "log", "interactions", "region")
#: What each variant tests, for the comparison table.
VARIANT_NOTES = {
    "linear": "the factors as published",
    "log": "skewed factors logged",
    "interactions": "plus every pairwise product (combinations of factors)",
    "region": "plus a shift for each region",
}


@dataclass
class Design:
    """A model's columns: values, and which factors each column involves."""

    variant: str
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    #: column → the factors it involves (one, two for a product, 'region')
    involves: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: column of a product → the two centred and scaled values multiplied
    parts: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def matrix(self) -> np.ndarray:
        n = len(next(iter(self.columns.values())))
        return np.column_stack([np.ones(n), *self.columns.values()])

    @property
    def names(self) -> list[str]:
        return ["Intercept", *self.columns]


def skewed(x: np.ndarray) -> bool:
    """Whether a factor is logged in the ``log`` variant: all positive, skewness > 1.

    Examples
    --------
    >>> import numpy as np
    >>> skewed(np.array([1.0, 1, 1, 2, 50])), skewed(np.array([1.0, 2, 3, 4]))
    (True, False)
    """
    from scipy.stats import skew

    return bool((x > 0).all() and skew(x) > 1)


def design_spend_model(
    data: pd.DataFrame, factors: list[str], variant: str, region: str = "region"
) -> Design:
    """The columns of one candidate model.

    Parameters
    ----------
    data
        One row per authority with a column per factor (and ``region``).
    factors
        The factor columns, in order.
    variant
        One of :data:`VARIANTS`.
    region
        The column of regions (``region`` variant).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, 0, 1, 0],
    ...                   "region": ["N", "N", "S", "S"]})
    >>> design_spend_model(d, ["a", "b"], "interactions").names
    ['Intercept', 'a', 'b', 'a × b']
    >>> design_spend_model(d, ["a", "b"], "region").names
    ['Intercept', 'a', 'b', 'region: S']
    """
    if variant not in VARIANTS:
        raise InputError(
            f"model variant must be one of {', '.join(VARIANTS)}; got {variant!r}"
        )
    design = Design(variant)
    for f in factors:
        x = data[f].to_numpy(dtype=float)
        if variant == "log" and skewed(x):
            design.columns[f"log({f})"] = np.log(x)
        else:
            design.columns[f] = x
        design.involves[next(reversed(design.columns))] = (f,)
    if variant == "interactions":
        scaled = {}
        for f in factors:
            x = data[f].to_numpy(dtype=float)
            sd = x.std(ddof=0)
            scaled[f] = (x - x.mean()) / (sd if sd > 0 else 1.0)
        for a, b in combinations(factors, 2):
            name = f"{a} × {b}"
            design.columns[name] = scaled[a] * scaled[b]
            design.involves[name] = (a, b)
            design.parts[name] = (scaled[a], scaled[b])
    if variant == "region":
        regions = data[region].fillna("(no region)").astype(str).to_numpy()
        for value in sorted(set(regions))[1:]:
            name = f"region: {value}"
            design.columns[name] = (regions == value).astype(float)
            design.involves[name] = ("region",)
    return design


def _oof_predictions(
    X: np.ndarray, y: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    n = len(y)
    oof = np.empty(n)
    for test in np.array_split(rng.permutation(n), k):
        train = np.setdiff1d(np.arange(n), test)
        coef, *_ = np.linalg.lstsq(X[train], y[train], rcond=None)
        oof[test] = X[test] @ coef
    return oof


@dataclass
class ModelComparison:
    """The candidate models compared (see :func:`compare_spend_models`).

    Attributes
    ----------
    table
        One row per variant: ``variant, about, terms, n, cv_r2, cv_r2_sd,
        cv_rmse, cv_rmse_sd, chosen``.
    chosen
        The variant chosen.
    why
        One sentence saying why.
    k, repeats, seed
        The cross-validation: ``repeats`` times ``k`` folds.
    """

    table: pd.DataFrame
    chosen: str
    why: str
    k: int
    repeats: int
    seed: int


def compare_spend_models(
    data: pd.DataFrame,
    target: str,
    factors: list[str],
    *,
    k: int = 10,
    repeats: int = 10,
    seed: int = 0,
    variants: tuple[str, ...] = VARIANTS,
    region: str = "region",
) -> ModelComparison:
    """Compare candidate models by repeated k-fold cross-validation.

    Every variant sees the same folds in each repeat (fold assignment from
    ``numpy.random.default_rng(seed + repeat)``), so differences are the models'.

    Parameters
    ----------
    data
        One row per authority: the target, the factors and ``region``.
    target, factors
        Column names.
    k, repeats, seed
        ``repeats`` runs of ``k``-fold cross-validation.
    variants
        Which of :data:`VARIANTS` to compare.
    region
        The column of regions.

    Returns
    -------
    ModelComparison

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200),
    ...                   "region": rng.choice(["N", "S"], 200)})
    >>> d["y"] = d.a + d.b + 2 * d.a * d.b + rng.normal(scale=0.3, size=200)
    >>> compare_spend_models(d, "y", ["a", "b"], repeats=3).chosen
    'interactions'
    """
    y = data[target].to_numpy(dtype=float)
    n = len(y)
    if not 2 <= k <= n:
        raise InputError(f"folds must be between 2 and n = {n}; got {k}")
    if repeats < 1:
        raise InputError("repeats must be at least 1")
    designs = {v: design_spend_model(data, factors, v, region) for v in variants}
    scores = _cv_scores(designs, y, k, repeats, seed)
    table = _score_table(designs, scores, n, repeats)
    chosen, why = _choose_variant(table, repeats, k)
    return ModelComparison(
        table=table, chosen=chosen, why=why, k=k, repeats=repeats, seed=seed
    )


def _cv_scores(
    designs: dict[str, Design], y: np.ndarray, k: int, repeats: int, seed: int
) -> dict[str, list[tuple[float, float]]]:
    """``(R², RMSE)`` of each variant's out-of-fold predictions in each repeat;
    every variant sees the same folds in a repeat."""
    ss_tot = float(((y - y.mean()) ** 2).sum())
    scores: dict[str, list[tuple[float, float]]] = {v: [] for v in designs}
    for r in range(repeats):
        for v, design in designs.items():
            oof = _oof_predictions(
                design.matrix(), y, k, np.random.default_rng(seed + r)
            )
            resid = y - oof
            scores[v].append(
                (
                    1 - float((resid**2).sum()) / ss_tot,
                    float(np.sqrt((resid**2).mean())),
                )
            )
    return scores


def _score_table(
    designs: dict[str, Design],
    scores: dict[str, list[tuple[float, float]]],
    n: int,
    repeats: int,
) -> pd.DataFrame:
    """One row per variant: its terms and the mean and SD of its CV scores."""
    import pandas as pd

    rows = []
    for v, design in designs.items():
        r2 = np.array([s[0] for s in scores[v]])
        rmse = np.array([s[1] for s in scores[v]])
        rows.append(
            {
                "variant": v,
                "about": VARIANT_NOTES[v],
                "terms": len(design.columns),
                "n": n,
                "cv_r2": float(r2.mean()),
                "cv_r2_sd": float(r2.std(ddof=1)) if repeats > 1 else 0.0,
                "cv_rmse": float(rmse.mean()),
                "cv_rmse_sd": float(rmse.std(ddof=1)) if repeats > 1 else 0.0,
            }
        )
    return pd.DataFrame(rows)


def _choose_variant(table: pd.DataFrame, repeats: int, k: int) -> tuple[str, str]:
    """The variant with the fewest terms whose mean CV R² is within one SD of the
    best, and a sentence saying why; marks it in ``table['chosen']``."""
    best = table.loc[table["cv_r2"].idxmax()]
    within = table[table["cv_r2"] >= best["cv_r2"] - best["cv_r2_sd"]]
    chosen = within.sort_values(["terms", "cv_r2"], ascending=[True, False]).iloc[0]
    table["chosen"] = table["variant"] == chosen["variant"]
    if chosen["variant"] != best["variant"]:
        why = (
            f"{chosen['variant']} ({_r2(chosen['cv_r2'])}) is within one "
            f"standard deviation of the best, {best['variant']} "
            f"({_r2(best['cv_r2'])} ± {_r2(best['cv_r2_sd'])}), with fewer terms "
            f"({chosen['terms']} against {best['terms']})"
        )
        return str(chosen["variant"]), why
    why = (
        f"{chosen['variant']} has the highest mean CV R² "
        f"({_r2(chosen['cv_r2'])}, sd {_r2(chosen['cv_r2_sd'])} over "
        f"{repeats} × {k}-fold)"
    )
    simpler = table[
        (table["variant"] != chosen["variant"]) & (table["terms"] < chosen["terms"])
    ]
    if len(simpler):
        why += ", more than one standard deviation above every simpler model"
    return str(chosen["variant"]), why


def _r2(value: float) -> str:
    """An R² (or its SD) in a sentence: three decimals."""
    return format_number(value, None, 3)


def contributions_of(
    design: Design, coef: np.ndarray, groups: dict[str, str] | None = None
) -> pd.DataFrame:
    """Each factor's part of each prediction's difference from the mean prediction.

    Parameters
    ----------
    design
        The fitted model's design (from :func:`design_spend_model`).
    coef
        Its coefficients, intercept first.
    groups
        Factor column → the name its contribution is reported under (the factor's
        family, e.g. ``deprivation``); default the column itself.

    Returns
    -------
    pandas.DataFrame
        One row per authority, a column ``contribution_<name>`` per factor (and
        ``contribution_region`` for region effects); each row sums to the
        prediction minus the mean prediction.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 3, 2, 6]})
    >>> design = design_spend_model(d, ["a", "b"], "interactions")
    >>> coef = np.array([10.0, 2, 1, 4])
    >>> c = contributions_of(design, coef)
    >>> pred = design.matrix() @ coef
    >>> np.allclose(c.sum(axis=1), pred - pred.mean())
    True
    >>> contributions_of(design_spend_model(d, ["a"], "linear"),
    ...                  np.array([1.0, 2.0]))["contribution_a"].tolist()
    [-3.0, -1.0, 1.0, 3.0]
    """
    import pandas as pd

    groups = groups or {}
    out: dict[str, np.ndarray] = {}

    def add(factor: str, values: np.ndarray) -> None:
        name = f"contribution_{groups.get(factor, factor)}"
        out[name] = out.get(name, 0) + values

    for b, (column, values) in zip(coef[1:], design.columns.items(), strict=True):
        involved = design.involves[column]
        if len(involved) == 1:
            add(involved[0], b * (values - values.mean()))
            continue
        u, v = design.parts[column]
        uv = float((u * v).mean())
        add(involved[0], b / 2 * (u * v.mean() - uv + u * v - u.mean() * v))
        add(involved[1], b / 2 * (v * u.mean() - uv + u * v - v.mean() * u))
    return pd.DataFrame(out)


def describe_contributions(
    name: str,
    row: pd.Series,
    unit: str = "",
    *,
    actual: float | None = None,
    expected: float | None = None,
    per: str = "",
) -> str:
    """A plain-English sentence: which factors raise or lower expected spend most,
    and (given ``actual`` and ``expected``) how actual spend compares.

    "Most of" is said only when the factors named give at least half of the
    difference; when the largest factor alone pushes further than the whole
    difference, the factors pulling the other way are named as offsetting it.

    Examples
    --------
    >>> import pandas as pd
    >>> row = pd.Series({"contribution_deprivation": 260.0,
    ...                  "contribution_unemployment": 190.0,
    ...                  "contribution_crime": -40.0})
    >>> print(describe_contributions("Blackpool", row, "£"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Most of Blackpool's higher expected spend (£410 above the average) comes
    from deprivation (+£260) and unemployment (+£190).
    >>> row = pd.Series({"contribution_population": -438.0,
    ...                  "contribution_deprivation": 200.0,
    ...                  "contribution_crime": 58.0})
    >>> print(describe_contributions("Leeds", row, "£", actual=1732.0,
    ...                              expected=1383.0, per=" per child"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Leeds's expected spend is £180 below the average: population lowers it by
    £438, partly offset by deprivation (+£200) and crime (+£58). It spends
    £1,732 per child, £349 more than expected (£1,383).
    """
    parts = row[[c for c in row.index if c.startswith("contribution_")]].astype(float)
    total = float(parts.sum())
    sign = 1.0 if total >= 0 else -1.0
    same = parts[np.sign(parts) == sign].abs().sort_values(ascending=False)
    top: list[tuple[str, float]] = []
    covered = 0.0
    for label, value in same.items():
        top.append((_factor_words(str(label)), float(parts[label])))
        covered += float(value)
        # Name the fewest factors that give two thirds of the push that way.
        if covered >= 2 / 3 * float(same.sum()) or len(top) == 2:
            break
    gap = _money(abs(total), unit, signed=False)
    where = "above" if total >= 0 else "below"
    if top and abs(top[0][1]) > abs(total) + 0.5:
        # The offsets are named, so name the second push that way too.
        top = [(_factor_words(str(c)), float(parts[c])) for c in same.index[:2]]
        sentence = _offset_sentence(name, parts, top, gap, where, unit)
    else:
        named = (
            " and ".join(f"{f} ({_money(v, unit)})" for f, v in top)
            or "no single factor"
        )
        direction = "higher" if total >= 0 else "lower"
        lead = "Most of" if covered >= abs(total) / 2 else "Part of"
        sentence = (
            f"{lead} {name}'s {direction} expected spend ({gap} {where} the "
            f"average) comes from {named}."
        )
    return sentence + _actual_sentence(actual, expected, unit, per)


def _factor_words(column: str) -> str:
    return column.removeprefix("contribution_").replace("_", " ")


def _money(value: float, unit: str, signed: bool = True) -> str:
    """An amount in a sentence: ``+£260``, ``-£300`` (or unsigned ``£300``)."""
    sign = ("+" if value >= 0 else "-") if signed else ""
    return f"{sign}{unit}{format_number(abs(value))}"


def _offset_sentence(
    name: str,
    parts: pd.Series,
    top: list[tuple[str, float]],
    gap: str,
    where: str,
    unit: str,
) -> str:
    """The named factors push further than the whole difference: say which
    factors pull the other way (the two largest, and how many more)."""
    verb = "raises" if top[0][1] >= 0 else "lowers"
    pushes = [f"{top[0][0]} {verb} it by {_money(top[0][1], unit, signed=False)}"]
    pushes += [f"{f} by {_money(v, unit, signed=False)}" for f, v in top[1:]]
    against = parts[np.sign(parts) == -np.sign(top[0][1])]
    against = against.reindex(against.abs().sort_values(ascending=False).index)
    offsets = [
        f"{_factor_words(str(c))} ({_money(float(v), unit)})"
        for c, v in against.head(2).items()
    ]
    if len(against) > 2:
        offsets.append(f"{len(against) - 2} more")
    return (
        f"{name}'s expected spend is {gap} {where} the average: "
        f"{' and '.join(pushes)}, partly offset by {' and '.join(offsets)}."
    )


def _actual_sentence(
    actual: float | None, expected: float | None, unit: str, per: str
) -> str:
    """`` It spends £1,732 per child, £349 more than expected (£1,383).`` or
    nothing when either figure is unknown."""
    if actual is None or expected is None:
        return ""
    if not (np.isfinite(actual) and np.isfinite(expected)):
        return ""
    spends = f" It spends {_money(actual, unit, signed=False)}{per}"
    gap = actual - expected
    if abs(gap) < 0.5:
        return f"{spends}, as expected."
    more = "more" if gap > 0 else "less"
    return (
        f"{spends}, {_money(abs(gap), unit, signed=False)} {more} than expected "
        f"({_money(expected, unit, signed=False)})."
    )


#: Readable names of the five factors' families, for charts and sentences.
FAMILY_NAMES = {
    "deprivation": "Deprivation",
    "population_0_25": "Population aged 0-25",
    "disposable_income": "Disposable income",
    "unemployment": "Unemployment",
    "crime": "Crime",
}


def contribution_names(model: Any) -> dict[str, str]:
    """``contribution_<factor>`` column → a readable factor name.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> m = SimpleNamespace(factors=pd.DataFrame({"family": ["crime", None],
    ...     "measure": ["crime_rate_per_1000", "x"], "label": ["Crime rate", "X"]}))
    >>> contribution_names(m)
    {'contribution_crime': 'Crime', 'contribution_x': 'X'}
    """
    names = {}
    for row in model.factors.dropna(subset=["measure"]).itertuples():
        family = row.family if isinstance(row.family, str) and row.family else None
        key = f"contribution_{family or row.measure}"
        names[key] = FAMILY_NAMES.get(family or "", None) or (
            row.label if isinstance(row.label, str) and row.label else row.measure
        )
    return names
