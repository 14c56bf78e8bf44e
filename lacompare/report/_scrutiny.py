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
:func:`lacompare.analysis.compare` with a DfE neighbour set.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._reports import Document, SourceTracker, possessive

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


def _copy_rows(
    source: Store,
    target: Store,
    table: str,
    where: str = "",
    params: list[Any] | None = None,
) -> pd.DataFrame:
    frame = source.query(f"SELECT * FROM {table} {where}", params)
    if len(frame):
        target.con.register("_scrutiny_copy", frame)
        try:
            # observations is a view: its rows are written as cells.
            into = "observation_cells" if table == "observations" else table
            target.con.execute(
                f"INSERT INTO {into} BY NAME SELECT * FROM _scrutiny_copy"
            )
        finally:
            target.con.unregister("_scrutiny_copy")
    return frame


def _scratch_store(store: Store, measures: list[str]) -> Store:
    """An in-memory store holding ``measures`` (values, totals, their loads and
    measure rows) and the neighbour sets, to derive in.

    The report reads the user's store read-only and must not change it, so a
    rate the store lacks is derived beside it, never into it.
    """
    from lacompare.store import open_store

    scratch = open_store(":memory:")
    try:
        ids: set[int] = set()
        for table in ("observations", "totals"):
            rows = _copy_rows(
                store, scratch, table, "WHERE measure IN (SELECT unnest(?))", [measures]
            )
            ids.update(int(i) for i in rows["source_id"].dropna())
        _copy_rows(
            store,
            scratch,
            "measures",
            "WHERE measure IN (SELECT unnest(?))",
            [measures],
        )
        _copy_rows(
            store,
            scratch,
            "sources",
            "WHERE source_id IN (SELECT unnest(?))",
            [sorted(ids)],
        )
        _copy_rows(store, scratch, "neighbour_sets")
        _copy_rows(store, scratch, "neighbours")
        # The copied loads keep their ids (so provenance still names them); move
        # the id sequence past them so the derived load gets a fresh one.
        top = max(ids, default=0)
        if top:
            scratch.con.execute("SELECT nextval('source_ids') FROM range(?)", [top])
    except Exception:
        scratch.close()
        raise
    return scratch


def _has_total(store: Store, measure: str) -> bool:
    return bool(
        store.con.execute(
            "SELECT count(*) FROM observations WHERE measure = ? AND breakdown = ''",
            [measure],
        ).fetchall()[0][0]
    )


def match_population(store: Store, candidates: tuple[str, ...]) -> str | None:
    """The first population candidate the store holds values of (no breakdown).

    A candidate is an age band (``'0-17'``: the one measure whose id or label
    names it, see :func:`lacompare.derive.population_measure`) or a measure id.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, "
    ...                       "period, "
    ...         "value, source_id) VALUES ('E06000016', 'population_estimate', "
    ...         "'2024', 90763, 1)")
    ...     match_population(s, ("0-17", "population_estimate"))
    'population_estimate'
    """
    import re

    from lacompare.derive import population_measure

    for candidate in candidates:
        measure: str | None = candidate
        if re.fullmatch(r"\d+-\d+", candidate):
            try:
                measure = population_measure(store, candidate)
            except InputError:
                measure = None
        if measure and _has_total(store, measure):
            return measure
    return None


def _files_of(
    store: Store, measure: str, breakdown: str, period: str, la_code: str
) -> str:
    rows = store.con.execute(
        """SELECT DISTINCT s.file FROM observations o JOIN sources s USING (source_id)
           WHERE o.measure = ? AND o.breakdown = ? AND o.period = ? AND o.la_code = ?
           ORDER BY 1""",
        [measure, breakdown, period, la_code],
    ).fetchall()
    return ", ".join(str(r[0]).replace("\\", "/").rsplit("/", 1)[-1] for r in rows)


