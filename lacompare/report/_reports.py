"""Reports a committee can read, from the store: one document, three formats.

A template (``network``, ``la-profile``, ``variation``, ``spend``) builds a
:class:`Document` — sections of sentences, :class:`~lacompare.formatting.tables.ReportTable`
tables and charts — from the store; the document is then written as

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

import base64
import datetime as dt
import html
import json
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.errors import InputError
from lacompare.formatting.tables import (
    _UNIT_DECIMALS,
    MISSING_SYMBOLS,
    ReportTable,
    format_number,
    table_html,
)

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = [
    "TEMPLATES",
    "FORMATS",
    "Document",
    "Figure",
    "Section",
    "build_report",
    "render_html",
    "write_report",
    "format_measure_value",
    "measure_decimals",
    "missing_where",
    "parse_measure_spec",
    "split_specs",
]

#: Report templates, by CLI name.
TEMPLATES = ("network", "la-profile", "variation", "spend", "scrutiny")
#: Output formats, by CLI name.
FORMATS = ("html", "pdf", "xlsx")


# ---------------------------------------------------------------- the document


def chart_title(chart: Any) -> str:
    title = getattr(chart, "title", None)
    text = getattr(title, "text", title)
    if isinstance(text, (list, tuple)):
        text = " ".join(map(str, text))
    return text if isinstance(text, str) else ""


@dataclass
class Figure:
    """A chart in a report: an Altair chart with ``description`` (alt text) set.

    ``caption`` is printed under the chart after its title (a source, a note on
    what the marks mean). ``name`` is the short sheet name in XLSX.
    """

    chart: Any
    caption: str = ""
    name: str | None = None
    number: int = 0
    _svg: str | None = field(default=None, repr=False)
    _png: bytes | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        """The chart's title (or its name) as text."""
        return chart_title(self.chart) or self.name or "Chart"

    @property
    def description(self) -> str:
        """The chart's alt text."""
        text = getattr(self.chart, "description", "")
        return text if isinstance(text, str) else ""

    def svg(self) -> str:
        """The chart as SVG (rendered once)."""
        if self._svg is None:
            from lacompare.charts import chart_svg

            self._svg = chart_svg(self.chart)
        return self._svg

    def png(self) -> bytes:
        """The chart as PNG at twice its size (rendered once)."""
        if self._png is None:
            from lacompare.charts import chart_png_bytes

            self._png = chart_png_bytes(self.chart, scale=2)
        return self._png


@dataclass
class Block:
    """One piece of a section: ``p``, ``list``, ``table``, ``figure`` or ``note``.

    A table can be shown in HTML/PDF only (``xlsx=False``: e.g. a table of
    pre-formatted mixed units) or in XLSX only (``html=False``: its numeric twin).
    """

    kind: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    table: ReportTable | None = None
    figure: Figure | None = None
    html: bool = True
    xlsx: bool = True


@dataclass
class Section:
    """A headed part of a report; ``level`` 2 (a main section) or 3."""

    title: str
    id: str = ""
    level: int = 2
    blocks: list[Block] = field(default_factory=list)

    def p(self, text: str) -> Section:
        """Add a paragraph (plain text)."""
        if text:
            self.blocks.append(Block("p", text=text))
        return self

    def note(self, text: str) -> Section:
        """Add a note (smaller print)."""
        if text:
            self.blocks.append(Block("note", text=text))
        return self

    def bullets(self, items: Iterable[str]) -> Section:
        """Add a bulleted list."""
        items = [i for i in items if i]
        if items:
            self.blocks.append(Block("list", items=items))
        return self

    def table(
        self, table: ReportTable, *, html: bool = True, xlsx: bool = True
    ) -> Section:
        """Add a table."""
        self.blocks.append(Block("table", table=table, html=html, xlsx=xlsx))
        return self

    def figure(self, chart: Any, caption: str = "", name: str | None = None) -> Section:
        """Add a chart (an Altair chart with a description)."""
        self.blocks.append(Block("figure", figure=Figure(chart, caption, name)))
        return self


