"""CLI commands ``neighbours`` (load, compute, compare, show, changes, list),
``correlate`` and ``test`` (mann-whitney, kruskal).

Each command is a function here; :func:`register` adds them to the app. Nothing
heavy is imported until a command runs.
"""

# No ``from __future__ import annotations``: Typer reads the parameter types,
# which must be real objects, not strings.
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lacompare.analysis import split_variables as _split
from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console
from lacompare.cli._output import check_format as _check_format
from lacompare.cli._output import print_summary
from lacompare.cli._output import write_csv as _emit_csv

if TYPE_CHECKING:
    import pandas as pd

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="table (readable), csv or json (for scripts: data only "
        "on standard output).",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Write the CSV to this file instead of the screen."
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        "-x",
        help="Leave out authorities: 'region:London', "
        "'London', a name or a code. Repeat for more.",
    ),
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        "-p",
        help="A period (2021), a range averaged per authority "
        "(2013:2017) or a list (2019,2021); default each measure's latest.",
    ),
]
SetIdOption = Annotated[
    str, typer.Option("--set-id", help="Name of the set in the store.")
]
LabelOption = Annotated[str | None, typer.Option("--label", help="Description.")]
ReplaceOption = Annotated[
    bool, typer.Option("--replace", help="Replace a set with the same id.")
]
NeighbourFileArgument = Annotated[
    str,
    typer.Argument(
        help="Neighbour file (CSV in lacompare's format, or a DfE "
        "statistical-neighbour XLSX/CSV), or a packaged set: dfe-2021, "
        "dfe-2025."
    ),
]
LoadValidForOption = Annotated[
    str | None,
    typer.Option(
        "--valid-for",
        help="Period or date the set is for (2025-26, "
        "2021-04-01): resolves DfE codes and leaves out authorities that did "
        "not exist then.",
    ),
]
IncludeOldOption = Annotated[
    bool,
    typer.Option("--include-old", help="DfE files: keep the 'Old SNs' block."),
]
VariablesOption = Annotated[
    str,
    typer.Option(
        "--variables",
        help="Measures describing the authorities, comma-separated.",
    ),
]
WeightsOption = Annotated[
    str | None,
    typer.Option(
        "--weights",
        help="One weight per variable, comma-separated (default all 1).",
    ),
]
KOption = Annotated[int, typer.Option("--k", help="Neighbours per authority.")]
ComputeValidForOption = Annotated[
    str | None,
    typer.Option(
        "--valid-for",
        help="Period or date the set is for (default: --period when it is one period).",
    ),
]
RebaseOption = Annotated[
    str,
    typer.Option(
        "--rebase",
        help="authority (each one's farthest = 1, CIPFA) or overall.",
    ),
]
ShowSetOption = Annotated[
    str | None,
    typer.Option("--set-id", help="Set (default: the only one in the store)."),
]
ShowPeriodOption = Annotated[
    str | None,
    typer.Option("--period", help="Leave out neighbours that did not exist then."),
]


def _print_table(
    frame: "pd.DataFrame", title: str | None = None, digits: int = 3
) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    for col in frame.columns:
        table.add_column(
            str(col), justify="right" if frame[col].dtype.kind in "if" else "left"
        )
    shown = frame.copy()
    for col in shown.columns:
        if shown[col].dtype.kind == "f" and (shown[col].dropna() % 1 == 0).all():
            # Counts that are floats only because some are missing (NaN).
            shown[col] = shown[col].map(lambda v: "" if v != v else f"{v:.0f}")
        elif shown[col].dtype.kind == "f":
            shown[col] = shown[col].map(
                lambda v: (
                    ""
                    if v != v
                    else f"{v:.{digits}g}"
                    if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3)
                    else f"{v:.{digits}f}"
                )
            )
    for row in shown.astype(object).where(shown.notna(), "").astype(str).to_numpy():
        table.add_row(*map(Text, row))  # Text: data is never read as markup
    _console().print(table)


def _print_excluded(excluded: "pd.DataFrame", limit: int = 40) -> None:
    console = _console()
    if excluded.empty:
        console.print("left out: none", markup=False)
        return
    console.print(f"left out ({len(excluded)}):", markup=False)
    names = (
        excluded["la_name"]
        .astype(object)
        .where(excluded["la_name"].notna(), excluded["la_code"])
    )
    for name, reason in list(zip(names, excluded["reason"], strict=True))[:limit]:
        console.print(f"  {name}: {reason}", markup=False)
    if len(excluded) > limit:
        console.print(
            f"  … and {len(excluded) - limit} more (use --format csv)", markup=False
        )


# ------------------------------------------------------------------ neighbours


@friendly
def neighbours_load(
    file: NeighbourFileArgument,
    set_id: SetIdOption,
    db: DbOption = None,
    label: LabelOption = None,
    valid_for: LoadValidForOption = None,
    include_old: IncludeOldOption = False,
    replace: ReplaceOption = False,
) -> None:
    """Load a neighbour set (format: lacompare/analysis/data/neighbours_format.md).

    Example: [bold]lacompare neighbours load dfe-2025 --set-id dfe-2025
    --replace[/]
    """
    from lacompare.analysis.neighbours import load_neighbour_set
    from lacompare.store import open_store

    with open_store(db) as store:
        result = load_neighbour_set(
            store,
            file,
            set_id,
            label,
            valid_for,
            include_old=include_old,
            replace=replace,
        )
    print_summary(result, store.path)


