"""Report tables: one model printed as great-tables, accessible HTML and XLSX.

A :class:`ReportTable` holds a frame of numbers and says how to print them:
each column's unit and rounding, which rows are sub-totals and totals, what
the missing-value symbols mean and where the figures came from. The same
printing rules (:func:`format_number`) feed :func:`format_table` (great-tables)
and :func:`table_html`, and :func:`~lacompare.report.write_xlsx` uses the
matching Excel number formats, so a figure reads the same in every output.

Conventions
-----------
* Values are stored in the unit the column prints (a ``'£000'`` column holds
  ``81531`` for £81.531m); ``'%'`` values are on the percentage scale (``103``
  prints ``103``), ``'proportion'`` values are fractions (``0.534`` prints
  ``53.4`` under a ``%`` heading).
* The unit goes in the column heading, not in each cell (GSS table guidance).
  Money (any unit starting with ``£``) prints negatives in brackets:
  a budget's income ``-1792`` prints ``(1,792)``.
* A missing value is ``NaN``/``None``; its reason (the ``missing_reason``
  vocabulary of :mod:`lacompare.cells`) may be given in a companion column
  ``<column>__missing`` (the name :func:`lacompare.cells.sql_parse` uses). It
  prints as a symbol (:data:`MISSING_SYMBOLS`) explained in a note. Never 0.
* Row roles (``'item'``, ``'subtotal'``, ``'total'``) come from the frame column
  named by :attr:`ReportTable.role_column` (``row_role``); without it every row
  is an item. Totals of totals (a budget's block totals and grand total) are
  modelled by an outline level in :attr:`ReportTable.level_column`
  (``row_level``):
  see :func:`total_parts`.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from lacompare.formatting._format import (
    MISSING_SYMBOLS,
    format_missing,
    format_number,
    is_missing,
    is_money,
    missing_key,
    quantize,
)

if TYPE_CHECKING:
    from great_tables import GT
    from great_tables._locations import Loc
    from great_tables._text import BaseText

__all__ = [
    "Column",
    "Mismatch",
    "ReportTable",
    "MISSING_SYMBOLS",
    "format_number",
    "format_table",
    "reconcile",
    "total_parts",
    "symbols_used",
    "table_notes",
    "table_html",
    "with_subtotals",
]

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
    if label_column is None:
        label_column = next(
            (
                c
                for c in frame.columns
                if c not in (group, role_column, *values)
                and not str(c).endswith(MISSING_SUFFIX)
            ),
            None,
        )
    if label_column is None:
        raise ValueError("no column to put total labels in: pass label_column")
    others = [
        c
        for c in frame.columns
        if c not in (group, label_column, role_column, *values)
        and not str(c).endswith(MISSING_SUFFIX)
        and pd.api.types.is_numeric_dtype(frame[c])
    ]

    def total_row(rows: pd.DataFrame, text: str, role: str, key: Any) -> dict[str, Any]:
        row: dict[str, Any] = {group: key, label_column: text, role_column: role}
        for c in values:
            present = rows[c].dropna()
            # With skipna, parts all missing still give a missing total, not 0.
            if len(present) == len(rows) or (skipna and len(present)):
                row[c] = present.sum()
            else:
                row[c], row[c + MISSING_SUFFIX] = math.nan, "not-available"
        for c in others:
            row[c], row[c + MISSING_SUFFIX] = math.nan, "not-applicable"
        return row

    items = frame.assign(**{role_column: "item"})
    pieces: list[pd.DataFrame] = []
    for key, rows in items.groupby(group, sort=False, dropna=False):
        sub = total_row(rows, label.format(group=key), "subtotal", key)
        pieces += [rows, pd.DataFrame([sub])]
    if total_label is not None:
        pieces.append(pd.DataFrame([total_row(items, total_label, "total", None)]))
    out = pd.concat(pieces, ignore_index=True)
    for c in values:
        # Sums of whole numbers stay whole numbers, e.g. headcounts print as ints.
        if pd.api.types.is_integer_dtype(frame[c]) and not out[c].isna().any():
            out[c] = out[c].astype(frame[c].dtype)
    return out


def symbols_used(table: ReportTable) -> list[tuple[str, str]]:
    """The missing-value symbols that appear in ``table``, with their meanings.

    Examples
    --------
    >>> f = pd.DataFrame({"la": ["A", "B"], "n": [None, 3.0],
    ...                   "n__missing": ["suppressed", None]})
    >>> symbols_used(ReportTable("t", f))
    [('[c]', 'suppressed to protect confidentiality')]
    """
    return missing_key(
        reason
        for column in table.columns
        if column.numeric
        for reason in table.missing_reasons(column)
        if reason is not None
    )


def table_notes(table: ReportTable) -> list[str]:
    """The notes printed with ``table``: its own, then symbols, brackets, rounding.

    Examples
    --------
    >>> f = pd.DataFrame({"line": ["Income"], "v": [-1792]})
    >>> table_notes(ReportTable("t", f, [Column("line", role="label"),
    ...                                  Column("v", unit="£000")]))
    ['Negative amounts are shown in brackets: (1,792).']
    """
    notes = list(table.notes)
    notes += [f"{symbol} {meaning}" for symbol, meaning in symbols_used(table)]
    for column in table.columns:
        if column.numeric and is_money(column.unit):
            negative = [
                v for v in table.frame[column.name] if not is_missing(v) and v < 0
            ]
            if negative:
                decimals = table.decimals(column)
                example = format_number(negative[0], column.unit, decimals)
                notes.append(f"Negative amounts are shown in brackets: {example}.")
                break
    has_totals = any(r != "item" for r in table.roles())
    rounded = any(c.role == "value" and table.rounding(c) > 0 for c in table.columns)
    if has_totals and rounded:
        notes.append(
            "Figures are rounded, so totals may not equal the sum of their parts."
        )
    return notes


def source_lines(table: ReportTable) -> list[str]:
    return [
        s if s.lower().startswith("source") else f"Source: {s}" for s in table.sources
    ]


def _slug(text: str) -> str:
    # Prefixed: great-tables scopes its CSS as "#<id> ...", and an id that
    # starts with a digit ("2024-budget") is not a valid CSS selector.
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return "lc-" + (slug[:40] or "table")


def _mismatch_note(m: Mismatch) -> str:
    return (
        f"Does not equal the sum of its parts within rounding: the parts sum to "
        f"{plain_number(m.parts_sum)}."
    )


def format_table(
    table: ReportTable, *, check: bool = True, table_id: str | None = None
) -> GT:
    """The table as a great-tables ``GT``, ready for HTML or PDF.

    Units go in the headings, numbers are rounded per column, money negatives
    are bracketed, missing values print as symbols explained in a footnote,
    sub-total and total rows are bold (totals with a rule above), and sources
    are source notes.

    Parameters
    ----------
    table
        The table.
    check
        Run :func:`reconcile` and footnote every total that does not add up.
    table_id
        The HTML id; great-tables prefixes its element ids with it, so several
        tables on one page do not clash (default: from the title).

    Examples
    --------
    >>> f = pd.DataFrame({"line": ["Grant", "Income"], "v": [2409, -1792]})
    >>> t = ReportTable("Budget", f, [Column("line", "Line", role="label"),
    ...                               Column("v", "Budget", unit="£000")])
    >>> html_text = format_table(t).as_raw_html()
    >>> "(1,792)" in html_text and "Budget (£000)" in html_text
    True
    """
    from great_tables import GT, loc, style

    frame = table.frame
    shown = [c.name for c in table.columns]
    # GT's sub_missing only sees NaN/None; infinity counts as missing here too.
    data = frame[shown].replace([math.inf, -math.inf], math.nan)
    if table.group is not None:
        # The grand total belongs to no group: '' gives it no group heading
        # (NaN would print a heading "nan").
        data.insert(
            0,
            table.group,
            ["" if is_missing(g) else str(g) for g in frame[table.group]],
        )
    gt = GT(
        data,
        rowname_col=table.stub,
        groupname_col=table.group,
        id=table_id or _slug(table.title),
    )
    gt = gt.tab_header(title=table.title)
    labels: dict[str, str | BaseText] = {
        c.name: c.heading for c in table.columns if c.name != table.stub
    }
    if labels:
        gt = gt.cols_label(cases=labels)
    if table.stub is not None:
        stub_col = next(c for c in table.columns if c.name == table.stub)
        gt = gt.tab_stubhead(label=stub_col.heading)
    for column in table.columns:
        if not column.numeric:
            continue
        decimals = table.decimals(column)
        gt = gt.fmt(
            partial(format_number, unit=column.unit, decimals=decimals),
            columns=column.name,
        )
        gt = gt.cols_align("right", columns=column.name)
        by_symbol: dict[str, list[int]] = {}
        for row, reason in enumerate(table.missing_reasons(column)):
            if reason is not None:
                symbol = format_missing(reason)
                by_symbol.setdefault(symbol, []).append(row)
        for symbol, rows in by_symbol.items():
            gt = gt.sub_missing(columns=column.name, rows=rows, missing_text=symbol)
    roles = table.roles()
    bold = [i for i, r in enumerate(roles) if r != "item"]
    totals = [i for i, r in enumerate(roles) if r == "total"]

    def rows_at(rows: list[int]) -> list[Loc]:
        return [loc.body(rows=rows)] + ([loc.stub(rows=rows)] if table.stub else [])

    if bold:
        gt = gt.tab_style(style.text(weight="bold"), rows_at(bold))
    if totals:
        gt = gt.tab_style(style.borders(sides="top", weight="2px"), rows_at(totals))
    for note in table_notes(table):
        gt = gt.tab_footnote(note)
    if check:
        for m in reconcile(table):
            gt = gt.tab_footnote(
                _mismatch_note(m), locations=loc.body(columns=m.column, rows=[m.row])
            )
    for line in source_lines(table):
        gt = gt.tab_source_note(line)
    return gt


def _cell_text(
    table: ReportTable, column: Column, row: int, reasons: list[str | None]
) -> str:
    value = table.frame[column.name][row]
    if column.numeric:
        if reasons[row] is not None:
            return format_missing(reasons[row])
        return format_number(value, column.unit, table.decimals(column))
    return "" if is_missing(value) else str(value)


def table_html(
    table: ReportTable, *, table_id: str | None = None, check: bool = True
) -> str:
    """The table as accessible HTML: a fragment to put in a report page.

    A ``<caption>`` names the table; column headings are ``<th scope="col">``,
    row headings ``<th scope="row">`` and group headings ``<th scope="rowgroup">``
    (one ``<tbody>`` per group); sub-totals and totals are ``<strong>``; the
    symbols, notes and sources follow in a block the table points to with
    ``aria-describedby``. No scripts, no external links; numbers are
    right-aligned with an inline style so the fragment reads right without CSS.

    Parameters
    ----------
    table
        The table.
    table_id
        Id of the ``<figure>`` (default: from the title); notes get ``<id>-notes``.
    check
        Mark (†) every total that :func:`reconcile` flags, with a note.

    Examples
    --------
    >>> f = pd.DataFrame({"team": ["A", "Total"], "n": [3, 3],
    ...                   "row_role": ["item", "total"]})
    >>> out = table_html(ReportTable("Staff", f))
    >>> '<caption>Staff</caption>' in out
    True
    >>> '<th scope="row"><strong>Total</strong></th>' in out
    True
    """
    esc = html.escape
    tid = table_id or _slug(table.title)
    roles = table.roles()
    flagged = {(m.row, m.column): m for m in reconcile(table)} if check else {}
    reasons = {c.name: table.missing_reasons(c) for c in table.columns if c.numeric}
    right = ' style="text-align:right"'
    out = [
        f'<figure class="lc-table" id="{esc(tid)}">',
        f'<table aria-describedby="{esc(tid)}-notes">',
        f"<caption>{esc(table.title)}</caption>",
        "<thead><tr>"
        + "".join(
            f'<th scope="col"{right if c.numeric else ""}>{esc(c.heading)}</th>'
            for c in table.columns
        )
        + "</tr></thead>",
    ]
    groups = (
        list(table.frame[table.group]) if table.group else [None] * len(table.frame)
    )
    current: object = object()
    open_body = False
    for row, role in enumerate(roles):
        key = None if is_missing(groups[row]) else groups[row]
        if key != current or not open_body:
            if open_body:
                out.append("</tbody>")
            out.append("<tbody>")
            open_body = True
            if key is not None:
                out.append(
                    f'<tr class="group"><th scope="rowgroup" '
                    f'colspan="{len(table.columns)}">{esc(str(key))}</th></tr>'
                )
            current = key
        cells = []
        for column in table.columns:
            text = esc(_cell_text(table, column, row, reasons.get(column.name, [])))
            if (row, column.name) in flagged:
                text += "<sup>†</sup>"
            if role != "item":
                text = f"<strong>{text}</strong>"
            if column.name == table.stub:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f"<td{right if column.numeric else ''}>{text}</td>")
        out.append(f'<tr class="{role}">' + "".join(cells) + "</tr>")
    if open_body:
        out.append("</tbody>")
    out.append("</table>")
    notes = [esc(n) for n in table_notes(table)]
    notes += [
        f"† {esc(m.label)}, {esc(m.heading)}: {esc(_mismatch_note(m))}"
        for m in flagged.values()
    ]
    out.append(f'<div class="lc-table-notes" id="{esc(tid)}-notes">')
    if notes:
        out.append("<ul>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    out += [f"<p>{esc(s)}</p>" for s in source_lines(table)]
    out += ["</div>", "</figure>"]
    return "\n".join(out)
