"""CLI commands ``summary``, ``compare`` and ``derive`` (rate, per-head, ratio,
change, window).

Imported by :mod:`lacompare.cli` at start-up, so nothing heavy is imported here:
each command imports the library inside its body. Each command is a module-level
function; :func:`register` adds them to the app.
"""

# No 'from __future__ import annotations': Typer reads these annotations at run
# time.
from pathlib import Path
from typing import Annotated, Any

import typer

from lacompare.cli._common import DbOption, friendly
from lacompare.cli._common import console as _console
from lacompare.cli._output import cell, print_key, wide_console
from lacompare.cli._output import check_format as _check_format
from lacompare.cli._output import print_summary as _report
from lacompare.cli._output import write_csv as _emit_csv

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="table (for reading), csv or json (for scripts: data "
        "only on standard output, notes on standard error).",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write the CSV here instead of standard output."),
]


def summary(
    measure: Annotated[str, typer.Argument(help="Measure to summarise.")],
    db: DbOption = None,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="region, london_region (London split Inner/Outer), la_type "
            "or any authorities column.",
        ),
    ] = "region",
    periods: Annotated[
        str | None,
        typer.Option(
            "--periods",
            help="FIRST:LAST (e.g. 2013:2017) or a comma list; default all.",
        ),
    ] = None,
    per_la: Annotated[
        str,
        typer.Option(
            "--per-la",
            help="Each authority's figure over the periods: mean, change "
            "(mean year-on-year change), latest, slope, cagr or pooled.",
        ),
    ] = "mean",
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Leave out an authority or region (name or code); repeat for more.",
        ),
    ] = None,
    breakdown: Annotated[
        str,
        typer.Option(
            "--breakdown", help="The measure's breakdown (default: its total)."
        ),
    ] = "",
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="Population measure for a weighted mean."),
    ] = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
    decimals: Annotated[int, typer.Option("--decimals", help="Table decimals.")] = 1,
    values_out: Annotated[
        Path | None,
        typer.Option(
            "--values",
            help="Also write each authority's figure here (CSV) with the periods "
            "it rests on: periods_used of periods_of, first_period, last_period.",
        ),
    ] = None,
) -> None:
    """N, missing, mean, median, SD, min, max, range and quartiles by group.

    Each authority's figure over the periods (its mean, or its average
    year-on-year change, ...) is summarised by region, with an England row.
    CSV columns: region, n, missing, mean, median, sd, min, max, range, q1, q3.
    The notes name the periods with no values at all and the authorities whose
    figure rests on fewer periods than the others' (--values: each one's).

    Example: [bold]lacompare summary cla_rate_per_10000 --by london_region
    --periods 2021:2025 --per-la mean --exclude 'Isles of Scilly' --db
    national.duckdb[/] (an indicator id of lacompare measures, or a store measure)
    """
    from lacompare.analysis.summaries import summarise
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    with open_store(db, read_only=True) as store:
        result = summarise(
            store,
            measure,
            by=by,
            periods=periods,
            per_la=per_la,
            exclude=exclude,
            breakdown=breakdown,
            weights=weights,
        )
    err = _console(stderr=True)
    if values_out is not None:
        _emit_csv(result.per_authority(), values_out)
    if fmt != "table":
        _emit_csv(result.table, out, fmt)
        for line in result.notes():
            err.print(line, markup=False)
        return
    print_summary_table(result, measure, per_la, periods, by, decimals)
    if out is not None:
        _emit_csv(result.table, out)
        _console().print(f"wrote {out}", markup=False)


def print_summary_table(
    result: Any, measure: str, per_la: str, periods: str | None, by: str, decimals: int
) -> None:
    """The summary on the terminal: one row per group, missing statistics as
    ``–`` with the key, then the notes."""
    from rich.table import Table

    from lacompare.catalogue import display_label
    from lacompare.formatting import format_number, is_missing

    console = wide_console(_console())
    names = [
        display_label(f"{m}[{result.breakdown}]" if result.breakdown else m)
        for m in result.measures
    ]
    title = (
        f"{', '.join(names)}: per-authority {per_la}"
        + (f", {periods}" if periods else "")
        + f", by {by}"
    )
    table = Table(title=title)
    cols = [c for c in result.table.columns if c != "measure"]
    for col in cols:
        table.add_column(col, justify="left" if col == "region" else "right")
    gaps = False
    for row in result.table.itertuples(index=False):
        r = row._asdict()
        cells = []
        for c in cols:
            if c in ("region", "n", "missing", "weighted_n"):
                cells.append(str(r[c]))
            elif is_missing(r[c]):
                gaps = True
                cells.append(cell(None))
            else:
                cells.append(format_number(r[c], None, decimals))
        table.add_row(*cells)
    console.print(table)
    print_key(console, [None] if gaps else [])
    for line in result.notes():
        console.print(line, markup=False)


