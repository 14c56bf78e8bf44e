"""Writing a :class:`~lacompare.report._document.Document`: one self-contained
HTML page (also WeasyPrint's input for PDF) or an XLSX workbook."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lacompare.formatting import MISSING_SYMBOLS, missing_key
from lacompare.formatting.tables import table_html
from lacompare.report._document import Block, Document, Figure
from lacompare.report._sources import sources_table

_ID_ATTR = re.compile(r'\bid="([^"]+)"')


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "section"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _svg_image(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _png_image(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _svg_size(svg: str) -> tuple[float | None, float | None]:
    head = svg[: svg.find(">", svg.find("<svg")) + 1]
    w = re.search(r'\bwidth="([\d.]+)', head)
    h = re.search(r'\bheight="([\d.]+)', head)
    return (float(w.group(1)) if w else None, float(h.group(1)) if h else None)


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("lacompare.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _symbol_notes() -> list[tuple[str, str]]:
    """The key of every missing-value symbol (the reading notes list them all)."""
    return missing_key(MISSING_SYMBOLS)


@dataclass
class _Counter:
    """Tables and figures numbered through the document, and section ids taken."""

    tables: int = 0
    figures: int = 0
    taken: set[str] = field(
        default_factory=lambda: {"contents", "how-to-read", "sources"}
    )


def render_html(doc: Document, *, pdf: bool = False, interactive: bool = False) -> str:
    """The document as one self-contained HTML page (``pdf``: for WeasyPrint).

    Parameters
    ----------
    doc
        The document.
    pdf
        Render for print: charts as PNG, CSS for pages, page numbers and a
        contents list with page references.
    interactive
        Also draw each chart with Vega (tooltips), from the Vega-Lite spec and a
        vega-embed bundle inlined in the page (about 0.9 MB more; nothing fetched).
        The static image stays as the fallback without JavaScript.
    """
    from markupsafe import Markup

    count = _Counter()
    sections = []
    for sec in doc.sections:
        sec.id = sec.id or _slug(sec.title, count.taken)
        blocks = [
            b
            for b in (_block(block, count, pdf, interactive) for block in sec.blocks)
            if b is not None
        ]
        sections.append(
            {"id": sec.id, "title": sec.title, "level": sec.level, "blocks": blocks}
        )
    sources = (
        Markup(
            table_html(
                sources_table(doc.sources), table_id="sources-table", check=False
            )
        )
        if len(doc.sources)
        else None
    )
    bundle = None
    if interactive and not pdf and count.figures:
        from lacompare.charts import vega_embed_bundle

        bundle = Markup(vega_embed_bundle().replace("</script", "<\\/script"))
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            doc=doc,
            sections=sections,
            contents=_contents(sections),
            sources=sources,
            pdf=pdf,
            symbols=_symbol_notes(),
            tables=count.tables,
            figures=count.figures,
            bundle=bundle,
        )
    )


def _block(
    b: Block, count: _Counter, pdf: bool, interactive: bool
) -> dict[str, Any] | None:
    """One block of a section as the template takes it (None: not in HTML)."""
    from markupsafe import Markup

    if b.kind == "table" and b.table is not None:
        if not b.html:
            return None
        count.tables += 1
        tid = f"table-{count.tables}"
        return {"kind": "table", "html": Markup(table_html(b.table, table_id=tid))}
    if b.kind == "figure" and b.figure is not None:
        count.figures += 1
        return _figure_block(b.figure, count.figures, pdf, interactive)
    return {"kind": b.kind, "text": b.text, "items": b.items}


def _figure_block(
    fig: Figure, number: int, pdf: bool, interactive: bool
) -> dict[str, Any]:
    """A chart as an inlined image (SVG; PNG for print), and its Vega-Lite spec
    when ``interactive``."""
    from markupsafe import Markup

    fig.number = number
    width: float | None
    if pdf:
        png = fig.png()
        src = _png_image(png)
        # IHDR width, at scale 2: the chart's own size in CSS px.
        width = int.from_bytes(png[16:20], "big") / 2
    else:
        svg = fig.svg()
        src = _svg_image(svg)
        width, _ = _svg_size(svg)
    spec = None
    if interactive and not pdf:
        from lacompare.charts import chart_spec

        spec = Markup(json.dumps(chart_spec(fig.chart)).replace("</", "<\\/"))
    return {
        "kind": "figure",
        "id": f"figure-{number}",
        "number": number,
        "src": src,
        "spec": spec,
        "alt": fig.description or fig.title,
        "title": fig.title,
        "caption": fig.caption,
        "width": width,
    }


def _contents(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contents list: main sections, each with its level-3 sections."""
    contents: list[dict[str, Any]] = []
    for item in sections:
        entry = {"id": item["id"], "title": item["title"], "children": []}
        if item["level"] > 2 and contents:
            contents[-1]["children"].append(entry)
        else:
            contents.append(entry)
    return contents


def write_html(doc: Document, path: str | Path, *, interactive: bool = False) -> Path:
    """Write the document as one self-contained HTML file."""
    path = Path(path)
    path.write_text(render_html(doc, interactive=interactive), encoding="utf-8")
    return path


def write_document_xlsx(
    doc: Document, path: str | Path, *, charts: bool = True
) -> Path:
    """Write the document's tables (and charts as images) with :func:`write_xlsx`."""
    from lacompare.report._xlsx import write_xlsx

    images: dict[str, tuple[bytes, str]] = {}
    if charts:
        for n, fig in enumerate(doc.figures(), start=1):
            key = fig.name or f"Figure {n}"
            while key in images:
                key += " (2)"
            images[key] = (fig.png(), fig.description or fig.title)
    sources = doc.sources.rename(
        columns={
            "file": "File",
            "sheet": "Sheet",
            "loaded_at": "Loaded at",
            "what": "Measures used",
            "values": "Values loaded",
            "sha256": "SHA-256 (first 12)",
            "path": "Path",
        }
    )
    return write_xlsx(path, doc.tables("xlsx"), sources, title=doc.title, charts=images)
