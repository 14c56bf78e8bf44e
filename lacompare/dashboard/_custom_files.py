"""The create-your-own table as files, from the same URL as the page.

``/table/custom.csv``: one row per indicator, area and period, the value rounded
to the catalogue's decimals (a missing figure as the publisher's symbol) beside
the unrounded value; written by :func:`lacompare.cells.write_csv_safe` (no cell
can run as a formula). ``/table/custom.xlsx``: the page's tables rounded (sheet
*Rounded*, numbers stored rounded and shown with the catalogue's decimals) and
unrounded (sheet *Unrounded*), and a *Notes* sheet (the selection, the key, the
columns).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.dashboard._custom import Block, custom_blocks, long_frame
from lacompare.dashboard._custom_page import (
    DOWNLOAD_COLUMNS,
    check_custom,
    custom_query_string,
    indicator_heading,
    period_text,
    table_key,
)

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.dashboard._state import DashboardStore

#: Sheet names of the XLSX file.
ROUNDED, UNROUNDED, NOTES = "Rounded", "Unrounded", "Notes"


def rounded_text(value: Any, reason: Any, decimals: int) -> str:
    """A value rounded half away from zero as plain text (no grouping, for
    analysts' tools), or the missing symbol.

    Examples
    --------
    >>> rounded_text(183.59091380562182, None, 1), rounded_text(2.675, None, 2)
    ('183.6', '2.68')
    >>> rounded_text(float("nan"), "suppressed", 1)
    '[c]'
    """
    from lacompare.formatting import format_missing, is_missing, quantize

    if is_missing(value):
        return format_missing(None if is_missing(reason) else reason)
    return str(quantize(float(value), int(decimals)))


def download_frame(blocks: list[Block]) -> pd.DataFrame:
    """The CSV's rows: :data:`DOWNLOAD_COLUMNS`, values rounded and unrounded."""
    frame = long_frame(blocks)
    out = frame.copy()
    out["value"] = [
        rounded_text(v, r, d)
        for v, r, d in zip(
            frame["value"], frame["missing_reason"], frame["decimals"], strict=True
        )
    ]
    out["value_unrounded"] = frame["value"]
    out["missing_reason"] = [
        ("no figure" if r is None or r != r else str(r)) if v != v else ""
        for v, r in zip(frame["value"], frame["missing_reason"], strict=True)
    ]
    out["published"] = out["published"].map(
        lambda p: "" if p is None or p != p else str(bool(p)).lower()
    )
    out["computed"] = out["computed"].map(lambda c: str(bool(c)).lower())
    return out[[name for name, _ in DOWNLOAD_COLUMNS]]


def write_custom_csv(store: DashboardStore, params: Any, folder: Path) -> Path:
    """``/table/custom.csv``: the long table, CSV-safe."""
    from lacompare.cells import write_csv_safe

    q = check_custom(store, params)
    blocks = custom_blocks(store, q)
    path = folder / "lacompare-custom-table.csv"
    write_csv_safe(download_frame(blocks), path)
    return path


def write_custom_xlsx(store: DashboardStore, params: Any, folder: Path) -> Path:
    """``/table/custom.xlsx``: Rounded, Unrounded and Notes sheets."""
    from openpyxl import Workbook

    q = check_custom(store, params)
    blocks = custom_blocks(store, q)
    book = Workbook()
    rounded = book.active
    rounded.title = ROUNDED
    write_blocks(rounded, blocks, rounded=True)
    write_blocks(book.create_sheet(UNROUNDED), blocks, rounded=False)
    notes = [
        ["Create your own table (lacompare)"],
        ["Authorities", "; ".join(q.described)],
        ["Years", period_text(q.periods)],
        ["Address", f"/table/custom?{custom_query_string(params)}"],
        [],
        ["Key"],
        *[[line] for line in table_key(blocks)],
        [],
        ["Notes by indicator"],
        *[[b.indicator.label, n] for b in blocks for n in b.notes],
        [],
        ["CSV columns"],
        *[[name, meaning] for name, meaning in DOWNLOAD_COLUMNS],
    ]
    sheet = book.create_sheet(NOTES)
    for row in notes:
        sheet.append([_safe(c) for c in row])
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 90
    path = folder / "lacompare-custom-table.xlsx"
    book.save(path)
    return path


def _safe(text: Any) -> Any:
    """Text that cannot run as a formula in a spreadsheet."""
    from lacompare.cells import neutralise_formula

    return neutralise_formula(text) if isinstance(text, str) else text


def write_blocks(sheet: Any, blocks: list[Block], *, rounded: bool) -> None:
    """Each indicator's table on the sheet, one under another: a title row,
    headings (area, code, region, periods, note), then a row per area."""
    from openpyxl.styles import Alignment, Font

    from lacompare.formatting import format_missing, is_missing, quantize

    bold = Font(bold=True)
    right = Alignment(horizontal="right")
    for block in blocks:
        ind = block.indicator
        sheet.append([_safe(indicator_heading(ind)), _safe(ind.year_type)])
        sheet.cell(sheet.max_row, 1).font = bold
        sheet.append(["Area", "ONS code", "Region", *block.periods, "Note"])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        number_format = "#,##0" + ("." + "0" * ind.decimals if ind.decimals else "")
        rows = block.rows
        for code, area in rows.groupby("area_code", sort=False) if len(rows) else []:
            first = area.iloc[0]
            by_period = area.set_index("period")
            cells: list[Any] = [
                _safe(str(first["area_name"])),
                _safe(str(code)),
                _safe(str(first["region"] or "")),
            ]
            notes = []
            for p in block.periods:
                r = by_period.loc[p]
                if is_missing(r["value"]):
                    reason = r["missing_reason"]
                    cells.append(format_missing(None if is_missing(reason) else reason))
                    continue
                value = float(r["value"])
                cells.append(float(quantize(value, ind.decimals)) if rounded else value)
                if bool(r["computed"]):
                    notes.append(f"{p}: {r['note']}")
            cells.append(_safe("; ".join(dict.fromkeys(notes))))
            sheet.append(cells)
            for col in range(4, 4 + len(block.periods)):
                cell = sheet.cell(sheet.max_row, col)
                cell.alignment = right
                if rounded and isinstance(cell.value, float):
                    cell.number_format = number_format
        sheet.append([])
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["C"].width = 26
