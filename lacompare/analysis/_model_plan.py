"""Which measure, period and breakdown each model variable reads: the plan.

A model's variables are written ``measure``, ``measure@period`` or
``measure[breakdown]@period`` (see :mod:`lacompare.analysis._variables`).
:func:`plan_variables` resolves each to a measure of the store, the period(s) it
reads (its own, the model's default, its latest, or one per panel year) and the
breakdown, in named steps: match the measures, read what the store holds of
them, choose the periods, choose the breakdowns, name the variables.

Examples
--------
>>> parse_years("2016:2018"), cov_type(None), cov_type("hc1")
([2016, 2017, 2018], 'nonrobust', 'HC1')
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lacompare.analysis._variables import parse_variable
from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store

#: Covariance types accepted for ``robust`` (statsmodels ``cov_type``);
#: ``nonrobust`` is the classical OLS covariance.
ROBUST_TYPES = ("HC0", "HC1", "HC2", "HC3", "nonrobust")

#: One resolved variable: role, spec as written, measure, breakdown, own period.
Resolved = tuple[str, str, str, str | None, str | None]


def cov_type(robust: str | None) -> str:
    """The statsmodels covariance type ``robust`` names (None: ``nonrobust``)."""
    cov = "nonrobust" if robust in (None, "", "none") else str(robust)
    if cov.upper() in ROBUST_TYPES:
        cov = cov.upper()
    if cov not in ROBUST_TYPES:
        raise InputError(
            f"robust must be one of {', '.join(ROBUST_TYPES)}; got {robust!r}"
        )
    return cov


def _period_key(period: str) -> tuple[dt.date, str]:
    from lacompare.cells import period_as_of

    return (period_as_of(period) or dt.date.min, period)


def year_of(period: str) -> int:
    """The calendar year of the date a period ends on (an error if none)."""
    from lacompare.cells import period_as_of

    day = period_as_of(str(period).strip())
    if day is None:
        raise InputError(
            f"cannot read {period!r} as a year or period (e.g. 2016, 2016-17)"
        )
    return day.year


def year_of_or_none(period: str) -> int | None:
    """:func:`year_of`, or None for a period that reads as no year."""
    try:
        return year_of(period)
    except InputError:
        return None


def parse_years(periods: str | Sequence[int | str]) -> list[int]:
    """The panel years a ``--periods`` text names.

    A year is the calendar year of the date a period ends on (its 31 March, or the
    date itself): ``2016`` and ``2015-16`` are both 2016. Accepts ``2016:2024``
    (inclusive), ``2016,2018,2020``, a single period, or a list.

    Examples
    --------
    >>> parse_years("2016:2019"), parse_years("2015-16:2017-18")
    ([2016, 2017, 2018, 2019], [2016, 2017, 2018])
    >>> parse_years([2020, "2022"])
    [2020, 2022]
    """
    if isinstance(periods, str):
        text = periods.strip()
        if ":" in text:
            start, _, end = text.partition(":")
            first, last = year_of(start), year_of(end)
            if first > last:
                raise InputError(
                    f"periods {periods!r}: the first year is after the last"
                )
            return list(range(first, last + 1))
        parts: Sequence[int | str] = [p for p in text.split(",") if p.strip()]
    else:
        parts = periods
    years = sorted({year_of(str(p)) for p in parts})
    if not years:
        raise InputError("no periods given: use e.g. 2016:2024")
    return years


def listing(items: Sequence[str], limit: int = 8) -> str:
    """Items quoted and comma-separated, at most ``limit`` of them."""
    shown = ", ".join(repr(i) for i in list(items)[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")


def variable_names(plan: pd.DataFrame) -> list[str]:
    """The plan's variable names, target first, each once."""
    return list(dict.fromkeys(plan["name"]))


# ------------------------------------------------------------------ reading


def read_stored_measures(store: Store) -> pd.DataFrame:
    """``measure, label, unit`` of every measure with a value or a missing value.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000001", "measure": "m",
    ...                         "period": "2024", "value": 1.0}], file="t.csv")
    ...     read_stored_measures(s).values.tolist()
    [['m', None, None]]
    """
    return (
        store.values_relation(columns=["measure"])
        .query(
            "o",
            """SELECT DISTINCT o.measure, m.label, m.unit
           FROM (SELECT DISTINCT measure FROM o) o
           LEFT JOIN measures m USING (measure)""",
        )
        .df()
    )


