"""Return templates the hub generates (XLSX, CSV) and reading them back when uploaded.

A template has a few heading rows (round, service) then one row per field:
``field, label, unit, value, comment``. Uploads are limited in size and type and
parsed as data only (python-calamine and the csv module: no macros, formulas or
external links are evaluated); every problem names the file, sheet, row and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from lacompare.cells import CsvSafeWriter, restore_formula
from lacompare.errors import InputError
from lacompare.hub.definition import RoundDefinition
from lacompare.provenance import IssueLog

COLUMNS = ("field", "label", "unit", "value", "comment")
SHEET = "Return"
#: Uploads larger than this are refused before parsing (bytes).
MAX_UPLOAD_BYTES = 1_000_000
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class ReturnUpload:
    """What an uploaded file says: its round and service, values and comments."""

    round_slug: str | None
    service_code: str | None
    values: dict[str, Any]
    comments: dict[str, str]
    rows: dict[str, int]  # field -> row in the file (1-based), for messages
    sheet: str | None


def _template_rows(
    definition: RoundDefinition,
    service_code: str,
    service_name: str,
    values: dict[str, Any] | None,
    comments: dict[str, str] | None,
) -> list[list[Any]]:
    values = values or {}
    comments = comments or {}
    rows: list[list[Any]] = [
        ["round", definition.slug, definition.title, "", ""],
        ["service", service_code, service_name, "", ""],
        list(COLUMNS),
    ]
    for f in definition.fields:
        hint = f.unit
        if f.type == "choice":
            hint = " / ".join(f.choices)
        elif f.type == "flag":
            hint = "yes / no"
        value = values.get(f.name)
        rows.append(
            [
                f.name,
                f.label,
                hint,
                "" if value is None else value,
                comments.get(f.name, ""),
            ]
        )
    return rows


def write_return_template(
    definition: RoundDefinition,
    service_code: str,
    service_name: str,
    *,
    fmt: str = "xlsx",
    values: dict[str, Any] | None = None,
    comments: dict[str, str] | None = None,
) -> bytes:
    """A service's return as an XLSX or CSV template (pre-filled with ``values``).

    Examples
    --------
    >>> from lacompare.hub.definition import read_round_definition
    >>> d = read_round_definition()
    >>> text = write_return_template(d, "leeds", "Leeds", fmt="csv").decode()
    >>> text.splitlines()[2]
    'field,label,unit,value,comment'
    >>> write_return_template(d, "leeds", "Leeds")[:2]
    b'PK'
    """
    rows = _template_rows(definition, service_code, service_name, values, comments)
    if fmt == "csv":
        # Comments and values are the service's text and reach the network's
        # reviewer: formula text is neutralised (and restored when read back).
        buffer = io.StringIO()
        CsvSafeWriter(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode("utf-8")
    if fmt != "xlsx":
        raise InputError(f"template format {fmt!r} is not csv or xlsx")
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True})
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if isinstance(cell, (int, float)):
                sheet.write_number(r, c, cell)
            else:
                # Text, never a formula: a value starting '=' stays the user's text.
                sheet.write_string(r, c, str(cell), bold if r == 2 else None)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 55)
    sheet.set_column(2, 2, 20)
    sheet.set_column(3, 4, 24)
    book.close()
    return out.getvalue()


def _cells(
    data: bytes, filename: str, isolate: bool = True
) -> tuple[list[list[Any]], str | None]:
    name = filename.lower()
    if name.endswith(".csv"):
        if data.startswith(_XLSX_MAGIC):
            raise InputError("this is a spreadsheet, not CSV text", file=filename)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(
                "not UTF-8 text (save the CSV as UTF-8)", file=filename
            ) from None
        if "\x00" in text:
            raise InputError("not a text file", file=filename)
        # The template's own quote before formula text is taken off again.
        return [
            [restore_formula(c) for c in r] for r in csv.reader(io.StringIO(text))
        ], None
    if name.endswith(".xlsx"):
        if not data.startswith(_XLSX_MAGIC):
            raise InputError("not an XLSX workbook", file=filename)
        from lacompare.sources import read_sheets

        # Measured against the workbook limits before python-calamine sees it,
        # and opened and read in a child process: a workbook that makes the
        # reader abort ends the child, not the gunicorn worker and its requests.
        _, [(sheet, rows)] = read_sheets(
            data, SHEET, filename=filename, isolate=isolate, or_first=True
        )
        return [list(r) for r in rows], sheet
    raise InputError("upload a .xlsx or .csv file (the hub's template)", file=filename)


def read_return_upload(
    definition: RoundDefinition,
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    isolate: bool = True,
) -> ReturnUpload:
    """Read an uploaded return (the hub's template, XLSX or CSV).

    Raises :class:`~lacompare.errors.InputError` naming the file (and sheet, row,
    column) when the file is too big, of the wrong type or not the template.
    A workbook is measured against the workbook limits
    (:func:`lacompare.sources._workbooks.check_workbook_size`) and, with
    ``isolate`` (the default), read in a child process: a file that makes the
    spreadsheet reader abort is an error here, and the worker keeps serving.

    Examples
    --------
    >>> from lacompare.hub.definition import read_round_definition
    >>> d = read_round_definition()
    >>> data = write_return_template(d, "leeds", "Leeds", fmt="csv",
    ...                              values={"fte_staff": 4.5})
    >>> up = read_return_upload(d, data, "leeds.csv")
    >>> up.service_code, up.values["fte_staff"], up.rows["fte_staff"]
    ('leeds', '4.5', 10)
    """
    if len(data) > max_bytes:
        raise InputError(
            f"the file is {len(data):,} bytes; the limit is {max_bytes:,}",
            file=filename,
        )
    rows, sheet = _cells(data, filename, isolate)
    head: dict[str, str] = {}
    header_at = None
    for i, row in enumerate(rows):
        first = str(row[0]).strip().lower() if row else ""
        if first == "field":
            header_at = i
            break
        if first in ("round", "service") and len(row) > 1:
            head[first] = str(row[1]).strip()
    if header_at is None:
        raise InputError(
            "no heading row starting 'field' (use the hub's template)",
            file=filename,
            sheet=sheet,
        )
    heading = [str(c).strip().lower() for c in rows[header_at]]
    if "value" not in heading:
        raise InputError(
            "the heading row has no 'value' column",
            file=filename,
            sheet=sheet,
            row=header_at + 1,
        )
    value_col = heading.index("value")
    comment_col = heading.index("comment") if "comment" in heading else None
    known = set(definition.names)
    values: dict[str, Any] = {}
    comments: dict[str, str] = {}
    where: dict[str, int] = {}
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        name = str(row[0]).strip() if row and row[0] is not None else ""
        if not name:
            if any(str(c).strip() for c in row if c is not None):
                raise InputError(
                    "a row with figures but no field name",
                    file=filename,
                    sheet=sheet,
                    row=i + 1,
                    column="field",
                )
            continue
        if name not in known:
            raise InputError(
                f"unknown field {name!r}",
                file=filename,
                sheet=sheet,
                row=i + 1,
                column="field",
            )
        if name in values:
            raise InputError(
                f"field {name!r} appears twice",
                file=filename,
                sheet=sheet,
                row=i + 1,
                column="field",
            )
        cell = row[value_col] if value_col < len(row) else ""
        values[name] = _as_text(cell)
        if comment_col is not None and comment_col < len(row):
            comments[name] = _as_text(row[comment_col])
        where[name] = i + 1
    return ReturnUpload(
        head.get("round"), head.get("service"), values, comments, where, sheet
    )


def _as_text(cell: Any) -> str:
    """A cell as the text a user typed (numbers without a spurious '.0')."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def locate_issues(log: IssueLog, upload: ReturnUpload, filename: str) -> IssueLog:
    """The validation issues with the upload's file, sheet and row added.

    Examples
    --------
    >>> from lacompare.provenance import IssueLog
    >>> log = IssueLog(); log.add("range", "Volunteers must be at least 0",
    ...                           severity="error", column="volunteers")
    >>> up = ReturnUpload("r", "s", {}, {}, {"volunteers": 11}, None)
    >>> str(locate_issues(log, up, "a.csv").issues[0])
    'a.csv, row 11, column volunteers: Volunteers must be at least 0'
    """
    out = IssueLog()
    for issue in log:
        out.add(
            issue.kind,
            issue.message,
            severity=issue.severity,
            file=filename,
            sheet=upload.sheet,
            row=upload.rows.get(issue.column or ""),
            column=issue.column,
            value=issue.value,
        )
    return out
