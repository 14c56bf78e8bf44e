"""The store: one DuckDB file holding authorities, measures, sources and observations.

Examples
--------
>>> store = open_store(":memory:")
>>> {'authorities', 'measures', 'observations', 'indicators'} <= set(store.tables())
True
>>> store.close()
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare._lazy import lazy_exports
from lacompare.errors import InputError, StoreError
from lacompare.store._lock import connect_waiting, say_on_stderr
from lacompare.store._schema import DDL, POLARITIES, SCHEMA_VERSION

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = [
    "Store",
    "open_store",
    "default_db_path",
    "POLARITIES",
    "ingest",
    "IngestResult",
    "capped_memory",
    "compact_threshold",
    "INGEST_MEMORY_LIMIT",
    "ingest_prepared",
    "merge_spec",
    "PreparedLoad",
    "prepare_load",
    "read_values",
    "values_relation",
    "list_measures",
    "list_breakdowns",
    "list_periods",
    "list_sources",
    "list_authorities",
    "count_values",
    "StoreCounts",
    "VALUE_COLUMNS",
    "write_cells",
    "WriteResult",
    "record_load",
    "Holder",
    "WAIT_ENV",
    "diff_vintages",
    "file_sha256",
    "list_vintages",
    "superseded_values",
    "writer_waiting",
    "DERIVED_PREFIX",
    "INPUTS_TABLE",
    "INPUT_COLUMNS",
    "BREAKS_TABLE",
    "current_sql",
    "current_values",
    "count_duplicate_keys",
    "list_measure_periods",
    "list_derivations",
    "has_loaded_values",
    "write_derived_values",
    "write_series_breaks",
]

EXPORT_TABLES = (
    "observations",
    "totals",
    "measures",
    "sources",
    "authorities",
    "load_issues",
    "neighbour_sets",
    "neighbours",
    "derived_inputs",
    "indicators",
    "indicator_sources",
)


def authority_key(la_code: object, dfe_code: object) -> str:
    """The store's key for an authority: its ONS code, else ``dfe:<DfE code>``.

    Bedfordshire and Cheshire county councils (abolished 2009) never had an ONS
    code, so they are stored as ``dfe:820`` and ``dfe:875``.

    Examples
    --------
    >>> authority_key("E06000001", "805"), authority_key(None, "820")
    ('E06000001', 'dfe:820')
    """
    text = "" if la_code is None else str(la_code).strip()
    if text and text.lower() != "nan":
        return text
    return f"dfe:{str(dfe_code).strip()}"


def default_db_path() -> Path:
    """Where the store lives when no ``--db`` is given: the user's data directory.

    Examples
    --------
    >>> default_db_path().name
    'lacompare.duckdb'
    """
    from platformdirs import user_data_dir

    return Path(user_data_dir("lacompare", appauthor=False)) / "lacompare.duckdb"


class Store:
    """A lacompare store over a DuckDB connection (use :func:`open_store`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self.con = con
        self.path = path

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def tables(self) -> list[str]:
        return [
            r[0]
            for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main'"
            ).fetchall()
        ]

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run SQL against the store and return a pandas DataFrame."""
        return self.con.execute(sql, params or []).df()

    def observations(self, measure: str | None = None) -> pd.DataFrame:
        """Observations joined to authority names and source files.

        Examples
        --------
        >>> with open_store(":memory:") as s:
        ...     list(s.observations().columns)[:4]
        ['la_code', 'la_name', 'region', 'measure']
        """
        where = "WHERE o.measure = ?" if measure else ""
        return self.query(
            f"""SELECT o.la_code, a.la_name, a.region, o.measure, o.period,
                       o.breakdown, o.value, o.missing_reason, o.label, o.raw,
                       s.file, s.sheet, o.source_row, o.source_column
                FROM observations o
                LEFT JOIN authorities a USING (la_code)
                LEFT JOIN sources s USING (source_id)
                {where}
                ORDER BY o.measure, o.period, o.la_code, o.breakdown""",
            [measure] if measure else None,
        )

    # The store's interface (lacompare.store._read, _write): every later stage
    # reads and writes values through these, never through SQL on the
    # observation tables.
    def read_values(self, **filters: Any) -> pd.DataFrame:
        """Values as a frame: see :func:`lacompare.store.read_values`."""
        from lacompare.store._read import read_values

        return read_values(self, **filters)

    def values_relation(self, **filters: Any) -> duckdb.DuckDBPyRelation:
        """Values as a DuckDB relation: see :func:`lacompare.store.values_relation`."""
        from lacompare.store._read import values_relation

        return values_relation(self, **filters)

    def write_cells(self, rows: Any, **provenance: Any) -> Any:
        """Write values with provenance: see :func:`lacompare.store.write_cells`."""
        from lacompare.store._write import write_cells

        return write_cells(self, rows, **provenance)

    def list_measures(self, **options: Any) -> pd.DataFrame:
        """See :func:`lacompare.store.list_measures`."""
        from lacompare.store._read import list_measures

        return list_measures(self, **options)

    def list_breakdowns(self, measure: str) -> list[str]:
        """See :func:`lacompare.store.list_breakdowns`."""
        from lacompare.store._read import list_breakdowns

        return list_breakdowns(self, measure)

    def list_periods(self, *args: Any, **options: Any) -> list[str]:
        """See :func:`lacompare.store.list_periods`."""
        from lacompare.store._read import list_periods

        return list_periods(self, *args, **options)

    def list_sources(self) -> pd.DataFrame:
        """See :func:`lacompare.store.list_sources`."""
        from lacompare.store._read import list_sources

        return list_sources(self)

    def list_authorities(self, **options: Any) -> pd.DataFrame:
        """See :func:`lacompare.store.list_authorities`."""
        from lacompare.store._read import list_authorities

        return list_authorities(self, **options)

    def count_values(self) -> Any:
        """See :func:`lacompare.store.count_values`."""
        from lacompare.store._read import count_values

        return count_values(self)

    def refresh_authorities(self) -> None:
        """Load the packaged registry into ``authorities`` when it has changed."""
        from lacompare.geography import read_authorities

        registry = read_authorities()
        digest = hashlib.sha256(
            registry.to_csv(index=False).encode("utf-8")
        ).hexdigest()
        current = self.con.execute(
            "SELECT value FROM meta WHERE key = 'registry_sha256'"
        ).fetchall()
        current = current[0] if current else None
        if current and current[0] == digest:
            return
        columns = [
            r[0]
            for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'authorities' ORDER BY ordinal_position"
            ).fetchall()
        ]
        frame = registry.reindex(columns=columns)
        # Entities that never had an ONS code (pre-2011 counties) are keyed by DfE code.
        frame["la_code"] = [
            authority_key(c, d)
            for c, d in zip(frame["la_code"], frame["dfe_code"], strict=True)
        ]
        for col in ("valid_from", "valid_to", "change_date"):
            frame[col] = frame[col].where(frame[col].astype(str).str.len() > 0, None)
        self.con.register("_registry", frame)
        try:
            self.con.execute("BEGIN")
            self.con.execute("DELETE FROM authorities")
            cols = ", ".join(columns)
            casts = ", ".join(
                f"CAST(NULLIF(CAST({c} AS VARCHAR), '') AS DATE)"
                if c in ("valid_from", "valid_to", "change_date")
                else f"NULLIF(CAST({c} AS VARCHAR), '')"
                for c in columns
            )
            self.con.execute(
                f"INSERT INTO authorities ({cols}) SELECT {casts} FROM _registry"
            )
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('registry_sha256', ?)", [digest]
            )
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.unregister("_registry")

    def export(
        self, out: str | Path, table: str = "observations", fmt: str | None = None
    ) -> Path:
        """Write a table to CSV or Parquet (format from ``fmt`` or the suffix).

        ``observations`` is exported with authority names and source files joined.
        In CSV, text that a spreadsheet would read as a formula gets a leading ``'``
        (:func:`lacompare.cells.neutralise_formula`).

        Examples
        --------
        >>> import tempfile, os
        >>> with open_store(":memory:") as s, tempfile.TemporaryDirectory() as d:
        ...     s.export(os.path.join(d, "obs.parquet")).suffix
        '.parquet'
        """
        out = Path(out)
        fmt = (fmt or out.suffix.lstrip(".") or "csv").lower()
        if fmt not in ("csv", "parquet"):
            raise InputError(
                f"cannot export to {fmt!r}: use csv or parquet", file=str(out)
            )
        if table not in EXPORT_TABLES:
            raise InputError(
                f"no table {table!r}; choose from " + ", ".join(EXPORT_TABLES)
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        if table == "observations":
            select = """SELECT o.la_code, a.dfe_code, a.la_name, a.region,
                               o.measure, o.period, o.breakdown, o.value,
                               o.missing_reason, o.label, o.raw, s.file, s.sheet,
                               o.source_row, o.source_column
                        FROM observations o
                        LEFT JOIN authorities a USING (la_code)
                        LEFT JOIN sources s USING (source_id)
                        ORDER BY o.measure, o.period, o.la_code, o.breakdown"""
        else:
            select = f"SELECT * FROM {table}"
        options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
        if fmt == "csv":
            from lacompare.cells import csv_safe_query

            # Source text (values, labels, headings) may hold formula text that a
            # spreadsheet would run; neutralised in SQL, so the rows never leave DuckDB.
            select = csv_safe_query(self.con, select)
        target = str(out).replace("'", "''")
        self.con.execute(f"COPY ({select}) TO '{target}' ({options})")
        return out


def open_store(
    path: str | Path | None = None,
    *,
    read_only: bool = False,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = say_on_stderr,
) -> Store:
    """Open (creating if needed) a store, waiting while another process holds it.

    Every command and the web app open stores here, so they share one policy:
    readers open read-only (several processes may read at once), and an open that
    meets another process's lock waits for it, saying so, then fails in one line
    naming that process (:class:`~lacompare.errors.StoreBusy`).

    Parameters
    ----------
    path
        A DuckDB file, ``":memory:"``, or ``None`` for :func:`default_db_path`.
    read_only
        Open without write access (several readers may share a file; none can
        while a process writes it).
    wait
        Seconds to wait for a store another process holds (``None``: the
        ``LACOMPARE_WAIT`` environment variable, else 60; 0: do not wait).
    on_wait
        Told, in one line, whom we wait for (default: stderr; ``None``: quiet).

    Examples
    --------
    >>> with open_store(":memory:") as s:
    ...     s.con.execute("SELECT count(*) FROM authorities").fetchall()
    [(163,)]
    """
    import duckdb

    target = str(default_db_path() if path is None else path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        if read_only and not Path(target).exists():
            raise StoreError(
                f"no store at {target}: load data first "
                "(lacompare ingest or lacompare demo)"
            )
    con = connect_waiting(
        lambda: duckdb.connect(target, read_only=read_only),
        target,
        read_only=read_only,
        wait=wait,
        on_wait=on_wait,
    )
    # A progress bar on stdout would garble the CLI's output and logs.
    con.execute("SET enable_progress_bar = false")
    store = Store(con, target)
    if not read_only:
        _upgrade(con)
        for statement in DDL:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
            [str(SCHEMA_VERSION)],
        )
        store.refresh_authorities()
        _refresh_indicators(store)
    return store


def _refresh_indicators(store: Store) -> None:
    """Bring the store's copy of the indicator catalogue up to date (a no-op when
    it is current).

    The catalogue (:mod:`lacompare.catalogue`) is a later stage than the store; it
    is imported here, on open only, so that every store written by this version
    carries the catalogue it ships with, as it carries the authority registry.
    """
    from lacompare.catalogue import refresh_catalogue

    refresh_catalogue(store)


def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a store written by an earlier version to this schema, keeping its data.

    Version 1 kept every value in an ``observations`` table; it is now
    ``observation_cells``, and ``observations`` a view over it and the large loads.
    Version 3 keeps every vintage of a source (lacompare.store._vintages).
    """
    from lacompare.store._vintages_upgrade import upgrade as keep_vintages

    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE "
        "table_schema = 'main' AND table_name = 'observations'"
    ).fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        con.execute("ALTER TABLE observations RENAME TO observation_cells")
    keep_vintages(con)


