"""The scrutiny brief's comparison with statistical neighbours: the snapshot's
rates beside the latest published 31 March figures, the authority's neighbours',
region's and England's; a rate the store lacks is derived from its count and
the 0-17 population in a scratch copy of the store (the store is not changed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._sources import SourceTracker

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["match_population", "neighbour_comparison"]


def _has_total(store: Store, measure: str) -> bool:
    return "" in store.list_breakdowns(measure)


def _has_any(store: Store, measure: str) -> bool:
    return bool(store.list_breakdowns(measure))


def match_population(store: Store, candidates: tuple[str, ...]) -> str | None:
    """The first population candidate the store holds values of (no breakdown).

    A candidate is an age band (``'0-17'``: the one measure whose id or label
    names it, see :func:`lacompare.derive.population_measure`) or a measure id.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000016",
    ...                         "measure": "population_estimate",
    ...                         "period": "2024", "value": 90763}], file="p.csv")
    ...     match_population(s, ("0-17", "population_estimate"))
    'population_estimate'
    """
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
    """The files an authority's value of a measure came from, by name."""
    ids = store.read_values(
        measures=measure,
        breakdowns=breakdown,
        periods=period,
        authorities=la_code,
        columns=["source_id"],
    )["source_id"]
    sources = store.list_sources()
    files = sources.loc[sources["source_id"].isin(set(ids)), "file"]
    return ", ".join(
        sorted({str(f).replace("\\", "/").rsplit("/", 1)[-1] for f in files})
    )


class NotDerived(Exception):
    """derive_rate refused the inputs (its InputError's message)."""


@dataclass
class Derivation:
    """A rate derived in a scratch store: the authority's compare row, the
    inputs of its figure, and what could not be derived."""

    row: Any
    neighbour_set: str | None
    count_breakdown: str
    population: str
    period: str
    inputs: pd.DataFrame
    values: pd.DataFrame


def _why_not_derived(store: Store, match: Any) -> tuple[str | None, str]:
    """The 0-17 population to derive ``match``'s rate from, or the note saying
    why it cannot be derived."""
    absent = f"{match.label}: not compared, {match.store_measure} is not in the store"
    if not match.count or not _has_any(store, match.count):
        return None, (
            f"{absent}, nor the count it can be derived from "
            f"({match.count or 'none'}); see "
            "lacompare/snapshot/data/published.csv for what to load."
        )
    population = match_population(store, match.population)
    if population is None:
        return None, (
            f"{absent}, and no 0-17 population "
            f"({' or '.join(match.population)}) to derive it from "
            f"{match.count}: load the ONS 0-17 mid-year estimates."
        )
    return population, absent


def derive_in_scratch(
    store: Store,
    la_code: str,
    match: Any,
    population: str,
    neighbour_set: str | None,
) -> Derivation:
    """Derive ``match``'s rate for every authority with
    :func:`lacompare.derive.derive_rate` in a scratch store, compare ``la_code``
    there, and read the inputs of its figure (:class:`NotDerived` when
    derive_rate refuses the inputs)."""
    from lacompare.analysis import compare
    from lacompare.derive import INPUTS_TABLE, derive_rate, resolve_breakdown
    from lacompare.store import scratch_store

    count_bd = resolve_breakdown(store, match.count, match.count_breakdown) or ""
    refs = {
        k: v
        for k, v in (
            (match.count, match.count_reference_date),
            (population, match.population_reference_date),
        )
        if v
    }
    with scratch_store(store, [match.count, population]) as scratch:
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
            raise NotDerived(str(exc)) from exc
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
    values = derived.values[derived.values["period"] == period]
    return Derivation(
        row, result.neighbour_set, count_bd, population, period, inputs, values
    )


def derivation_note(store: Store, la_code: str, match: Any, d: Derivation) -> str:
    """What was derived, from which files, the authority's sum, and how many
    authorities have the rate."""
    by_role = {r.input_measure: r for r in d.inputs.itertuples()}
    count_row, pop_row = by_role.get(match.count), by_role.get(d.population)
    pop_period = str(pop_row.input_period) if pop_row is not None else "?"
    what = (
        f"{match.count}"
        + (f" [{d.count_breakdown}]" if d.count_breakdown else "")
        + f" at {match.count_reference_date or 'its reference date'} {d.period} "
        f"(from {_files_of(store, match.count, d.count_breakdown, d.period, la_code)})"
    )
    per = (
        f"{d.population}, mid-{pop_period}, from "
        f"{_files_of(store, d.population, '', pop_period, la_code)}"
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
            f"{pop_row.input_value:,.0f} × 10,000 = {d.row['value']:,.1f}"
        )
    note = (
        f"{match.label}: no published rate ({match.store_measure}) is in the "
        f"store, so it was derived for every authority, region and England with "
        f"lacompare.derive.derive_rate: {what} per 10,000 children aged 0-17 "
        f"({per}), periods matched by reference date{sums}."
    )
    missing = d.values["missing_reason"].dropna().value_counts()
    if len(missing):
        note += (
            f" {len(d.values) - int(missing.sum())} of {len(d.values)} authorities "
            f"have a {d.period} rate; not derived: "
            + ", ".join(f"{n} {reason}" for reason, n in sorted(missing.items()))
            + "."
        )
    return note


