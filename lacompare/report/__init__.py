"""Reports: tables, workbooks and self-contained HTML pages from the store.

Names are imported on first use, so the command line starts fast.
"""

from __future__ import annotations

from lacompare._lazy import lazy_exports

_EXPORTS = {
    "write_demo_report": "_html",
    "format_value": "_html",
    "write_xlsx": "_xlsx",
    "Column": "lacompare.formatting.tables",
    "Mismatch": "lacompare.formatting.tables",
    "ReportTable": "lacompare.formatting.tables",
    "format_table": "lacompare.formatting.tables",
    "reconcile": "lacompare.formatting.tables",
    "table_html": "lacompare.formatting.tables",
    "with_subtotals": "lacompare.formatting.tables",
    "write_report": "_reports",
    "build_report": "_reports",
    # Used by later stages.
    "Document": "lacompare.report._reports",
    "MeasureSpec": "lacompare.report._reports",
    "SourceTracker": "lacompare.report._reports",
    "chart_title": "lacompare.report._reports",
    "check_format": "lacompare.report._reports",
    "check_options": "lacompare.report._options",
    "count_delivery": "lacompare.report._network_data",
    "NETWORK_MEASURES": "lacompare.report._network_data",
    "load_network_demo": "lacompare.report._network_data",
    "options_from_flags": "lacompare.report._options",
    "check_template": "lacompare.report._reports",
    "grouped_document": "lacompare.report._grouped",
    "is_batch": "lacompare.report._profile_batch",
    "measure_decimals": "lacompare.report._reports",
    "prepare_profiles": "lacompare.report._profile",
    "profile_document": "lacompare.report._profile",
    "require_weasyprint": "lacompare.report._pdf",
    "pdf_bytes": "lacompare.report._pdf",
    "resolve_measure": "lacompare.report._reports",
    "run_batch": "lacompare.report._profile_batch",
    "sources_table": "lacompare.report._reports",
    "split_specs": "lacompare.report._reports",
    "write_document": "lacompare.report._reports",
    "Site": "lacompare.report._site",
    "headline_data": "lacompare.report._site",
    "run_site": "lacompare.report._site",
    "write_site": "lacompare.report._site",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
