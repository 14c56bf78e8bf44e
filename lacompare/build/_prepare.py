"""A build's loads, prepared ahead in a worker process.

A load is two halves: reading the file, detecting its layout, matching its
authorities and parsing its cells (none of which touches the store), then
writing, checking totals and settling vintages in the store's one connection.
While the store writes one file, a worker process (:mod:`lacompare.build._worker`)
prepares the next ones (:func:`lacompare.store._ingest_prepare.prepare_load`), lists
workbooks' sheets and reads neighbour sets, so a build uses two cores (issue 19:
``lacompare build`` at most 6x DuckDB's own read of the same files).

When the store would wait for the worker (a slow file: the LAIT Parquet file, an
RO3 workbook), it prepares a later load itself, one the worker has not been sent
yet, and keeps the result for its turn: the two cores stay busy.

The store still takes the loads one at a time, in the same order, each in its own
transaction. A worker that cannot start, dies, or fails on a job for any reason
other than the file only makes that job (or the rest of the build) run in the
store's process; a file's own error is the same either way.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.build._worker import FdReader, read_message, write_message
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.analysis.neighbours import ReadNeighbours
    from lacompare.build._files import LoadEntry, Recognised
    from lacompare.store import PreparedLoad

#: Files larger than this are read in the store's process, as ingest reads them
#: (the worker's results wait on disk, uncompressed, until the store takes them).
PREPARE_MAX_BYTES = 64 << 20
#: Seconds the worker has to say it started.
STARTUP_SECONDS = 60
#: The environment variable that gives the worker this process's import path.
PATH_ENV = "LACOMPARE_WORKER_PATH"
_WORKER_MAIN = (
    "import json, os, sys; "
    f"sys.path[:] = json.loads(os.environ[{PATH_ENV!r}]); "
    "from lacompare.build._worker import main; main()"
)
#: Fewer loads than this are not worth starting a process for (about a second).
PREPARE_MIN_LOADS = 4
#: Jobs sent before their results are read: enough that the worker runs well
#: ahead, few enough that their specs never fill the pipe to it (64 KB).
IN_FLIGHT = 12
#: A build's working folder: made in the system's temporary folder, holding the
#: file that names the process that made it (``OWNER_FILE``: its host and id).
FOLDER_PREFIX = "lacompare-build-"
OWNER_FILE = "owner.pid"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's counts: it may be ours,
    reused, and is never deleted from under it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except Exception:  # noqa: BLE001 - not provably gone: alive
        return True
    return True


def _pid_namespace() -> str:
    """This process's pid namespace ('pid:[4026531836]'), or '-' where the
    system does not say: a process id means something only within one."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "-"


