"""Shared fixtures: the real public data beside the repository, tiny file builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()

# --doctest-modules would also import every conftest.py under tests/ as a module named
# "conftest"; they hold no doctests, and a second "conftest" clashes with the first.
collect_ignore_glob = ["*conftest.py"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """With ``CI`` set, a test skipped because ../shared is absent fails instead.

    CI runs beside ../shared: a skip there would hide that the real-data tests did
    not run. Any skip whose reason names ../shared (the fixture below, a test's own
    check of a file under it, a seed) is caught here, so a new test cannot forget.
    """
    outcome = yield
    report = outcome.get_result()
    if not (os.environ.get("CI") and report.skipped):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
    if "shared" in str(reason):
        report.outcome = "failed"
        report.longrepr = (
            f"CI: skipped for want of the real public data ({reason}); CI runs "
            "beside ../shared, so these tests must run"
        )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip: those tests need the real public files."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(
                f"CI: the real public data is missing at {SHARED_DATA}; CI "
                "runs beside ../shared, so these tests must not skip"
            )
        pytest.skip(
            f"real public data not found at {SHARED_DATA} "
            "(clone the project beside ../shared to run these tests)"
        )
    return SHARED_DATA


@pytest.fixture
def store():
    """An empty in-memory store with the registry loaded."""
    from lacompare.store import open_store

    with open_store(":memory:") as s:
        yield s


@pytest.fixture
def write(tmp_path):
    """Write a text file into the test's folder and return its path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return _write
