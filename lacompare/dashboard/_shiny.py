"""The Shiny pages: Authority profile, Measure explorer, Relationships and Data.

The UI is built per request from the query string (:func:`~lacompare.dashboard.app.
page_state`), so a shared link opens on the same page with the same choices;
``static/dashboard.js`` writes each change back into the URL with the same keys
the ``/table/`` pages read. Outputs are HTML fragments from
:mod:`lacompare.dashboard._render` over :mod:`lacompare.dashboard._views`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render, _views
from lacompare.dashboard._upload import upload_limit_text
from lacompare.errors import LacompareError
from lacompare.formatting import format_p

if TYPE_CHECKING:
    from shiny import App

    from lacompare.dashboard._state import DashboardStore


def _choices(frame: Any, key: str, label: str) -> dict[str, str]:
    return dict(zip(frame[key].astype(str), frame[label].astype(str), strict=True))


#: Seconds between a session's looks at the store for loads by other processes.
WATCH_SECONDS = 3.0


def _failure(exc: Exception) -> Any:
    from shiny import ui

    return ui.HTML(_render.error_html(str(exc)))


def _download_links(view: str, what: str, query: str, formats: tuple[str, ...]) -> Any:
    """Download links for a view in each format, and its no-JavaScript table."""
    from shiny import ui

    items = [
        ui.tags.li(
            ui.tags.a(
                f"Download {what} ({fmt.upper()})",
                href=f"/download/{view}?{query}&format={fmt}",
                download="",
            )
        )
        for fmt in formats
    ]
    items.append(
        ui.tags.li(
            ui.tags.a(
                "Table view (works without JavaScript)", href=f"/table/{view}?{query}"
            )
        )
    )
    return ui.tags.ul(
        *items, class_="lac-downloads", **{"aria-label": "Downloads and views"}
    )


def shiny_app(store: DashboardStore) -> App:
    """The Shiny application over ``store`` (mounted at ``/`` by ``create_app``)."""
    from shiny import App, reactive, render, req, ui

    from lacompare.dashboard.app import STATIC, page_state

    def app_ui(request: Any) -> Any:
        state = page_state(request.query_params)
        auth = _views.authority_choices(store)
        cat = _views.measure_catalogue(store)
        la_choices = _choices(auth, "la_code", "la_name")
        m_choices = _choices(cat, "key", "label")
        # A shared link may name the authority any way the registry knows
        # (la=St.Helens); one that resolves to nothing is said, not replaced
        # silently by another authority.
        problems: list[str] = []
        la = state["la"]
        if la and la not in la_choices:
            try:
                la = _views.find_authority(store, la)
            except LacompareError as exc:
                problems.append(f"la={state['la']}: {exc}")
            if la not in la_choices:
                if not problems:
                    problems.append(
                        f"la={state['la']}: "
                        f"{_views.authority_name(store, la)} has no "
                        "values in this store"
                    )
                la = None
        la = la or next(iter(la_choices), None)

        # Selectize inputs carry only their chosen options in the page; the full
        # lists follow over the websocket (update_selectize) once the session
        # starts: htmltools would take a second to render 450 measures' options.
        def only(choices: dict[str, str], *keys: Any) -> dict[str, str]:
            return {k: choices[k] for k in keys if k in choices}

        picked = [m for m in state["m"] if m in m_choices] or [
            m for m in _views.default_profile_measures(store) if m in m_choices
        ]
        named = [(k, state[k]) for k in ("measure", "x", "y", "target")]
        for key, value in named + [("m", m) for m in state["m"]]:
            if value and value not in m_choices:
                problems.append(f"{key}={value}: no measure {value!r} in the store")
        measure = (
            state["measure"]
            if state["measure"] in m_choices
            else next(iter(m_choices), None)
        )
        periods = (
            list(reversed(_views.catalogue_entry(store, measure)["periods"]))
            if measure
            else []
        )
        period = (
            state["period"]
            if state["period"] in periods
            else (periods[0] if periods else None)
        )
        groups = dict(_views.group_choices(store))
        group = state["group"] if state["group"] in groups else _views.ENGLAND
        highlight = state["highlight"] if state["highlight"] in la_choices else ""
        targets = {k: m_choices[k] for k in _views.spend_targets(store)}
        x = state["x"] if state["x"] in m_choices else next(iter(m_choices), None)
        y_default = [k for k in targets if k != x] or [k for k in m_choices if k != x]
        y = (
            state["y"]
            if state["y"] in m_choices
            else (y_default[0] if y_default else None)
        )
        target = (
            state["target"] if state["target"] in targets else next(iter(targets), None)
        )
        specs = {"": "None: detect the layout"} | {
            s: s for s in _views.packaged_specs()
        }
        nojs = _render.query_string(
            {k: v for k, v in state.items() if k not in ("page",)}
        )
        head = ui.head_content(
            ui.tags.link(rel="icon", href="data:,"),
            ui.tags.link(rel="stylesheet", href="/lac/dashboard.css"),
            ui.tags.script(src="/assets/vega-embed.js"),
            ui.tags.script(src="/lac/dashboard.js"),
        )
        profile = ui.nav_panel(
            "Authority profile",
            ui.h1("Authority profile"),
            ui.div(
                ui.input_selectize(
                    "sel_la", "Authority", only(la_choices, la), selected=la
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
                    only(m_choices, *picked),
                    selected=picked,
                    multiple=True,
                    width="40rem",
                ),
                class_="lac-form",
            ),
            ui.output_ui("find_status"),
            ui.output_ui("profile_links"),
            ui.output_ui("profile_body"),
            value="profile",
        )
        explorer = ui.nav_panel(
            "Measure explorer",
            ui.h1("Measure explorer"),
            ui.div(
                ui.input_selectize(
                    "sel_measure",
                    "Measure",
                    only(m_choices, measure),
                    selected=measure,
                    width="32rem",
                ),
                ui.input_select("sel_period", "Period", periods, selected=period),
                ui.input_selectize(
                    "sel_group", "Comparison group", groups, selected=group
                ),
                ui.input_selectize(
                    "sel_highlight",
                    "Highlight an authority",
                    {"": "None"} | only(la_choices, highlight),
                    selected=highlight,
                ),
                class_="lac-form",
            ),
            ui.output_ui("measure_links"),
            ui.output_ui("measure_body"),
            value="measure",
        )
        relationships = ui.nav_panel(
            "Relationships",
            ui.h1("Relationships"),
            ui.h2("Two measures"),
            ui.div(
                ui.input_selectize(
                    "sel_x",
                    "Measure across (x)",
                    only(m_choices, x),
                    selected=x,
                    width="28rem",
                ),
                ui.input_selectize(
                    "sel_y",
                    "Measure up (y)",
                    only(m_choices, y),
                    selected=y,
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
                    targets or {"": "No spend measure (£) loaded"},
                    selected=target,
                    width="32rem",
                ),
                class_="lac-form",
            ),
            ui.output_ui("spend_body"),
            value="relationships",
        )
        data = ui.nav_panel(
            "Data",
            ui.h1("Data"),
            ui.h2("Load a file"),
            ui.p(
                "The file is checked as lacompare ingest checks it and loaded all "
                "or nothing: if anything is wrong, nothing changes."
            ),
            ui.div(
                ui.input_file(
                    "upload_file",
                    "File (CSV, XLSX, XLS, ODS or Parquet; "
                    f"at most {upload_limit_text(store)})",
                    accept=[".csv", ".xlsx", ".xls", ".ods", ".parquet"],
                ),
                ui.input_select("upload_spec", "Mapping spec (optional)", specs),
                ui.input_text(
                    "upload_period",
                    "Period for every row (optional)",
                    placeholder="e.g. 2021 or 2023-24",
                ),
                ui.input_text("upload_sheet", "Sheet (optional)"),
                ui.input_checkbox(
                    "upload_check", "Dry run: check only, change nothing"
                ),
                ui.input_action_button(
                    "upload_go", "Load the file", class_="btn-primary"
                ),
                class_="lac-form",
            ),
            ui.output_ui("upload_result"),
            ui.h2("What is loaded"),
            ui.output_ui("data_body"),
            value="data",
        )
        return ui.page_fluid(
            head,
            ui.tags.a("Skip to main content", href="#main", class_="lac-skip"),
            ui.tags.header(
                ui.tags.p("lacompare", class_="lac-brand"),
                ui.tags.p("Compare English local authorities' children's services"),
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
            ui.tags.main(
                *[
                    ui.HTML(
                        _render.error_html(
                            f"in this link, {text}; the page shows its default instead"
                        )
                    )
                    for text in problems
                ],
                ui.navset_underline(
                    profile,
                    explorer,
                    relationships,
                    data,
                    id="page",
                    selected=state["page"],
                ),
                id="main",
                tabindex="-1",
            ),
            title="lacompare",
            lang="en-GB",
        )

    def server(input: Any, output: Any, session: Any) -> None:
        version = reactive.value(store.version)
        find_message = reactive.value("")
        upload_message = reactive.value("")
        choices_pending = reactive.value(False)

        @reactive.effect
        def _watch_store() -> None:
            # A load by another process (lacompare ingest) shows without a
            # reload: the store's version is looked at every few seconds (a stat
            # of the file; the store is opened only when it has changed).
            reactive.invalidate_later(WATCH_SECONDS)
            with reactive.isolate():
                current = store.version
                if current == version.get() and not choices_pending.get():
                    return
                version.set(current)  # the pages first: they say if it is busy
                try:
                    _refresh_choices()
                except LacompareError:
                    # The store is being written: the next look tries again.
                    choices_pending.set(True)
                    return
                choices_pending.set(False)

        @reactive.effect
        def _fill_choices() -> None:
            with reactive.isolate():
                try:
                    _refresh_choices()
                except LacompareError:
                    # The store is being written: _watch_store fills them.
                    choices_pending.set(True)

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
                {"la": input.sel_la(), "m": list(input.sel_measures() or [])}
            )
            return _download_links("profile", "the profile", query, ("pdf", "xlsx"))

        @render.ui
        def profile_body() -> Any:
            version()
            # Pickers whose lists load from the server are briefly empty when
            # filled: keep what is shown rather than flash a default or an error.
            req(input.sel_la(), input.sel_measures(), cancel_output=True)
            la = input.sel_la()
            measures = list(input.sel_measures() or [])
            try:
                doc = _views.profile_document(store, la, measures or None)
                body = store.cached(
                    ("profile-html", tuple(measures), la, True),
                    lambda: _render.document_html(
                        doc, interactive=True, heading_level=3
                    ),
                )
            except LacompareError as exc:
                return _failure(exc)
            return ui.HTML(f"<h2>{_render.esc(doc.title)}</h2>\n{body}")

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
            query = _render.query_string(_measure_state())
            return _download_links("measure", "the table", query, ("csv", "xlsx"))

        @render.ui
        def measure_body() -> Any:
            version()
            req(input.sel_measure(), cancel_output=True)
            s = _measure_state()
            entry_periods: list[str] = []
            try:
                entry_periods = list(
                    _views.catalogue_entry(store, s["measure"])["periods"]
                )
                period = s["period"] if s["period"] in entry_periods else None
                view = _views.measure_view(
                    store, s["measure"], period, s["group"], s["highlight"] or None
                )

                def compute() -> str:
                    charts = _views.measure_charts(view)
                    parts = [f"<h2>{_render.esc(view.title)}</h2>"]
                    for i, key in enumerate(("hex", "bars", "box"), 1):
                        parts.append(
                            _render.figure_html(
                                charts[key], number=i, fig_id=f"measure-figure-{i}"
                            )
                        )
                    parts.append(
                        '<div class="lac-table-scroll">'
                        + _render.table_fragment(
                            _views.measure_table(view), "measure-table"
                        )
                        + "</div>"
                    )
                    parts += [
                        f'<p class="lac-note">{_render.esc(n)}</p>' for n in view.notes
                    ]
                    return "\n".join(parts)

                body = store.cached(
                    (
                        "measure-page",
                        s["measure"],
                        view.period,
                        view.group,
                        view.highlight,
                    ),
                    compute,
                )
            except LacompareError as exc:
                return _failure(exc)
            return ui.HTML(body)

        @render.ui
        def scatter_body() -> Any:
            version()
            req(input.sel_x(), input.sel_y(), cancel_output=True)
            try:
                rel = _views.relationship_view(store, input.sel_x(), input.sel_y())
                fig = store.cached(
                    ("scatter-html", input.sel_x(), input.sel_y()),
                    lambda: _render.figure_html(rel.chart, fig_id="scatter-figure"),
                )
            except LacompareError as exc:
                return _failure(exc)
            summary = (
                f'<p class="lac-stat">Spearman r<sub>s</sub> = {rel.r:.3f}, '
                f"{format_p(rel.p)}, n = {rel.n} authorities.</p>"
            )
            return ui.HTML(summary + fig)

        @render.ui
        def spend_body() -> Any:
            version()
            target = input.sel_target()
            if not target:
                return ui.HTML(
                    "<p>No spend measure (a unit in £) is loaded: load "
                    "one on the Data page.</p>"
                )
            try:
                doc = _views.spend_document(store, target)
                body = store.cached(
                    ("spend-html", target),
                    lambda: _render.document_html(doc, heading_level=3, sources=False),
                )
            except LacompareError as exc:
                return _failure(exc)
            return ui.HTML(body)

        @reactive.effect
        @reactive.event(input.upload_go)
        def _upload() -> None:
            files = input.upload_file()
            if not files:
                upload_message.set(_render.error_html("choose a file to load first"))
                return
            options: dict[str, Any] = {"check": bool(input.upload_check())}
            if input.upload_spec():
                options["spec"] = _views.packaged_spec_path(input.upload_spec())
            for key in ("period", "sheet"):
                value = (input[f"upload_{key}"]() or "").strip()
                if value:
                    options[key] = value
            try:
                result = store.load(files[0]["datapath"], files[0]["name"], **options)
            except LacompareError as exc:
                upload_message.set(_render.error_html(str(exc)))
                return
            lines = "".join(
                f"<li>{_render.esc(line)}</li>" for line in result.summary_lines()
            )
            upload_message.set(
                f'<div class="lac-status" role="status"><ul>{lines}</ul></div>'
            )
            if not options["check"]:
                version.set(store.version)
                _refresh_choices()

        def _refresh_choices() -> None:
            auth = _views.authority_choices(store)
            cat = _views.measure_catalogue(store)
            la_choices = _choices(auth, "la_code", "la_name")
            m_choices = _choices(cat, "key", "label")
            ui.update_selectize(
                "sel_la",
                choices=la_choices,
                selected=input.sel_la() or next(iter(la_choices), None),
            )
            # A national store has thousands of measures: their options are
            # searched on the server as the user types (server=True) rather than
            # rendered into the page, which took htmltools many seconds a session.
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

        @render.ui
        def upload_result() -> Any:
            return ui.HTML(upload_message())

        @render.ui
        def data_body() -> Any:
            version()

            def compute() -> str:
                sources, measures = _views.data_overview(store)
                return _render.frame_table_html(
                    sources.rename(columns={"observations": "values"}),
                    f"Sources loaded ({len(sources)})",
                    "sources-table",
                ) + _render.frame_table_html(
                    measures, f"Measures ({len(measures)})", "measures-table"
                )

            try:
                body = store.cached(("data-html",), compute)
            except LacompareError as exc:
                return _failure(exc)
            return ui.HTML(
                body + '<p class="lac-note">Files loaded with '
                "lacompare ingest while the app runs show here "
                f"within {WATCH_SECONDS:g} seconds.</p>"
            )

    return App(app_ui, server, static_assets={"/lac": STATIC})
