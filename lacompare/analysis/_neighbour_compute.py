"""Computing statistical neighbours from measures in the store.

The CIPFA/NFER recipe, in named steps: check the weights, read every authority's
values (leaving out those excluded, those that did not exist on the set's day and
those missing a variable, each with its reason), standardise to z-scores, find
each authority's k nearest by weighted Euclidean distance, rebase the distances
0-1, and write the set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lacompare.analysis._neighbour_load import NeighbourSet
from lacompare.analysis._neighbour_store import as_of, set_frame, valid_on, write_set
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    from lacompare.store import Store


def _check_options(
    variables: Sequence[str],
    weights: Sequence[float] | Mapping[str, float] | None,
    k: int,
    rebase: str,
) -> tuple[list[str], np.ndarray]:
    """The variables (each once) and their weights; an error for no variables,
    bad weights, k below 1 or an unknown rebase."""
    names = list(dict.fromkeys(variables))
    if not names:
        raise InputError("no variables given")
    w = _weights(names, weights)
    if k < 1:
        raise InputError("k must be at least 1")
    if rebase not in ("authority", "overall"):
        raise InputError("rebase must be 'authority' or 'overall'")
    return names, w


def _weights(
    variables: list[str], weights: Sequence[float] | Mapping[str, float] | None
) -> np.ndarray:
    """One weight per variable: from a list, a {variable: weight} (others 1) or
    all 1; non-negative and not all zero."""
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(variables)
        if unknown:
            raise InputError(
                "weights for variables not in the model: " + ", ".join(sorted(unknown))
            )
        w = np.array([float(weights.get(v, 1.0)) for v in variables])
    elif weights is None:
        w = np.ones(len(variables))
    else:
        w = np.asarray(list(weights), dtype=float)
        if len(w) != len(variables):
            raise InputError(f"{len(w)} weights for {len(variables)} variables")
    if not np.all(np.isfinite(w)) or (w < 0).any() or not (w > 0).any():
        raise InputError("weights must be non-negative numbers, not all zero")
    return w


@dataclass
class _Values:
    """The authorities in the model (one row each, a column per variable), those
    left out with why, and the periods each variable read."""

    values: pd.DataFrame
    left: list[pd.DataFrame]
    periods: Any


def _read_complete_values(
    store: Store,
    variables: list[str],
    period: Any,
    breakdown: str,
    exclude: str | Sequence[str] | None,
    day: date | None,
) -> _Values:
    """Every authority with every variable, after the exclusions asked for and
    those that did not exist on ``day``."""
    from lacompare.analysis._exclusions import resolve_exclusions
    from lacompare.analysis._la_values import missing_reasons, read_la_values

    data = read_la_values(store, variables, period=period, breakdown=breakdown)
    values = data.values
    left: list[pd.DataFrame] = []
    user = resolve_exclusions(store, exclude)
    user = user[user["la_code"].isin(values.index)]
    left.append(user)
    values = values[~values.index.isin(user["la_code"])]
    exists = values.index.map(valid_on(store, day)["exists"]).fillna(False)
    exists = exists.astype(bool)
    if day is not None and (~exists).any():
        left.append(
            pd.DataFrame(
                {
                    "la_code": values.index[~exists],
                    "reason": f"did not exist on {day.isoformat()}",
                }
            )
        )
        values = values[exists]
    why = missing_reasons(values, data.reasons.reindex(values.index), variables)
    gap = (why != "").to_numpy()
    left.append(
        pd.DataFrame({"la_code": values.index[gap], "reason": why[gap].to_numpy()})
    )
    return _Values(values[~gap], left, data.periods)


def _fit_k(n: int, k: int, issues: IssueLog) -> int:
    """``k``, or ``n - 1`` when fewer authorities than that (noted)."""
    if n < 2:
        raise InputError(f"only {n} authorities have every variable: need two")
    if k > n - 1:
        issues.add(
            "k-reduced",
            f"only {n} authorities: k reduced from {k} to {n - 1}",
            severity="warning",
        )
        k = n - 1
    return k


def _standardise(
    values: pd.DataFrame, variables: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z-scores (sample SD), and each variable's mean and SD."""
    x = values.to_numpy(dtype=float)
    mean = x.mean(axis=0)
    sd = x.std(axis=0, ddof=1)
    flat = ~(sd > 0)
    if flat.any():
        raise InputError(
            "no variation across authorities in "
            + ", ".join(np.asarray(variables)[flat])
        )
    return (x - mean) / sd, mean, sd


def find_nearest(
    codes: np.ndarray, z: np.ndarray, w: np.ndarray, k: int, rebase: str
) -> pd.DataFrame:
    """Each authority's ``k`` nearest: ``la_code, neighbour_code, rank, distance,
    closeness`` (the distance rebased 0-1, as text).

    Examples
    --------
    >>> z = np.array([[0.0], [1.0], [3.0]])
    >>> find_nearest(np.array(["a", "b", "c"]), z, np.ones(1), 1, "overall")
      la_code neighbour_code  rank  distance closeness
    0       a              b     1       1.0  0.333333
    1       b              a     1       1.0  0.333333
    2       c              b     1       2.0  0.666667
    """
    from scipy.spatial.distance import cdist

    dist = cdist(z, z, "euclidean", w=w)
    np.fill_diagonal(dist, np.inf)
    # Rows and columns are in la_code order, so a stable sort breaks equal
    # distances (to 10 decimals, below float noise) by code: the same every run.
    key = np.round(dist, 10)
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    near = np.take_along_axis(dist, order, axis=1)
    finite = np.where(np.isfinite(dist), dist, -np.inf)
    scale = finite.max(axis=1, keepdims=True) if rebase == "authority" else finite.max()
    rebased = near / scale
    n = len(codes)
    return pd.DataFrame(
        {
            "la_code": np.repeat(codes, k),
            "neighbour_code": codes[order].ravel(),
            "rank": np.tile(np.arange(1, k + 1), n),
            "distance": near.ravel(),
            "closeness": np.char.mod("%.6f", rebased.ravel()),
        }
    )


