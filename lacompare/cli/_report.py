"""``lacompare report``: write a report (HTML, PDF or XLSX) from the store.

Registered by :func:`register`; nothing heavy is imported until the command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of the
# command defined inside register(), which must be real objects, not strings.
import re
from pathlib import Path
from typing import Annotated, Any

import typer

#: Which template takes which option (CLI names).
TEMPLATE_OPTIONS = {
    "network": set(),
    "la-profile": {
        "authority",
        "measure",
        "neighbour_set",
        "exclude",
        "region",
        "jobs",
    },
    "variation": {"measure", "factors", "periods", "exclude"},
    "spend": {"target", "factors", "folds", "exclude", "authority"},
    "scrutiny": {"authority", "date", "neighbour_set", "compare_weeks"},
}
_FLAGS = {
    "authority": "--authority",
    "measure": "--measure",
    "neighbour_set": "--neighbour-set",
    "exclude": "--exclude",
    "factors": "--factors",
    "periods": "--periods",
    "target": "--target",
    "folds": "--folds",
    "date": "--date",
    "compare_weeks": "--compare-weeks",
    "region": "--region",
    "jobs": "--jobs",
}


def _default_out(template: str, fmt: str, authority: str | None) -> Path:
    stem = template
    if authority:
        stem += "-" + re.sub(r"[^a-z0-9]+", "-", authority.lower()).strip("-")
    return Path(f"{stem}.{fmt}")


def report_options(template: str, given: dict[str, Any]) -> dict[str, Any]:
    """The Python options for a template from the CLI's (errors for misplaced ones)."""
    from lacompare.errors import InputError
    from lacompare.report import split_specs

    allowed = TEMPLATE_OPTIONS[template]
    wrong = [
        _FLAGS[k]
        for k, v in given.items()
        if v not in (None, [], ()) and k not in allowed and k != "title"
    ]
    if wrong:
        takes = ", ".join(sorted(_FLAGS[k] for k in allowed)) or "no options"
        raise InputError(
            f"{template} does not take {', '.join(wrong)} (it takes {takes})"
        )
    out: dict[str, Any] = {}
    if given.get("title"):
        out["title"] = given["title"]
    measures = split_specs(given.get("measure") or [])
    if template == "la-profile":
        out.update(
            authority=given.get("authority"),
            measures=measures or None,
            neighbour_set=given.get("neighbour_set"),
            exclude=given.get("exclude") or None,
        )
        out.pop("title", None)
        if not out["authority"] and not given.get("region"):
            raise InputError(
                "la-profile needs --authority NAME (a name, ONS or DfE "
                "code; 'all' or a comma-separated list for several) "
                "or --region NAME"
            )
    elif template == "variation":
        if len(measures) != 1:
            raise InputError(
                "variation needs one --measure (measure, "
                "measure[breakdown] or measure[breakdown]=Label)"
            )
        out.update(
            measure=measures[0],
            factors=given.get("factors"),
            periods=given.get("periods"),
            exclude=given.get("exclude") or None,
        )
    elif template == "scrutiny":
        out.update(
            authority=given.get("authority"),
            date=given.get("date"),
            neighbour_set=given.get("neighbour_set"),
        )
        if given.get("compare_weeks") is not None:
            out["compare_weeks"] = given["compare_weeks"]
    elif template == "spend":
        if not given.get("target"):
            raise InputError("spend needs --target M (the spend measure)")
        out.update(
            target=given["target"],
            factors=given.get("factors"),
            exclude=given.get("exclude") or None,
        )
        if given.get("authority"):
            out["authority"] = given["authority"]
        if given.get("folds") is not None:
            out["folds"] = given["folds"]
    return out


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    from lacompare.cli._common import DbOption, friendly
    from lacompare.cli._common import console as _console

    @app.command("report")
    @friendly
    def report(
        template: Annotated[
            str,
            typer.Argument(help="network, la-profile, variation, spend or scrutiny."),
        ],
        db: DbOption = None,
        fmt: Annotated[
            str | None,
            typer.Option(
                "--format",
                "-f",
                help="html (default), pdf or xlsx; default from --out's suffix.",
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", help="File to write (default: TEMPLATE.FORMAT here)."
            ),
        ] = None,
        authority: Annotated[
            str | None,
            typer.Option(
                "--authority",
                "-a",
                help="la-profile: the authority (name, ONS or DfE "
                "code); 'all', or names separated by commas, for one file each in "
                "--out FOLDER with an index.html.",
            ),
        ] = None,
        region: Annotated[
            str | None,
            typer.Option(
                "--region",
                help="la-profile: every authority in this region (a file "
                "each in --out FOLDER, with an index.html).",
            ),
        ] = None,
        jobs: Annotated[
            int,
            typer.Option(
                "--jobs",
                "-j",
                min=1,
                help="la-profile for several authorities: processes writing the files.",
            ),
        ] = 1,
        measure: Annotated[
            list[str] | None,
            typer.Option(
                "--measure",
                "--measures",
                "-m",
                help="la-profile: headline measures (default: those with a polarity); "
                "variation: the measure. measure, measure\\[breakdown] or "
                "measure\\[breakdown]=Label; repeat or separate with commas.",
            ),
        ] = None,
        factors: Annotated[
            str | None,
            typer.Option(
                "--factors",
                help="variation, spend: factor measures, comma-separated "
                "(spend default: the five-factor measures found in the store).",
            ),
        ] = None,
        target: Annotated[
            str | None,
            typer.Option("--target", help="spend: the spend measure to explain."),
        ] = None,
        periods: Annotated[
            str | None,
            typer.Option(
                "--periods",
                help="variation: the window, e.g. 2021:2025 (default: all).",
            ),
        ] = None,
        neighbour_set: Annotated[
            str | None,
            typer.Option(
                "--neighbour-set",
                help="la-profile, scrutiny: the neighbour set "
                "(default: the store's latest).",
            ),
        ] = None,
        exclude: Annotated[
            list[str] | None,
            typer.Option(
                "--exclude", help="Authority or region to leave out; repeat for more."
            ),
        ] = None,
        folds: Annotated[
            int | None,
            typer.Option("--folds", help="spend: cross-validation folds (default 10)."),
        ] = None,
        date: Annotated[
            str | None,
            typer.Option(
                "--date", help="scrutiny: the snapshot date (default: the latest)."
            ),
        ] = None,
        compare_weeks: Annotated[
            int | None,
            typer.Option(
                "--compare-weeks",
                help="scrutiny: change from the snapshot this many "
                "weeks before (default 13, a rolling quarter).",
            ),
        ] = None,
        title: Annotated[
            str | None,
            typer.Option(
                "--title", help="The report's title (network, variation, spend)."
            ),
        ] = None,
        interactive: Annotated[
            bool,
            typer.Option(
                "--interactive",
                help="HTML: also draw the charts with Vega (tooltips), "
                "inlined in the file; the static images stay as the fallback.",
            ),
        ] = False,
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
        · [bold]lacompare report la-profile --authority all --jobs 2 --out
        profiles --db my.duckdb[/]
        · [bold]lacompare report variation --measure cla_rate --factors
        idaci_average_score --db my.duckdb[/]
        · [bold]lacompare report spend --target csc_expenditure_per_child --format
        xlsx --db my.duckdb[/]
        """
        from rich.markup import escape

        from lacompare.errors import LacompareError
        from lacompare.report import check_format, check_template

        console = _console()
        try:
            name = check_template(template)
            kind = check_format(fmt, out)
            options = report_options(
                name,
                {
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
                    "jobs": jobs if jobs != 1 else None,
                },
            )
            if name == "la-profile":
                from lacompare.report import is_batch

                if is_batch(authority, region):
                    if interactive:
                        raise LacompareError("--interactive is for one profile")
                    _write_batch(console, db, out, kind, options, region, jobs)
                    return
            if interactive:
                if kind != "html":
                    raise LacompareError("--interactive is for --format html")
                options["interactive"] = True
            path = out or _default_out(name, kind, authority)
            written = _write(console, name, db, path, kind, options)
        except LacompareError as exc:
            # Messages name measure[breakdown] and lacompare[pdf]: print them as
            # text, not Rich markup (which would swallow the brackets).
            _console(stderr=True).print(
                f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True
            )
            raise typer.Exit(1) from None
        size = written.stat().st_size
        console.print(
            f"wrote {written} ({kind.upper()}, {size / 1024:,.0f} KB)",
            markup=False,
            soft_wrap=True,
        )

    def _write_batch(
        console: Any,
        db: Any,
        out: Path | None,
        kind: str,
        options: dict,
        region: str | None,
        jobs: int,
    ) -> None:
        from lacompare.report import run_batch

        run_batch(console, db, out, kind, options, region=region, jobs=jobs)

    def _write(
        console: Any, name: str, db: Any, path: Path, kind: str, options: dict
    ) -> Path:
        from rich.progress import Progress, SpinnerColumn, TextColumn

        from lacompare.report import write_report

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as bar:
            bar.add_task(f"Writing the {name} report", total=None)
            return write_report(name, db, path, kind, **options)
