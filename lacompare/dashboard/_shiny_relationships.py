"""The Relationships page: two measures' scatter, and the expected-spend model."""

from __future__ import annotations

from typing import Any

from lacompare.dashboard import _render, _views
from lacompare.dashboard._shiny_common import PageChoices, Shared, failure, only
from lacompare.errors import LacompareError
from lacompare.formatting import format_p

#: What the spend section says when no measure in £ is loaded.
NO_SPEND = "<p>No spend measure (a unit in £) is loaded: load one on the Data page.</p>"


def relationships_panel(c: PageChoices) -> Any:
    """The page: a measure across and one up; the spend measure to model."""
    from shiny import ui

    return ui.nav_panel(
        "Relationships",
        ui.h1("Relationships"),
        ui.h2("Two measures"),
        ui.div(
            ui.input_selectize(
                "sel_x",
                "Measure across (x)",
                only(c.m_choices, c.x),
                selected=c.x,
                width="28rem",
            ),
            ui.input_selectize(
                "sel_y",
                "Measure up (y)",
                only(c.m_choices, c.y),
                selected=c.y,
                width="28rem",
            ),
            class_="lac-form",
        ),
        ui.output_ui("scatter_body"),
        ui.h2("Expected spend"),
        ui.div(
            ui.input_select(
                "sel_target",
                "Spend measure to model",
                c.targets or {"": "No spend measure (£) loaded"},
                selected=c.target,
                width="32rem",
            ),
            class_="lac-form",
        ),
        ui.output_ui("spend_body"),
        value="relationships",
    )


def correlation_html(rel: _views.Relationship) -> str:
    """Spearman's r_s, its p-value and n, in one line.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> correlation_html(NS(r=0.4567, p=0.0123, n=150))  # doctest: +ELLIPSIS
    '<p class="lac-stat">Spearman r<sub>s</sub> = 0.457, p = 0.012, n = 150 ...'
    """
    return (
        f'<p class="lac-stat">Spearman r<sub>s</sub> = {rel.r:.3f}, '
        f"{format_p(rel.p)}, n = {rel.n} authorities.</p>"
    )


def relationships_server(input: Any, shared: Shared) -> None:
    """The page's outputs: the scatter with its statistic, the spend report."""
    from shiny import render, req, ui

    store = shared.store

    @render.ui
    def scatter_body() -> Any:
        shared.version()
        req(input.sel_x(), input.sel_y(), cancel_output=True)
        try:
            rel = _views.relationship_view(store, input.sel_x(), input.sel_y())
            fig = store.cached(
                ("scatter-html", input.sel_x(), input.sel_y()),
                lambda: _render.figure_html(rel.chart, fig_id="scatter-figure"),
            )
        except LacompareError as exc:
            return failure(exc)
        return ui.HTML(correlation_html(rel) + fig)

    @render.ui
    def spend_body() -> Any:
        shared.version()
        target = input.sel_target()
        if not target:
            return ui.HTML(NO_SPEND)
        try:
            doc = _views.spend_document(store, target)
            body = store.cached(
                ("spend-html", target),
                lambda: _render.document_html(doc, heading_level=3, sources=False),
            )
        except LacompareError as exc:
            return failure(exc)
        return ui.HTML(body)
