"""``lacompare publish site``: the headline figures as a static web site.

:func:`site` is the command; :func:`register` adds the ``publish`` group to the
app. The work is :func:`lacompare.report.write_site`'s.
"""

# No ``from __future__ import annotations``: Typer reads the option types.
from pathlib import Path
from typing import Annotated

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console

publish_app = typer.Typer(
    name="publish",
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Publish the store's figures as files any web server can host.",
)

FolderArgument = Annotated[
    Path, typer.Argument(help="The folder to write the site into (created).")
]
AuthorityOption = Annotated[
    str,
    typer.Option(
        "--authority",
        help="Whose profiles to write: 'all' (default) or names separated by "
        "commas. Indicator and region pages always cover every authority.",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="Only the profiles of this region's authorities."),
]
JobsOption = Annotated[
    int, typer.Option("--jobs", "-j", min=1, help="Processes writing the profiles.")
]
MeasureOption = Annotated[
    list[str] | None,
    typer.Option(
        "--measure",
        "-m",
        help="Headline indicators (default: the catalogue's); repeat or "
        "separate with commas.",
    ),
]
NeighbourOption = Annotated[
    str | None,
    typer.Option(
        "--neighbours", help="Statistical neighbour set (default: the store's)."
    ),
]


@publish_app.command("site")
@friendly
def site(
    folder: FolderArgument,
    db: DbOption = None,
    authority: AuthorityOption = "all",
    region: RegionOption = None,
    jobs: JobsOption = 2,
    measure: MeasureOption = None,
    neighbours: NeighbourOption = None,
) -> None:
    """Write a static site: every authority's profile, a page per headline
    indicator (map, ranking, table) and per region, the data, and a search box
    that works in the browser. Host the folder on any web server, or open
    index.html from disk.

    Example: [bold]lacompare publish site site --db my.duckdb --authority "Leeds,
    York"[/] · [bold]lacompare publish site site --db my.duckdb --region "North
    East"[/] (profiles of those authorities only; the indicator and region pages
    cover every authority; no --authority: every current authority, --jobs 2 for two
    cores)
    """
    from lacompare.report import run_site

    run_site(
        _console(),
        db,
        folder,
        authority=authority,
        region=region,
        jobs=jobs,
        measures=measure,
        neighbour_set=neighbours,
    )


def register(app: typer.Typer) -> None:
    """Add the ``publish`` command group to ``app``."""
    app.add_typer(publish_app, name="publish")