@dataclass
class Document:
    """A report: a title, key points, sections, and the loads behind it."""

    template: str
    title: str
    subtitle: str = ""
    key_points: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    reading_notes: list[str] = field(default_factory=list)
    generated: str = field(default_factory=lambda: dt.date.today().isoformat())
    name: str = "report"

    def section(self, title: str, level: int = 2) -> Section:
        """Add and return a new section."""
        sec = Section(title, level=level)
        self.sections.append(sec)
        return sec

    def tables(self, fmt: str = "html") -> list[ReportTable]:
        """The document's tables for a format, in order."""
        return [
            b.table
            for s in self.sections
            for b in s.blocks
            if b.kind == "table"
            and b.table is not None
            and (b.html if fmt != "xlsx" else b.xlsx)
        ]

    def figures(self) -> list[Figure]:
        """The document's charts, in order."""
        return [
            b.figure
            for s in self.sections
            for b in s.blocks
            if b.kind == "figure" and b.figure is not None
        ]


# ------------------------------------------------------------ numbers in words


def measure_decimals(values: Iterable[Any], unit: str | None = None) -> int:
    """Decimals that tell authorities' values apart without false precision.

    FTE and £ per head keep 2 (as returns print them); otherwise whole numbers
    print whole, and fractions get up to 2 decimals by their spread.

    Examples
    --------
    >>> measure_decimals([22, 165]), measure_decimals([0.12, 0.31, 0.2])
    (0, 2)
    >>> measure_decimals([2.04, 5.6], "FTE"), measure_decimals([1.5, 9.2, 30.25])
    (2, 1)
    """
    if unit in _UNIT_DECIMALS and unit not in ("%", "£", "£000"):
        return _UNIT_DECIMALS[unit]
    arr = [float(v) for v in values if v is not None and _finite(v)]
    if not arr:
        return 0
    held = next(
        (d for d in range(3) if all(abs(round(v, d) - v) < 1e-9 for v in arr)), 2
    )
    spread = (max(arr) - min(arr)) or abs(max(arr)) or 1.0
    by_spread = int(min(2, max(0, 2 - math.floor(math.log10(spread)))))
    return min(held, by_spread)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def format_measure_value(value: Any, unit: str | None, decimals: int = 0) -> str:
    """A value in a sentence, with its unit: ``£1,732``, ``103%``, ``85``.

    Examples
    --------
    >>> format_measure_value(1732, "£ per child"), format_measure_value(103, "%")
    ('£1,732', '103%')
    >>> format_measure_value(81531, "£ thousand")
    '£81.5 million'
    >>> format_measure_value(0.534, "proportion", 1)
    '53.4%'
    >>> format_measure_value(None, "persons"), format_measure_value(-4.25, "%", 1)
    ('no figure', '-4.3%')
    """
    if value is None or not _finite(value):
        return "no figure"
    number = float(value)
    unit = (unit or "").strip()
    low = unit.lower()
    if low.startswith("£"):
        if low in ("£000", "£ thousand", "£ thousands", "£k"):
            number *= 1000
        elif low in ("£m", "£ million", "£ millions"):
            number *= 1_000_000
        if low not in ("£", "£ per head") and abs(number) >= 1_000_000:
            text = format_number(number / 1_000_000, None, 1)
            return (
                f"£{text.lstrip('-')} million"
                if number >= 0
                else f"-£{text.lstrip('-')} million"
            )
        text = format_number(abs(number), None, decimals)
        return f"£{text}" if number >= 0 else f"-£{text}"
    if low == "proportion":
        return format_number(number * 100, None, decimals) + "%"
    if low in ("%", "percent", "per cent", "percentage"):
        return format_number(number, None, decimals) + "%"
    return format_number(number, None, decimals)


def missing_where(mask: Iterable[Any], reason: str) -> list[str | None]:
    """A ``<column>__missing`` column: ``reason`` where ``mask`` is true.

    Examples
    --------
    >>> missing_where([True, False], "not-available")
    ['not-available', None]
    """
    return [reason if bool(m) else None for m in mask]


def sentence_label(label: str) -> str:
    """A label as it reads inside a sentence: first letter lower-cased unless an
    acronym ('IDACI') or a name.

    Examples
    --------
    >>> sentence_label("Funding per head, 2021")
    'funding per head, 2021'
    >>> sentence_label("IDACI - Average score")
    'IDACI - Average score'
    """
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        first = label.split(" ", 1)[0]
        if first.rstrip("'s") not in ("England", "London"):
            return label[0].lower() + label[1:]
    return label


