"""Reports: tables, workbooks and self-contained HTML pages from the store.

Names are imported on first use, so the command line starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "write_demo_report": "_html", "format_value": "_html",
    "write_xlsx": "_xlsx",
    "Column": "tables", "Mismatch": "tables", "ReportTable": "tables",
    "format_table": "tables", "reconcile": "tables", "table_html": "tables",
    "with_subtotals": "tables",
    "write_report": "_reports", "build_report": "_reports",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f"lacompare.report.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lacompare.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
