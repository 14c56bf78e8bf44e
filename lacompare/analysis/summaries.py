"""Group summaries: N, missing, mean, median, SD, min, max, range and quartiles of
one figure per authority, by region (London split Inner/Outer), type or any column.

The recipe of the What Works analysis (seed 002, Tables 2-8): take each authority's
figure over a window of years (its mean, or its average year-on-year change), leave
out authorities that do not belong (the Isles of Scilly), then describe the spread
within each region. Per-authority figures come from
:func:`lacompare.derive.window_values`; the statistics are pandas/numpy over the
authorities of each group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lacompare.analysis._exclusions import resolve_exclusions
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

#: The nine English regions in the order DfE tables print them (north to south).
REGION_ORDER = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "Inner London",
    "Outer London",
    "South East",
    "South West",
)

GROUPINGS = ("region", "london_region", "la_type")
PER_LA = ("mean", "change", "latest", "slope", "cagr", "pooled")
#: Columns of a summary table after the group (and measure) columns.
STAT_COLUMNS = (
    "n",
    "missing",
    "mean",
    "median",
    "sd",
    "min",
    "max",
    "range",
    "q1",
    "q3",
)


@dataclass
class Summary:
    """A group summary and what lies behind it.

    ``table``: one row per group and an England row; first column ``region`` (the
    group, whatever the grouping), then ``n, missing, mean, median, sd, min, max,
    range, q1, q3`` (and ``weighted_mean``, ``weighted_n`` when weights were given;
    ``measure`` second when several measures were summarised). ``values``: the
    figure of each authority. ``excluded``: every authority left out and why (asked
    to be excluded, or no value in the periods). ``periods``: the periods used.
    """

    table: pd.DataFrame
    values: pd.DataFrame
    excluded: pd.DataFrame
    measures: list[str]
    by: str
    per_la: str
    periods: dict[str, list[str]]
    issues: IssueLog = field(default_factory=IssueLog)

    @property
    def n(self) -> int:
        """Authorities with a figure (over all groups and measures)."""
        return int(self.values["value"].notna().sum())

    def notes(self) -> list[str]:
        """Plain-text lines: what was summarised and who was left out."""
        lines = []
        for measure, periods in self.periods.items():
            span = (
                ", ".join(periods)
                if len(periods) <= 6
                else f"{periods[0]} … {periods[-1]} ({len(periods)} periods)"
            )
            lines.append(f"{measure}: per-authority {self.per_la} over {span}")
        if len(self.excluded):
            for reason, rows in self.excluded.groupby("reason", sort=True):
                names = ", ".join(sorted(rows["la_name"].fillna(rows["la_code"])))
                lines.append(f"left out ({reason}): {names}")
        lines.extend(i.message for i in self.issues)
        return lines


def _group_expression(store: Store, by: str) -> str:
    if by == "london_region":
        return "coalesce(nullif(london_region, ''), region)"
    columns = {
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'authorities'"
        ).fetchall()
    }
    if by not in columns:
        raise InputError(
            f"cannot group by {by!r}; choose london_region or a column "
            f"of authorities: {', '.join(sorted(columns))}"
        )
    return f'CAST("{by}" AS VARCHAR)'


def _authorities(store: Store, by: str) -> pd.DataFrame:
    expr = _group_expression(store, by)
    return store.query(
        f"""SELECT la_code, la_name, dfe_code, region,
                   coalesce(nullif(london_region, ''), region) AS london_region,
                   coalesce({expr}, 'Unknown') AS "group"
            FROM authorities"""
    )


#: Groupings that change with the date (Cornwall was a shire county until 2009).
_DATED = ("la_type", "region", "region_code", "london_region")


def _dated_groups(
    store: Store,
    auth: pd.DataFrame,
    by: str,
    used: dict[str, list[str]],
    issues: IssueLog,
) -> pd.DataFrame:
    """Groups as they were on the last day of the periods summarised.

    The store's ``authorities`` table has today's type; a 2002 table must be grouped
    by 2002's (lacompare/geography/data/authority_history.csv). Authorities that did
    not exist that day keep their own.
    """
    from lacompare.derive import measure_info, reference_day
    from lacompare.geography import authorities_on
    from lacompare.store import authority_key

    days = [
        d
        for m, periods in used.items()
        for p in periods
        if (d := reference_day(p, measure_info(store, m).reference_date))
    ]
    if by not in _DATED or not days:
        return auth
    day = max(days)
    on = authorities_on(day)
    groups = (
        on["london_region"].where(on["london_region"] != "", on["region"])
        if by == "london_region"
        else on[by]
    )
    keys = [
        authority_key(c, d) for c, d in zip(on["la_code"], on["dfe_code"], strict=True)
    ]
    dated = auth.assign(
        group=auth["la_code"]
        .map(dict(zip(keys, groups, strict=True)))
        .fillna(auth["group"])
    )
    if not dated["group"].equals(auth["group"]):
        issues.add(
            "dated-groups",
            f"{by} as on {day.isoformat()} (the last period's "
            "reference day), not today's",
            severity="info",
        )
    return dated


def _order(groups: pd.Series) -> pd.Series:
    order = {name: i for i, name in enumerate(REGION_ORDER)}
    n = len(order)
    return groups.map(
        lambda g: (
            (0, order[g], g)
            if g in order
            else (
                (2, n, g)
                if g == "England"
                else ((1, n, "~") if g == "Unknown" else (1, n, g))
            )
        )
    )


def _stats(frame: pd.DataFrame, keys: list[str], method: str) -> pd.DataFrame:
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


def _weights_for(
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
    wperiods = [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT period FROM observations WHERE measure = ?", [weights]
        ).fetchall()
    ]
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


def _period_day(period: str, reference_date: str | None) -> Any:
    """The day a period's authorities are taken on: the earlier of the measure's
    reference day and the period's own date (31 March), so a 2021 return matched
    on 31 March 2021 counts Northamptonshire for its mid-2021 population."""
    from lacompare.cells import period_as_of
    from lacompare.derive import reference_day

    days = [
        d
        for d in (reference_day(period, reference_date), period_as_of(period))
        if d is not None
    ]
    return min(days) if days else None


def _not_existing(
    store: Store, values: pd.DataFrame, used: dict[str, list[str]]
) -> pd.Series:
    """Rows without a value for an authority that did not exist in the window."""
    import pandas as pd

    from lacompare.derive import measure_info

    valid = store.query("SELECT la_code, valid_from, valid_to FROM authorities")
    spans = {}
    for m, periods in used.items():
        ref = measure_info(store, m).reference_date
        days = [d for p in periods if (d := _period_day(p, ref)) is not None]
        spans[m] = (min(days), max(days)) if days else (None, None)
    frame = values[["measure", "la_code", "value"]].merge(
        valid, on="la_code", how="left"
    )
    first = pd.to_datetime(frame["measure"].map(lambda m: spans[m][0]))
    last = pd.to_datetime(frame["measure"].map(lambda m: spans[m][1]))
    start = pd.to_datetime(frame["valid_from"])
    end = pd.to_datetime(frame["valid_to"])
    outside = (start > last) | (end < first)
    return pd.Series(
        (frame["value"].isna() & outside.fillna(False)).to_numpy(), index=values.index
    )


def _ended_before(
    store: Store, values: pd.DataFrame, used: dict[str, list[str]]
) -> pd.Series:
    """For each per-authority figure, why it is not counted (None: counted): its
    authority was abolished before the window's last period.

    Each authority is counted once: a distribution over a window holds the
    authorities that existed on the day of its last period. A council that was
    split or merged during the window (Cumbria 2023, Northamptonshire 2021) would
    otherwise be counted beside its successors, the same area twice; its values
    cannot be given to one successor, so it is left out, saying so. A recode with
    the same area (North Yorkshire 2023) is one lineage already, under its new code.
    """
    import pandas as pd

    from lacompare.derive import measure_info

    life = store.query("SELECT la_code, valid_to, successors FROM authorities")
    names = dict(
        store.con.execute("SELECT la_code, la_name FROM authorities").fetchall()
    )
    ends = {}
    for m, periods in used.items():
        ref = measure_info(store, m).reference_date
        days = [(d, p) for p in periods if (d := _period_day(p, ref)) is not None]
        ends[m] = max(days) if days else (None, None)
    frame = values[["measure", "la_code"]].merge(life, on="la_code", how="left")
    out = []
    for m, end, after in zip(
        frame["measure"], frame["valid_to"], frame["successors"], strict=True
    ):
        day, period = ends[m]
        if day is None or pd.isna(end) or pd.Timestamp(end) >= pd.Timestamp(day):
            out.append(None)
            continue
        end = pd.Timestamp(end).date()
        heirs = [
            names.get(c.strip(), c.strip())
            for c in str(after or "").split(";")
            if c.strip()
        ]
        gone = (end + dt.timedelta(days=1)).isoformat()
        out.append(
            f"abolished {gone}, before {period}; its area is counted under "
            + (" and ".join(heirs) if heirs else "its successors")
        )
    return pd.Series(out, index=values.index, dtype=object)


def summarise(
    store: Store,
    measure: str | Sequence[str],
    *,
    by: str = "region",
    periods: str | Sequence[str] | None = None,
    per_la: str = "mean",
    exclude: Sequence[str] | str | None = None,
    breakdown: str | None = "",
    weights: str | None = None,
    england: bool = True,
    min_periods: int | None = None,
    source_id: int | None = None,
    quantile_method: str = "linear",
) -> Summary:
    """Summarise one figure per authority by group, with an England row.

    Parameters
    ----------
    store
        An open store.
    measure
        A measure, or several (then the table has a ``measure`` column).
    by
        ``region``; ``london_region`` (the nine regions with London split into
        Inner and Outer London, as DfE's statistics define them); ``la_type``; or
        any column of ``authorities``.
    periods
        ``'2013:2017'`` (every period whose reference day falls from 2013 to 2017
        inclusive), a list of period labels, or ``None`` (all).
    per_la
        Each authority's figure over those periods: ``mean``; ``change`` (mean of
        year-on-year differences, 002's "average change"); ``latest``; ``slope``
        (least squares, per year); ``cagr`` (% a year); ``pooled`` (no per-authority
        figure: every authority × period value is one unit).
    exclude
        Authorities to leave out: names, ONS or DfE codes, or regions.
    breakdown
        The measure's breakdown ('' = the total row; ``None``: every breakdown,
        each a unit).
    weights
        A population measure: adds the population-weighted mean of the figures
        (weights are the population's mean over the periods matched to
        ``periods`` by reference date).
    england
        Add an England row over every authority summarised.
    min_periods
        Fewest values an authority needs for a figure (see
        :func:`lacompare.derive.window_values`).
    source_id
        Only values from this load.
    quantile_method
        How q1/q3 are computed (:func:`numpy.quantile` ``method``; default
        ``linear``, numpy's and R's type 7; SPSS uses ``weibull``).

    Returns
    -------
    Summary
        ``.table`` (CSV-ready), ``.values`` (per authority), ``.excluded`` (who was
        left out and why).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO measures (measure) VALUES ('m')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value, "
    ...     "source_id) VALUES ('E06000001', 'm', '2016', 2, 1), ('E06000001', 'm', "
    ...     "'2017', 4, 1), ('E06000002', 'm', '2017', 9, 1), "
    ...     "('E06000053', 'm', '2017', 0, 1)")
    >>> out = summarise(s, "m", periods="2016:2017", exclude=["Isles of Scilly"])
    >>> out.table[["region", "n", "mean", "min", "max"]].values.tolist()
    [['North East', 2, 6.0, 3.0, 9.0], ['England', 2, 6.0, 3.0, 9.0]]
    >>> out.excluded[["la_name", "reason"]].values.tolist()
    [['Isles of Scilly', 'excluded by user: Isles of Scilly']]
    """
    import pandas as pd

    from lacompare.derive import window_values

    if per_la not in PER_LA:
        raise InputError(f"per_la must be one of {', '.join(PER_LA)}, not {per_la!r}")
    measures = [measure] if isinstance(measure, str) else list(measure)
    if not measures:
        raise InputError("no measure to summarise")
    auth = _authorities(store, by)
    drop = resolve_exclusions(store, exclude)
    issues = IssueLog()
    frames, used = [], {}
    for m in measures:
        vals = window_values(
            store,
            m,
            periods,
            how=per_la,
            breakdown=breakdown,
            min_periods=min_periods,
            source_id=source_id,
            existing=True,
        )
        outside = vals.attrs.pop("not_existing", [])
        if outside:
            name_of = dict(zip(auth["la_code"], auth["la_name"], strict=True))
            shown = sorted({f"{name_of.get(c, c)} {p}" for c, p, _ in outside})
            what = (
                "1 value of an authority in a period it did not exist in is"
                if len(outside) == 1
                else f"{len(outside)} values of "
                "authorities in periods they did not exist in are"
            )
            issues.add(
                "not-existing",
                f"{m}: {what} not counted: "
                + ", ".join(shown[:8])
                + (" …" if len(shown) > 8 else ""),
            )
        vals.insert(0, "measure", m)
        if per_la == "pooled":
            used[m] = sorted(vals["period"].unique().tolist())
        else:
            from lacompare.derive import measure_info, select_periods

            available = [
                r[0]
                for r in store.con.execute(
                    "SELECT DISTINCT period FROM observations WHERE measure = ?", [m]
                ).fetchall()
            ]
            used[m] = select_periods(
                available, periods, measure_info(store, m).reference_date
            )
        if weights is not None and len(vals):
            w = _weights_for(store, weights, m, used[m])
            vals = vals.merge(w, on="la_code", how="left")
            lacking = vals[vals["value"].notna() & vals["weight"].isna()]
            if len(lacking):
                issues.add(
                    "no-weight",
                    f"{m}: {len(lacking)} authorities have no "
                    f"{weights} and are left out of the weighted mean",
                )
        frames.append(vals)
    values = pd.concat(frames, ignore_index=True)
    auth = _dated_groups(store, auth, by, used, issues)
    values = values.merge(
        auth[["la_code", "la_name", "group"]], on="la_code", how="left"
    )
    values["group"] = values["group"].fillna("Unknown")
    values["la_name"] = values["la_name"].fillna(values["la_code"])
    asked = values["la_code"].isin(drop["la_code"])
    excluded = values[asked].merge(drop, on="la_code")
    kept = values[~asked]
    # An authority with rows but no value in a window it did not exist in (a
    # successor before its creation) is not 'missing': it is left out, saying why.
    absent = _not_existing(store, kept, used)
    gone = kept[absent].copy()
    gone["reason"] = "did not exist in " + gone["measure"].map(
        {m: f"{p[0]}:{p[-1]}" if p else "" for m, p in used.items()}
    )
    kept = kept[~absent]
    ended = (
        _ended_before(store, kept, used)
        if per_la != "pooled"
        else pd.Series(None, index=kept.index, dtype=object)
    )
    abolished = kept[ended.notna()].assign(reason=ended[ended.notna()])
    kept = kept[ended.isna()]
    if len(abolished):
        ends = {m: p[-1] for m, p in used.items() if p}
        issues.add(
            "counted-once",
            "each authority counted once: those that "
            "existed at the last period ("
            + ", ".join(f"{m} {p}" for m, p in ends.items())
            + "); councils abolished before it are left out, their areas "
            "counted under their successors",
        )
    gone = pd.concat([gone, abolished], ignore_index=True)
    no_value = kept[kept["value"].isna()].copy()
    no_value["reason"] = "no value: " + no_value["missing_reason"].fillna("missing")
    excluded = pd.concat([excluded, gone, no_value], ignore_index=True)[
        ["measure", "la_code", "la_name", "group", "reason"]
    ]
    if per_la == "pooled":
        excluded = excluded.drop_duplicates()
    keys = ["group", "measure"]
    table = _stats(kept, keys, quantile_method)
    if england:
        eng = _stats(kept.assign(group="England"), keys, quantile_method)
        table = pd.concat([table, eng], ignore_index=True)
    if weights is not None:
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
        table = table.merge(
            wt[["weighted_mean", "weighted_n"]].reset_index(), on=keys, how="left"
        )
        table["weighted_n"] = table["weighted_n"].fillna(0).astype(int)
    table["_g"] = _order(table["group"])
    table["_m"] = table["measure"].map({m: i for i, m in enumerate(measures)})
    table = table.sort_values(["_m", "_g"]).drop(columns=["_m", "_g"])
    table = table.rename(columns={"group": "region"})
    table["n"] = table["n"].astype(int)
    table["missing"] = table["missing"].astype(int)
    extra = [c for c in ("weighted_mean", "weighted_n") if c in table]
    cols = (
        ["region"]
        + (["measure"] if len(measures) > 1 else [])
        + list(STAT_COLUMNS)
        + extra
    )
    values = values.rename(columns={"group": "region"})
    return Summary(
        table=table[cols].reset_index(drop=True),
        values=values.reset_index(drop=True),
        excluded=excluded.rename(columns={"group": "region"}).reset_index(drop=True),
        measures=measures,
        by=by,
        per_la=per_la,
        periods=used,
        issues=issues,
    )


def summarise_by_group(
    store: Store,
    measures: Sequence[str] | None = None,
    *,
    by: str = "region",
    period: str | None = None,
    source_id: int | None = None,
    england: bool = True,
) -> pd.DataFrame:
    """Summarise each measure by group, with an England row (every value a unit).

    A thin wrapper of :func:`summarise` with ``per_la='pooled'`` over every
    breakdown, kept for the demo.

    Parameters
    ----------
    store
        An open store.
    measures
        Measures to summarise (default: every numeric measure).
    by
        ``region``, ``london_region`` (London split Inner/Outer) or ``la_type``.
    period
        Only this period (default: all periods pooled).
    source_id
        Only values from this source.
    england
        Add a row over all authorities, labelled ``England``.

    Returns
    -------
    pandas.DataFrame
        Columns ``region, measure, n, missing, mean, median, sd, min, max`` (the
        first column is named ``region`` whatever the grouping).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('x', 'x')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...                   "value, "
    ...     "source_id) VALUES ('E06000001', 'm', '2021', 2, 1), ('E06000002', 'm', "
    ...     "'2021', 4, 1)")
    >>> summarise_by_group(s)[["region", "n", "mean"]].values.tolist()
    [['North East', 2, 3.0], ['England', 2, 3.0]]
    """
    import pandas as pd

    if by not in GROUPINGS:
        raise InputError(
            f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}"
        )
    where = ["coalesce(u.unit, '') <> 'category'"]
    params: list[Any] = []
    if measures:
        where.append("o.measure IN (SELECT unnest(?))")
        params.append(list(measures))
    if source_id is not None:
        where.append("o.source_id = ?")
        params.append(source_id)
    if period is not None:
        where.append("o.period = ?")
        params.append(period)
    present = [
        r[0]
        for r in store.con.execute(
            f"""SELECT DISTINCT o.measure FROM observations o
            LEFT JOIN measures u USING (measure) WHERE {" AND ".join(where)}""",
            params,
        ).fetchall()
    ]
    order = list(measures) if measures else sorted(present)
    chosen = [m for m in order if m in set(present)]
    columns = [
        "region",
        "measure",
        "n",
        "missing",
        "mean",
        "median",
        "sd",
        "min",
        "max",
    ]
    if not chosen:
        return pd.DataFrame(columns=columns)
    result = summarise(
        store,
        chosen,
        by=by,
        periods=[period] if period else None,
        per_la="pooled",
        breakdown=None,
        england=england,
        source_id=source_id,
    )
    table = result.table
    if "measure" not in table:
        table.insert(1, "measure", chosen[0])
    return table[columns]
