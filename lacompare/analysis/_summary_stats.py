"""The statistics of :func:`lacompare.analysis.summarise`: N, missing, mean,
median, SD, min, max, range and quartiles per group, and the population-weighted
mean."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store


def summarise_values(frame: pd.DataFrame, keys: list[str], method: str) -> pd.DataFrame:
    """The summary statistics of ``value`` per group (NaN values count as missing)."""
    import numpy as np

    g = frame.groupby(keys, sort=False)["value"]

    def q(p: float):  # noqa: ANN202 - a pandas aggregation
        def f(x: pd.Series) -> float:
            x = x.dropna().to_numpy(dtype=float)
            how: Any = method  # a numpy method name, checked by numpy
            return float(np.quantile(x, p, method=how)) if len(x) else np.nan

        return f

    stats = g.agg(
        n="count",
        size="size",
        mean="mean",
        median="median",
        sd=lambda x: x.std(ddof=1),
        min="min",
        max="max",
        q1=q(0.25),
        q3=q(0.75),
    )
    stats["missing"] = stats.pop("size") - stats["n"]
    stats["range"] = stats["max"] - stats["min"]
    return stats.reset_index()


def read_weights(
    store: Store, weights: str, measure: str, periods: list[str]
) -> pd.DataFrame:
    """Each authority's weight: the weight measure's mean over the periods matched
    to the summarised periods by reference date (as derive_rate matches them)."""
    from lacompare.derive import (
        MAX_LAG_DAYS,
        measure_info,
        reference_day,
        window_values,
    )

    ref = measure_info(store, measure).reference_date
    wref = measure_info(store, weights).reference_date
    wperiods = store.list_periods(weights)
    wdays = sorted(
        (d, p) for p in wperiods if (d := reference_day(p, wref)) is not None
    )
    chosen = set()
    for p in periods:
        day = reference_day(p, ref)
        if day is None:
            continue
        before = [
            (d, q)
            for d, q in wdays
            if d <= day and (day - d) <= dt.timedelta(days=MAX_LAG_DAYS)
        ]
        if before:
            chosen.add(before[-1][1])
    if not chosen:
        raise InputError(
            f"no values of weights {weights!r} match periods {', '.join(periods)}"
        )
    w = window_values(store, weights, sorted(chosen), how="mean")
    return w[["la_code", "value"]].rename(columns={"value": "weight"})


def summarise_weighted(
    kept: pd.DataFrame, keys: list[str], england: bool
) -> pd.DataFrame:
    """The weighted mean of each group (and England) and how many authorities it
    is over: ``weighted_mean``, ``weighted_n`` by ``keys``."""
    import pandas as pd

    ok = kept[kept["value"].notna() & kept["weight"].notna()]
    wsum = ok.assign(wv=ok["value"] * ok["weight"])
    groups = [wsum]
    if england:
        groups.append(wsum.assign(group="England"))
    wt = (
        pd.concat(groups)
        .groupby(keys)
        .agg(wv=("wv", "sum"), w=("weight", "sum"), weighted_n=("weight", "size"))
    )
    wt["weighted_mean"] = wt["wv"] / wt["w"]
    return wt[["weighted_mean", "weighted_n"]].reset_index()
