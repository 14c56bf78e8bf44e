"""The Authority profile page: its pickers and outputs (the la-profile report)."""

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

#: What the profile's XLSX holds, before its sheets are listed.
PROFILE_XLSX_WHAT = "The XLSX has a sheet per table of the profile; the main ones:"


def profile_panel(c: PageChoices, *, zero: bool = False) -> Any:
    """The page: authority, a find-by-name box, the headline measures, and
    whether the trend charts' axes start at zero (``zero=1`` in the URL)."""
    from shiny import ui

    return ui.nav_panel(
        "Authority profile",
        ui.h1("Authority profile"),
        ui.div(
            ui.input_selectize(
                "sel_la", "Authority", only(c.la_choices, c.la), selected=c.la
            ),
            ui.div(
                ui.input_text(
                    "sel_find",
                    "Find by any name or code",
                    placeholder="e.g. St.Helens or E08000035",
                ),
                ui.input_action_button("find_go", "Find"),
                class_="lac-find",
            ),
            ui.input_selectize(
                "sel_measures",
                "Headline measures",
                only(c.m_choices, *c.picked),
                selected=c.picked,
                multiple=True,
                width="40rem",
            ),
            ui.input_checkbox("sel_zero", "Start the charts' y axis at zero", zero),
            class_="lac-form",
        ),
        ui.output_ui("find_status"),
        ui.output_ui("profile_links"),
        ui.output_ui("profile_body"),
        value="profile",
    )


def profile_server(input: Any, shared: Shared) -> None:
    """The page's outputs: what Find found, the downloads and the profile."""
    from shiny import reactive, render, req, ui

    store = shared.store
    find_message = reactive.value("")

    @reactive.effect
    @reactive.event(input.find_go)
    def _find() -> None:
        try:
            code = _views.find_authority(store, input.sel_find())
        except LacompareError as exc:
            find_message.set(_render.error_html(str(exc)))
            return
        find_message.set(
            f'<p class="lac-status" role="status">Found '
            f"{_render.esc(_views.authority_name(store, code))}.</p>"
        )
        ui.update_selectize("sel_la", selected=code)

    @render.ui
    def find_status() -> Any:
        return ui.HTML(find_message())

    @render.ui
    def profile_links() -> Any:
        req(input.sel_la(), input.sel_measures(), cancel_output=True)
        query = _render.query_string(
            {
                "la": input.sel_la(),
                "m": list(input.sel_measures() or []),
                "zero": "1" if input.sel_zero() else None,
            }
        )
        from lacompare.dashboard._pages import authority_region, region_page_link

        first = (list(input.sel_measures() or []) or [None])[0]
        try:
            link = region_page_link(
                authority_region(shared.store, input.sel_la()), first
            )
        except LacompareError:
            link = None
        from lacompare.dashboard._pages import PROFILE_XLSX_SHEETS, about_download

        about = _render.about_html(
            about_download(PROFILE_XLSX_SHEETS), PROFILE_XLSX_WHAT
        )
        return ui.TagList(
            download_links(
                "profile", "the profile", query, ("pdf", "xlsx"), extra=(link,)
            ),
            ui.HTML(about),
        )

    @render.ui
    def profile_body() -> Any:
        shared.version()
        # Pickers whose lists load from the server are briefly empty when
        # filled: keep what is shown rather than flash a default or an error.
        req(input.sel_la(), input.sel_measures(), cancel_output=True)
        la = input.sel_la()
        measures = list(input.sel_measures() or [])
        zero = bool(input.sel_zero())
        try:
            doc = _views.profile_document(store, la, measures or None, zero=zero)
            body = store.cached(
                ("profile-html", tuple(measures), la, True, zero),
                lambda: _render.document_html(doc, interactive=True, heading_level=3),
            )
        except LacompareError as exc:
            return failure(exc)
        return ui.HTML(f"<h2>{_render.esc(doc.title)}</h2>\n{body}")