def _derived_comparison(
    store: Store,
    la_code: str,
    match: Any,
    neighbour_set: str | None,
    tracker: SourceTracker | None,
) -> tuple[Any, str | None, str]:
    """Derive ``match``'s rate (count per 10,000 of the 0-17 population) for every
    authority with :func:`lacompare.derive.derive_rate` in a scratch store and
    compare ``la_code`` there. Returns the comparison row (``None`` if it cannot
    be derived), the neighbour set used and a note saying what was done."""
    from lacompare.analysis import compare
    from lacompare.derive import INPUTS_TABLE, derive_rate, resolve_breakdown

    absent = f"{match.label}: not compared, {match.store_measure} is not in the store"
    if not match.count or not _has_any(store, match.count):
        return (
            None,
            None,
            (
                f"{absent}, nor the count it can be derived from "
                f"({match.count or 'none'}); see "
                "lacompare/snapshot/data/published.csv for what to load."
            ),
        )
    count_bd = resolve_breakdown(store, match.count, match.count_breakdown) or ""
    population = match_population(store, match.population)
    if population is None:
        return (
            None,
            None,
            (
                f"{absent}, and no 0-17 population "
                f"({' or '.join(match.population)}) to derive it from "
                f"{match.count}: load the ONS 0-17 mid-year estimates."
            ),
        )
    refs = {
        k: v
        for k, v in (
            (match.count, match.count_reference_date),
            (population, match.population_reference_date),
        )
        if v
    }
    scratch = _scratch_store(store, [match.count, population])
    try:
        try:
            derived = derive_rate(
                scratch,
                match.count,
                population,
                name=match.store_measure,
                breakdown=count_bd,
                reference_dates=refs,
                polarity="neutral",
                label=f"{match.label} (derived)",
            )
        except InputError as exc:
            return (
                None,
                None,
                (
                    f"{absent}, and deriving it from {match.count} "
                    f"and {population} failed: {exc}"
                ),
            )
        result = compare(
            scratch, la_code, [match.store_measure], neighbour_set=neighbour_set
        )
        row = result.table.iloc[0]
        period = str(row["period"])
        inputs = scratch.query(
            f"""SELECT role, input_measure, input_period, input_value
                FROM {INPUTS_TABLE} WHERE measure = ? AND level = 'authority'
                AND la_code = ? AND period = ? ORDER BY role DESC""",
            [match.store_measure, la_code, period],
        )
    finally:
        scratch.close()
    by_role = {r.input_measure: r for r in inputs.itertuples()}
    count_row, pop_row = by_role.get(match.count), by_role.get(population)
    pop_period = str(pop_row.input_period) if pop_row is not None else "?"
    if tracker is not None:
        tracker.use(match.count, count_bd, [period])
        tracker.use(population, "", [pop_period])
    what = (
        f"{match.count}"
        + (f" [{count_bd}]" if count_bd else "")
        + f" at {match.count_reference_date or 'its reference date'} {period} "
        f"(from {_files_of(store, match.count, count_bd, period, la_code)})"
    )
    per = (
        f"{population}, mid-{pop_period}, from "
        f"{_files_of(store, population, '', pop_period, la_code)}"
    )
    sums = ""
    if (
        count_row is not None
        and pop_row is not None
        and pd.notna(count_row.input_value)
        and pd.notna(pop_row.input_value)
    ):
        sums = (
            f"; for this authority {count_row.input_value:,.0f} / "
            f"{pop_row.input_value:,.0f} × 10,000 = {row['value']:,.1f}"
        )
    note = (
        f"{match.label}: no published rate ({match.store_measure}) is in the "
        f"store, so it was derived for every authority, region and England with "
        f"lacompare.derive.derive_rate: {what} per 10,000 children aged 0-17 "
        f"({per}), periods matched by reference date{sums}."
    )
    values = derived.values[derived.values["period"] == period]
    missing = values["missing_reason"].dropna().value_counts()
    if len(missing):
        note += (
            f" {len(values) - int(missing.sum())} of {len(values)} authorities "
            f"have a {period} rate; not derived: "
            + ", ".join(f"{n} {reason}" for reason, n in sorted(missing.items()))
            + "."
        )
    return row, result.neighbour_set, note


def _has_any(store: Store, measure: str) -> bool:
    return bool(
        store.con.execute(
            "SELECT count(*) FROM observations WHERE measure = ?", [measure]
        ).fetchall()[0][0]
    )


