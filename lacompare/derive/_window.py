"""Change over time: year-on-year differences and % change, and one figure per
authority over a window of periods (mean, average change, slope, CAGR, latest).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lacompare.derive._dates import select_periods
from lacompare.derive._store import (
    ABSENT,
    BASE_ZERO,
    Derived,
    carried,
    choose,
    current_sql,
    days_frame,
    duplicate_count,
    lineage_frame,
    measure_info,
    registered,
    resolve_breakdown,
    write_derived,
)
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

CHANGES = ("difference", "percent")
#: Per-authority summaries of a window of periods.
WINDOW_STATS = ("mean", "change", "latest", "slope", "cagr", "pooled")
_MIN_PERIODS = {"mean": 1, "latest": 1, "pooled": 1, "change": 2, "slope": 2, "cagr": 2}


def _current(
    store: Store,
    measure: str,
    breakdown: str | None,
    reference_date: str | None,
    periods: Sequence[str] | None,
    source_id: int | None = None,
    table: str = "observations",
) -> pd.DataFrame:
    """Current values of one measure with each period's reference day."""
    days = days_frame(store, {measure: reference_date})
    if periods is not None:
        days = days[days["period"].isin(list(periods))]
    extra = ""
    params: list[Any] = [measure] + ([breakdown] if breakdown is not None else [])
    if source_id is not None:
        extra = "WHERE c.source_id = ?"
        params.append(source_id)
    with registered(store, days=days, lineage=lineage_frame(store)) as names:
        return store.query(
            f"""SELECT c.k AS la_code, coalesce(l.lineage, c.k) AS lk, c.area_name,
                       c.period, c.breakdown, c.value, c.missing_reason, c.label,
                       d.day, d.t
                FROM ({current_sql(table, breakdown)}) c
                JOIN {names["days"]} d ON d.measure = c.measure
                                       AND d.period = c.period
                LEFT JOIN {names["lineage"]} l ON l.la_code = c.k
                {extra}
                ORDER BY lk, c.breakdown, d.day, c.k""",
            params,
        )


def _previous(frame: pd.DataFrame) -> pd.DataFrame:
    """Each row with the value one year before it (same authority lineage and
    breakdown)."""
    prev = frame[
        ["lk", "breakdown", "period", "value", "missing_reason", "label", "day"]
    ].copy()
    prev["day"] = prev["day"] + _one_year()
    merged = frame.merge(
        prev,
        on=["lk", "breakdown", "day"],
        how="left",
        suffixes=("", "_prev"),
        indicator=True,
    )
    merged["found"] = merged.pop("_merge") == "both"
    return merged


def _one_year() -> Any:
    import pandas as pd

    return pd.DateOffset(years=1)


