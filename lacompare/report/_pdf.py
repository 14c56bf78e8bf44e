"""PDF reports: the HTML report rendered by WeasyPrint (the ``pdf`` extra).

WeasyPrint lays out the same page as the HTML report with print CSS: A4 pages,
the report's title in the header, "Page n of N" in the footer, and a contents
list whose entries carry their page numbers (``target-counter``). Charts are
PNG images drawn by vl-convert (its own fonts, so labels fit as placed), with
their descriptions as alt text. It needs Pango from the operating system
(present on Debian and Ubuntu; on Windows see WeasyPrint's install notes).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from lacompare.report._reports import Document

__all__ = ["write_pdf", "require_weasyprint", "html_to_pdf"]

INSTALL_HINT = (
    "PDF output needs WeasyPrint: install the pdf extra (pip install 'lacompare[pdf]')"
)


class MissingDependency(LacompareError):
    """An optional dependency is not installed."""


def require_weasyprint() -> Any:
    """The ``weasyprint`` module, or a one-line error naming the extra to install."""
    try:
        import weasyprint
    except ImportError:
        raise MissingDependency(INSTALL_HINT) from None
    except OSError as exc:  # the module is there but Pango is not
        raise MissingDependency(
            f"WeasyPrint cannot load its system libraries (Pango): {exc}"
        ) from None
    return weasyprint


def pdf_bytes(html: str) -> bytes:
    """An HTML page as PDF bytes (tagged, for screen readers); the page must be
    self-contained: only inline ``data:`` resources are read, nothing is fetched."""
    weasyprint = require_weasyprint()
    fetcher_class = getattr(weasyprint, "URLFetcher", None)
    fetcher: Any
    if fetcher_class is not None:  # WeasyPrint 68+
        fetcher = fetcher_class(allowed_protocols=["data"])
    else:  # older releases take a function

        def fetcher(url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"the page tried to fetch {url}")
            return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_tags=True)


def html_to_pdf(html: str, path: str | Path) -> Path:
    """Render an HTML page to a PDF file (no network: every resource is inline)."""
    path = Path(path)
    path.write_bytes(pdf_bytes(html))
    return path


def write_pdf(doc: Document, path: str | Path) -> Path:
    """Write the document as a PDF with page numbers and a contents list."""
    from lacompare.report._reports import render_html

    return html_to_pdf(render_html(doc, pdf=True), path)
