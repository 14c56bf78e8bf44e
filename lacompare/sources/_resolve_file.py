"""Reading a user's CSV/XLSX/ODS file to resolve the authorities in one of its
columns (the matching is lacompare.geography's)."""

from __future__ import annotations

import math
from datetime import date, datetime
from os import PathLike
from pathlib import Path

import pandas as pd

from lacompare.errors import InputError
from lacompare.geography import resolve_table
from lacompare.provenance import IssueLog

_SPREADSHEETS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


def _cell_text(value: object) -> str:
    """Spreadsheet cell as the text a user sees (201.0 -> '201')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ")
            if value.time() != datetime.min.time()
            else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _unique_headers(raw: list[str]) -> list[str]:
    """Blank headers become 'Unnamed: i', repeats get '.1', '.2' (as pandas does)."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(raw):
        name = name.strip() or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _read_spreadsheet(path: Path) -> pd.DataFrame:
    from lacompare.sources._workbooks import read_sheets

    # Through the workbook limits, like every workbook lacompare opens.
    _, [(_, rows)] = read_sheets(path, 0, filename=str(path))
    if not rows:
        raise InputError("the first sheet is empty", file=str(path))
    width = max(len(r) for r in rows)
    cells = [[_cell_text(v) for v in r] + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(cells[1:], columns=_unique_headers(cells[0]), dtype=str)


# English public data comes as UTF-8 (with or without BOM), UTF-16 or Windows-1252;
# limiting detection to Western encodings stops short files being read as, say, cp1250.
_ENCODINGS = ["utf_8", "utf_16", "cp1252", "latin_1", "iso8859_15", "mac_roman"]


def _detect_encoding(path: Path) -> str:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        return "utf-8-sig"  # also drops a byte-order mark from the first header
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=_ENCODINGS).best()
    return best.encoding if best is not None else "cp1252"


def _read_csv(path: Path) -> pd.DataFrame:
    encoding = _detect_encoding(path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read CSV: {exc}", file=str(path)) from exc


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (encoding detected) or a workbook's first sheet, as text, first row as
    header."""
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.suffix.lower() in _SPREADSHEETS:
        return _read_spreadsheet(path)
    return _read_csv(path)


def resolve_file(
    path: str | PathLike[str], column: str, as_of: date | str | None = None
) -> tuple[pd.DataFrame, IssueLog]:
    """Read a table and resolve the authority in one of its columns.

    CSV is read as text (encoding detected with charset-normalizer); XLSX/XLS/ODS
    are read with python-calamine, first sheet, first row as header. Every input
    column is kept; ``la_code, dfe_code, la_name, region, la_type, match, score,
    candidates`` are added after them (``candidates`` is filled only when ``match`` is
    'none'). An added name that already exists in the file gets the suffix
    ``_resolved`` so no input column is overwritten. ``as_of`` applies to every row.

    Parameters
    ----------
    path : str or path-like
        The file.
    column : str
        Header of the column holding authority names or codes.
    as_of : datetime.date, ISO date str or None
        Passed to :func:`lacompare.geography.resolve_authority`.

    Returns
    -------
    (pandas.DataFrame, IssueLog)
        The table with the added columns, and the issues: unresolved, missing and
        combined authorities (warnings), total rows, fuzzy matches and notes (info).
        Row numbers are as a spreadsheet shows them (header = row 1).

    Raises
    ------
    lacompare.errors.InputError
        If the file cannot be read or has no such column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("area,value\\nSt.Helens,1\\nEngland,9\\nAtlantis,2\\n")
    >>> df, log = resolve_file(p, "area")
    >>> df["la_code"].tolist(), df["match"].tolist()
    (['E08000013', 'E92000001', ''], ['exact', 'total-row', 'none'])
    >>> [(i.kind, i.row) for i in log.of_kind("unresolved-authority")]
    [('unresolved-authority', 4)]
    """
    path = Path(path)
    return resolve_table(read_table(path), column, as_of, file=str(path))
