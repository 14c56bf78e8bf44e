"""The dashboard's hold on the store: one connection, cursors per request, a cache.

DuckDB lets one process write a file, so the server opens the store once
(read-write, so that a file loaded through the browser can go in) and hands each
request its own cursor. Results are cached by what was asked and the store's
*version*, which a successful load increments; a failed load changes neither.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from lacompare.store import Store
    from lacompare.store._ingest import IngestResult

T = TypeVar("T")

#: Cached results kept before the oldest are dropped (each is a few hundred KB at
#: most: a comparison table or a report document).
CACHE_SIZE = 512


class DashboardStore:
    """The store a dashboard serves, opened once for the server's life.

    Parameters
    ----------
    path
        The DuckDB store file (created if absent).

    Examples
    --------
    >>> state = DashboardStore(":memory:")
    >>> with state.store() as s:
    ...     int(s.con.execute("SELECT count(*) FROM authorities").fetchone()[0])
    163
    >>> state.cached(("answer",), lambda: 42), state.version
    (42, 0)
    >>> state.close()
    """

    #: Uploads larger than this many bytes are refused (None: the environment's
    #: LACOMPARE_MAX_UPLOAD_MB, else 25 MB; see lacompare.dashboard._upload).
    max_upload_bytes: int | None = None

    def __init__(self, path: str | Path) -> None:
        from lacompare.store import open_store

        self.path = str(path)
        self._store = open_store(path)
        self._write = threading.Lock()
        self._guard = threading.Lock()
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self.version = 0

    def close(self) -> None:
        """Close the connection (the server is stopping)."""
        self._store.close()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A store over a fresh cursor, for one request or one computation."""
        from lacompare.store import Store

        cursor = self._store.con.cursor()
        cursor.execute("SET enable_progress_bar = false")
        try:
            yield Store(cursor, self.path)
        finally:
            cursor.close()

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s result for ``key`` at the current store version.

        Concurrent requests for the same key wait for one computation rather than
        each doing it. Errors are not cached.
        """
        full = (self.version, *key)
        with self._guard:
            if full in self._cache:
                return self._cache[full]  # type: ignore[no-any-return]
            lock = self._key_locks.setdefault(full, threading.Lock())
        with lock:
            with self._guard:
                if full in self._cache:
                    return self._cache[full]  # type: ignore[no-any-return]
            value = compute()
            with self._guard:
                if len(self._cache) >= CACHE_SIZE:
                    for old in list(self._cache)[: CACHE_SIZE // 4]:
                        del self._cache[old]
                self._cache[full] = value
                self._key_locks.pop(full, None)
            return value

    def uploads_folder(self) -> Path:
        """Where uploaded files are kept: beside the store, so that the file a
        source row names still exists (a store in memory: a temporary folder)."""
        if self.path == ":memory:":
            return Path(tempfile.gettempdir()) / "lacompare-uploads"
        return Path(self.path).resolve().parent / "lacompare-uploads"

    def load(self, file: str | Path, filename: str, **options: Any) -> IngestResult:
        """Load an uploaded file with :func:`lacompare.ingest` (all or nothing).

        The upload is kept under the name the user gave it in a folder of its own
        (:meth:`uploads_folder`), so the store's ``sources`` row points at a file
        that exists; on failure the copy is deleted and the store is unchanged, and
        the error names the user's file as the command line would.

        Parameters
        ----------
        file
            Where the web server saved the upload.
        filename
            The file's name on the user's machine.
        **options
            As :func:`lacompare.store._ingest.ingest` (``spec``, ``sheet``,
            ``period``, ``check``…).
        """
        import datetime as dt

        from lacompare.errors import InputError
        # Workbooks are read in a child process (a file that makes the reader
        # abort must not take the server down) and uploads are capped in size.
        from lacompare.dashboard._upload import check_upload
        from lacompare.dashboard._upload import ingest_upload as ingest

        name = Path(filename).name or "upload"
        check_upload(file, name, self.max_upload_bytes)
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        folder = self.uploads_folder() / stamp
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        shutil.copyfile(file, target)
        keep = False
        try:
            with self._write, self.store() as store:
                result = ingest(store, target, **options)
                keep = not options.get("check")
                if keep:
                    with self._guard:
                        self.version += 1
                        self._cache.clear()
        except InputError as exc:
            if exc.file and Path(exc.file).name == name:
                exc.file = name  # the user's file, not our copy of it
                exc.args = (str(exc),)
            raise
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        return result
