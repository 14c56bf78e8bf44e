"""Every example a command's ``--help`` shows runs on the national store (issue 16).

The examples are the commands a help text shows in bold (``Example: [bold]lacompare
…[/]``, several separated by `` · ``), read from the application as ``--help`` prints
it: each command and sub-command of :data:`lacompare.cli.app`. Each runs as written
in a scratch folder laid out like the repository (``lacompare/`` and ``../shared``
linked in, the few user files an example names written there), on a fresh copy of
the national store: its ``--db`` is replaced by the copy, which is also the default
store (``XDG_DATA_HOME``), so an example without ``--db`` reads it too. Each must exit
0 without a traceback. Not run: the servers, the online fetch and the hub
(PostgreSQL), each named below with what tests it.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared

REPO = Path(__file__).resolve().parents[2]

#: Commands whose examples are not run here: why, and what tests them.
NOT_RUN = {
    "serve": "a server that runs until stopped: tests/browser start it",
    "hub": "PostgreSQL and a round: tests/hub run these commands",
    "fetch": "online (EES API): tests/unit/fetch replay recorded answers",
}
#: What must run before a command's examples, because the national store cannot
#: hold it: diff compares two vintages of a file, and the build loads each once.
BEFORE = {
    "diff": (
        "lacompare ingest "
        "../shared/data/cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
    ),
}


def help_texts() -> list[tuple[str, str]]:
    """``(command, help text)`` of every command and group, as ``--help`` shows."""
    import typer

    from lacompare.cli import app

    out: list[tuple[str, str]] = []

    def walk(command: object, path: list[str]) -> None:
        out.append((" ".join(path), str(getattr(command, "help", None) or "")))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def help_examples() -> list[tuple[str, str]]:
    """``(command, example)`` for every example in bold, each once."""
    seen: dict[str, str] = {}
    for command, text in help_texts():
        flat = " ".join(text.split())
        for example in re.findall(r"\[bold\](lacompare .*?)\[/\]", flat):
            seen.setdefault(example.replace("\\[", "["), command)
    return [(command, example) for example, command in seen.items()]


def _not_run(command: str) -> str | None:
    return NOT_RUN.get(command.split(" ")[0])


def _cases() -> list[object]:
    return [
        pytest.param(
            command, example, id=f"{command}: {example[len('lacompare ') :][:60]}"
        )
        for command, example in help_examples()
        if not _not_run(command)
    ]


def test_every_command_shows_an_example() -> None:
    texts = help_texts()
    commands = {c for c, _ in texts if c}
    groups = {c.rsplit(" ", 1)[0] for c in commands if " " in c}
    lacking = [
        c
        for c, text in texts
        if c and c not in groups and not _not_run(c) and "[bold]lacompare " not in text
    ]
    assert lacking == []
    for command in NOT_RUN:
        assert command in commands, f"NOT_RUN names {command!r}: no such command"
    for command in BEFORE:
        assert command in {c for c, _ in help_examples()}, (
            f"BEFORE names {command!r}, whose help shows no example"
        )


def _write_user_files(work: Path) -> None:
    """The files of a council's own that the snapshot examples name."""
    from lacompare.snapshot import write_synthetic_extract

    write_synthetic_extract(work / "cases.csv", 1, "2024-10-04", months=16)
    tables = {
        "october.csv": [
            ("measure", "value"),
            ("No of CLA (all ages)", "602"),
            ("No of Child Protection Plans", "381"),
        ],
        "staff.csv": [
            ("division", "service", "headcount", "row_role"),
            ("Social care", "Fieldwork", "120", "item"),
            ("Social care", "Fostering", "30", "item"),
            ("Social care", "Total", "150", "total"),
        ],
        "budget.csv": [
            ("section", "line", "amount", "row_role"),
            ("Social care", "Fieldwork", "12,000", "item"),
            ("Social care", "Placements", "30,500", "item"),
            ("Social care", "Total Social Care", "42,500", "total"),
        ],
    }
    for name, rows in tables.items():
        with (work / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)


@pytest.fixture(scope="module")
def workspace(
    national_store: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A scratch copy of the repository's folder (``lacompare/`` and ``../shared``
    linked in) holding the user files the examples name."""
    root = tmp_path_factory.mktemp("help")
    work = root / "lacompare"
    work.mkdir()
    (work / "lacompare").symlink_to(REPO / "lacompare")
    (root / "shared").symlink_to(shared_data.parent)
    _write_user_files(work)
    return work


def _run(words: list[str], cwd: Path, env: dict[str, str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "lacompare", *words[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=880,
        check=False,
    )
    said = (run.stderr.strip() or run.stdout.strip())[-1500:]
    assert run.returncode == 0, said
    assert "Traceback" not in run.stderr, run.stderr[-1500:]


@pytest.mark.timeout(900)
@pytest.mark.parametrize(("command", "example"), _cases())
def test_help_example_runs_on_the_national_store(
    command: str, example: str, workspace: Path, national_store: Path
) -> None:
    data = workspace.parent / "data-home"
    db = data / "lacompare" / "lacompare.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(national_store, db)
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(data),
        "LACOMPARE_WAIT": "120",
        "COLUMNS": "120",
    }
    for line in (BEFORE.get(command), example):
        if line is None:
            continue
        words = shlex.split(line)
        assert words[0] == "lacompare", f"help example not lacompare: {line}"
        if "--db" in words:
            words[words.index("--db") + 1] = str(db)
        _run(words, workspace, env)
