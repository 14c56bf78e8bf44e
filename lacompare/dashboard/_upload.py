"""Uploads through the web app: a size cap, and reading that cannot stop the server.

A visitor to the Data page can send any bytes. Three things keep the server up:

* :class:`UploadLimit` refuses an upload over the cap (25 MB unless
  ``LACOMPARE_MAX_UPLOAD_MB`` says otherwise) while it arrives, before Shiny writes
  it to disk; :func:`check_upload` refuses it again before it is read (a file
  handed to :meth:`DashboardStore.load` by other means);
* workbooks are measured against :class:`~lacompare.sources._workbooks.
  WorkbookLimits` before any reader sees them;
* :func:`ingest_upload` reads workbooks' cells in a child process, so a file that
  makes the spreadsheet reader abort (python-calamine allocating 512 GiB for a cell
  at XFD1048576) ends the child and becomes an error message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError, LacompareError

if TYPE_CHECKING:
    from lacompare.store import IngestResult, Store

#: The largest upload, in MB, unless ``LACOMPARE_MAX_UPLOAD_MB`` says otherwise.
#: Published workbooks are under 1 MB; national CSVs are loaded with the CLI.
MAX_UPLOAD_MB = 25.0
MAX_UPLOAD_VARIABLE = "LACOMPARE_MAX_UPLOAD_MB"


def max_upload_bytes(mb: float | None = None) -> int:
    """The upload limit in bytes: ``mb``, else ``LACOMPARE_MAX_UPLOAD_MB``, else 25 MB.

    Examples
    --------
    >>> max_upload_bytes(1)
    1048576
    >>> max_upload_bytes() == 25 * 2**20 or MAX_UPLOAD_VARIABLE in os.environ
    True
    """
    if mb is None:
        text = os.environ.get(MAX_UPLOAD_VARIABLE, "").strip()
        try:
            mb = float(text) if text else MAX_UPLOAD_MB
        except ValueError:
            raise LacompareError(
                f"{MAX_UPLOAD_VARIABLE}={text!r}: give a number of megabytes"
            ) from None
    return int(mb * 2**20)


def too_big(size: int, limit: int) -> str | None:
    """Why an upload of ``size`` bytes is refused, or None if it fits.

    Examples
    --------
    >>> print(too_big(100 << 20, 25 << 20))
    the file is 100.0 MB; the web app accepts at most 25.0 MB (set \
LACOMPARE_MAX_UPLOAD_MB to raise it, or load the file with lacompare ingest)
    >>> too_big(10, 25 << 20) is None
    True
    """
    if size <= limit:
        return None
    return (
        f"the file is {_size(size)}; the web app accepts at most {_size(limit)} "
        f"(set {MAX_UPLOAD_VARIABLE} to raise it, or load the file with "
        "lacompare ingest)"
    )


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n >= 2**20 else f"{n:,} bytes"


def upload_limit_text(store: Any = None) -> str:
    """The upload limit as the Data page states it (``store.max_upload_bytes``,
    else the environment's, else 25 MB).

    Examples
    --------
    >>> class Store:
    ...     max_upload_bytes = 5 << 20
    >>> upload_limit_text(Store())
    '5.0 MB'
    """
    own = getattr(store, "max_upload_bytes", None)
    return _size(own if own is not None else max_upload_bytes())


def check_upload(file: str | Path, filename: str, limit: int | None = None) -> None:
    """Refuse an uploaded file over the limit, naming the user's file.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "0.csv")
    >>> _ = open(p, "wb").write(b"x" * 2000)
    >>> check_upload(p, "mine.csv", limit=1000)
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: mine.csv: the file is 2,000 bytes; the web app \
accepts at most 1,000 bytes (set LACOMPARE_MAX_UPLOAD_MB to raise it, or load the \
file with lacompare ingest)
    >>> check_upload(p, "mine.csv", limit=2000)
    """
    limit = max_upload_bytes() if limit is None else limit
    try:
        size = Path(file).stat().st_size
    except OSError:
        return  # the reader says the file is missing
    refused = too_big(size, limit)
    if refused:
        raise InputError(refused, file=filename)


def ingest_upload(store: Store, path: str | Path, **options: Any) -> IngestResult:
    """:func:`lacompare.store._ingest.ingest` with workbooks read in a child process.

    Examples
    --------
    >>> import os, tempfile, xlsxwriter
    >>> from lacompare.store import open_store
    >>> p = os.path.join(tempfile.mkdtemp(), "s.xlsx")
    >>> book = xlsxwriter.Workbook(p); sheet = book.add_worksheet()
    >>> _ = sheet.write_row(0, 0, ["la", "pop"]), sheet.write_row(1, 0, ["Leeds", 5])
    >>> _ = sheet.write(1048575, 16383, "x"); book.close()
    >>> with open_store(":memory:") as s:
    ...     ingest_upload(s, p, period="2021")
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: ...s.xlsx, sheet 'Sheet1': the sheet spans \
1,048,576 rows × 16,384 columns (declared A1:XFD1048576); lacompare reads at most \
10,000,000 cells (set LACOMPARE_WORKBOOK_MAX_CELLS to raise it)
    """
    from lacompare.sources import isolated_reading
    from lacompare.store import ingest

    with isolated_reading():
        return ingest(store, path, **options)


class UploadLimit:
    """ASGI middleware: refuse a file upload larger than the limit as it arrives.

    Shiny writes an upload to disk as it streams in, with no limit of its own.
    A ``Content-Length`` over the limit is refused at once (413); a body that
    grows past it without one is cut off there and the app's answer replaced by
    the same refusal. The limit is
    read on each request (``store.max_upload_bytes``, else the environment).
    """

    def __init__(self, app: Any, store: Any = None) -> None:
        self.app = app
        self.store = store

    def limit(self) -> int:
        """The limit in bytes now."""
        own = getattr(self.store, "max_upload_bytes", None)
        return own if own is not None else max_upload_bytes()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or "/upload/" not in scope["path"]
        ):
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _refuse(send, int(length), limit)
            return
        seen = 0
        over = False
        started = replied = False

        async def limited() -> Any:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # End the body here: the app finishes with what it has (a
                    # partial file, in Shiny's session folder until the session
                    # ends) and its answer is replaced by the refusal below.
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def answer(message: Any) -> None:
            nonlocal replied, started
            if not over or started:  # an answer begun before the cut goes on
                started = started or message["type"] == "http.response.start"
                await send(message)
            elif not replied:
                replied = True
                await _refuse(send, seen, limit)

        await self.app(scope, limited, answer)


async def _refuse(send: Any, size: int, limit: int) -> None:
    body = f"error: {too_big(size, limit)}".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
