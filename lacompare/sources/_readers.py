"""Read CSV, XLSX, XLS, ODS and Parquet files into a DuckDB table of text cells.

Every reader gives the same thing: a :class:`RawTable` naming a DuckDB table whose
columns ``c0 … cN`` hold the cells as text (exactly as printed, so the value parser
sees ``'(1,792)'`` and ``'c'``) and ``_row``, the row number a user sees in the file.
CSVs go straight into DuckDB's reader; spreadsheets through python-calamine.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.sources._layout import find_header_row, header_names

if TYPE_CHECKING:
    import duckdb

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

# How many leading lines are read in Python to find the header and the dialect.
SNIFF_LINES = 200
SNIFF_BYTES = 1 << 20


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


def list_sheets(path: str | Path) -> list[str]:
    """Sheet names of a workbook, in order.

    Examples
    --------
    >>> list_sheets("nonexistent.xlsx")
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: nonexistent.xlsx: file not found
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises several types for bad workbooks
        raise InputError(f"cannot read workbook: {_short(exc)}", file=str(path)) from None


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


def read_raw(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    header_rows: int = 1,
    relation: str = "_raw",
) -> RawTable:
    """Read a file into ``relation`` (a temporary DuckDB table of text cells).

    Parameters
    ----------
    con
        The DuckDB connection to create the table in.
    path
        A CSV, XLSX/XLS/ODS or Parquet file.
    sheet
        For workbooks: the sheet (default: the first sheet with a table).
    header_row
        1-based row of the column names (default: detected).
    header_rows
        How many rows the column names span (merged multi-row headers).

    Examples
    --------
    >>> import duckdb, tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "t.csv")
    >>> _ = open(p, "w").write("Title\\n\\nla,pop\\nLeeds,\\"1,000\\"\\nYork,c\\n")
    >>> t = read_raw(duckdb.connect(), p)
    >>> t.headers, t.header_row, t.n_rows
    (['la', 'pop'], 3, 2)
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.is_dir():
        raise InputError("is a folder, not a file", file=str(path))
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        return _read_sheet(con, path, sheet, header_row, header_rows, relation)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(con, path, relation)
    return _read_csv(con, path, header_row, header_rows, relation)


def _decode_sample(path: Path) -> tuple[str, str]:
    """Return (encoding, decoded leading text) using charset-normalizer if not UTF-8."""
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if not sample.strip():
        raise InputError("file is empty", file=str(path))
    if b"\x00" in sample[:4096] and not (
        sample.startswith(b"\xff\xfe") or sample.startswith(b"\xfe\xff")
    ):
        raise InputError("not a text table (binary content)", file=str(path))
    cut = sample if len(sample) < SNIFF_BYTES else sample[: sample.rfind(b"\n") + 1]
    try:
        return "utf-8", cut.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(cut).best()
    if best is None:
        raise InputError("cannot tell the text encoding", file=str(path))
    return best.encoding, str(best)


def _sniff_dialect(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header_row: int | None,
    header_rows: int,
    relation: str,
) -> RawTable:
    import duckdb

    encoding, text = _decode_sample(path)
    delim = _sniff_dialect(text, path.suffix.lower())
    lines = text.splitlines()[:SNIFF_LINES]
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    issues = IssueLog()
    index = _header_index(rows, header_row, path, None)
    headers = header_names(rows[index : index + header_rows], issues, str(path), None,
                           index + 1)
    skip = index + header_rows
    source = path
    tmp: str | None = None
    if encoding != "utf-8":
        # DuckDB reads UTF-8; re-encode a copy (the user's file is untouched).
        issues.add("encoding", f"read as {encoding}", severity="info", file=str(path))
        fd, tmp = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out, path.open(
            encoding=encoding, errors="strict", newline=""
        ) as src:
            try:
                for chunk in iter(lambda: src.read(1 << 20), ""):
                    out.write(chunk)
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {encoding} text: {exc.reason}",
                                 file=str(path)) from None
        source = Path(tmp)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers)))
    target = str(source).replace("'", "''")
    try:
        con.execute(f"DROP TABLE IF EXISTS {relation}")
        con.execute(
            f"""CREATE TEMP TABLE {relation} AS
                SELECT *
                FROM read_csv('{target}', header = false, skip = {skip},
                              delim = '{delim.replace("'", "''")}', quote = '"',
                              escape = '"', columns = {{{columns}}},
                              null_padding = true, auto_detect = false,
                              strict_mode = true, parallel = true)"""
        )
        row_sql = f"(rowid + {skip + 1})"
    except duckdb.Error as exc:
        if source.stat().st_size > 200 << 20:
            raise InputError(f"cannot read as CSV: {_short(exc)}", file=str(path)) from None
        # The fast reader refuses some hand-made files; the Python reader says which
        # row is wrong, or reads what DuckDB would not.
        _read_csv_python(con, path, source, skip, headers, delim, relation, issues)
        row_sql = "_row"
    finally:
        if tmp:
            os.unlink(tmp)
    n_rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    return RawTable(str(path), None, relation, headers, index + 1, n_rows, issues,
                    row_sql)


def _read_csv_python(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: Path,
    skip: int,
    headers: list[str],
    delim: str,
    relation: str,
    issues: IssueLog,
) -> None:
    width = len(headers)
    records: list[list[str | None]] = []
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim)
        try:
            for _ in range(skip):
                next(reader, None)
            for record in reader:
                line = reader.line_num
                if not any(c.strip() for c in record):
                    continue
                if len(record) > width and any(c.strip() for c in record[width:]):
                    extra = next(i for i in range(width, len(record))
                                 if record[i].strip())
                    raise InputError(
                        f"{len(record)} cells but the header has {width}; "
                        f"cell {extra + 1} holds {record[extra][:40]!r}",
                        file=str(path), row=line, column=_column_letter(extra))
                cells: list[str | None] = [c if c.strip() else None
                                           for c in record[:width]]
                cells += [None] * (width - len(cells))
                records.append([*cells, str(line)])
        except csv.Error as exc:
            raise InputError(f"cannot read as CSV: {exc}", file=str(path),
                             row=reader.line_num) from None
    _register_rows(con, relation, records, width)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _register_rows(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    records: list[list[str | None]],
    width: int,
) -> None:
    import pandas as pd

    names = [f"c{i}" for i in range(width)] + ["_row"]
    frame = pd.DataFrame(records, columns=names, dtype=object)
    con.execute(f"DROP TABLE IF EXISTS {relation}")
    con.register("_frame", frame)
    try:
        casts = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(width))
        con.execute(
            f"CREATE TEMP TABLE {relation} AS SELECT {casts}, "
            "CAST(_row AS BIGINT) AS _row FROM _frame")
    finally:
        con.unregister("_frame")


def _header_index(
    rows: list[list[str]], header_row: int | None, path: Path, sheet: str | None
) -> int:
    if header_row is not None:
        if header_row < 1 or header_row > len(rows):
            raise InputError(f"header row {header_row} is outside the table",
                             file=str(path), sheet=sheet)
        return header_row - 1
    index = find_header_row(rows)
    if index is None:
        raise InputError("no table found (no row looks like column headings)",
                         file=str(path), sheet=sheet)
    return index


def _read_sheet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None,
    header_row: int | None,
    header_rows: int,
    relation: str,
) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except Exception as exc:
        raise InputError(f"cannot read workbook: {_short(exc)}", file=str(path)) from None
    if sheet is not None and sheet not in names:
        raise InputError(f"no sheet {sheet!r}; sheets are: " + ", ".join(names),
                         file=str(path))
    sheets: list[tuple[str, list[list[object]]]] = []
    for name in [sheet] if sheet is not None else names:
        try:
            sheets.append(
                (name, book.get_sheet_by_name(name).to_python(skip_empty_area=False)))
        except Exception as exc:
            raise InputError(f"cannot read sheet: {_short(exc)}", file=str(path),
                             sheet=name) from None
    if sheet is None:
        # Data sheets are the big ones; cover, notes and contents sheets are small.
        sheets.sort(key=lambda item: -sum(
            1 for row in item[1] for c in row if c not in (None, "")))
    last_error: InputError | None = None
    for name, cells in sheets:
        rows = [[cell_text(c) or "" for c in row] for row in cells]
        try:
            index = _header_index(rows, header_row, path, name)
        except InputError as exc:
            last_error = exc
            continue
        issues = IssueLog()
        headers = header_names(rows[index : index + header_rows], issues, str(path),
                               name, index + 1)
        width = len(headers)
        records = []
        for number, row in enumerate(rows[index + header_rows :],
                                     start=index + header_rows + 1):
            cells_text = [c if c != "" else None for c in row[:width]]
            if not any(c is not None and c.strip() for c in cells_text):
                continue
            extra = [i for i in range(width, len(row)) if row[i].strip()]
            if extra:
                issues.add("cell-outside-table",
                           f"cell beyond the last headed column: {row[extra[0]][:40]!r}",
                           file=str(path), sheet=name, row=number,
                           column=_column_letter(extra[0]), value=row[extra[0]])
            cells_text += [None] * (width - len(cells_text))
            records.append([*cells_text, str(number)])
        _register_rows(con, relation, records, width)
        if sheet is None and len(names) > 1:
            issues.add("sheet", f"read sheet {name!r} (the largest table; "
                       "choose another with --sheet)",
                       severity="info", file=str(path), sheet=name)
        return RawTable(str(path), name, relation, headers, index + 1, len(records),
                        issues)
    assert last_error is not None
    raise last_error


def _read_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, relation: str
) -> RawTable:
    import duckdb

    target = str(path).replace("'", "''")
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{target}')").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"cannot read as Parquet: {_short(exc)}", file=str(path)) from None
    headers = [r[0] for r in described]
    casts = ", ".join(f'CAST("{h}" AS VARCHAR) AS c{i}' for i, h in enumerate(headers))
    con.execute(f"DROP TABLE IF EXISTS {relation}")
    con.execute(
        f"CREATE TEMP TABLE {relation} AS SELECT {casts}, "
        f"CAST(file_row_number AS BIGINT) + 2 AS _row "
        f"FROM read_parquet('{target}', file_row_number = true)")
    n_rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    return RawTable(str(path), None, relation, headers, 1, n_rows)
