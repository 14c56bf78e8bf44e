"""The web app and the command line on one store at once (issue 14, item 5).

The app reads through brief read-only connections, so commands can read and load
while it serves, and what they load shows in the app without a restart.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("shiny")

from lacompare.dashboard._state import DashboardStore  # noqa: E402
from lacompare.errors import StoreBusy  # noqa: E402
from lacompare.store import open_store  # noqa: E402

HOLD = textwrap.dedent("""
    import sys, time
    from lacompare.store import open_store
    store = open_store(sys.argv[1])
    print("ready", flush=True)
    time.sleep(120)
""")


def lacompare(*args: object, wait: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lacompare", "--wait", str(wait), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )


def sources(state: DashboardStore) -> int:
    with state.store() as s:
        return int(s.query("SELECT count(*) AS n FROM sources")["n"][0])


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    path.write_text("la,pupils\nLeeds,1\nYork,2\n", encoding="utf-8")
    return path


def test_a_load_by_the_command_line_shows_without_a_restart(tmp_path, table):
    state = DashboardStore(tmp_path / "s.duckdb", idle_close=30)
    try:
        assert sources(state) == 0  # the connection is open, and stays so (idle)
        before = state.version
        info = lacompare("info", "--db", state.path, wait=0)
        assert info.returncode == 0, info.stderr  # readers share the store
        # The waiting writer's marker makes the app let go of its connection.
        load = lacompare("ingest", table, "--period", "2021", "--db", state.path)
        assert load.returncode == 0, load.stderr
        assert state.version == before + 1
        assert sources(state) == 1
        assert state.version == before + 1  # seen once
    finally:
        state.close()


def test_while_another_process_writes_the_app_serves_what_it_has(tmp_path, table):
    db = tmp_path / "s.duckdb"
    state = DashboardStore(db, idle_close=0.2, read_wait=0.5)
    try:
        assert state.cached(("n",), lambda: sources(state)) == 0
        deadline = time.monotonic() + 30
        while state._store is not None and time.monotonic() < deadline:
            time.sleep(0.1)  # idle: the connection closes
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
            # Computed before: still served. Not computed: busy, naming the writer.
            assert state.cached(("n",), lambda: sources(state)) == 0
            with pytest.raises(StoreBusy) as err:
                sources(state)
            assert f"being written by process {holder.pid}" in str(err.value)
            assert err.value.status == 503
        finally:
            holder.terminate()
            holder.wait(timeout=30)
        with open_store(db, wait=30) as s:
            from lacompare.store._ingest import ingest

            ingest(s, table, period="2021")
        assert state.cached(("n",), lambda: sources(state)) == 1
    finally:
        state.close()


def test_an_upload_waits_for_another_writer_and_names_it(tmp_path, table):
    db = tmp_path / "s.duckdb"
    state = DashboardStore(db, idle_close=0.2, write_wait=0.5)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        with pytest.raises(StoreBusy) as err:
            state.load(table, "t.csv", period="2021")
        assert f"in use by process {holder.pid}" in str(err.value)
    finally:
        holder.terminate()
        holder.wait(timeout=30)
    assert state.load(table, "t.csv", period="2021").observations == 2
    assert sources(state) == 1
    state.close()


def test_serve_and_the_command_line_share_a_store(tmp_path, table):
    import httpx

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "browser"))
    from dashboard_server import Server

    db = tmp_path / "s.duckdb"
    first = tmp_path / "first.csv"
    first.write_text("la,children\nLeeds,10\nYork,20\n", encoding="utf-8")
    assert lacompare("ingest", first, "--period", "2021", "--db", db).returncode == 0
    server = Server(["--db", str(db)], tmp_path / "serve.log")
    try:
        page = httpx.get(f"{server.url}/table/measure?measure=children", timeout=60)
        assert page.status_code == 200 and "Leeds" in page.text
        info = lacompare("info", "--db", db, wait=0)
        assert info.returncode == 0, info.stderr
        assert "first.csv" in info.stdout
        load = lacompare("ingest", table, "--period", "2021", "--db", db)
        assert load.returncode == 0, load.stderr + server.output()
        page = httpx.get(f"{server.url}/table/measure?measure=pupils", timeout=60)
        assert page.status_code == 200, page.text
        assert "Leeds" in page.text and "York" in page.text
        assert httpx.get(f"{server.url}/status/store").text != "version 0"
        assert "Traceback" not in server.output()
    finally:
        server.stop()


def test_pages_say_the_store_is_being_written_with_503(tmp_path):
    from starlette.testclient import TestClient

    from lacompare.dashboard.app import create_app

    db = tmp_path / "s.duckdb"
    table = tmp_path / "two.csv"
    table.write_text("la,pupils,staff\nLeeds,1,3\nYork,2,4\n", encoding="utf-8")
    with open_store(db) as s:
        from lacompare.store._ingest import ingest

        ingest(s, table, period="2021")
    with TestClient(create_app(db)) as client:
        assert client.get("/table/measure?measure=pupils").status_code == 200
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
            # Shown before: served again. Not shown before: 503, naming the writer.
            assert client.get("/table/measure?measure=pupils").status_code == 200
            busy = client.get("/table/measure?measure=staff")
            assert busy.status_code == 503
            assert f"being written by process {holder.pid}" in busy.text
        finally:
            holder.terminate()
            holder.wait(timeout=30)
        # Not kept: once the writer has gone the page is answered.
        again = client.get("/table/measure?measure=staff")
        assert again.status_code == 200


def test_an_open_shiny_session_shows_a_load_by_the_command_line(tmp_path):
    """Over the Shiny websocket, as a browser would: the Data page's table is
    sent again, with the new file, after ``lacompare ingest`` (no reload)."""
    import asyncio
    import json

    websockets = pytest.importorskip("websockets")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "browser"))
    from dashboard_server import Server

    from lacompare.dashboard._shiny import WATCH_SECONDS

    db = tmp_path / "s.duckdb"
    first = tmp_path / "first.csv"
    first.write_text("la,children\nLeeds,10\nYork,20\n", encoding="utf-8")
    assert lacompare("ingest", first, "--period", "2021", "--db", db).returncode == 0
    table = tmp_path / "pupils.csv"
    table.write_text("la,pupils\nLeeds,1\nYork,2\n", encoding="utf-8")
    server = Server(["--db", str(db)], tmp_path / "serve.log")

    async def session() -> tuple[str, str]:
        url = server.url.replace("http://", "ws://") + "/websocket/"
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send(
                json.dumps(
                    {
                        "method": "init",
                        "data": {
                            ".clientdata_url_search": "?page=data",
                            ".clientdata_output_data_body_hidden": False,
                        },
                    }
                )
            )

            async def data_body(seconds: float, want: str) -> str:
                body = ""
                end = time.monotonic() + seconds
                while time.monotonic() < end and want not in body:
                    try:
                        message = json.loads(
                            await asyncio.wait_for(
                                ws.recv(), timeout=max(0.1, end - time.monotonic())
                            )
                        )
                    except TimeoutError:
                        break
                    sent = (message.get("values") or {}).get("data_body")
                    if sent:
                        body = json.dumps(sent)
                return body

            before = await data_body(30, "first.csv")
            load = await asyncio.to_thread(
                lacompare, "ingest", table, "--period", "2021", "--db", db
            )
            assert load.returncode == 0, load.stderr
            after = await data_body(WATCH_SECONDS * 3 + 10, "pupils.csv")
            return before, after

    try:
        # A thread of its own: earlier tests in the same run (Playwright's sync API)
        # can leave an event loop running in the main thread.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            before, after = pool.submit(asyncio.run, session()).result()
        assert "first.csv" in before and "pupils.csv" not in before
        assert "pupils.csv" in after
    finally:
        server.stop()


def test_a_computation_inside_another_does_not_wait_for_a_waiting_writer(tmp_path):
    from lacompare.store._lock import writer_marker

    db = tmp_path / "s.duckdb"
    state = DashboardStore(db, read_wait=0.3)
    marker = writer_marker(str(db))
    try:
        with state.store() as outer:
            # A writer (this process, alive) starts waiting meanwhile.
            marker.write_text(f"{os.getpid()}\npython\n")
            with state.store() as inner:
                assert inner.query("SELECT 1 AS x")["x"][0] == 1
            assert outer.query("SELECT 2 AS x")["x"][0] == 2
        with pytest.raises(StoreBusy) as err:  # a new reader lets the writer go first
            sources(state)
        assert f"process {os.getpid()} (python)" in str(err.value)
    finally:
        marker.unlink(missing_ok=True)
        state.close()
