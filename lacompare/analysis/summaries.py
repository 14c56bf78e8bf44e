"""Group summaries: N, missing, mean, median, SD, min, max, range and quartiles of
one figure per authority, by region (London split Inner/Outer), type or any column.

The recipe of the What Works analysis (seed 002, Tables 2-8): take each authority's
figure over a window of years (its mean, or its average year-on-year change), leave
out authorities that do not belong (the Isles of Scilly), then describe the spread
within each region. Per-authority figures come from
:func:`lacompare.derive.window_values`; the statistics are pandas/numpy over the
authorities of each group.

:func:`summarise` runs named steps: read each measure's per-authority figures
(:func:`read_figures`), group the authorities as on the window's last day
(:mod:`._summary_groups`), leave out who is not counted (:func:`derive_counted`),
then the statistics (:mod:`._summary_stats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lacompare.analysis._exclusions import resolve_exclusions
from lacompare.analysis._summary_groups import (
    REGION_ORDER,
    derive_dated_groups,
    ended_before,
    group_order,
    not_existing,
    read_groups,
)
from lacompare.analysis._summary_joint import read_partner_copies
from lacompare.analysis._summary_stats import (
    asked_periods,
    note_partial_coverage,
    read_filled_periods,
    read_weights,
    span_text,
    summarise_values,
    summarise_weighted,
)
from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = [
    "GROUPINGS",
    "PER_LA",
    "REGION_ORDER",
    "STAT_COLUMNS",
    "Summary",
    "resolve_exclusions",
    "summarise",
    "summarise_by_group",
]

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
    to be excluded, or no value in the periods), ``periods_used`` of
    ``periods_of`` (the periods with values) each figure rests on. ``periods``:
    the periods used (those with values); ``empty``: the periods asked for that
    had no value at all, for any authority (left out, and said so).
    """

    table: pd.DataFrame
    values: pd.DataFrame
    excluded: pd.DataFrame
    measures: list[str]
    by: str
    per_la: str
    periods: dict[str, list[str]]
    issues: IssueLog = field(default_factory=IssueLog)
    #: The breakdown summarised (a catalogue id brings its source's own).
    breakdown: str | None = ""
    #: Periods asked for with no value at all (every row blank or suppressed).
    empty: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Authorities with a figure (over all groups and measures)."""
        return int(self.values["value"].notna().sum())

    def per_authority(self) -> pd.DataFrame:
        """Each authority's figure and the periods it rests on, CSV-ready:
        ``measure, la_code, la_name, region, value, missing_reason,
        periods_used, periods_of, first_period, last_period`` (pooled: a row
        per period, with ``period``)."""
        cols = [
            c
            for c in (
                "measure", "la_code", "la_name", "region", "period", "value",
                "missing_reason", "periods_used", "periods_of", "first_period",
                "last_period",
            )
            if c in self.values
        ]  # fmt: skip
        return self.values[cols].sort_values(["measure", "la_name"], kind="stable")

    def notes(self) -> list[str]:
        """Plain-text lines: what was summarised and who was left out."""
        lines = []
        for measure, periods in self.periods.items():
            line = f"{measure}: per-authority {self.per_la}"
            line += f" over {span_text(periods)}" if periods else ""
            empty = self.empty.get(measure)
            if empty and periods:
                ends = (
                    "from the first to the last period with values; "
                    if self.per_la in ("change", "slope", "cagr")
                    else ""
                )
                line += f" ({ends}no values at all in {span_text(empty)}: " + (
                    "any blank rows counted as missing)"
                    if self.per_la == "pooled"
                    else "left out)"
                )
            elif empty:
                line += f": no values at all in {span_text(empty)}"
            lines.append(line)
        if len(self.excluded):
            for reason, rows in self.excluded.groupby("reason", sort=True):
                names = ", ".join(sorted(rows["la_name"].fillna(rows["la_code"])))
                lines.append(f"left out ({reason}): {names}")
        lines.extend(i.message for i in self.issues)
        return lines


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
        A population measure: adds the weighted mean of the figures (weights:
        its mean over the periods matched to ``periods`` by reference date).
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
    >>> _ = s.write_cells([{"la_code": c, "measure": "m", "period": p, "value": v}
    ...     for c, p, v in [("E06000001", "2016", 2), ("E06000001", "2017", 4),
    ...                     ("E06000002", "2017", 9), ("E06000053", "2017", 0)]],
    ...     file="x")
    >>> out = summarise(s, "m", periods="2016:2017", exclude=["Isles of Scilly"])
    >>> out.table[["region", "n", "mean", "min", "max"]].values.tolist()
    [['North East', 2, 6.0, 3.0, 9.0], ['England', 2, 6.0, 3.0, 9.0]]
    >>> out.excluded[["la_name", "reason"]].values.tolist()
    [['Isles of Scilly', 'excluded by user: Isles of Scilly']]
    """
    issues = IssueLog()
    measures, breakdown = _named_measures(
        store, _check_summary(measure, per_la), breakdown, periods, issues
    )
    auth = read_groups(store, by)
    drop = resolve_exclusions(store, exclude)
    values, used, empty = read_figures(
        store,
        measures,
        periods,
        per_la=per_la,
        breakdown=breakdown,
        min_periods=min_periods,
        source_id=source_id,
        weights=weights,
        names=dict(zip(auth["la_code"], auth["la_name"], strict=True)),
        issues=issues,
    )
    values = _with_groups(values, derive_dated_groups(store, auth, by, used, issues))
    kept, gone = derive_counted(store, values, drop, used, per_la, issues, breakdown)
    note_partial_coverage(kept, per_la, issues)
    table = _summary_table(kept, measures, england, weights, quantile_method)
    values, excluded = _as_region(values), _as_region(gone)
    return Summary(
        table, values, excluded, measures, by, per_la, used, issues, breakdown, empty
    )


