"""XLSX reports: one sheet per table, numbers as numbers, written with XlsxWriter.

Layout follows the GSS guidance "Releasing statistics in spreadsheets": a
Contents sheet, a Notes sheet, one sheet per table, chart sheets, then a
Sources sheet. Each table sheet has its title in A1, its notes and sources on
the rows below it (above the table, where a screen reader meets them first),
then the table as an Excel table with a real header row, frozen, with no merged
cells and no blank rows.

Decisions
---------
* Numbers are stored as the frame holds them (unrounded) and shown rounded by
  a number format per unit: money in pounds ``£#,##0;(£#,##0)`` (with pence
  for ``'£ per head'``), scaled money (``£000``, ``£m``) ``#,##0;(#,##0)``
  (a £ sign there would make 1,792 read as £1,792), fractions
  (``'proportion'``) ``0.0%``, percentage-scale values ``0"%"`` (a real ``0%``
  format would show 103 as 10300%), everything else ``#,##0`` with the
  column's decimals. XlsxWriter writes 16 significant digits; Excel works
  to 15.
* A missing value is an empty cell, never 0. Its symbol and meaning go in a
  "Notes on this row" column at the end of the table (visible, printable and
  read by screen readers) and in a comment on the cell (for someone who
  clicks it).
* Totals are stored values, not ``SUM`` formulas, so each cell equals the
  figure in the store or the published table; a total that does not reconcile
  (:func:`~lacompare.formatting.tables.reconcile`) is noted on its row.
* Text is always written as text (never as a formula or a link), so a source
  file name or a label that starts with ``=`` stays what it is.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lacompare.formatting import MISSING_SYMBOLS, format_number, is_missing, is_money
from lacompare.formatting.tables import (
    Column,
    ReportTable,
    plain_number,
    reconcile,
    source_lines,
    table_notes,
)

__all__ = ["write_xlsx", "number_format"]

_FIXED_SHEETS = ("Contents", "Notes", "Sources")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ROW_NOTES = "Notes on this row"


def number_format(unit: str | None, decimals: int) -> str:
    """The Excel number format for a unit and a number of decimals.

    Examples
    --------
    >>> number_format("£", 0), number_format("£000", 0), number_format("proportion", 1)
    ('£#,##0;(£#,##0)', '#,##0;(#,##0)', '0.0%')
    >>> number_format("%", 0), number_format("FTE", 2)
    ('#,##0"%"', '#,##0.00')
    """
    places = "." + "0" * decimals if decimals > 0 else ""
    if unit in ("£", "£ per head"):
        return f"£#,##0{places};(£#,##0{places})"
    if is_money(unit):
        return f"#,##0{places};(#,##0{places})"
    if unit == "proportion":
        return f"0{places}%"
    if unit == "%":
        return f'#,##0{places}"%"'
    return f"#,##0{places}"


def _sheet_name(text: str, taken: set[str]) -> str:
    """A legal, unique sheet name: ≤ 31 characters, none of ``[]:*?/\\``."""
    name = re.sub(r"[\[\]:*?/\\]", " ", text)
    name = re.sub(r"\s+", " ", name).strip().strip("'").strip() or "Sheet"
    if name.lower() == "history":  # reserved by Excel
        name = "History (table)"
    base, n = name[:31].rstrip(), 1
    name = base
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
    taken.add(name.lower())
    return name


def _table_name(sheet: str, index: int) -> str:
    # Excel table names: letters, digits, underscores; must not look like a cell.
    return f"T{index}_" + re.sub(r"[^A-Za-z0-9_]", "_", sheet)[:60]


def _unique_headers(headers: list[str]) -> list[str]:
    # An Excel table needs distinct header strings.
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        key = h.lower()
        seen[key] = seen.get(key, 0) + 1
        out.append(h if seen[key] == 1 else f"{h} ({seen[key]})")
    return out


class _Formats:
    """Cell formats made once per workbook (XlsxWriter wants few, shared)."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.header = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "bottom", "bottom": 1}
        )
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.link = workbook.add_format({"font_color": "#1F4E79", "underline": 1})
        self.datetime = workbook.add_format(
            {"num_format": "yyyy-mm-dd hh:mm:ss", "align": "left"}
        )

    def cell(self, num_format: str | None, role: str) -> Any:
        key = (num_format, role)
        if key not in self.cache:
            props: dict[str, Any] = {"valign": "top"}
            if num_format:
                props["num_format"] = num_format
            if role != "item":
                props["bold"] = True
            if role == "total":
                props["top"] = 1
            self.cache[key] = self.workbook.add_format(props)
        return self.cache[key]


