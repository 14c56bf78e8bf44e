"""Read an authority's snapshot values, headcount and budget from CSV or XLSX.

Layouts (headings in any case; a workbook's sheet with ``sheet=``):

* **snapshot values**, one row per measure and date: ``date``, ``measure``,
  ``value``; optional ``breakdown``, ``label``, ``unit`` (``count``,
  ``per 10,000`` or ``%``), ``note``, ``rounded`` (``yes``/``no``) and
  ``authority``. ``measure`` is an id (``open_cases[CP]``) or a label of
  :func:`~lacompare.snapshot.read_measures` ("No of Child Protection Plans");
  any other measure needs a ``unit``. ``date`` may be left out when the load is
  given one.
* **headcount**: ``division``, ``service``, ``headcount``; optional
  ``row_role`` (``item``, ``subtotal``, ``total``) for printed totals.
* **budget**: ``section``, ``line``, ``amount`` (income in brackets or
  negative: ``(1,792)``), optional ``row_role`` and ``level``. Without
  ``level`` a ``subtotal`` sums the items of its section above it and a
  ``total`` the sub-totals since the last total. Totals of totals (a block
  total of sub-totals, a grand total of blocks) need ``level`` on every row,
  the outline as printed: 0 for the grand total, 1 for a block total, 2 for
  the sub-totals within a block, and so on; a total sums the rows one level
  deeper above it, back to the previous row at its own level or above (see
  :func:`lacompare.formatting.tables.total_parts`). A figure printed as a total
  without its parts (a grant) is a row at the level of the total it adds into.

Every value goes through :func:`lacompare.cells.parse_cell` (a missing value
keeps its reason, never 0). Rates and percentages are taken as rounded to the
decimals they are printed with unless ``rounded`` says ``no``: the store keeps
``half_width`` so a change can be shown as the range the rounding allows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Sheet",
    "read_table_cells",
    "read_headcount_file",
    "read_budget_file",
    "parse_date",
    "resolve_la",
    "printed_decimals",
]


@dataclass
class Sheet:
    """A file read as text cells: rows keyed by lower-case heading, with the
    file's row numbers, its headings as written and its SHA-256."""

    file: str
    sheet: str | None
    rows: list[dict[str, str | None]]
    row_numbers: list[int]
    headings: dict[str, str]
    letters: dict[str, str]
    sha256: str
    issues: IssueLog = field(default_factory=IssueLog)

    def require(self, *names: str) -> None:
        """Raise naming the file and the missing headings."""
        missing = [n for n in names if n not in self.headings]
        if missing:
            raise InputError(
                f"no column {', '.join(repr(m) for m in missing)} "
                f"(found: {', '.join(self.headings.values())})",
                file=self.file,
                sheet=self.sheet,
            )

    def error(self, message: str, index: int, column: str | None) -> InputError:
        """An error located at a data row (0-based) and column heading."""
        return InputError(
            message,
            file=self.file,
            sheet=self.sheet,
            row=self.row_numbers[index],
            column=self.headings.get(column, column) if column else None,
        )