def possessive(name: str) -> str:
    """``Leeds's``, ``Camden's`` (style: 's after every name).

    Examples
    --------
    >>> possessive("Leeds")
    "Leeds's"
    """
    return f"{name}'s"


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('a; b and c' when an item has a comma).

    Examples
    --------
    >>> join_words(["a", "b", "c"])
    'a, b and c'
    >>> join_words(["Bristol, City of", "Leeds", "York"])
    'Bristol, City of; Leeds and York'
    """
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    sep = "; " if any("," in i for i in items) else ", "
    return sep.join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------- measure specs

_SPEC = re.compile(
    r"^\s*(?P<measure>[^\[\]=@]+?)\s*(?:\[(?P<breakdown>[^\]]*)\])?"
    r"\s*(?:=\s*(?P<label>.+?))?\s*$"
)


@dataclass(frozen=True)
class MeasureSpec:
    """A measure of the store, one of its breakdowns, and how to label it."""

    measure: str
    breakdown: str = ""
    label: str = ""
    unit: str | None = None
    polarity: str = "neutral"

    @property
    def key(self) -> str:
        """``measure`` or ``measure[breakdown]``."""
        return f"{self.measure}[{self.breakdown}]" if self.breakdown else self.measure


def parse_measure_spec(text: str) -> tuple[str, str | None, str | None]:
    """Split ``measure[breakdown]=Label`` into its three parts (None when absent).

    Examples
    --------
    >>> parse_measure_spec("rate_per_10000[looked after on 31 March]=CLA rate")
    ('rate_per_10000', 'looked after on 31 March', 'CLA rate')
    >>> parse_measure_spec("pop_0_25")
    ('pop_0_25', None, None)
    """
    m = _SPEC.match(text or "")
    if not m:
        raise InputError(
            f"cannot read measure {text!r}: write measure, "
            "measure[breakdown] or measure[breakdown]=Label"
        )
    return m["measure"], m["breakdown"], m["label"]


_SPLIT = re.compile(r",(?![^\[]*\])")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*\s*(\[.*\])?\s*(=.*)?$")


def split_specs(text: str | Sequence[str] | None) -> list[str]:
    """Measure specs from a comma-separated list (or a list of such strings).

    Commas inside ``[breakdown]`` and inside a label (``=Rate per 10,000``) do
    not split.

    Examples
    --------
    >>> split_specs("a,b[x=1, y=2]=Rate per 10,000 children, c")
    ['a', 'b[x=1, y=2]=Rate per 10,000 children', 'c']
    """
    if text is None:
        return []
    items = [text] if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        pieces = [p.strip() for p in _SPLIT.split(item)]
        merged: list[str] = []
        for piece in pieces:
            if merged and "=" in merged[-1].split("]")[-1] and not _ID.match(piece):
                merged[-1] += "," + piece
            elif piece:
                merged.append(piece)
        out += [m for m in merged if m]
    return out


def _humanise(measure: str) -> str:
    text = measure.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def resolve_measure(store: Store, text: str, label: str | None = None) -> MeasureSpec:
    """A measure spec checked against the store: the measure exists, the
    breakdown is one of its own (a unique part of one is enough), and a label.

    A measure whose only rows have one breakdown gets that breakdown; one with
    several and no total row needs ``[breakdown]``.
    """
    from lacompare.derive import breakdowns_of, resolve_breakdown

    measure, bd_text, own_label = parse_measure_spec(text)
    meta = store.query(
        "SELECT label, unit, coalesce(polarity, 'neutral') AS "
        "polarity FROM measures WHERE measure = ?",
        [measure],
    )
    available = breakdowns_of(store, measure)
    if not available:
        from lacompare.catalogue import unknown_measure_hint

        known = [
            r[0]
            for r in store.con.execute(
                "SELECT DISTINCT measure FROM observations"
            ).fetchall()
        ]
        raise InputError(
            f"measure {measure!r} has no values in the store"
            + unknown_measure_hint(measure, known)
        )
    if bd_text is None:
        if "" in available:
            breakdown = ""
        elif len(available) == 1:
            breakdown = available[0]
        else:
            shown = "; ".join(available[:6])
            raise InputError(
                f"measure {measure!r} has several breakdowns and no "
                f"total; name one as {measure}[text], from: {shown}"
            )
    else:
        breakdown = resolve_breakdown(store, measure, bd_text) or ""
    row = meta.iloc[0] if len(meta) else None
    stored_label = (
        row["label"] if row is not None and isinstance(row["label"], str) else ""
    )
    unit = row["unit"] if row is not None and isinstance(row["unit"], str) else None
    polarity = str(row["polarity"]) if row is not None else "neutral"
    text_label = label or own_label
    if not text_label:
        base = (
            stored_label
            if stored_label and stored_label != measure
            else _humanise(measure)
        )
        if breakdown:
            value = breakdown.split("=", 1)[-1].strip()
            base = f"{base}: {sentence_label(value)}"
        text_label = base
    return MeasureSpec(measure, breakdown, text_label, unit, polarity)


# ------------------------------------------------------------------- sources


@dataclass
class SourceTracker:
    """Collects the loads a report's figures came from."""

    store: Store
    uses: list[tuple[str, str | None, Sequence[str] | None]] = field(
        default_factory=list
    )
    source_ids: set[int] = field(default_factory=set)
    extra: list[dict[str, Any]] = field(default_factory=list)

    def use(
        self,
        measure: str,
        breakdown: str | None = "",
        periods: Sequence[str] | None = None,
    ) -> None:
        """Record that the report shows ``measure`` (its breakdown, periods)."""
        self.uses.append((measure, breakdown, list(periods) if periods else None))

    def use_source(self, source_id: int) -> None:
        """Record a whole load (e.g. a table of services' returns)."""
        self.source_ids.add(int(source_id))

    def use_neighbours(self, set_id: str | None) -> None:
        """Record a neighbour set (listed with its own source)."""
        if not set_id:
            return
        rows = self.store.query(
            "SELECT set_id, label, method, source, valid_for, "
            "created_at FROM neighbour_sets WHERE set_id = ?",
            [set_id],
        )
        pairs = self.store.con.execute(
            "SELECT count(*) FROM neighbours WHERE set_id = ?", [set_id]
        ).fetchall()[0][0]
        for r in rows.itertuples():
            self.extra.append(
                {
                    "file": Path(str(r.source)).name
                    if r.source
                    else f"neighbour set {r.set_id}",
                    "sheet": "",
                    "loaded_at": r.created_at,
                    "what": f"Statistical neighbours: {r.label or r.set_id} "
                    f"({r.method}, valid for {r.valid_for or 'unstated'})",
                    "values": int(pairs),
                    "sha256": "",
                }
            )

    def frame(self) -> pd.DataFrame:
        """One row per load: file, sheet, loaded_at, what it gave, values, sha256."""
        rows: dict[int, set[str]] = {}
        for measure, breakdown, periods in self.uses:
            cond = ["measure = ?"]
            params: list[Any] = [measure]
            if breakdown is not None:
                cond.append("breakdown = ?")
                params.append(breakdown)
            if periods:
                cond.append("period IN (SELECT unnest(?))")
                params.append(list(periods))
            where = " AND ".join(cond)
            ids = self.store.con.execute(
                f"SELECT DISTINCT source_id FROM observations WHERE {where} "
                f"UNION SELECT DISTINCT source_id FROM totals WHERE {where}",
                params + params,
            ).fetchall()
            for (sid,) in ids:
                rows.setdefault(int(sid), set()).add(measure)
        for sid in self.source_ids:
            rows.setdefault(sid, set())
        out = []
        if rows:
            src = self.store.query(
                "SELECT source_id, file, sheet, loaded_at, observations, sha256 "
                "FROM sources WHERE source_id IN (SELECT unnest(?)) "
                "ORDER BY source_id",
                [sorted(rows)],
            )
            for r in src.itertuples():
                measures = sorted(rows[int(r.source_id)])
                what = (
                    ", ".join(measures[:8])
                    + (f" and {len(measures) - 8} more" if len(measures) > 8 else "")
                    if measures
                    else "all its measures"
                )
                out.append(
                    {
                        "file": Path(str(r.file)).name,
                        "sheet": r.sheet or "",
                        "loaded_at": pd.Timestamp(r.loaded_at).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                        "what": what,
                        "values": None
                        if pd.isna(r.observations)
                        else int(r.observations),
                        "sha256": str(r.sha256)[:12],
                        "path": str(r.file),
                    }
                )
        for e in self.extra:
            loaded = e["loaded_at"]
            out.append(
                {
                    **e,
                    "loaded_at": pd.Timestamp(loaded).strftime("%Y-%m-%d %H:%M")
                    if loaded is not None
                    else "",
                    "path": "",
                }
            )
        cols = ["file", "sheet", "loaded_at", "what", "values", "sha256", "path"]
        return pd.DataFrame(out, columns=cols)