def derive_change(
    store: Store,
    measure: str,
    *,
    how: str = "difference",
    name: str | None = None,
    breakdown: str | None = None,
    polarity: str | None = None,
    reference_date: str | None = None,
) -> Derived:
    """Year-on-year difference or % change of a measure, stored as a new measure.

    Each value is compared with the same authority's value one year earlier (by
    reference day: 31 March 2017 with 31 March 2016, 2016-17 with 2015-16). A
    percent change from 0 is missing with reason ``base-zero`` and prints ``-``, as
    councils print it; a change with a missing input carries its reason
    (``input-suppressed``); a first year, or a year after a gap, is
    ``input-absent``.

    Parameters
    ----------
    store
        An open, writable store.
    measure
        The measure to difference.
    how
        ``difference`` (value - previous) or ``percent`` (100 × difference /
        previous).
    name
        The new measure (default ``<measure>_yoy_diff`` / ``<measure>_yoy_pct``).
    breakdown
        Only this breakdown (default: each breakdown separately).
    polarity
        Default: the measure's (a rise in a higher-is-better measure is better).
    reference_date
        Override the measure's reference date.

    Returns
    -------
    Derived

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO measures (measure) VALUES ('m')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value, "
    ...     "source_id) VALUES ('E06000001', 'm', '2020', 0, 1), "
    ...     "('E06000001', 'm', '2021', 5, 1)")
    >>> d = derive_change(s, "m", how="percent")
    >>> d.values[["period", "value", "missing_reason"]].values.tolist()
    [['2020', nan, 'input-absent'], ['2021', nan, 'base-zero']]
    """
    import pandas as pd

    if how not in CHANGES:
        raise InputError(f"how must be one of {', '.join(CHANGES)}, not {how!r}")
    info = measure_info(store, measure)
    ref = reference_date or info.reference_date
    bd = resolve_breakdown(store, measure, breakdown)
    issues = _dup_issues(store, measure)
    frames = {}
    for table in ("observations", "totals"):
        cur = _current(store, measure, bd, ref, None, table=table)
        frames[table] = None if cur.empty else _change_values(cur, how)
    out = frames["observations"]
    if out is None:
        raise InputError(f"no values of {measure!r}")
    if bd is not None:
        # One chosen breakdown is what the new measure means; store it as its total.
        for frame in frames.values():
            if frame is not None:
                frame["input_breakdown"] = frame["breakdown"]
                frame["breakdown"] = ""
    name = name or f"{measure}_yoy_{'diff' if how == 'difference' else 'pct'}"
    recipe = {
        "recipe": f"change-{how}",
        "measure": measure,
        "breakdown": bd,
        "reference_date": ref,
    }
    inputs = _change_inputs(out, measure, "authority")
    totals = None
    if frames["totals"] is not None:
        tot = frames["totals"]
        totals = tot.rename(columns={"la_code": "area_code"})[
            [
                "area_code",
                "area_name",
                "period",
                "breakdown",
                "value",
                "missing_reason",
                "raw",
                "inputs",
            ]
        ]
        inputs = pd.concat(
            [inputs, _change_inputs(tot, measure, "total")], ignore_index=True
        )
    unit = "%" if how == "percent" else info.unit
    values = out[
        ["la_code", "period", "breakdown", "value", "missing_reason", "raw", "inputs"]
    ]
    source_id = write_derived(
        store,
        name=name,
        recipe=recipe,
        values=values,
        inputs=inputs,
        label=f"{info.label or measure}: year-on-year "
        f"{'% change' if how == 'percent' else 'change'}",
        unit=unit,
        polarity=polarity or info.polarity,
        reference_date=ref,
        description=f"derived (change-{how}): {measure}"
        + (f" [{bd}]" if bd else "")
        + " minus its value one year "
        "earlier"
        + (", as % of that value; '-' where it is 0" if how == "percent" else ""),
        totals=totals,
    )
    return Derived(
        measure=name,
        recipe=recipe,
        values=values.drop(columns=["raw"]).reset_index(drop=True),
        source_id=source_id,
        totals=0 if totals is None else len(totals),
        issues=issues,
    )


def _change_values(cur: pd.DataFrame, how: str) -> pd.DataFrame:
    import numpy as np

    m = _previous(cur)
    v = m["value"].to_numpy(dtype=float)
    p = m["value_prev"].to_numpy(dtype=float)
    found = m["found"].to_numpy()
    cur_missing = np.isnan(v)
    prev_missing = found & np.isnan(p)
    zero = found & ~prev_missing & (p == 0) & (how == "percent")
    ok = ~cur_missing & found & ~prev_missing & ~zero
    value = np.full(len(m), np.nan)
    diff = v - p
    value[ok] = diff[ok] if how == "difference" else 100.0 * diff[ok] / p[ok]
    r_cur = np.array(
        [
            carried(r, lab)
            for r, lab in zip(m["missing_reason"], m["label"], strict=True)
        ],
        dtype=object,
    )
    r_prev = np.array(
        [
            carried(r, lab)
            for r, lab in zip(m["missing_reason_prev"], m["label_prev"], strict=True)
        ],
        dtype=object,
    )
    reason = choose(
        [cur_missing, ~found, prev_missing, zero],
        [r_cur, ABSENT, r_prev, BASE_ZERO],
        len(m),
    )
    m["input_reason"] = m["missing_reason"]
    m["value"] = value
    m["missing_reason"] = reason
    m["raw"] = choose([reason == BASE_ZERO], ["-"], len(m))
    prev_period = m["period_prev"].where(found, None).fillna("none")
    m["inputs"] = (
        "[" + m["period"].astype(str) + "] - [" + prev_period.astype(str) + "]"
    )
    m["v_cur"] = v
    m["v_prev"] = np.where(found, p, np.nan)
    return m


