"""Reports a committee can read, from the store: one document, three formats.

A template (``network``, ``la-profile``, ``variation``, ``spend``) builds a
:class:`Document` — sections of sentences,
:class:`~lacompare.formatting.tables.ReportTable` tables and charts — from the
store; the document is then written as

* **HTML**: one self-contained file. Charts are static SVG images inlined as
  ``data:`` URIs with their description as alt text (no script, no CDN, nothing
  fetched), tables are :func:`~lacompare.formatting.tables.table_html` (captions,
  ``th scope``), with a contents list, notes on symbols and a Sources section.
* **PDF**: the same HTML rendered by WeasyPrint (the ``pdf`` extra), with page
  numbers and a contents list with page references; charts are PNG there, drawn
  by vl-convert with its own fonts, so labels measure as the chart placed them.
* **XLSX**: :func:`~lacompare.report._xlsx.write_xlsx`: one sheet per table,
  numbers stored as numbers, frozen headers, charts as images, a Sources sheet.

Every figure can be traced: a document records the loads (``sources`` rows) its
values came from, and every output lists their files, sheets and load times.

Decisions
---------
* Charts in HTML are SVG images, not interactive Vega: a 0.9 MB script per
  report (and per authority, for 153 profiles) buys tooltips but costs
  accessibility, print and offline safety. The SVG keeps text sharp at any zoom.
* A template that needs figures the store lacks stops with a one-line
  :class:`~lacompare.errors.InputError` naming what to load.
* Numbers in sentences use the measure's unit (``£1,732``, ``103%``) and the
  decimals that tell authorities apart (2 for FTE and £ per head).
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.report._document import Block, Document, Figure, Section, chart_title
from lacompare.report._options import check_options
from lacompare.report._render import render_html, write_document_xlsx, write_html
from lacompare.report._sources import SourceTracker, sources_table
from lacompare.report._specs import (
    MeasureSpec,
    parse_measure_spec,
    resolve_measure,
    split_specs,
)
from lacompare.report._words import (
    format_measure_value,
    join_words,
    measure_decimals,
    missing_where,
    possessive,
    sentence_label,
)

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "TEMPLATES",
    "FORMATS",
    "Block",
    "Document",
    "Figure",
    "MeasureSpec",
    "Section",
    "SourceTracker",
    "build_report",
    "chart_title",
    "check_format",
    "check_template",
    "render_html",
    "write_document",
    "write_document_xlsx",
    "write_html",
    "write_report",
    "format_measure_value",
    "join_words",
    "measure_decimals",
    "missing_where",
    "parse_measure_spec",
    "possessive",
    "resolve_measure",
    "sentence_label",
    "sources_table",
    "split_specs",
]

#: Report templates, by CLI name.
TEMPLATES = ("network", "la-profile", "variation", "spend", "scrutiny")
#: Output formats, by CLI name.
FORMATS = ("html", "pdf", "xlsx")


# -------------------------------------------------------------- the entry point


def _builders() -> dict[str, Callable[..., Document]]:
    from lacompare.report._network import build_network
    from lacompare.report._profile import build_profile
    from lacompare.report._scrutiny import build_scrutiny
    from lacompare.report._spend import build_spend
    from lacompare.report._variation import build_variation

    return {
        "network": build_network,
        "la-profile": build_profile,
        "variation": build_variation,
        "spend": build_spend,
        "scrutiny": build_scrutiny,
    }


def check_template(template: str) -> str:
    """The template's canonical name, or an InputError listing them."""
    name = template.strip().lower().replace("_", "-")
    if name in ("profile", "laprofile"):
        name = "la-profile"
    if name not in TEMPLATES:
        raise InputError(
            f"no report template {template!r}; choose one of " + ", ".join(TEMPLATES)
        )
    return name


def check_format(fmt: str | None, out: str | Path | None) -> str:
    """The output format: as given, else from ``out``'s suffix, else html."""
    if fmt is None:
        suffix = Path(out).suffix.lower().lstrip(".") if out else ""
        fmt = suffix if suffix in FORMATS else "html"
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return fmt


