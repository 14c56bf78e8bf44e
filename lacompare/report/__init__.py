"""Reports: tables, workbooks and self-contained HTML pages from the store.

Names are imported on first use, so the command line starts fast.
"""

from __future__ import annotations

from lacompare._lazy import lazy_exports

_EXPORTS = {
    "write_demo_report": "_html",
    "format_value": "_html",
    "write_xlsx": "_xlsx",
    "Column": "tables",
    "Mismatch": "tables",
    "ReportTable": "tables",
    "format_table": "tables",
    "reconcile": "tables",
    "table_html": "tables",
    "with_subtotals": "tables",
    "write_report": "_reports",
    "build_report": "_reports",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