def _symbol(reason: str) -> tuple[str, str]:
    return MISSING_SYMBOLS.get(reason, MISSING_SYMBOLS["blank"])


def _add_table(
    ws: Any,
    header_row: int,
    last_row: int,
    headers: list[str],
    name: str,
    formats: _Formats,
    autofilter: bool = True,
) -> None:
    # An Excel table marks the header row as headers for screen readers and
    # keeps filters and styles with the data.
    ws.add_table(
        header_row,
        0,
        last_row,
        len(headers) - 1,
        {
            "name": name,
            "style": "Table Style Light 1",
            "autofilter": autofilter,
            "columns": [
                {"header": h, "header_format": formats.header} for h in headers
            ],
        },
    )


def _write_text_rows(ws: Any, row: int, lines: Sequence[str], fmt: Any = None) -> int:
    for line in lines:
        ws.write_string(row, 0, line, fmt)
        row += 1
    return row


def _write_table_sheet(
    ws: Any, table: ReportTable, formats: _Formats, index: int, check: bool
) -> None:
    columns: list[Column | str] = [*table.columns]
    if table.group is not None:
        # The group is a real column here (no merged group headings), so each
        # row reads complete when sorted, filtered or read aloud.
        columns.insert(0, table.group)
    roles = table.roles()
    frame = table.frame
    reasons = {c.name: table.missing_reasons(c) for c in table.columns if c.numeric}
    row_notes: list[list[str]] = [[] for _ in range(len(frame))]
    for column in table.columns:
        for r, reason in enumerate(reasons.get(column.name, [])):
            if reason is not None:
                symbol, meaning = _symbol(reason)
                row_notes[r].append(f"{column.heading}: {symbol} {meaning}")
    if check:
        for m in reconcile(table):
            row_notes[m.row].append(
                f"{m.heading}: † does not equal the sum of its parts within rounding "
                f"(they sum to {plain_number(m.parts_sum)})"
            )
    with_notes = any(row_notes)

    ws.write_string(0, 0, table.title, formats.title)
    lines = table_notes(table) + source_lines(table)
    lines.append("Symbols, units and rounding are explained on the Notes sheet.")
    header_row = _write_text_rows(ws, 1, lines)

    # The group column has no Column of its own: its name, readable, heads it.
    headers = [
        c.replace("_", " ").capitalize() if isinstance(c, str) else c.heading
        for c in columns
    ]
    if with_notes:
        headers.append(_ROW_NOTES)
    headers = _unique_headers(headers)
    widths = [min(max(len(h) * 0.6, 10), 40) for h in headers]
    for j, h in enumerate(headers):
        ws.write_string(header_row, j, h, formats.header)

    for r in range(len(frame)):
        row = header_row + 1 + r
        role = roles[r]
        for j, col in enumerate(columns):
            name = col if isinstance(col, str) else col.name
            value = frame[name][r]
            if isinstance(col, str) or not col.numeric:
                text = "" if is_missing(value) else str(value)
                ws.write_string(row, j, text, formats.cell(None, role))
                widths[j] = max(widths[j], min(len(text) + 2, 60))
                continue
            decimals = table.decimals(col)
            fmt = formats.cell(number_format(col.unit, decimals), role)
            reason = reasons[col.name][r]
            if reason is not None:
                # Empty, never 0: the reason is in the row's notes and here.
                symbol, meaning = _symbol(reason)
                ws.write_blank(row, j, None, fmt)
                ws.write_comment(row, j, f"{symbol} {meaning}", {"author": "lacompare"})
                continue
            ws.write_number(row, j, float(value), fmt)
            shown = format_number(value, col.unit, decimals)
            widths[j] = max(widths[j], len(shown) + 3)
        if with_notes and row_notes[r]:
            ws.write_string(
                row, len(columns), "; ".join(row_notes[r]), formats.cell(None, "item")
            )
            widths[-1] = max(widths[-1], min(sum(len(n) for n in row_notes[r]) + 2, 80))

    last_row = header_row + len(frame)
    if len(frame):
        _add_table(
            ws,
            header_row,
            last_row,
            headers,
            _table_name(ws.get_name(), index),
            formats,
        )
    for j, width in enumerate(widths):
        ws.set_column(j, j, width)
    # Freeze the header row and the row headings (everything up to the stub).
    names = [c if isinstance(c, str) else c.name for c in columns]
    frozen_cols = names.index(table.stub) + 1 if table.stub in names else 0
    ws.freeze_panes(header_row + 1, frozen_cols)
    ws.repeat_rows(header_row)  # the header prints on every page
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)


