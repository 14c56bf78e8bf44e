"""The Data page: load a file (checked as ``lacompare ingest`` checks it) and
what is loaded, counted as ``lacompare info`` counts it."""

from __future__ import annotations

from typing import Any

from lacompare.dashboard import _render, _views
from lacompare.dashboard._shiny_common import WATCH_SECONDS, Shared, failure
from lacompare.dashboard._upload import upload_limit_text
from lacompare.errors import LacompareError
from lacompare.formatting import format_number


def data_panel(store: Any) -> Any:
    """The page: the upload form, then what is loaded."""
    from shiny import ui

    specs = {"": "None: detect the layout"} | {s: s for s in _views.packaged_specs()}
    return ui.nav_panel(
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
            ui.input_checkbox("upload_check", "Dry run: check only, change nothing"),
            ui.input_action_button("upload_go", "Load the file", class_="btn-primary"),
            class_="lac-form",
        ),
        ui.output_ui("upload_result"),
        ui.h2("What is loaded"),
        ui.output_ui("data_body"),
        value="data",
    )


def counts_html(counts: Any) -> str:
    """The store's counts in one line, as ``lacompare info`` states them.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> counts_html(NS(values=1234, missing=5, measures=3, authorities=150,
    ...                periods=2, sources=1))  # doctest: +ELLIPSIS
    '<p class="lac-stat">1,234 values (and 5 missing, each with its reason); ...'
    """
    parts = [
        f"{format_number(counts.values)} values (and "
        f"{format_number(counts.missing)} missing, each with its reason)",
        f"{format_number(counts.measures)} measures",
        f"{format_number(counts.authorities)} authorities",
        f"{format_number(counts.periods)} periods",
        f"{format_number(counts.sources)} sources",
    ]
    return f'<p class="lac-stat">{"; ".join(parts)}.</p>'


def data_html(store: Any) -> str:
    """What is loaded: the counts, the sources and the measures."""
    sources, measures = _views.data_overview(store)
    return (
        counts_html(_views.data_counts(store))
        + _render.frame_table_html(
            sources.rename(columns={"observations": "values"}),
            f"Sources loaded ({len(sources)})",
            "sources-table",
        )
        + _render.frame_table_html(
            measures, f"Measures ({len(measures)})", "measures-table"
        )
    )


def upload_options(input: Any) -> dict[str, Any]:
    """The upload form's options for :meth:`DashboardStore.load`."""
    options: dict[str, Any] = {"check": bool(input.upload_check())}
    if input.upload_spec():
        options["spec"] = _views.packaged_spec_path(input.upload_spec())
    for key in ("period", "sheet"):
        value = (input[f"upload_{key}"]() or "").strip()
        if value:
            options[key] = value
    return options


def data_server(input: Any, shared: Shared) -> None:
    """The page's outputs: the upload's result and what is loaded."""
    from shiny import reactive, render, ui

    store = shared.store
    upload_message = reactive.value("")

    @reactive.effect
    @reactive.event(input.upload_go)
    def _upload() -> None:
        files = input.upload_file()
        if not files:
            upload_message.set(_render.error_html("choose a file to load first"))
            return
        options = upload_options(input)
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
            shared.version.set(store.version)
            shared.refresh_choices()

    @render.ui
    def upload_result() -> Any:
        return ui.HTML(upload_message())

    @render.ui
    def data_body() -> Any:
        shared.version()
        try:
            body = store.cached(("data-html",), lambda: data_html(store))
        except LacompareError as exc:
            return failure(exc)
        return ui.HTML(
            body + '<p class="lac-note">Files loaded with '
            "lacompare ingest while the app runs show here "
            f"within {WATCH_SECONDS:g} seconds.</p>"
        )