def _weights(weights: str | None) -> list[float] | None:
    """``--weights`` as numbers (None: all 1)."""
    from lacompare.errors import InputError

    try:
        return [float(v) for v in _split(weights)] if weights else None
    except ValueError:
        raise InputError(f"--weights {weights!r}: numbers, comma-separated") from None


@friendly
def neighbours_compute(
    variables: VariablesOption,
    set_id: SetIdOption,
    db: DbOption = None,
    weights: WeightsOption = None,
    k: KOption = 10,
    period: PeriodOption = None,
    valid_for: ComputeValidForOption = None,
    exclude: ExcludeOption = None,
    rebase: RebaseOption = "authority",
    label: LabelOption = None,
    replace: ReplaceOption = False,
) -> None:
    """Compute statistical neighbours: z-scores, weighted Euclidean distance.

    Example: [bold]lacompare neighbours compute --variables
    iod2025_idaci_average_score,population_0_17 --weights 2,1 --k 10 --set-id
    mine[/]
    """
    from lacompare.analysis.neighbours import compute_neighbours
    from lacompare.store import open_store

    names = _split(variables)
    w = _weights(weights)
    with open_store(db) as store:
        result = compute_neighbours(
            store,
            names,
            w,
            k,
            period,
            set_id,
            label=label,
            valid_for=valid_for,
            exclude=exclude,
            rebase=rebase,
            replace=replace,
        )
    print_summary(result, store.path)


@friendly
def neighbours_compare(
    set_a: Annotated[str, typer.Argument(help="First set id.")],
    set_b: Annotated[str, typer.Argument(help="Second set id.")],
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Count the neighbours two sets share, authority by authority.

    Example: [bold]lacompare neighbours compare dfe-2021 dfe-2025
    --format csv[/]
    """
    from lacompare.analysis.neighbours import compare_neighbour_sets
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = compare_neighbour_sets(store, set_a, set_b)
    frame = result.per_authority
    if fmt != "table" or out is not None:
        _emit_csv(frame, out, fmt)
        if out is None:
            return
    else:
        _print_table(frame.drop(columns="shared_names"), title=f"{set_a} vs {set_b}")
    for line in result.summary_lines():
        _console().print(line, markup=False)


@friendly
def neighbours_show(
    la: Annotated[str, typer.Argument(help="Authority name or code.")],
    set_id: ShowSetOption = None,
    period: ShowPeriodOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Show one authority's neighbours, nearest first.

    Example: [bold]lacompare neighbours show Barnsley --set-id dfe-2025[/]
    """
    import pandas as pd

    from lacompare.analysis.neighbours import neighbours_of
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        frame = neighbours_of(store, la, set_id, period=period)
    excluded = pd.DataFrame(
        frame.attrs.pop("excluded", []), columns=["la_code", "la_name", "reason"]
    )
    if fmt != "table" or out is not None:
        _emit_csv(frame, out, fmt)
        return
    cols = ["rank", "neighbour_name", "neighbour_region", "distance", "closeness"]
    if frame["distance"].isna().all():
        cols.remove("distance")
    _print_table(
        frame[cols],
        title=f"{frame['la_name'].iloc[0]} in {frame['set_id'].iloc[0]}",
    )
    if len(excluded):
        _print_excluded(excluded)


ChangesSetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set-id",
        help="A set to compare, in order (repeat; default every set in the "
        "store, oldest first).",
    ),
]
ComputedOption = Annotated[
    bool,
    typer.Option(
        "--computed/--no-computed",
        help="Add a set computed on the default recipe (not stored) when none "
        "of the sets is computed.",
    ),
]


@friendly
def neighbours_changes(
    la: Annotated[str, typer.Argument(help="Authority name or code.")],
    set_id: ChangesSetOption = None,
    computed: ComputedOption = True,
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """One authority's neighbours in each set side by side, and what changed.

    Example: [bold]lacompare neighbours changes Leeds[/]
    """
    from lacompare.analysis.neighbours import neighbour_changes
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = neighbour_changes(store, la, set_id, add_computed=computed)
    if fmt != "table" or out is not None:
        _emit_csv(result.changes, out, fmt)
        if out is None:
            return
    else:
        shown = result.table.drop(columns="neighbour_code")
        _print_table(shown, title=f"{result.la_name}: rank in each neighbour set")
    for rec in result.sets.itertuples(index=False):
        _console().print(f"{rec.set_id}: {rec.label}", markup=False)
    for line in result.summary_lines():
        _console().print(line, markup=False)


@friendly
def neighbours_list(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """List the neighbour sets in the store.

    Example: [bold]lacompare neighbours list --db my.duckdb[/]
    """
    from lacompare.analysis.neighbours import list_neighbour_sets
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        frame = list_neighbour_sets(store)
    if fmt != "table":
        _emit_csv(frame, None, fmt)
    else:
        _print_table(
            frame[["set_id", "method", "valid_for", "authorities", "rows", "label"]],
            title="Neighbour sets",
        )


def register(app: typer.Typer) -> None:
    """Add ``neighbours`` to the lacompare app."""
    neighbours_app = typer.Typer(
        help="Statistical neighbour sets: load DfE's or your own, compute, compare.",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    neighbours_app.command("load")(neighbours_load)
    neighbours_app.command("compute")(neighbours_compute)
    neighbours_app.command("compare")(neighbours_compare)
    neighbours_app.command("show")(neighbours_show)
    neighbours_app.command("changes")(neighbours_changes)
    neighbours_app.command("list")(neighbours_list)
    app.add_typer(neighbours_app, name="neighbours")
