"""One figure per authority over a window of periods: mean, average change, slope,
CAGR, latest (year-on-year change is :mod:`lacompare.derive._change`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lacompare.derive._dates import select_periods
from lacompare.derive._store import (
    BASE_ZERO,
    VALUE_COLUMNS,
    Derived,
    carried,
    choose,
    current_with_days,
    duplicate_issues,
    measure_info,
    resolve_breakdown,
    with_previous_year,
    write_derived,
)
from lacompare.errors import InputError
from lacompare.store import list_periods

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

#: Per-authority summaries of a window of periods.
WINDOW_STATS = ("mean", "change", "latest", "slope", "cagr", "pooled")
_MIN_PERIODS = {"mean": 1, "latest": 1, "pooled": 1, "change": 2, "slope": 2, "cagr": 2}
#: What a stored window figure is, in words.
_WORDS = {
    "mean": "mean",
    "latest": "latest value",
    "change": "average year-on-year change",
    "slope": "least-squares slope per year",
    "cagr": "compound annual growth",
}


def window_values(
    store: Store,
    measure: str,
    periods: str | Sequence[str] | None = None,
    *,
    how: str = "mean",
    breakdown: str | None = "",
    min_periods: int | None = None,
    source_id: int | None = None,
    existing: bool = False,
) -> pd.DataFrame:
    """One figure per authority over a window of periods (not stored).

    Parameters
    ----------
    store
        An open store.
    measure
        The measure.
    periods
        ``'2013:2017'`` (every period whose reference day falls between those of
        2013 and 2017), a list of period labels, or ``None`` for all.
    how
        ``mean`` of the values; ``change``: the mean of the year-on-year
        differences (002's "average change": a year-on-year increase gives a
        positive score; with every year present it equals (last - first) / years);
        ``latest`` value; ``slope``: least-squares slope per year
        (:func:`scipy.stats.linregress` on decimal years); ``cagr``: compound
        annual growth in %, (last / first) ^ (1 / years) - 1, between the first and
        last values; ``pooled``: no summary, one row per authority and period.
    breakdown
        The breakdown ('' = totals, the default); ``None`` keeps each breakdown.
    min_periods
        Fewest values an authority needs (default 1; 2 for change, slope, cagr);
        with fewer, its figure is missing with reason ``too-few-periods``.
    source_id
        Only values from this load.
    existing
        Count a value only if its authority existed on the period's day (the
        registry's ``valid_from``/``valid_to``): others are missing with reason
        ``not-existing``, and the values so set aside are listed in
        ``.attrs["not_existing"]`` (``(la_code, period, value)`` tuples), so a
        distribution never holds a council after its abolition or its successor
        before it was created.

    Returns
    -------
    pandas.DataFrame
        ``la_code, breakdown, value, missing_reason, n_values, n_periods,
        first_period, last_period`` (plus ``period`` when ``how='pooled'``).
        ``n_values`` counts the values used; ``n_periods`` the periods the
        authority has rows for. A missing figure keeps its reason
        (``input-suppressed`` when every value was suppressed).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([
    ...     {"la_code": "E06000001", "measure": "m", "period": "2013", "value": 10},
    ...     {"la_code": "E06000001", "measure": "m", "period": "2014", "value": 14},
    ...     {"la_code": "E06000001", "measure": "m", "period": "2015", "value": 12},
    ... ], file="x")
    >>> window_values(s, "m", "2013:2015", how="change")["value"].tolist()
    [1.0]
    """
    if how not in WINDOW_STATS:
        raise InputError(f"how must be one of {', '.join(WINDOW_STATS)}, not {how!r}")
    cur = read_window(store, measure, periods, breakdown, source_id)
    set_aside = _outside_lifetimes(store, cur) if existing else None
    if how == "pooled":
        out = pooled_values(cur)
    else:
        out = summarise_window(cur, how, min_periods)
    if set_aside is not None:
        out.attrs["not_existing"] = set_aside
    return out


def read_window(
    store: Store,
    measure: str,
    periods: str | Sequence[str] | None,
    breakdown: str | None,
    source_id: int | None,
) -> pd.DataFrame:
    """The current values of the window's periods, with their days and lineage."""
    info = measure_info(store, measure)
    bd = resolve_breakdown(store, measure, breakdown)
    available = list_periods(store, measure, bd)
    if not available:
        raise InputError(
            f"no values of {measure!r}" + (f" with breakdown {bd!r}" if bd else "")
        )
    chosen = select_periods(available, periods, info.reference_date)
    cur = current_with_days(store, measure, bd, info.reference_date, chosen, source_id)
    cur["value"] = cur["value"].astype(float)
    return cur


