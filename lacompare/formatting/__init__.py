"""How figures and tables are printed, the same in every output.

:mod:`lacompare.formatting._format` holds the one rule for each kind of number
(:func:`format_number`, :func:`format_value`, :func:`format_change`,
:func:`format_p`, :func:`format_missing` with :func:`missing_key`);
:mod:`lacompare.formatting.tables` the table model every report, the web app
and the command line print from (:class:`~lacompare.formatting.tables.ReportTable`:
units, rounding, sub-totals and totals, missing-value symbols, sources).

Examples
--------
>>> format_value(0.534, "proportion", 1), format_p(0.0213), format_missing("suppressed")
('53.4%', 'p = 0.021', '[c]')
"""

from __future__ import annotations

from lacompare.formatting._format import (
    MISSING_SYMBOLS,
    NO_FIGURE,
    SYMBOL_ORDER,
    format_change,
    format_missing,
    format_number,
    format_p,
    format_statistic,
    format_value,
    is_missing,
    is_money,
    missing_key,
    missing_key_text,
    quantize,
)

__all__ = [
    "MISSING_SYMBOLS",
    "NO_FIGURE",
    "SYMBOL_ORDER",
    "format_change",
    "format_missing",
    "format_number",
    "format_p",
    "format_statistic",
    "format_value",
    "is_missing",
    "is_money",
    "missing_key",
    "missing_key_text",
    "quantize",
]
