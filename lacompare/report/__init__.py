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
    # Used by later stages.
    "Document": "lacompare.report._reports",
    "MeasureSpec": "lacompare.report._reports",
    "SourceTracker": "lacompare.report._reports",
    "chart_title": "lacompare.report._reports",
    "check_format": "lacompare.report._reports",
    "check_template": "lacompare.report._reports",
    "is_batch": "lacompare.report._profile_batch",
    "measure_decimals": "lacompare.report._reports",
    "prepare_profiles": "lacompare.report._profile",
    "profile_document": "lacompare.report._profile",
    "require_weasyprint": "lacompare.report._pdf",
    "resolve_measure": "lacompare.report._reports",
    "run_batch": "lacompare.report._profile_batch",
    "sources_table": "lacompare.report._reports",
    "split_specs": "lacompare.report._reports",
    "write_document": "lacompare.report._reports",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
