"""Opening a store another process holds: wait for it, then say who holds it.

DuckDB locks a store file for the life of a connection: one process may hold it
read-write, or any number read-only, never both. A second opener gets
``IO Error: Could not set lock … Conflicting lock is held in PROGRAM (PID N)``.
:func:`connect_waiting` retries until the holder lets go or the wait runs out,
saying on stderr whom it waits for, and then fails with :class:`StoreBusy`, one
line naming the process and what to do.

A writer that has to wait leaves a marker beside the store
(:func:`writer_marker`) for as long as it waits: the web app, which holds
read-only connections only while it answers requests, sees it and stops opening
new ones, so a busy site cannot keep a load out for ever.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from lacompare.errors import StoreBusy, StoreError

T = TypeVar("T")

#: Environment variable giving how many seconds to wait for a store in use.
WAIT_ENV = "LACOMPARE_WAIT"
#: Seconds to wait for a store in use when neither ``--wait`` nor
#: :data:`WAIT_ENV` says.
DEFAULT_WAIT = 60.0
#: Seconds between attempts to open a store in use.
POLL = 0.2
#: Seconds of waiting before the message on stderr: a lock let go at once (the
#: web app closing an idle connection) is not worth a line.
ANNOUNCE_AFTER = 0.5

_LOCK = re.compile(
    r"Could not set lock on file .*?Conflicting lock is held in "
    r"(?P<program>.*?) \(PID (?P<pid>\d+)\)",
    re.S,
)


@dataclass(frozen=True)
class Holder:
    """The process holding a store's lock, as far as we can tell.

    Examples
    --------
    >>> Holder(4391, "lacompare serve --db s.duckdb").describe()
    'process 4391 (lacompare serve --db s.duckdb)'
    >>> Holder(None, None).describe()
    'another process'
    """

    pid: int | None
    command: str | None

    def describe(self) -> str:
        if self.pid is None:
            return self.command or "another process"
        return f"process {self.pid}" + (f" ({self.command})" if self.command else "")


def default_wait() -> float:
    """Seconds to wait for a store in use: :data:`WAIT_ENV` or :data:`DEFAULT_WAIT`.

    Examples
    --------
    >>> import os
    >>> os.environ["LACOMPARE_WAIT"] = "2.5"; default_wait()
    2.5
    >>> del os.environ["LACOMPARE_WAIT"]; default_wait()
    60.0
    """
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        seconds = float(text)
    except ValueError:
        raise StoreError(f"{WAIT_ENV}={text!r}: give a number of seconds") from None
    if seconds < 0 or seconds != seconds:
        raise StoreError(f"{WAIT_ENV}={text!r}: give a number of seconds, 0 or more")
    return seconds


def lock_holder(message: str) -> Holder | None:
    """The holder named in DuckDB's lock-conflict message; ``None`` for any other
    error.

    Examples
    --------
    >>> h = lock_holder('IO Error: Could not set lock on file "/s.duckdb": '
    ...     'Conflicting lock is held in /usr/bin/python3.11 (PID 999999999). See…')
    >>> h.pid, h.command
    (999999999, '/usr/bin/python3.11')
    >>> lock_holder("IO Error: disk full") is None
    True
    """
    found = _LOCK.search(message)
    if not found:
        return None
    pid = int(found["pid"])
    return Holder(pid, process_command(pid) or found["program"])


def process_command(pid: int, limit: int = 100) -> str | None:
    """A process's command line, shortened to what a person would have typed
    (``python -m lacompare serve`` and ``.venv/bin/lacompare serve`` are both
    ``lacompare serve``); ``None`` where ``/proc`` cannot tell.

    Examples
    --------
    >>> import os
    >>> isinstance(process_command(os.getpid()), str)  # this process's command
    True
    >>> process_command(2 ** 30) is None
    True
    """
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    if not args:
        return None
    for i, arg in enumerate(args):
        if arg == "-m" and args[i + 1 : i + 2] == ["lacompare"]:
            args = ["lacompare", *args[i + 2 :]]
            break
        if Path(arg).name == "lacompare":
            args = ["lacompare", *args[i + 1 :]]
            break
    else:
        args[0] = Path(args[0]).name
    # A ``python -c`` script holds line breaks: the message must stay one line.
    text = " ".join(" ".join(args).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def writer_marker(target: str) -> Path:
    """The file a writer waiting for ``target`` keeps beside it.

    Examples
    --------
    >>> writer_marker("/data/s.duckdb").name
    's.duckdb.write-wait'
    """
    return Path(f"{target}.write-wait")


def writer_waiting(target: str) -> Holder | None:
    """The writer waiting for ``target``, if one is (a marker whose process has
    gone is ignored).

    Examples
    --------
    >>> writer_waiting("/nonexistent/s.duckdb") is None
    True
    """
    try:
        text = writer_marker(target).read_text(errors="replace")
    except OSError:
        return None
    first, _, command = text.partition("\n")
    try:
        pid = int(first)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return None
    except PermissionError:
        pass  # alive, another user's
    return Holder(pid, command.strip() or None)


def _mark(target: str) -> bool:
    """Write this process's marker; False if the folder will not take it."""
    try:
        writer_marker(target).write_text(
            f"{os.getpid()}\n{process_command(os.getpid()) or ''}\n"
        )
    except OSError:
        return False
    return True


