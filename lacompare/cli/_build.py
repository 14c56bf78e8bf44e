"""CLI commands ``build``, ``harmonise`` and ``districts`` (heavy imports inside)."""

# No ``from __future__ import annotations``: Typer reads the option types of the
# commands at run time.
from pathlib import Path
from typing import Annotated

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console


def build(
    source: Annotated[
        Path | None,
        typer.Option("--from", help="Folder of published files (e.g. ../shared/data)."),
    ] = None,
    db: DbOption = None,
    fetch: Annotated[
        bool,
        typer.Option("--fetch", help="Also fetch every catalogued source online."),
    ] = False,
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            help="Boundary changes: keep (as published), aggregate "
            "(chain recodes, sum successors) or flag (mark series breaks).",
        ),
    ] = "keep",
    timings: Annotated[
        bool,
        typer.Option(
            "--timings",
            help="Also print where the time went: seconds per load stage "
            "(reading, layout, matching, parsing, writing, totals, vintages, "
            "commit) summed over files, each step after loading, and the "
            "slowest files.",
        ),
    ] = False,
) -> None:
    """Build the national store in one go: load every recognised file, the DfE
    neighbour sets, derived rates, district sums, the boundary policy and the
    rate-agreement check; then say what loaded, what was set aside and why
    (--timings: and where the time went).

    Example: [bold]lacompare build --from ../shared/data --policy aggregate
    --db national.duckdb[/]
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from lacompare.build import build_store
    from lacompare.store import open_store

    console = _console()
    with (
        open_store(db) as store,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("Starting", total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what[-60:], completed=done, total=total)

        result = build_store(
            store, source, fetch=fetch, policy=policy, progress=progress
        )
    for line in result.summary_lines():
        console.print(line, markup=False)
    if timings:
        for line in result.timing_lines():
            console.print(line, markup=False)
    console.print(f"store: {store.path}", markup=False)


def harmonise(
    measures: Annotated[list[str], typer.Argument(help="Measures to harmonise.")],
    policy: Annotated[
        str, typer.Option("--policy", help="keep, aggregate or flag.")
    ] = "aggregate",
    db: DbOption = None,
) -> None:
    """Apply a boundary-change policy to measures (a derive step: loaded values
    are never changed). aggregate writes <measure>_harmonised: recodes chained
    into one series; counts of split or merged authorities summed to compare
    with their predecessor; rates recomputed from harmonised counts and
    populations, never summed. flag writes table series_breaks.

    Example: [bold]lacompare harmonise children_count --policy aggregate --db
    national.duckdb[/]
    """
    from lacompare.derive import harmonise_measures
    from lacompare.store import open_store

    with open_store(db) as store:
        results = harmonise_measures(store, list(measures), policy)
    console = _console()
    for h in results:
        for line in h.summary_lines()[:30]:
            console.print(line, markup=False)


def districts(
    measure: Annotated[str, typer.Argument(help="A count with district rows.")],
    db: DbOption = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="New measure (default <measure>_upper_tier)."),
    ] = None,
) -> None:
    """Sum a count's lower-tier district rows into the county each district sat
    in on each period's day; a sum with a missing district is missing.

    Example: [bold]lacompare districts children_in_relative_low_income_families
    --db national.duckdb[/]
    """
    from lacompare.derive import derive_upper_tier
    from lacompare.store import open_store

    with open_store(db) as store:
        result = derive_upper_tier(store, measure, name=name)
    console = _console()
    for line in result.summary_lines()[:30]:
        console.print(line, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``build``, ``harmonise`` and ``districts`` to the app."""
    for command in (build, harmonise, districts):
        app.command()(friendly(command))
