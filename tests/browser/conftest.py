"""Browser tests of ``lacompare serve``: Playwright driving Debian's chromium.

The server is started for real (``python -m lacompare serve``, see
``dashboard_server.py``) on a free port of 127.0.0.1 and stopped after the session.
Chromium is ``/usr/bin/chromium`` (see ``tests/chromium.py``): without it these tests
skip, saying so, except in CI (``CI`` set), where they fail. Screenshots go to
``tests/browser/artefacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import LAUNCH_ARGS, require_browser
from dashboard_server import CLA, IDACI, SPECS, SPEND, Server

ARTEFACTS = Path(__file__).parent / "artefacts"


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    require_browser(
        "shiny", "uvicorn", "playwright", install="lacompare[dashboard,test]"
    )


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """pytest-playwright's launch options: Debian's chromium, headless, offline."""
    return LAUNCH_ARGS


@pytest.fixture(scope="session")
def artefacts() -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS


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
        ingest(store, shared_data / IDACI, spec=SPECS / "mhclg_iod2019_upper_tier.toml")
        ingest(
            store,
            shared_data / SPEND,
            spec=SPECS / "dfe_dashboard_csc_spending_per_child_2024_25.toml",
        )
        store.con.execute(
            "UPDATE measures SET polarity = 'higher-is-worse' "
            "WHERE measure = 'rate_per_10000'"
        )
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
    page.on(
        "console",
        lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors
