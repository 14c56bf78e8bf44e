"""Debian's chromium for the browser tests (the web app's and the hub's).

Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``; never ``playwright
install``: it downloads a browser). Without it, or without a Python package the tests
need, they skip saying why, except in CI (``CI`` set), where they must run and fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

#: pytest-playwright's launch options: headless, and no background traffic (this
#: machine's network is closed; chromium's own update and sync calls would fail).
LAUNCH_ARGS = {
    "executable_path": str(CHROMIUM),
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}


def require(condition: bool, reason: str) -> None:
    """Skip with a reason, or fail in CI, where the browser tests must run."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run)")
    pytest.skip(reason)


def require_browser(*modules: str, install: str) -> None:
    """Chromium and the named Python modules, or skip/fail as :func:`require` does."""
    require(
        CHROMIUM.exists(),
        f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    )
    for module in modules:
        try:
            __import__(module)
        except ModuleNotFoundError:
            require(False, f"{module} is not installed (pip install '{install}')")
