"""The build's worker process: :class:`lacompare.build._prepare.LoadPreparer`
starts it (``python -P -c …`` with the store's process's import path; ``python
-m lacompare.build._worker`` by hand).

It reads jobs from standard input and writes their results to standard output,
each a length-prefixed pickle, in the order the jobs came
(:class:`lacompare.build._prepare.LoadPreparer` is the other end). A separate
interpreter, not :mod:`multiprocessing`: a spawned child imports the caller's
``__main__`` again, which re-runs a user's script that has no
``if __name__ == "__main__"`` guard.

A job is ``(kind, args, folder)``. Its result is written to a file in
``folder`` and the file's name sent back. The kinds:

* ``("prepare", (path, spec, sheet, skip_unresolved, compact_values))``: a load read,
  matched, planned and (unless kept as rows of values) parsed
  (:func:`lacompare.store._ingest_prepare.prepare_load`);
* ``("sheets", (path,))``: a workbook's sheet names;
* ``("neighbours", (path, label, valid_for))``: a neighbour set read and its
  authorities matched (:func:`lacompare.analysis.neighbours.read_neighbour_set`).

The worker first sends ``("ready", path of its lacompare package)``. A result is
``("ok", value)``, ``("failed", message)`` for the file's own error,
or ``("broken", traceback)`` for anything else (the build then does that job
itself).
"""

from __future__ import annotations

import functools
import os
import pickle
import select
import sys
import traceback
from pathlib import Path
from typing import Any, BinaryIO

from lacompare.errors import LacompareError

#: Bytes of the length before each pickle.
HEADER = 8
#: No message of ours is this long (a job's spec, a result file's name).
MAX_MESSAGE = 64 << 20


def write_message(out: BinaryIO, message: Any) -> None:
    """One length-prefixed pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(data).to_bytes(HEADER, "little"))
    out.write(data)
    out.flush()


def read_message(inp: BinaryIO) -> Any:
    """The next length-prefixed pickle; EOFError when the other end closed.

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO(); write_message(buf, ("ok", [1, 2])); _ = buf.seek(0)
    >>> read_message(buf)
    ('ok', [1, 2])
    """
    head = inp.read(HEADER)
    if len(head) < HEADER:
        raise EOFError
    size = int.from_bytes(head, "little")
    data = inp.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - our own parent's jobs, over a pipe


@functools.cache
def _con(folder: str) -> Any:
    """The worker's one in-memory DuckDB (opening one takes about 13 ms)."""
    return connect_for_jobs(folder)


def connect_for_jobs(folder: str, spill: str = "spill", threads: int = 0) -> Any:
    """An in-memory DuckDB to do jobs in, held to a load's memory limit, spilling
    into ``spill`` in the build's own folder, with no progress bar (in the store's
    process, it would print on the user's output) and ``threads`` (0: DuckDB's
    default)."""
    import duckdb

    from lacompare.store import INGEST_MEMORY_LIMIT

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}B'")
    into = str(Path(folder) / spill).replace("'", "''")
    con.execute(f"SET temp_directory = '{into}'")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def run_job(
    kind: str,
    args: tuple[Any, ...],
    folder: str,
    parse: bool = True,
    con: Any = None,
) -> tuple[str, Any]:
    """One job's result (see the module docstring); ``parse``: a load's cells
    are parsed here too (else by the store's process); ``con``: the DuckDB to
    work in (default: the worker's own)."""
    try:
        if kind == "prepare":
            from lacompare.store import merge_spec, prepare_load

            path, spec, sheet, skip, compact_values = args
            merged = merge_spec(spec, sheet, None, None, None, None, None, None, None)
            return "ok", prepare_load(
                path,
                merged,
                skip,
                folder,
                compact_values,
                parse,
                con if con is not None else _con(folder),
            )
        if kind == "neighbours":
            from lacompare.analysis.neighbours import read_neighbour_set

            path, label, valid_for = args
            return "ok", read_neighbour_set(path, label, valid_for)
        if kind == "sheets":
            from lacompare.sources import open_workbook

            (path,) = args
            try:
                return "ok", list(open_workbook(path, filename=path).sheet_names)
            except Exception as exc:  # noqa: BLE001 - said as the build says it
                return "failed", str(exc)
        return "broken", f"no such job: {kind!r}"
    except LacompareError as exc:
        return "failed", str(exc)
    except Exception:  # noqa: BLE001 - reported; the build does the job itself
        return "broken", traceback.format_exc()


class FdReader:
    """Length-prefixed pickles read from a pipe's file descriptor without Python's
    buffering, so that :func:`select.select` sees every byte not yet read."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def ready(self, timeout: float = 0) -> bool:
        """Whether a byte can be read within ``timeout`` seconds."""
        return bool(select.select([self.fd], [], [], timeout)[0])

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = os.read(self.fd, n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def message(self) -> Any:
        """The next message; EOFError when the other end closed."""
        size = int.from_bytes(self._exact(HEADER), "little")
        if size > MAX_MESSAGE:
            raise EOFError  # not one of ours: treated as the pipe's end
        return pickle.loads(self._exact(size))  # noqa: S301 - our own pipe


def main() -> None:
    import lacompare

    # Results go down a copy of descriptor 1; descriptor 1 itself (and Python's
    # stdout) now lead to stderr, so nothing a library prints, even from C, can
    # land in a result.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    jobs = FdReader(sys.stdin.fileno())
    # The store checks this before its first job: the same lacompare, started.
    write_message(out, ("ready", str(Path(lacompare.__file__).resolve())))
    done = 0
    while True:
        try:
            kind, args, folder = jobs.message()
        except EOFError:
            return
        # The result goes to a file and only its name down the pipe: a pipe holds
        # 64 KB, and a worker blocked on writing one result cannot run ahead.
        done += 1
        target = Path(folder) / f"result-{done}.pickle"
        with open(target, "wb") as fh:
            # Parsed here too, always: when the store would wait for us, it does
            # a later job itself (lacompare.build._prepare), which balances the
            # two better than leaving it the parse (5.4x DuckDB's read against
            # 5.8x, bench/build.py).
            write_message(fh, run_job(kind, args, folder))
        write_message(out, str(target))


if __name__ == "__main__":
    main()
