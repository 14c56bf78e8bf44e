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

from lacompare.formatting._format import MISSING_SYMBOLS, format_number
from lacompare.formatting._table_model import (
    _UNIT_DECIMALS,
    MISSING_SUFFIX,
    ROW_ROLES,
    UNIT_DECIMALS,
    Column,
    ColumnRole,
    ReportTable,
    RowRole,
)
from lacompare.formatting._table_render import (
    format_table,
    source_lines,
    symbols_used,
    table_html,
    table_notes,
)
from lacompare.formatting._table_totals import (
    Mismatch,
    plain_number,
    reconcile,
    total_parts,
    with_subtotals,
)

__all__ = [
    "Column",
    "ColumnRole",
    "Mismatch",
    "ReportTable",
    "RowRole",
    "MISSING_SUFFIX",
    "MISSING_SYMBOLS",
    "ROW_ROLES",
    "UNIT_DECIMALS",
    "_UNIT_DECIMALS",
    "format_number",
    "format_table",
    "plain_number",
    "reconcile",
    "source_lines",
    "total_parts",
    "symbols_used",
    "table_notes",
    "table_html",
    "with_subtotals",
]
