"""The first stage's commands: demo, resolve, ingest, export and info."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, app, count_cell, friendly, text_cell
from lacompare.cli._common import console as _console


@app.command()
@friendly
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the demo's files.")
    ] = Path("lacompare-demo"),
) -> None:
    """Load the SENDIAS network's 2021 returns and write regional tables and a report.

    Example: [bold]lacompare demo --out ./lacompare-demo[/]
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn
    from rich.table import Table

    from lacompare.demo import run_demo

    console = _console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Starting", total=None)
        result = run_demo(out, progress=lambda m: bar.update(task, description=m))
    load = result.load
    console.print(
        f"Loaded {load.observations:,} values for {load.authorities} "
        f"services from {Path(load.file).name}"
    )
    for note in result.notes:
        console.print(f"  note: {note}")
    table = Table(title="Funding per head of 0-25 population, 2021 (£)")
    for col in ("Region", "N", "Mean", "Median", "Min", "Max"):
        table.add_column(col, justify="left" if col == "Region" else "right")
    rows = result.summary[result.summary["measure"] == "per_head_2021"]
    for _, r in rows.iterrows():
        table.add_row(
            r["region"],
            str(r["n"]),
            f"{r['mean']:.2f}",
            f"{r['median']:.2f}",
            f"{r['min']:.2f}",
            f"{r['max']:.2f}",
        )
    console.print(table)
    console.print("Wrote:")
    for path in (
        result.regional_summary,
        result.delivery_counts,
        result.report,
        result.db,
    ):
        console.print(f"  {path}")
    console.print(f"Explore the store: lacompare info --db {result.db}")