def neighbour_comparison(
    store: Store,
    la_code: str,
    snapshot: pd.DataFrame,
    *,
    neighbour_set: str | None = None,
    tracker: SourceTracker | None = None,
) -> tuple[ReportTable | None, list[str]]:
    """The authority's snapshot rates beside its latest 31 March rates, its
    neighbours' and England's, for each published measure that matches.

    A published rate the store lacks (the CP rate, usually) is derived from its
    count and the ONS 0-17 population when both are in the store
    (:func:`lacompare.derive.derive_rate` in a scratch copy: the store itself is
    not changed), and the table and notes say so.

    Returns the table (``None`` when nothing could be compared) and notes
    naming what was derived, or could not be compared and why.
    """
    from lacompare.analysis import compare
    from lacompare.derive import resolve_breakdown
    from lacompare.snapshot import read_published_matches

    rows, notes, set_used = [], [], None
    for match in read_published_matches():
        if _has_any(store, match.store_measure):
            breakdown = ""
            if match.store_breakdown:
                breakdown = (
                    resolve_breakdown(store, match.store_measure, match.store_breakdown)
                    or ""
                )
            result = compare(
                store,
                la_code,
                [match.store_measure],
                breakdown=breakdown,
                neighbour_set=neighbour_set,
            )
            row, used, basis = result.table.iloc[0], result.neighbour_set, "published"
            if tracker is not None:
                tracker.use(match.store_measure, breakdown, [str(row["period"])])
        else:
            row, used, note = _derived_comparison(
                store, la_code, match, neighbour_set, tracker
            )
            notes.append(note)
            if row is None:
                continue
            basis = "derived"
        set_used = set_used or used
        mine = snapshot[
            (snapshot["measure"] == match.measure)
            & (snapshot["breakdown"] == match.breakdown)
        ]
        own = (
            float(mine["value"].iloc[0])
            if len(mine) and pd.notna(mine["value"].iloc[0])
            else None
        )
        rank = (
            f"{int(row['rank'])} of {int(row['rank_of'])}"
            if pd.notna(row["rank"])
            else ""
        )
        rows.append(
            {
                "measure": match.label,
                "snapshot": own,
                "published": row["value"],
                "basis": basis,
                "period": str(row["period"]),
                "neighbours": row["neighbours_mean"],
                "region": row["region_value"],
                "england": row["england_value"],
                "rank": rank,
                "band": row["quartile"] or "",
            }
        )
    if tracker is not None:
        tracker.use_neighbours(set_used)
    if not rows:
        return None, notes
    frame = pd.DataFrame(rows)
    for col in ("snapshot", "published", "neighbours", "region", "england"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
        frame[col + "__missing"] = [
            "not-available" if pd.isna(v) else None for v in frame[col]
        ]
    table_notes = [
        f"Statistical neighbours: DfE set {set_used}."
        if set_used
        else "No neighbour set is loaded (lacompare neighbours load dfe-2025)."
    ]
    if (frame["basis"] == "derived").any():
        table_notes.append(
            "Derived: computed here from the published count and the "
            "ONS 0-17 population, as DfE computes its rates (see the "
            "notes below the table)."
        )
    table = ReportTable(
        "Rates per 10,000 children: the snapshot beside the latest 31 March figures",
        frame,
        [
            Column("measure", "Measure", role="label"),
            Column("snapshot", "Snapshot", role="rate", decimals=0),
            Column("published", "31 March", role="rate", decimals=0),
            Column("basis", "Published or derived", role="text"),
            Column("period", "Year (31 March)", role="text"),
            Column(
                "neighbours", "Statistical neighbours (mean)", role="rate", decimals=0
            ),
            Column("region", "Region", role="rate", decimals=0),
            Column("england", "England", role="rate", decimals=0),
            Column("rank", "Rank (1 = highest)", role="text"),
            Column("band", "Quartile band (A = highest)", role="text"),
        ],
        notes=table_notes,
        name="Neighbours",
    )
    return table, notes


def build_scrutiny(
    store: Store,
    *,
    authority: str | None = None,
    date: str | dt.date | None = None,
    compare_weeks: int = 13,
    neighbour_set: str | None = None,
    title: str | None = None,
    **unknown: Any,
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
    from lacompare.charts import trend_chart
    from lacompare.snapshot import (
        budget_tables,
        headcount_table,
        read_measures,
        read_resource_lines,
        resolve_la,
        snapshot_dates,
        summarise_resources,
        summarise_snapshot,
    )

    if unknown:
        raise InputError(
            "the scrutiny report has no option " + ", ".join(sorted(unknown))
        )
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
    comparison = summarise_snapshot(store, authority, date, compare_weeks=compare_weeks)
    name, la = comparison.la_name, comparison.la_code
    when = comparison.date
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
    if synthetic:
        doc.key_points.append(
            "SYNTHETIC DATA: these figures come from a generated "
            "extract, not from any authority's records."
        )
    by_key = {(r.measure, r.breakdown): r for r in table.itertuples()}
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
            doc.key_points.append(
                f"{r.label}: {r.value_text}, {moved} since "
                f"{comparison.earlier_date:%d %B %Y}."
            )
        else:
            doc.key_points.append(f"{r.label}: {r.value_text}.")

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

    trend = _trend_frame(store, la, when)
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

    staff = doc.section("Staffing")
    lines = read_resource_lines(store, la, "headcount")
    if lines.empty:
        staff.p(
            "No headcount is loaded for this authority (lacompare snapshot "
            "headcount FILE)."
        )
    else:
        tracker.use_source(int(lines["source_id"].iloc[0]))
        as_of = lines["as_of"].iloc[0]
        t = headcount_table(
            lines,
            f"Directly employed staff at {as_of}",
            sources=[str(lines["file"].iloc[0]).rsplit("/", 1)[-1]],
        )
        found, _ = summarise_resources([t])
        staff.p(
            "The directly employed staffing establishment, by division and "
            "service."
            + (
                " Some printed totals do not equal the sum of their "
                "parts: see the notes under the table."
                if found
                else ""
            )
        )
        staff.table(t)

    money = doc.section("Budget")
    lines = read_resource_lines(store, la, "budget")
    if lines.empty:
        money.p(
            "No budget is loaded for this authority (lacompare snapshot budget FILE)."
        )
    else:
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

    nb = doc.section(f"How {name} compares with its statistical neighbours")
    compared, notes = neighbour_comparison(
        store, la, table, neighbour_set=neighbour_set, tracker=tracker
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
