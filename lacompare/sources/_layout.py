"""Find where a table starts and name its columns.

Published sheets open with titles, notes and blank rows; the header row is the
first row as wide as the table whose cells are mostly words, not numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lacompare.provenance import IssueLog

_NUMERIC = re.compile(r"^[-+(£]*[0-9][0-9,.]*%?\)?$")
_PERIOD = re.compile(r"^(19|20)[0-9]{2}([-/ ](19|20)?[0-9]{2})?$")

# How far down a sheet a header row is looked for.
HEADER_SCAN_ROWS = 60


def _is_number(text: str) -> bool:
    text = text.strip()
    return bool(_NUMERIC.match(text)) and not _PERIOD.match(text)


def find_header_row(rows: Sequence[Sequence[str]]) -> int | None:
    """Index (0-based) of the row holding column names, or ``None``.

    Examples
    --------
    >>> find_header_row([["Table 1: funding"], [], ["la", "2020", "2021"],
    ...                  ["Leeds", "1", "2"]])
    2
    """
    scan = [list(r) for r in rows[:HEADER_SCAN_ROWS]]
    widths = [sum(1 for c in r if c and c.strip()) for r in scan]
    if not widths or max(widths) < 2:
        return None
    widest = max(widths)
    for i, row in enumerate(scan):
        filled = [c for c in row if c and c.strip()]
        if len(filled) < max(2, 0.6 * widest):
            continue
        numbers = sum(_is_number(c) for c in filled)
        if numbers > len(filled) / 2:
            # Headings can be numbers (ages 0 … 25), but then the data below
            # holds more numbers still.
            below = next(
                (
                    r
                    for r in scan[i + 1 : i + 6]
                    if sum(1 for c in r if c and c.strip()) >= 2
                ),
                None,
            )
            if below is None:
                continue
            below_filled = [c for c in below if c and c.strip()]
            below_share = sum(_is_number(c) for c in below_filled) / len(below_filled)
            # A label column ("la", then ages 0 … 25) gives heading and data rows the
            # same share of numbers, and a suppressed cell gives the data fewer; so
            # numbers counting up one at a time also mark headings (when the data
            # below does not count up too).
            headings = _counts_up(filled) and not _counts_up(below_filled)
            if numbers / len(filled) >= below_share and not headings:
                continue
        # A header is followed by at least one row of data (or ends the file).
        if i + 1 < len(scan) and not any(widths[i + 1 : i + 6]):
            continue
        return i
    return None


def _counts_up(cells: Sequence[str]) -> bool:
    """True when the whole numbers among ``cells`` run n, n+1, n+2 … (ages, months)."""
    ints = [int(c.strip()) for c in cells if c.strip().isdigit()]
    steps = zip(ints, ints[1:], strict=False)
    return len(ints) >= 2 and all(b == a + 1 for a, b in steps)


def header_block_start(
    rows: Sequence[Sequence[str]], index: int, header_rows: int
) -> int:
    """First row of a header ``header_rows`` deep, given the row found by
    :func:`find_header_row`.

    Merged upper rows ("2021" over "Funding" and "FTE") fill fewer cells than the
    table is wide, so detection finds the lowest row of the header; the rows just
    above it belong to the header when they label a column right of the header's
    first one (a title sits alone in the first column).

    Examples
    --------
    >>> rows = [["Table 1"], [], ["", "2021", "", "2022", ""],
    ...         ["la", "Funding", "FTE", "Funding", "FTE"],
    ...         ["Leeds", "1", "2", "3", "4"]]
    >>> find_header_row(rows), header_block_start(rows, 3, 2)
    (3, 2)
    """
    filled = [j for j, c in enumerate(rows[index]) if c and c.strip()]
    first = filled[0] if filled else 0
    start = index
    while start > 0 and index - start < header_rows - 1:
        above = [j for j, c in enumerate(rows[start - 1]) if c and c.strip()]
        if not any(j > first for j in above):
            break
        start -= 1
    return start


def header_names(
    header_rows: Sequence[Sequence[str]],
    issues: IssueLog,
    file: str,
    sheet: str | None,
    first_row: int,
) -> list[str]:
    """Column names from one or more header rows; blanks and duplicates made unique.

    A multi-row header (a merged "2021" over "Funding" and "FTE") is read by carrying
    each upper cell right across the blanks that follow it and joining the rows.

    Examples
    --------
    >>> log = IssueLog()
    >>> header_names([["la", "", "pop", "pop"]], log, "f.csv", None, 1)
    ['la', 'column B', 'pop', 'pop (2)']
    >>> sorted(log.counts())
    ['blank-header', 'duplicate-header']
    """
    width = max((len(r) for r in header_rows), default=0)
    # Trim trailing empty columns of the header when no row below uses them is
    # decided by the caller; here only the header's own extent counts.
    while width and all(
        (len(r) < width or not (r[width - 1] or "").strip()) for r in header_rows
    ):
        width -= 1
    filled_rows = []
    for depth, row in enumerate(header_rows):
        cells = [(row[i] if i < len(row) else "") or "" for i in range(width)]
        if depth < len(header_rows) - 1:
            carried, last = [], ""
            for cell in cells:
                last = cell.strip() or last
                carried.append(last)
            cells = carried
        filled_rows.append([" ".join(c.split()) for c in cells])
    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(width):
        parts = [r[i] for r in filled_rows if r[i]]
        name = " ".join(dict.fromkeys(parts))  # drop a part repeated by merging
        letter = column_letter(i)
        if not name:
            name = f"column {letter}"
            issues.add(
                "blank-header",
                f"column {letter} has no heading; named {name!r}",
                severity="info",
                file=file,
                sheet=sheet,
                row=first_row,
                column=letter,
            )
        key = name.lower()
        if key in seen:
            seen[key] += 1
            new = f"{name} ({seen[key]})"
            issues.add(
                "duplicate-header",
                f"heading {name!r} appears again; this one is named {new!r}",
                file=file,
                sheet=sheet,
                row=first_row,
                column=letter,
            )
            name = new
        else:
            seen[key] = 1
        names.append(name)
    return names


def column_letter(index: int) -> str:
    """A spreadsheet column's letters from its 0-based index.

    Examples
    --------
    >>> column_letter(0), column_letter(27)
    ('A', 'AB')
    """
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
