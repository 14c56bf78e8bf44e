"""Ingest, step 1: read a file into a raw table of text cells.

The mapping flags are merged into the spec, the file is read by DuckDB into a
temporary table (``_raw``) while its bytes are hashed, and the spec's row steps
(``keep_rows``, ``area_lookup``) run. What reading found is in the table's
``issues``.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.errors import InputError
from lacompare.sources import RawTable, check_cut_short, prepare_rows, read_raw
from lacompare.sources.specs import IngestSpec, MeasureSpec, read_spec

if TYPE_CHECKING:
    import duckdb


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (identifies a source across reloads)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def merge_spec(
    spec: IngestSpec | str | Path | None,
    sheet: str | None,
    la_column: str | None,
    period_column: str | None,
    period: str | None,
    value_column: str | None,
    measure: str | None,
    measure_column: str | None,
    as_of: str | None,
) -> IngestSpec:
    """The spec (an :class:`IngestSpec`, a TOML path or none) with the flags given
    over it."""
    if spec is None:
        merged = IngestSpec()
    elif isinstance(spec, IngestSpec):
        merged = IngestSpec.from_dict({"source": {}}, None)
        merged.__dict__.update(spec.__dict__)
    else:
        merged = read_spec(spec)
    if sheet is not None:
        merged.sheet = sheet
    if la_column is not None:
        merged.la_columns = [c.strip() for c in la_column.split(",")]
    if period_column is not None:
        merged.period_column = period_column
    if period is not None:
        merged.period = str(period)
    if value_column is not None:
        merged.value_column = value_column
        merged.layout = merged.layout or "long"
    if measure is not None:
        if merged.value_column is None and not merged.measure_column:
            raise InputError(
                "--measure goes with --value-column (a long table with "
                "one value column)"
            )
        merged.measures.setdefault(measure, MeasureSpec(measure=measure))
        merged.__dict__["_single_measure"] = measure
    if measure_column is not None:
        merged.measure_column = measure_column
        merged.layout = merged.layout or "long"
    if as_of is not None:
        merged.as_of = as_of
    return merged


def read_table(
    con: duckdb.DuckDBPyConnection, path: Path, spec: IngestSpec
) -> tuple[RawTable, IngestSpec, str]:
    """Read ``path`` as the spec says: the raw table (with what reading found in
    its ``issues``), the spec after its row steps, and the file's SHA-256.

    Raises InputError for a table with headings but no rows.
    """
    # The file is hashed while DuckDB reads it (hashlib lets go of the GIL): on a
    # 1 GB file the hash alone takes about a second.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(file_sha256, path) if path.is_file() else None
        # Read before the load's transaction: a temporary table made inside one
        # numbers its rows from a large offset, and row numbers must be the file's.
        raw = read_raw(
            con,
            path,
            sheet=spec.sheet,
            header_row=spec.header_row,
            header_rows=spec.header_rows,
            relation="_raw",
        )
        sha = hashing.result() if hashing else ""
    check_cut_short(con, raw)
    raw, spec = prepare_rows(con, raw, spec)
    if raw.n_rows == 0:
        raise InputError(
            "the table has headings but no rows",
            file=raw.file,
            sheet=raw.sheet,
            row=raw.header_row,
        )
    return raw, spec, sha