def _named_measures(
    store: Store,
    measures: list[str],
    breakdown: str | None,
    periods: str | Sequence[str] | None = None,
    issues: IssueLog | None = None,
) -> tuple[list[str], str | None]:
    """Store measures for the names: a catalogue id that is no store measure reads
    its source with most values in ``periods`` (else its preferred source), in that
    source's breakdown; ``issues`` names it when not the id's first source."""
    from lacompare.catalogue import read_catalogue, resolve_key, source_note

    ids = {i.id for i in read_catalogue()}
    specs = []
    for name in measures:
        key = resolve_key(store, name, breakdown or "", periods=periods)
        if (note := source_note(name, key)) and issues is not None:
            issues.add("source", note, severity="info")
        specs.append(key if name in ids else (name, breakdown or ""))
    if all(b == (breakdown or "") for _, b in specs):
        return [m for m, _ in specs], breakdown
    specs = list(dict.fromkeys(specs))
    breakdowns = {b for _, b in specs}
    if len(breakdowns) > 1:
        raise InputError(
            "these measures are kept under different breakdowns: summarise them "
            "one at a time (" + ", ".join(f"{m}[{b}]" for m, b in specs) + ")"
        )
    return [m for m, _ in specs], breakdowns.pop()


def _check_summary(measure: str | Sequence[str], per_la: str) -> list[str]:
    """The measures summarised; refuses an unknown ``per_la`` or no measure."""
    if per_la not in PER_LA:
        raise InputError(f"per_la must be one of {', '.join(PER_LA)}, not {per_la!r}")
    measures = [measure] if isinstance(measure, str) else list(measure)
    if not measures:
        raise InputError("no measure to summarise")
    return measures


def _with_groups(values: pd.DataFrame, auth: pd.DataFrame) -> pd.DataFrame:
    """Each figure with its authority's name and group (``Unknown``: none)."""
    values = values.merge(
        auth[["la_code", "la_name", "group"]], on="la_code", how="left"
    )
    values["group"] = values["group"].fillna("Unknown")
    values["la_name"] = values["la_name"].fillna(values["la_code"])
    return values


def _as_region(frame: pd.DataFrame) -> pd.DataFrame:
    """The group column named ``region`` (whatever the grouping), as output."""
    return frame.rename(columns={"group": "region"}).reset_index(drop=True)


def read_figures(
    store: Store,
    measures: list[str],
    periods: str | Sequence[str] | None,
    *,
    per_la: str,
    breakdown: str | None,
    min_periods: int | None,
    source_id: int | None,
    weights: str | None,
    names: dict[str, str],
    issues: IssueLog,
) -> tuple[pd.DataFrame, dict[str, list[str]], dict[str, list[str]]]:
    """Each authority's figure of each measure over the periods
    (:func:`lacompare.derive.window_values`), with its weight when ``weights`` is
    given and the periods it rests on (``periods_used`` of ``periods_of``); the
    periods used for each measure (those with a value), and the periods asked
    for that had no value at all."""
    import pandas as pd

    from lacompare.derive import measure_info, select_periods, window_values

    frames, used, empty = [], {}, {}
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
        _note_not_existing(m, vals.attrs.pop("not_existing", []), names, issues)
        vals.insert(0, "measure", m)
        if per_la == "pooled":
            chosen = sorted(vals["period"].unique().tolist())
        else:
            chosen = select_periods(
                store.list_periods(m), periods, measure_info(store, m).reference_date
            )
        # A period whose every row is blank (2012's rates) is not one the figures
        # rest on: say so, and date the window by the periods with values.
        filled = read_filled_periods(store, m, chosen, breakdown, source_id)
        empty[m] = [p for p in chosen if p not in filled] + [
            p for p in asked_periods(periods) if p not in chosen
        ]
        used[m] = [p for p in chosen if p in filled]
        vals["periods_used"] = vals["n_values"]
        vals["periods_of"] = len(used[m])
        if weights is not None and len(vals):
            vals = vals.merge(
                read_weights(store, weights, m, used[m] or chosen),
                on="la_code",
                how="left",
            )
            lacking = vals[vals["value"].notna() & vals["weight"].isna()]
            if len(lacking):
                issues.add(
                    "no-weight",
                    f"{m}: {len(lacking)} authorities have no "
                    f"{weights} and are left out of the weighted mean",
                )
        frames.append(vals)
    return pd.concat(frames, ignore_index=True), used, empty


