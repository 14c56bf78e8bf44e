"""The Shiny pages: Authority profile, Measure explorer, Relationships and Data.

The UI is built per request from the query string (:func:`~lacompare.dashboard.app.
page_state`), so a shared link opens on the same page with the same choices;
``static/dashboard.js`` writes each change back into the URL with the same keys
the ``/table/`` pages read. Outputs are HTML fragments from
:mod:`lacompare.dashboard._render` over :mod:`lacompare.dashboard._views`.

Each page has a module of its own (``_shiny_profile``, ``_shiny_measure``,
``_shiny_relationships``, ``_shiny_data``) with its panel and its server; this
module puts the pages together and keeps every picker's list current as the
store changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render, _views
from lacompare.dashboard._shiny_common import (
    WATCH_SECONDS,
    PageChoices,
    Shared,
    key_labels,
    page_choices_for,
)
from lacompare.dashboard._shiny_data import data_panel, data_server
from lacompare.dashboard._shiny_measure import measure_panel, measure_server
from lacompare.dashboard._shiny_profile import profile_panel, profile_server
from lacompare.dashboard._shiny_relationships import (
    relationships_panel,
    relationships_server,
)
from lacompare.errors import LacompareError

if TYPE_CHECKING:
    from shiny import App

    from lacompare.dashboard._state import DashboardStore

__all__ = ["WATCH_SECONDS", "shiny_app"]


def page_head() -> Any:
    """The page's head: the app's stylesheet and script, vega-embed."""
    from shiny import ui

    return ui.head_content(
        ui.tags.link(rel="icon", href="data:,"),
        ui.tags.link(rel="stylesheet", href="/lac/dashboard.css"),
        ui.tags.script(src="/assets/vega-embed.js"),
        ui.tags.script(src="/lac/dashboard.js"),
    )


def page_banner(state: dict[str, Any]) -> list[Any]:
    """The skip link, the header and the no-JavaScript pointer to the tables."""
    from shiny import ui

    nojs = _render.query_string({k: v for k, v in state.items() if k != "page"})
    return [
        ui.tags.a("Skip to main content", href="#main", class_="lac-skip"),
        ui.tags.header(
            ui.tags.p("lacompare", class_="lac-brand"),
            ui.tags.p("Compare English local authorities' children's services"),
            ui.tags.nav(
                ui.tags.ul(
                    ui.tags.li(ui.tags.a("Create your own table", href="/create")),
                    ui.tags.li(ui.tags.a("Regions", href="/region")),
                    ui.tags.li(ui.tags.a("Neighbour sets", href="/neighbours")),
                ),
                **{"aria-label": "More pages"},
            ),
            class_="lac-header",
        ),
        ui.tags.noscript(
            ui.tags.p(
                "This view needs JavaScript. Without it, use the tables: ",
                ui.tags.a("authority profile", href=f"/table/profile?{nojs}"),
                ", ",
                ui.tags.a("measure explorer", href=f"/table/measure?{nojs}"),
                ".",
            )
        ),
    ]


def page_main(store: DashboardStore, state: dict[str, Any], c: PageChoices) -> Any:
    """The main region: what the link named that the store lacks, then the pages."""
    from shiny import ui

    said = [
        ui.HTML(
            _render.error_html(
                f"in this link, {text}; the page shows its default instead"
            )
        )
        for text in c.problems
    ]
    return ui.tags.main(
        *said,
        ui.navset_underline(
            profile_panel(c, zero=bool(state.get("zero"))),
            measure_panel(c),
            relationships_panel(c),
            data_panel(store),
            id="page",
            selected=state["page"],
        ),
        id="main",
        tabindex="-1",
    )


def refresh_choices(store: DashboardStore, input: Any) -> None:
    """Send every picker the store's current lists, keeping what is chosen."""
    from shiny import ui

    la_choices = key_labels(_views.authority_choices(store), "la_code", "la_name")
    m_choices = key_labels(_views.measure_catalogue(store), "key", "label")
    ui.update_selectize(
        "sel_la",
        choices=la_choices,
        selected=input.sel_la() or next(iter(la_choices), None),
    )
    # A national store has thousands of measures: their options are searched on
    # the server as the user types (server=True) rather than rendered into the
    # page, which took htmltools many seconds a session.
    ui.update_selectize(
        "sel_measures",
        choices=m_choices,
        selected=list(input.sel_measures() or []),
        server=True,
    )
    for name in ("sel_measure", "sel_x", "sel_y"):
        ui.update_selectize(
            name, choices=m_choices, selected=input[name](), server=True
        )
    ui.update_selectize(
        "sel_highlight",
        choices={"": "None"} | la_choices,
        selected=input.sel_highlight(),
    )
    targets = {k: m_choices[k] for k in _views.spend_targets(store)}
    ui.update_select("sel_target", choices=targets, selected=input.sel_target())


def watch_store(shared: Shared) -> None:
    """Keep the session's pickers and pages current with the store.

    A load by another process (lacompare ingest) shows without a reload: the
    store's version is looked at every :data:`WATCH_SECONDS` (a stat of the file;
    the store is opened only when it has changed). While the store is being
    written the lists wait for the next look.
    """
    from shiny import reactive

    pending = reactive.value(False)

    @reactive.effect
    def _watch_store() -> None:
        reactive.invalidate_later(WATCH_SECONDS)
        with reactive.isolate():
            current = shared.store.version
            if current == shared.version.get() and not pending.get():
                return
            shared.version.set(current)  # the pages first: they say if it is busy
            try:
                shared.refresh_choices()
            except LacompareError:
                pending.set(True)  # the store is being written: look again
                return
            pending.set(False)

    @reactive.effect
    def _fill_choices() -> None:
        with reactive.isolate():
            try:
                shared.refresh_choices()
            except LacompareError:
                pending.set(True)  # the store is being written: _watch_store fills them


def shiny_app(store: DashboardStore) -> App:
    """The Shiny application over ``store`` (mounted at ``/`` by ``create_app``)."""
    from shiny import App, reactive, ui

    from lacompare.dashboard._pages import page_state
    from lacompare.dashboard.app import STATIC

    def app_ui(request: Any) -> Any:
        state = page_state(request.query_params)
        choices = page_choices_for(store, state)
        return ui.page_fluid(
            page_head(),
            *page_banner(state),
            page_main(store, state, choices),
            title="lacompare",
            lang="en-GB",
        )

    def server(input: Any, output: Any, session: Any) -> None:
        shared = Shared(store, reactive.value(store.version))
        shared.refresh_choices = lambda: refresh_choices(store, input)
        watch_store(shared)
        profile_server(input, shared)
        measure_server(input, shared)
        relationships_server(input, shared)
        data_server(input, shared)

    return App(app_ui, server, static_assets={"/lac": STATIC})
