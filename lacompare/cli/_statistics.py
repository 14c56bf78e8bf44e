"""The `correlate` and `test` commands: associations and differences between
groups of authorities, as the spend-variation study reports them."""

# No ``from __future__ import annotations``: Typer reads the parameter types,
# which must be real objects, not strings.
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lacompare.analysis import split_variables as _split
from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console
from lacompare.cli._neighbours import (
    ExcludeOption,
    FormatOption,
    OutOption,
    PeriodOption,
    _print_excluded,
    _print_table,
)
from lacompare.cli._output import check_format as _check_format
from lacompare.cli._output import write_csv as _emit_csv

if TYPE_CHECKING:
    import pandas as pd

MeasuresArgument = Annotated[
    list[str],
    typer.Argument(
        help="Two measures (one test), or more (all pairs); each may name its "
        "breakdown, as measure\\[breakdown]."
    ),
]
MethodOption = Annotated[
    str, typer.Option("--method", "-m", help="spearman, pearson or kendall.")
]
AdjustOption = Annotated[
    str,
    typer.Option(
        "--adjust",
        help="Several pairs: adjust p by holm or bh (Benjamini-Hochberg).",
    ),
]
ConfidenceOption = Annotated[
    float,
    typer.Option("--confidence", help="Level of the confidence interval."),
]
MeasureArgument = Annotated[
    str,
    typer.Argument(help="The measure compared (measure or measure\\[breakdown])."),
]
GroupByOption = Annotated[
    str,
    typer.Option(
        "--group-by",
        "-g",
        help="'region:London' (London against the rest), "
        "an authorities column with --groups, or a 0/1 or Yes/No measure.",
    ),
]
GroupsOption = Annotated[
    str | None,
    typer.Option("--groups", help="The two groups to compare, comma-separated."),
]
GroupPeriodOption = Annotated[
    str | None,
    typer.Option("--group-period", help="Period of a grouping measure."),
]
AlternativeOption = Annotated[
    str, typer.Option("--alternative", help="two-sided, less or greater.")
]
ByOption = Annotated[
    str,
    typer.Option("--by", help="region, london_region, la_type or a measure."),
]
ByPeriodOption = Annotated[
    str | None,
    typer.Option("--by-period", help="Period of a grouping measure."),
]
BreakdownOption = Annotated[
    str,
    typer.Option(
        "--breakdown",
        help="Breakdown of every measure that names none "
        "(default: the total rows); a measure names its own as measure\\[breakdown].",
    ),
]


# ------------------------------------------------------------------ correlate


def _print_notes(notes: list[str], data_on_stdout: bool) -> None:
    """What was read as one series (a same-area recode); on standard error when
    standard output carries data."""
    console = _console(stderr=data_on_stdout)
    for note in notes:
        console.print(f"note: {note}", markup=False, soft_wrap=True)


def _print_correlation(result: Any, fmt: str, out: Path | None) -> None:
    """One pair: the test, its CI method, who was left out and what was read as
    one series."""
    if fmt != "table" or out is not None:
        _emit_csv(result.to_frame(), out, fmt)
        if out is None:
            _print_notes(result.notes, data_on_stdout=True)
            return
    console = _console()
    console.print(result.describe(), markup=False)
    console.print(f"CI: {result.ci_method}", markup=False)
    _print_notes(result.notes, data_on_stdout=False)
    _print_excluded(result.excluded)


def _print_matrix(
    matrix: Any, method: str, adjust: str, fmt: str, out: Path | None
) -> None:
    """All pairs: the correlations with adjusted p, the measures' missing values
    and who was left out."""
    frame = matrix.long(adjust=adjust)
    if fmt != "table" or out is not None:
        _emit_csv(frame, out, fmt)
        if out is None:
            _print_notes(matrix.notes, data_on_stdout=True)
            return
    else:
        _print_table(
            frame,
            title=f"{method.capitalize()} correlations (p adjusted: {adjust})",
        )
    console = _console()
    _print_notes(matrix.notes, data_on_stdout=False)
    missing = matrix.missing.groupby("measure").size()
    for m, count in missing.items():
        console.print(f"{m}: no value for {count} authorities", markup=False)
    _print_excluded(matrix.excluded)


