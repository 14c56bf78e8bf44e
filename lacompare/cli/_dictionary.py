"""``lacompare ingest-dictionary``: apply a publisher's measure dictionary.

Registered by :func:`register`; nothing heavy is imported until the command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of the
# commands at run time, which must be real objects, not strings.
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console


def column(name: str, what: str) -> Any:
    """The option naming the dictionary's column for one field."""
    return typer.Option(name, help=f"Dictionary column giving {what}.")


def ingest_dictionary(
    file: Annotated[
        Path, typer.Argument(help="The dictionary (CSV, XLSX, ODS or Parquet).")
    ],
    for_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--for",
            help="A loaded file it describes (repeat for more; default: "
            "those known_files.toml names for a known dictionary).",
        ),
    ] = None,
    db: DbOption = None,
    key: Annotated[
        str | None,
        column("--key", "the measure id (or, with --match heading, the heading)"),
    ] = None,
    label: Annotated[str | None, column("--label", "the label")] = None,
    unit: Annotated[str | None, column("--unit", "the unit")] = None,
    polarity: Annotated[
        str | None, column("--polarity", "the polarity (Low, High, -)")
    ] = None,
    reference_date: Annotated[
        str | None, column("--reference-date", "the reference date or year type")
    ] = None,
    description: Annotated[
        str | None, column("--description", "the description")
    ] = None,
    match: Annotated[
        str | None,
        typer.Option(
            "--match",
            help="The key is the stored measure id (measure) or the "
            "heading it was loaded from (heading).",
        ),
    ] = None,
    missing: Annotated[
        list[str] | None,
        typer.Option("--missing", help="A cell text meaning 'not stated' (e.g. NA)."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Workbook sheet.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Dry run: show what would change; change nothing."
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write every value before and after to this CSV."),
    ] = None,
) -> None:
    """Set the label, unit, polarity, reference date and description of the
    measures loaded from FILE's companion data files, from a publisher's
    measure dictionary. A value a spec states wins; measures with no entry and
    entries matching no measure are listed.

    Example: [bold]lacompare ingest-dictionary
    ../shared/data/lait/lait_data_dictionary.csv --for
    lait_bds_long_0.parquet --db national.duckdb[/]
    """
    from lacompare.build import apply_measure_dictionary, match_dictionary_spec
    from lacompare.sources import read_measure_dictionary
    from lacompare.store import open_store

    spec = match_dictionary_spec(
        file,
        key=key,
        label=label,
        unit=unit,
        polarity=polarity,
        reference_date=reference_date,
        description=description,
        match=match,
        missing=tuple(missing or ()),
        sheet=sheet,
    )
    book = read_measure_dictionary(file, spec)
    with open_store(db) as store:
        applied, issues = apply_measure_dictionary(
            store, book, files=list(for_files or ()) or None, check=check
        )
    _print_applied(file, book, applied, issues, check=check)
    if out is not None:
        from lacompare.cells import write_csv_safe

        write_csv_safe(applied, out)
        _console().print(f"written: {out}", markup=False)
    if not check:
        _console().print(f"store: {store.path}", markup=False)


def _print_applied(
    file: Path, book: Any, applied: Any, issues: Any, *, check: bool
) -> None:
    """How many entries matched and what they set; then the issue log."""
    console = _console()
    counts = applied["action"].value_counts().to_dict()
    console.print(
        f"{file.name}: {len(book):,} entries; {applied['measure'].nunique():,} "
        f"measures matched; {counts.get('set', 0):,} values "
        f"{'would be ' if check else ''}set, {counts.get('same', 0):,} already so, "
        f"{counts.get('spec-wins', 0):,} kept as a spec states",
        markup=False,
    )
    for issue in issues:
        console.print(f"  {issue.severity}: {issue}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``ingest-dictionary`` to ``app``."""
    app.command("ingest-dictionary")(friendly(ingest_dictionary))