def pooled_values(cur: pd.DataFrame) -> pd.DataFrame:
    """No summary: one row per authority and period, missing values with their
    reason."""
    out = cur[
        ["la_code", "breakdown", "period", "value", "missing_reason", "label"]
    ].copy()
    out["missing_reason"] = [
        None if v == v else carried(r, lab)
        for v, r, lab in zip(
            out["value"], out["missing_reason"], out.pop("label"), strict=True
        )
    ]
    out["n_values"] = out["value"].notna().astype(int)
    out["n_periods"] = 1
    out["first_period"] = out["last_period"] = out["period"]
    return out.reset_index(drop=True)


def summarise_window(
    cur: pd.DataFrame, how: str, min_periods: int | None
) -> pd.DataFrame:
    """One figure per authority lineage and breakdown, or the reason it is
    missing."""
    # An authority recoded without boundary change is one lineage; it is reported
    # under the latest code it has in the window.
    keys = ["lk", "breakdown"]
    stats = window_stats(cur, how, keys)
    need = min_periods if min_periods is not None else _MIN_PERIODS[how]
    stats = stats.join(_window_reasons(cur, keys))
    too_few = stats["n_values"] < need
    if how == "change":
        too_few |= stats["n_diffs"].fillna(0) < 1
    none = stats["n_values"] == 0
    bad_base = (how == "cagr") & ~too_few & (stats["first_value"] <= 0)
    stats["missing_reason"] = choose(
        [none, too_few, bad_base],
        [stats["reason"], "too-few-periods", BASE_ZERO],
        len(stats),
    )
    stats["value"] = stats["stat"].where(stats["missing_reason"].isna())
    out = stats.reset_index()[
        [
            "la_code",
            "breakdown",
            "value",
            "missing_reason",
            "n_values",
            "n_periods",
            "first_period",
            "last_period",
        ]
    ]
    out["n_values"] = out["n_values"].astype(int)
    out["n_periods"] = out["n_periods"].astype(int)
    return out


def window_stats(cur: pd.DataFrame, how: str, keys: list[str]) -> pd.DataFrame:
    """Counts, first and last values, and the statistic (``stat``) of each
    group."""
    import numpy as np

    g = cur.groupby(keys, sort=True)
    stats = g.agg(
        n_values=("value", "count"),
        n_periods=("period", "size"),
        mean=("value", "mean"),
        la_code=("la_code", "last"),
    )
    stats = stats.join(_first_last(cur))
    if how == "change":
        m = with_previous_year(cur)
        m["diff"] = m["value"] - m["value_prev"]
        diffs = m.groupby(keys)["diff"].agg(["mean", "count"])
        stats["stat"] = diffs["mean"]
        stats["n_diffs"] = diffs["count"]
    elif how == "mean":
        stats["stat"] = stats["mean"]
    elif how == "latest":
        stats["stat"] = stats["last_value"]
    elif how == "slope":
        stats["stat"] = _slopes(cur, keys)
    else:  # cagr
        years = stats["t_last"] - stats["t_first"]
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = (stats["last_value"] / stats["first_value"]) ** (1 / years)
        stats["stat"] = 100.0 * (growth - 1)
    return stats


def _outside_lifetimes(store: Store, cur: pd.DataFrame) -> list[tuple[str, str, float]]:
    """Make missing (reason ``not-existing``) the rows of ``cur`` whose authority
    did not exist on the row's day; return the values so set aside."""
    import pandas as pd

    life = store.query("SELECT la_code, valid_from, valid_to FROM authorities")
    span = cur[["la_code"]].merge(life, on="la_code", how="left")
    from lacompare.cells import period_as_of

    day = pd.to_datetime(cur["day"]).to_numpy()
    # The period's own date too (31 March): a return matched on it holds a
    # mid-year figure for an authority abolished the next day (Northamptonshire
    # 2021); it existed for the period, so it is kept.
    own = pd.to_datetime(cur["period"].map(period_as_of)).to_numpy()
    start = pd.to_datetime(span["valid_from"]).to_numpy()
    end = pd.to_datetime(span["valid_to"]).to_numpy()
    # NaT compares False: an open end, or a code not in the registry, is kept.
    outside = ((day < start) | (day > end)) & (
        (own < start) | (own > end) | pd.isna(own)
    )
    gone = cur.loc[
        outside & cur["value"].notna().to_numpy(), ["la_code", "period", "value"]
    ]
    cur.loc[outside, "value"] = float("nan")
    cur.loc[outside, "missing_reason"] = "not-existing"
    # Tuples, not a frame: pandas compares attrs when frames are concatenated.
    return list(gone.itertuples(index=False, name=None))


def _first_last(cur: pd.DataFrame) -> pd.DataFrame:
    ok = cur[cur["value"].notna()].sort_values("day")
    g = ok.groupby(["lk", "breakdown"])
    out = g.agg(
        first_value=("value", "first"),
        last_value=("value", "last"),
        t_first=("t", "first"),
        t_last=("t", "last"),
        first_period=("period", "first"),
        last_period=("period", "last"),
    )
    return out


