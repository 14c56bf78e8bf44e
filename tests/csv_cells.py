"""What the CSV formula-injection tests plant, and the check every CSV must pass.

The check is written independently of :mod:`lacompare.cells._csv_safe` (it reads the
file with the csv module and asks Python whether a cell is a number), so a mistake in
the rule cannot hide itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

#: Cells a hostile source or return might hold; each must come out neutralised.
HOSTILE = (
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\t=1",
    "\r=1",
)
#: A real negative number, which must stay a number.
NEGATIVE = "-3.5"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(cell: str) -> bool:
    try:
        # A spreadsheet reads '-12.5%' and '-£1,200' as numbers, not formulas.
        float(cell.replace(",", "").replace("£", "", 1).removesuffix("%"))
    except ValueError:
        return False
    return cell.strip() == cell and cell.lower().lstrip("+-") not in (
        "inf",
        "nan",
        "infinity",
    )


def cells(text: str | bytes | Path) -> list[str]:
    """Every cell of a CSV (text, bytes or path), read as the csv module reads it."""
    if isinstance(text, Path):
        # newline="": a carriage return inside a quoted cell stays one.
        with open(text, newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    elif isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def formula_cells(text: str | bytes | Path) -> list[str]:
    """Every cell of a CSV that a spreadsheet would read as a formula."""
    return [
        cell
        for cell in cells(text)
        if cell.startswith(TRIGGERS) and not _is_number(cell)
    ]


def assert_csv_safe(
    text: str | bytes | Path, *, planted: tuple[str, ...] = HOSTILE
) -> None:
    """No cell starts with formula text, and each planted cell is there, quoted."""
    found = cells(text)
    assert not formula_cells(text), formula_cells(text)
    for cell in planted:
        assert "'" + cell in found, (cell, found)
