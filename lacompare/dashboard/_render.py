"""HTML for the dashboard: report documents, charts and the pages without JavaScript.

Charts are drawn in the browser by vega-embed from their Vega-Lite spec
(:func:`lacompare.charts.chart_spec`), inside a ``<figure>`` whose accessible
name is the chart's alt text, with the same text under a "Chart description"
disclosure. Without JavaScript a figure prints its title and alt text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.formatting.tables import ReportTable
    from lacompare.report import Document

esc = html.escape


def query_string(params: Mapping[str, str | Sequence[str] | None]) -> str:
    """A URL query from page state; lists repeat their key, empty values drop.

    Examples
    --------
    >>> query_string({"page": "profile", "la": "E08000035", "m": ["a", "b[x]"],
    ...               "period": None})
    'page=profile&la=E08000035&m=a&m=b%5Bx%5D'
    """
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None or value == "":
            continue
        for item in [value] if isinstance(value, str) else value:
            if item not in (None, ""):
                pairs.append((key, str(item)))
    return urlencode(pairs)


def figure_html(
    chart: Any,
    *,
    interactive: bool = True,
    number: int | None = None,
    caption: str = "",
    fig_id: str | None = None,
) -> str:
    """A chart as a ``<figure>``: drawn by vega-embed, or (``interactive=False``)
    its title and alt text only."""
    from lacompare.charts import chart_spec
    from lacompare.report import chart_title

    alt_text = str(getattr(chart, "description", "") or "")
    title = chart_title(chart) or "Chart"
    label = f"Figure {number}: {title}" if number else title
    fid = fig_id or f"figure-{number or abs(hash(title)) % 10**8}"
    parts = [
        f'<figure class="lac-figure" id="{esc(fid)}" '
        f'aria-labelledby="{esc(fid)}-title">',
        f'<figcaption id="{esc(fid)}-title"><strong>{esc(label)}</strong>'
        + (f" {esc(caption)}" if caption else "")
        + "</figcaption>",
    ]
    if interactive:
        spec = json.dumps(chart_spec(chart))
        parts.append(
            f'<div class="lac-vega" role="img" aria-label="{esc(alt_text)}" '
            f'data-spec="{esc(spec)}"></div>'
        )
        parts.append(
            "<details><summary>Chart description</summary>"
            f"<p>{esc(alt_text)}</p></details>"
        )
    else:
        parts.append(f'<p class="lac-alt">{esc(alt_text)}</p>')
    parts.append("</figure>")
    return "\n".join(parts)


def table_fragment(table: ReportTable, table_id: str | None = None) -> str:
    """A report table as accessible HTML (caption, scoped headers, notes)."""
    from lacompare.formatting.tables import table_html

    return table_html(table, table_id=table_id)


def document_html(
    doc: Document,
    *,
    interactive: bool = True,
    heading_level: int = 2,
    sources: bool = True,
) -> str:
    """A report document's key points and sections as an HTML fragment.

    Section headings start at ``heading_level`` (the page holds the ``<h1>``).
    """
    from lacompare.report import sources_table

    out = []
    if doc.subtitle:
        out.append(f'<p class="lac-subtitle">{esc(doc.subtitle)}</p>')
    if doc.key_points:
        out.append(f"<h{heading_level}>Key points</h{heading_level}>")
        out.append(
            "<ul>" + "".join(f"<li>{esc(k)}</li>" for k in doc.key_points) + "</ul>"
        )
    tables = figures = 0
    for sec in doc.sections:
        level = min(6, heading_level + (sec.level - 2))
        out.append(f"<h{level}>{esc(sec.title)}</h{level}>")
        for block in sec.blocks:
            if block.kind == "p":
                out.append(f"<p>{esc(block.text)}</p>")
            elif block.kind == "note":
                out.append(f'<p class="lac-note">{esc(block.text)}</p>')
            elif block.kind == "list":
                out.append(
                    "<ul>"
                    + "".join(f"<li>{esc(i)}</li>" for i in block.items)
                    + "</ul>"
                )
            elif block.kind == "table" and block.table is not None and block.html:
                tables += 1
                out.append(table_fragment(block.table, f"{doc.name}-table-{tables}"))
            elif block.kind == "figure" and block.figure is not None:
                figures += 1
                out.append(
                    figure_html(
                        block.figure.chart,
                        interactive=interactive,
                        number=figures,
                        caption=block.figure.caption,
                        fig_id=f"{doc.name}-figure-{figures}",
                    )
                )
    if sources and len(doc.sources):
        out.append(f"<h{heading_level}>Sources</h{heading_level}>")
        out.append(table_fragment(sources_table(doc.sources), f"{doc.name}-sources"))
    return "\n".join(out)


def frame_table_html(frame: pd.DataFrame, caption: str, table_id: str) -> str:
    """A small frame of text and counts as an accessible table (the Data page)."""
    from lacompare.formatting.tables import Column, ReportTable

    shown = frame.copy()
    columns = []
    for i, name in enumerate(shown.columns):
        numeric = shown[name].dtype.kind in "iuf"
        if not numeric:
            shown[name] = shown[name].map(
                lambda v: "" if v is None or v != v else str(v)
            )
        columns.append(
            Column(
                str(name),
                str(name).replace("_", " ").capitalize(),
                role="label" if i == 0 else ("rate" if numeric else "text"),
                decimals=0 if numeric else None,
            )
        )
    return table_fragment(ReportTable(caption, shown, columns), table_id)


def about_html(about: Sequence[tuple[str, str]], what: str) -> str:
    """The "About this download" disclosure: what a download holds, column by
    column (as ``templates/page.html.j2`` prints it).

    Examples
    --------
    >>> print(about_html([("la_code, la_name", "the authority")], "Its columns:"))
    <details class="lac-about"><summary>About this download</summary><p>Its columns:</p><dl><dt><code>la_code, la_name</code></dt><dd>the authority</dd></dl></details>
    """  # noqa: E501
    items = "".join(
        f"<dt><code>{esc(names)}</code></dt><dd>{esc(meaning or 'as named')}</dd>"
        for names, meaning in about
    )
    return (
        '<details class="lac-about"><summary>About this download</summary>'
        f"<p>{esc(what)}</p><dl>{items}</dl></details>"
    )


def error_html(message: str) -> str:
    """A one-line error, announced to screen readers."""
    return (
        f'<div class="lac-error" role="alert"><strong>Error:</strong> '
        f"{esc(message)}</div>"
    )


def suggestions_html(error: Exception, path: str) -> str:
    """Links to the authorities a refused name suggests (nearest names, or an
    abolished authority's successors), each to ``path?la=CODE``; '' if none.

    Examples
    --------
    >>> from lacompare.geography import UnknownAuthority, match_authority_strict
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     match_authority_strict("Leicestr")
    ... except UnknownAuthority as err:
    ...     print(suggestions_html(err, "/table/profile"))
    <p class="lac-suggest">Did you mean:
    <a href="/table/profile?la=E06000016">Leicester (E06000016)</a></p>
    """
    from urllib.parse import quote

    offered = getattr(error, "suggestions", ())
    if not offered:
        return ""
    lead = (
        "Its successors: "
        if getattr(error, "reason", "") == "abolished"
        else "Did you mean: "
    )
    links = ", ".join(
        f'<a href="{esc(path)}?la={quote(s.la_code or "dfe:" + s.dfe_code)}">'
        f"{esc(s.label)}</a>"
        for s in offered
    )
    return f'<p class="lac-suggest">{lead}{links}</p>'


def render_page(template: str, **context: Any) -> str:
    """One of the dashboard's server-rendered pages (``templates/``)."""
    return _env().get_template(template).render(**context)


_ENV: Any = None


def _env() -> Any:
    global _ENV
    if _ENV is None:
        from jinja2 import Environment, PackageLoader, select_autoescape

        _ENV = Environment(
            loader=PackageLoader("lacompare.dashboard", "templates"),
            autoescape=select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _ENV
