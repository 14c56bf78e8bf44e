"""What the summary and compare tests share for the command line: the summary,
compare and derive commands on their own app, and a store built in memory saved
to a file for the CLI to open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def summary_app() -> typer.Typer:
    """An app with only the ``summary``, ``compare`` and ``derive`` commands."""
    from lacompare.cli._summary import register

    app = typer.Typer(name="lacompare", no_args_is_help=True, rich_markup_mode="rich")
    register(app)
    return app


def save_store(store: Any, folder: Path) -> Path:
    """Copy an in-memory store to ``folder/s.duckdb``; the file's path."""
    path = folder / "s.duckdb"
    store.con.execute(f"ATTACH '{path}' AS f")
    store.con.execute("COPY FROM DATABASE memory TO f")
    store.con.execute("DETACH f")
    return path
