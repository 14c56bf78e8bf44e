"""``lacompare sources`` and ``lacompare fetch``: official data by name.

Registered by :func:`register`; nothing heavy is imported until a command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of the
# commands at run time, which must be real objects, not strings.
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console

FORMATS = ("table", "csv", "json")
#: Issues of a fetch printed at most (the rest are in the table load_issues).
SHOWN_ISSUES = 20


def sources(
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """List the sources lacompare can fetch: publisher, reference date, units,
    geography and how each is fetched.

    Example: [bold]lacompare sources --format csv[/]
    """
    import json
    import sys

    from lacompare.errors import InputError
    from lacompare.fetch import read_catalogue

    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}")
    rows = [e.describe() for e in read_catalogue().values()]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if fmt == "csv":
        from lacompare.cells import CsvSafeWriter

        CsvSafeWriter(sys.stdout, lineterminator="\n").writedicts(list(rows[0]), rows)
        return
    from rich.table import Table

    table = Table(title="Sources lacompare can fetch (lacompare fetch SOURCE)")
    for col in (
        "source",
        "title",
        "publisher",
        "reference date",
        "units",
        "geography",
        "fetched by",
    ):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["source"],
            r["title"],
            r["publisher"],
            r["reference_date"],
            r["units"],
            r["geography"],
            r["fetched_by"],
        )
    _console().print(table)


def fetch(
    source: Annotated[
        str,
        typer.Argument(
            help="A source id from lacompare sources (cla, cin, ro3, ons-mye …)."
        ),
    ],
    db: DbOption = None,
    years: Annotated[
        list[str] | None,
        typer.Option("--years", help="Periods: 2024, 2021:2025, 2023-24 (repeatable)."),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="EES data set version to pin (1.2, 2.*), or release "
            "slug for a release file.",
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            help="Download folder (default: your cache folder, or $LACOMPARE_CACHE).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="EES public data API base URL (default "
            "https://api.education.gov.uk/statistics/v1 or "
            "$LACOMPARE_EES_API_URL).",
        ),
    ] = None,
    content_url: Annotated[
        str | None,
        typer.Option(
            "--content-url",
            help="EES content API base URL, for release files "
            "($LACOMPARE_EES_CONTENT_URL).",
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Download this file (where no URL is catalogued)."),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option("--file", help="Glob choosing an EES release's data file."),
    ] = None,
    data_set: Annotated[
        str | None,
        typer.Option("--data-set", help="EES API data set id to query."),
    ] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Download again even if cached.")
    ] = False,
) -> None:
    """Download a source, cache it (URL, version, date, SHA-256 recorded) and
    load it into the store with its measures, units, polarity and dates.

    Example: [bold]lacompare fetch cla --years 2021:2025 --db my.duckdb[/]
    """
    from lacompare.fetch import fetch_source
    from lacompare.store import open_store

    with open_store(db) as store:
        result = fetch_source(
            store,
            source,
            years=years,
            version=version,
            cache_dir=cache,
            file=file,
            url=url,
            data_set=data_set,
            api_url=base_url,
            content_url=content_url,
            refresh=refresh,
        )
    _print_fetched(result, store.path)


def _print_fetched(result: Any, path: str) -> None:
    """What a fetch loaded, and its issues worth reading (the first few)."""
    console = _console()
    for line in result.summary_lines():
        console.print(line, markup=False)
    shown = [
        i
        for i in result.issues
        if i.severity != "info"
        or i.kind.startswith(("ees", "no-api", "years", "newer"))
    ]
    for issue in shown[:SHOWN_ISSUES]:
        console.print(f"  {issue.severity}: {issue}", markup=False)
    if len(shown) > SHOWN_ISSUES:
        console.print(f"  … and {len(shown) - SHOWN_ISSUES} more (table load_issues)")
    console.print(f"store: {path}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``sources`` and ``fetch`` to ``app``."""
    app.command("sources")(friendly(sources))
    app.command("fetch")(friendly(fetch))
