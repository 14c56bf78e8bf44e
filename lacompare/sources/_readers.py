"""Read CSV, XLSX, XLS, ODS and Parquet files into a DuckDB table of text cells.

Every reader gives the same thing: a :class:`RawTable` naming a DuckDB table whose
columns ``c0 … cN`` hold the cells as text (exactly as printed, so the value parser
sees ``'(1,792)'`` and ``'c'``) and ``_row``, the row number a user sees in the file.
CSVs go straight into DuckDB's reader; spreadsheets through python-calamine.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.sources._layout import (
    column_letter,
    header_names,
)

if TYPE_CHECKING:
    import duckdb

from lacompare.sources._raw import (
    RawTable,
    _check_headers,
    _header_index,
    _register_rows,
    _short,
)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

# How many leading lines are read in Python to find the header and the dialect.
SNIFF_LINES = 200
SNIFF_BYTES = 1 << 20
# Above this size a CSV the fast reader refuses is an error, not read in Python.
PYTHON_CSV_BYTES = 200 << 20
# DuckDB's read buffer for files larger than it. Rows keep the file's order, and
# with the default buffer (16 MB) putting the batches back in order cost a third
# of reading a 1 GB file (bench/ingest.py: 4.7 s against 3.3 s at 64 MB).
BIG_CSV_BUFFER = 64 << 20
# Above this size a CSV read into a file-backed DuckDB goes into a table of that
# database (compressed, as DuckDB's own read of a file into a table is) rather than
# a temporary one (uncompressed): a 1 GB file's text is 1.7 GB as a temporary table,
# which spills at an ingest's memory limit and is read back on every pass over it
# (~0.6 s CPU each); compressed it is ~100 MB and fits. bench/ingest.py: 2.26x ->
# 2.06x DuckDB's time, 2.35x -> 2.05x its CPU, 1.02x -> 0.95x its memory; the
# store file keeps the table's blocks as free space the next writes reuse. The
# table is marked (KEPT_COMMENT) so :func:`drop_kept_tables` removes it whatever
# the load did.
KEPT_CSV_BYTES = BIG_CSV_BUFFER
# The read buffer for a kept table: written compressed, its read was fastest at
# 24-48 MB (1 GB file: 4.9 s; 64 MB 5.2-5.4 s; 16 MB 7.6 s).
KEPT_CSV_BUFFER = 32 << 20
#: The comment on a raw table kept in the database itself (see KEPT_CSV_BYTES).
KEPT_COMMENT = "lacompare working table: dropped after its load"
# A letter beyond ASCII that decoded as UTF-8 (U+FFFD marks the bytes that did not).
_NON_ASCII = re.compile("[^\x00-\x7f\ufffd]")


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
    from lacompare.sources._workbooks import open_workbook

    return list(open_workbook(path, filename=str(path)).sheet_names)


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
        from lacompare.sources._readers_sheets import _read_sheet

        return _read_sheet(con, path, sheet, header_row, header_rows, relation)
    if suffix in PARQUET_SUFFIXES:
        from lacompare.sources._readers_sheets import _read_parquet

        return _read_parquet(con, path, relation)
    return _read_csv(con, path, header_row, header_rows, relation)


def _decode_sample(path: Path) -> tuple[str, str]:
    """Return (encoding, decoded leading text): UTF-8, UTF-16, else Windows-1252.

    charset-normalizer is asked only when Windows-1252 cannot be right: on a short
    file it read cp1252's '£' as cp932 (Japanese), and UK public-sector files that
    are not UTF-8 are almost always Windows-1252 (Excel's "CSV" on Windows).
    """
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    whole = len(sample) < SNIFF_BYTES
    if not sample.removeprefix(codecs.BOM_UTF8).strip():
        raise InputError("file is empty", file=str(path))
    utf16 = _utf16(sample)
    if utf16:
        # Cut on a whole character; the full copy made later is decoded strictly.
        text = sample[: len(sample) // 2 * 2].decode(utf16, errors="replace")
        return utf16, text if whole else text[: text.rfind("\n") + 1]
    if b"\x00" in sample[:4096]:
        raise InputError("not a text table (binary content)", file=str(path))
    cut = sample if whole else sample[: sample.rfind(b"\n") + 1]
    try:
        return "utf-8", cut.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc
    # Letters that are valid UTF-8 beside bytes that are not: a file pasted
    # together from two encodings, or one cut short mid-character. Reading it all
    # as Windows-1252 would turn every UTF-8 '£' into 'Â£' without a word.
    # One regular-expression search, not a Python loop over the megabyte sample
    # (that loop cost ~3 s of a national build's CPU).
    utf8_elsewhere = (
        _NON_ASCII.search(cut.decode("utf-8-sig", errors="replace")) is not None
    )
    if utf8_elsewhere:
        row = cut[: bad.start].count(b"\n") + 1
        if whole and bad.reason == "unexpected end of data":
            raise InputError(
                "the file ends part-way through a character (was it cut short?)",
                file=str(path),
                row=row,
            )
        raise InputError(
            "mixes UTF-8 with another text encoding (save it as UTF-8)",
            file=str(path),
            row=row,
        )
    try:
        return "cp1252", cut.decode("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(cut).best()
    if best is None:
        raise InputError("cannot tell the text encoding", file=str(path))
    return best.encoding, str(best)


def _utf16(sample: bytes) -> str | None:
    """'utf-16' (with a BOM), 'utf-16-le'/'-be' (ASCII text with every other byte
    NUL, as Excel's "Unicode text" without its BOM), or None."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = sample[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


#: Characters of a CSV's start that its delimiter is guessed from (more if its
#: first two lines are longer). Python's sniffer looks for quoted cells with
#: regular expressions that can take a fifth of a second on 64 KB of text with
#: apostrophes in it; every file in ../shared/data is guessed the same from 16 KB.
SNIFF_CHARS = 16384


def _sniff_dialect(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    second = text.find("\n", text.find("\n") + 1)
    sample = text[: min(max(SNIFF_CHARS, second + 1), 65536)]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _sniff_rows(
    text: str, delim: str, path: Path
) -> tuple[list[list[str]], list[int], list[int]]:
    """The leading records of a CSV, with the lines each starts and ends on.

    Records, not lines: a quoted cell may hold a line break. Lines end at LF, CRLF
    or a lone CR, as in DuckDB's reader, so record ``i`` here is record ``i`` there.
    """
    rows: list[list[str]] = []
    starts: list[int] = []
    ends: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        for record in reader:
            starts.append(ends[-1] + 1 if ends else 1)
            ends.append(reader.line_num)
            rows.append(record)
            if len(rows) >= SNIFF_LINES:
                break
    except csv.Error as exc:
        # e.g. a cell of over 128 KiB: an unclosed quote has swallowed the rest.
        raise InputError(
            f"cannot read as CSV: {exc} (an unclosed quote?)",
            file=str(path),
            row=ends[-1] + 1 if ends else 1,
        ) from None
    return rows, starts, ends


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header_row: int | None,
    header_rows: int,
    relation: str,
) -> RawTable:
    encoding, text = _decode_sample(path)
    delim = _sniff_dialect(text, path.suffix.lower())
    rows, starts, ends = _sniff_rows(text, delim, path)
    issues = IssueLog()
    index = _header_index(rows, header_row, header_rows, path, None, starts)
    line = starts[index]
    headers = header_names(
        rows[index : index + header_rows], issues, str(path), None, line
    )
    _check_headers(headers, path, None, line)
    skip = index + header_rows
    # The line the first record after the header starts on (records are what
    # DuckDB's skip counts; blank lines are records of no cells).
    first_line = ends[min(skip, len(ends)) - 1] + 1
    source = path
    tmp: str | None = None
    if encoding != "utf-8":
        tmp = _write_utf8_copy(path, encoding, issues)
        source = Path(tmp)
    # Lines are counted while DuckDB reads (it lets go of the GIL), so checking
    # the row numbers below costs no time on a big file.
    pool = ThreadPoolExecutor(max_workers=1)
    counted = pool.submit(_count_lines, source)
    try:
        fast = _load_csv_duckdb(con, path, source, skip, delim, headers, relation)
        row_sql = f"(rowid + {first_line})"
        if fast:
            fast = _rows_are_lines(
                con, path, source, relation, first_line, counted.result(), issues
            )
        if not fast:
            # The fast reader refuses some hand-made files; the Python reader says
            # which row is wrong, reads what DuckDB would not, and numbers rows by
            # the line they start on.
            _read_csv_python(con, path, source, skip, headers, delim, relation, issues)
            row_sql = "_row"
    finally:
        pool.shutdown(wait=True)
        if tmp:
            os.unlink(tmp)
    n_rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    return RawTable(str(path), None, relation, headers, line, n_rows, issues, row_sql)


def _write_utf8_copy(path: Path, encoding: str, issues: IssueLog) -> str:
    """A UTF-8 copy of a CSV in another encoding, for DuckDB (which reads UTF-8);
    the user's file is untouched. The caller removes the copy."""
    issues.add("encoding", f"read as {encoding}", severity="info", file=str(path))
    fd, tmp = tempfile.mkstemp(suffix=".csv")
    with (
        os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
        path.open(encoding=encoding, errors="strict", newline="") as src,
    ):
        try:
            for chunk in iter(lambda: src.read(1 << 20), ""):
                out.write(chunk)
        except UnicodeDecodeError as exc:
            os.unlink(tmp)
            raise InputError(
                f"not valid {encoding} text: {exc.reason}", file=str(path)
            ) from None
    return tmp


def _load_csv_duckdb(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: Path,
    skip: int,
    delim: str,
    headers: list[str],
    relation: str,
) -> bool:
    """Load the records after the header with DuckDB's reader (strict, every cell
    text); False if it refuses a file small enough for the Python reader."""
    import duckdb

    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(headers)))
    target = str(source).replace("'", "''")
    size = source.stat().st_size

    def select(buffer: int) -> str:
        sized = f", buffer_size = {buffer}" if size > buffer else ""
        return f"""SELECT *
                FROM read_csv('{target}', header = false, skip = {skip},
                              delim = '{delim.replace("'", "''")}', quote = '"',
                              escape = '"', columns = {{{columns}}},
                              null_padding = true, auto_detect = false,
                              strict_mode = true, parallel = true{sized})"""

    try:
        # A stale table of the name in either place would shadow or block the new one.
        con.execute(f"DROP TABLE IF EXISTS temp.main.{relation}")
        if not (
            size > KEPT_CSV_BYTES
            and _create_kept(con, relation, select(KEPT_CSV_BUFFER))
        ):
            con.execute(f"DROP TABLE IF EXISTS {relation}")
            con.execute(f"CREATE TEMP TABLE {relation} AS {select(BIG_CSV_BUFFER)}")
    except duckdb.Error as exc:
        if size > PYTHON_CSV_BYTES:
            raise InputError(
                f"cannot read as CSV: {_short(exc)}", file=str(path)
            ) from None
        return False
    return True