def owner_text(pid: int | None = None) -> str:
    """What ``OWNER_FILE`` holds: this host's name, pid namespace and the
    process id."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()} {_pid_namespace()} {pid}"


def remove_abandoned_folders(parent: str | Path | None = None) -> list[Path]:
    """Delete the working folders of builds whose process is gone; returns them.

    A build deletes its folder when it ends, however it ends, except when its
    process is killed outright (SIGKILL, a machine's out-of-memory killer): its
    folder (worker results, a spill store) stayed behind. Each folder names its
    process in ``OWNER_FILE``; one of this user's whose process no longer exists
    on this host, in this pid namespace, is removed when the next build starts.
    Anything else is left alone: a folder without that file or with one that does
    not read, another user's, another host's or container's (a temporary folder
    shared between them), a link, or one whose process lives. Nothing here stops
    a build: a folder that cannot be read or removed is skipped.

    Examples
    --------
    >>> import tempfile
    >>> parent = Path(tempfile.mkdtemp())
    >>> left = parent / (FOLDER_PREFIX + "x")
    >>> left.mkdir()
    >>> _ = (left / OWNER_FILE).write_text(owner_text(999999999))  # no such process
    >>> live = parent / (FOLDER_PREFIX + "y")
    >>> live.mkdir()
    >>> _ = (live / OWNER_FILE).write_text(owner_text())
    >>> [p.name for p in remove_abandoned_folders(parent)]
    ['lacompare-build-x']
    >>> sorted(p.name for p in parent.iterdir())
    ['lacompare-build-y']
    """
    removed = []
    ours = owner_text(0).rsplit(" ", 1)[0]
    try:
        folders = list(Path(parent or tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"))
    except OSError:
        return removed
    for folder in folders:
        try:
            if folder.is_symlink() or not folder.is_dir():
                continue
            if hasattr(os, "getuid") and folder.stat().st_uid != os.getuid():
                continue
            owner, pid_text = (folder / OWNER_FILE).read_text().strip().rsplit(" ", 1)
            pid = int(pid_text)
            if owner != ours or pid <= 0 or pid == os.getpid() or _alive(pid):
                continue
            shutil.rmtree(folder)
        except Exception:  # noqa: BLE001, S112 - housekeeping never stops a build
            continue
        removed.append(folder)
    return removed


class LoadPreparer:
    """Runs a build's preparation jobs ahead, in order, in one worker process.

    :meth:`ahead` and :meth:`sheets_ahead` queue jobs in the order the store will
    take them; :meth:`take` and :meth:`take_sheets` give a result, raise the
    file's own error, or give None (the job was not queued or the worker could
    not do it: the store's process does it).
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and (os.cpu_count() or 1) > 1
        self._proc: subprocess.Popen[bytes] | None = None
        self._folder: str | None = None
        self._pending: deque[tuple[str, str, tuple[Any, ...]]] = deque()
        self._queued: set[str] = set()
        self._sent: deque[str] = deque()
        #: Seconds the store's process waited for the worker's results.
        self.waited = 0.0
        #: Why the worker stopped before the build's end (None: it did not).
        self.stopped: str | None = None
        #: Results of jobs the store's process did itself while it would have
        #: waited (never sent to the worker), by key.
        self._stolen: dict[str, tuple[str, Any]] = {}
        #: How many loads the store's process prepared so, and the seconds all
        #: such jobs took.
        self.stole = 0
        self.stealing = 0.0
        self._con: Any = None
        self._started = False
        self._results: FdReader

    def __enter__(self) -> LoadPreparer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- queueing -------------------------------------------------------------

    def ahead(self, rec: Recognised, entry: LoadEntry) -> None:
        """Queue the preparation of ``entry``'s load (a large file is left to the
        store's process, under its memory limit)."""
        if not self.enabled or not self._start():
            return
        try:
            if rec.file.stat().st_size > PREPARE_MAX_BYTES:
                return
            spec = entry.ingest_spec()
        except Exception:  # noqa: BLE001 - the store's process will say why
            return
        from lacompare.store import compact_threshold

        args = (
            str(rec.file),
            spec,
            entry.sheet,
            entry.skip_unresolved,
            compact_threshold(),
        )
        self._queue(_load_key(rec, entry), "prepare", args)

    def sheets_ahead(self, rec: Recognised) -> None:
        """Queue the listing of a workbook's sheets."""
        if self.enabled and self._start():
            self._queue(f"sheets:{rec.relative}", "sheets", (str(rec.file),))

    def neighbours_ahead(self, rec: Recognised) -> None:
        """Queue the reading of a neighbour set (matched, not yet written)."""
        n = rec.neighbours
        if n is not None and self.enabled and self._start():
            args = (str(rec.file), n.label, n.valid_for)
            self._queue(f"neighbours:{rec.relative}", "neighbours", args)

    def _queue(self, key: str, kind: str, args: tuple[Any, ...]) -> None:
        if key in self._queued:
            # Never two jobs under one key: a result could be given to the other
            # (that load is then made in the store's process).
            return
        self._queued.add(key)
        self._pending.append((key, kind, args))
        self._send()

    def _send(self) -> None:
        while self._proc is not None and self._pending and len(self._sent) < IN_FLIGHT:
            key, kind, args = self._pending.popleft()
            try:
                assert self._proc.stdin is not None
                write_message(self._proc.stdin, (kind, args, self._folder))
            except (OSError, ValueError) as exc:
                self._stop(f"could not be sent a job ({exc})")
                return
            self._sent.append(key)

    # --- taking ---------------------------------------------------------------

    def take(self, rec: Recognised, entry: LoadEntry) -> PreparedLoad | None:
        """``entry``'s prepared load, or None; raises the file's own error."""
        return self._take(_load_key(rec, entry))  # type: ignore[no-any-return]

    def take_sheets(self, rec: Recognised) -> list[str] | None:
        """A workbook's sheet names, or None; raises InputError when they cannot
        be read."""
        return self._take(f"sheets:{rec.relative}")  # type: ignore[no-any-return]

    def take_neighbours(self, rec: Recognised) -> ReadNeighbours | None:
        """A neighbour set read and matched, or None; raises InputError for a
        bad row."""
        return self._take(f"neighbours:{rec.relative}")  # type: ignore[no-any-return]

    def _take(self, key: str) -> Any:
        if key in self._stolen:
            return _outcome(*self._stolen.pop(key))
        if not self._sent or self._sent[0] != key or self._proc is None:
            return None
        self._sent.popleft()
        try:
            if not self._ready():
                return None
            self._steal_while_waiting()
            started = time.perf_counter()
            result = Path(self._results.message())
            self.waited += time.perf_counter() - started
            with open(result, "rb") as fh:
                status, value = read_message(fh)
            result.unlink()
        except Exception as exc:  # noqa: BLE001 - the worker, not the file
            # Died, or answered what no worker of ours says: the rest of the
            # build runs in the store's process.
            self._stop(f"{type(exc).__name__}: {exc}".rstrip(": "))
            return None
        self._send()
        return _outcome(status, value)

    def _steal_while_waiting(self) -> None:
        """While the worker's next result is not ready, do the next job not yet
        sent to it here, and keep its result for its turn."""
        from lacompare.build._worker import connect_for_jobs, run_job

        while self._pending and not self._results.ready(0):
            if self._con is None:
                try:
                    # One thread: the worker is busy on the other core. Its own
                    # spill folder, apart from the worker's.
                    self._con = connect_for_jobs(
                        str(self._folder), "spill-store", threads=1
                    )
                except Exception:  # noqa: BLE001 - then it waits, as before
                    return
            key, kind, args = self._pending.popleft()
            started = time.perf_counter()
            status, value = run_job(kind, args, str(self._folder), con=self._con)
            self._stolen[key] = status, value
            self.stealing += time.perf_counter() - started
            self.stole += kind == "prepare" and status == "ok"

    # --- the process ----------------------------------------------------------

    def _ready(self) -> bool:
        """Whether the worker said it started, with this same lacompare (its
        first message, read before the first result)."""
        if self._started:
            return True
        import lacompare

        if not self._results.ready(STARTUP_SECONDS):
            self._stop(f"did not start within {STARTUP_SECONDS} s")
            return False
        said = self._results.message()
        ours = str(Path(lacompare.__file__).resolve())
        if said != ("ready", ours):
            self._stop(f"started another lacompare ({said!r}, not {ours!r})")
            return False
        self._started = True
        return True

    def _start(self) -> bool:
        if self._proc is not None:
            return True
        if os.name == "nt" or getattr(sys, "frozen", False):
            # No select() on a pipe on Windows; a frozen program's executable is
            # not a Python to start the worker with.
            self.enabled = False
            return False
        env = dict(os.environ)
        # The worker sees exactly this process's import path: -P keeps Python
        # from putting the current folder (and so any lacompare/ in it) first.
        env[PATH_ENV] = json.dumps(sys.path)
        try:
            remove_abandoned_folders()
            self._folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
            (Path(self._folder) / OWNER_FILE).write_text(owner_text())
            with open(Path(self._folder) / "worker.log", "wb") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-P", "-c", _WORKER_MAIN],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=env,
                )
        except OSError as exc:
            self.enabled = False
            self.stopped = f"could not start ({exc})"
            return False
        assert self._proc.stdout is not None
        self._results = FdReader(self._proc.stdout.fileno())
        return True

    def _stop(self, why: str | None = None) -> None:
        if why and self.stopped is None:
            self.stopped = why
        proc, self._proc = self._proc, None
        self.enabled = False
        self._pending.clear()
        self._sent.clear()
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self, why: str) -> None:
        """Stop the worker: every later job is done in the store's process."""
        self._stop(why)

    def close(self) -> None:
        """Stop the worker and delete what it wrote and nobody took."""
        self._stop()
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _outcome(status: str, value: Any) -> Any:
    """A job's result: its value, the file's own error raised, or None (done
    again in the store's process)."""
    if status == "ok":
        return value
    if status == "failed":
        raise InputError(value)
    return None


def _load_key(rec: Recognised, entry: LoadEntry) -> str:
    """A load's key in the queue: the file found and the entry's place among its
    loads (two files can be recognised as one known entry, by name or by header;
    one file can be two entries, even of one sheet)."""
    place = next(i for i, e in enumerate(rec.loads) if e is entry)
    return f"load:{rec.relative}#{place}"


def worker_enabled(n_loads: int, prepare: bool | None) -> bool:
    """Whether a build of ``n_loads`` loads prepares them in a worker: as asked,
    or by default when there are enough loads (a second core is checked too).

    Examples
    --------
    >>> worker_enabled(81, None), worker_enabled(2, None), worker_enabled(2, True)
    (True, False, True)
    """
    if prepare is not None:
        return prepare
    return n_loads >= PREPARE_MIN_LOADS
