"""Reports: tables, workbooks and self-contained HTML pages from the store."""

from lacompare.report._html import format_value, write_demo_report
from lacompare.report._xlsx import write_xlsx
from lacompare.report.tables import (
    Column,
    Mismatch,
    ReportTable,
    format_table,
    reconcile,
    table_html,
    with_subtotals,
)

__all__ = ["write_demo_report", "format_value", "write_xlsx", "Column", "Mismatch",
           "ReportTable", "format_table", "reconcile", "table_html", "with_subtotals"]
