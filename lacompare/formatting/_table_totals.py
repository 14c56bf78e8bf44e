"""Totals in report tables: which rows a total sums (:func:`total_parts`), whether
printed totals add up (:func:`reconcile`), and adding them (:func:`with_subtotals`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from lacompare.formatting._format import is_missing, quantize
from lacompare.formatting._table_model import (
    MISSING_SUFFIX,
    ReportTable,
)


@dataclass(frozen=True)
class Mismatch:
    """A printed total that is not the sum of its printed parts within rounding."""

    row: int
    label: str
    column: str
    heading: str
    printed: float
    parts_sum: float
    tolerance: float
    parts: tuple[int, ...]

    @property
    def difference(self) -> float:
        """Printed total minus the sum of the printed parts."""
        return self.printed - self.parts_sum

    def __str__(self) -> str:
        return (
            f"{self.label} ({self.heading}): printed {plain_number(self.printed)} but "
            f"its {len(self.parts)} parts sum to {plain_number(self.parts_sum)} "
            f"(difference {plain_number(self.difference)}, allowed "
            f"±{plain_number(self.tolerance)})"
        )


def plain_number(number: float) -> str:
    # Grouped, no exponent, no trailing zeros: 1234567.0 -> '1,234,567'
    # (the 'g' format would print '1.23457e+06').
    return f"{number:,.10f}".rstrip("0").rstrip(".")


def _levels(table: ReportTable) -> list[int | None] | None:
    column = table.frame.get(table.level_column)
    if column is None or not pd.api.types.is_numeric_dtype(column):
        return None
    levels = [None if is_missing(v) else int(v) for v in column]
    return levels if any(v is not None for v in levels) else None


def total_parts(table: ReportTable) -> dict[int, list[int]]:
    """Each sub-total and total row's parts (row positions).

    With an outline level (:attr:`ReportTable.level_column`), a total at level
    *L* sums the rows at level *L + 1* above it, back to the previous row at
    level *L* or above; deeper rows in between are parts of those parts. Any
    row may be a part, so a block total can sum sub-totals, a grand total block
    totals, and a figure printed bold with no parts of its own (a grant) is a
    leaf. Without levels: see :func:`reconcile`.

    Examples
    --------
    >>> f = pd.DataFrame({"line": ["a", "b", "A", "c", "B", "All"],
    ...     "v": [1, 2, 3, 4, 4, 7], "row_level": [2, 2, 1, 2, 1, 0],
    ...     "row_role": ["item", "item", "subtotal", "item", "subtotal", "total"]})
    >>> total_parts(ReportTable("t", f))
    {2: [0, 1], 4: [3], 5: [2, 4]}
    """
    roles = table.roles()
    levels = _levels(table)
    parts: dict[int, list[int]] = {}
    if levels is not None:
        for i, role in enumerate(roles):
            level = levels[i]
            if role == "item" or level is None:
                continue
            rows = []
            for j in range(i - 1, -1, -1):
                above = levels[j]
                if above is None:
                    continue
                if above <= level:
                    break
                if above == level + 1:
                    rows.append(j)
            parts[i] = sorted(rows)
        return parts
    groups = list(table.frame[table.group]) if table.group else None
    start_total = start_sub = 0
    covered: set[int] = set()
    for i, role in enumerate(roles):
        if role == "subtotal":
            if groups is not None and not is_missing(groups[i]):
                rows = [
                    j
                    for j in range(start_total, i)
                    if roles[j] == "item" and groups[j] == groups[i]
                ]
            else:
                rows = [j for j in range(start_sub, i) if roles[j] == "item"]
            parts[i] = rows
            covered.update(rows)
            start_sub = i + 1
        elif role == "total":
            parts[i] = [
                j
                for j in range(start_total, i)
                if roles[j] == "subtotal" or (roles[j] == "item" and j not in covered)
            ]
            start_total = start_sub = i + 1
    return parts


def reconcile(table: ReportTable) -> list[Mismatch]:
    """Check every printed sub-total and total against the sum of its parts.

    Parts: a ``'subtotal'`` sums the ``'item'`` rows of its group since the last
    ``'total'`` (with no group column: the items since the last sub-total or
    total). A ``'total'`` sums the sub-totals since the last total, plus any
    items there that no sub-total covers — what a reader adds up on the page.
    With an outline level column, the parts follow the levels instead
    (:func:`total_parts`): totals of sub-totals, nested as deep as printed.

    Tolerance: values are compared as printed (rounded to the column's
    decimals). Each printed figure may be off its true value by half a unit of
    the rounding (:attr:`Column.rounding`; by default one unit of the last
    printed decimal), so a total of *n* printed parts may differ from their sum
    by up to ``0.5 × rounding × (n + 1)`` — the parts' errors plus the total's
    own: ±6.5 for a sub-total of twelve £000 lines. Exact figures (rounding 0,
    e.g. headcounts) must match exactly.
    Only ``'value'`` columns are checked; a total or part that is missing
    cannot be checked and is skipped.

    Parameters
    ----------
    table
        The table to check.

    Returns
    -------
    list of Mismatch
        One per total cell that does not reconcile; empty when all do.

    Examples
    --------
    1.4 and 2.4 print as 1 and 2, their total 3.8 as 4: that is rounding.

    >>> import pandas as pd
    >>> from lacompare.formatting.tables import Column, ReportTable
    >>> f = pd.DataFrame({"line": ["a", "b", "Total"], "v": [1.4, 2.4, 3.8],
    ...                   "row_role": ["item", "item", "total"]})
    >>> columns = [Column("line", role="label"), Column("v", decimals=0)]
    >>> reconcile(ReportTable("t", f, columns))
    []
    >>> f.loc[2, "v"] = 6
    >>> [str(m) for m in reconcile(ReportTable("t", f, columns))]
    ['Total (v): printed 6 but its 2 parts sum to 3 (difference 3, allowed ±1.5)']
    """
    parts = total_parts(table)
    stub = table.stub
    out: list[Mismatch] = []
    for column in table.columns:
        if column.role != "value":
            continue
        decimals = table.decimals(column)
        scale = 100 if column.unit == "proportion" else 1
        values = list(table.frame[column.name])
        for row, rows in parts.items():
            cells = [values[row], *(values[j] for j in rows)]
            if not rows or any(is_missing(v) for v in cells):
                continue
            printed = quantize(float(values[row]) * scale, decimals)
            parts_sum = sum(
                (quantize(float(values[j]) * scale, decimals) for j in rows),
                Decimal(0),
            )
            tolerance = Decimal("0.5") * table.rounding(column) * (len(rows) + 1)
            if abs(printed - parts_sum) > tolerance:
                label = str(table.frame[stub][row]) if stub else f"row {row + 1}"
                out.append(
                    Mismatch(
                        row,
                        label,
                        column.name,
                        column.heading,
                        float(printed),
                        float(parts_sum),
                        float(tolerance),
                        tuple(rows),
                    )
                )
    return out


def with_subtotals(
    frame: pd.DataFrame,
    group: str,
    value_columns: Sequence[str],
    label: str = "Total {group}",
    *,
    label_column: str | None = None,
    total_label: str | None = "Total",
    role_column: str = "row_role",
    skipna: bool = False,
) -> pd.DataFrame:
    """Add a sub-total after each group's rows and a grand total at the end.

    Groups keep the order they first appear in. Other numeric columns (rates,
    means) do not add up: they are left missing in total rows, with reason
    ``'not-applicable'`` (printed [z]).

    Parameters
    ----------
    frame
        Item rows.
    group
        The column to group by (a division, an authority type).
    value_columns
        The additive columns to sum.
    label
        The sub-total row's label; ``{group}`` is replaced by the group's value.
    label_column
        Where labels go (default: the first column that is neither ``group`` nor
        a value column).
    total_label
        The grand total's label; ``None`` adds no grand total.
    role_column
        The column to write row roles in (``'item'``, ``'subtotal'``, ``'total'``).
    skipna
        Sum the values present when a part is missing. By default a total with a
        missing part is itself missing (reason ``'not-available'``): summing the
        rest would understate it without saying so. If you pass ``True``, say so
        in the table's notes.

    Returns
    -------
    DataFrame
        The rows with totals, index reset; grand total's ``group`` is missing.

    Examples
    --------
    >>> f = pd.DataFrame({"division": ["A", "A", "B"], "service": ["x", "y", "z"],
    ...                   "staff": [1, 37, 8]})
    >>> t = with_subtotals(f, "division", ["staff"])
    >>> t[["service", "staff", "row_role"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['x', 1, 'item'], ['y', 37, 'item'], ['Total A', 38, 'subtotal'],
     ['z', 8, 'item'], ['Total B', 8, 'subtotal'], ['Total', 46, 'total']]
    """
    roles = frame[role_column] if role_column in frame.columns else None
    if roles is not None and (roles.fillna("item") != "item").any():
        raise ValueError(f"frame already has total rows in {role_column!r}")
    values = list(value_columns)
    label_column = label_column or _label_column(frame, group, role_column, values)
    others = [
        c
        for c in frame.columns
        if c not in (group, label_column, role_column, *values)
        and not str(c).endswith(MISSING_SUFFIX)
        and pd.api.types.is_numeric_dtype(frame[c])
    ]
    layout = _TotalLayout(group, label_column, role_column, values, others, skipna)
    items = frame.assign(**{role_column: "item"})
    pieces: list[pd.DataFrame] = []
    for key, rows in items.groupby(group, sort=False, dropna=False):
        sub = layout.row(rows, label.format(group=key), "subtotal", key)
        pieces += [rows, pd.DataFrame([sub])]
    if total_label is not None:
        pieces.append(pd.DataFrame([layout.row(items, total_label, "total", None)]))
    out = pd.concat(pieces, ignore_index=True)
    for c in values:
        # Sums of whole numbers stay whole numbers, e.g. headcounts print as ints.
        if pd.api.types.is_integer_dtype(frame[c]) and not out[c].isna().any():
            out[c] = out[c].astype(frame[c].dtype)
    return out


def _label_column(
    frame: pd.DataFrame, group: str, role_column: str, values: list[str]
) -> str:
    """The first column that is neither the group, a role nor a value: where
    :func:`with_subtotals` writes total labels."""
    found = next(
        (
            c
            for c in frame.columns
            if c not in (group, role_column, *values)
            and not str(c).endswith(MISSING_SUFFIX)
        ),
        None,
    )
    if found is None:
        raise ValueError("no column to put total labels in: pass label_column")
    return str(found)


@dataclass(frozen=True)
class _TotalLayout:
    """Where a total row's label, role and sums go (:func:`with_subtotals`)."""

    group: str
    label_column: str
    role_column: str
    values: list[str]
    others: list[str]
    skipna: bool

    def row(self, rows: pd.DataFrame, text: str, role: str, key: Any) -> dict[str, Any]:
        """The total of ``rows``: values summed, other numbers not applicable."""
        row: dict[str, Any] = {
            self.group: key,
            self.label_column: text,
            self.role_column: role,
        }
        for c in self.values:
            present = rows[c].dropna()
            # With skipna, parts all missing still give a missing total, not 0.
            if len(present) == len(rows) or (self.skipna and len(present)):
                row[c] = present.sum()
            else:
                row[c], row[c + MISSING_SUFFIX] = math.nan, "not-available"
        for c in self.others:
            row[c], row[c + MISSING_SUFFIX] = math.nan, "not-applicable"
        return row
