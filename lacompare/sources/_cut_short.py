"""A CSV cut off part-way through its last row (an interrupted download or copy).

DuckDB's reader pads a short row with blanks (``null_padding``), which suits the
notes and ragged rows real files have, but it also turns a file cut mid-row into
a row of blank values that loads without a word. A cut leaves a signature: the
file does not end with a line break and its last record has fewer cells than the
headings. A last line of one cell is left alone: a note under a table; so is a
last row that lacks only columns blank in every row (trailing empty cells left out).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.errors import InputError

if TYPE_CHECKING:
    import duckdb

    from lacompare.sources._readers import RawTable

#: Bytes read from the end of the file to find its last record (a record longer
#: than this is not checked).
TAIL_BYTES = 1 << 16


def last_record(
    path: str | Path, delimiter: str = ",", encoding: str = "utf-8"
) -> list[str] | None:
    """The cells of a text table's last record when the file does not end with a
    line break (``None`` when it does, or the record cannot be parsed).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("la,year,pop\\nLeeds,2021,5\\nYork,20")
    >>> last_record(p)
    ['York', '20']
    >>> _ = open(p, "a").write("21,7\\n")
    >>> last_record(p) is None
    True
    """
    path = Path(path)
    with path.open("rb") as fh:
        fh.seek(0, io.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - TAIL_BYTES))
        tail = fh.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return None
    text = tail.decode(encoding, errors="replace")
    # The last line break outside quotes starts the record; a quoted cell holding
    # a line break is rare enough in a last row, and is then not checked.
    line = text[max(text.rfind("\n"), text.rfind("\r")) + 1 :]
    try:
        return next(csv.reader([line], delimiter=delimiter), None)
    except csv.Error:
        return None


def check_cut_short(con: duckdb.DuckDBPyConnection, raw: RawTable) -> None:
    """Raise :class:`~lacompare.errors.InputError` (file, row, first missing
    column) when a CSV's last row was cut off part-way.

    Examples
    --------
    >>> import duckdb, os, tempfile
    >>> from lacompare.sources import read_raw
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("la,year,pop\\nLeeds,2021,5\\nYork,2021")
    >>> con = duckdb.connect()
    >>> check_cut_short(con, read_raw(con, p))  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: ...t.csv, row 3, column pop: the last row stops
    after 2 of 3 columns and the file has no line break at its end: it looks cut
    short (download or copy it again)
    """
    from lacompare.sources._readers import (
        PARQUET_SUFFIXES,
        SPREADSHEET_SUFFIXES,
        _decode_sample,
        _sniff_dialect,
    )

    path = Path(raw.file)
    suffix = path.suffix.lower()
    if (
        suffix in SPREADSHEET_SUFFIXES
        or suffix in PARQUET_SUFFIXES
        or not path.is_file()
    ):
        return
    encoding, text = _decode_sample(path)
    if encoding.startswith("utf-16"):
        return  # two bytes a character: the tail may start mid-character
    cells = last_record(path, _sniff_dialect(text, suffix), encoding)
    if cells is None or len(cells) < 2 or len(cells) >= len(raw.headers):
        return
    # Writers that leave out a row's trailing empty cells (DWP's Stat-Xplore export
    # ends its 'Total' row before a blank annotations column) give a complete row
    # that is short: the columns it lacks are blank in every row.
    missing = raw.columns[len(cells) :]
    filled = " OR ".join(f"coalesce(trim({c}), '') <> ''" for c in missing)
    if not con.execute(
        f"SELECT count(*) FROM {raw.relation} WHERE {filled}"
    ).fetchone()[0]:
        return
    row = con.execute(f"SELECT max({raw.row_sql}) FROM {raw.relation}").fetchone()
    raise InputError(
        f"the last row stops after {len(cells)} of {len(raw.headers)} columns and "
        "the file has no line break at its end: it looks cut short (download or "
        "copy it again)",
        file=raw.file,
        sheet=raw.sheet,
        row=row[0] if row else None,
        column=raw.headers[len(cells)],
    )
