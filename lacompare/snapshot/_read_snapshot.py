"""Read snapshot values (one row per measure and date) from a CSV or workbook.

The layout is described in :mod:`lacompare.snapshot._read`. Each row is read in
named steps: the measure it names (:func:`match_snapshot_measure`), its
authority and date, and its value with how exactly it is known
(:func:`parse_snapshot_value`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.snapshot._read import (
    Sheet,
    parse_date,
    printed_decimals,
    read_table_cells,
    resolve_la,
)

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.cells import ParsedCell

__all__ = [
    "read_snapshot_file",
    "match_snapshot_measure",
    "parse_snapshot_value",
    "SnapshotMeasure",
]

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class SnapshotMeasure:
    """What a row's ``measure`` cell names: the measure, breakdown, label, unit."""

    measure: str
    breakdown: str
    label: str
    unit: str


def read_snapshot_file(
    path: str | Path,
    *,
    authority: str | None = None,
    date: str | dt.date | None = None,
    sheet: str | None = None,
    synthetic: bool = False,
) -> tuple[pd.DataFrame, IssueLog, Sheet]:
    """Read snapshot values from a CSV or workbook (see the module's layout).

    Parameters
    ----------
    path
        The file.
    authority
        The authority (name or code) when the file has no ``authority`` column.
    date
        The snapshot date when the file has no ``date`` column.
    sheet
        A workbook's sheet.
    synthetic
        Mark the values as synthetic (demo data).

    Returns
    -------
    (DataFrame, IssueLog, Sheet)
        The values (columns :data:`~lacompare.snapshot._store.VALUE_COLUMNS`),
        what was noticed, and the cells read.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write('measure,value\\n"CLA rate (per 10,000)",68\\n'
    ...                        "No of CLA (all ages),602\\n")
    >>> v, log, _ = read_snapshot_file(p, authority="Leicester", date="2024-10-04")
    >>> v[["measure", "breakdown", "value", "half_width"]].values.tolist()
    [['rate_per_10000', 'CLA', 68.0, 0.5], ['open_cases', 'CLA', 602.0, 0.0]]
    """
    import pandas as pd

    cells = read_table_cells(path, sheet)
    _require_headings(cells, authority, date)
    log = IssueLog()
    log.extend(cells.issues)
    fixed_la = resolve_la(authority) if authority else None
    fixed_date = parse_date(date) if date is not None else None
    records: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(cells.rows):
        what = match_snapshot_measure(cells, row, i)
        la = _row_authority(cells, row, i, fixed_la)
        when = _row_date(cells, row, i, fixed_date)
        parsed, raw, half = parse_snapshot_value(cells, row, i, what)
        if parsed.value is None:
            log.add(
                "missing-value",
                f"{what.label}: {raw or 'blank'} kept as missing ({parsed.missing})",
                severity="info",
                column="value",
                value=raw,
                file=cells.file,
                sheet=cells.sheet,
                row=cells.row_numbers[i],
            )
        dup = (la, when, what.measure, what.breakdown)
        if dup in seen:
            raise cells.error(
                f"{what.label} on {when} is given twice (also row {seen[dup]})",
                i,
                "measure",
            )
        seen[dup] = cells.row_numbers[i]
        records.append(
            {
                "la_code": la,
                "snapshot_date": when,
                "measure": what.measure,
                "breakdown": what.breakdown,
                "label": row.get("label") or what.label,
                "unit": what.unit,
                "value": parsed.value,
                "missing_reason": parsed.missing,
                "half_width": half,
                "decimals": printed_decimals(raw) if parsed.value is not None else 0,
                "raw": raw,
                "note": row.get("note"),
                "synthetic": synthetic,
                "source_row": cells.row_numbers[i],
                "source_column": cells.letters["value"],
            }
        )
    if not records:
        raise InputError(
            "no snapshot values in the file", file=cells.file, sheet=cells.sheet
        )
    return pd.DataFrame.from_records(records), log, cells


def _require_headings(
    cells: Sheet, authority: str | None, date: str | dt.date | None
) -> None:
    """The file has a measure and a value, and a date and an authority unless
    the load gives them."""
    cells.require("measure", "value")
    if "date" not in cells.headings and date is None:
        raise InputError(
            "no column 'date': add one or give the snapshot date (--date)",
            file=cells.file,
            sheet=cells.sheet,
        )
    if "authority" not in cells.headings and authority is None:
        raise InputError(
            "no column 'authority': add one or name the authority (--authority)",
            file=cells.file,
            sheet=cells.sheet,
        )