def read_table_cells(path: str | Path, sheet: str | None = None) -> Sheet:
    """Read a CSV or workbook sheet as text cells with row numbers.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write("Date,Measure,Value\\n2024-10-04,open_cases[CP],415\\n")
    >>> t = read_table_cells(p)
    >>> t.rows[0]["measure"], t.row_numbers
    ('open_cases[CP]', [2])
    """
    import duckdb

    from lacompare.sources import column_letter, read_raw
    from lacompare.store import file_sha256

    path = Path(path)
    con = duckdb.connect()
    try:
        raw = read_raw(con, path, sheet=sheet)
        cols = ", ".join(raw.columns)
        data = con.execute(
            f"SELECT {raw.row_sql} AS _row, {cols} FROM {raw.relation} ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    keys = [str(h).strip().lower() for h in raw.headers]
    headings: dict[str, str] = {}
    for key, heading in zip(keys, raw.headers, strict=True):
        if key in headings:
            raise InputError(
                f"column {heading!r} appears twice", file=str(path), sheet=raw.sheet
            )
        headings[key] = str(heading)
    rows, numbers = [], []
    for record in data:
        cells = [
            None if c is None or str(c).strip() == "" else str(c).strip()
            for c in record[1:]
        ]
        if all(c is None for c in cells):
            continue
        rows.append(dict(zip(keys, cells, strict=True)))
        numbers.append(int(record[0]))
    letters = {k: column_letter(i) for i, k in enumerate(keys)}
    return Sheet(
        str(path),
        raw.sheet,
        rows,
        numbers,
        headings,
        letters,
        file_sha256(path),
        raw.issues,
    )


def parse_date(text: Any) -> dt.date:
    """A snapshot date: ISO ``2024-10-04``, ``04/10/2024`` (day first, as
    councils print it) or a date.

    Examples
    --------
    >>> parse_date("04/10/2024"), parse_date("2024-10-04 00:00:00")
    (datetime.date(2024, 10, 4), datetime.date(2024, 10, 4))
    """
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    value = str(text or "").strip()
    for fmt in (
        "%Y-%m-%d",
        "%d/%m/%Y",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%d.%m.%Y",
        "%d-%m-%Y",
    ):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r} (write 2024-10-04 or 04/10/2024)")


def resolve_la(
    text: str,
    *,
    file: str | None = None,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
) -> str:
    """An authority's ONS code from a name or code, or an InputError.

    Exact names, codes and aliases only (a council's own snapshot names one
    authority: a misspelling is refused with the nearest names, never guessed).

    Examples
    --------
    >>> resolve_la("Leicester")
    'E06000016'
    >>> from lacompare.geography import UnknownAuthority
    >>> try:
    ...     resolve_la("Leicestr")
    ... except UnknownAuthority as err:
    ...     print(err)
    no authority 'Leicestr'; did you mean Leicester (E06000016)?
    """
    from lacompare.geography import UnknownAuthority, match_authority_strict

    try:
        match = match_authority_strict(text)
    except UnknownAuthority as err:
        if not any((file, sheet, row, column)):
            raise
        raise InputError(
            err.message, file=file, sheet=sheet, row=row, column=column
        ) from None
    if not match.la_code:
        raise InputError(
            f"{match.la_name} (DfE {match.dfe_code}) has no ONS code: "
            "snapshots are of authorities since 2011",
            file=file,
            sheet=sheet,
            row=row,
            column=column,
        )
    return str(match.la_code)


def printed_decimals(raw: str) -> int:
    """Decimals a figure is printed with: ``'79.7%'`` → 1, ``'2,009'`` → 0.

    Examples
    --------
    >>> printed_decimals("79.7%"), printed_decimals("2,009"), printed_decimals("47")
    (1, 0, 0)
    """
    text = raw.strip().rstrip("%").strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def _role(cells: Sheet, row: dict[str, str | None], i: int) -> str:
    role = (row.get("row_role") or "item").strip().lower()
    if role not in ("item", "subtotal", "total"):
        raise cells.error(
            f"row_role {role!r}: write item, subtotal or total", i, "row_role"
        )
    return role


def _amount(
    cells: Sheet, row: dict[str, str | None], i: int, column: str
) -> tuple[float | None, str | None, str]:
    from lacompare.cells import parse_cell

    raw = row.get(column) or ""
    parsed = parse_cell(raw)
    unread = parsed.value is None and parsed.missing is None
    if parsed.missing == "unparsed" or unread:
        raise cells.error(f"cannot read {raw!r} as a number", i, column)
    return parsed.value, parsed.missing, raw


def _level(cells: Sheet, row: dict[str, str | None], i: int) -> int:
    text = (row.get("level") or "").strip()
    if not text:
        raise cells.error(
            "no level: with a level column every row needs one (0 "
            "for the grand total, 1 for a block total, deeper for "
            "its parts)",
            i,
            "level",
        )
    if not re.fullmatch(r"\d", text):
        raise cells.error(f"level {text!r}: write a whole number 0-9", i, "level")
    return int(text)


