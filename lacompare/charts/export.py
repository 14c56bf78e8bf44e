"""Render charts without a browser: SVG, PNG and PDF by vl-convert, offline HTML.

vl-convert runs Vega in an embedded V8 engine; its first call in a process takes
about a second to start, later calls ~0.1 s. Every render applies the lacompare theme
and British number formats, whatever Altair theme is active.

Examples
--------
>>> import altair as alt, pandas as pd
>>> chart = alt.Chart(pd.DataFrame({"x": [1, 2]}), description="Two dots")
>>> chart = chart.mark_point().encode(x="x:Q")
>>> len(chart_png_bytes(chart, scale=1)) > 100
True
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from .theme import THEME_NAME, register_theme

#: Formats :func:`save_chart` writes, by file suffix.
FORMATS = (".svg", ".png", ".pdf", ".html")

#: Whether :func:`chart_spec` checks each spec against the Vega-Lite schema
#: (Altair's jsonschema validation, about a third of drawing a chart).
_VALIDATE: ContextVar[bool] = ContextVar("lacompare_validate_charts", default=True)


@contextmanager
def trusted_charts() -> Iterator[None]:
    """Draw charts without Altair's schema checks, inside the ``with`` block.

    For a batch drawing the same chart code hundreds of times (a profile of every
    authority): the code is checked when one report or a test draws it, and
    vl-convert still refuses a spec it cannot compile. Both checks are skipped:
    the spec's when it is written (a third of drawing a chart) and each Altair
    object's as it is made (Altair's debug mode: a sixth of a profile). The
    second is a setting of Altair's process, not of this thread: a batch runs in
    processes of its own (or one command's), where nothing else draws meanwhile.

    Examples
    --------
    >>> with trusted_charts():
    ...     chart_spec(_dot())["mark"]["type"]
    'point'
    """
    from altair.utils.schemapi import debug_mode

    token = _VALIDATE.set(False)
    try:
        with debug_mode(False):
            yield
    finally:
        _VALIDATE.reset(token)


def _vl_version() -> str:
    # Render with the Vega-Lite version Altair wrote the spec for ("v6.4.1" -> "6.4").
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"{major}.{minor}"


def _dot() -> alt.Chart:
    """A one-point chart for the examples below."""
    frame = pd.DataFrame({"x": [1.0]})
    return alt.Chart(frame, description="One dot").mark_point().encode(x="x:Q")


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with the lacompare theme applied.

    Use it to embed a chart in a page that loads :func:`vega_embed_bundle`.

    Parameters
    ----------
    chart : altair chart
        Any chart; its ``description`` (alt text) must be set.

    Returns
    -------
    dict
        The Vega-Lite JSON as Python objects, ``config`` holding the theme.

    Raises
    ------
    ValueError
        If the chart has no alt text: no chart leaves lacompare without one.

    Examples
    --------
    >>> chart_spec(_dot())["config"]["font"].startswith("Arial")
    True
    """
    register_theme()
    with alt.theme.enable(THEME_NAME):
        spec = chart.to_dict(validate=_VALIDATE.get())
    if not spec.get("description"):
        raise ValueError("chart has no description (alt text); set chart.description")
    return spec


def _render(spec: dict[str, Any], fmt: str, **options: Any) -> Any:
    """vl-convert's ``vegalite_to_<fmt>``: Altair's Vega-Lite version, British
    number formats (every rendered chart goes through here)."""
    import vl_convert as vlc

    from ._trend import without_click_hints

    spec = without_click_hints(spec)  # static: a click means nothing here
    convert = getattr(vlc, f"vegalite_to_{fmt}")
    return convert(spec, vl_version=_vl_version(), format_locale="en-GB", **options)


def _alt_text(spec: dict[str, Any]) -> str:
    return str(spec.get("description", ""))


def _title(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title or "Chart")


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document, with its alt text as ``<title>``/``<desc>``.

    vl-convert's SVG carries no accessible name, so the root element gets
    ``role="img"`` and ``aria-labelledby`` pointing at the inserted title and
    description.

    Parameters
    ----------
    chart : altair chart
        Any chart with ``description`` set.

    Returns
    -------
    str
        A standalone SVG document, inlinable in HTML.

    Examples
    --------
    >>> svg = chart_svg(_dot())
    >>> svg.startswith("<svg") and '<desc id="lac-desc">One dot</desc>' in svg
    True
    """
    spec = chart_spec(chart)
    svg = _render(spec, "svg")
    name = html.escape(_title(spec), quote=False)
    desc = html.escape(_alt_text(spec), quote=False)
    end = svg.index(">", svg.index("<svg")) + 1
    opening = svg[: end - 1] + ' role="img" aria-labelledby="lac-title lac-desc">'
    inserted = f'<title id="lac-title">{name}</title><desc id="lac-desc">{desc}</desc>'
    return opening + inserted + svg[end:]


def chart_png_bytes(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """The chart as PNG bytes, for embedding in XLSX or PDF.

    Parameters
    ----------
    chart : altair chart
        Any chart with ``description`` set.
    scale : float
        Pixels per CSS pixel: 2 prints sharply at the chart's own size.

    Returns
    -------
    bytes
        A PNG image; keep ``chart.description`` as its alt text where it is placed.

    Examples
    --------
    >>> chart_png_bytes(_dot(), scale=1)[:4]
    b'\\x89PNG'
    """
    return bytes(_render(chart_spec(chart), "png", scale=scale))


def chart_pdf_bytes(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a one-page vector PDF.

    Parameters
    ----------
    chart : altair chart
        Any chart with ``description`` set.

    Returns
    -------
    bytes
        A PDF document the size of the chart.

    Examples
    --------
    >>> chart_pdf_bytes(_dot())[:5]
    b'%PDF-'
    """
    return bytes(_render(chart_spec(chart), "pdf"))


@cache
def vega_embed_bundle() -> str:
    """JavaScript defining ``vegaEmbed``, ``vega`` and ``vegaLite`` with no network.

    Inline it once in a ``<script>`` tag of an HTML report or serve it from the
    dashboard, then call ``vegaEmbed(element, chart_spec(chart))``. Built once per
    process (about 2 s, 0.9 MB).

    Returns
    -------
    str
        The bundle, for the same Vega-Lite version Altair writes specs for.

    Examples
    --------
    >>> bundle = vega_embed_bundle()
    >>> "vegaEmbed" in bundle and "https://cdn" not in bundle
    True
    """
    import vl_convert as vlc

    # The stub marks ``snippet`` required; None selects the default globals snippet.
    return str(vlc.javascript_bundle(None, vl_version=_vl_version()))  # type: ignore[arg-type]


def _script_json(value: Any) -> str:
    # JSON inside <script>: "</" would end the element early.
    return json.dumps(value).replace("</", "<\\/")


def chart_html(chart: alt.TopLevelMixin) -> str:
    """A self-contained HTML page for one chart: no CDN, works offline.

    The alt text is the figure's accessible name and is also printed under the chart
    in a ``<details>`` element for readers who want it in words.

    Parameters
    ----------
    chart : altair chart
        Any chart with ``description`` set.

    Returns
    -------
    str
        An HTML document with Vega, Vega-Lite and vega-embed inlined (~0.9 MB).

    Examples
    --------
    >>> page = chart_html(_dot())
    >>> "https://cdn" in page, "One dot" in page
    (False, True)
    """
    spec = chart_spec(chart)
    desc = html.escape(_alt_text(spec))
    title_text = html.escape(_title(spec))
    options = {"renderer": "svg", "actions": False}
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_text}</title>
<script>{vega_embed_bundle()}</script>
</head>
<body>
<figure role="group" aria-describedby="lac-desc">
<div id="lac-chart" role="img" aria-label="{desc}"></div>
<figcaption><details><summary>Chart description</summary>
<p id="lac-desc">{desc}</p></details></figcaption>
</figure>
<script>
vegaEmbed("#lac-chart", {_script_json(spec)}, {_script_json(options)})
  .catch(console.error);
