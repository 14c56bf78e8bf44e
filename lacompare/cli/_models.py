"""``lacompare model``: regression, panel and expected-spend commands.

Each command is a function here; :func:`register` adds them to the app. Nothing
heavy is imported until a command runs.
"""

# No ``from __future__ import annotations``: Typer reads the option types of the
# commands, which must be real objects, not strings.
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lacompare.analysis import split_variables as _split
from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console
from lacompare.cli._output import check_format as _check_format

if TYPE_CHECKING:
    import pandas as pd


#: Columns that hold p-values (printed ``<0.001`` or to three decimals).
_P_COLUMNS = ("p", "p_value", "pvalue", "p_adjusted")


def _number(value: Any) -> str:
    from lacompare.formatting import format_statistic

    if isinstance(value, bool | str):
        return str(value)
    return format_statistic(value)


def _cell(value: Any, column: str = "") -> str:
    import numbers

    import pandas as pd

    from lacompare.formatting import format_p, format_statistic

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, numbers.Real):
        if column in _P_COLUMNS:
            return format_p(value, bare=True)
        if isinstance(value, numbers.Integral) or column in ("n", "terms", "fold"):
            return f"{int(value):,}"
        return format_statistic(float(value))
    return str(value)


def _print_frame(
    console: Any, frame: "pd.DataFrame", title: str, limit: int | None = None
) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in frame.columns:
        numeric = frame[col].dtype.kind in "fiu"
        table.add_column(
            str(col), justify="right" if numeric else "left", overflow="fold"
        )
    shown = frame if limit is None else frame.head(limit)
    for row in shown.itertuples(index=False):
        table.add_row(
            *[_cell(v, str(c)) for v, c in zip(row, frame.columns, strict=True)]
        )
    console.print(table)
    if limit is not None and len(frame) > limit:
        console.print(f"  … and {len(frame) - limit} more", markup=False)


def _print_excluded(console: Any, excluded: "pd.DataFrame", limit: int = 15) -> None:
    if excluded.empty:
        console.print("No authority left out.", markup=False)
        return
    _print_frame(console, excluded, f"Left out ({len(excluded)})", limit=limit)


def _write(frame: "pd.DataFrame", out: Path | None, what: str, console: Any) -> None:
    if out is None:
        return
    from lacompare.cells import write_csv_safe

    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv_safe(frame, out)
    console.print(f"wrote {what} to {out}", markup=False)


def _coefficient_view(coef: "pd.DataFrame") -> "pd.DataFrame":
    # The confidence limits are in the CSV; the table keeps to what fits a terminal.
    cols = [c for c in ("term", "coef", "se", "p", "beta", "vif") if c in coef.columns]
    return coef[cols]


#: Said with every expected-spend model (issue: stated limits in every output).
SPEND_LIMITS = (
    "Limits: an association between spend and the factors across authorities, not "
    "a cause; the claimant count divides every year by the mid-2023 population "
    "aged 16-64 and changes definition in 2013-15; GDHI is in current prices; "
    "recorded crime is for one year (to June 2025)."
)


# ------------------------------------------------------------------ options

