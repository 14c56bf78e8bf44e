"""``lacompare vintages`` and ``lacompare diff``: a source's loads and revisions.

Registered by :func:`register`; nothing heavy is imported until a command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of the
# commands at run time, which must be real objects, not strings.
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console
from lacompare.cli._common import count_cell as _count
from lacompare.cli._common import text_cell as _text

#: Rows a command prints unless asked for all of them.
SHOW_ROWS = 50

SourceArgument = Annotated[
    str | None,
    typer.Argument(
        help="A source: its name (the file's name), a file's path, or a source "
        "id. Default: every source."
    ),
]
SheetOption = Annotated[
    str | None,
    typer.Option("--sheet", help="The sheet, when several of a workbook are loaded."),
]
AllOption = Annotated[
    bool,
    typer.Option("--all", help=f"Print every row (default: the first {SHOW_ROWS})."),
]
ValuesOption = Annotated[
    bool,
    typer.Option(
        "--values",
        help="List the source's superseded values: each with the "
        "load it came from and what superseded it.",
    ),
]
ChangedOption = Annotated[
    bool,
    typer.Option(
        "--changed",
        help="With --values: only those that differ from the value "
        "now current (or whose key has none).",
    ),
]


def vintages(
    source: SourceArgument = None,
    db: DbOption = None,
    sheet: SheetOption = None,
    values: ValuesOption = False,
    changed: ChangedOption = False,
    show_all: AllOption = False,
) -> None:
    """List the vintages (loads) of each source, and which is current.

    A file loaded again becomes the current vintage of its source; the earlier
    vintages' values are kept, no longer current. --values lists them (with
    --changed, only those the store no longer says).

    Example: [bold]lacompare vintages
    cla_number_and_rate_per_10k_children_2021_to_2025.csv --values --changed
    --db my.duckdb[/]
    """
    from lacompare.store import list_vintages, open_store, superseded_values

    console = _console()
    with open_store(db, read_only=True) as store:
        _needs_vintages(store)
        loads = list_vintages(store, source, sheet).rows
        old = (
            superseded_values(store, source, sheet, changed=changed).rows
            if values and source is not None
            else None
        )
    if values and source is None:
        console.print("--values lists one source's values: name it", markup=False)
    console.print(_vintages_table(loads, source))
    if old is None:
        return
    shown = old if show_all else old.head(SHOW_ROWS)
    console.print(_superseded_table(old, shown, source, changed))
    if len(old) > len(shown):
        console.print(f"… and {len(old) - len(shown):,} more (--all)", markup=False)


def _vintages_table(loads: Any, source: str | None) -> Any:
    """The loads of each source, one a row, with which is current."""
    from rich.table import Table

    table = Table(title="Vintages" + (f" of {source}" if source else ""))
    for col in (
        "source",
        "sheet",
        "vintage",
        "id",
        "file",
        "loaded",
        "values",
        "status",
    ):
        table.add_column(col)
    for r in loads.itertuples():
        by = _text(r.superseded_by)
        status = (
            "current" if not by else f"superseded by {by} ({str(r.superseded_at)[:19]})"
        )
        table.add_row(
            r.source,
            _text(r.sheet),
            str(r.vintage),
            str(r.source_id),
            str(r.file),
            str(r.loaded_at)[:19],
            _count(r.values),
            status,
        )
    return table


def _superseded_table(old: Any, shown: Any, source: str | None, changed: bool) -> Any:
    """A source's superseded values (``shown`` of ``old``), each with its vintage
    and what superseded it."""
    from rich.table import Table

    table = Table(
        title=f"Superseded values of {source}"
        + (" that differ from the current ones" if changed else "")
        + f": {len(old):,}"
    )
    for col in (
        "authority",
        "measure",
        "period",
        "breakdown",
        "value",
        "vintage",
        "loaded",
        "superseded by",
    ):
        table.add_column(col)
    for r in shown.itertuples():
        table.add_row(
            f"{_text(r.la_name) or r.la_code}",
            r.measure,
            r.period,
            _text(r.breakdown),
            r.value,
            f"{r.vintage} (source {r.source_id})",
            str(r.loaded_at)[:19],
            r.why,
        )
    return table


def diff(
    source: Annotated[
        str,
        typer.Argument(
            help="A source: its name (the file's name), a file's path, or a source id."
        ),
    ],
    db: DbOption = None,
    sheet: SheetOption = None,
    old: Annotated[
        int | None,
        typer.Option(
            "--from",
            help="The earlier vintage (its number, or a source id; default: "
            "the one before --to).",
        ),
    ] = None,
    new: Annotated[
        int | None,
        typer.Option("--to", help="The later vintage (default: the current one)."),
    ] = None,
    show_all: AllOption = False,
) -> None:
    """Show the revisions between two vintages of a source: each value revised,
    added or removed (authority, measure, period, breakdown, old → new).

    Example: [bold]lacompare diff
    cla_number_and_rate_per_10k_children_2021_to_2025.csv --db my.duckdb[/]
    """
    from lacompare.store import diff_vintages, open_store

    with open_store(db, read_only=True) as store:
        _needs_vintages(store)
        found = diff_vintages(store, source, old=old, new=new, sheet=sheet)
    console = _console()
    c = found.counts
    console.print(
        f"{found.source}"
        + (f" [{found.sheet}]" if found.sheet else "")
        + f": source {found.old} → source {found.new}: "
        f"{c['revised']:,} revised, {c['added']:,} added, "
        f"{c['removed']:,} removed, {c['unchanged']:,} unchanged",
        markup=False,
    )
    rows = found.rows
    if rows.empty:
        return
    shown = rows if show_all else rows.head(SHOW_ROWS)
    console.print(_diff_table(shown))
    if len(rows) > len(shown):
        console.print(f"… and {len(rows) - len(shown):,} more (--all)", markup=False)


def _diff_table(shown: Any) -> Any:
    """The changes between two vintages, one a row: old → new and the file row."""
    from rich.table import Table

    table = Table()
    for col in (
        "change",
        "authority",
        "measure",
        "period",
        "breakdown",
        "old",
        "new",
        "row",
    ):
        table.add_column(col)
    for r in shown.itertuples():
        table.add_row(
            r.change,
            f"{_text(r.la_name) or r.la_code}",
            r.measure,
            r.period,
            _text(r.breakdown),
            r.old,
            r.new,
            _row(r.old_row, r.new_row),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add ``vintages`` and ``diff`` to ``app``."""
    for command in (vintages, diff):
        app.command()(friendly(command))


def _row(old: Any, new: Any) -> str:
    """The file rows a change is on: 'old → new' when they differ."""

    def text(v: Any) -> str:
        # pandas' NA first: comparing it with itself raises.
        return "" if v is None or str(v) == "<NA>" or v != v else str(int(v))

    a, b = text(old), text(new)
    return a if a == b or not b else b if not a else f"{a} → {b}"


def _needs_vintages(store: Any) -> None:
    """A store written before vintages (opened read-only, so not upgraded) says so."""
    from lacompare.errors import StoreError

    columns = {
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'sources'"
        ).fetchall()
    }
    if "source_key" not in columns:
        raise StoreError(
            f"{Path(store.path).name} was written before vintages were "
            "kept: it is upgraded, its values kept, the next time a "
            "command writes to it (lacompare ingest, even with --check)"
        )