def compare_command(
    la: Annotated[
        str, typer.Argument(help="Authority (name, ONS or DfE code), or 'all'.")
    ],
    measures: Annotated[
        str | None,
        typer.Option(
            "--measures",
            "-m",
            help="Comma-separated measures (default: the "
            "headline indicators, each in its breakdown; lacompare measures lists "
            "them).",
        ),
    ] = None,
    db: DbOption = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="Period to compare (default: each measure's latest)."
        ),
    ] = None,
    neighbour_set: Annotated[
        str | None,
        typer.Option("--neighbour-set", help="Neighbour set id (default: the latest)."),
    ] = None,
    against: Annotated[
        str,
        typer.Option("--against", help="Comma list of neighbours, region, england."),
    ] = "neighbours,region,england",
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Leave an authority out of the distribution; repeat for more.",
        ),
    ] = None,
    breakdown: Annotated[
        str,
        typer.Option("--breakdown", help="The measures' breakdown (default: totals)."),
    ] = "",
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """An authority against its neighbours, region and England.

    Per measure: value, neighbours' mean and median, region and England values,
    rank among all authorities (1 = best; for a neutral measure 1 = highest),
    quartile band (A: best quarter … D: worst; a neutral measure's bands say
    highest … lowest quarter, never best or worst), z-score and a significance
    flag naming its test. Rates derived with 'lacompare derive rate' are tested
    with funnel limits around England's rate; other measures by |z| against all
    authorities.

    Example: [bold]lacompare compare Leicester --db national.duckdb[/] (the
    headline indicators) · [bold]lacompare compare Barnet --measures
    gdhi_per_head,claimant_rate --db national.duckdb --format csv[/]
    """
    from lacompare.analysis import compare as run_compare
    from lacompare.store import open_store

    fmt = _check_format(fmt)
    wanted = [a.strip() for a in against.split(",") if a.strip()]
    with open_store(db, read_only=True) as store:
        if measures is None and not breakdown:
            # No measures named: the headline indicators, each in its own
            # breakdown (the web app's profile set).
            from lacompare.analysis import compare_headline

            result = compare_headline(
                store,
                la,
                against=wanted,
                period=period,
                neighbour_set=neighbour_set,
                exclude=exclude,
            )
        else:
            result = run_compare(
                store,
                la,
                measures,
                against=wanted,
                period=period,
                neighbour_set=neighbour_set,
                breakdown=breakdown,
                exclude=exclude,
            )
    if fmt != "table":
        _emit_csv(result.table, out, fmt)
        err = _console(stderr=True)
        for line in result.notes():
            err.print(line, markup=False)
        return
    print_comparison(result, la)
    if out is not None:
        _emit_csv(result.table, out)
        _console().print(f"wrote {out}", markup=False)