# ingest imports the readers and the registry; they load on first use.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ingest": "_ingest",
        "IngestResult": "_ingest",
        # A build prepares loads in a worker process (lacompare.build._prepare).
        "capped_memory": "_ingest",
        "compact_threshold": "_ingest",
        "INGEST_MEMORY_LIMIT": "_ingest",
        "ingest_prepared": "_ingest",
        "merge_spec": "lacompare.store._ingest_read",
        "PreparedLoad": "lacompare.store._ingest_prepare",
        "prepare_load": "lacompare.store._ingest_prepare",
        "read_values": "_read",
        "values_relation": "_read",
        "list_measures": "_read",
        "list_breakdowns": "_read",
        "list_periods": "_read",
        "list_sources": "_read",
        "list_authorities": "_read",
        "count_values": "_read",
        "StoreCounts": "_read",
        "VALUE_COLUMNS": "_read",
        "write_cells": "_write",
        "WriteResult": "_write",
        "scratch_store": "_scratch",
        "record_load": "_loads",
        # Used by later stages.
        "Holder": "lacompare.store._lock",
        "WAIT_ENV": "lacompare.store._lock",
        "diff_vintages": "lacompare.store._vintages_read",
        "file_sha256": "lacompare.store._ingest_read",
        "list_vintages": "lacompare.store._vintages_read",
        "superseded_values": "lacompare.store._vintages_read",
        "writer_waiting": "lacompare.store._lock",
        # Derived measures (lacompare.derive) and the series breaks it flags.
        "DERIVED_PREFIX": "_derived",
        "INPUTS_TABLE": "_derived",
        "INPUT_COLUMNS": "_derived",
        "BREAKS_TABLE": "_derived",
        "current_sql": "_derived",
        "current_values": "_derived",
        "count_duplicate_keys": "_derived",
        "list_measure_periods": "_derived",
        "list_derivations": "_derived",
        "has_loaded_values": "_derived",
        "write_derived_values": "_derived",
        "write_series_breaks": "_derived",
    },
)
