"""The ``scrutiny`` report: one council's quarterly workload and resources brief.

What a children's services department brings to its scrutiny commission (seed
001, Leicester's "Workload and Resources"): the latest monthly snapshot of demand
and caseloads with the change from 13 weeks before, trend charts of the main
measures over the last 13 months, staff headcount by service, the budget with
income in brackets (totals reconciled, any that do not add up flagged), and how
the authority compares with its statistical neighbours on the published measures
that match (CLA, child protection and children in need rates).

The figures come from :mod:`lacompare.snapshot` (snapshot values, headcount and
budget lines in the store) and, for the comparison, the published measures of
:func:`lacompare.snapshot.read_published_matches` compared by
:func:`lacompare.analysis.compare` with a DfE neighbour set
(:mod:`lacompare.report._scrutiny_compare`). Each section is a step here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._reports import Document, SourceTracker, possessive
from lacompare.report._scrutiny_compare import match_population, neighbour_comparison

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "build_scrutiny",
    "snapshot_tables",
    "neighbour_comparison",
    "match_population",
]


def snapshot_tables(comparison: Any) -> tuple[ReportTable, ReportTable]:
    """The snapshot as printed (HTML/PDF) and its numeric twin (XLSX).

    The printed table mixes units row by row (counts, rates, percentages), so
    its cells are the formatted texts; the XLSX twin keeps numbers as numbers.

    Examples
    --------
    >>> import datetime as d
    >>> from lacompare.snapshot._change import (SnapshotComparison,
    ...                                         derive_snapshot_change)
    >>> cur = pd.DataFrame({"measure": ["m"], "breakdown": [""], "label": ["M"],
    ...     "unit": ["count"], "value": [30.0], "half_width": [0.0], "decimals": [0],
    ...     "note": [None]})
    >>> t = derive_snapshot_change(cur, cur.assign(value=[1.0]))
    >>> c = SnapshotComparison("E06000016", "Leicester", d.date(2024, 10, 4),
    ...                        d.date(2024, 7, 5), 13, t)
    >>> shown, numbers = snapshot_tables(c)
    >>> shown.frame[["measure", "value", "pct"]].values.tolist()
    [['M', '30', '2900.0%']]
    """
    t = comparison.table
    when = f"{comparison.date:%d/%m/%Y}"
    weeks = comparison.compare_weeks
    since = (
        f"last quarter (rolling {weeks} weeks)"
        if weeks == 13
        else f"{weeks} weeks before"
    )
    if comparison.earlier_date is not None:
        since += f", {comparison.earlier_date:%d/%m/%Y}"
    notes = t["note"] if "note" in t.columns else pd.Series([None] * len(t))
    shown = pd.DataFrame(
        {
            "measure": t["label"],
            "value": t["value_text"],
            "change": t["change_text"],
            "pct": t["pct_text"],
            "notes": [n if isinstance(n, str) else "" for n in notes],
        }
    )
    printed = ReportTable(
        f"{comparison.la_name}: snapshot at {when}",
        shown,
        [
            Column("measure", "Measure", role="label"),
            Column("value", "Number", role="text"),
            Column("change", f"Change from {since}", role="text"),
            Column("pct", f"% change from {since}", role="text"),
            Column("notes", "Notes", role="text"),
        ],
        notes=comparison.notes(),
        name="Snapshot",
    )
    numbers = pd.DataFrame(
        {
            "measure": t["label"],
            "id": [
                f"{m}[{b}]" if b else m
                for m, b in zip(t["measure"], t["breakdown"], strict=True)
            ],
            "unit": t["unit"],
            "value": t["value"],
            "earlier": t["earlier_value"],
            "change": t["change"],
            "pct_change": t["pct_change"],
            "pct_low": t["pct_low"],
            "pct_high": t["pct_high"],
        }
    )
    twin = ReportTable(
        f"{comparison.la_name}: snapshot at {when} (numbers)",
        numbers,
        [
            Column("measure", "Measure", role="label"),
            Column("id", "Id", role="text"),
            Column("unit", "Unit", role="text"),
            Column("value", "Value", role="rate", decimals=2),
            Column("earlier", "Earlier value", role="rate", decimals=2),
            Column("change", "Change", role="rate", decimals=2),
            Column("pct_change", "% change", role="rate", decimals=1),
            Column(
                "pct_low",
                "% change: lowest the rounding allows",
                role="rate",
                decimals=1,
            ),
            Column(
                "pct_high",
                "% change: highest the rounding allows",
                role="rate",
                decimals=1,
            ),
        ],
        notes=comparison.notes(),
        name="Snapshot numbers",
    )
    return printed, twin


def _compared_with(comparison: Any) -> str:
    weeks = comparison.compare_weeks
    if comparison.earlier_date is None:
        return f"no snapshot {weeks} weeks earlier to compare with"
    return f"change from {comparison.earlier_date:%d %B %Y} ({weeks} weeks earlier)"


def _trend_frame(
    store: Store, la_code: str, date: dt.date, months: int = 13
) -> pd.DataFrame:
    from lacompare.snapshot import read_snapshot_values

    values = read_snapshot_values(store, la_code)
    start = date - dt.timedelta(days=int(months * 30.44))
    return values[(values["snapshot_date"] > start) & (values["snapshot_date"] <= date)]


def build_scrutiny(
    store: Store,
    *,
    authority: str | None = None,
    date: str | dt.date | None = None,
    compare_weeks: int = 13,
    neighbour_set: str | None = None,
    title: str | None = None,
) -> Document:
    """The scrutiny brief of one authority on a snapshot date.

    Parameters
    ----------
    store
        A store with the authority's snapshot values (``lacompare snapshot``),
        optionally headcount and budget lines and published DfE measures.
    authority
        Name or code (default: the only authority with snapshots).
    date
        The snapshot date (default: the latest).
    compare_weeks
        Change from the snapshot this many weeks before.
    neighbour_set
        The neighbour set for the comparison (default: the store's latest).
    title
        The report's title.
    """
    comparison = read_snapshot(store, authority, date, compare_weeks)
    name, la, when = comparison.la_name, comparison.la_code, comparison.date
    table = comparison.table
    synthetic = (
        bool(table["synthetic"].any()) if "synthetic" in table.columns else False
    )
    doc = Document(
        "scrutiny",
        title or f"{name}: children's services workload and resources",
        subtitle=f"Scrutiny brief: snapshot at {when:%d %B %Y}, "
        + _compared_with(comparison),
        name=f"scrutiny-{la}-{when.isoformat()}",
    )
    tracker = SourceTracker(store)
    for sid in set(table["source_id"].dropna().astype(int)):
        tracker.use_source(sid)
    doc.key_points = scrutiny_key_points(comparison, synthetic)
    snapshot_section(doc, comparison, compare_weeks)
    trends_section(doc, store, comparison, synthetic)
    staffing_section(doc, store, la, tracker)
    budget_section(doc, store, la, tracker)
    neighbours_section(doc, store, comparison, neighbour_set, tracker)
    doc.reading_notes = [
        f"Change is from the snapshot {compare_weeks} weeks earlier ("
        + (
            f"{comparison.earlier_date:%d %B %Y}"
            if comparison.earlier_date
            else f"none was found near {comparison.target_date:%d %B %Y}"
        )
        + "); % change is the change divided by the earlier value, shown '-' "
        "where that was 0.",
        "Rates and percentages published rounded carry only the precision printed, "
        "so their % change is shown as the range the rounding allows.",
        *[str(i) for i in comparison.issues],
    ]
    doc.sources = tracker.frame()
    return doc


def read_snapshot(
    store: Store, authority: str | None, date: str | dt.date | None, weeks: int
) -> Any:
    """The authority's snapshot on ``date`` (default: its latest) and the change
    from ``weeks`` before (:func:`lacompare.snapshot.summarise_snapshot`)."""
    from lacompare.snapshot import resolve_la, snapshot_dates, summarise_snapshot

    pairs = snapshot_dates(store, resolve_la(authority) if authority else None)
    if not pairs:
        raise InputError(
            "no snapshot values in the store"
            + (f" for {authority}" if authority else "")
            + ": load them first (lacompare snapshot load FILE or "
            "lacompare snapshot extract FILE)"
        )
    if date is None:
        date = pairs[-1][1]
    return summarise_snapshot(store, authority, date, compare_weeks=weeks)


def scrutiny_key_points(comparison: Any, synthetic: bool) -> list[str]:
    """Each trend measure's value and its change since the earlier snapshot."""
    from lacompare.snapshot import read_measures

    points = []
    if synthetic:
        points.append(
            "SYNTHETIC DATA: these figures come from a generated "
            "extract, not from any authority's records."
        )
    by_key = {(r.measure, r.breakdown): r for r in comparison.table.itertuples()}
    for m in read_measures():
        r = by_key.get((m.measure, m.breakdown))
        if not m.trend or r is None or r.value_text == "..":
            continue
        if not isinstance(r.pct_reason, str) and pd.notna(r.change):
            way = "up" if r.change > 0 else "down" if r.change < 0 else "unchanged"
            moved = (
                f"{way} {r.change_text.lstrip('-')} ({r.pct_text})"
                if way != "unchanged"
                else "unchanged"
            )
            points.append(
                f"{r.label}: {r.value_text}, {moved} since "
                f"{comparison.earlier_date:%d %B %Y}."
            )
        else:
            points.append(f"{r.label}: {r.value_text}.")
    return points


def snapshot_section(doc: Document, comparison: Any, compare_weeks: int) -> None:
    """The snapshot of demand and caseloads, and the change since the earlier one."""
    when, name = comparison.date, comparison.la_name
    sec = doc.section("Snapshot of demand and caseloads")
    sec.p(
        f"{possessive(name)} children's social care produces snapshot data each "
        "month, which gives a sense of the demand on services. The latest "
        f"snapshot, at {when:%d %B %Y}, is shown below with the change from the "
        f"snapshot {compare_weeks} weeks before"
        + (
            f", {comparison.earlier_date:%d %B %Y}."
            if comparison.earlier_date
            else f": there is none within a week of "
            f"{comparison.target_date:%d %B %Y}, so no change is shown."
        )
    )
    printed, twin = snapshot_tables(comparison)
    sec.table(printed, xlsx=False).table(twin, html=False)


def trends_section(
    doc: Document, store: Store, comparison: Any, synthetic: bool
) -> None:
    """A chart of each main measure over the last 13 months of snapshots."""
    from lacompare.charts import trend_chart
    from lacompare.snapshot import read_measures

    name = comparison.la_name
    trend = _trend_frame(store, comparison.la_code, comparison.date)
    charted = doc.section("Trends over the last 13 months")
    drawn = 0
    for m in read_measures():
        if not m.trend:
            continue
        part = trend[
            (trend["measure"] == m.measure) & (trend["breakdown"] == m.breakdown)
        ].dropna(subset=["value"])
        if len(part) < 2:
            continue
        frame = pd.DataFrame(
            {
                "period": [d.strftime("%Y-%m-%d") for d in part["snapshot_date"]],
                "series": name,
                "value": part["value"].astype(float),
            }
        )
        chart = trend_chart(
            frame,
            measure=m.label,
            focus=name,
            title=f"{m.label}, {name}, "
            f"{frame['period'].iloc[0]} to {frame['period'].iloc[-1]}",
        )
        charted.figure(
            chart,
            caption="Monthly snapshots" + (" (SYNTHETIC data)." if synthetic else "."),
            name=f"Trend {m.key}"[:31],
        )
        drawn += 1
    if not drawn:
        charted.p(
            "Fewer than two monthly snapshots of the main measures in the last "
            "13 months: no trend to show."
        )


def staffing_section(
    doc: Document, store: Store, la: str, tracker: SourceTracker
) -> None:
    """Directly employed staff by division and service."""
    from lacompare.snapshot import (
        headcount_table,
        read_resource_lines,
        summarise_resources,
    )

    staff = doc.section("Staffing")
    lines = read_resource_lines(store, la, "headcount")
    if lines.empty:
        staff.p(
            "No headcount is loaded for this authority (lacompare snapshot "
            "headcount FILE)."
        )
        return
    tracker.use_source(int(lines["source_id"].iloc[0]))
    t = headcount_table(
        lines,
        f"Directly employed staff at {lines['as_of'].iloc[0]}",
        sources=[str(lines["file"].iloc[0]).rsplit("/", 1)[-1]],
    )
    found, _ = summarise_resources([t])
    staff.p(
        "The directly employed staffing establishment, by division and service."
        + (
            " Some printed totals do not equal the sum of their "
            "parts: see the notes under the table."
            if found
            else ""
        )
    )
    staff.table(t)


def budget_section(
    doc: Document, store: Store, la: str, tracker: SourceTracker
) -> None:
    """The budget and its allocation, income in brackets, totals reconciled."""
    from lacompare.snapshot import (
        budget_tables,
        read_resource_lines,
        summarise_resources,
    )

    money = doc.section("Budget")
    lines = read_resource_lines(store, la, "budget")
    if lines.empty:
        money.p(
            "No budget is loaded for this authority (lacompare snapshot budget FILE)."
        )
        return
    tracker.use_source(int(lines["source_id"].iloc[0]))
    tables = budget_tables(
        lines,
        f"Budget {lines['as_of'].iloc[0]}",
        sources=[str(lines["file"].iloc[0]).rsplit("/", 1)[-1]],
    )
    found, _ = summarise_resources(tables)
    money.p(
        "A summary of the budget and its allocation; income is shown in "
        "brackets."
        + (
            f" {len(found)} printed total(s) do not equal the sum "
            "of their parts within rounding: each is marked."
            if found
            else " Every total equals the sum of its parts within rounding."
        )
    )
    for t in tables:
        money.table(t)


def neighbours_section(
    doc: Document,
    store: Store,
    comparison: Any,
    neighbour_set: str | None,
    tracker: SourceTracker,
) -> None:
    """How the authority compares with its statistical neighbours."""
    name = comparison.la_name
    nb = doc.section(f"How {name} compares with its statistical neighbours")
    compared, notes = neighbour_comparison(
        store,
        comparison.la_code,
        comparison.table,
        neighbour_set=neighbour_set,
        tracker=tracker,
    )
    if compared is None:
        nb.p(
            "None of the published measures that match the snapshot (CLA, child "
            "protection and children in need rates) is in the store, nor the "
            "counts and population to derive them from."
        )
    else:
        nb.p(
            f"The snapshot's rates beside the latest figures at 31 March for "
            f"{name}, its statistical neighbours, region and England: published "
            "rates where the store has them, otherwise derived here from the "
            "published counts and the ONS 0-17 population (the notes say which, "
            "and from what)."
        )
        nb.table(compared)
    nb.bullets(notes)
