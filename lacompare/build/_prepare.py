"""A build's loads, prepared ahead in a worker process.

A load is two halves: reading the file, detecting its layout, matching its
authorities and planning the parse (none of which touches the store), then
writing, checking totals and settling vintages in the store's one connection.
While the store writes one file, a worker process (:mod:`lacompare.build._worker`)
prepares the next ones (:func:`lacompare.store._ingest_prepare.prepare_load`) and
lists workbooks' sheets, so a build uses two cores (issue 19: ``lacompare build``
at most 6x DuckDB's own read of the same files).

The store still takes the loads one at a time, in the same order, each in its own
transaction. A worker that cannot start, dies, or fails on a job for any reason
other than the file only makes that job (or the rest of the build) run in the
store's process; a file's own error is the same either way.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.build._worker import read_message, write_message
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.build._files import LoadEntry, Recognised
    from lacompare.store import PreparedLoad

#: Files larger than this are read in the store's process, under the load's memory
#: limit (a worker's DuckDB holds its table in memory).
PREPARE_MAX_BYTES = 256 << 20
#: Fewer loads than this are not worth starting a process for (about a second).
PREPARE_MIN_LOADS = 4
#: Jobs sent before their results are read: enough that the worker runs well
#: ahead, few enough that their specs never fill the pipe to it (64 KB).
IN_FLIGHT = 12


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
        self._sent: deque[str] = deque()
        #: Seconds the store's process waited for the worker's results.
        self.waited = 0.0
        self._taken = 0

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
        args = (str(rec.file), spec, entry.sheet, entry.skip_unresolved)
        self._queue(f"load:{entry.id}", "prepare", args)

    def sheets_ahead(self, rec: Recognised) -> None:
        """Queue the listing of a workbook's sheets."""
        if self.enabled and self._start():
            self._queue(f"sheets:{rec.relative}", "sheets", (str(rec.file),))

    def _queue(self, key: str, kind: str, args: tuple[Any, ...]) -> None:
        self._pending.append((key, kind, args))
        self._send()

    def _send(self) -> None:
        while self._proc is not None and self._pending and len(self._sent) < IN_FLIGHT:
            key, kind, args = self._pending.popleft()
            try:
                assert self._proc.stdin is not None
                write_message(self._proc.stdin, (kind, args, self._folder, self._taken))
            except (OSError, ValueError):
                self._stop()
                return
            self._sent.append(key)

    # --- taking ---------------------------------------------------------------

    def take(self, entry: LoadEntry) -> PreparedLoad | None:
        """``entry``'s prepared load, or None; raises the file's own error."""
        return self._take(f"load:{entry.id}")  # type: ignore[no-any-return]

    def take_sheets(self, rec: Recognised) -> list[str] | None:
        """A workbook's sheet names, or None; raises InputError when they cannot
        be read."""
        return self._take(f"sheets:{rec.relative}")  # type: ignore[no-any-return]

    def _take(self, key: str) -> Any:
        if not self._sent or self._sent[0] != key or self._proc is None:
            return None
        self._sent.popleft()
        self._taken += 1
        started = time.perf_counter()
        try:
            assert self._proc.stdout is not None
            result = Path(read_message(self._proc.stdout))
            self.waited += time.perf_counter() - started
            with open(result, "rb") as fh:
                status, value = read_message(fh)
            result.unlink()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            self._stop()  # the worker died: the rest of the build is serial
            return None
        self._send()
        if status == "ok":
            return value
        if status == "failed":
            raise InputError(value)
        return None  # broken: done again in the store's process

    # --- the process ----------------------------------------------------------

    def _start(self) -> bool:
        if self._proc is not None:
            return True
        import lacompare

        self._folder = tempfile.mkdtemp(prefix="lacompare-build-")
        env = dict(os.environ)
        # The worker imports this same lacompare, wherever it was imported from.
        home = str(Path(lacompare.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (home, env.get("PYTHONPATH")) if p
        )
        try:
            with open(Path(self._folder) / "worker.log", "wb") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "lacompare.build._worker"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=env,
                )
        except OSError:
            self.enabled = False
            return False
        return True

    def _stop(self) -> None:
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

    def close(self) -> None:
        """Stop the worker and delete what it wrote and nobody took."""
        self._stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


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