def _slopes(cur: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Least-squares slope per group, vectorised (the normal-equation formula that
    scipy.stats.linregress uses; checked against it in the tests)."""
    ok = cur[cur["value"].notna()].copy()
    g = ok.groupby(keys)
    ok["tc"] = ok["t"] - g["t"].transform("mean")
    ok["vc"] = ok["value"] - g["value"].transform("mean")
    ok["tv"] = ok["tc"] * ok["vc"]
    ok["tt"] = ok["tc"] * ok["tc"]
    sums = ok.groupby(keys)[["tv", "tt"]].sum()
    return sums["tv"] / sums["tt"].where(sums["tt"] > 0)


def _window_reasons(cur: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The commonest missing reason of each authority's window (when it has no
    value at all)."""
    import pandas as pd

    miss = cur[cur["value"].isna()].copy()
    if miss.empty:
        idx = pd.MultiIndex.from_tuples([], names=keys)
        return pd.DataFrame({"reason": pd.Series([], dtype=object, index=idx)})
    miss["reason"] = [
        carried(r, lab)
        for r, lab in zip(miss["missing_reason"], miss["label"], strict=True)
    ]
    return miss.groupby(keys)["reason"].agg(lambda s: s.mode().iloc[0]).to_frame()


def derive_window(
    store: Store,
    measure: str,
    periods: str | Sequence[str],
    *,
    how: str = "change",
    name: str | None = None,
    breakdown: str | None = "",
    min_periods: int | None = None,
    polarity: str | None = None,
) -> Derived:
    """Store one figure per authority over a window (average change, slope, ...).

    The figure is stored under period ``FIRST:LAST`` (e.g. ``2013:2017``) so it
    never collides with a single year. See :func:`window_values` for ``how``.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([
    ...     {"la_code": "E06000001", "measure": "m", "period": "2013", "value": 10},
    ...     {"la_code": "E06000001", "measure": "m", "period": "2015", "value": 12.1},
    ... ], file="x")
    >>> d = derive_window(s, "m", "2013:2015", how="cagr")
    >>> d.values[["period", "value"]].round(6).values.tolist()
    [['2013:2015', 10.0]]
    """
    if how == "pooled":
        raise InputError("how='pooled' gives one row per period; nothing to store")
    info = measure_info(store, measure)
    frame = window_values(
        store, measure, periods, how=how, breakdown=breakdown, min_periods=min_periods
    )
    label_periods = (
        periods
        if isinstance(periods, str) and ":" in periods
        else f"{frame['first_period'].min()}:{frame['last_period'].max()}"
    )
    name = name or f"{measure}_{how}_{label_periods.replace(':', '_')}"
    values, inputs = window_frames(frame, measure, how, label_periods, breakdown)
    recipe = {
        "recipe": f"window-{how}",
        "measure": measure,
        "periods": label_periods,
        "breakdown": frame["breakdown"].iloc[0] if len(frame) else breakdown,
        "min_periods": min_periods,
    }
    source_id = write_derived(
        store,
        name=name,
        recipe=recipe,
        values=values,
        inputs=inputs,
        label=f"{info.label or measure}: {_WORDS[how]} {label_periods}",
        unit=_window_unit(how, info.unit),
        polarity=polarity or info.polarity,
        reference_date=None,
        description=f"derived (window-{how}): {_WORDS[how]} of {measure} over "
        f"{label_periods}, per authority",
    )
    return Derived(
        measure=name,
        recipe=recipe,
        values=values.drop(columns=["raw"]).reset_index(drop=True),
        source_id=source_id,
        issues=duplicate_issues(store, measure),
    )


def _window_unit(how: str, unit: str | None) -> str | None:
    """The unit of a window figure of a measure in ``unit``."""
    if how == "slope":
        return f"{unit or ''} per year".strip()
    if how == "cagr":
        return "% a year"
    return unit


def window_frames(
    frame: pd.DataFrame,
    measure: str,
    how: str,
    label_periods: str,
    breakdown: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The values to store (under period ``label_periods``; one chosen breakdown
    as the total) and their inputs. ``frame`` gains the stored columns."""
    import pandas as pd

    frame["period"] = label_periods
    frame["input_breakdown"] = frame["breakdown"]
    if breakdown is not None:
        frame["breakdown"] = ""
    frame["raw"] = None
    frame.loc[frame["missing_reason"] == BASE_ZERO, "raw"] = "-"
    frame["inputs"] = (
        f"{measure}["
        + frame["first_period"].fillna("none")
        + " … "
        + frame["last_period"].fillna("none")
        + f"] ({how}, "
        + frame["n_values"].astype(str)
        + " values)"
    )
    inputs = pd.DataFrame(
        {
            "level": "authority",
            "la_code": frame["la_code"],
            "period": label_periods,
            "breakdown": frame["breakdown"],
            "role": "window",
            "input_measure": measure,
            "input_period": frame["first_period"] + ":" + frame["last_period"],
            "input_breakdown": frame["input_breakdown"],
            "input_value": frame["n_values"].astype(float),
            "input_missing_reason": None,
        }
    )
    return frame[VALUE_COLUMNS], inputs
