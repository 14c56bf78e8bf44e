"""The dashboard's hold on the store: brief read-only connections, a cache.

DuckDB lets a file be held read-write by one process or read-only by any
number, never both. So that ``lacompare info`` and ``lacompare ingest`` work on
the store the web app serves, the app holds no write access and its read-only
connection only while requests use it: the connection opens on demand, is shared
by the requests in flight (each gets its own cursor), and closes once it has been
idle for :data:`IDLE_CLOSE` seconds, or at once when a writer is waiting
(:func:`lacompare.store._lock.writer_waiting`). An upload through the app closes
it and writes over a connection of its own.

Results are cached by what was asked and the store's *version*, which goes up
when the app loads a file and when it finds the file changed by another process
(its size and modification time, checked on each use). A change is counted once
the app can read it: while another process writes, results already computed
are served and new ones wait up to :data:`READ_WAIT` seconds, then say who is
writing (:class:`~lacompare.errors.StoreBusy`).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lacompare.errors import StoreBusy

if TYPE_CHECKING:
    from lacompare.store import IngestResult, Store

T = TypeVar("T")

#: Cached results kept before the oldest are dropped (each is a few hundred KB at
#: most: a comparison table or a report document).
CACHE_SIZE = 512
#: Seconds an unused connection stays open: requests come in bursts (a page and
#: its charts), and reopening costs a read of the store's catalogue.
IDLE_CLOSE = 2.0
#: Seconds a request waits for a store another process is writing.
READ_WAIT = 2.0
#: Seconds an upload waits for a store another process holds (the upload's
#: request waits meanwhile).
WRITE_WAIT = 15.0
#: Seconds between the idle checks of the connection.
TICK = 0.2

Signature = tuple[tuple[int, int] | None, ...]


def file_signature(path: str | Path) -> Signature:
    """What changes when a process writes a DuckDB store: the size and
    modification time of the file and of its write-ahead log.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "s.duckdb")
    >>> file_signature(p)
    (None, None)
    >>> _ = open(p, "w").write("x"); file_signature(p)[0][1]
    1
    """
    out = []
    for name in (str(path), f"{path}.wal"):
        try:
            st = Path(name).stat()
        except OSError:
            out.append(None)
            continue
        out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


class DashboardStore:
    """The store a dashboard serves, shared by its requests.

    Parameters
    ----------
    path
        The DuckDB store file (created if absent), or ``":memory:"`` (held open
        read-write: no other process can see it).
    idle_close, read_wait, write_wait
        Seconds: see :data:`IDLE_CLOSE`, :data:`READ_WAIT`, :data:`WRITE_WAIT`.

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

    def __init__(
        self,
        path: str | Path,
        *,
        idle_close: float = IDLE_CLOSE,
        read_wait: float = READ_WAIT,
        write_wait: float = WRITE_WAIT,
    ) -> None:
        from lacompare.store import open_store

        self.path = str(path)
        self.idle_close = idle_close
        self.read_wait = read_wait
        self.write_wait = write_wait
        self._memory = self.path == ":memory:"
        self._cond = threading.Condition()
        self._guard = threading.Lock()
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._version = 0
        self._store: Store | None = None
        self._users = 0
        self._last_use = 0.0
        self._writing = False
        self._closed = False
        # How many connections each thread holds: one computation may call
        # another inside its ``with store()``, and must not then wait for a
        # writer that is itself waiting for the outer one.
        self._held = threading.local()
        if self._memory:
            self._store = open_store(self.path)
            self._seen: Signature = ()
            return
        self._prepare()
        self._seen = file_signature(self.path)
        self._reaper = threading.Thread(
            target=self._reap, daemon=True, name="lacompare-store-idle"
        )
        self._reaper.start()

    def _prepare(self) -> None:
        """Create the store, or bring it to this version's schema, if need be:
        the one time the app opens it read-write on its own account."""
        from lacompare.store import SCHEMA_VERSION, open_store

        if Path(self.path).exists():
            try:
                with open_store(self.path, read_only=True, wait=self.write_wait) as s:
                    found = s.con.execute(
                        "SELECT value FROM meta WHERE key = 'schema_version'"
                    ).fetchall()
                if found and found[0][0] == str(SCHEMA_VERSION):
                    return
            except StoreBusy:
                raise
            except Exception:  # noqa: S110 - an older or foreign store: upgrade it
                pass
        open_store(self.path, wait=self.write_wait).close()

    def close(self) -> None:
        """Close the connection (the server is stopping)."""
        with self._cond:
            self._closed = True
            self._close_connection()
            self._cond.notify_all()

    @property
    def version(self) -> int:
        """The store's version: up by one for each change the app has seen."""
        self.refresh()
        return self._version

    def refresh(self) -> bool:
        """Look for a change made by another process; True if one was found.

        A changed file is opened (read-only, without waiting) to count the change:
        while the writer still holds it, nothing changes here and what is cached
        goes on being served.
        """
        if self._memory or self._closed:
            return False
        if file_signature(self.path) == self._seen:
            return False
        with self._cond:
            if self._store is not None or self._writing:
                # Nobody else can write while we hold it; our own load counts itself.
                return False
            before = self._version
            try:
                self._open(wait=0)
            except StoreBusy:
                return False
            self._last_use = time.monotonic()
            return self._version != before

    def _open(self, wait: float) -> None:
        """Open the read-only connection (lock held); count a change if the file
        differs from when it was last seen."""
        from lacompare.store import open_store

        self._store = open_store(self.path, read_only=True, wait=wait, on_wait=None)
        # Nobody can write while we hold it: this signature is the one we read.
        seen = file_signature(self.path)
        if seen != self._seen:
            self._seen = seen
            self._changed()

    def _changed(self) -> None:
        with self._guard:
            self._version += 1
            self._cache.clear()

    def _close_connection(self) -> None:
        if self._store is not None and not self._memory:
            self._store.close()
            self._store = None

    def _reap(self) -> None:
        """Close the connection when idle, or as soon as a writer waits for it."""
        from lacompare.store import writer_waiting

        while True:
            time.sleep(TICK)
            with self._cond:
                if self._closed:
                    return
                if self._store is None or self._users:
                    continue
                idle = time.monotonic() - self._last_use >= self.idle_close
                if idle or writer_waiting(self.path):
                    self._close_connection()

    def _acquire(self) -> Store:
        """The shared connection for one more user, opened if need be; waits at
        most ``read_wait`` while a load (the app's or another process's) has or
        wants the store."""
        from lacompare.store import Holder, writer_waiting

        deadline = time.monotonic() + self.read_wait
        busy: StoreBusy | None = None
        with self._cond:
            if getattr(self._held, "n", 0) and self._store is not None:
                self._users += 1
                return self._store
            while True:
                if self._closed:
                    raise StoreBusy(
                        self.path,
                        Holder(None, "the web app stopping"),
                        waited=0,
                        read_only=True,
                    )
                waiter = None if self._memory else writer_waiting(self.path)
                if not self._writing and not waiter:
                    if self._store is None:
                        try:
                            self._open(wait=0)
                        except StoreBusy as exc:
                            busy = exc
                    if self._store is not None:
                        self._users += 1
                        return self._store
                elif waiter and self._store is not None and not self._users:
                    self._close_connection()  # nobody is reading: let it in now
                left = deadline - time.monotonic()
                if left <= 0:
                    holder = (
                        Holder(None, "an upload through this web app")
                        if self._writing
                        else waiter or (busy.holder if busy else Holder(None, None))
                    )
                    raise StoreBusy(
                        self.path, holder, waited=self.read_wait, read_only=True
                    )
                self._cond.wait(min(TICK, left))

    def _release(self) -> None:
        with self._cond:
            self._users -= 1
            self._last_use = time.monotonic()
            self._cond.notify_all()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A store over a fresh cursor, for one request or one computation.

        Raises :class:`~lacompare.errors.StoreBusy` when another process has been
        writing the store for longer than ``read_wait``.
        """
        from lacompare.store import Store

        shared = self._acquire()
        self._held.n = getattr(self._held, "n", 0) + 1
        try:
            cursor = shared.con.cursor()
            try:
                cursor.execute("SET enable_progress_bar = false")
                yield Store(cursor, self.path)
            finally:
                cursor.close()
        finally:
            self._held.n -= 1
            self._release()

    def cached(
        self,
        key: tuple[Any, ...],
        compute: Callable[[], T],
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """``compute()``'s result for ``key`` at the current store version.

        Concurrent requests for the same key wait for one computation rather than
        each doing it. Errors are not cached, nor results ``keep`` refuses (a
        page saying the store is busy).
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
                if keep is not None and not keep(value):
                    self._key_locks.pop(full, None)
                    return value
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

        # Workbooks are read in a child process (a file that makes the reader
        # abort must not take the server down) and uploads are capped in size.
        from lacompare.dashboard._upload import check_upload
        from lacompare.dashboard._upload import ingest_upload as ingest
        from lacompare.errors import InputError
        from lacompare.store import open_store

        name = Path(filename).name or "upload"
        check_upload(file, name, self.max_upload_bytes)
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        folder = self.uploads_folder() / stamp
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        shutil.copyfile(file, target)
        keep = False
        self._begin_write()
        try:
            if self._memory:
                with self.store_unlocked() as store:
                    result = ingest(store, target, **options)
            else:
                with open_store(self.path, wait=self.write_wait) as store:
                    result = ingest(store, target, **options)
            keep = not options.get("check")
        except InputError as exc:
            if exc.file and Path(exc.file).name == name:
                exc.file = name  # the user's file, not our copy of it
                exc.args = (str(exc),)
            raise
        finally:
            self._end_write(changed=keep)
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        return result

    def _begin_write(self) -> None:
        """Wait for this app's readers and other uploads, then close the
        read-only connection so that a read-write one can open."""
        from lacompare.store import Holder

        deadline = time.monotonic() + self.write_wait
        with self._cond:
            while self._writing or self._users:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreBusy(
                        self.path,
                        Holder(None, "this web app's pages or another upload"),
                        waited=self.write_wait,
                        read_only=False,
                    )
                self._cond.wait(min(TICK, left))
            self._writing = True
            self._close_connection()

    def _end_write(self, changed: bool) -> None:
        with self._cond:
            if not self._memory:
                # Our own write: seen, so not counted again as another's.
                self._seen = file_signature(self.path)
            if changed:
                self._changed()
            self._writing = False
            self._cond.notify_all()

    @contextmanager
    def store_unlocked(self) -> Iterator[Store]:
        """The in-memory store's connection for a load (no other process can
        hold it; :meth:`_begin_write` has kept this app's readers out)."""
        from lacompare.store import Store

        assert self._store is not None
        cursor = self._store.con.cursor()
        try:
            yield Store(cursor, self.path)
        finally:
            cursor.close()