def _derived_comparison(
    store: Store,
    la_code: str,
    match: Any,
    neighbour_set: str | None,
    tracker: SourceTracker | None,
) -> tuple[Any, str | None, str]:
    """Derive ``match``'s rate (count per 10,000 of the 0-17 population) for every
    authority and compare ``la_code``. Returns the comparison row (``None`` if it
    cannot be derived), the neighbour set used and a note saying what was done."""
    population, why = _why_not_derived(store, match)
    if population is None:
        return None, None, why
    try:
        d = derive_in_scratch(store, la_code, match, population, neighbour_set)
    except NotDerived as exc:
        return (
            None,
            None,
            f"{why}, and deriving it from {match.count} and {population} failed: {exc}",
        )
    if tracker is not None:
        by_role = {r.input_measure: r for r in d.inputs.itertuples()}
        pop_row = by_role.get(population)
        pop_period = str(pop_row.input_period) if pop_row is not None else "?"
        tracker.use(match.count, d.count_breakdown, [d.period])
        tracker.use(population, "", [pop_period])
    return d.row, d.neighbour_set, derivation_note(store, la_code, match, d)


def _published_comparison(
    store: Store,
    la_code: str,
    match: Any,
    neighbour_set: str | None,
    tracker: SourceTracker | None,
) -> tuple[Any, str | None]:
    """Compare ``la_code`` on a published rate the store holds."""
    from lacompare.analysis import compare
    from lacompare.derive import resolve_breakdown

    breakdown = ""
    if match.store_breakdown:
        breakdown = (
            resolve_breakdown(store, match.store_measure, match.store_breakdown) or ""
        )
    result = compare(
        store,
        la_code,
        [match.store_measure],
        breakdown=breakdown,
        neighbour_set=neighbour_set,
    )
    row = result.table.iloc[0]
    if tracker is not None:
        tracker.use(match.store_measure, breakdown, [str(row["period"])])
    return row, result.neighbour_set


def _comparison_row(
    match: Any, row: Any, basis: str, snapshot: pd.DataFrame
) -> dict[str, Any]:
    """One row of the table: the snapshot's rate beside the 31 March figures."""
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
        f"{int(row['rank'])} of {int(row['rank_of'])}" if pd.notna(row["rank"]) else ""
    )
    return {
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
    from lacompare.snapshot import read_published_matches

    rows, notes, set_used = [], [], None
    for match in read_published_matches():
        if _has_any(store, match.store_measure):
            row, used = _published_comparison(
                store, la_code, match, neighbour_set, tracker
            )
            basis = "published"
        else:
            row, used, note = _derived_comparison(
                store, la_code, match, neighbour_set, tracker
            )
            notes.append(note)
            if row is None:
                continue
            basis = "derived"
        set_used = set_used or used
        rows.append(_comparison_row(match, row, basis, snapshot))
    if tracker is not None:
        tracker.use_neighbours(set_used)
    if not rows:
        return None, notes
    return neighbour_table(pd.DataFrame(rows), set_used), notes


def neighbour_table(frame: pd.DataFrame, set_used: str | None) -> ReportTable:
    """The rates per 10,000 children: snapshot, 31 March, neighbours, region,
    England, rank and band."""
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
    whole = {"role": "rate", "decimals": 0}
    return ReportTable(
        "Rates per 10,000 children: the snapshot beside the latest 31 March figures",
        frame,
        [
            Column("measure", "Measure", role="label"),
            Column("snapshot", "Snapshot", **whole),
            Column("published", "31 March", **whole),
            Column("basis", "Published or derived", role="text"),
            Column("period", "Year (31 March)", role="text"),
            Column("neighbours", "Statistical neighbours (mean)", **whole),
            Column("region", "Region", **whole),
            Column("england", "England", **whole),
            Column("rank", "Rank (1 = highest)", role="text"),
            Column("band", "Quartile band (A = highest)", role="text"),
        ],
        notes=table_notes,
        name="Neighbours",
    )