def _change_inputs(out: pd.DataFrame, measure: str, level: str) -> pd.DataFrame:
    import pandas as pd

    base = {
        "level": level,
        "la_code": out["la_code"],
        "period": out["period"],
        "breakdown": out["breakdown"],
        "input_measure": measure,
        "input_breakdown": out.get("input_breakdown", out["breakdown"]),
    }
    a = pd.DataFrame(
        {
            **base,
            "role": "current",
            "input_period": out["period"],
            "input_value": out["v_cur"],
            "input_missing_reason": out["input_reason"],
        }
    )
    found = out["found"]
    b = pd.DataFrame(
        {
            **base,
            "role": "previous",
            "input_period": out["period_prev"].where(found, None),
            "input_value": out["v_prev"],
            "input_missing_reason": out["missing_reason_prev"].where(found, None),
        }
    )
    return pd.concat([a, b], ignore_index=True)


def _dup_issues(store: Store, measure: str) -> IssueLog:
    issues = IssueLog()
    dups = duplicate_count(store, measure)
    if dups:
        issues.add(
            "duplicate-values",
            f"{measure}: {dups:,} values are held by more "
            "than one load; the latest load's value is used",
            severity="info",
        )
    return issues


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
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO measures (measure) VALUES ('m')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value, "
    ...     "source_id) VALUES ('E06000001', 'm', '2013', 10, 1), "
    ...     "('E06000001', 'm', '2014', 14, 1), ('E06000001', 'm', '2015', 12, 1)")
    >>> window_values(s, "m", "2013:2015", how="change")["value"].tolist()
    [1.0]
    """
    import numpy as np

    if how not in WINDOW_STATS:
        raise InputError(f"how must be one of {', '.join(WINDOW_STATS)}, not {how!r}")
    info = measure_info(store, measure)
    bd = resolve_breakdown(store, measure, breakdown)
    available = [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT period FROM observations WHERE measure = ?"
            + (" AND breakdown = ?" if bd is not None else ""),
            [measure] + ([bd] if bd is not None else []),
        ).fetchall()
    ]
    if not available:
        raise InputError(
            f"no values of {measure!r}" + (f" with breakdown {bd!r}" if bd else "")
        )
    chosen = select_periods(available, periods, info.reference_date)
    cur = _current(store, measure, bd, info.reference_date, chosen, source_id)
    cur["value"] = cur["value"].astype(float)
    set_aside = _outside_lifetimes(store, cur) if existing else None
    first_last = _first_last(cur)
    if how == "pooled":
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
        out = out.reset_index(drop=True)
        if set_aside is not None:
            out.attrs["not_existing"] = set_aside
        return out
    # An authority recoded without boundary change is one lineage; it is reported
    # under the latest code it has in the window.
    keys = ["lk", "breakdown"]
    g = cur.groupby(keys, sort=True)
    stats = g.agg(
        n_values=("value", "count"),
        n_periods=("period", "size"),
        mean=("value", "mean"),
        la_code=("la_code", "last"),
    )
    stats = stats.join(first_last)
    if how == "change":
        m = _previous(cur)
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
    need = min_periods if min_periods is not None else _MIN_PERIODS[how]
    reasons = _window_reasons(cur, keys)
    stats = stats.join(reasons)
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
    if set_aside is not None:
        out.attrs["not_existing"] = set_aside
    return out


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
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO measures (measure) VALUES ('m')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value, "
    ...     "source_id) VALUES ('E06000001', 'm', '2013', 10, 1), "
    ...     "('E06000001', 'm', '2015', 12.1, 1)")
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
    values = frame[
        ["la_code", "period", "breakdown", "value", "missing_reason", "raw", "inputs"]
    ]
    import pandas as pd

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
    units = {
        "mean": info.unit,
        "latest": info.unit,
        "change": info.unit,
        "slope": f"{info.unit or ''} per year".strip(),
        "cagr": "% a year",
    }
    words = {
        "mean": "mean",
        "latest": "latest value",
        "change": "average year-on-year change",
        "slope": "least-squares slope per year",
        "cagr": "compound annual growth",
    }
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
        label=f"{info.label or measure}: {words[how]} {label_periods}",
        unit=units[how],
        polarity=polarity or info.polarity,
        reference_date=None,
        description=f"derived (window-{how}): {words[how]} of {measure} over "
        f"{label_periods}, per authority",
    )
    return Derived(
        measure=name,
        recipe=recipe,
        values=values.drop(columns=["raw"]).reset_index(drop=True),
        source_id=source_id,
        issues=_dup_issues(store, measure),
    )
