"""Ingest, steps 2-4 as one unit: detect the layout, match authorities and plan
the parse of a raw table, so that they can run where the store is not.

:func:`ingest` runs them in the store's own connection. A build runs them, with
the read, in a worker process for the next file while the store writes the one
before (:func:`prepare_load`): none of them touches the store's tables, only the
load's working tables (the raw table, ``_keys`` and ``_vcols``), which the worker
writes to Parquet files and :func:`restore_working_tables` makes again in the
store's connection, in the same row order (a row's number in its file may be its
``rowid``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.provenance import IssueLog
from lacompare.sources import RawTable
from lacompare.sources.specs import IngestSpec
from lacompare.store._ingest_layout import Layout, detect_layout
from lacompare.store._ingest_match import MatchedKeys, match_keys, unresolved_rows
from lacompare.store._ingest_parse import CellPlan, parse_cells
from lacompare.store._ingest_write import LA_KINDS, TOTAL_KINDS

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "PreparedLoad",
    "StageClock",
    "parsed_sources",
    "prepare_load",
    "prepare_parse",
    "remove_files",
    "restore_working_tables",
]


@dataclass
class PreparedLoad:
    """A load read, matched and planned, ready to be written."""

    raw: RawTable
    spec: IngestSpec
    sha: str
    layout: Layout
    keys: MatchedKeys
    plan: CellPlan
    unresolved: list[dict[str, Any]]
    issues: IssueLog
    #: Seconds per stage so far (reading, layout, matching, parsing).
    timings: dict[str, float] = field(default_factory=dict)
    #: The working tables as files: table name -> Parquet path (a worker's load).
    tables: dict[str, str] = field(default_factory=dict)
    #: Kept as rows of values in lists (observation_rows): see ``COMPACT_VALUES``.
    compact: bool = False
    #: The worker parsed the cells too: ``_cells`` (authorities) and
    #: ``_cells_totals`` (totals and rows set aside) hold them as
    #: :meth:`CellPlan.cells_sql` gives them, and the raw table is not sent.
    parsed: bool = False


#: The working tables of a load whose cells the worker parsed.
PARSED_TABLES = ("_cells", "_cells_totals")


def is_compact(raw: RawTable, layout: Layout, threshold: int) -> bool:
    """Whether a load is kept as rows of values in lists: a wide or EES table of
    at least ``threshold`` values (``lacompare.store._ingest.COMPACT_VALUES``)."""
    return layout.kind != "long" and raw.n_rows * len(layout.values) >= threshold


def prepare_parse(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    spec: IngestSpec,
    sha: str,
    check: bool,
    skip_unresolved: bool,
    clock: Any,
) -> PreparedLoad:
    """Detect the layout, match the keys and plan the parse of ``raw`` (read in
    ``con``), laps on ``clock``; raises InputError as :func:`ingest` does (rows
    naming no authority, unless skipped or a dry run)."""
    issues = IssueLog()
    issues.extend(raw.issues)
    layout, found = detect_layout(con, raw, spec)
    issues.extend(found)
    clock.lap("layout")
    keys, found = match_keys(con, raw, layout, spec)
    issues.extend(found)
    clock.lap("matching")
    plan, found = parse_cells(con, raw, layout, spec, keys.cols)
    issues.extend(found)
    unresolved, found = unresolved_rows(
        con,
        raw,
        list(layout.la_columns),
        plan.cells_sql("'none'"),
        check=check,
        skip_unresolved=skip_unresolved,
    )
    issues.extend(found)
    clock.lap("parsing")
    return PreparedLoad(raw, spec, sha, layout, keys, plan, unresolved, issues)


class StageClock:
    """Seconds per stage of a load (:data:`lacompare.store._ingest.STAGES`), added
    up lap by lap: reported in :attr:`IngestResult.timings`."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


