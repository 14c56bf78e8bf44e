"""The Measure explorer page: one measure across authorities (charts, table)."""

from __future__ import annotations

from typing import Any

from lacompare.dashboard import _render, _views
from lacompare.dashboard._shiny_common import (
    PageChoices,
    Shared,
    download_links,
    failure,
    only,
)
from lacompare.errors import LacompareError


def measure_panel(c: PageChoices) -> Any:
    """The page: measure, period, comparison group and an authority to pick out."""
    from shiny import ui

    return ui.nav_panel(
        "Measure explorer",
        ui.h1("Measure explorer"),
        ui.div(
            ui.input_selectize(
                "sel_measure",
                "Measure",
                only(c.m_choices, c.measure),
                selected=c.measure,
                width="32rem",
            ),
            ui.input_select("sel_period", "Period", c.periods, selected=c.period),
            ui.input_selectize(
                "sel_group", "Comparison group", c.groups, selected=c.group
            ),
            ui.input_selectize(
                "sel_highlight",
                "Highlight an authority",
                {"": "None"} | only(c.la_choices, c.highlight),
                selected=c.highlight,
            ),
            class_="lac-form",
        ),
        ui.output_ui("measure_links"),
        ui.output_ui("measure_body"),
        value="measure",
    )


def measure_page_html(view: _views.MeasureView) -> str:
    """The explorer's body: title, the three figures, the table and its notes."""
    charts = _views.measure_charts(view)
    parts = [f"<h2>{_render.esc(view.title)}</h2>"]
    for i, key in enumerate(("hex", "bars", "box"), 1):
        parts.append(
            _render.figure_html(charts[key], number=i, fig_id=f"measure-figure-{i}")
        )
    table = _render.table_fragment(_views.measure_table(view), "measure-table")
    parts.append(f'<div class="lac-table-scroll">{table}</div>')
    parts += [f'<p class="lac-note">{_render.esc(n)}</p>' for n in view.notes]
    return "\n".join(parts)


def measure_server(input: Any, shared: Shared) -> None:
    """The page's outputs: the periods of the chosen measure, downloads, body."""
    from shiny import reactive, render, req, ui

    store = shared.store

    @reactive.effect
    @reactive.event(input.sel_measure)
    def _periods() -> None:
        try:
            entry = _views.catalogue_entry(store, input.sel_measure())
        except LacompareError:
            return
        periods = list(reversed(entry["periods"]))
        current = input.sel_period()
        ui.update_select(
            "sel_period",
            choices=periods,
            selected=current if current in periods else periods[0],
        )

    def _measure_state() -> dict[str, Any]:
        return {
            "measure": input.sel_measure(),
            "period": input.sel_period(),
            "group": input.sel_group(),
            "highlight": input.sel_highlight(),
        }

    @render.ui
    def measure_links() -> Any:
        req(input.sel_measure(), cancel_output=True)
        from lacompare.dashboard._pages import authority_region, region_page_link

        s = _measure_state()
        query = _render.query_string(s)
        group = s["group"] or ""
        try:
            region = (
                group.split(":", 1)[1]
                if group.startswith("region:")
                else authority_region(store, s["highlight"] or None)
            )
            link = region_page_link(region, s["measure"])
        except LacompareError:
            link = None
        return download_links(
            "measure", "the table", query, ("csv", "xlsx"), extra=(link,)
        )

    @render.ui
    def measure_body() -> Any:
        shared.version()
        req(input.sel_measure(), cancel_output=True)
        s = _measure_state()
        try:
            entry_periods = list(_views.catalogue_entry(store, s["measure"])["periods"])
            period = s["period"] if s["period"] in entry_periods else None
            view = _views.measure_view(
                store, s["measure"], period, s["group"], s["highlight"] or None
            )
            key = (
                "measure-page",
                s["measure"],
                view.period,
                view.group,
                view.highlight,
            )
            body = store.cached(key, lambda: measure_page_html(view))
        except LacompareError as exc:
            return failure(exc)
        return ui.HTML(body)
