"""Reports: self-contained HTML pages from tables lacompare computed."""

from lacompare.report._html import format_value, write_demo_report

__all__ = ["write_demo_report", "format_value"]