def build_report(template: str, store: Store, **options: Any) -> Document:
    """Build a template's :class:`Document` from an open store (no file written)."""
    name = check_template(template)
    return _builders()[name](store, **check_options(name, options))


def write_document(
    doc: Document, out: str | Path, fmt: str, *, interactive: bool = False
) -> Path:
    """Write a built document in a format (``html``, ``pdf`` or ``xlsx``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        return write_html(doc, out, interactive=interactive)
    if fmt == "pdf":
        from lacompare.report._pdf import write_pdf

        return write_pdf(doc, out)
    return write_document_xlsx(doc, out)


def _network_ready(store: Store) -> bool:
    from lacompare.report._network import NETWORK_MEASURES

    have = store.values_relation(columns=["measure"]).distinct().fetchall()
    return set(NETWORK_MEASURES) <= {r[0] for r in have}


def open_report_store(
    stack: ExitStack, template: str, store: Store | str | Path | None
) -> tuple[Store, str | None]:
    """The store a report reads, opened read-only, and a note on where it is from.

    ``None``: the default store; for ``network``, when that has no services'
    returns, the packaged demo data loaded into a temporary folder.
    """
    from lacompare.store import Store as StoreClass
    from lacompare.store import default_db_path, open_store

    if isinstance(store, StoreClass):
        return store, None
    if store is not None:
        path = Path(store)
        if not path.exists():
            raise InputError(
                f"no store at {path}: load data first (lacompare ingest) or check --db"
            )
        return stack.enter_context(open_store(path, read_only=True)), None
    default = default_db_path()
    if default.exists():
        opened = stack.enter_context(open_store(default, read_only=True))
        if template != "network" or _network_ready(opened):
            return opened, None
        opened.close()
    if template != "network":
        raise InputError(
            f"no data for the {template} report: load data into a "
            "store (lacompare ingest) and pass --db"
        )
    from lacompare.report._network import load_network_demo

    folder = Path(
        stack.enter_context(tempfile.TemporaryDirectory(prefix="lacompare-report-"))
    )
    return (
        stack.enter_context(open_store(load_network_demo(folder), read_only=True)),
        "No store was given, so this report uses the packaged demo data "
        "(IASSN 2021 returns).",
    )


def write_report(
    template: str,
    store: Store | str | Path | None = None,
    out: str | Path = "report.html",
    fmt: str | None = None,
    **options: Any,
) -> Path:
    """Build a report from the store and write it as HTML, PDF or XLSX.

    Parameters
    ----------
    template
        ``network`` (a national report from a table of services' returns, like
        the SENDIAS 2021 report), ``la-profile`` (one authority against its
        neighbours, region and England), ``variation`` (an exploratory analysis
        of one measure, like the What Works 2018 report) or ``spend`` (the
        five-factor expected-spend view).
    store
        An open store, a store file, or ``None``: the default store (for
        ``network`` with no services' returns loaded: the packaged demo data).
    out
        The file to write.
    fmt
        ``html``, ``pdf`` (needs the ``pdf`` extra: WeasyPrint) or ``xlsx``;
        default from ``out``'s suffix.
    **options
        The template's options: ``authority``, ``measures``, ``neighbour_set``
        (la-profile); ``measure``, ``factors``, ``periods`` (variation);
        ``target``, ``factors``, ``folds`` (spend); ``exclude`` (all but network).

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> import tempfile
    >>> out = write_report("network", out=Path(tempfile.mkdtemp()) / "n.html")
    >>> "Funding per head" in out.read_text()
    True
    """
    name = check_template(template)
    kind = check_format(fmt, out)
    interactive = bool(options.pop("interactive", False))
    options = check_options(name, options)
    if kind == "pdf":
        from lacompare.report._pdf import require_weasyprint

        require_weasyprint()
    with ExitStack() as stack:
        opened, note = open_report_store(stack, name, store)
        doc = build_report(name, opened, **options)
        if note:
            doc.key_points.insert(0, note)
        return write_document(doc, out, kind, interactive=interactive)


def escape(text: str) -> str:
    """HTML-escape text (for tests and templates)."""
    return html.escape(text)