TargetOption = Annotated[
    str,
    typer.Option(
        "--target",
        help="Measure to explain: measure, measure@period or "
        "measure\\[breakdown]@period.",
    ),
]
LogOption = Annotated[
    str | None,
    typer.Option(
        "--log", help="Variables to take the natural log of, comma-separated."
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        help="Leave out authorities: a code, a name, a region or "
        "'region:London'; repeat for more.",
    ),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="table (readable), csv or json (the coefficients alone "
        "on standard output).",
    ),
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="Period for variables that name none (default: each measure's latest).",
    ),
]
RobustOption = Annotated[
    str,
    typer.Option("--robust", help="Standard errors: HC3, HC0, HC1, HC2 or nonrobust."),
]
CoefficientsOut = Annotated[
    Path | None, typer.Option("--out", help="CSV of the coefficients.")
]
SpendFactorsOption = Annotated[
    str | None,
    typer.Option(
        "--factors",
        help="Factor measures, comma-separated (default: deprivation, "
        "0-25 population, disposable income, unemployment and crime measures "
        "found in the store).",
    ),
]
FoldsOption = Annotated[int, typer.Option("--folds", help="Cross-validation folds.")]
RepeatsOption = Annotated[
    int,
    typer.Option(
        "--repeats",
        help="Repeats of the k-fold CV that compares the candidate "
        "models (0: no comparison).",
    ),
]
PanelOption = Annotated[
    bool,
    typer.Option(
        "--panel/--no-panel",
        help="Also fit spend per child over the years on "
        "the yearly factors, with authority and year fixed effects.",
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the folds.")]
PredictionsOut = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="CSV of predicted against actual spend for every "
        "authority, with each factor's contribution (contribution_<factor>: "
        "its part of the prediction's difference from the average).",
    ),
]
HeatmapOut = Annotated[
    Path | None,
    typer.Option(
        "--heatmap",
        help="CSV of each authority's quintile on the target and each factor.",
    ),
]
OlsFactorsOption = Annotated[
    str,
    typer.Option(
        "--factors",
        help="Factor measures, comma-separated (measure@period to pick a period).",
    ),
]
PanelFactorsOption = Annotated[
    str, typer.Option("--factors", help="Factor measures, comma-separated.")
]
PeriodsOption = Annotated[
    str,
    typer.Option(
        "--periods",
        help="Years: 2016:2024 or 2016,2018 (a period counts in the "
        "year its date ends in: 2016-17 is 2017).",
    ),
]
EntityEffectsOption = Annotated[
    bool,
    typer.Option(
        "--entity-effects/--no-entity-effects", help="Authority fixed effects."
    ),
]
TimeEffectsOption = Annotated[
    bool,
    typer.Option("--time-effects/--no-time-effects", help="Year fixed effects."),
]


# ------------------------------------------------------------------ printing


def _summary_line(fit: "pd.DataFrame") -> str:
    row = fit.iloc[0].to_dict()
    parts = [
        f"{k}={_number(v)}" for k, v in row.items() if k not in ("target", "cov_type")
    ]
    return f"{row['target']}: " + ", ".join(parts)


def _show(
    result: Any, fmt: str, headline: str, tables: list[tuple["pd.DataFrame", str]]
) -> Any:
    """csv or json: the coefficients on stdout and the fit in one line on
    stderr; table: the headline, the tables and who was left out. Returns the
    console that later messages go to (stderr with csv or json: stdout is
    data)."""
    if fmt != "table":
        from lacompare.cli._output import write_csv

        err = _console(stderr=True)
        write_csv(result.coefficients, None, fmt)
        err.print(_summary_line(result.fit), markup=False, soft_wrap=True)
        return err
    console = _console()
    console.print(headline, markup=False)
    for frame, title in tables:
        _print_frame(console, frame, title)
    _print_excluded(console, result.excluded)
    return console


def _r2(value: float) -> str:
    from lacompare.formatting import format_number

    return format_number(value, None, 3)


# ------------------------------------------------------------------ model spend


def _fit_spend(store: Any, with_panel: bool, **options: Any) -> tuple[Any, Any, Any]:
    """The expected-spend model, and the panel beside it (or why there is none)."""
    from lacompare.analysis import fit_spend_panel
    from lacompare.analysis.models import model_spend
    from lacompare.errors import LacompareError

    result = model_spend(store, **options)
    panel, no_panel = None, None
    if with_panel:
        try:
            panel = fit_spend_panel(store)
        except LacompareError as exc:
            no_panel = f"No panel beside the cross-section: {exc}"
    return result, panel, no_panel


def _spend_model_line(result: Any) -> str:
    """The periods used and the model chosen, with why."""
    fit = result.fit.iloc[0]
    if result.common_period:
        tables_note = f"Periods: {result.common_period}."
    else:
        tables_note = "Periods: each measure's latest, or as given."
    line = f"{tables_note}\nModel: {fit['model']}" + (
        f" (logged: {fit['logged']})" if fit["logged"] else ""
    )
    comparison = result.comparison
    if comparison is not None:
        line += (
            f"; chosen from {len(comparison.table)} models by "
            f"{comparison.repeats} × {comparison.k}-fold CV: "
            f"{comparison.why}"
        )
        if comparison.chosen not in ("linear", "log"):
            line += (
                f". The {comparison.chosen} model is compared, not "
                f"fitted here: the figures below are the "
                f"{fit['model']} model's"
            )
    return line