def _write_list_sheet(
    ws: Any,
    title: str,
    intro: Sequence[str],
    frame: pd.DataFrame,
    formats: _Formats,
    table_name: str,
) -> int:
    """A sheet with a title, a few lines, then ``frame`` as an Excel table."""
    ws.write_string(0, 0, title, formats.title)
    header_row = _write_text_rows(ws, 1, intro)
    headers = _unique_headers([str(c) for c in frame.columns])
    widths = [max(len(h) + 2, 12) for h in headers]
    for j, h in enumerate(headers):
        ws.write_string(header_row, j, h, formats.header)
    for r, values in enumerate(frame.itertuples(index=False)):
        row = header_row + 1 + r
        for j, value in enumerate(values):
            widths[j] = max(widths[j], min(len(str(value)) + 2, 80))
            if is_missing(value):
                ws.write_blank(row, j, None)
            elif isinstance(value, bool):
                ws.write_boolean(row, j, value)
            elif isinstance(value, numbers.Real):  # numpy numbers too
                ws.write_number(row, j, float(value))
            elif isinstance(value, dt.datetime) and value.tzinfo is not None:
                # Excel dates have no time zone: keep the offset by writing ISO text.
                ws.write_string(row, j, value.isoformat())
            elif isinstance(value, (dt.datetime, dt.date)):
                ws.write_datetime(row, j, value, formats.datetime)
                widths[j] = max(widths[j], 20)
            else:
                ws.write_string(row, j, str(value), formats.wrap)
    if len(frame):
        last_row = header_row + len(frame)
        _add_table(ws, header_row, last_row, headers, table_name, formats)
    for j, width in enumerate(widths):
        ws.set_column(j, j, width)
    ws.freeze_panes(header_row + 1, 0)
    return header_row


def _notes_frame() -> pd.DataFrame:
    rows: dict[str, str] = {}
    for symbol, meaning in MISSING_SYMBOLS.values():
        rows.setdefault(symbol, meaning)
    rows.update(
        {
            "Empty cell": "No value. The symbol and its meaning are in the table's "
            f"'{_ROW_NOTES}' column and in a comment on the cell. A missing "
            "value is never shown as 0.",
            "(1,792)": "A negative amount of money, such as income in a budget.",
            "Rounding": "Numbers are stored unrounded and shown rounded by their "
            "number format (select a cell to see the stored value). Totals are the "
            "figures themselves, not formulas, so a total may differ from the "
            "sum of its shown parts because of rounding.",
            "†": "A total that does not equal the sum of its parts within rounding "
            "(half a unit of the shown rounding per part); the row's notes give "
            "the sum of the parts.",
            "Units": "Each column heading gives its unit: £000 is thousands of pounds, "
            "% is a percentage, FTE is full-time equivalent staff.",
            "Bold rows": "Sub-totals and totals (totals have a rule above).",
        }
    )
    return pd.DataFrame({"Symbol or term": list(rows), "Meaning": list(rows.values())})


