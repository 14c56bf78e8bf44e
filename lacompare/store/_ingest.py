"""Load a table into the store, in named steps, each returning its data and what
it found (an :class:`~lacompare.provenance.IssueLog`):

1. read (:mod:`~lacompare.store._ingest_read`): the file as a raw table of text;
2. detect the layout (:mod:`~lacompare.store._ingest_layout`): which columns are
   authorities, periods, breakdowns and values;
3. match authorities (:mod:`~lacompare.store._ingest_match`): each distinct key
   once, on its period's date;
4. parse the cells (:mod:`~lacompare.store._ingest_parse`): unpivoted and parsed
   inside DuckDB (the rules of :func:`lacompare.cells.parse_cell`), so a gigabyte
   CSV loads at close to the speed of DuckDB's own reader;
5. write (:mod:`~lacompare.store._ingest_write`): values, totals and measures;
6. check totals (:mod:`~lacompare.store._ingest_totals`) against their members;

then settle the load's vintage (:mod:`~lacompare.store._vintages`). The whole load
runs in one DuckDB transaction, so a failed load changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.provenance import IssueLog
from lacompare.sources.specs import IngestSpec
from lacompare.store._ingest_prepare import (
    PreparedLoad,
    StageClock,
    is_compact,
    parsed_sources,
    prepare_parse,
    remove_files,
    restore_working_tables,
)
from lacompare.store._ingest_read import file_sha256, merge_spec, read_table
from lacompare.store._ingest_totals import check_totals, summarise_totals
from lacompare.store._ingest_write import (
    count_written,
    drop_working_tables,
    unparsed_issues,
    write_issues,
    write_measures,
    write_source,
    write_values,
)
from lacompare.store._vintages import VintageChange, settle

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "COMPACT_VALUES",
    "INGEST_MEMORY_LIMIT",
    "STAGES",
    "IngestResult",
    "capped_memory",
    "compact_threshold",
    "file_sha256",
    "ingest",
    "ingest_prepared",
]

# How many unresolved rows an error message or dry run names one by one.
SHOW_ROWS = 20
# A table of at least this many values (rows × value columns) is kept as one row
# per file row with its values in lists (observation_rows): written in about a third
# of the time one row per value takes, but a scan of every value reads up to ~3x
# slower (README, Performance). Below it the write is short either way, so values
# stay one row each; no file in ../shared/data reaches it (the largest: 596 K).
COMPACT_VALUES = 1_000_000
#: DuckDB's memory limit while a load runs (a lower one the store has stays). A
#: load's working tables (the file as text, its keys) spill to the store's
#: temporary folder beyond it, as DuckDB's own read of a file into a table does:
#: without it a 1 GB CSV's load peaked at 2.0 GB, three times DuckDB's read of the
#: same file (bench/ingest.py); with it 744 MB against DuckDB's 690 MB, for about
#: a sixth more CPU (24.3 s against 20.9 s) while the file's text was a temporary
#: table (1.7 GB in memory), written out once and read back by each pass over it,
#: about 0.6 s CPU a pass; 640 or 768 MB cost the same CPU for more memory. A large
#: CSV's text is now kept compressed in the store (~100 MB: see
#: lacompare.sources.drop_kept_tables) and fits under the limit.
INGEST_MEMORY_LIMIT = 512 << 20
_UNITS = {
    "bytes": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "tib": 1 << 40,
}
#: The stages a load's time is reported in (:attr:`IngestResult.timings`): read the
#: file (and its row steps), detect the layout, match authorities, plan the parse and
#: check every row resolves, write the values (parsed as they are inserted) and
#: measures, check totals, settle the vintage, then count, log and commit.
STAGES = (
    "reading",
    "layout",
    "matching",
    "parsing",
    "writing",
    "totals",
    "vintages",
    "commit",
)


@dataclass
class IngestResult:
    """What a load did (or, with ``check=True``, would do)."""

    file: str
    sheet: str | None
    layout: str
    rows_read: int
    observations: int
    totals: int
    measures: list[str]
    periods: list[str]
    authorities: int
    unresolved: list[dict[str, Any]]
    totals_check: dict[str, int]
    totals_differ: list[dict[str, Any]]
    issues: IssueLog
    source_id: int | None
    dry_run: bool
    replaced: int | None = None
    #: Which vintage of which source this load is, what it changed against the
    #: previous one, and the conflicts with other sources it resolved.
    vintage: VintageChange | None = None
    #: Seconds spent in each stage (:data:`STAGES`), for ``build --timings`` and
    #: the benchmarks.
    timings: dict[str, float] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """Plain-text summary for a terminal or log."""
        verb = "would load" if self.dry_run else "loaded"
        where = self.file + (f" [{self.sheet}]" if self.sheet else "")
        lines = [
            f"{where}: {self.layout} table, {self.rows_read:,} rows read",
            f"{verb} {self.observations:,} observations for {self.authorities} "
            f"authorities, {len(self.measures)} measures, periods "
            + _span(self.periods),
            f"set aside {self.totals:,} total/sub-total values; sum check: "
            + (
                ", ".join(f"{k} {v:,}" for k, v in sorted(self.totals_check.items()))
                or "none"
            ),
        ]
        # What the spec's row steps (keep_rows, area_lookup) did, so a sum or a
        # set-aside force total is never silent.
        lines.extend(i.message for i in self.issues.of_kind("row-set-aside"))
        summed = self.issues.of_kind("rows-summed")
        if summed:
            lines.append(
                f"{len(summed)} authorities are sums of several rows "
                "(each listed in the load's issues)"
            )
        if self.vintage is not None:
            lines.extend(
                ("(dry run) " if self.dry_run else "") + line
                for line in self.vintage.summary_lines()
            )
        if self.unresolved:
            lines.append(f"{len(self.unresolved):,} rows name no known authority:")
            for row in self.unresolved[:SHOW_ROWS]:
                lines.append(f"  row {row['row']}: {row['value']!r} — {row['why']}")
        return lines


def _span(periods: Sequence[str]) -> str:
    if not periods:
        return "none"
    if len(periods) <= 4:
        return ", ".join(periods)
    return f"{periods[0]} … {periods[-1]} ({len(periods)})"


def compact_threshold() -> int:
    """How many values (rows × value columns) make a wide or EES load kept as rows
    of values in lists: ``COMPACT_VALUES`` as it is now (a build sends it to its
    worker).

    >>> compact_threshold() == COMPACT_VALUES
    True
    """
    return COMPACT_VALUES


def _bytes(setting: str) -> int | None:
    """A DuckDB memory setting ('18.8 GiB', '512.0 MiB') in bytes, or None.

    >>> _bytes("512.0 MiB"), _bytes("1.5 GB"), _bytes("unlimited")
    (536870912, 1500000000, None)
    """
    m = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]+)\s*", setting)
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


@contextmanager
def capped_memory(store: Store, limit: int = INGEST_MEMORY_LIMIT) -> Iterator[None]:
    """Hold DuckDB to at most ``limit`` bytes for the block (a file store only:
    an in-memory one has nowhere to spill), then give back the setting it had and
    drop any raw table a large CSV's read kept in the store (committed, rolled
    back or a dry run alike).

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> with open_store(os.path.join(tempfile.mkdtemp(), "s.duckdb")) as s:
    ...     before = s.con.execute("SELECT current_setting('memory_limit')").fetchall()
    ...     with capped_memory(s, 256 << 20):
    ...         inside = s.con.execute(
    ...             "SELECT current_setting('memory_limit')").fetchall()[0][0]
    ...     after = s.con.execute("SELECT current_setting('memory_limit')").fetchall()
    >>> inside, before == after
    ('256.0 MiB', True)
    """
    from lacompare.sources import drop_kept_tables

    con = store.con
    if store.path == ":memory:":
        yield
        return
    (current,) = con.execute("SELECT current_setting('memory_limit')").fetchall()[0]
    held = _bytes(current)
    capped = held is None or held > limit
    if capped:
        con.execute(f"SET memory_limit = '{limit}B'")
    try:
        yield
    finally:
        drop_kept_tables(con)
        if capped:
            # RESET gives back the default exactly; a limit the store had set is
            # set again (to DuckDB's printed precision).
            con.execute("RESET memory_limit")
            (now,) = con.execute("SELECT current_setting('memory_limit')").fetchall()[0]
            if now != current:
                con.execute(f"SET memory_limit = '{current}'")


def ingest(
    store: Store,
    path: str | Path,
    *,
    spec: IngestSpec | str | Path | None = None,
    sheet: str | None = None,
    la_column: str | None = None,
    period_column: str | None = None,
    period: str | None = None,
    value_column: str | None = None,
    measure: str | None = None,
    measure_column: str | None = None,
    as_of: str | None = None,
    check: bool = False,
    skip_unresolved: bool = False,
    source: str | None = None,
    as_new_source: bool = False,
    replace: bool = False,
) -> IngestResult:
    """Load one table into the store, atomically.

    Parameters
    ----------
    store
        An open :class:`~lacompare.store.Store`.
    path
        CSV, XLSX/XLS/ODS or Parquet file.
    spec
        A mapping spec (:class:`IngestSpec` or a TOML path); flags override it.
    sheet, la_column, period_column, period, value_column, measure, measure_column
        Mapping flags for what detection cannot tell (see ``lacompare ingest --help``).
    as_of
        Date to match authority names on (default: each row's period).
    check
        Dry run: do everything, report, change nothing.
    skip_unresolved
        Load the rows that resolve and log the rest, instead of failing.
    source
        The source this load is a vintage of (default: a current load with the same
        bytes and sheet, else the file's name and sheet; see
        :mod:`lacompare.store._vintages`).
    as_new_source
        Make this load a source of its own, even if one has its name.
    replace
        Make this load the new vintage of the source of its name even though it
        shares none of its measures (otherwise refused as ambiguous).

    Returns
    -------
    IngestResult

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("la,pop\\nLeeds,\\"1,000\\"\\nYork,c\\nEngland,9\\n")
    >>> with open_store(":memory:") as s:
    ...     r = ingest(s, p, period="2021")
    ...     r.observations, r.totals, s.con.execute("SELECT value, missing_reason "
    ...         "FROM observations ORDER BY source_row").fetchall()
    (2, 1, [(1000.0, None), (None, 'suppressed')])
    """
    spec = merge_spec(
        spec,
        sheet,
        la_column,
        period_column,
        period,
        value_column,
        measure,
        measure_column,
        as_of,
    )
    with capped_memory(store):
        return _ingest_capped(
            store,
            Path(path),
            spec,
            check,
            skip_unresolved,
            source,
            as_new_source,
            replace,
        )


def _ingest_capped(
    store: Store,
    path: Path,
    spec: IngestSpec,
    check: bool,
    skip_unresolved: bool,
    source: str | None,
    as_new_source: bool,
    replace: bool,
) -> IngestResult:
    """:func:`ingest` after its spec is merged, within its memory limit."""
    con = store.con
    clock = StageClock()
    raw, spec, sha = read_table(con, path, spec)
    clock.lap("reading")
    identity = {"source": source, "as_new_source": as_new_source, "replace": replace}
    return _in_transaction(
        store,
        check,
        clock,
        lambda: _write(
            store,
            prepare_parse(con, raw, spec, sha, check, skip_unresolved, clock),
            check,
            clock,
            identity,
        ),
    )


def ingest_prepared(store: Store, prepared: PreparedLoad) -> IngestResult:
    """Write a load :func:`prepare_load` read, matched and parsed elsewhere (a
    build's worker process), in one transaction; its working tables are first
    made in the store's connection from the files the worker wrote.

    The result is what :func:`ingest` of the same file and spec gives.
    """
    with capped_memory(store):
        try:
            restore_working_tables(store.con, prepared)
            clock = StageClock()
            clock.laps.update(prepared.timings)
            return _in_transaction(
                store,
                False,
                clock,
                lambda: _write(store, prepared, False, clock, None),
            )
        except BaseException:
            # A failed load leaves no working table behind (a load that worked
            # dropped them), nor the worker's files.
            drop_working_tables(store.con, prepared.raw)
            raise
        finally:
            remove_files(prepared)


def _in_transaction(
    store: Store, check: bool, clock: StageClock, load: Callable[[], IngestResult]
) -> IngestResult:
    """Run ``load`` in a transaction: committed, or rolled back for a dry run or
    a failure (so a failed load changes nothing)."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        result = load()
        con.execute("ROLLBACK" if check else "COMMIT")
        clock.lap("commit")
        result.timings = clock.laps
        return result
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _write(
    store: Store,
    prepared: PreparedLoad,
    check: bool,
    clock: StageClock,
    identity: dict[str, Any] | None = None,
) -> IngestResult:
    """The load's steps after parsing, inside its transaction: write the source,
    values and measures, check totals, settle the vintage, count and log."""
    con = store.con
    raw, spec, layout, plan = (
        prepared.raw,
        prepared.spec,
        prepared.layout,
        prepared.plan,
    )
    issues = prepared.issues
    source, source_id = write_source(con, raw, spec, prepared.sha, identity)
    if prepared.parsed:
        compact = False
        write_values(
            con, plan, source_id, compact=False, parsed=parsed_sources(prepared)
        )
    else:
        compact = is_compact(raw, layout, COMPACT_VALUES)
        write_values(con, plan, source_id, compact=compact)
    issues.extend(unparsed_issues(con, raw, source_id))
    write_measures(con, layout, spec, source_id)
    clock.lap("writing")
    issues.extend(check_totals(con, source_id, spec.as_of, raw, compact=compact))
    clock.lap("totals")
    vintage = settle(con, source_id, source, file=raw.file, sheet=raw.sheet)
    issues.extend(vintage.issues)
    clock.lap("vintages")
    checks, differ, found = summarise_totals(con, raw, source_id)
    clock.lap("totals")
    written, odd_periods = count_written(con, raw, source_id)
    issues.extend(found)
    issues.extend(odd_periods)
    write_issues(con, source_id, issues)
    drop_working_tables(con, raw)
    return IngestResult(
        file=raw.file,
        sheet=raw.sheet,
        layout=layout.kind,
        rows_read=raw.n_rows,
        observations=written.observations,
        totals=written.totals,
        measures=written.measures,
        periods=written.periods,
        authorities=written.authorities,
        unresolved=prepared.unresolved,
        totals_check=checks,
        totals_differ=differ,
        issues=issues,
        source_id=None if check else source_id,
        dry_run=check,
        replaced=source.previous if source.identical else None,
        vintage=vintage,
        timings=clock.laps,
    )
