"""A build's loads: every recognised file (each sheet of a workbook a load), in
order, each in its own transaction, prepared ahead in a worker process
(:mod:`lacompare.build._prepare`); the neighbour sets; every other sheet of a
loaded workbook accounted for."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.build import BuildResult, FileOutcome, Progress
from lacompare.build._files import (
    WORKBOOK_SUFFIXES,
    KnownFiles,
    LoadEntry,
    Recognised,
)
from lacompare.build._timings import timed
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.build._prepare import LoadPreparer
    from lacompare.store import Store


def _sheets(path: Path) -> list[str]:
    from lacompare.sources import open_workbook

    return list(open_workbook(path, filename=str(path)).sheet_names)


def _load_one(
    store: Store, rec: Recognised, entry: LoadEntry, preparer: LoadPreparer
) -> FileOutcome:
    import duckdb

    from lacompare.store import ingest, ingest_prepared

    out = FileOutcome(rec.relative, entry.sheet, "loaded", rec.how)
    start = time.perf_counter()
    try:
        prepared = preparer.take(rec, entry)
        if prepared is not None:
            try:
                result = ingest_prepared(store, prepared)
            except duckdb.Error as exc:
                # The worker's files could not be read (the load rolled back):
                # this and every later load are made here, from the file.
                preparer.stop(f"its files for {entry.id} could not be read: {exc}")
                prepared = None
        if prepared is None:
            result = ingest(
                store,
                rec.file,
                spec=entry.ingest_spec(),
                sheet=entry.sheet,
                skip_unresolved=entry.skip_unresolved,
            )
    except LacompareError as exc:
        out.status, out.detail = "failed", str(exc)
        out.seconds = time.perf_counter() - start
        return out
    out.seconds = time.perf_counter() - start
    out.timings = dict(result.timings)
    out.prepared = prepared is not None
    out.observations, out.totals = result.observations, result.totals
    out.authorities, out.periods = result.authorities, list(result.periods)
    out.source_id = result.source_id
    out.detail = (
        f"{result.observations:,} values, {result.authorities} authorities, "
        f"{len(result.periods)} periods; {result.totals:,} total/district "
        "values set aside"
    )
    if result.unresolved:
        out.detail += f"; {len(result.unresolved)} rows named no authority (logged)"
    # Figures another file gave too: the later load is current (vintages); say so
    # where they differ, so a revision (or a clash of ids) is never silent.
    out.revisions = [
        i.message
        for i in result.issues.of_kind("conflict")
        if re.match(r"[\d,]+ values? \((?!0 different)", i.message)
    ]
    return out


def _neighbours(store: Store, rec: Recognised, preparer: LoadPreparer) -> FileOutcome:
    from lacompare.analysis.neighbours import load_neighbour_set

    n = rec.neighbours
    assert n is not None
    out = FileOutcome(rec.relative, None, "neighbours", rec.how)
    try:
        read = preparer.take_neighbours(rec)
        result = load_neighbour_set(
            store,
            rec.file if read is None else read,
            n.set_id,
            n.label,
            n.valid_for,
            replace=True,
        )
    except LacompareError as exc:
        out.status, out.detail = "failed", str(exc)
        return out
    frame = result.neighbours
    out.detail = (
        f"set {n.set_id}: {frame['la_code'].nunique()} authorities, "
        f"{len(frame):,} neighbour pairs"
    )
    return out


def load_files(
    store: Store,
    recs: list[Recognised],
    known: KnownFiles,
    result: BuildResult,
    progress: Progress | None,
    work: int,
    parallel: bool | None = None,
) -> tuple[dict[str, list[int]], list[Recognised], int]:
    """Load every recognised file (each sheet a load), account for the others,
    and load the neighbour sets; return the source ids of each known path's
    loads, the measure dictionaries (applied once the loads are in) and how many
    steps of ``work`` are done."""
    from lacompare.build._prepare import LoadPreparer, worker_enabled

    loading = [rec for rec in recs if rec.kind == "load"]
    n_loads = sum(len(rec.loads) for rec in loading)
    from lacompare.store import capped_memory

    # The loads' memory limit set once for all of them, not at each load.
    with (
        capped_memory(store),
        LoadPreparer(worker_enabled(n_loads, parallel)) as preparer,
    ):
        # Queued in the order _load_each takes them; the first load is the
        # store's own, made while the worker starts (about 0.6 s).
        first = True
        for rec in recs:
            if rec.kind == "neighbours":
                preparer.neighbours_ahead(rec)
            if rec.kind != "load":
                continue
            for entry in rec.loads:
                if not first:
                    preparer.ahead(rec, entry)
                first = False
            if rec.file.suffix.lower() in WORKBOOK_SUFFIXES:
                preparer.sheets_ahead(rec)
        loaded = _load_each(store, recs, known, result, progress, work, preparer)
        result.worker_wait = preparer.waited
        result.store_prepared = preparer.stole
        result.store_preparing = preparer.stealing
        if preparer.stopped:
            result.issues.add(
                "worker-stopped",
                f"the build's worker process stopped ({preparer.stopped}); the "
                "loads after it were read in the store's process (same results, "
                "slower)",
                severity="info",
            )
        return loaded


def _load_each(
    store: Store,
    recs: list[Recognised],
    known: KnownFiles,
    result: BuildResult,
    progress: Progress | None,
    work: int,
    preparer: LoadPreparer,
) -> tuple[dict[str, list[int]], list[Recognised], int]:
    """:func:`_load_files`, with ``preparer`` holding the loads made ready ahead."""
    done = 0
    loaded_ids: dict[str, list[int]] = {}  # known path -> source ids of its loads
    dictionaries: list[Recognised] = []
    for rec in recs:
        if rec.kind == "dictionary":
            dictionaries.append(rec)  # applied once the loads it describes are in
            continue
        if rec.kind in ("documentation", "other", "unknown"):
            status = {"other": "set-aside"}.get(rec.kind, rec.kind)
            result.files.append(
                FileOutcome(rec.relative, None, status, rec.how, rec.reason)
            )
            done += 1
            continue
        if rec.kind == "neighbours":
            if progress:
                progress(rec.relative, done, work)
            with timed(result.steps, "neighbour sets"):
                result.files.append(_neighbours(store, rec, preparer))
            done += 1
            continue
        for entry in rec.loads:
            if progress:
                progress(entry.id if rec.how == "path" else rec.relative, done, work)
            outcome = _load_one(store, rec, entry, preparer)
            result.files.append(outcome)
            if outcome.source_id is not None:
                loaded_ids.setdefault(entry.path, []).append(outcome.source_id)
            done += 1
        if rec.file.suffix.lower() in WORKBOOK_SUFFIXES:
            _other_sheets(rec, known, result, preparer)
    return loaded_ids, dictionaries, done


def _other_sheets(
    rec: Recognised, known: KnownFiles, result: BuildResult, preparer: LoadPreparer
) -> None:
    """Account for every sheet of a loaded workbook: loaded, set aside or unknown."""
    path = rec.loads[0].path
    loaded = {e.sheet for e in rec.loads}
    try:
        sheets = preparer.take_sheets(rec)
        if sheets is None:
            sheets = _sheets(rec.file)
    except Exception as exc:  # an unreadable workbook fails its loads already
        result.issues.add(
            "sheets-unread", f"{rec.relative}: cannot list its sheets ({exc})"
        )
        return
    for sheet in sheets:
        if sheet in loaded:
            continue
        reason = known.other_sheets.get((path, sheet))
        if reason is not None:
            result.files.append(
                FileOutcome(rec.relative, sheet, "set-aside", rec.how, reason)
            )
        else:
            result.files.append(
                FileOutcome(
                    rec.relative,
                    sheet,
                    "unknown",
                    rec.how,
                    "a sheet lacompare does not know in a workbook it does",
                )
            )