def match_snapshot_measure(
    cells: Sheet, row: dict[str, str | None], i: int
) -> SnapshotMeasure:
    """The measure a row names, by a known label or an id like
    ``open_cases[CP]``, checked against the row's own breakdown and unit."""
    from lacompare.snapshot._vocab import UNITS, match_measure, parse_measure_key

    text = row.get("measure")
    if not text:
        raise cells.error("no measure", i, "measure")
    known = match_measure(text)
    key = parse_measure_key(text)
    if known is not None:
        measure, bd = known.measure, known.breakdown
        label, unit = known.label, known.unit
    elif key is not None:
        measure, bd = key
        label, unit = row.get("label") or text, row.get("unit")
    else:
        raise cells.error(
            f"measure {text!r} is neither a known label nor an id like open_cases[CP]",
            i,
            "measure",
        )
    breakdown = row.get("breakdown")
    if breakdown and bd and breakdown != bd:
        raise cells.error(
            f"breakdown {breakdown!r} contradicts {text!r}", i, "breakdown"
        )
    if row.get("unit") and unit and row["unit"] != unit:
        raise cells.error(
            f"unit {row['unit']!r} contradicts {text!r}'s unit {unit!r}", i, "unit"
        )
    if unit not in UNITS:
        raise cells.error(
            f"measure {text!r} needs a unit: one of {', '.join(UNITS)}", i, "unit"
        )
    return SnapshotMeasure(measure, bd or breakdown or "", label, unit)


def _row_authority(
    cells: Sheet, row: dict[str, str | None], i: int, fixed: str | None
) -> str:
    """The row's authority: its own ``authority`` cell, else the load's."""
    la = fixed
    if "authority" in cells.headings and row.get("authority"):
        la = resolve_la(
            str(row["authority"]),
            file=cells.file,
            sheet=cells.sheet,
            row=cells.row_numbers[i],
            column=cells.headings["authority"],
        )
    if la is None:
        raise cells.error("no authority", i, "authority")
    return la


def _row_date(
    cells: Sheet, row: dict[str, str | None], i: int, fixed: dt.date | None
) -> dt.date:
    """The row's snapshot date: its own ``date`` cell, else the load's."""
    when = fixed
    if "date" in cells.headings and row.get("date"):
        try:
            when = parse_date(row["date"])
        except ValueError as exc:
            raise cells.error(str(exc), i, "date") from None
    if when is None:
        raise cells.error("no date", i, "date")
    return when


def parse_snapshot_value(
    cells: Sheet, row: dict[str, str | None], i: int, what: SnapshotMeasure
) -> tuple[ParsedCell, str, float]:
    """The row's value (a missing one keeps its reason), the text it was read
    from, and its half-width: how far the true figure may be from it.

    A count is exact unless ``rounded`` says yes; a rate or percentage is taken
    as rounded to the decimals it is printed with unless ``rounded`` says no.
    """
    from lacompare.cells import parse_cell

    raw = row.get("value") or ""
    parsed = parse_cell(raw)
    if parsed.missing == "unparsed" or (
        parsed.value is None and parsed.missing is None
    ):
        raise cells.error(f"cannot read {raw!r} as a number", i, "value")
    text, unit = row.get("measure"), what.unit
    if parsed.unit == "%" and unit != "%":
        raise cells.error(
            f"{raw!r} is a percentage but {text!r} is a {unit}", i, "value"
        )
    rounded = (row.get("rounded") or "").lower()
    if rounded and rounded not in _YES | _NO:
        raise cells.error(f"rounded is {rounded!r}: write yes or no", i, "rounded")
    if unit != "count":
        decimals = printed_decimals(raw) if parsed.value is not None else 0
        return parsed, raw, 0.0 if rounded in _NO else 0.5 * 10.0**-decimals
    if parsed.value is not None and not float(parsed.value).is_integer():
        raise cells.error(
            f"{raw!r} is not a whole number, but {text!r} is a count", i, "value"
        )
    return parsed, raw, 0.5 if rounded in _YES else 0.0