@app.command()
@friendly
def resolve(
    file: Annotated[
        Path,
        typer.Argument(help="CSV, XLSX or ODS file; or one authority's name or code."),
    ],
    column: Annotated[
        str | None,
        typer.Option("--column", "-c", help="Column holding names or codes."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="CSV to write.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Match the authorities that existed on this date (YYYY-MM-DD).",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="One name: table, csv or json.")
    ] = "table",
) -> None:
    """Match a column of authority names or codes to the registry, or one name.

    A file: keeps every input column and adds la_code, dfe_code, la_name, region,
    la_type, match (code / exact / alias / fuzzy / total-row / none) and score.
    One name: the authority it names exactly (name, code or alias; never a guess),
    else the nearest names.

    Example: [bold]lacompare resolve lacompare/demo/data/iassn_2021_services.csv
    --column local_authority --as-of 2021-03-31 --out matched.csv[/] ·
    [bold]lacompare resolve "St.Helens"[/]
    """
    from lacompare.cells import write_csv_safe
    from lacompare.sources import resolve_file

    if column is None or out is None:
        _resolve_one(file, column, out, as_of, fmt)
        return
    frame, issues = resolve_file(file, column, as_of=as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv_safe(frame, out)
    console = _console()
    counts = frame["match"].value_counts().to_dict()
    console.print(
        f"{len(frame):,} rows → {out}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    for issue in list(issues)[:20]:
        console.print(f"  {issue}")
    if len(issues) > 20:
        console.print(f"  … and {len(issues) - 20} more")


def _resolve_one(
    file: Path, column: str | None, out: Path | None, as_of: str | None, fmt: str
) -> None:
    """``resolve NAME``: one authority, strictly; a file needs --column and --out."""
    import json

    from lacompare.errors import InputError
    from lacompare.geography import strict_record

    if file.is_file() or column is not None or out is not None:
        raise InputError(
            f"{file}: a file needs --column and --out (one name needs neither)"
        )
    if fmt not in ("table", "csv", "json"):
        raise InputError(f"--format {fmt!r}: use table, csv or json")
    rec = strict_record(str(file), as_of=as_of)
    if fmt == "json":
        typer.echo(json.dumps(rec))
    elif fmt == "csv":
        from lacompare.cells import CsvSafeWriter

        CsvSafeWriter(sys.stdout, lineterminator="\n").writedicts(list(rec), [rec])
    else:
        codes = ", ".join(c for c in (rec["la_code"], f"DfE {rec['dfe_code']}") if c)
        _console().print(
            f"{rec['query']} → {rec['la_name']} ({codes}), "
            f"{rec['region']}, {rec['la_type']}; {rec['match']}"
            + (f"; {rec['note']}" if rec["note"] else ""),
            markup=False,
            soft_wrap=True,
        )


SpecOption = Annotated[
    Path | None, typer.Option("--spec", help="TOML mapping spec (see docs).")
]
SheetOption = Annotated[str | None, typer.Option("--sheet", help="Workbook sheet.")]
LaColumnOption = Annotated[
    str | None,
    typer.Option(
        "--la-column",
        help="Column(s) naming the authority; codes first, comma-separated.",
    ),
]
PeriodColumnOption = Annotated[
    str | None, typer.Option("--period-column", help="Column holding the period.")
]
PeriodOption = Annotated[
    str | None,
    typer.Option("--period", help="One period for every row (e.g. 2021, 2023-24)."),
]
ValueColumnOption = Annotated[
    str | None,
    typer.Option("--value-column", help="Long table: the column of values."),
]
MeasureOption = Annotated[
    str | None,
    typer.Option("--measure", help="Long table: the measure the values are."),
]
MeasureColumnOption = Annotated[
    str | None,
    typer.Option(
        "--measure-column", help="Long table: column naming each row's measure."
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Match authorities that existed on this date."),
]
CheckOption = Annotated[
    bool,
    typer.Option("--check", help="Dry run: report what would load; change nothing."),
]
SkipUnresolvedOption = Annotated[
    bool,
    typer.Option("--skip-unresolved", help="Load rows that resolve; log the others."),
]
SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="The source this file is a vintage of (default: the file's "
        "name and sheet).",
    ),
]
AsNewSourceOption = Annotated[
    bool,
    typer.Option(
        "--as-new-source",
        help="Keep this file as a source of its own, even if one has its name.",
    ),
]
ReplaceOption = Annotated[
    bool,
    typer.Option(
        "--replace",
        help="Make this file the new vintage of the source of its name "
        "even if it gives none of its keys.",
    ),
]


@app.command()
@friendly
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, ODS or Parquet file.")],
    db: DbOption = None,
    spec: SpecOption = None,
    sheet: SheetOption = None,
    la_column: LaColumnOption = None,
    period_column: PeriodColumnOption = None,
    period: PeriodOption = None,
    value_column: ValueColumnOption = None,
    measure: MeasureOption = None,
    measure_column: MeasureColumnOption = None,
    as_of: AsOfOption = None,
    check: CheckOption = False,
    skip_unresolved: SkipUnresolvedOption = False,
    source: SourceOption = None,
    as_new_source: AsNewSourceOption = False,
    replace: ReplaceOption = False,
) -> None:
    """Load a table of local-authority figures into the store (all or nothing).

    EES data-standard CSVs are recognised with no options; wide tables (authorities
    down, measures across) need at most --period. Loading a file again (the same
    name, or --source) makes it the current vintage of its source and says what it
    revised; the earlier values are kept (lacompare vintages, lacompare diff).

    Example: [bold]lacompare ingest lacompare/demo/data/iassn_2021_services.csv
    --period 2021 --db my.duckdb[/]
    """
    from lacompare.store import ingest as run_ingest
    from lacompare.store import open_store

    with open_store(db) as store:
        result = run_ingest(
            store,
            file,
            spec=spec,
            sheet=sheet,
            la_column=la_column,
            period_column=period_column,
            period=period,
            value_column=value_column,
            measure=measure,
            measure_column=measure_column,
            as_of=as_of,
            check=check,
            skip_unresolved=skip_unresolved,
            source=source,
            as_new_source=as_new_source,
            replace=replace,
        )
    console = _console()
    for line in result.summary_lines():
        console.print(line, markup=False)
    # Unresolved rows, conflicts and a new source's reason are in the summary.
    shown = [
        i
        for i in result.issues
        if i.severity != "info"
        and i.kind not in ("unresolved-authority", "conflict", "new-source")
    ]
    for issue in shown[:20]:
        console.print(f"  {issue.severity}: {issue}", markup=False)
    if len(shown) > 20:
        console.print(f"  … and {len(shown) - 20} more (table load_issues)")
    if not check:
        console.print(f"store: {store.path}", markup=False)


@app.command()
@friendly
def export(
    out: Annotated[Path, typer.Argument(help="File to write (.csv or .parquet).")],
    db: DbOption = None,
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help="observations, totals, measures, sources, authorities, "
            "load_issues, indicators or indicator_sources.",
        ),
    ] = "observations",
) -> None:
    """Export a table of the store to CSV or Parquet.

    Example: [bold]lacompare export observations.parquet
    --db lacompare-demo/demo.duckdb[/]
    """
    from lacompare.store import open_store

    with open_store(db, read_only=True) as store:
        path = store.export(out, table=table)
    _console().print(f"wrote {path}")