def sources_table(frame: pd.DataFrame) -> ReportTable:
    """The Sources section's table (file, sheet, load time, measures, values)."""
    from lacompare.formatting.tables import Column

    shown = frame.assign(values=pd.to_numeric(frame["values"], errors="coerce"))
    return ReportTable(
        "Sources of the figures in this report",
        shown,
        [
            Column("file", "File", role="label"),
            Column("sheet", "Sheet", role="text"),
            Column("loaded_at", "Loaded", role="text"),
            Column("what", "Measures used", role="text"),
            Column("values", "Values loaded", role="rate", decimals=0),
            Column("sha256", "SHA-256 (first 12)", role="text"),
        ],
        name="Sources",
    )


# ------------------------------------------------------------------ rendering

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
    seen: dict[str, str] = {}
    for symbol, meaning in MISSING_SYMBOLS.values():
        seen.setdefault(symbol, meaning)
    return list(seen.items())


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

    taken: set[str] = {"contents", "how-to-read", "sources"}
    table_no = figure_no = 0
    sections: list[dict[str, Any]] = []
    for sec in doc.sections:
        sec.id = sec.id or _slug(sec.title, taken)
        blocks: list[dict[str, Any]] = []
        for b in sec.blocks:
            if b.kind == "table" and b.table is not None:
                if not b.html:
                    continue
                table_no += 1
                tid = f"table-{table_no}"
                blocks.append(
                    {"kind": "table", "html": Markup(table_html(b.table, table_id=tid))}
                )
            elif b.kind == "figure" and b.figure is not None:
                figure_no += 1
                fig = b.figure
                fig.number = figure_no
                if pdf:
                    png = fig.png()
                    src = _png_image(png)
                    # IHDR width, at scale 2: the chart's own size in CSS px.
                    width: float | None = int.from_bytes(png[16:20], "big") / 2
                else:
                    svg = fig.svg()
                    src = _svg_image(svg)
                    width, _ = _svg_size(svg)
                spec = None
                if interactive and not pdf:
                    from lacompare.charts import chart_spec

                    spec = Markup(
                        json.dumps(chart_spec(fig.chart)).replace("</", "<\\/")
                    )
                blocks.append(
                    {
                        "kind": "figure",
                        "id": f"figure-{figure_no}",
                        "number": figure_no,
                        "src": src,
                        "spec": spec,
                        "alt": fig.description or fig.title,
                        "title": fig.title,
                        "caption": fig.caption,
                        "width": width,
                    }
                )
            else:
                blocks.append({"kind": b.kind, "text": b.text, "items": b.items})
        sections.append(
            {"id": sec.id, "title": sec.title, "level": sec.level, "blocks": blocks}
        )
    contents: list[dict[str, Any]] = []
    for item in sections:
        entry = {"id": item["id"], "title": item["title"], "children": []}
        if item["level"] > 2 and contents:
            contents[-1]["children"].append(entry)
        else:
            contents.append(entry)
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
    if interactive and not pdf and figure_no:
        from lacompare.charts import vega_embed_bundle

        bundle = Markup(vega_embed_bundle().replace("</script", "<\\/script"))
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            doc=doc,
            sections=sections,
            contents=contents,
            sources=sources,
            pdf=pdf,
            symbols=_symbol_notes(),
            tables=table_no,
            figures=figure_no,
            bundle=bundle,
        )
    )


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
    return _builders()[name](store, **options)


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

    have = {
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT measure FROM observations"
        ).fetchall()
    }
    return set(NETWORK_MEASURES) <= have


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
    from lacompare.demo import run_demo

    folder = Path(
        stack.enter_context(tempfile.TemporaryDirectory(prefix="lacompare-report-"))
    )
    result = run_demo(folder / "demo")
    return (
        stack.enter_context(open_store(result.db, read_only=True)),
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