def print_comparison(result: Any, la: str) -> None:
    """The comparison on the terminal: one row per authority × measure, missing
    values as the publisher's symbols with their key, then the notes and tests."""
    from rich.table import Table

    from lacompare.catalogue import band_text, indicator_decimals
    from lacompare.formatting import format_number

    console = wide_console(_console())
    t = result.table
    several = t["la_code"].nunique() > 1
    table = Table(
        title=f"{la} compared"
        + (f" (neighbours: {result.neighbour_set})" if result.neighbour_set else "")
    )
    heads = (["authority"] if several else []) + [
        "measure",
        "period",
        "value",
        "neighbours",
        "region",
        "England",
        "rank",
        "band",
        "z",
        "flag",
    ]
    for h in heads:
        table.add_column(
            h, justify="left" if h in ("authority", "measure", "flag") else "right"
        )
    shown = []
    for r in t.itertuples(index=False):
        key = f"{r.measure}[{r.breakdown}]" if r.breakdown else r.measure
        # The catalogue's decimals where it knows the measure (IDACI 3 dp), never
        # fewer than the published figures in the row hold (England's 40.6 is not
        # 41 because Leeds' figure is whole); computed means do not count.
        rows = t.loc[t["measure"] == r.measure]
        dec = indicator_decimals(
            key, [*rows["value"], *rows["region_value"], *rows["england_value"]]
        )
        dec = 1 if dec is None else dec
        flag = _text(r.flag)
        if flag and flag != "within":
            flag = f"{flag} ({_text(r.flag_level)})"
        rank = f"{r.rank}/{r.rank_of}" if _text(r.rank) else ""
        figures = [r.value, r.neighbours_mean, r.region_value, r.england_value]
        reasons = [r.missing_reason, None, None, None]
        shown += [why for v, why in zip(figures, reasons, strict=True) if v != v]
        cells = ([_text(r.la_name) or r.la_code] if several else []) + [
            _measure_text(key, _text(r.label), _text(r.unit)),
            _text(r.period),
            *[cell(v, why, dec) for v, why in zip(figures, reasons, strict=True)],
            rank,
            band_text(_text(r.quartile) or None, _text(r.polarity)),
            format_number(r.z, None, 2),
            flag,
        ]
        table.add_row(*[str(c) for c in cells])
    console.print(table)
    print_key(console, shown)
    for line in result.notes():
        console.print(line, markup=False)
    tests = sorted({x.split(" against ")[0] for x in t["test"].dropna()})
    for test in tests:
        console.print(f"test: {test}", markup=False)


def _measure_text(key: str, label: str, unit: str) -> str:
    """A measure as a table people read names it: the catalogue indicator's label
    and unit; outside the catalogue the store key (what -m takes)."""
    from lacompare.catalogue import indicator_for_key, label_with_unit

    if indicator_for_key(key) is None or not label:
        return key
    return label_with_unit(label, unit)


def _text(value: Any) -> str:
    """Result columns may hold None, NaN or pandas' NA for "no value"."""
    import pandas as pd

    return "" if value is None or pd.isna(value) else str(value)


def rate(
    count: Annotated[str, typer.Option("--count", help="Count measure.")],
    population: Annotated[
        str,
        typer.Option(
            "--population",
            help="Population measure, or an age band (0-17, 0-25, 2-18).",
        ),
    ],
    name: Annotated[str | None, typer.Option("--name", help="New measure.")] = None,
    per: Annotated[float, typer.Option("--per", help="Rate per this many.")] = 10_000,
    breakdown: Annotated[
        str | None,
        typer.Option(
            "--breakdown",
            help="Only this breakdown of the count (or part of it, e.g. '31 March').",
        ),
    ] = None,
    population_breakdown: Annotated[
        str,
        typer.Option(
            "--population-breakdown",
            help="The population's breakdown (default: its total).",
        ),
    ] = "",
    match: Annotated[
        str,
        typer.Option(
            "--match",
            help="reference-date (31 March count ↔ previous mid-year "
            "population) or same-period.",
        ),
    ] = "reference-date",
    db: DbOption = None,
) -> None:
    """A rate per 10,000 (or --per) from a count and a population.

    Periods are matched by reference date: a count at 31 March 2024 meets the
    mid-2023 population, as DfE's published rates do.

    Example: [bold]lacompare derive rate --count children_count --population
    population_0_17 --per 10000 --name cla_rate --db national.duckdb[/]
    """
    from lacompare.derive import derive_rate
    from lacompare.store import open_store

    with open_store(db) as store:
        result = derive_rate(
            store,
            count,
            population,
            per=per,
            name=name,
            breakdown=breakdown,
            population_breakdown=population_breakdown,
            match=match,
        )
    _report(result, store.path)


