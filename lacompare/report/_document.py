"""A report as a document: sections of sentences, tables and charts
(:class:`Document`), written by :mod:`lacompare.report._render` and
:mod:`lacompare.report._xlsx`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lacompare.formatting.tables import ReportTable


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