def _read_catalogue(store: Store, measures: list[str]) -> pd.DataFrame:
    """``measure, period, breakdown, n_values`` of the measures' values."""
    rel = store.values_relation(
        measures=measures, columns=["measure", "period", "breakdown", "value"]
    )
    return rel.query(
        "o",
        """SELECT measure, period, breakdown, count(value) AS n_values
           FROM o GROUP BY ALL""",
    ).df()


# ------------------------------------------------------------------ matching


def _match_measures(
    known: pd.DataFrame,
    parsed: list[tuple[str, str, str, str | None, str | None]],
    years: list[int] | None,
) -> list[Resolved]:
    """Each variable's measure: its id, else a label (any case); else an error
    naming the nearest ids."""
    ids = set(known["measure"])
    by_label = {
        lb.casefold(): m
        for m, lb in zip(known["measure"], known["label"], strict=True)
        if isinstance(lb, str)
    }
    resolved: list[Resolved] = []
    for role, spec, name, breakdown, own_period in parsed:
        if name in ids:
            measure = name
        elif name.casefold() in by_label:
            measure = by_label[name.casefold()]
        else:
            near = difflib.get_close_matches(name, sorted(ids), n=3, cutoff=0.5)
            hint = f" (nearest: {', '.join(near)})" if near else ""
            raise InputError(f"no measure {name!r} in the store{hint}")
        if years is not None and own_period:
            raise InputError(
                f"{spec!r}: a panel takes its periods from --periods, not from @period"
            )
        resolved.append((role, spec, measure, breakdown, own_period))
    return resolved


def _check_not_category(meta: pd.DataFrame, measures: list[str]) -> None:
    if "category" in set(meta.loc[measures, "unit"].dropna()):
        bad = [m for m in measures if meta.loc[m, "unit"] == "category"]
        raise InputError(
            f"{', '.join(bad)}: a category (text) measure cannot be a model variable"
        )


# ------------------------------------------------------------------ choosing


def _rows_with_values(
    cat: pd.DataFrame, spec: str, measure: str, breakdown: str | None
) -> pd.DataFrame:
    """The catalogue rows of a measure with values (of its breakdown, if given)."""
    rows = cat[(cat["measure"] == measure) & (cat["n_values"] > 0)]
    if breakdown is not None:
        rows = rows[rows["breakdown"] == breakdown]
        if rows.empty:
            have = sorted(cat.loc[cat["measure"] == measure, "breakdown"].unique())
            raise InputError(
                f"{spec!r}: no values with breakdown {breakdown!r}; "
                f"breakdowns: {listing(have)}"
            )
    return rows


def _panel_periods(
    spec: str, available: list[str], years: list[int]
) -> list[tuple[str, int, str]]:
    """One period a panel year, each in the year its date ends in."""
    periods = [p for p in available if year_of_or_none(p) in years]
    if not periods:
        raise InputError(
            f"{spec!r}: no periods in years {years[0]}-{years[-1]}"
            f"; periods: {listing(available)}"
        )
    by_year: dict[int, str] = {}
    for p in periods:
        y = year_of(p)
        if y in by_year:
            raise InputError(
                f"{spec!r}: periods {by_year[y]!r} and {p!r} both fall in {y}; load one"
            )
        by_year[y] = p
    return [(p, year_of(p), "panel") for p in periods]


def _choose_periods(
    spec: str,
    rows: pd.DataFrame,
    own_period: str | None,
    period: str | None,
    years: list[int] | None,
) -> list[tuple[str, int, str]]:
    """``(period, year, rule)`` of each period a variable reads: a panel's years,
    else its own period, the model's default or its latest (``rule`` says which)."""
    available = sorted(rows["period"].unique(), key=_period_key)
    if not available:
        raise InputError(f"{spec!r}: the measure has no values")
    if years is not None:
        return _panel_periods(spec, available, years)
    if own_period:
        want, rule = own_period, "given"
    elif period is not None:
        want, rule = period, "default"
    else:
        want, rule = available[-1], "latest"
    if want not in available:
        raise InputError(
            f"{spec!r}: no values for period {want!r}; periods: {listing(available)}"
        )
    return [(want, 0, rule)]


