"""Browser tests of ``lacompare serve``: Playwright driving Debian's chromium.

The server is started for real (``python -m lacompare serve``) on a free port of
127.0.0.1 and stopped after the module; its output is printed if it fails to
start. Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``; never
``playwright install``). Without it these tests skip, saying so — except in CI
(``CI`` set), where they fail. Screenshots go to ``tests/browser/artefacts/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(__file__).parent / "artefacts"
REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "lacompare" / "sources" / "specs"
CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
IDACI = "deprivation/idaci2019_upper_tier_la_summary.csv"
SPEND = "spend/csc_spending_per_child_2024_25_dashboard_derived.csv"
#: The CLA breakdown the profile tests use (as the store spells it).
CLA_31_MARCH = "population_type=Children looked after on 31 March each year"


def _require(condition: bool, reason: str) -> None:
    """Skip with a reason, or fail in CI, where the browser tests must run."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    _require(CHROMIUM.exists(), f"Debian's chromium is not installed at {CHROMIUM} "
             "(apt-get install chromium)")
    for module in ("shiny", "uvicorn", "playwright"):
        try:
            __import__(module)
        except ModuleNotFoundError:
            _require(False, f"{module} is not installed (pip install "
                     "'lacompare[dashboard,test]')")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """pytest-playwright's launch options: Debian's chromium, headless, offline."""
    return {"executable_path": str(CHROMIUM), "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def artefacts() -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``lacompare serve`` process on 127.0.0.1."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("w")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lacompare", "serve", *args, "--host",
             "127.0.0.1", "--port", str(self.port)],
            stdout=self._out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        self._wait()

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def _wait(self, timeout: float = 90) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).text == "ok":
                    # The first page builds the vega-embed bundle: warm it here.
                    httpx.get(f"{self.url}/assets/vega-embed.js", timeout=60)
                    return
            except httpx.HTTPError:
                time.sleep(0.25)
        self.stop()
        pytest.fail(f"lacompare serve did not start; its output:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()


@pytest.fixture(scope="session")
def shared_db(shared_data, tmp_path_factory) -> Path:
    """A store from ../shared/data: CLA 2021-2025, IDACI, spend per child and the
    DfE 2025 statistical neighbours."""
    from lacompare.analysis import load_neighbour_set
    from lacompare.store import open_store
    from lacompare.store._ingest import ingest

    path = tmp_path_factory.mktemp("browser-store") / "shared.duckdb"
    with open_store(path) as store:
        ingest(store, shared_data / CLA)
        ingest(store, shared_data / IDACI,
               spec=SPECS / "mhclg_iod2019_upper_tier.toml")
        ingest(store, shared_data / SPEND,
               spec=SPECS / "dfe_dashboard_csc_spending_per_child_2024_25.toml")
        store.con.execute("UPDATE measures SET polarity = 'higher-is-worse' "
                          "WHERE measure = 'rate_per_10000'")
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    return path


@pytest.fixture(scope="session")
def server(shared_db, tmp_path_factory) -> Iterator[Server]:
    """``lacompare serve --db`` over the shared-data store."""
    log = tmp_path_factory.mktemp("server") / "serve.log"
    srv = Server(["--db", str(shared_db)], log)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[Server]:
    """``lacompare serve --demo``: the packaged data, no ../shared needed."""
    log = tmp_path_factory.mktemp("demo-server") / "serve.log"
    srv = Server(["--demo"], log)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def console_errors(page) -> list[str]:
    """Console errors and uncaught exceptions of the page, collected as it runs."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors
