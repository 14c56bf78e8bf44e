"""``lacompare report``: write a report (HTML, PDF or XLSX) from the store.

:func:`report` is the command; :func:`register` adds it to the app. The options
are checked by the library (:func:`lacompare.report.options_from_flags`), the
same check ``write_report`` makes; nothing heavy is imported until the command
runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of
# report(), which must be real objects, not strings.
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console

TemplateArgument = Annotated[
    str, typer.Argument(help="network, la-profile, variation, spend or scrutiny.")
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="html (default), pdf or xlsx; default from --out's suffix.",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="File to write (default: TEMPLATE.FORMAT here)."),
]
AuthorityOption = Annotated[
    str | None,
    typer.Option(
        "--authority",
        "-a",
        help="la-profile: the authority (name, ONS or DfE "
        "code); 'all', or names separated by commas, for one file each in "
        "--out FOLDER with an index.html.",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="la-profile: every authority in this region (a file "
        "each in --out FOLDER, with an index.html).",
    ),
]
JobsOption = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="la-profile for several authorities: processes writing the files.",
    ),
]
MeasureOption = Annotated[
    list[str] | None,
    typer.Option(
        "--measure",
        "--measures",
        "-m",
        help="la-profile: headline measures (default: those with a polarity); "
        "variation: the measure. measure, measure\\[breakdown] or "
        "measure\\[breakdown]=Label; repeat or separate with commas.",
    ),
]
FactorsOption = Annotated[
    str | None,
    typer.Option(
        "--factors",
        help="variation, spend: factor measures, comma-separated "
        "(spend default: the five-factor measures found in the store).",
    ),
]
TargetOption = Annotated[
    str | None, typer.Option("--target", help="spend: the spend measure to explain.")
]
PeriodsOption = Annotated[
    str | None,
    typer.Option(
        "--periods", help="variation: the window, e.g. 2021:2025 (default: all)."
    ),
]
NeighbourSetOption = Annotated[
    str | None,
    typer.Option(
        "--neighbour-set",
        help="la-profile, scrutiny: the neighbour set (default: the store's latest).",
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude", help="Authority or region to leave out; repeat for more."
    ),
]
FoldsOption = Annotated[
    int | None,
    typer.Option("--folds", help="spend: cross-validation folds (default 10)."),
]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="scrutiny: the snapshot date (default: the latest)."),
]
CompareWeeksOption = Annotated[
    int | None,
    typer.Option(
        "--compare-weeks",
        help="scrutiny: change from the snapshot this many "
        "weeks before (default 13, a rolling quarter).",
    ),
]
TitleOption = Annotated[
    str | None,
    typer.Option("--title", help="The report's title (network, variation, spend)."),
]
InteractiveOption = Annotated[
    bool,
    typer.Option(
        "--interactive",
        help="HTML: also draw the charts with Vega (tooltips), "
        "inlined in the file; the static images stay as the fallback.",
    ),
]


def _default_out(template: str, fmt: str, authority: str | None) -> Path:
    stem = template
    if authority:
        stem += "-" + re.sub(r"[^a-z0-9]+", "-", authority.lower()).strip("-")
    return Path(f"{stem}.{fmt}")


@friendly
def report(
    template: TemplateArgument,
    db: DbOption = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    authority: AuthorityOption = None,
    region: RegionOption = None,
    jobs: JobsOption = 1,
    measure: MeasureOption = None,
    factors: FactorsOption = None,
    target: TargetOption = None,
    periods: PeriodsOption = None,
    neighbour_set: NeighbourSetOption = None,
    exclude: ExcludeOption = None,
    folds: FoldsOption = None,
    date: DateOption = None,
    compare_weeks: CompareWeeksOption = None,
    title: TitleOption = None,
    interactive: InteractiveOption = False,
) -> None:
    """Write a report a committee can read: HTML, PDF or XLSX.

    [bold]network[/]: a national report from services' returns (with no --db and
    no data loaded: the packaged SENDIAS demo data). [bold]la-profile[/]: one
    authority against its neighbours, region and England, in numbers and words.
    [bold]variation[/]: one measure's regional variation, change and associated
    factors. [bold]spend[/]: expected against actual spend on five factors.
    [bold]scrutiny[/]: one council's workload and resources brief (snapshot,
    trends, headcount, budget, neighbours).

    Examples: [bold]lacompare report network --format pdf --out network.pdf[/]
    · [bold]lacompare report la-profile --authority Leeds --db my.duckdb[/]
    · [bold]lacompare report la-profile --region "North East" --jobs 2 --out
    profiles --db my.duckdb[/] (--authority all: every authority)
    · [bold]lacompare report variation --measure cin_rate_per_10000 --factors
    idaci_average_score --db my.duckdb[/]
    · [bold]lacompare report spend --target csc_expenditure_per_child --format
    xlsx --db my.duckdb[/]
    """
    from lacompare.errors import LacompareError

    flags = {
        "authority": authority,
        "measure": measure,
        "factors": factors,
        "target": target,
        "periods": periods,
        "neighbour_set": neighbour_set,
        "exclude": exclude,
        "folds": folds,
        "title": title,
        "date": date,
        "compare_weeks": compare_weeks,
        "region": region,
        "jobs": jobs,
    }
    try:
        written, kind = _run(template, db, fmt, out, flags, interactive)
    except LacompareError as exc:
        _print_error(exc)
        raise typer.Exit(1) from None
    if written is None:
        return
    size = written.stat().st_size
    _console().print(
        f"wrote {written} ({kind.upper()}, {size / 1024:,.0f} KB)",
        markup=False,
        soft_wrap=True,
    )


def _run(
    template: str,
    db: Path | None,
    fmt: str | None,
    out: Path | None,
    flags: dict[str, Any],
    interactive: bool,
) -> tuple[Path | None, str]:
    """Check the options (the library's check), then write one report or, for
    la-profile of several authorities, the batch. Returns the file written
    (None for a batch, which prints its own summary) and the format."""
    from lacompare.errors import LacompareError
    from lacompare.report import check_format, check_template, options_from_flags

    name = check_template(template)
    kind = check_format(fmt, out)
    options = options_from_flags(name, flags)
    region, jobs = options.pop("region", None), options.pop("jobs", 1)
    if name == "la-profile":
        from lacompare.report import is_batch, run_batch

        if is_batch(flags["authority"], region):
            if interactive:
                raise LacompareError("--interactive is for one profile")
            run_batch(_console(), db, out, kind, options, region=region, jobs=jobs)
            return None, kind
    if interactive:
        if kind != "html":
            raise LacompareError("--interactive is for --format html")
        options["interactive"] = True
    path = out or _default_out(name, kind, flags["authority"])
    return _write(name, db, path, kind, options), kind


def _write(name: str, db: Any, path: Path, kind: str, options: dict) -> Path:
    """Write one report with a spinner."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from lacompare.report import write_report

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=_console(),
        transient=True,
    ) as bar:
        bar.add_task(f"Writing the {name} report", total=None)
        return write_report(name, db, path, kind, **options)


def _print_error(exc: Exception) -> None:
    """One line on stderr. Messages name measure[breakdown] and lacompare[pdf]:
    printed as text, not Rich markup (which would swallow the brackets)."""
    from rich.markup import escape

    _console(stderr=True).print(
        f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True
    )


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report)
