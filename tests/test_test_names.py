"""Test modules outside a package need unique basenames: pytest (rootdir-relative
imports) refuses to collect two ``test_x.py`` files in different folders, and CI
stops before running a test."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).parent


def test_no_two_test_modules_share_a_name_outside_a_package() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        if (path.parent / "__init__.py").exists():
            continue  # a package's modules are imported under its name
        seen[path.name].append(str(path.relative_to(TESTS)))
    assert {n: p for n, p in seen.items() if len(p) > 1} == {}