def _choose_breakdown(
    store: Store,
    spec: str,
    measure: str,
    period: str,
    given: str | None,
    rows: pd.DataFrame,
) -> tuple[str, bool]:
    """The breakdown to read, or ("", True) for each authority's only row."""
    if given is not None:
        return given, False
    have = sorted(rows["breakdown"].unique())
    if "" in have:
        return "", False
    if len(have) == 1:
        return have[0], False
    # Some tables repeat the authority's name in a text column that ingest reads
    # as a breakdown; with one breakdown per authority there is nothing to choose.
    rel = store.values_relation(
        measures=measure,
        periods=period,
        present_only=True,
        columns=["la_code", "breakdown"],
    )
    most = rel.query(
        "o",
        """SELECT max(nb) FROM (SELECT count(DISTINCT breakdown) AS nb
           FROM o GROUP BY la_code)""",
    ).fetchall()[0]
    if most and most[0] == 1:
        return "", True
    raise InputError(
        f"{spec!r}: {measure} {period} has breakdowns "
        f"{listing(have, 5)}; choose one as "
        f"{measure}[breakdown]@{period}"
    )


# ------------------------------------------------------------------ naming


def _name_variables(plan: pd.DataFrame, logged: set[str], panel: bool) -> None:
    """Check the logs name variables and give each variable its name, in place:
    the measure id, with its period when one measure appears twice
    (spend@2023-24 against spend@2024-25)."""
    unknown_logs = logged - set(plan["measure"]) - set(plan["spec"])
    if unknown_logs:
        raise InputError(
            f"log: {', '.join(sorted(unknown_logs))} is not a variable of the model"
        )
    specs_of = plan.drop_duplicates("spec")
    dup = specs_of["measure"].duplicated(keep=False)
    if dup.any() and panel:
        raise InputError("a panel cannot use one measure twice")
    names = np.where(
        dup, specs_of["measure"] + "@" + specs_of["period"], specs_of["measure"]
    )
    plan["name"] = plan["spec"].map(dict(zip(specs_of["spec"], names, strict=True)))
    if plan.drop_duplicates("spec")["name"].duplicated().any():
        raise InputError("a variable is named twice")


def plan_variables(
    store: Store,
    specs: list[tuple[str, str]],
    *,
    period: str | None,
    years: list[int] | None,
    log: Sequence[str],
) -> pd.DataFrame:
    """Resolve each variable to a measure, period(s) and breakdown.

    Parameters
    ----------
    store
        An open store.
    specs
        ``(role, variable as written)`` pairs, the target first.
    period
        The period of variables that name none (None: each one's latest).
    years
        The panel years (None: a cross-section).
    log
        Variables (measure ids or as written) to take the log of.

    Returns
    -------
    pandas.DataFrame
        One row per variable and period: ``role, spec, measure, label, period,
        year, period_rule, breakdown, any_breakdown, transform, name``.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([{"la_code": "E06000001", "measure": m, "period": p,
    ...                     "value": 1.0} for m in ("a", "b")
    ...                    for p in ("2023", "2024")], file="t.csv")
    >>> plan = plan_variables(s, [("target", "a"), ("factor", "b@2023")],
    ...                       period=None, years=None, log=["b"])
    >>> plan[["name", "period", "period_rule", "transform"]].values.tolist()
    [['a', '2024', 'latest', ''], ['b', '2023', 'given', 'log']]
    """
    parsed = [(role, spec, *parse_variable(spec)) for role, spec in specs]
    known = read_stored_measures(store)
    resolved = _match_measures(known, parsed, years)
    measures = sorted({r[2] for r in resolved})
    cat = _read_catalogue(store, measures)
    meta = known.set_index("measure")
    _check_not_category(meta, measures)
    rows = []
    logged = set(log)
    for role, spec, measure, breakdown, own_period in resolved:
        rows_m = _rows_with_values(cat, spec, measure, breakdown)
        for p, year, rule in _choose_periods(spec, rows_m, own_period, period, years):
            bd, any_bd = _choose_breakdown(
                store, spec, measure, p, breakdown, rows_m[rows_m["period"] == p]
            )
            label = meta.loc[measure, "label"]
            rows.append(
                {
                    "role": role,
                    "spec": spec,
                    "measure": measure,
                    "label": label if isinstance(label, str) else None,
                    "period": p,
                    "year": year,
                    "period_rule": rule,
                    "breakdown": bd,
                    "any_breakdown": any_bd,
                    "transform": "log" if (measure in logged or spec in logged) else "",
                }
            )
    plan = pd.DataFrame(rows)
    _name_variables(plan, logged, panel=years is not None)
    return plan