def read_headcount_file(
    path: str | Path, *, authority: str, as_of: str | dt.date, sheet: str | None = None
) -> tuple[pd.DataFrame, IssueLog, Sheet]:
    """Read staff headcount by division and service.

    Returns lines with ``section`` = division, ``line`` = service, ``amount`` =
    headcount (whole persons), ``row_role``; printed totals are kept as
    ``subtotal``/``total`` rows so they can be checked.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "h.csv")
    >>> _ = open(p, "w").write("division,service,headcount\\nSEND,Education,148\\n")
    >>> lines, log, _ = read_headcount_file(p, authority="Leicester",
    ...                                     as_of="2024-10-04")
    >>> lines[["section", "line", "amount"]].values.tolist()
    [['SEND', 'Education', 148.0]]
    """
    import pandas as pd

    cells = read_table_cells(path, sheet)
    cells.require("division", "service", "headcount")
    la = resolve_la(authority)
    stamp = parse_date(as_of).isoformat()
    records = []
    for i, row in enumerate(cells.rows):
        value, missing, raw = _amount(cells, row, i, "headcount")
        if value is not None and not float(value).is_integer():
            raise cells.error(
                f"{raw!r} is not a whole number of people", i, "headcount"
            )
        role = _role(cells, row, i)
        if role == "item" and not row.get("service"):
            raise cells.error("no service", i, "service")
        records.append(
            {
                "la_code": la,
                "kind": "headcount",
                "as_of": stamp,
                "position": i,
                "section": row.get("division") or "",
                "line": row.get("service") or "Total",
                "amount": value,
                "missing_reason": missing,
                "row_role": role,
                "unit": "persons",
                "raw": raw,
                "source_row": cells.row_numbers[i],
            }
        )
    if not records:
        raise InputError("no headcount rows", file=cells.file, sheet=cells.sheet)
    return pd.DataFrame.from_records(records), IssueLog(list(cells.issues)), cells


def read_budget_file(
    path: str | Path,
    *,
    authority: str,
    as_of: str,
    sheet: str | None = None,
    unit: str = "£000",
) -> tuple[pd.DataFrame, IssueLog, Sheet]:
    """Read budget lines (income in brackets) with their sub-totals and totals.

    ``as_of`` is the budget year (``2024/25``). Amounts are in ``unit``. An
    optional ``level`` column gives the outline of nested totals (see the
    module's layout); it must then be a whole number 0-9 on every row.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "b.csv")
    >>> _ = open(p, "w").write("section,line,amount,row_role\\n"
    ...     "Social care,Legal,\\"1,500\\",item\\nSocial care,Income,(220),item\\n"
    ...     "Social care,Social Care,\\"1,280\\",subtotal\\n")
    >>> lines, log, _ = read_budget_file(p, authority="Leicester", as_of="2024/25")
    >>> lines["amount"].tolist()
    [1500.0, -220.0, 1280.0]
    """
    import pandas as pd

    cells = read_table_cells(path, sheet)
    cells.require("line", "amount")
    la = resolve_la(authority)
    leveled = "level" in cells.headings
    records = []
    for i, row in enumerate(cells.rows):
        value, missing, raw = _amount(cells, row, i, "amount")
        if not row.get("line"):
            raise cells.error("no line name", i, "line")
        records.append(
            {
                "la_code": la,
                "kind": "budget",
                "as_of": str(as_of),
                "position": i,
                "section": row.get("section") or "",
                "line": row["line"],
                "amount": value,
                "missing_reason": missing,
                "row_role": _role(cells, row, i),
                "unit": unit,
                "raw": raw,
                "source_row": cells.row_numbers[i],
                "level": _level(cells, row, i) if leveled else None,
            }
        )
    if not records:
        raise InputError("no budget lines", file=cells.file, sheet=cells.sheet)
    return pd.DataFrame.from_records(records), IssueLog(list(cells.issues)), cells