def _create_kept(con: duckdb.DuckDBPyConnection, relation: str, select: str) -> bool:
    """Create ``relation`` from ``select`` as a table of the connection's own
    database, committed (so its rowids number its rows from 0), marked with
    KEPT_COMMENT; False (nothing made) for an in-memory or read-only database or
    inside a transaction, where the caller makes a temporary table."""
    import duckdb

    (path, readonly), *_ = con.execute(
        "SELECT path, readonly FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchall() or [(None, True)]
    if not path or readonly:
        return False
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        return False  # inside the caller's transaction: rowids would be offset
    try:
        con.execute(f"DROP TABLE IF EXISTS main.{relation}")
        con.execute(f"CREATE TABLE main.{relation} AS {select}")
        con.execute(f"COMMENT ON TABLE main.{relation} IS '{KEPT_COMMENT}'")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


def drop_kept_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the raw tables :func:`read_raw` kept in the connection's database
    (a large CSV's; see ``KEPT_CSV_BYTES``), if any: after a load, whether it was
    committed, rolled back or a dry run.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> drop_kept_tables(con)
    """
    kept = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT temporary AND comment = ?",
        [KEPT_COMMENT],
    ).fetchall()
    for schema, table in kept:
        con.execute(f'DROP TABLE IF EXISTS "{schema}"."{table}"')


def _rows_are_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: Path,
    relation: str,
    first_line: int,
    lines: int | None,
    issues: IssueLog,
) -> bool:
    """Whether rowid + offset numbers the loaded records by their lines; a file
    too big for the Python reader keeps them, with a warning that they may be off.
    """
    # rowid + offset is each record's line only when every line after the
    # header holds exactly one record: DuckDB skips blank lines and reads a
    # quoted line break as part of a cell, and either shifts the numbers.
    n_rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    if lines is not None and n_rows == max(lines - first_line + 1, 0):
        return True
    if source.stat().st_size > PYTHON_CSV_BYTES:
        issues.add(
            "row-numbers",
            "blank lines or line breaks inside cells: row numbers "
            "after the first of them may be off",
            file=str(path),
        )
        return True
    return False


def _count_lines(path: Path) -> int | None:
    """Lines up to the last one holding anything; None if a line ends in a lone CR
    (DuckDB ends lines there too, and counting those is not worth a second pass)."""
    import numpy as np

    lines = 0
    tail = b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            if chunk.endswith(b"\r"):
                chunk += fh.read(1)
            if b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"):
                return None
            # numpy counts a 1 GB file's line breaks in half the time bytes.count
            # takes, and this runs beside DuckDB's read on the same cores.
            lines += int(np.count_nonzero(np.frombuffer(chunk, np.uint8) == 10))
            tail = (tail + chunk)[-65536:] if len(chunk) < 65536 else chunk[-65536:]
    content = tail.rstrip(b"\r\n")
    if not content and len(tail) == 65536:
        return None  # 64 KiB of line breaks at the end: not worth counting exactly
    return lines - tail.count(b"\n", len(content)) + (1 if content else 0)


class _KeptLines:
    """A file's lines, keeping those read since the last :meth:`take`."""

    def __init__(self, lines: io.TextIOBase) -> None:
        self._lines = lines
        self.kept: list[str] = []

    def __iter__(self) -> _KeptLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.kept.append(line)
        return line

    def take(self) -> list[str]:
        kept, self.kept = self.kept, []
        return kept


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
    last: tuple[int, list[str]] | None = None
    with source.open(encoding="utf-8-sig", newline="") as fh:
        lines = _KeptLines(fh)
        reader = csv.reader(lines, delimiter=delim)
        try:
            for _ in range(skip):
                next(reader, None)
            lines.take()
            for record in reader:
                # The line the record starts on (line_num is the one it ends on).
                line = reader.line_num - len(lines.kept) + 1
                last = (line, lines.take())
                if not any(c.strip() for c in record):
                    continue
                if len(record) > width and any(c.strip() for c in record[width:]):
                    extra = next(
                        i for i in range(width, len(record)) if record[i].strip()
                    )
                    raise InputError(
                        f"{len(record)} cells but the header has {width}; "
                        f"cell {extra + 1} holds {record[extra][:40]!r}",
                        file=str(path),
                        row=line,
                        column=column_letter(extra),
                    )
                cells: list[str | None] = [
                    c if c.strip() else None for c in record[:width]
                ]
                cells += [None] * (width - len(cells))
                records.append([*cells, str(line)])
        except csv.Error as exc:
            raise InputError(
                f"cannot read as CSV: {exc}", file=str(path), row=reader.line_num
            ) from None
        except UnicodeDecodeError as exc:
            # Past the part read to guess the encoding (text is decoded in blocks,
            # so the reader's line count does not say where).
            raise InputError(
                f"not valid UTF-8 text: {exc.reason}",
                file=str(path),
                row=_first_bad_line(source),
            ) from None
    if last is not None and _unclosed_quote("".join(last[1]), delim):
        # Python's reader runs an unclosed quote to the end of the file and keeps
        # what it swallowed as one cell; DuckDB refuses such a file, and so do we.
        raise InputError(
            "a quote opened in this row is never closed", file=str(path), row=last[0]
        )
    _register_rows(con, relation, records, width)


def _first_bad_line(path: Path) -> int | None:
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _unclosed_quote(text: str, delim: str) -> bool:
    try:
        for _ in csv.reader(
            io.StringIO(text, newline=""), delimiter=delim, strict=True
        ):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False