@friendly
def correlate_cmd(
    measures: MeasuresArgument,
    method: MethodOption = "spearman",
    period: PeriodOption = None,
    exclude: ExcludeOption = None,
    adjust: AdjustOption = "bh",
    confidence: ConfidenceOption = 0.95,
    breakdown: BreakdownOption = "",
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Correlate measures across authorities: r, p, n, CI and who was left out.

    Example: [bold]lacompare correlate turnover_rate_fte agency_rate_fte
    --exclude region:London[/]

    A rate kept under a breakdown against a measure with none:
    [bold]lacompare correlate "rate_per_10000\\[population_type=Children looked
    after on 31 March each year]" idaci_average_score[/]
    """
    from lacompare.analysis.significance import correlate, correlation_matrix
    from lacompare.errors import InputError
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    names = [m for part in measures for m in _split(part)]
    if len(names) < 2:
        raise InputError("give two or more measures")
    options = {"period": period, "exclude": exclude, "breakdown": breakdown}
    with open_store(db, read_only=True) as store:
        if len(names) == 2:
            result = correlate(
                store, names[0], names[1], method, confidence=confidence, **options
            )
        else:
            matrix = correlation_matrix(store, names, method, **options)
    if len(names) == 2:
        _print_correlation(result, fmt, out)
    else:
        _print_matrix(matrix, method, adjust, fmt, out)


# ------------------------------------------------------------------ test


def _emit_test(
    result: Any, fmt: str, out: Path | None, extra: "pd.DataFrame | None" = None
) -> None:
    if fmt != "table" or out is not None:
        _emit_csv(result.to_frame(), out, fmt)
        if out is None:
            return
    _console().print(result.describe(), markup=False)
    if extra is not None:
        _print_table(extra)
    _print_excluded(result.excluded)


@friendly
def mann_whitney_cmd(
    measure: MeasureArgument,
    group_by: GroupByOption,
    groups: GroupsOption = None,
    period: PeriodOption = None,
    group_period: GroupPeriodOption = None,
    exclude: ExcludeOption = None,
    alternative: AlternativeOption = "two-sided",
    breakdown: BreakdownOption = "",
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Mann-Whitney U between two groups, with the rank-biserial effect size.

    Example: [bold]lacompare test mann-whitney turnover_rate_fte --group-by
    region:London[/]
    """
    from lacompare.analysis.significance import mann_whitney
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = mann_whitney(
            store,
            measure,
            group_by,
            groups=_split(groups) or None,
            period=period,
            group_period=group_period,
            exclude=exclude,
            alternative=alternative,
            breakdown=breakdown,
        )
    _emit_test(result, fmt, out)


@friendly
def kruskal_cmd(
    measure: MeasureArgument,
    by: ByOption = "region",
    period: PeriodOption = None,
    by_period: ByPeriodOption = None,
    exclude: ExcludeOption = None,
    breakdown: BreakdownOption = "",
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Kruskal-Wallis H across groups, with epsilon-squared.

    Example: [bold]lacompare test kruskal turnover_rate_fte --by region[/]
    """
    from lacompare.analysis.significance import kruskal
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = kruskal(
            store,
            measure,
            by,
            period=period,
            by_period=by_period,
            exclude=exclude,
            breakdown=breakdown,
        )
    _emit_test(result, fmt, out, extra=result.groups)


def register(app: typer.Typer) -> None:
    """Add ``correlate`` and ``test`` to the lacompare app."""
    test_app = typer.Typer(
        help="Tests of difference between groups of authorities.",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    app.command("correlate")(correlate_cmd)
    test_app.command("mann-whitney")(mann_whitney_cmd)
    test_app.command("kruskal")(kruskal_cmd)
    app.add_typer(test_app, name="test")