def _note_not_existing(
    measure: str,
    outside: list[tuple[str, str, object]],
    names: dict[str, str],
    issues: IssueLog,
) -> None:
    """Say which values were of an authority in a period it did not exist in."""
    if not outside:
        return
    shown = sorted({f"{names.get(c, c)} {p}" for c, p, _ in outside})
    what = (
        "1 value of an authority in a period it did not exist in is"
        if len(outside) == 1
        else f"{len(outside)} values of "
        "authorities in periods they did not exist in are"
    )
    issues.add(
        "not-existing",
        f"{measure}: {what} not counted: "
        + ", ".join(shown[:8])
        + (" …" if len(shown) > 8 else ""),
    )


def derive_counted(
    store: Store,
    values: pd.DataFrame,
    drop: pd.DataFrame,
    used: dict[str, list[str]],
    per_la: str,
    issues: IssueLog,
    breakdown: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The figures counted, and every one left out with why: asked to be, of an
    authority that did not exist in the window or was abolished before its last
    period (each area counted once), a joint return's partner copy (counted once,
    under its first member), or no value."""
    import pandas as pd

    asked = values["la_code"].isin(drop["la_code"])
    excluded = values[asked].merge(drop, on="la_code")
    kept = values[~asked]
    # An authority with rows but no value in a window it did not exist in (a
    # successor before its creation) is not 'missing': it is left out, saying why.
    absent = not_existing(store, kept, used)
    gone = kept[absent].copy()
    gone["reason"] = "did not exist in " + gone["measure"].map(
        {m: f"{p[0]}:{p[-1]}" if p else "" for m, p in used.items()}
    )
    kept = kept[~absent]
    ended = (
        ended_before(store, kept, used)
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
    # A joint return is counted once, under its first member (as compare does).
    copies = read_partner_copies(store, used, breakdown)
    if len(copies):  # partner copies: counted under the first member
        hit = kept.merge(copies, on=["measure", "la_code"])
        kept = kept[
            ~kept.set_index(["measure", "la_code"]).index.isin(
                copies.set_index(["measure", "la_code"]).index
            )
        ]
        gone = pd.concat([gone, hit], ignore_index=True)
    no_value = kept[kept["value"].isna()].copy()
    no_value["reason"] = "no value: " + no_value["missing_reason"].fillna("missing")
    excluded = pd.concat([excluded, gone, no_value], ignore_index=True)[
        ["measure", "la_code", "la_name", "group", "reason"]
    ]
    if per_la == "pooled":
        excluded = excluded.drop_duplicates()
    return kept, excluded


def _summary_table(
    kept: pd.DataFrame,
    measures: list[str],
    england: bool,
    weights: str | None,
    quantile_method: str,
) -> pd.DataFrame:
    """The statistics of each group (and England), in print order, CSV-ready."""
    import pandas as pd

    keys = ["group", "measure"]
    table = summarise_values(kept, keys, quantile_method)
    if england:
        eng = summarise_values(kept.assign(group="England"), keys, quantile_method)
        table = pd.concat([table, eng], ignore_index=True)
    if weights is not None:
        table = table.merge(
            summarise_weighted(kept, keys, england), on=keys, how="left"
        )
        table["weighted_n"] = table["weighted_n"].fillna(0).astype(int)
    table["_g"] = group_order(table["group"])
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
    return table[cols].reset_index(drop=True)


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
    >>> _ = s.write_cells([{"la_code": c, "measure": "m", "period": "2021",
    ...     "value": v} for c, v in [("E06000001", 2), ("E06000002", 4)]], file="x")
    >>> summarise_by_group(s)[["region", "n", "mean"]].values.tolist()
    [['North East', 2, 3.0], ['England', 2, 3.0]]
    """
    import pandas as pd

    if by not in GROUPINGS:
        raise InputError(
            f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}"
        )
    rel = store.values_relation(
        measures=list(measures) if measures else None,
        periods=period,
        sources=None if source_id is None else [source_id],
        columns=["measure"],
    )
    present = [
        r[0]
        for r in rel.query(
            "o",
            "SELECT DISTINCT o.measure FROM o LEFT JOIN measures u USING (measure) "
            "WHERE coalesce(u.unit, '') <> 'category'",
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
