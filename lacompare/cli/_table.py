"""CLI command ``table``: the grouped committee table
(:mod:`lacompare.analysis.grouped`).

Imported by :mod:`lacompare.cli` at start-up, so nothing heavy is imported here.
"""

# No 'from __future__ import annotations': Typer reads these annotations at run time.
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console

if TYPE_CHECKING:
    import pandas as pd

#: What ``--format`` takes: table (reading), csv and json (data only on stdout),
#: xlsx and html (files, through the report writers).
TABLE_FORMATS = ("table", "csv", "json", "xlsx", "html")


GroupByOption = Annotated[
    str,
    typer.Option(
        "--group-by",
        "-g",
        help="la_type, region, london_region (as on the "
        "table's date), another authorities column, or a category measure of a "
        "loaded file.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Authorities, types and regions of this day (YYYY-MM-DD; "
        "default: the period's reference day).",
    ),
]
PeriodOption = Annotated[
    str | None,
    typer.Option("--period", help="Period (default: the measure's latest)."),
]
SubtotalsOption = Annotated[
    str,
    typer.Option(
        "--subtotals",
        help="Under each group: sum, mean or sum,mean (a sum only "
        "for counts and money).",
    ),
]
BreakdownOption = Annotated[
    str | None,
    typer.Option(
        "--breakdown",
        help="The measure's breakdown (default: its total or its "
        "only one; part of the text is enough).",
    ),
]
TableFormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="table (reading), csv or json (data only on "
        "standard output, notes on standard error), xlsx or html (need --out).",
    ),
]
TableOutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="File to write (csv, json, xlsx, html)."),
]
DecimalsOption = Annotated[
    int | None,
    typer.Option(
        "--decimals",
        help="Decimals in the terminal table (default: 0 for whole numbers, else 1).",
    ),
]


def table_command(
    measure: Annotated[
        str,
        typer.Argument(
            help="Measure to tabulate: a store measure or a catalogue id "
            "(lacompare measures), read from its source holding --period."
        ),
    ],
    group_by: GroupByOption = "la_type",
    as_of: AsOfOption = None,
    period: PeriodOption = None,
    subtotals: SubtotalsOption = "sum,mean",
    breakdown: BreakdownOption = None,
    fmt: TableFormatOption = "table",
    out: TableOutOption = None,
    decimals: DecimalsOption = None,
    db: DbOption = None,
) -> None:
    """Authorities grouped by type (or region, or a column), each group with its
    total and mean, and a grand total: the classic committee table.

    Types and regions are those of the table's date (Cornwall is a shire county
    in 2002). Every authority of that day is listed, with its value or why it
    has none; sums are given only for counts and money.

    Example: [bold]lacompare table children_count --group-by la_type
    --breakdown "on 31 March" --format xlsx --out table.xlsx --db my.duckdb[/]
    """
    from lacompare.analysis import summarise_grouped
    from lacompare.cli._output import write_csv
    from lacompare.store import open_store

    fmt = _check_table_format(fmt, out)
    with open_store(db, read_only=True) as store:
        frame = summarise_grouped(
            store,
            measure,
            group_by,
            as_of=as_of,
            period=period,
            subtotals=subtotals,
            breakdown=breakdown,
        )
        if fmt in ("xlsx", "html"):
            from lacompare.report import grouped_document, write_document

            write_document(grouped_document(store, frame), out, fmt)
    if fmt == "table":
        print_grouped(frame, group_by, decimals)
        if out is not None:
            write_csv(frame, out)
        return
    err = _console(stderr=True)
    if fmt in ("csv", "json"):
        write_csv(frame, out, fmt)
    else:
        err.print(f"wrote {out}", markup=False)
    for line in frame.attrs["notes"]:
        err.print(line, markup=False)


def _check_table_format(fmt: str, out: Path | None) -> str:
    """``--format`` in lower case; refused unless known, or a file format without
    ``--out``."""
    from lacompare.errors import InputError

    fmt = fmt.lower()
    if fmt not in TABLE_FORMATS:
        raise InputError(f"--format {fmt!r}: use {', '.join(TABLE_FORMATS)}")
    if fmt in ("xlsx", "html") and out is None:
        raise InputError(f"--format {fmt} writes a file: give --out FILE")
    return fmt


def print_grouped(frame: "pd.DataFrame", group_by: str, decimals: int | None) -> None:
    """The table on the terminal: each group's authorities, its total and mean in
    bold, missing values as the publisher's symbols with their key, then the
    notes."""
    from rich.markup import escape
    from rich.table import Table

    from lacompare.cli._output import cell, print_key, wide_console
    from lacompare.formatting import format_number, is_missing
    from lacompare.formatting.tables import Column

    console = wide_console(_console())
    items = frame.loc[frame["row_role"] == "item", "value"].dropna()
    places = (
        decimals
        if decimals is not None
        else (0 if all(float(v).is_integer() for v in items) else 1)
    )
    a = frame.attrs
    title = (
        f"{a['label']}"
        + (f" ({a['breakdown']})" if a["breakdown"] else "")
        + f", {a['period']}, by {group_by} (authorities as on {a['as_of']})"
    )
    table = Table(title=escape(title))
    # The unit in the heading, not the cells (a proportion prints as a %).
    value_head = Column("value", "value", unit=a.get("unit")).heading
    for head, justify in (
        ("group", "left"),
        ("authority", "left"),
        (value_head, "right"),
        ("n", "right"),
    ):
        table.add_column(head, justify=justify)
    shown = []
    for r in frame.itertuples(index=False):
        if is_missing(r.value):
            shown.append(r.value__missing)
            value = cell(None, r.value__missing)
        else:
            extra = 1 if r.statistic == "mean" else 0
            value = format_number(r.value, a.get("unit"), places + extra)
        item = r.row_role == "item"
        table.add_row(
            r.group,
            r.la_name,
            value,
            "" if item else f"{r.n} of {r.n + r.missing}",
            style=None if item else "bold",
            end_section=not item and r.statistic == a["subtotals"][-1],
        )
    console.print(table)
    print_key(console, shown)
    for line in frame.attrs["notes"]:
        console.print(line, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``table`` to the app."""
    app.command("table")(friendly(table_command))
