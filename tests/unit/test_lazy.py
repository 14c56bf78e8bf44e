"""Names loaded on first use: every public name of every package resolves."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "lacompare",
    "lacompare.analysis",
    "lacompare.build",
    "lacompare.dashboard",
    "lacompare.derive",
    "lacompare.report",
    "lacompare.snapshot",
    "lacompare.store",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_and_is_listed(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
        assert name in dir(module)
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute"):
        module.no_such_name  # noqa: B018


def test_a_name_is_imported_only_when_read():
    code = (
        "import sys, lacompare.store as s; a = 'lacompare.store._ingest' in "
        "sys.modules; s.ingest; print(a, 'lacompare.store._ingest' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"]