def prepare_load(
    path: str | Path,
    spec: IngestSpec,
    skip_unresolved: bool,
    folder: str | Path,
    compact_values: int | None = None,
    parse: bool = True,
    con: duckdb.DuckDBPyConnection | None = None,
) -> PreparedLoad:
    """Read ``path`` and prepare its load in a DuckDB of its own, writing the
    working tables to Parquet files in ``folder`` (for
    :func:`lacompare.store.ingest_prepared` in the store's process).

    With ``parse``, a load that is not compact (fewer than ``compact_values``
    values, default ``COMPACT_VALUES``) has its cells parsed here too, so the
    store's process only inserts them.

    ``con``: an in-memory DuckDB to work in (a worker keeps one: opening one
    takes about 13 ms); its temporary tables are dropped after the load.

    Raises InputError (or another LacompareError) as :func:`ingest` would.

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.sources.specs import IngestSpec
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "t.csv")
    >>> _ = open(p, "w").write("la,pop\\nLeeds,5\\nYork,c\\n")
    >>> spec = IngestSpec(); spec.period = "2021"
    >>> ready = prepare_load(p, spec, False, d)
    >>> ready.layout.kind, ready.parsed, sorted(ready.tables)
    ('wide', True, ['_cells', '_cells_totals'])
    """
    import duckdb

    from lacompare.store import _ingest
    from lacompare.store._ingest_read import read_table

    threshold = compact_values if compact_values is not None else _ingest.COMPACT_VALUES
    clock = StageClock()
    own = con is None
    con = duckdb.connect() if con is None else con
    try:
        raw, spec, sha = read_table(con, Path(path), spec)
        clock.lap("reading")
        ready = prepare_parse(con, raw, spec, sha, False, skip_unresolved, clock)
        ready.compact = is_compact(raw, ready.layout, threshold)
        out = Path(folder)
        # Unique across the worker and the store's process, which both write
        # here (a build's store prepares a load itself while it would wait).
        stem = f"{os.getpid()}-{time.monotonic_ns()}"
        if ready.compact or not parse:
            # The raw table's row order is its rows' numbers (rowid): kept.
            queries = {t: f"FROM {t}" for t in ("_keys", "_vcols", raw.relation)}
        else:
            # Parsed straight into the file: the order of stored cells carries no
            # meaning (source_row does), and the file is read once, so neither
            # kept nor compressed.
            con.execute("SET preserve_insertion_order = false")
            queries = {
                table: ready.plan.cells_sql(kinds)
                for table, kinds in zip(
                    PARSED_TABLES, (LA_KINDS, TOTAL_KINDS), strict=True
                )
            }
            ready.parsed = True
        for table, query in queries.items():
            target = out / f"{stem}{table}.parquet"
            con.execute(
                f"COPY ({query}) TO '{_quoted(target)}' "
                "(FORMAT parquet, COMPRESSION uncompressed)"
            )
            ready.tables[table] = str(target)
        clock.lap("parsing" if ready.parsed else "reading")
        ready.timings = clock.laps
        return ready
    finally:
        if own:
            con.close()
        else:
            for (table,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE temporary"
            ).fetchall():
                con.execute(f'DROP TABLE IF EXISTS "{table}"')
            con.execute("RESET preserve_insertion_order")


def restore_working_tables(
    con: duckdb.DuckDBPyConnection, prepared: PreparedLoad
) -> None:
    """Make a prepared load's working tables in ``con`` from its files (outside a
    transaction: a temporary table made inside one numbers its rows from a large
    offset), then delete the files. Parsed cells are not made into tables: they
    are inserted straight from their files (:func:`parsed_sources`)."""
    if prepared.parsed:
        return
    for table, file in prepared.tables.items():
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(
            f"CREATE TEMP TABLE {table} AS FROM read_parquet('{_quoted(file)}')"
        )
        Path(file).unlink(missing_ok=True)


def parsed_sources(prepared: PreparedLoad) -> tuple[str, str]:
    """SQL reading a parsed load's cells (authorities, then totals) from the
    worker's files."""
    la, totals = (
        f"read_parquet('{_quoted(prepared.tables[t])}')" for t in PARSED_TABLES
    )
    return la, totals


def remove_files(prepared: PreparedLoad) -> None:
    """Delete the files a worker wrote for ``prepared`` (once written)."""
    for file in prepared.tables.values():
        Path(file).unlink(missing_ok=True)


def _quoted(path: str | Path) -> str:
    return str(path).replace("'", "''")