def _spend_headline(result: Any, folds: int, seed: int) -> str:
    fit = result.fit.iloc[0]
    # Two CV R² figures can print: this one split and, below, the mean over the
    # repeats the models were compared by; say which is which.
    repeats = result.comparison.repeats if result.comparison is not None else 1
    split = f"one {folds}-fold split, seed {seed}" + (
        f"; the models compared below use the mean over {repeats} splits"
        if repeats > 1
        else ""
    )
    return (
        f"Expected {result.target}: n = {result.n} authorities "
        f"({len(result.excluded)} left out); R² = {_r2(fit['r2'])}, adjusted "
        f"{_r2(fit['r2_adj'])}; CV R² = {_r2(fit['cv_r2'])}, RMSE = "
        f"{fit['cv_rmse']:.4g}, MAE = {fit['cv_mae']:.4g} ({split})\n"
        f"{_spend_model_line(result)}\n{SPEND_LIMITS}"
    )


def _expected_direction(factors: "pd.DataFrame") -> "pd.DataFrame":
    """The factors table with its notes as what they are: the direction the
    spend-variation study expects, not the fitted model's (see the coefficients)."""
    notes = factors["note"].fillna("").astype(str)
    expected = notes.str.split(":", n=1).str[-1].str.strip()
    return factors[["family", "measure", "period"]].assign(
        **{"expected (study)": expected.to_numpy()}
    )


def _spend_tables(result: Any) -> list[tuple["pd.DataFrame", str]]:
    """The factors, the models compared, the coefficients and the authorities
    furthest from their expected spend."""
    gaps = result.predictions.sort_values("gap_pct")
    view = ["la_name", "actual", "predicted", "gap_pct", "pi_lower", "pi_upper"]
    tables = [(_expected_direction(result.factors), "Factors")]
    if result.comparison is not None:
        tables.append(
            (
                result.comparison.table.drop(columns=["n", "about"]),
                "Models compared (mean and SD over repeats)",
            )
        )
    return [
        *tables,
        (
            _coefficient_view(result.coefficients),
            f"Coefficients ({result.regression.cov_type} SEs)",
        ),
        (gaps[view].head(5), "Furthest below predicted"),
        (gaps[view].tail(5).iloc[::-1], "Furthest above predicted"),
    ]


def _print_panel(where: Any, panel: Any, no_panel: str | None) -> None:
    if panel is not None:
        where.print(panel.note, markup=False)
        _print_frame(
            where,
            _coefficient_view(panel.result.coefficients),
            f"Panel: {panel.result.target} on the yearly factors "
            f"(within R² = {_r2(panel.result.r2_within)})",
        )
    elif no_panel:
        where.print(no_panel, markup=False)


@friendly
def spend(
    target: TargetOption,
    factors: SpendFactorsOption = None,
    folds: FoldsOption = 10,
    repeats: RepeatsOption = 10,
    with_panel: PanelOption = True,
    seed: SeedOption = 0,
    period: PeriodOption = None,
    log: LogOption = None,
    exclude: ExcludeOption = None,
    robust: RobustOption = "HC3",
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: PredictionsOut = None,
    heatmap: HeatmapOut = None,
) -> None:
    """Expected spend: predict spend per head from its drivers; compare with actual.

    Fits OLS (robust SEs) of the target on the factors, reports k-fold
    cross-validated R², RMSE and MAE, and each authority's predicted spend,
    prediction interval and gap (% of predicted).

    Compares the linear model with logs of skewed factors, pairwise
    interactions and region effects by repeated k-fold CV, and writes each
    factor's contribution to every authority's expected spend.

    Example: [bold]lacompare model spend --target csc_expenditure_per_child
    --db national.duckdb --out predictions.csv[/]
    """
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result, panel, no_panel = _fit_spend(
            store,
            with_panel,
            target=target,
            factors=_split(factors) or None,
            k=folds,
            seed=seed,
            period=period,
            log=_split(log),
            robust=robust,
            exclude=exclude or [],
            repeats=repeats,
        )
    headline = _spend_headline(result, folds, seed)
    where = _show(result, fmt, headline, _spend_tables(result))
    _print_panel(where, panel, no_panel)
    _write(result.predictions, out, "predictions and contributions", where)
    _write(result.heatmap, heatmap, "quintiles", where)


