"""Every command README.md shows runs as written, in README's order.

A new analyst copies README's commands into a shell in the repository's folder, with
the public data beside it in ../shared/data; so does this test, in a scratch folder
laid out the same way (``lacompare/`` and ``../shared`` linked in). Each command must
exit 0 without a traceback. The only commands not run are those that cannot finish
here or need another server, each named below with the tests that cover it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

#: Commands README shows but this test does not run: why, and what tests them.
NOT_RUN = {
    "python3 -m venv": "the install commands: CI runs them itself (.ci/run)",
    "pip install": "an install step",
    "export ": "shell set-up for the hub",
    "lacompare serve": "a server that runs until stopped: tests/browser start it",
    "lacompare hub": "PostgreSQL and a round: tests/hub run these commands",
    "lacompare fetch": "online (EES API): tests/unit/fetch replay recorded answers",
}
#: Commands that depend on one not run: the hub's published store.
DEPENDS_ON_NOT_RUN = {"lacompare report network --db store.duckdb"}


def readme_commands() -> list[str]:
    """README's shell commands, continuation lines joined, in order."""
    text = README.read_text(encoding="utf-8")
    commands: list[str] = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.M | re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        commands += [
            line.strip()
            for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    return commands


def _skipped(command: str) -> str | None:
    if any(command.startswith(d) for d in DEPENDS_ON_NOT_RUN):
        return "needs the hub's published store"
    return next(
        (why for start, why in NOT_RUN.items() if command.startswith(start)), None
    )


def test_readme_shows_the_commands_this_test_expects() -> None:
    commands = readme_commands()
    assert len(commands) > 30
    for start in NOT_RUN:
        assert any(c.startswith(start) for c in commands), (
            f"NOT_RUN names {start!r}, which README no longer shows: remove it"
        )


@pytest.fixture(scope="module")
def workspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the repository's folder: ``lacompare/`` and ``../shared``
    linked in, the stores README's commands make written here."""
    root = tmp_path_factory.mktemp("readme")
    work = root / "lacompare"
    work.mkdir()
    (work / "lacompare").symlink_to(REPO / "lacompare")
    (root / "shared").symlink_to(shared_data.parent)
    return work


def _runnable() -> list[str]:
    return [c for c in readme_commands() if not _skipped(c)]


# One case per command, in README's order (later commands read the stores earlier
# ones wrote), so a failure names its command and each has its own time limit.
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "command", _runnable(), ids=lambda c: " ".join(shlex.split(c, comments=True)[:3])
)
def test_readme_command_runs_as_written(workspace: Path, command: str) -> None:
    words = shlex.split(command, comments=True)
    assert words[0] == "lacompare", f"README command not lacompare: {command}"
    env = {**os.environ, "LACOMPARE_WAIT": "120", "COLUMNS": "120"}
    run = subprocess.run(
        [sys.executable, "-m", "lacompare", *words[1:]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=880,
        check=False,
    )
    assert run.returncode == 0, (run.stderr.strip() or run.stdout.strip())[-1500:]
    assert "Traceback" not in run.stderr, run.stderr[-1500:]
