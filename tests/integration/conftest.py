"""The national store, built from ../shared/data once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def national_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store ``lacompare build --from ../shared/data`` makes (one to three
    minutes, once per session). Tests read it; a test that writes copies it first."""
    from lacompare.build import build_store
    from lacompare.store import open_store

    path = tmp_path_factory.mktemp("national") / "national.duckdb"
    with open_store(path) as store:
        build_store(store, shared_data)
    return path