def _unmark(target: str) -> None:
    """Remove the marker if it is still this process's (another writer may have
    written its own since)."""
    marker = writer_marker(target)
    with contextlib.suppress(OSError, ValueError):
        if int(marker.read_text().partition("\n")[0]) == os.getpid():
            marker.unlink()


def say_on_stderr(message: str) -> None:
    """The default ``on_wait``: the message on stderr, as one line."""
    print(message, file=sys.stderr, flush=True)


def connect_waiting(
    connect: Callable[[], T],
    target: str,
    *,
    read_only: bool,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = say_on_stderr,
) -> T:
    """``connect()``, retried while another process holds ``target``'s lock.

    Parameters
    ----------
    connect
        Opens the connection; raises ``duckdb.Error`` on failure.
    target
        The store file (for messages and the writer's marker).
    read_only
        Whether ``connect`` opens read-only (a writer leaves a marker while it
        waits; the messages say what the holder blocks).
    wait
        Seconds to keep trying (``None``: :func:`default_wait`; 0: fail at once).
    on_wait
        Told once per holder, in one line, that we are waiting (``None``: quiet).

    Raises
    ------
    StoreBusy
        The lock was still held when the wait ran out.
    StoreError
        Any other failure to open, in one line.

    Examples
    --------
    >>> connect_waiting(lambda: "connected", "s.duckdb", read_only=True)
    'connected'
    """
    import duckdb

    wait = default_wait() if wait is None else wait
    start = time.monotonic()
    announced: int | None | bool = False
    marked = False
    try:
        while True:
            try:
                return connect()
            except duckdb.Error as exc:
                holder = lock_holder(str(exc))
                if holder is None:
                    first = (
                        str(exc).strip().splitlines()[0]
                        if str(exc).strip()
                        else type(exc).__name__
                    )
                    raise StoreError(f"cannot open store {target}: {first}") from None
            waited = time.monotonic() - start
            if waited >= wait:
                raise StoreBusy(target, holder, waited=wait, read_only=read_only)
            if not read_only and not marked:
                marked = _mark(target)
            if (
                on_wait is not None
                and waited >= ANNOUNCE_AFTER
                and announced != holder.pid
            ):
                on_wait(
                    f"waiting for the store {target}: held by "
                    f"{holder.describe()}; Ctrl-C to stop (up to {wait:g} s)"
                )
                announced = holder.pid
            time.sleep(min(POLL, max(0.0, wait - waited)))
    finally:
        if marked:
            _unmark(target)
