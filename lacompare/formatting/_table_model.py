"""The table model: :class:`Column` and :class:`ReportTable` (how a table's
columns and rows print). Public names are in :mod:`lacompare.formatting.tables`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import pandas as pd

from lacompare.formatting._format import is_missing, is_money

ColumnRole = Literal["label", "value", "rate", "text"]
RowRole = Literal["item", "subtotal", "total"]
ROW_ROLES: tuple[str, ...] = ("item", "subtotal", "total")

#: Suffix of the companion column holding a value column's missing reasons.
MISSING_SUFFIX = "__missing"


# Default decimals by unit; Column.decimals overrides. Money per head keeps
# pence, £m one decimal (as councils print £115.2m), FTE two (as returns do).
_UNIT_DECIMALS: dict[str, int] = {
    "£": 0,
    "£000": 0,
    "£m": 1,
    "£ per head": 2,
    "%": 0,
    "proportion": 1,
    "FTE": 2,
}
#: The same, public: the decimals a unit prints with by default.
UNIT_DECIMALS = _UNIT_DECIMALS


@dataclass(frozen=True)
class Column:
    """How one column of a :class:`ReportTable` prints.

    Parameters
    ----------
    name
        The frame column.
    label
        Heading text (default ``name``); the unit is added in brackets.
    unit
        ``'£'``, ``'£000'``, ``'£m'``, ``'£ per head'``, ``'%'`` (percentage
        scale), ``'proportion'`` (fractions printed as %), ``'FTE'``, ``'persons'``…
    decimals
        Printed decimals; default by unit (0 for £ and %, 2 for £ per head and
        FTE), else 0 when every value is whole and 1 otherwise.
    role
        ``'label'`` (row headings: the first is the stub), ``'value'`` (additive
        amounts, summed in totals and reconciled), ``'rate'`` (numbers that do
        not add: rates, means, %), ``'text'``.
    rounding
        What the figures were rounded to before printing, in the printed unit:
        ``1`` for whole £000, ``10`` for counts a publisher rounded to the
        nearest 10, ``0`` for exact figures (headcounts), whose totals must equal
        their parts. ``None`` infers it: 0 when the unit is not money or % and
        every value is whole, else one unit of the last printed decimal.

    Examples
    --------
    >>> Column("budget", "Budget", unit="£000").heading
    'Budget (£000)'
    """

    name: str
    label: str | None = None
    unit: str | None = None
    decimals: int | None = None
    role: ColumnRole = "value"
    rounding: float | None = None
    #: Right-align a text column of figures printed already (rows of mixed units).
    right: bool = False

    @property
    def heading(self) -> str:
        """The column heading with the unit: ``'Budget (£000)'``."""
        label = self.label or self.name
        unit = "%" if self.unit == "proportion" else self.unit
        if not unit or f"({unit})" in label:
            return label
        return f"{label} ({unit})"

    @property
    def numeric(self) -> bool:
        """Whether the column holds numbers (a value or a rate)."""
        return self.role in ("value", "rate")


@dataclass
class ReportTable:
    """A table for a report: numbers, how to print them, notes and sources.

    Parameters
    ----------
    title
        The caption (what, where, when: "Children's services budget 2024-25").
    frame
        The rows, in print order.
    columns
        The columns to show, in order. Empty: inferred from the frame (text
        columns are labels, numeric columns are values).
    notes
        Sentences printed under the table before the automatic ones (symbols,
        brackets, rounding).
    sources
        Source lines ("DfE, Children looked after 2024, table A1").
    group
        A frame column whose values head groups of rows (a division, a region).
    role_column
        The frame column with row roles ``'item'|'subtotal'|'total'``; if the
        frame has no such column every row is an item.
    level_column
        The frame column with each row's outline level (0 = the grand total,
        deeper rows higher), for totals of totals; see :func:`total_parts`.
        Not shown. Without it totals follow the row roles alone.
    name
        A short name for a spreadsheet tab (default: the title).

    Examples
    --------
    >>> t = ReportTable("Staff", pd.DataFrame({"team": ["A", "B"], "n": [3, 4]}))
    >>> [c.role for c in t.columns]
    ['label', 'value']
    """

    title: str
    frame: pd.DataFrame
    columns: list[Column] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    group: str | None = None
    role_column: str = "row_role"
    name: str | None = None
    level_column: str = "row_level"

    def __post_init__(self) -> None:
        # Positions, not labels, identify rows from here on (GT and reconcile).
        self.frame = self.frame.reset_index(drop=True)
        if not self.columns:
            hidden = {self.group, self.role_column, self.level_column}
            self.columns = [
                Column(
                    c,
                    role="value"
                    if pd.api.types.is_numeric_dtype(self.frame[c])
                    else "label",
                )
                for c in self.frame.columns
                if c not in hidden and not str(c).endswith(MISSING_SUFFIX)
            ]
        missing = [c.name for c in self.columns if c.name not in self.frame.columns]
        if self.group is not None and self.group not in self.frame.columns:
            missing.append(self.group)
        if missing:
            raise ValueError(
                f"table {self.title!r}: no column(s) {missing} in the frame"
            )
        bad = sorted(set(self.roles()) - set(ROW_ROLES))
        if bad:
            raise ValueError(
                f"table {self.title!r}: unknown row role(s) {bad}; use {ROW_ROLES}"
            )

    def roles(self) -> list[str]:
        """Each row's role (``'item'`` where none is given)."""
        if self.role_column not in self.frame.columns:
            return ["item"] * len(self.frame)
        return [
            r if isinstance(r, str) and r else "item"
            for r in self.frame[self.role_column]
        ]

    def decimals(self, column: Column) -> int:
        """The decimals ``column`` prints with (its own, the unit's, or inferred)."""
        if column.decimals is not None:
            return column.decimals
        if column.unit in _UNIT_DECIMALS:
            return _UNIT_DECIMALS[column.unit]
        values = pd.to_numeric(self.frame[column.name], errors="coerce").dropna()
        return 0 if all(float(v).is_integer() for v in values) else 1

    def rounding(self, column: Column) -> Decimal:
        """What ``column``'s figures were rounded to (0: exact; see :class:`Column`)."""
        if column.rounding is not None:
            return Decimal(repr(float(column.rounding)))
        step = Decimal(1).scaleb(-self.decimals(column))
        if is_money(column.unit) or column.unit in ("%", "proportion"):
            return step
        values = pd.to_numeric(self.frame[column.name], errors="coerce").dropna()
        whole = all(float(v).is_integer() for v in values)
        return Decimal(0) if whole and self.decimals(column) == 0 else step

    def missing_reasons(self, column: Column) -> list[str | None]:
        """For each row, why ``column`` is missing there (``None`` if it has a value).

        A missing value with no stated reason is ``'blank'`` (printed '–').
        """
        values = self.frame[column.name]
        companion = column.name + MISSING_SUFFIX
        reasons = (
            self.frame[companion]
            if companion in self.frame.columns
            else pd.Series([None] * len(values))
        )
        out: list[str | None] = []
        for value, reason in zip(values, reasons, strict=True):
            if not is_missing(value):
                out.append(None)
            else:
                out.append(reason if isinstance(reason, str) and reason else "blank")
        return out

    @property
    def stub(self) -> str | None:
        """The first label column: the row headings."""
        return next((c.name for c in self.columns if c.role == "label"), None)
