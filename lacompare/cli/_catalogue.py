"""``lacompare measures``: search the indicator catalogue (and the raw store).

Registered by :func:`register`; nothing heavy is imported until the command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of the
# commands at run time, which must be real objects, not strings.
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console
from lacompare.cli._common import text_cell as _text

FORMATS = ("table", "csv", "json")


def measures(
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="Words to look for in indicators' ids, labels and descriptions "
            "(typos forgiven). None: every indicator."
        ),
    ] = None,
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic",
            help="Only this topic (e.g. Workforce, Finance, SEN, "
            "Context; part of its name will do).",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table, csv or json (csv and json: data only on "
            "standard output, notes on standard error).",
        ),
    ] = "table",
    db: DbOption = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also search the store's raw measures outside the "
            "catalogue (reachable, not offered by default).",
        ),
    ] = False,
) -> None:
    """Search the indicator catalogue: ids, labels, topics, units, polarity and,
    from the store, how many periods and authorities have values.

    Columns: id, label, topic, unit, polarity, decimals, headline, periods (how
    many have a value), first_period, latest_period, authorities (how many have
    a value in the latest period), kind (indicator or store measure), score.

    Example: [bold]lacompare measures "looked after" --format csv --db
    national.duckdb[/]
    """
    from lacompare.errors import InputError

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: use table, csv or json")
    text = " ".join(words or [])
    found, notes = search_measures(text, topic, db, show_all)
    write_measures(found, fmt)
    err = _console(stderr=True)
    for note in notes:
        err.print(note, markup=False)


def search_measures(
    text: str, topic: str | None, db: Path | None, show_all: bool
) -> tuple[Any, list[str]]:
    """The indicators (and, with ``show_all``, store measures) matching ``text``,
    with the notes to print on standard error."""
    from lacompare.catalogue import search_indicators
    from lacompare.store import default_db_path, open_store

    path = Path(db) if db is not None else default_db_path()
    notes: list[str] = []
    if path.exists():
        with open_store(path, read_only=True) as store:
            found = search_indicators(
                text, topic=topic, store=store, include_store=show_all
            )
    else:
        # The catalogue needs no store: say what is missing, list it anyway.
        notes.append(
            f"no store at {path}: periods and authorities left blank (--db names one)"
        )
        found = search_indicators(text, topic=topic)
    if show_all and topic:
        notes.append(
            "--topic: store measures outside the catalogue have no "
            "topic, so --all adds none"
        )
    shown = "every indicator" if not text else f"matching {text!r}"
    notes.append(
        f"{(found['kind'] == 'indicator').sum()} catalogue indicators "
        f"{shown}"
        + (
            f", {(found['kind'] != 'indicator').sum()} store "
            "measures outside the catalogue"
            if show_all
            else "; --all also searches the store's raw measures"
        )
    )
    if found.empty:
        notes.append("nothing found: try fewer words, or --all")
    return found, notes


def write_measures(found: Any, fmt: str) -> None:
    """Write what was found to standard output as a table, CSV or JSON."""
    import sys

    if fmt == "csv":
        from lacompare.cells import write_csv_safe

        write_csv_safe(found, sys.stdout, index=False)
    elif fmt == "json":
        sys.stdout.write(
            found.to_json(orient="records", force_ascii=False, indent=1) + "\n"
        )
    else:
        console = _console()
        if not console.is_terminal:  # rich assumes 80 columns: labels would wrap
            console.width = max(console.width, 160)
        _print_table(found, console, _text)


def register(app: typer.Typer) -> None:
    """Add ``measures`` to ``app``."""
    app.command()(friendly(measures))


def _print_table(found: Any, console: Any, text: Any) -> None:
    from rich.table import Table

    table = Table(title="Indicators")
    for col in (
        "id",
        "label",
        "topic",
        "unit",
        "polarity",
        "periods",
        "latest",
        "authorities",
    ):
        table.add_column(
            col, justify="right" if col in ("periods", "authorities") else "left"
        )
    for r in found.itertuples(index=False):
        periods = text(r.periods)
        span = (
            f"{r.first_period}–{r.latest_period}"
            if text(r.first_period) and r.first_period != r.latest_period
            else text(r.latest_period)
        )
        table.add_row(
            str(r.id) + ("" if r.kind == "indicator" else " (store)"),
            text(r.label),
            text(r.topic),
            text(r.unit),
            text(r.polarity),
            periods.split(".")[0],
            span,
            text(r.authorities).split(".")[0],
        )
    console.print(table)
