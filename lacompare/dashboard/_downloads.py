"""The files the pages offer: the profile (PDF, XLSX, HTML) and the explorer's
table (CSV, XLSX), written into a folder the response removes once sent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _views
from lacompare.dashboard._pages import (
    PageError,
    check_measure_query,
    check_profile_query,
    missing_is_404,
    page_state,
)
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.dashboard._state import DashboardStore


def write_profile_download(store: DashboardStore, params: Any, folder: Path) -> Path:
    """The profile as a file (``format`` pdf, xlsx or html) in ``folder``."""
    from lacompare.report import write_document

    state = page_state(params)
    fmt = (params.get("format") or "pdf").lower()
    if fmt not in ("pdf", "xlsx", "html"):
        raise LacompareError(f"format {fmt!r}: choose pdf, xlsx or html")
    if fmt == "pdf":
        from lacompare.report import require_weasyprint

        require_weasyprint()
    if not state["la"]:
        raise PageError("choose an authority (la=NAME or CODE)")
    code = check_profile_query(store, state)
    with missing_is_404():
        doc = _views.profile_document(
            store, code, state["m"] or None, zero=bool(state["zero"])
        )
    name = slug(doc.title) or "profile"
    return write_document(doc, folder / f"{name}.{fmt}", fmt)


def write_measure_download(store: DashboardStore, params: Any, folder: Path) -> Path:
    """The explorer's table as CSV (every comparison column) or XLSX."""
    state = page_state(params)
    fmt = (params.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        raise LacompareError(f"format {fmt!r}: choose csv or xlsx")
    if not state["measure"]:
        raise PageError("choose a measure (measure=KEY)")
    check_measure_query(store, state)
    with missing_is_404():
        view = _views.measure_view(
            store, state["measure"], state["period"], state["group"], state["highlight"]
        )
    path = folder / f"{slug(view.spec.label)}-{slug(view.period)}.{fmt}"
    if fmt == "csv":
        from lacompare.cells import write_csv_safe

        # Authority names, labels and headings come from loaded files: no formulas.
        write_csv_safe(view.shown, path)
        return path
    from lacompare.report import write_xlsx

    sources, _ = _views.data_overview(store)
    return write_xlsx(path, [_views.measure_table(view)], sources, title=view.title)


def slug(text: str) -> str:
    """A file name's part from text: lower case, words joined by hyphens.

    Examples
    --------
    >>> slug("CLA rate, 2024: all authorities")
    'cla-rate-2024-all-authorities'
    """
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:60]
