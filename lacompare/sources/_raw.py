"""What every reader gives (:class:`RawTable`: a DuckDB table of text cells) and the
steps readers share: a cell as text, the header row found and checked, rows
registered as a table."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.sources._layout import (
    find_header_row,
    header_block_start,
)

if TYPE_CHECKING:
    import duckdb


@dataclass
class RawTable:
    """A table of text cells in DuckDB, with where it came from."""

    file: str
    sheet: str | None
    relation: str
    headers: list[str]
    header_row: int
    n_rows: int
    issues: IssueLog = field(default_factory=IssueLog)
    #: SQL giving each row's number in the file: a column, or rowid plus an offset
    #: (DuckDB keeps a CSV's line order when it loads it).
    row_sql: str = "_row"

    @property
    def columns(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.headers))]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def cell_text(value: object) -> str | None:
    """A spreadsheet cell as the text a user sees (numbers without trailing '.0').

    Examples
    --------
    >>> cell_text(450047.0), cell_text(0.53), cell_text(""), cell_text(None)
    ('450047', '0.53', None, None)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value)
    return text if text.strip() != "" else None


def _register_rows(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    records: list[list[str | None]],
    width: int,
) -> None:
    """Make ``relation`` (a temporary table: ``c0 … c{width-1}`` text and ``_row``)
    from records of ``width`` cells and the row number, as text."""
    import pandas as pd

    con.execute(f"DROP TABLE IF EXISTS {relation}")
    casts = ", ".join(f"CAST(cells[{i + 1}] AS VARCHAR) AS c{i}" for i in range(width))
    if not records:
        con.execute(
            f"CREATE TEMP TABLE {relation} AS SELECT {casts}, "
            f"CAST(NULL AS BIGINT) AS _row FROM (SELECT NULL::VARCHAR[] AS cells) "
            "WHERE false"
        )
        return
    # One column holding each record as a list: DuckDB reads a frame of many
    # object columns one column at a time (a 436 × 525 sheet took 1.2 s), and the
    # same cells as lists in 0.1 s.
    frame = pd.DataFrame({"cells": records}, dtype=object)
    con.register("_frame", frame)
    try:
        con.execute(
            f"CREATE TEMP TABLE {relation} AS SELECT {casts}, "
            f"CAST(cells[{width + 1}] AS BIGINT) AS _row FROM _frame"
        )
    finally:
        con.unregister("_frame")


def _header_index(
    rows: list[list[str]],
    header_row: int | None,
    header_rows: int,
    path: Path,
    sheet: str | None,
    starts: list[int] | None = None,
) -> int:
    """Index in ``rows`` of the header's first row.

    ``starts`` are the lines rows start on (a CSV's quoted line breaks make them
    differ from ``index + 1``), so an explicit ``header_row`` is the line a user sees.
    """
    starts = starts if starts is not None else list(range(1, len(rows) + 1))
    if header_row is not None:
        if header_row < 1 or not starts or header_row > starts[-1]:
            raise InputError(
                f"header row {header_row} is outside the table",
                file=str(path),
                sheet=sheet,
            )
        return max(i for i, start in enumerate(starts) if start <= header_row)
    index = find_header_row(rows)
    if index is None:
        raise InputError(
            "no table found (no row looks like column headings)",
            file=str(path),
            sheet=sheet,
        )
    if header_rows > 1:
        index = header_block_start(rows, index, header_rows)
    return index


def _check_headers(headers: list[str], path: Path, sheet: str | None, row: int) -> None:
    # A blank header row names no columns, and a table of none cannot be made.
    if not headers:
        raise InputError(
            f"header row {row} is blank", file=str(path), sheet=sheet, row=row
        )
