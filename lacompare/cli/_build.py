"""CLI commands ``build``, ``coverage``, ``harmonise`` and ``districts`` (heavy
imports inside)."""

# No ``from __future__ import annotations``: Typer reads the option types of the
# commands at run time.
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console

if TYPE_CHECKING:
    import pandas as pd


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

    from lacompare.build import build_store, summarise_coverage
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
        bar.update(task, description="coverage of current authorities")
        started = time.perf_counter()
        coverage = summarise_coverage(store)
        seconds = time.perf_counter() - started
    for line in result.summary_lines():
        console.print(line, markup=False)
    if timings:
        for line in result.timing_lines():
            console.print(line, markup=False)
        console.print(f"coverage of current authorities: {seconds:.1f} s", markup=False)
    for line in coverage.summary_lines(_coverage_command(db)):
        console.print(line, markup=False)
    console.print(f"store: {store.path}", markup=False)


def _coverage_command(db: Path | None) -> str:
    """The command that lists every gap of the store just built."""
    import shlex

    return "lacompare coverage" + (f" --db {shlex.quote(str(db))}" if db else "")


def coverage(
    measures: Annotated[
        list[str] | None,
        typer.Argument(help="Store measures to look at (default: every one)."),
    ] = None,
    db: DbOption = None,
    la: Annotated[
        list[str] | None,
        typer.Option(
            "--la",
            help="Only this current authority (name, ONS or DfE code); repeat "
            "for more.",
        ),
    ] = None,
    latest: Annotated[
        bool,
        typer.Option("--latest", help="Only gaps in each measure's latest period."),
    ] = False,
    why: Annotated[
        str | None,
        typer.Option(
            "--why",
            help="Only one reason: not-existing, joint-return, not-in-file, "
            "no-values-in-period, a publisher's (suppressed, not-available, "
            "not-applicable, blank, ...) or its symbol ([c], [x], [z], –).",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="table (for reading), csv or json (every gap, for scripts).",
        ),
    ] = "table",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the CSV (or JSON) here."),
    ] = None,
    rows: Annotated[
        int, typer.Option("--rows", help="Most rows the table prints.")
    ] = 60,
) -> None:
    """Which current authorities have no value of each measure, and why.

    One row per measure, authority and reason, with the periods concerned: did
    not exist yet (created by a split or merge; the predecessor the period was
    published for is named), the publisher's symbol ([c] suppressed, [x] not
    available, [z] not applicable, – no figure), a joint return (one figure for
    two authorities, kept with the totals), not in the file, or a period with no
    values at all. A same-area recode (Buckinghamshire, North Yorkshire, Somerset)
    counts as one authority. lacompare build prints the counts.

    Example: [bold]lacompare coverage --la "North Northamptonshire" --latest
    --db national.duckdb[/] · [bold]lacompare coverage rate_per_10000 --format
    csv --out coverage.csv --db national.duckdb[/]
    """
    from lacompare.build import summarise_coverage
    from lacompare.cli._output import check_format, write_csv
    from lacompare.store import open_store

    fmt = check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = summarise_coverage(store, measures or None, authorities=la)
    gaps = result.select(latest=latest, why=why)
    if fmt != "table" or out is not None:
        write_csv(gaps, out, fmt)
        if fmt != "table":
            return
    print_coverage(gaps, result, rows)


def print_coverage(gaps: "pd.DataFrame", result: Any, rows: int) -> None:
    """The gaps on the terminal: the first ``rows``, periods shortened, then the
    counts and the symbols' key."""
    from rich.table import Table
    from rich.text import Text

    from lacompare.formatting import format_number

    console = _console()
    if gaps.empty:
        console.print("no gaps: every authority asked about has a value", markup=False)
        return
    table = Table(title="Current authorities without a value, and why")
    for head in ("measure", "authority", "periods", "why"):
        table.add_column(head, overflow="fold")
    for r in gaps.head(rows).itertuples(index=False):
        periods = r.periods.split(", ")
        shown = (
            r.periods
            if len(periods) <= 4
            else f"{periods[0]} … {periods[-1]} ({r.n_periods} of {r.of_periods})"
        )
        # Text, not markup: a symbol such as [c] is not a style.
        table.add_row(*(Text(str(c)) for c in (r.measure, r.la_name, shown, r.detail)))
    console.print(table)
    if len(gaps) > rows:
        console.print(
            f"… {format_number(len(gaps) - rows)} more rows: --format csv --out "
            "FILE writes every one (or narrow with --la, --latest, --why)",
            markup=False,
        )
    for line in result.summary_lines()[:-1]:
        console.print(line, markup=False)


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
    """Add ``build``, ``coverage``, ``harmonise`` and ``districts`` to the app."""
    for command in (build, coverage, harmonise, districts):
        app.command()(friendly(command))
