"""Grouped tables: authorities in groups, each group with its total and average.

The classic committee table (the Health Committee's, many council reports'):
authorities listed by type (London boroughs, metropolitan districts, shire
counties, unitaries), by region or by any other column, each group followed by its
sub-total (sum) and average (mean), and a grand total. Types and regions are those
of the table's date (:func:`lacompare.geography.authorities_on`), so a 2002 table
puts Cornwall among the shire counties.

:func:`summarise_grouped` makes the table as a frame (the CLI's CSV) in named
steps: the statistics shown, the table's day, the authorities of that day with
their values (:func:`read_grouped_values`), their groups (:func:`derive_groups`),
then the rows (:func:`summarise_rows`) and the notes. :func:`grouped_report_table`
makes it a table for the report writers (HTML, XLSX, PDF);
:func:`lacompare.report.grouped_document` a one-table report.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.formatting.tables import ReportTable
    from lacompare.store import Store

__all__ = ["SUBTOTALS", "grouped_report_table", "summarise_grouped"]

#: The group statistics a table can show under each group.
SUBTOTALS = ("sum", "mean")
#: Groupings taken from the registry's history at the table's date.
DATED_GROUPS = ("la_type", "region", "region_code", "london_region")
#: The order DfE and MHCLG tables print authority types in.
TYPE_ORDER = ("London borough", "metropolitan district", "shire county", "unitary")
#: ``missing_reason`` of an authority that existed on the day but has no row.
NO_ROW = "no-row"
#: Columns of the frame :func:`summarise_grouped` returns.
COLUMNS = (
    "group",
    "row_role",
    "row_level",
    "statistic",
    "la_code",
    "la_name",
    "value",
    "value__missing",
    "n",
    "missing",
)


def _check_subtotals(subtotals: Sequence[str] | str) -> list[str]:
    items = (
        [s.strip() for s in subtotals.split(",")]
        if isinstance(subtotals, str)
        else [str(s).strip() for s in subtotals]
    )
    items = [s.lower() for s in items if s]
    bad = [s for s in items if s not in SUBTOTALS]
    if bad or not items:
        raise InputError(
            f"subtotals {', '.join(bad) or 'none'}: choose sum, mean or both (sum,mean)"
        )
    return list(dict.fromkeys(items))


def _breakdown(store: Store, measure: str, breakdown: str | None) -> str:
    """The breakdown asked for, else the total (''), else the only one there is."""
    from lacompare.derive import breakdowns_of, resolve_breakdown

    if breakdown is not None:
        found = resolve_breakdown(store, measure, breakdown)
        return "" if found is None else found
    available = breakdowns_of(store, measure)
    if "" in available or not available:
        return ""
    if len(available) == 1:
        return available[0]
    shown = "; ".join(repr(b) for b in available[:8])
    raise InputError(
        f"measure {measure!r} has no total row but {len(available)} "
        f"breakdowns; choose one with --breakdown (part of the text "
        f"is enough): {shown}"
    )


def _period(
    store: Store,
    measure: str,
    breakdown: str,
    period: str | None,
    reference: str | None,
) -> str:
    from lacompare.derive import select_periods

    available = store.list_periods(measure, breakdown)
    if not available:
        raise InputError(
            f"measure {measure!r} has no values"
            + (f" for breakdown {breakdown!r}" if breakdown else "")
        )
    ordered = select_periods(available, None, reference)
    if period is None:
        return ordered[-1]
    if period not in available:
        raise InputError(
            f"measure {measure!r} has no period {period!r}; it has "
            + ", ".join(ordered)
        )
    return period


def _column_groups(
    store: Store, group_by: str, period: str, day: dt.date, notes: list[str]
) -> dict[str, str]:
    """Each authority's group from a column of ``authorities`` or a loaded measure
    (a category column of a file: 'delivery' = In-House / Outsourced)."""
    from lacompare.derive import measure_info, reference_day

    columns = [
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'authorities'"
        ).fetchall()
    ]
    if group_by in columns:
        rows = store.con.execute(
            f'SELECT la_code, CAST("{group_by}" AS VARCHAR) FROM authorities'
        ).fetchall()
        return {k: v for k, v in rows if v not in (None, "")}
    if not store.list_periods(group_by):
        raise InputError(
            f"cannot group by {group_by!r}: not a column of the registry "
            f"({', '.join(sorted({*DATED_GROUPS, *columns}))}) nor a measure in "
            "the store (a category column of a loaded file)"
        )
    ref = measure_info(store, group_by).reference_date
    rel = store.values_relation(
        measures=group_by,
        breakdowns="",
        columns=["la_code", "period", "label", "value"],
    )
    rows = rel.query(
        "o",
        "SELECT la_code, period, coalesce(label, CAST(value AS VARCHAR)) AS text "
        "FROM o WHERE text IS NOT NULL",
    ).fetchall()
    # Each authority's group from the latest period on or before the table's day
    # (a judgement made before the figures, not after), else its earliest.
    best: dict[str, tuple[int, dt.date, str]] = {}
    for code, p, text in rows:
        when = reference_day(p, ref) or dt.date.min
        rank = 1 if when <= day else 0
        key = (rank, when if rank else dt.date.max - (when - dt.date.min), text)
        if code not in best or key[:2] > best[code][:2]:
            best[code] = key
    after = sum(1 for r in best.values() if r[0] == 0)
    notes.append(
        f"groups: {group_by} at its latest period on or before {day}"
        + (f" ({after} authorities only have a later one, used)" if after else "")
    )
    return {code: r[2] for code, r in best.items()}


def _group_order(group_by: str, groups: Sequence[str]) -> list[str]:
    from lacompare.analysis.summaries import REGION_ORDER

    order = (
        TYPE_ORDER
        if group_by == "la_type"
        else (REGION_ORDER if group_by in ("region", "london_region") else ())
    )
    rank = {g: i for i, g in enumerate(order)}
    return sorted(
        set(groups), key=lambda g: (g == "Unknown", rank.get(g, len(rank)), g)
    )


def summarise_grouped(
    store: Store,
    measure: str,
    group_by: str = "la_type",
    as_of: dt.date | str | None = None,
    period: str | None = None,
    subtotals: Sequence[str] | str = SUBTOTALS,
    *,
    breakdown: str | None = None,
) -> pd.DataFrame:
    """Authorities grouped, each group with its sum and mean, and a grand total.

    Every authority that existed on the table's day is a row, with its value or,
    when it has none, an empty value and the reason (``value__missing``:
    suppressed, not-available, …, or ``no-row`` when the store has no row for it):
    nothing is dropped. Sums and means are over the authorities with a value
    (``n``; ``missing`` counts the others), and the notes name who is missing.

    Parameters
    ----------
    store
        An open store.
    measure
        The measure.
    group_by
        ``la_type``, ``region``, ``london_region`` or ``region_code`` (as on the
        table's day, from the registry's history); another column of the store's
        ``authorities``; or a measure of the store, such as a category column of a
        loaded file (each authority's value at the latest period on or before the
        day).
    as_of
        The day whose authorities, types and regions are used (default: the
        period's reference day, e.g. 31 March 2024 for a count at 31 March).
    period
        The period (default: the measure's latest).
    subtotals
        ``sum`` and/or ``mean``. A sum needs an additive unit
        (``lacompare/derive/data/units.csv``): for a rate it is left out and the
        notes say why; asked for alone, it is refused.
    breakdown
        The measure's breakdown (default: its total, or its only breakdown).

    Returns
    -------
    pandas.DataFrame
        Columns ``group, row_role, row_level, statistic, la_code, la_name, value,
        value__missing, n, missing``, in print order: each group's authorities
        (``row_role`` 'item', ``statistic`` 'value'), its ``sum`` (a 'subtotal',
        level 1) and ``mean`` ('subtotal', no level: not part of any sum), then
        the grand ``sum`` and ``mean`` ('total'). ``attrs`` holds ``measure``,
        ``label``, ``unit``, ``period``, ``breakdown``, ``as_of``, ``group_by``,
        ``additive`` and ``notes`` (sentences for the reader).

    Raises
    ------
    lacompare.errors.InputError
        An unknown measure, period, breakdown or grouping, or a sum of a rate.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO measures (measure, unit, reference_date) "
    ...                   "VALUES ('cla', 'children', '31 March')")
    >>> _ = s.write_cells([{"la_code": c, "measure": "cla", "period": "2002",
    ...     "value": v} for c, v in [("E06000052", 400), ("E10000016", 1000),
    ...                              ("E06000001", 150)]], file="x")
    >>> t = summarise_grouped(s, "cla", "la_type")
    >>> sums = t[t["statistic"] == "sum"]
    >>> sums[["group", "value", "n", "missing"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['London borough', nan, 0, 33], ['metropolitan district', nan, 0, 36],
     ['shire county', 1400.0, 2, 32], ['unitary', 150.0, 1, 46],
     ['All authorities', 1550.0, 3, 147]]
    >>> t.attrs["as_of"]
    '2002-03-31'
    """
    from lacompare.derive import measure_info

    measure, breakdown, notes = _named(store, measure, breakdown, period)
    info = measure_info(store, measure)
    stats, additive = _choose_statistics(measure, info.unit, subtotals, notes)
    bd = _breakdown(store, measure, breakdown)
    chosen = _period(store, measure, bd, period, info.reference_date)
    day = _table_day(measure, chosen, info.reference_date, as_of)
    frame = read_grouped_values(store, measure, bd, chosen, day, notes)
    frame["group"] = derive_groups(store, frame, group_by, chosen, day, notes)
    out = summarise_rows(frame, group_by, stats)
    notes.extend(_missing_notes(frame) + _dated_note(group_by, day))
    what = _describe(measure, info, chosen, bd, day, group_by)
    out.attrs.update(what, additive=additive, subtotals=stats, notes=notes)
    return out


def _named(
    store: Store, name: str, breakdown: str | None, period: str | None
) -> tuple[str, str | None, list[str]]:
    """A catalogue id as its source with a value in ``period`` (else its preferred
    one), in that source's breakdown; a note names it if not the id's first."""
    from lacompare.catalogue import resolve_key, source_note

    asked = None if period is None else [period]
    found, own = resolve_key(store, name, breakdown or "", periods=asked)
    note = source_note(name, (found, own)) if found != name else None
    chosen = own if found != name and breakdown is None else breakdown
    return found, chosen, [note] if note else []


def _describe(
    measure: str, info: Any, period: str, breakdown: str, day: dt.date, group_by: str
) -> dict[str, Any]:
    """What the table shows, for its ``attrs``."""
    return {
        "measure": measure,
        "label": info.label or measure,
        "unit": info.unit,
        "period": period,
        "breakdown": breakdown,
        "as_of": day.isoformat(),
        "group_by": group_by,
        "groups_from": "registry" if group_by in DATED_GROUPS else "group_by column",
    }


def _dated_note(group_by: str, day: dt.date) -> list[str]:
    """Say the registry's groups are those of the table's day."""
    if group_by not in DATED_GROUPS:
        return []
    words = {"la_type": "authority types", "region_code": "region codes"}
    words["london_region"] = "regions (London split Inner/Outer)"
    return [
        f"{words.get(group_by, 'regions')} as on {day} "
        "(lacompare/geography/data/authority_history.csv)"
    ]


def _choose_statistics(
    measure: str, unit: str | None, subtotals: Sequence[str] | str, notes: list[str]
) -> tuple[list[str], bool]:
    """The statistics shown under each group (no sum of a rate, saying so) and
    whether the unit adds up."""
    from lacompare.derive import is_additive

    stats = _check_subtotals(subtotals)
    additive, why = is_additive(unit)
    if "sum" in stats and not additive:
        if stats == ["sum"]:
            raise InputError(
                f"cannot sum {measure!r} across authorities: {why}; "
                "use --subtotals mean"
            )
        stats.remove("sum")
        notes.append(f"no sums: {measure} cannot be added across authorities ({why})")
    return stats, additive


def _table_day(
    measure: str, period: str, reference: str | None, as_of: dt.date | str | None
) -> dt.date:
    """The day whose authorities, types and regions the table shows."""
    from lacompare.derive import reference_day
    from lacompare.geography import as_date

    try:
        day = as_date(as_of) if as_of is not None else reference_day(period, reference)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if day is None:
        raise InputError(
            f"period {period!r} of {measure!r} gives no date: give "
            "--as-of YYYY-MM-DD for the authorities and types to use"
        )
    return day


def read_grouped_values(
    store: Store,
    measure: str,
    breakdown: str,
    period: str,
    day: dt.date,
    notes: list[str],
) -> pd.DataFrame:
    """Every authority of ``day`` with its value (the latest load's) or why it has
    none (``no-row``: the store has no row for it), and any other authority with a
    value for the period, said in the notes."""
    import pandas as pd

    from lacompare.geography import authorities_on
    from lacompare.store import authority_key, current_values

    on = authorities_on(day)
    if on.attrs.get("note"):
        notes.append(on.attrs["note"])
    on["key"] = [
        authority_key(c, d) for c, d in zip(on["la_code"], on["dfe_code"], strict=True)
    ]
    current = current_values(store, measure, breakdown).df()
    values = current.loc[
        current["period"] == period, ["k", "value", "missing_reason"]
    ].rename(columns={"k": "la_code"})
    frame = on[
        ["key", "la_name", "la_type", "region", "region_code", "london_region"]
    ].rename(columns={"key": "la_code"})
    frame = frame.merge(values, on="la_code", how="left")
    # A value for an authority that did not exist on the day (a predecessor's row
    # in a table dated after it ended) is shown, not dropped, and said.
    extra = values[~values["la_code"].isin(frame["la_code"])]
    empty = extra[extra["value"].isna()]
    reg = store.list_authorities() if len(extra) else None
    if len(empty):
        # EES files carry abolished authorities' rows marked 'z' after they ended:
        # no figure and no authority of the day, so not a row, but named.
        names = dict(zip(reg["la_code"], reg["la_name"], strict=True))
        left = sorted(
            f"{names.get(c, c)} ({r})"
            for c, r in zip(empty["la_code"], empty["missing_reason"], strict=True)
        )
        notes.append(
            f"left out, not in existence on {day} and no value for {period}: "
            + ", ".join(left)
        )
    extra = extra[extra["value"].notna()]
    if len(extra):
        columns = ["la_code", "la_name", "la_type", "region", "region_code"]
        extra = extra.merge(reg[[*columns, "london_region"]], on="la_code", how="left")
        extra["la_name"] = extra["la_name"].fillna(extra["la_code"])
        frame = pd.concat([frame, extra], ignore_index=True)
        notes.append(
            f"not in existence on {day} but with a value for {period}: "
            + ", ".join(sorted(extra["la_name"]))
        )
    no_row = frame["value"].isna() & frame["missing_reason"].isna()
    frame.loc[no_row, "missing_reason"] = NO_ROW
    return frame


def derive_groups(
    store: Store,
    frame: pd.DataFrame,
    group_by: str,
    period: str,
    day: dt.date,
    notes: list[str],
) -> pd.Series:
    """Each row's group: from the registry as on the day, or a column or measure
    (``Unknown`` where there is none)."""
    if group_by in DATED_GROUPS:
        london = frame["london_region"].fillna("")
        groups = (
            london.where(london != "", frame["region"])
            if group_by == "london_region"
            else frame[group_by]
        )
    else:
        mapping = _column_groups(store, group_by, period, day, notes)
        groups = frame["la_code"].map(mapping)
    return groups.fillna("").replace("", "Unknown")


def _statistic_rows(
    part: pd.DataFrame, stats: list[str], group: str, role: str, level: int
) -> list[dict[str, Any]]:
    """A group's sum and/or mean over its authorities with a value."""
    present = part["value"].dropna()
    n, missing = len(present), len(part) - len(present)
    rows = []
    for stat in stats:
        value = (
            (float(present.sum()) if stat == "sum" else float(present.mean()))
            if n
            else math.nan
        )
        rows.append(
            {
                "group": group,
                "row_role": role,
                # Only sums add up into the grand total; a mean is no part of it.
                "row_level": level if stat == "sum" else None,
                "statistic": stat,
                "la_code": "",
                "la_name": f"{group}: {'total' if stat == 'sum' else 'mean'}",
                "value": value,
                "value__missing": None if n else "not-available",
                "n": n,
                "missing": missing,
            }
        )
    return rows


def summarise_rows(
    frame: pd.DataFrame, group_by: str, stats: list[str]
) -> pd.DataFrame:
    """The table in print order: each group's authorities by name, its statistics,
    then the grand total's (columns :data:`COLUMNS`)."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for group in _group_order(group_by, frame["group"].tolist()):
        part = frame[frame["group"] == group].sort_values("la_name")
        for r in part.itertuples(index=False):
            rows.append(
                {
                    "group": group,
                    "row_role": "item",
                    "row_level": 2,
                    "statistic": "value",
                    "la_code": r.la_code,
                    "la_name": r.la_name,
                    "value": r.value,
                    "value__missing": r.missing_reason if pd.isna(r.value) else None,
                    "n": None,
                    "missing": None,
                }
            )
        rows.extend(_statistic_rows(part, stats, group, "subtotal", 1))
    rows.extend(_statistic_rows(frame, stats, "All authorities", "total", 0))
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["value"] = out["value"].astype(float)
    out["n"] = out["n"].astype("Int64")
    out["missing"] = out["missing"].astype("Int64")
    out["row_level"] = out["row_level"].astype("Int64")
    return out


def _missing_notes(frame: pd.DataFrame) -> list[str]:
    """Who has no value, by reason."""
    lacking = frame[frame["value"].isna()]
    if not len(lacking):
        return []
    by_reason = lacking.groupby("missing_reason")["la_name"].apply(
        lambda s: ", ".join(sorted(s))
    )
    notes = []
    for reason, names in by_reason.items():
        what = "no value in the store" if reason == NO_ROW else reason
        notes.append(f"no value ({what}): {names}")
    notes.append(
        "sums and means are over the authorities with a value (n); "
        "a group's total leaves out its authorities without one"
    )
    return notes


def grouped_report_table(frame: pd.DataFrame, title: str | None = None) -> ReportTable:
    """A :func:`summarise_grouped` frame as a report table (HTML, PDF, XLSX).

    Sub-total and total rows are bold; sums are checked against their members
    (:func:`lacompare.formatting.tables.reconcile`), means are not part of any sum.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"group": ["a", "a", "a", "All authorities"],
    ...     "row_role": ["item", "item", "subtotal", "total"],
    ...     "row_level": pd.array([2, 2, 1, 0], dtype="Int64"),
    ...     "statistic": ["value", "value", "sum", "sum"],
    ...     "la_code": ["x", "y", "", ""],
    ...     "la_name": ["X", "Y", "a: total", "All authorities: total"],
    ...     "value": [1.0, 2.0, 3.0, 3.0], "value__missing": [None] * 4,
    ...     "n": pd.array([None, None, 2, 2], dtype="Int64"),
    ...     "missing": pd.array([None, None, 0, 0], dtype="Int64")})
    >>> f.attrs.update({"measure": "m", "unit": "children", "additive": True})
    >>> t = grouped_report_table(f)
    >>> from lacompare.formatting.tables import reconcile
    >>> [c.name for c in t.columns], reconcile(t)
    (['la_name', 'value', 'counted'], [])
    """
    import pandas as pd

    from lacompare.formatting.tables import Column, ReportTable

    attrs = frame.attrs
    items = frame.loc[frame["row_role"] == "item", "value"].dropna()
    whole = bool(len(items)) and all(float(v).is_integer() for v in items)
    shown = frame.copy()
    # The level column must be numeric for total_parts; NaN (a mean) is no part.
    shown["row_level"] = pd.to_numeric(shown["row_level"], errors="coerce")
    # How many of the group's authorities each sum or mean is over, for the reader.
    shown["counted"] = [
        "" if role == "item" else f"{n} of {n + m}"
        for role, n, m in zip(
            shown["row_role"], shown["n"], shown["missing"], strict=True
        )
    ]
    label = attrs.get("label") or attrs.get("measure") or "value"
    exact = whole and bool(attrs.get("additive"))
    columns = [
        Column("la_name", "Authority", role="label"),
        Column(
            "value",
            label,
            unit=attrs.get("unit"),
            role="value" if attrs.get("additive") else "rate",
            # Whole counts summed here are exact: the sums must match.
            decimals=0 if exact else None,
            rounding=0 if exact else None,
        ),
        Column("counted", "Authorities with a value", role="text"),
    ]
    period = attrs.get("period")
    title = title or (
        f"{label}{', ' + attrs['breakdown'] if attrs.get('breakdown') else ''}"
        f", {period}, by {attrs.get('group_by', 'group')}"
        if period
        else str(label)
    )
    notes = [
        n[0].upper() + n[1:] + ("" if n.endswith(".") else ".")
        for n in attrs.get("notes", [])
    ]
    return ReportTable(
        title, shown, columns, notes=notes, group="group", name="Grouped table"
    )
