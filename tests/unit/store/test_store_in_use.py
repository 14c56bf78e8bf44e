"""A store another process holds (issue 14, item 5): readers share it, a writer
waits for it with a message, and gives up in one line naming the holder.

Each test runs a real second process that holds the store, and the commands as a
user would (``python -m lacompare``). Waits are bounds, never timings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lacompare.errors import StoreBusy
from lacompare.store import open_store
from lacompare.store._lock import lock_holder, writer_marker

HOLD = textwrap.dedent("""
    import sys, time
    from lacompare.store import open_store
    store = open_store(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("ready", flush=True)
    time.sleep(float(sys.argv[3]))
    store.close()
""")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    return path


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    path.write_text("la,pupils\nLeeds,1\nYork,2\n", encoding="utf-8")
    return path


class Holder:
    """A python process holding ``db`` (read-write or read-only) for ``seconds``."""

    def __init__(self, db: Path, mode: str, seconds: float = 120) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db), mode, str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if line.strip() != "ready":
            self.stop()
            pytest.fail(f"the holder did not start: {self.process.stderr.read()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def hold(db: Path) -> Iterator[object]:
    held: list[Holder] = []

    def start(mode: str, seconds: float = 120) -> Holder:
        held.append(Holder(db, mode, seconds))
        return held[-1]

    yield start
    for h in held:
        h.stop()


def lacompare(*args: object, wait: float | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LACOMPARE_WAIT"}
    extra = ["--wait", str(wait)] if wait is not None else []
    return subprocess.run(
        [sys.executable, "-m", "lacompare", *extra, *map(str, args)],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=300,
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The error line of a failed command, checked to be one clean line."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "IO Error" not in result.stderr and "Conflicting lock" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_write_waits_then_names_the_process_holding_the_store(db, table, hold):
    holder = hold("rw")
    result = lacompare("ingest", table, "--period", "2021", "--db", db, wait=1.5)
    line = one_line_error(result)
    assert f"process {holder.pid} (python -c " in line
    assert "waited 1.5 s" in line and "--wait" in line
    assert f"waiting for the store {db}: held by process {holder.pid}" in result.stderr
    assert "Ctrl-C to stop" in result.stderr
    assert not writer_marker(str(db)).exists()  # the waiting writer cleaned up
    holder.stop()
    with open_store(db, read_only=True) as store:  # nothing was loaded
        assert store.query("SELECT count(*) AS n FROM sources")["n"][0] == 0


def test_a_read_waits_for_a_writer_and_says_it_is_being_written(db, hold):
    holder = hold("rw")
    line = one_line_error(lacompare("info", "--db", db, wait=0.5))
    assert f"is being written by process {holder.pid}" in line


def test_readers_share_the_store_and_a_writer_waits_for_them(db, table, hold):
    holder = hold("ro")
    info = lacompare("info", "--db", db, wait=0)
    assert info.returncode == 0, info.stderr
    assert f"store: {db}" in info.stdout and "values:" in info.stdout
    line = one_line_error(
        lacompare("ingest", table, "--period", "2021", "--db", db, wait=0.5)
    )
    assert f"is in use by process {holder.pid}" in line


def test_a_write_goes_ahead_when_the_holder_lets_go(db, table, hold):
    hold("rw", seconds=1.5)
    result = lacompare("ingest", table, "--period", "2021", "--db", db, wait=120)
    assert result.returncode == 0, result.stderr
    assert "loaded 2 observations" in result.stdout


def test_open_store_raises_store_busy_with_the_holder(db, hold):
    holder = hold("rw")
    said: list[str] = []
    with pytest.raises(StoreBusy) as err:
        open_store(db, wait=0.8, on_wait=said.append)
    assert err.value.holder.pid == holder.pid
    assert err.value.holder.command.startswith("python -c ")
    assert len(said) == 1 and f"held by process {holder.pid}" in said[0]


def test_lock_messages_of_duckdb_are_parsed_and_others_are_not():
    text = (
        'IO Error: Could not set lock on file "/x/s.duckdb": Conflicting lock '
        "is held in /usr/bin/python3 (PID 2147483600). However, you would be "
        "able to open this database in read-only mode"
    )
    holder = lock_holder(text)
    assert holder is not None and holder.pid == 2147483600
    assert holder.command == "/usr/bin/python3"  # no such process: DuckDB's name
    assert lock_holder("Catalog Error: Table with name x does not exist!") is None
