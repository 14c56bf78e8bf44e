"""The lacompare web app: Shiny pages over the store, plain HTML tables beside them.

:func:`create_app` returns one ASGI application (Starlette) with

* ``/`` — the Shiny app: Authority profile, Measure explorer, Relationships and
  Data pages, its state in the query string (``?page=profile&la=E08000035``);
* ``/table/profile`` and ``/table/measure`` — the core tables rendered on the
  server, working without JavaScript, reading the same query string;
* ``/download/profile`` (``format=pdf|xlsx|html``) and ``/download/measure``
  (``format=csv|xlsx``) — files, written by :func:`lacompare.report.write_report`
  and the report tables' XLSX writer;
* ``/assets/vega-embed.js`` — the vega-embed bundle from vl-convert (nothing is
  fetched from the internet); ``/healthz`` — a one-line status.

Every figure comes from the public API via :mod:`lacompare.dashboard._views`.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render, _views
from lacompare.dashboard._state import DashboardStore
from lacompare.errors import LacompareError, StoreBusy

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

STATIC = Path(__file__).parent / "static"
PAGES = ("profile", "measure", "relationships", "data")
_BUNDLE: str | None = None


def _vega_bundle() -> str:
    global _BUNDLE
    if _BUNDLE is None:
        from lacompare.charts import vega_embed_bundle

        # The bundle declares its helpers at top level (``function t``…): in a
        # page's global scope they would overwrite Shiny's and Bootstrap's, so it
        # runs in a function of its own; it exports window.vegaEmbed itself.
        _BUNDLE = f"(function () {{\n{vega_embed_bundle()}\n}})();\n"
    return _BUNDLE


# ------------------------------------------------------------------ page state


def page_state(params: Any) -> dict[str, Any]:
    """The page state from a query string (Starlette's ``QueryParams`` or a dict).

    Examples
    --------
    >>> page_state({"page": "measure", "measure": "idaci_average_score"})["measure"]
    'idaci_average_score'
    """

    def one(key: str) -> str | None:
        value = params.get(key)
        return str(value).strip() or None if value is not None else None

    many = (
        params.getlist("m")
        if hasattr(params, "getlist")
        else list(params.get("m") or [])
    )
    page = one("page")
    return {
        "page": page if page in PAGES else "profile",
        "la": one("la"),
        "m": [m for m in many if m],
        "measure": one("measure"),
        "period": one("period"),
        "group": one("group"),
        "highlight": one("highlight"),
        "x": one("x"),
        "y": one("y"),
        "target": one("target"),
    }


def _profile_query(state: dict[str, Any], **extra: Any) -> str:
    return _render.query_string({"la": state["la"], "m": state["m"], **extra})


def _measure_query(state: dict[str, Any], **extra: Any) -> str:
    return _render.query_string(
        {
            "measure": state["measure"],
            "period": state["period"],
            "group": state["group"],
            "highlight": state["highlight"],
            **extra,
        }
    )


# ------------------------------------------------------------ server-rendered


def _page(page: str, title: str, state: dict[str, Any], **context: Any) -> str:
    return _render.render_page(
        "page.html.j2",
        page=page,
        title=title,
        profile_query=_profile_query(state),
        measure_query=_measure_query(state),
        app_query=_render.query_string(
            {"page": page, **{k: v for k, v in state.items() if k != "page"}}
        ),
        **{
            "fields": [],
            "hidden": [],
            "downloads": [],
            "body": "",
            "error": "",
            **context,
        },
    )


class PageError(LacompareError):
    """A page's query cannot be answered: the message and the HTTP status.

    404 when what the query names (an authority, measure, period, region or
    neighbour group) is not in the store, 400 when the query itself is malformed.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@contextmanager
def _missing() -> Iterator[None]:
    """Turn a failed look-up of what the URL names into a 404."""
    try:
        yield
    except (PageError, StoreBusy):
        raise  # a store being written is not a page that is missing
    except LacompareError as exc:
        page = PageError(str(exc), 404)
        # A refused authority's suggestions go with it, for the page to link.
        page.suggestions = getattr(exc, "suggestions", ())  # type: ignore[attr-defined]
        page.reason = getattr(exc, "reason", "")  # type: ignore[attr-defined]
        raise page from None


def check_profile_query(store: DashboardStore, state: dict[str, Any]) -> str:
    """The ONS code of the profile's authority; :class:`PageError` (404) if the
    authority or a measure is not in the store, (400) if a measure is named twice.
    """
    with _missing():
        code = _views.find_authority(store, state["la"])
        for key in state["m"]:
            _views.catalogue_entry(store, key)
    if len(set(state["m"])) < len(state["m"]):
        raise PageError("a measure is named twice: " + ", ".join(state["m"]))
    return code


def check_measure_query(store: DashboardStore, state: dict[str, Any]) -> None:
    """Check the explorer's measure, period, group and highlight against the
    store: :class:`PageError` 404 for what is not there, 400 for a malformed group.
    """
    with _missing():
        entry = _views.catalogue_entry(store, state["measure"])
        if state["period"] and state["period"] not in entry["periods"]:
            raise LacompareError(
                f"{entry['label']} has no values for period {state['period']!r}; "
                f"periods: {', '.join(entry['periods'])}"
            )
        if state["highlight"]:
            _views.find_authority(store, state["highlight"])
    group = state["group"]
    if not group or group == _views.ENGLAND:
        return
    kind, _, name = group.partition(":")
    if kind not in ("region", "neighbours") or not name:
        raise PageError(
            f"comparison group {group!r}: choose england, region:NAME "
            "or neighbours:AUTHORITY"
        )
    if group not in dict(_views.group_choices(store)):
        what = "region" if kind == "region" else "neighbour group for"
        raise PageError(f"no {what} {name!r} in the store", 404)


def profile_table_page(store: DashboardStore, params: Any) -> tuple[int, str]:
    """``/table/profile``: one authority's profile as tables and text.

    Returns the HTTP status and the page: 200, or 404/400 with the error in one
    line when the query names something the store lacks or is malformed.
    """
    from markupsafe import Markup

    state = page_state(params)
    choices = _views.authority_choices(store)
    fields = [
        {
            "id": "la",
            "name": "la",
            "label": "Authority",
            "value": state["la"],
            "choices": list(zip(choices["la_code"], choices["la_name"], strict=True)),
        }
    ]
    hidden = [("m", m) for m in state["m"]]
    try:
        if not state["la"]:
            if not len(choices):
                raise PageError(
                    "the store has no values yet: load a file on "
                    "the Data page (or lacompare ingest)",
                    404,
                )
            state["la"] = str(choices["la_code"].iloc[0])
        code = check_profile_query(store, state)
        fields[0]["value"] = code
        with _missing():
            # The authority exists; a profile can still find no value for it.
            doc = _views.profile_document(store, code, state["m"] or None)
        body = store.cached(
            ("profile-html", tuple(state["m"]), code, False),
            lambda: _render.document_html(doc, interactive=False),
        )
        downloads = [
            (
                f"Download the profile ({fmt.upper()})",
                f"/download/profile?{_profile_query(state, format=fmt)}",
            )
            for fmt in ("pdf", "xlsx")
        ]
        return 200, _page(
            "profile",
            doc.title,
            state,
            fields=fields,
            hidden=hidden,
            action="/table/profile",
            body=Markup(body),
            downloads=downloads,
        )
    except LacompareError as exc:
        status = getattr(exc, "status", 400)  # PageError's, or StoreBusy's 503
        # A refused name offers the authorities meant, never shows another one.
        return status, _page(
            "profile",
            "Authority profile",
            state,
            fields=fields,
            hidden=hidden,
            action="/table/profile",
            error=Markup(
                _render.error_html(str(exc))
                + _render.suggestions_html(exc, "/table/profile")
            ),
        )


def measure_table_page(store: DashboardStore, params: Any) -> tuple[int, str]:
    """``/table/measure``: one measure across authorities as a ranked table.

    Returns the HTTP status and the page, as :func:`profile_table_page`.
    """
    from markupsafe import Markup

    state = page_state(params)
    cat = _views.measure_catalogue(store)
    search = str(params.get("q") or "").strip()
    fields: list[dict[str, Any]] = [
        {
            "id": "q",
            "name": "q",
            "label": "Search the measures",
            "value": search,
            "hint": "Words from the measure's name; Show lists those that match.",
        },
        {
            "id": "measure",
            "name": "measure",
            "label": "Measure",
            "value": state["measure"],
            "choices": measure_options(cat, search, state["measure"]),
        },
    ]
    try:
        if not state["measure"]:
            if not len(cat):
                raise PageError(
                    "the store has no measures yet: load a file "
                    "on the Data page (or lacompare ingest)",
                    404,
                )
        hits = measure_options(cat, search, None)
        if search and not hits:
            raise PageError(f"no measure matches {search!r}", 404)
        if not state["measure"] or (search and state["measure"] not in dict(hits)):
            # A search picks its first match, as the list now offers.
            state["measure"] = str(hits[0][0])
        fields[1]["value"] = state["measure"]
        fields[1]["choices"] = measure_options(cat, search, state["measure"])
        check_measure_query(store, state)
        entry = _views.catalogue_entry(store, state["measure"])
        fields[1]["value"] = entry["key"]
        if entry["key"] not in [k for k, _ in fields[1]["choices"]]:
            fields[1]["choices"].insert(0, (entry["key"], entry["label"]))
        fields.append(
            {
                "id": "period",
                "name": "period",
                "label": "Period",
                "value": state["period"] or entry["periods"][-1],
                "choices": [(p, p) for p in reversed(entry["periods"])],
            }
        )
        fields.append(
            {
                "id": "group",
                "name": "group",
                "label": "Comparison group",
                "value": state["group"] or _views.ENGLAND,
                "choices": _views.group_choices(store),
            }
        )
        with _missing():
            view = _views.measure_view(
                store,
                state["measure"],
                state["period"],
                state["group"],
                state["highlight"],
            )
        body = store.cached(
            ("measure-html", state["measure"], view.period, view.group),
            lambda: _render.table_fragment(_views.measure_table(view), "measure-table"),
        )
        notes = "".join(f'<p class="lac-note">{_render.esc(n)}</p>' for n in view.notes)
        downloads = [
            (
                f"Download the table ({fmt.upper()})",
                f"/download/measure?{_measure_query(state, format=fmt)}",
            )
            for fmt in ("csv", "xlsx")
        ]
        return 200, _page(
            "measure",
            view.title,
            state,
            fields=fields,
            action="/table/measure",
            body=Markup(body + notes),
            downloads=downloads,
        )
    except LacompareError as exc:
        status = getattr(exc, "status", 400)  # PageError's, or StoreBusy's 503
        return status, _page(
            "measure",
            "Measure explorer",
            state,
            fields=fields,
            action="/table/measure",
            error=Markup(_render.error_html(str(exc))),
        )


#: Measures the no-JavaScript picker lists at most (a national store has
#: thousands, some with labels of hundreds of characters).
MEASURE_OPTIONS = 200


def measure_options(
    cat: Any, search: str, current: str | None
) -> list[tuple[str, str]]:
    """(key, label) of the measures the no-JS picker offers: those whose label or
    key holds every word of ``search`` (no search: the headline measures first),
    at most :data:`MEASURE_OPTIONS`, the current measure always among them.

    Examples
    --------
    >>> import pandas as pd
    >>> cat = pd.DataFrame({"key": ["a", "cla"], "label": ["Alpha", "CLA rate"]})
    >>> measure_options(cat, "rate", None)
    [('cla', 'CLA rate')]
    """
    words = search.lower().split()
    text = (cat["label"].astype(str) + " " + cat["key"].astype(str)).str.lower()
    hit = cat[[all(w in t for w in words) for t in text]] if words else cat
    keys = list(hit["key"])
    if not words:
        headline = [k for _, k in _views.read_headline_measures() if k in set(keys)]
        keys = list(dict.fromkeys(headline + keys))
    keys = keys[:MEASURE_OPTIONS]
    if current and current not in keys and current in set(cat["key"]):
        keys.insert(0, current)
    labels = dict(zip(cat["key"], cat["label"], strict=True))
    return [(k, str(labels[k])) for k in keys]


def write_profile_download(store: DashboardStore, params: Any, folder: Path) -> Path:
    """The profile as a file (``format`` pdf, xlsx or html) in ``folder``."""
    from lacompare.report import write_document

    state = page_state(params)
    fmt = (params.get("format") or "pdf").lower()
    if fmt not in ("pdf", "xlsx", "html"):
        raise LacompareError(f"format {fmt!r}: choose pdf, xlsx or html")
    if fmt == "pdf":
        from lacompare.report import require_weasyprint

        require_weasyprint()
    if not state["la"]:
        raise PageError("choose an authority (la=NAME or CODE)")
    code = check_profile_query(store, state)
    with _missing():
        doc = _views.profile_document(store, code, state["m"] or None)
    name = _slug(doc.title) or "profile"
    return write_document(doc, folder / f"{name}.{fmt}", fmt)


def write_measure_download(store: DashboardStore, params: Any, folder: Path) -> Path:
    """The explorer's table as CSV (every comparison column) or XLSX."""
    state = page_state(params)
    fmt = (params.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        raise LacompareError(f"format {fmt!r}: choose csv or xlsx")
    if not state["measure"]:
        raise PageError("choose a measure (measure=KEY)")
    check_measure_query(store, state)
    with _missing():
        view = _views.measure_view(
            store, state["measure"], state["period"], state["group"], state["highlight"]
        )
    path = folder / f"{_slug(view.spec.label)}-{_slug(view.period)}.{fmt}"
    if fmt == "csv":
        from lacompare.cells import write_csv_safe

        # Authority names, labels and headings come from loaded files: no formulas.
        write_csv_safe(view.shown, path)
        return path
    from lacompare.report import write_xlsx

    sources, _ = _views.data_overview(store)
    return write_xlsx(path, [_views.measure_table(view)], sources, title=view.title)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:60]


# ------------------------------------------------------------------ the app


def create_app(db: str | Path) -> Starlette:
    """The web app over a store: Shiny pages plus plain HTML tables and files.

    Parameters
    ----------
    db
        The DuckDB store, read through brief read-only connections so that
        lacompare commands can use it while the app runs (an upload opens it
        read-write for the load only); see :class:`DashboardStore`.

    Returns
    -------
    starlette.applications.Starlette
        An ASGI app; serve it with uvicorn (``lacompare serve`` does).

    Examples
    --------
    >>> from starlette.testclient import TestClient  # doctest: +SKIP
    >>> with TestClient(create_app(":memory:")) as client:  # doctest: +SKIP
    ...     client.get("/healthz").text
    'ok'
    """
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import (
        FileResponse,
        HTMLResponse,
        PlainTextResponse,
        Response,
    )
    from starlette.routing import Mount, Route

    from lacompare.dashboard._shiny import shiny_app
    from lacompare.dashboard._upload import UploadLimit

    store = DashboardStore(db)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def bundle(request: Request) -> Response:
        text = await run_in_threadpool(_vega_bundle)
        return Response(
            text,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    def table(render: Any) -> Any:
        def endpoint(request: Request) -> Response:
            # A page depends only on its query and the store's version; one
            # saying the store is busy (503) is not kept.
            key = ("page", request.url.path, str(request.query_params))
            try:
                status, text = store.cached(
                    key,
                    lambda: render(store, request.query_params),
                    keep=lambda page: page[0] != 503,
                )
            except StoreBusy as exc:
                return busy_response(exc)
            return HTMLResponse(text, status_code=status)

        return endpoint

    def download(write: Any) -> Any:
        def endpoint(request: Request) -> Response:
            folder = tempfile.mkdtemp(prefix="lacompare-download-")
            cleanup = BackgroundTask(_remove, folder)
            try:
                path = write(store, request.query_params, Path(folder))
            except LacompareError as exc:
                _remove(folder)
                status = getattr(exc, "status", 400)  # PageError, StoreBusy
                return PlainTextResponse(f"error: {exc}", status_code=status)
            return FileResponse(path, filename=path.name, background=cleanup)

        return endpoint

    shiny = shiny_app(store)
    pages = PageCache(shiny, store)

    async def store_status(request: Request) -> Response:
        # What the app has seen of the store: a load by another process shows
        # here (and in the pages) once the app can read it.
        version = await run_in_threadpool(lambda: store.version)
        return PlainTextResponse(f"version {version}")

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        # Mounted apps get no lifespan events of their own: run Shiny's here.
        async with shiny._lifespan(app):
            try:
                yield
            finally:
                store.close()

    routes = [
        Route("/healthz", healthz),
        Route("/status/store", store_status),
        Route("/assets/vega-embed.js", bundle),
        Route("/table/profile", table(profile_table_page)),
        Route("/table/measure", table(measure_table_page)),
        Route("/download/profile", download(write_profile_download)),
        Route("/download/measure", download(write_measure_download)),
        Mount("/", app=UploadLimit(pages, store)),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


class PageCache:
    """Serve repeated GETs of the Shiny page from memory.

    The page is built from the query string (and the store's choices), which
    htmltools takes tens of milliseconds to render; the same query at the same
    store version gives the same bytes, so they are kept (at most
    :data:`PAGE_CACHE_SIZE` pages). Everything else passes straight through.
    """

    def __init__(self, app: Any, store: DashboardStore) -> None:
        self.app = app
        self.store = store
        self.pages: dict[tuple[int, bytes], list[dict[str, Any]]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] not in ("", "/")
        ):
            await self.app(scope, receive, send)
            return
        key = (self.store.version, scope.get("query_string", b""))
        cached = self.pages.get(key)
        if cached is None:
            from starlette.concurrency import run_in_threadpool

            try:
                # The lists the page is built from, read now so that a store
                # being written gets the 503 page, not a server error.
                await run_in_threadpool(_views.page_choices, self.store)
            except StoreBusy as exc:
                await busy_response(exc)(scope, receive, send)
                return
            messages: list[dict[str, Any]] = []

            async def capture(message: dict[str, Any]) -> None:
                messages.append(message)
                await send(message)

            await self.app(scope, receive, capture)
            start = messages[0] if messages else {}
            if start.get("status") == 200 and all(
                not m.get("more_body") for m in messages[-1:]
            ):
                if len(self.pages) >= PAGE_CACHE_SIZE:
                    self.pages.clear()
                self.pages[key] = messages
            return
        for message in cached:
            await send(message)


def busy_response(exc: StoreBusy) -> Response:
    """A page saying the store is being written, which reloads itself (503).

    Examples
    --------
    >>> from lacompare.store._lock import Holder
    >>> r = busy_response(StoreBusy("s.duckdb", Holder(7, "lacompare ingest x.csv"),
    ...                             waited=2, read_only=True))
    >>> r.status_code, r.headers["retry-after"]
    (503, '5')
    """
    from starlette.responses import HTMLResponse

    text = _render.esc(f"{exc} This page tries again every 5 seconds.")
    return HTMLResponse(
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="5"><title>lacompare: store busy'
        f'</title></head><body><main><p role="alert">{text}</p></main></body>'
        "</html>",
        status_code=503,
        headers={"Retry-After": "5"},
    )


#: Shiny pages kept by :class:`PageCache`.
PAGE_CACHE_SIZE = 256


def _remove(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