@app.command()
@friendly
def info(
    db: DbOption = None,
    measures: Annotated[
        bool,
        typer.Option(
            "--measures",
            help="Also list every measure (unit, polarity, values, missing) and "
            "every source.",
        ),
    ] = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table; csv (the measures, one a row: measure, unit, "
            "polarity, values, missing); or json (sources and measures). csv and "
            "json: data only on standard output.",
        ),
    ] = "table",
) -> None:
    """Show what the store holds: counts of values, measures, authorities,
    periods and sources, and the last load.

    A value is a figure; a missing value (suppressed, not applicable, ...) is
    counted apart, as the web app's data page counts them.

    Example: [bold]lacompare info --db lacompare-demo/demo.duckdb[/] ·
    [bold]lacompare info --measures --db my.duckdb[/]
    """
    from lacompare.store import count_values, list_measures, list_sources, open_store

    if fmt not in ("table", "csv", "json"):
        from lacompare.errors import InputError

        raise InputError(f"--format {fmt!r}: use table, csv or json")
    with open_store(db, read_only=True) as store:
        # One row of counts: a store of thousands of measures prints in a
        # screenful; the long lists only when asked (--measures).
        counts = count_values(store) if fmt == "table" else None
        listed = measures or fmt != "table"
        sources = list_sources(store) if listed else None
        measure_rows = (
            list_measures(store)[["measure", "unit", "polarity", "values", "missing"]]
            if listed
            else None
        )
    if counts is None:
        _info_data(store.path, sources, measure_rows, fmt)
        return
    console = _console()
    for line in _count_lines(store.path, counts):
        console.print(line, markup=False, soft_wrap=True)
    if sources is None or measure_rows is None:
        console.print(
            "(lacompare info --measures lists every measure and source)", markup=False
        )
        return
    console.print(_sources_table(sources))
    console.print(_measures_table(measure_rows))


def _count_lines(path: Any, counts: Any) -> list[str]:
    """``info``'s summary: one line per count, and the last load."""
    lines = [
        f"store: {path}",
        f"values: {counts.values:,} (and {counts.missing:,} missing, each with its "
        "reason)",
        f"measures: {counts.measures:,}",
        f"authorities: {counts.authorities:,}",
        f"periods: {counts.periods:,}",
        f"sources: {counts.sources:,}",
        f"neighbour sets: {counts.neighbour_sets:,}",
    ]
    if counts.last_file is not None:
        sheet = counts.last_sheet
        where = Path(counts.last_file).name + (f", sheet {sheet}" if sheet else "")
        lines.append(f"last load: {str(counts.last_loaded)[:19]} ({where})")
    return lines


def _sources_table(sources: Any) -> Any:
    """Every load, one a row: its file, values, totals and vintage status."""
    from rich.table import Table

    table = Table(title="Sources")
    for col in ("id", "file", "sheet", "values", "totals", "loaded", "vintage"):
        table.add_column(col)
    for r in sources.itertuples():
        by = text_cell(getattr(r, "superseded_by", None))
        table.add_row(
            str(r.source_id),
            Path(r.file).name,
            text_cell(r.sheet),
            count_cell(r.observations),
            count_cell(r.totals),
            str(r.loaded_at)[:19],
            f"superseded by {by}" if by else "current",
        )
    return table


def _measures_table(measure_rows: Any) -> Any:
    """Every measure, one a row: unit, polarity, figures and missing values."""
    from rich.table import Table

    table = Table(title="Measures")
    for col in ("measure", "unit", "polarity", "values", "missing"):
        table.add_column(col)
    for r in measure_rows.itertuples():
        table.add_row(
            r.measure,
            text_cell(r.unit),
            text_cell(r.polarity),
            count_cell(r.values),
            count_cell(r.missing),
        )
    return table


def _info_data(path: Any, sources: Any, measures: Any, fmt: str) -> None:
    """``info --format csv|json``: the measures as CSV; sources and measures as
    JSON (``lacompare export --table sources`` gives the sources as CSV)."""
    if fmt == "csv":
        from lacompare.cells import write_csv_safe

        typer.echo(write_csv_safe(measures, lineterminator="\n"), nl=False)
        return
    import json

    from lacompare.cli._output import json_text

    typer.echo(
        json.dumps(
            {
                "store": str(path),
                "sources": json.loads(json_text(sources)),
                "measures": json.loads(json_text(measures)),
            }
        )
    )
