"""CLI command ``snapshot``: show an authority's snapshot with change from a
quarter before; load values, an extract, headcount or budget; write a SYNTHETIC
extract.

The commands are module-level functions of the ``snapshot`` group (the group's
callback shows a snapshot); :func:`register` adds the group to the application.
Nothing heavy is imported until a command runs.
"""

# No ``from __future__ import annotations``: Typer reads the parameter types.
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console

AuthorityOption = Annotated[
    str | None,
    typer.Option("--authority", "-a", help="The authority (name, ONS or DfE code)."),
]
SheetOption = Annotated[str | None, typer.Option("--sheet", help="Workbook sheet.")]
CheckOption = Annotated[
    bool, typer.Option("--check", help="Read and check only: store nothing.")
]


def _print_lines(lines: list[str]) -> None:
    console = _console()
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)


def _show(comparison: Any, fmt: str, out: Path | None) -> None:
    from rich.table import Table
    from rich.text import Text

    t = comparison.table
    frame = t[["label", "value_text", "change_text", "pct_text", "note"]].rename(
        columns={
            "label": "Measure",
            "value_text": "Value",
            "change_text": "Change",
            "pct_text": "% change",
            "note": "Notes",
        }
    )
    frame = frame.fillna("")
    if fmt == "csv":
        numbers = t[
            [
                "measure",
                "breakdown",
                "label",
                "unit",
                "value",
                "earlier_value",
                "change",
                "pct_change",
                "pct_low",
                "pct_high",
                "pct_reason",
                "value_text",
                "change_text",
                "pct_text",
                "note",
            ]
        ]
        from lacompare.cells import write_csv_safe

        if out is None:
            typer.echo(write_csv_safe(numbers, lineterminator="\n"), nl=False)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_csv_safe(numbers, out)
            _console(stderr=True).print(f"wrote {out}", markup=False)
        return
    weeks = comparison.compare_weeks
    table = Table(
        title=f"{comparison.la_name}: snapshot of "
        f"{comparison.date:%d/%m/%Y}, change from {weeks} weeks before"
    )
    for col in frame.columns:
        table.add_column(
            col, justify="left" if col in ("Measure", "Notes") else "right"
        )
    for row in frame.astype(str).to_numpy():
        table.add_row(*map(Text, row))
    console = _console()
    console.print(table)
    for note in comparison.notes():
        console.print(note, markup=False, soft_wrap=True)


snapshot_app = typer.Typer(
    help="An authority's monthly snapshot: demand, caseloads, headcount, budget.",
    rich_markup_mode="rich",
    invoke_without_command=True,
)


@snapshot_app.callback(invoke_without_command=True)
@friendly
def snapshot(
    ctx: typer.Context,
    date: Annotated[
        str | None,
        typer.Option(
            "--date", "-d", help="The snapshot date (2024-10-04 or 04/10/2024)."
        ),
    ] = None,
    compare_weeks: Annotated[
        int,
        typer.Option(
            "--compare-weeks",
            help="Change from the snapshot this many weeks "
            "before (13: a rolling quarter).",
        ),
    ] = 13,
    authority: AuthorityOption = None,
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table (readable) or csv.")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="csv: write to this file.")
    ] = None,
) -> None:
    """Show a snapshot: value, change and % change from a quarter before.

    '-' where the earlier value was 0; a range where figures are known only
    rounded. Sub-commands load the figures.

    Examples: [bold]lacompare snapshot --date 2024-10-04 --compare-weeks 13
    --db my.duckdb[/] · [bold]lacompare snapshot load values.csv --authority
    Leicester --db my.duckdb[/]
    """
    if ctx.invoked_subcommand is not None:
        return
    from lacompare.errors import InputError
    from lacompare.snapshot import summarise_snapshot
    from lacompare.store import open_store

    if date is None:
        raise InputError(
            "give the snapshot --date (or a sub-command: load, "
            "extract, headcount, budget, synthetic)"
        )
    if fmt not in ("table", "csv"):
        raise InputError(f"--format {fmt!r}: use table or csv")
    with open_store(db, read_only=True) as store:
        comparison = summarise_snapshot(
            store, authority, date, compare_weeks=compare_weeks
        )
    _show(comparison, fmt, out)


@snapshot_app.command("load")
@friendly
def load(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or XLSX: date, measure, value (+ optional columns)."),
    ],
    authority: AuthorityOption = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            "-d",
            help="The snapshot date, if the file has no date column.",
        ),
    ] = None,
    sheet: SheetOption = None,
    check: CheckOption = False,
    db: DbOption = None,
) -> None:
    """Load snapshot values (measure ids or the labels of a scrutiny table).

    Example: [bold]lacompare snapshot load october.csv --authority Leicester
    --date 2024-10-04 --db my.duckdb[/]
    """
    from lacompare.snapshot import load_snapshot
    from lacompare.store import open_store

    with open_store(db) as store:
        result = load_snapshot(
            store, file, authority=authority, date=date, sheet=sheet, check=check
        )
    _print_lines(result.summary_lines())