# ------------------------------------------------------------------ model ols


@friendly
def ols(
    target: TargetOption,
    factors: OlsFactorsOption,
    period: PeriodOption = None,
    log: LogOption = None,
    exclude: ExcludeOption = None,
    robust: RobustOption = "HC3",
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: CoefficientsOut = None,
) -> None:
    """Multiple regression across authorities with robust standard errors.

    Reports coefficients, standardised coefficients (beta), VIFs, n, R²,
    adjusted R² and AIC, the period each variable used, and who was left out.

    Example: [bold]lacompare model ols --target csc_expenditure_per_child
    --factors idaci_average_score@2019,population_age_0_25 --log
    population_age_0_25 --db national.duckdb[/]
    """
    from lacompare.analysis.models import fit_regression
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = fit_regression(
            store,
            target,
            _split(factors),
            period=period,
            log=_split(log),
            robust=robust,
            exclude=exclude or [],
        )
    where = _show(
        result,
        fmt,
        (
            f"{result.target}: n = {result.n} authorities ({len(result.excluded)} "
            f"left out); R² = {_r2(result.r2)}, adjusted {_r2(result.r2_adj)}; "
            f"AIC = {result.aic:.1f}"
        ),
        [
            (
                result.variables[
                    ["role", "name", "period", "period_rule", "transform"]
                ],
                "Variables",
            ),
            (
                _coefficient_view(result.coefficients),
                f"Coefficients ({result.cov_type} SEs)",
            ),
        ],
    )
    _write(result.coefficients, out, "coefficients", where)


# ------------------------------------------------------------------ model panel


@friendly
def panel(
    target: TargetOption,
    factors: PanelFactorsOption,
    periods: PeriodsOption = "2016:2024",
    entity_effects: EntityEffectsOption = True,
    time_effects: TimeEffectsOption = True,
    log: LogOption = None,
    exclude: ExcludeOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    out: CoefficientsOut = None,
) -> None:
    """Panel regression over authorities × years with fixed effects.

    Authority and year fixed effects; standard errors clustered by authority.

    Example: [bold]lacompare model panel --target cla_rate_per_10000_derived
    --factors cin_rate_per_10000 --periods 2016:2024 --db national.duckdb[/]
    """
    from lacompare.analysis.models import fit_panel
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = fit_panel(
            store,
            target,
            _split(factors),
            periods=periods,
            entity_effects=entity_effects,
            time_effects=time_effects,
            log=_split(log),
            exclude=exclude or [],
        )
    effects = (
        " and ".join(
            e for e, on in (("authority", entity_effects), ("year", time_effects)) if on
        )
        or "no"
    )
    where = _show(
        result,
        fmt,
        (
            f"{result.target}: n = {result.n} authority-years "
            f"({result.n_authorities} authorities, {result.n_years} years; "
            f"{len(result.excluded)} left out); {effects} fixed effects; "
            f"R² = {_r2(result.r2)}, within {_r2(result.r2_within)}"
        ),
        [
            (
                _coefficient_view(result.coefficients),
                "Coefficients (SEs clustered by authority)",
            )
        ],
    )
    _write(result.coefficients, out, "coefficients", where)


def register(app: typer.Typer) -> None:
    """Add the ``model`` command group (``spend``, ``ols``, ``panel``) to ``app``."""
    model_app = typer.Typer(
        name="model",
        help="Models of the variation between authorities: expected spend, OLS, "
        "panel.\n\nExample: [bold]lacompare model spend --target "
        "csc_expenditure_per_child --db national.duckdb[/]",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    model_app.command("spend")(spend)
    model_app.command("ols")(ols)
    model_app.command("panel")(panel)
    app.add_typer(model_app, name="model")