def per_head(
    amount: Annotated[
        str, typer.Option("--amount", help="Amount measure (£ or £ thousand).")
    ],
    population: Annotated[
        str, typer.Option("--population", help="Population measure or age band.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="New measure.")] = None,
    match: Annotated[
        str, typer.Option("--match", help="reference-date or same-period.")
    ] = "reference-date",
    db: DbOption = None,
) -> None:
    """An amount per head of a population (£ thousand made £ first).

    Example: [bold]lacompare derive per-head --amount ro3_csc_total_expenditure
    --population population_age_0_25 --name spend_per_head --db national.duckdb[/]
    """
    from lacompare.derive import derive_per_head
    from lacompare.store import open_store

    with open_store(db) as store:
        result = derive_per_head(store, amount, population, name=name, match=match)
    _report(result, store.path)


def ratio(
    numerator: Annotated[str, typer.Option("--numerator", help="Measure on top.")],
    denominator: Annotated[str, typer.Option("--denominator", help="Measure below.")],
    name: Annotated[str | None, typer.Option("--name", help="New measure.")] = None,
    scale: Annotated[float, typer.Option("--scale", help="Multiply by.")] = 1.0,
    polarity: Annotated[
        str | None,
        typer.Option(
            "--polarity", help="higher-is-better, higher-is-worse or neutral."
        ),
    ] = None,
    match: Annotated[
        str, typer.Option("--match", help="reference-date or same-period.")
    ] = "reference-date",
    db: DbOption = None,
) -> None:
    """A ratio such as population per FTE staff member.

    Example: [bold]lacompare derive ratio --numerator population_age_0_25
    --denominator inpost_fte --name pop_per_fte --polarity higher-is-worse --db
    national.duckdb[/]
    """
    from lacompare.derive import derive_ratio
    from lacompare.store import open_store

    with open_store(db) as store:
        result = derive_ratio(
            store,
            numerator,
            denominator,
            scale=scale,
            name=name,
            polarity=polarity,
            match=match,
        )
    _report(result, store.path)


def change(
    measure: Annotated[str, typer.Argument(help="Measure.")],
    how: Annotated[
        str, typer.Option("--how", help="difference or percent.")
    ] = "difference",
    name: Annotated[str | None, typer.Option("--name", help="New measure.")] = None,
    breakdown: Annotated[
        str | None, typer.Option("--breakdown", help="Only this breakdown.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Year-on-year difference or % change ('-' where the base is 0).

    Example: [bold]lacompare derive change turnover_rate_fte --how percent --db
    national.duckdb[/]
    """
    from lacompare.derive import derive_change
    from lacompare.store import open_store

    with open_store(db) as store:
        result = derive_change(store, measure, how=how, name=name, breakdown=breakdown)
    _report(result, store.path)


def window(
    measure: Annotated[str, typer.Argument(help="Measure.")],
    periods: Annotated[
        str, typer.Option("--periods", help="FIRST:LAST, e.g. 2013:2017.")
    ],
    how: Annotated[
        str,
        typer.Option(
            "--how",
            help="change (mean year-on-year change), mean, latest, slope or cagr.",
        ),
    ] = "change",
    name: Annotated[str | None, typer.Option("--name", help="New measure.")] = None,
    breakdown: Annotated[
        str,
        typer.Option(
            "--breakdown", help="The measure's breakdown (default: its total)."
        ),
    ] = "",
    db: DbOption = None,
) -> None:
    """One figure per authority over a window: average change, slope, CAGR, ...

    Example: [bold]lacompare derive window cin_rate_per_10000 --periods 2013:2017
    --how change --db national.duckdb[/]
    """
    from lacompare.derive import derive_window
    from lacompare.store import open_store

    with open_store(db) as store:
        result = derive_window(
            store, measure, periods, how=how, name=name, breakdown=breakdown
        )
    _report(result, store.path)


def register(app: typer.Typer) -> None:
    """Add ``summary``, ``compare`` and the ``derive`` group to the app."""
    app.command("summary")(friendly(summary))
    app.command("compare")(friendly(compare_command))
    derive_app = typer.Typer(
        name="derive",
        no_args_is_help=True,
        rich_markup_mode="rich",
        help="Derive new measures (rates, per head, ratios, change, trends) and store "
        "them with their inputs recorded.\n\nExample: [bold]lacompare derive rate "
        "--count children_count --population population_0_17 --per 10000 --name "
        "cla_rate --db national.duckdb[/]",
    )
    app.add_typer(derive_app, name="derive")
    for name, command in (
        ("rate", rate),
        ("per-head", per_head),
        ("ratio", ratio),
        ("change", change),
        ("window", window),
    ):
        derive_app.command(name)(friendly(command))