</script>
</body>
</html>
"""


def save_chart(chart: alt.TopLevelMixin, path: str | Path, scale: float = 2) -> Path:
    """Write a chart to ``path``; the format follows the suffix.

    Parameters
    ----------
    chart : altair chart
        Any chart with ``description`` (alt text) set.
    path : str or Path
        Ending in ``.svg``, ``.png``, ``.pdf`` (rendered by vl-convert, no browser) or
        ``.html`` (one self-contained page: scripts inlined, no CDN).
    scale : float
        PNG pixel density.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, altair as alt, pandas as pd
    >>> c = alt.Chart(pd.DataFrame({"x": [1]}), description="One dot").mark_point()
    >>> out = save_chart(c.encode(x="x:Q"), Path(tempfile.mkdtemp()) / "dot.svg")
    >>> "One dot" in out.read_text()
    True
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        target.write_text(chart_svg(chart), encoding="utf-8")
    elif suffix == ".png":
        target.write_bytes(chart_png_bytes(chart, scale=scale))
    elif suffix == ".pdf":
        target.write_bytes(chart_pdf_bytes(chart))
    elif suffix == ".html":
        target.write_text(chart_html(chart), encoding="utf-8")
    else:
        raise ValueError(
            f"cannot save a chart as {suffix!r}; use one of {', '.join(FORMATS)}"
        )
    return target