def write_xlsx(
    path: str | Path,
    tables: Sequence[ReportTable],
    sources: pd.DataFrame,
    title: str = "lacompare report",
    charts: Mapping[str, bytes | tuple[bytes, str]] | None = None,
    *,
    check: bool = True,
) -> Path:
    """Write tables (and chart images) to an accessible XLSX workbook.

    Sheets: Contents (links to every sheet), Notes (symbols, units, rounding),
    one sheet per table, one per chart, and Sources. The module docstring lists
    the decisions on number formats, missing values and totals.

    Parameters
    ----------
    path
        The ``.xlsx`` file to write.
    tables
        The tables, one sheet each, named from :attr:`ReportTable.name` or the
        title (made legal and unique, at most 31 characters).
    sources
        Where the figures came from, one row per file (e.g. ``file``, ``sheet``,
        ``loaded_at``); written as given.
    title
        The workbook title: the Contents sheet's heading and the document's
        title property.
    charts
        PNG images by title; a value may be ``(png, alt_text)`` — otherwise the
        title is the alt text. Each goes on its own sheet with its alt text as
        the image description and as a line of text above it.
    check
        Note on its row every total that :func:`reconcile` flags.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> t = ReportTable("Staff", pd.DataFrame({"team": ["A", "B"], "n": [3, 4]}))
    >>> src = pd.DataFrame({"file": ["staff.csv"], "sheet": [""]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_xlsx(Path(d) / "r.xlsx", [t], src, title="Staffing")
    ...     openpyxl.load_workbook(p).sheetnames
    ['Contents', 'Notes', 'Staff', 'Sources']
    """
    path = Path(path)
    images = _chart_images(charts)
    taken = {s.lower() for s in _FIXED_SHEETS}
    table_sheets = [_sheet_name(t.name or t.title, taken) for t in tables]
    chart_sheets = [_sheet_name(name, taken) for name in images]
    workbook = _new_workbook(path, title)
    try:
        formats = _Formats(workbook)
        contents = workbook.add_worksheet("Contents")
        _write_list_sheet(
            workbook.add_worksheet("Notes"),
            "Notes",
            ["Symbols, units and rounding used in this workbook."],
            _notes_frame(),
            formats,
            "Notes",
        )
        for i, (table, sheet) in enumerate(zip(tables, table_sheets, strict=True)):
            _write_table_sheet(
                workbook.add_worksheet(sheet), table, formats, i + 1, check
            )
        for sheet, (name, (png, alt)) in zip(chart_sheets, images.items(), strict=True):
            _write_chart_sheet(
                workbook.add_worksheet(sheet), sheet, name, png, alt, formats
            )
        _write_list_sheet(
            workbook.add_worksheet("Sources"),
            "Sources",
            ["The files every figure in this workbook was read from."],
            sources,
            formats,
            "Sources",
        )
        entries = (
            [("Notes", "Symbols, units and rounding")]
            + list(zip(table_sheets, [t.title for t in tables], strict=True))
            + list(zip(chart_sheets, list(images), strict=True))
            + [("Sources", "Files the figures come from")]
        )
        _write_contents(contents, title, entries, len(tables), len(images), formats)
    finally:
        workbook.close()
    return path


def _new_workbook(path: Path, title: str) -> Any:
    """An XlsxWriter workbook that keeps text as text, with its properties set."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            # Text stays text: no formulas, links or numbers guessed from strings.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties(
        {
            "title": title,
            "subject": "Children's services comparison",
            "author": "lacompare",
            "comments": "Made by lacompare. Sources are listed on the Sources sheet.",
            "created": dt.datetime.now(),
        }
    )
    return workbook


def _chart_images(
    charts: Mapping[str, bytes | tuple[bytes, str]] | None,
) -> dict[str, tuple[bytes, str]]:
    """Each chart's PNG and alt text (its title when none is given)."""
    images: dict[str, tuple[bytes, str]] = {}
    for name, payload in dict(charts or {}).items():
        png, alt = payload if isinstance(payload, tuple) else (payload, name)
        if not png.startswith(_PNG_SIGNATURE):
            raise ValueError(f"chart {name!r} is not a PNG image")
        images[name] = (png, alt)
    return images


def _write_chart_sheet(
    ws: Any, sheet: str, name: str, png: bytes, alt: str, formats: _Formats
) -> None:
    """A chart's sheet: its title, its description, and the image."""
    ws.write_string(0, 0, name, formats.title)
    ws.write_string(1, 0, f"Description: {alt}")
    ws.insert_image(
        3,
        0,
        f"{sheet}.png",
        {
            "image_data": io.BytesIO(png),
            "description": alt,
            "object_position": 3,  # don't move or size with cells
        },
    )


def _write_contents(
    contents: Any,
    title: str,
    entries: list[tuple[str, str]],
    tables: int,
    charts: int,
    formats: _Formats,
) -> None:
    """The Contents sheet: a link to every sheet, with what it holds."""
    contents.write_string(0, 0, title, formats.title)
    contents.write_string(
        1,
        0,
        f"{tables} table(s) and {charts} chart(s); select a sheet name to go to it.",
    )
    contents.write_string(3, 0, "Sheet", formats.header)
    contents.write_string(3, 1, "Contents", formats.header)
    for r, (sheet, what) in enumerate(entries, start=4):
        quoted = sheet.replace("'", "''")
        contents.write_url(r, 0, f"internal:'{quoted}'!A1", formats.link, sheet)
        contents.write_string(r, 1, what)
    _add_table(
        contents,
        3,
        3 + len(entries),
        ["Sheet", "Contents"],
        "Contents",
        formats,
        autofilter=False,
    )
    contents.set_column(0, 0, 34)
    contents.set_column(1, 1, 70)
    contents.freeze_panes(4, 0)
    contents.activate()
