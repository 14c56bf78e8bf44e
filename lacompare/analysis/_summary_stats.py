"""The statistics of :func:`lacompare.analysis.summarise`: N, missing, mean,
median, SD, min, max, range and quartiles per group, and the population-weighted
mean."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.provenance import IssueLog
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


def read_filled_periods(
    store: Store,
    measure: str,
    periods: list[str],
    breakdown: str | None,
    source_id: int | None,
) -> set[str]:
    """The periods of ``periods`` in which some authority has a value of
    ``measure`` (one query through the store; a period whose rows are all blank
    or suppressed is not among them)."""
    from lacompare.derive import resolve_breakdown

    if not periods:
        return set()
    bd = resolve_breakdown(store, measure, breakdown)
    rel = store.values_relation(
        measures=measure,
        periods=periods,
        breakdowns=bd,
        sources=None if source_id is None else [source_id],
        present_only=True,
        columns=["period"],
    )
    return {r[0] for r in rel.query("v", "SELECT DISTINCT period FROM v").fetchall()}


def asked_periods(periods: str | Sequence[str] | None) -> list[str]:
    """The period labels a list names (``'2010,2013'``); a window ``FIRST:LAST``
    or ``None`` names none by label.

    Examples
    --------
    >>> asked_periods("2010, 2013"), asked_periods("2013:2017"), asked_periods(None)
    (['2010', '2013'], [], [])
    """
    if periods is None:
        return []
    if isinstance(periods, str):
        if ":" in periods:
            return []
        return [p.strip() for p in periods.split(",") if p.strip()]
    return [str(p).strip() for p in periods]


def span_text(periods: list[str]) -> str:
    """Periods as a note names them: all of a few, the ends of many.

    Examples
    --------
    >>> span_text(["2013", "2014"]), span_text([str(y) for y in range(2010, 2020)])
    ('2013, 2014', '2010 … 2019 (10 periods)')
    """
    if len(periods) <= 6:
        return ", ".join(periods)
    return f"{periods[0]} … {periods[-1]} ({len(periods)} periods)"


def note_partial_coverage(kept: pd.DataFrame, per_la: str, issues: IssueLog) -> None:
    """A note per measure naming the authorities whose figure rests on fewer
    periods than the window's periods with values (``periods_used`` of
    ``periods_of``): Isle of Wight's mean over 2013-18 with no 2016-18 rows."""
    if per_la == "pooled" or "periods_used" not in kept or kept.empty:
        return
    short = kept[kept["value"].notna() & (kept["periods_used"] < kept["periods_of"])]
    for measure, rows in short.groupby("measure", sort=False):
        rows = rows.sort_values(["periods_used", "la_name"])
        shown = [
            f"{r.la_name} {r.periods_used} of {r.periods_of}"
            + (
                f" ({r.first_period}–{r.last_period})"
                if r.first_period != r.last_period
                else f" ({r.first_period})"
            )
            for r in rows.head(12).itertuples(index=False)
        ]
        more = len(rows) - len(shown)
        issues.add(
            "partial-coverage",
            f"{measure}: partial coverage: {len(rows)} "
            + ("authority's" if len(rows) == 1 else "authorities'")
            + f" {per_la} uses fewer periods than have values: "
            + "; ".join(shown)
            + (f"; … and {more} more (periods_used in --values)" if more else ""),
            severity="info",
        )
