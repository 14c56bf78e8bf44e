"""The package keeps the shape ARCHITECTURE.md describes.

Each rule is checked on the source, so a change that breaks one fails here with
the file, line and name, not in review: stages import only the stages below them
and no other stage's private modules (import-linter), no SQL outside the store
names the observation tables, modules and functions stay small, and ruff finds
nothing to fix or reformat.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "lacompare"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100
#: The tables and views that hold values: only lacompare.store names them in SQL.
OBSERVATION_TABLES = re.compile(
    r"\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+(observations|observation_cells|"
    r"observation_rows|observation_columns|observation_vintages|superseded_cells|"
    r"superseded_rows)\b",
    re.IGNORECASE,
)


def _modules() -> list[Path]:
    # Django's migrations are generated, and kept as generated.
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return which


def test_stages_import_only_the_stages_below_them() -> None:
    """pyproject.toml's import-linter contracts: the layers and private modules."""
    run = subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_no_sql_outside_the_store_names_the_observation_tables() -> None:
    found = []
    for path in _modules():
        if path.is_relative_to(PACKAGE / "store"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = OBSERVATION_TABLES.search(node.value)
                if match:
                    found.append(
                        f"{path.relative_to(REPO)}:{node.lineno}: {match.group(0)}"
                    )
    assert not found, "read and write values through lacompare.store:\n" + "\n".join(
        found
    )


def test_no_module_is_longer_than_600_lines() -> None:
    long = [
        f"{path.relative_to(REPO)}: {n} lines"
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "\n".join(long)


def test_no_function_is_longer_than_100_lines() -> None:
    long = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(
                        f"{path.relative_to(REPO)}:{node.lineno}: {node.name} {n} lines"
                    )
    assert not long, "\n".join(long)


@pytest.mark.parametrize(
    "command", [["check"], ["format", "--check"]], ids=["check", "format"]
)
def test_ruff_finds_nothing(command: list[str]) -> None:
    run = subprocess.run(
        [_tool("ruff"), *command, "lacompare", "tests", "bench"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