def _recipe(
    variables: list[str],
    w: np.ndarray,
    k: int,
    period: Any,
    periods: Any,
    rebase: str,
    mean: np.ndarray,
    sd: np.ndarray,
    exclude: Any,
    breakdown: str,
) -> dict[str, Any]:
    """How the set was computed, as the store records it (``params``)."""
    return {
        "variables": variables,
        "weights": w.tolist(),
        "k": k,
        "period": period,
        "periods": periods,
        "rebase": rebase,
        "standardise": "z-score, sample SD",
        "means": mean.tolist(),
        "sds": sd.tolist(),
        "exclude": exclude,
        "breakdown": breakdown,
        "distance": "weighted Euclidean (scipy cdist, w)",
        "ties": "broken by la_code",
    }


def _write_computed(
    store: Store,
    set_id: str,
    label: str,
    params: dict[str, Any],
    valid_for: str | None,
    rows: pd.DataFrame,
    replace: bool,
) -> pd.DataFrame:
    """Write the computed set; return it read back, with ``rebased`` (the
    closeness as a number)."""
    write_set(
        store,
        set_id,
        label,
        "computed",
        "lacompare.compute_neighbours",
        params,
        valid_for,
        rows,
        replace,
    )
    out = set_frame(store, set_id)
    out["rebased"] = pd.to_numeric(out["closeness"], errors="coerce")
    return out


def _excluded(left: list[pd.DataFrame], names: pd.Series) -> pd.DataFrame:
    excluded = pd.concat(left, ignore_index=True)
    excluded.insert(1, "la_name", excluded["la_code"].map(names))
    return excluded.sort_values(["la_name", "la_code"]).reset_index(drop=True)


def compute_neighbours(
    store: Store,
    variables: Sequence[str],
    weights: Sequence[float] | Mapping[str, float] | None = None,
    k: int = 10,
    period: Any = None,
    set_id: str = "computed",
    *,
    label: str | None = None,
    valid_for: str | None = None,
    exclude: str | Sequence[str] | None = None,
    rebase: str = "authority",
    breakdown: str = "",
    replace: bool = False,
) -> NeighbourSet:
    """Compute each authority's k nearest statistical neighbours and store the set.

    The CIPFA/NFER recipe: each variable is standardised to z-scores over the
    authorities in the model (mean 0, sample SD 1); the distance between two
    authorities is the weighted Euclidean distance sqrt(sum w_v (z_av - z_bv)^2)
    (``scipy.spatial.distance.cdist``); each authority's k nearest are its
    neighbours, ties broken by ONS code so runs are reproducible; distances are
    rebased 0-1 with the farthest = 1.

    Parameters
    ----------
    store
        An open store.
    variables
        Measures describing the authorities (e.g. IDACI, population, ...).
    weights
        One weight per variable (list or {variable: weight}); default all 1.
    k
        Neighbours per authority.
    period
        Periods of the variables (as in :mod:`lacompare.analysis.significance`:
        a period, ``YEAR:YEAR`` averaged, a list, or {variable: spec}; default
        each variable's latest).
    set_id
        The set's name in the store.
    label
        A description.
    valid_for
        The period or date the set is for (default: ``period`` when it is one
        period). Authorities that did not exist then are left out.
    exclude
        Authorities to keep out of the model (``region:London``, names, codes).
    rebase
        ``authority``: each authority's distances over its farthest (that
        authority = 1; CIPFA); ``overall``: over the largest distance between any
        two authorities.
    breakdown
        Observations of this breakdown only.
    replace
        Replace an existing set with this id.

    Returns
    -------
    NeighbourSet
        ``neighbours`` holds ``distance`` (weighted Euclidean on z-scores) and
        ``closeness`` (the rebased distance 0-1, as text in the store);
        ``excluded`` lists authorities left out (missing variables, not existing,
        excluded by the user).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([{"la_code": c, "measure": "v", "period": "2021",
    ...                     "value": float(i)} for i, c in enumerate(
    ...     ["E06000001", "E06000002", "E06000003", "E06000004"])], file="f")
    >>> r = compute_neighbours(s, ["v"], k=2, period="2021", set_id="t")
    >>> r.neighbours.query("la_name == 'Middlesbrough'")["neighbour_name"].tolist()
    ['Hartlepool', 'Redcar and Cleveland']
    """
    variables, w = _check_options(variables, weights, k, rebase)
    if valid_for is None and isinstance(period, str) and not re.search(r"[:,]", period):
        valid_for = period
    day = as_of(valid_for)
    data = _read_complete_values(store, variables, period, breakdown, exclude, day)
    issues = IssueLog()
    k = _fit_k(len(data.values), k, issues)
    z, mean, sd = _standardise(data.values, variables)
    rows = find_nearest(data.values.index.to_numpy(), z, w, k, rebase)
    params = _recipe(
        variables, w, k, period, data.periods, rebase, mean, sd, exclude, breakdown
    )
    label_text = label or f"computed from {', '.join(variables)}"
    out = _write_computed(store, set_id, label_text, params, valid_for, rows, replace)
    excluded = _excluded(data.left, valid_on(store, day)["la_name"])
    return NeighbourSet(
        set_id, label, "computed", valid_for, out, excluded, issues, params
    )