@snapshot_app.command("extract")
@friendly
def extract(
    file: Annotated[Path, typer.Argument(help="Case-level extract (CSV/XLSX).")],
    authority: Annotated[
        str, typer.Option("--authority", "-a", help="The authority (name or code).")
    ],
    date: Annotated[
        str, typer.Option("--date", "-d", help="The (last) snapshot date.")
    ],
    months: Annotated[
        int,
        typer.Option(
            "--months",
            help="Also compute the monthly snapshots before, for "
            "this many months in all (13 for a year's trend; 16 adds the quarter "
            "before the first).",
        ),
    ] = 1,
    population: Annotated[
        str,
        typer.Option("--population", help="The 0-17 population measure in the store."),
    ] = "population_estimate",
    sheet: SheetOption = None,
    check: CheckOption = False,
    db: DbOption = None,
) -> None:
    """Compute snapshot values from a case-level extract and store them.

    Example: [bold]lacompare snapshot extract cases.csv --authority Leicester
    --date 2024-10-04 --months 16 --db my.duckdb[/]
    """
    from lacompare.errors import InputError
    from lacompare.snapshot import load_extract, monthly_dates
    from lacompare.store import open_store

    if months < 1:
        raise InputError("--months: give 1 or more")
    with open_store(db) as store:
        result = load_extract(
            store,
            file,
            authority=authority,
            dates=monthly_dates(date, months),
            sheet=sheet,
            population_measure=population,
            check=check,
        )
    _print_lines(result.summary_lines())


@snapshot_app.command("headcount")
@friendly
def headcount(
    file: Annotated[
        Path,
        typer.Argument(help="CSV/XLSX: division, service, headcount [, row_role]."),
    ],
    authority: Annotated[str, typer.Option("--authority", "-a", help="The authority.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Date of the establishment.")],
    sheet: SheetOption = None,
    check: CheckOption = False,
    db: DbOption = None,
) -> None:
    """Load staff headcount by division and service; check its totals.

    Example: [bold]lacompare snapshot headcount staff.csv --authority Leicester
    --as-of 2024-10-04 --db my.duckdb[/]
    """
    from lacompare.snapshot import load_headcount
    from lacompare.store import open_store

    with open_store(db) as store:
        result = load_headcount(
            store, file, authority=authority, as_of=as_of, sheet=sheet, check=check
        )
    _print_lines(result.summary_lines())


@snapshot_app.command("budget")
@friendly
def budget(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV/XLSX: section, line, amount "
            "[, row_role, level]; income in "
            "brackets; level (0 = grand total, 1 = "
            "block total, 2 = its sub-totals...) "
            "for totals of totals."
        ),
    ],
    authority: Annotated[str, typer.Option("--authority", "-a", help="The authority.")],
    year: Annotated[str, typer.Option("--year", help="Budget year, e.g. 2024/25.")],
    unit: Annotated[str, typer.Option("--unit", help="Unit of the amounts.")] = "£000",
    sheet: SheetOption = None,
    check: CheckOption = False,
    db: DbOption = None,
) -> None:
    """Load budget lines with sub-totals and totals; flag any that do not add up.

    Example: [bold]lacompare snapshot budget budget.csv --authority Leicester
    --year 2024/25 --db my.duckdb[/]
    """
    from lacompare.snapshot import load_budget
    from lacompare.store import open_store

    with open_store(db) as store:
        result = load_budget(
            store,
            file,
            authority=authority,
            as_of=year,
            sheet=sheet,
            unit=unit,
            check=check,
        )
    _print_lines(result.summary_lines())


@snapshot_app.command("synthetic")
@friendly
def synthetic(
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write.")] = Path(
        "synthetic_extract.csv"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    date: Annotated[
        str, typer.Option("--date", "-d", help="Extract date.")
    ] = "2024-10-04",
    months: Annotated[
        int, typer.Option("--months", help="Months of cases before the date.")
    ] = 24,
) -> None:
    """Write a SYNTHETIC case-level extract (invented, seeded) for demos.

    Example: [bold]lacompare snapshot synthetic --seed 1 --out cases.csv[/]
    """
    from lacompare.snapshot import write_synthetic_extract

    path = write_synthetic_extract(out, seed, date, months=months)
    _print_lines(
        [f"wrote {path}: a SYNTHETIC extract (seed {seed}), no real people or records"]
    )


def register(app: typer.Typer) -> None:
    """Add the ``snapshot`` command group to ``app``."""
    app.add_typer(snapshot_app, name="snapshot")
