"""The lacompare web app: Shiny pages over the store, plain HTML tables beside them.

:func:`create_app` returns one ASGI application (Starlette) with

* ``/`` — the Shiny app: Authority profile, Measure explorer, Relationships and
  Data pages, its state in the query string (``?page=profile&la=E08000035``);
* ``/table/profile`` and ``/table/measure`` — the core tables rendered on the
  server, working without JavaScript, reading the same query string;
* ``/download/profile`` (``format=pdf|xlsx|html``) and ``/download/measure``
  (``format=csv|xlsx``) — files, written by :func:`lacompare.report.write_report`
  and the report tables' XLSX writer;
* ``/create`` and ``/table/custom`` (``.csv``, ``.xlsx``) — create your own table:
  indicators × authorities × years in the URL (:mod:`lacompare.dashboard._custom`);
* ``/region`` — every authority of a region on one indicator over time;
* ``/assets/vega-embed.js`` — the vega-embed bundle from vl-convert (nothing is
  fetched from the internet); ``/healthz`` — a one-line status.

Every figure comes from the public API via :mod:`lacompare.dashboard._views`; the
server-rendered pages are in :mod:`lacompare.dashboard._pages`, the files in
:mod:`lacompare.dashboard._downloads`.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.dashboard import _render, _views
from lacompare.dashboard._custom_files import write_custom_csv, write_custom_xlsx
from lacompare.dashboard._custom_page import create_page, custom_table_page
from lacompare.dashboard._downloads import (
    write_measure_download,
    write_profile_download,
)
from lacompare.dashboard._neighbours_page import neighbours_page, write_neighbours_csv
from lacompare.dashboard._pages import (
    MEASURE_OPTIONS,
    PAGES,
    PageError,
    check_measure_query,
    check_profile_query,
    measure_options,
    measure_table_page,
    page_state,
    profile_table_page,
)
from lacompare.dashboard._region import region_page
from lacompare.dashboard._state import DashboardStore
from lacompare.errors import LacompareError, StoreBusy

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "MEASURE_OPTIONS",
    "PAGES",
    "PAGE_CACHE_SIZE",
    "STATIC",
    "PageCache",
    "PageError",
    "busy_response",
    "check_measure_query",
    "check_profile_query",
    "create_app",
    "create_page",
    "custom_table_page",
    "measure_options",
    "measure_table_page",
    "page_state",
    "profile_table_page",
    "region_page",
    "write_custom_csv",
    "write_custom_xlsx",
    "write_measure_download",
    "write_profile_download",
]

STATIC = Path(__file__).parent / "static"
#: Shiny pages kept by :class:`PageCache`.
PAGE_CACHE_SIZE = 256
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


# ------------------------------------------------------------------ endpoints


async def healthz(request: Request) -> Response:
    """``/healthz``: ``ok``."""
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("ok")


async def bundle(request: Request) -> Response:
    """``/assets/vega-embed.js``: the vega-embed bundle, cached for a day."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    text = await run_in_threadpool(_vega_bundle)
    return Response(
        text,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def table_endpoint(store: DashboardStore, render: Any) -> Any:
    """A server-rendered page's endpoint, kept by its query and store version."""
    from starlette.responses import HTMLResponse

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


def download_endpoint(store: DashboardStore, write: Any) -> Any:
    """A file's endpoint: written into a folder removed once it is sent."""
    from starlette.background import BackgroundTask
    from starlette.responses import FileResponse, PlainTextResponse

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


def status_endpoint(store: DashboardStore) -> Any:
    """``/status/store``: the store version the app has seen."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import PlainTextResponse

    async def store_status(request: Request) -> Response:
        # What the app has seen of the store: a load by another process shows
        # here (and in the pages) once the app can read it.
        version = await run_in_threadpool(lambda: store.version)
        return PlainTextResponse(f"version {version}")

    return store_status


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
    from starlette.routing import Mount, Route

    from lacompare.dashboard._shiny import shiny_app
    from lacompare.dashboard._upload import UploadLimit

    store = DashboardStore(db)
    shiny = shiny_app(store)

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
        Route("/status/store", status_endpoint(store)),
        Route("/assets/vega-embed.js", bundle),
        Route("/table/profile", table_endpoint(store, profile_table_page)),
        Route("/table/measure", table_endpoint(store, measure_table_page)),
        Route("/create", table_endpoint(store, create_page)),
        Route("/table/custom", table_endpoint(store, custom_table_page)),
        Route("/table/custom.csv", download_endpoint(store, write_custom_csv)),
        Route("/table/custom.xlsx", download_endpoint(store, write_custom_xlsx)),
        Route("/region", table_endpoint(store, region_page)),
        Route("/neighbours", table_endpoint(store, neighbours_page)),
        Route("/neighbours.csv", download_endpoint(store, write_neighbours_csv)),
        Route("/download/profile", download_endpoint(store, write_profile_download)),
        Route("/download/measure", download_endpoint(store, write_measure_download)),
        Mount("/", app=UploadLimit(PageCache(shiny, store), store)),
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
            await self._build(key, scope, receive, send)
            return
        for message in cached:
            await send(message)

    async def _build(
        self, key: tuple[int, bytes], scope: Any, receive: Any, send: Any
    ) -> None:
        """Build the page, send it, and keep it if it was whole and 200."""
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


def busy_response(exc: StoreBusy) -> Response:
    """A page saying the store is being written, which reloads itself (503).

    Examples
    --------
    >>> from lacompare.store import Holder
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


def _remove(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
