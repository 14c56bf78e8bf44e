"""Derived measures: rates, per-head figures, ratios, change and trends.

Every function reads its inputs from the store and writes the result back as a new
measure (see :mod:`lacompare.derive._store` for how provenance is kept: a
``sources`` row ``derived:<recipe>`` holding the recipe, each value's inputs in
its ``source_column`` and, in full, in the ``derived_inputs`` table).

Rules that hold for all of them:

* **Periods are matched by reference date.** A count at 31 March 2024 is divided by
  the latest population on or before that day (mid-2023), as DfE's published rates
  are; a population more than a year older is no match (``input-absent``).
* **A missing input gives a missing result with the reason carried**:
  ``input-suppressed``, ``input-not-available``, ``input-absent`` (no value for
  that authority and period), ``base-zero`` (a division by 0 or a % change from 0,
  printed ``-``). A missing value is never 0.
* **Money is put on one scale**: £ thousand (RO, S251) and £ million become £.
* **Where several loads hold the same value, the latest load is used**, and the
  result's ``issues`` say so.

Examples
--------
>>> from lacompare.store import open_store
>>> s = open_store(":memory:")
>>> _ = s.con.execute("INSERT INTO measures (measure, reference_date) VALUES "
...     "('cla', '31 March'), ('pop', 'mid-year')")
>>> _ = s.write_cells([
...     {"la_code": "E06000001", "measure": "cla", "period": "2024", "value": 200},
...     {"la_code": "E06000001", "measure": "pop", "period": "2023", "value": 20000},
...     {"la_code": "E06000002", "measure": "cla", "period": "2024",
...      "missing_reason": "suppressed"},
...     {"la_code": "E06000002", "measure": "pop", "period": "2023", "value": 30000},
... ], file="x")
>>> d = derive_rate(s, "cla", "pop", name="cla_rate")
>>> d.values[["la_code", "value", "missing_reason"]].values.tolist()
[['E06000001', 100.0, None], ['E06000002', nan, 'input-suppressed']]
>>> d.values["inputs"].iloc[0]
'cla[2024] / pop[2023]'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lacompare._lazy import lazy_exports
from lacompare.derive._change import CHANGES, derive_change
from lacompare.derive._dates import reference_day, select_periods
from lacompare.derive._pairs import (
    MATCHES,
    MAX_LAG_DAYS,
    derive_pair,
    population_measure,
)
from lacompare.derive._store import INPUTS_TABLE, Derived, registered
from lacompare.derive._units import unit_scale
from lacompare.derive._window import WINDOW_STATS, derive_window, window_values

if TYPE_CHECKING:
    from lacompare.store import Store

# Boundary-change, district and rate-agreement steps: imported on first use.
_LAZY = {
    "derive_harmonised": "lacompare.derive._harmonise",
    "harmonise_measures": "lacompare.derive._harmonise",
    "derive_upper_tier": "lacompare.derive._aggregate",
    "summarise_rate_agreement": "lacompare.derive._agreement",
    # The one ranking and banding rule (numpy only).
    "BANDS": "lacompare.derive._rank",
    "rank_with_polarity": "lacompare.derive._rank",
    "quartile_band": "lacompare.derive._rank",
    # Used by later stages.
    "DERIVED_PREFIX": "lacompare.derive._store",
    "Harmonised": "lacompare.derive._harmonise",
    "RateAgreement": "lacompare.derive._agreement",
    "breakdowns_of": "lacompare.derive._store",
    "choose": "lacompare.derive._store",
    "current_sql": "lacompare.derive._store",
    "has_table": "lacompare.derive._store",
    "is_additive": "lacompare.derive._aggregate",
    "measure_info": "lacompare.derive._store",
    "recipe_of": "lacompare.derive._store",
    "resolve_breakdown": "lacompare.derive._store",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "registered",
    "BANDS",
    "CHANGES",
    "Derived",
    "INPUTS_TABLE",
    "MATCHES",
    "WINDOW_STATS",
    "derive_change",
    "derive_harmonised",
    "derive_per_head",
    "derive_rate",
    "derive_ratio",
    "derive_upper_tier",
    "derive_window",
    "harmonise_measures",
    "population_measure",
    "printed",
    "quartile_band",
    "rank_with_polarity",
    "reference_day",
    "select_periods",
    "summarise_rate_agreement",
    "unit_scale",
    "window_values",
    "DERIVED_PREFIX",
    "Harmonised",
    "RateAgreement",
    "breakdowns_of",
    "choose",
    "current_sql",
    "has_table",
    "is_additive",
    "measure_info",
    "recipe_of",
    "resolve_breakdown",
]


def derive_rate(
    store: Store,
    count: str,
    population: str,
    *,
    per: float = 10_000,
    name: str | None = None,
    breakdown: str | None = None,
    population_breakdown: str | None = "",
    match: str = "reference-date",
    max_lag_days: int = MAX_LAG_DAYS,
    reference_dates: Mapping[str, str] | None = None,
    label: str | None = None,
    polarity: str | None = None,
) -> Derived:
    """A rate per ``per`` of a population, stored as a new measure.

    Parameters
    ----------
    store
        An open, writable store.
    count
        The count measure (e.g. children looked after at 31 March).
    population
        The population measure, or an age band (``'0-17'``, ``'0-25'``,
        ``'2-18'``) naming the one population measure of that band.
    per
        Rate per this many people (10,000 for DfE's children's rates).
    name
        The new measure (default ``<count>_per_<per>``).
    breakdown
        Only this breakdown of the count (exact, or a unique part of it such as
        ``'31 March'``); ``None`` derives every breakdown.
    population_breakdown
        The population's breakdown ('' = its total, the default); ``None`` matches
        each count breakdown to the same population breakdown.
    match
        ``reference-date`` (default): the latest population on or before each
        count's reference day, no more than ``max_lag_days`` older, so 31 March
        2024 meets mid-2023; ``same-period``: equal period labels.
    max_lag_days
        See ``match``.
    reference_dates
        Override measures' reference dates, e.g. ``{"pop": "mid-year"}``.
    label, polarity
        For the new measure (default: built from the inputs; the count's polarity).

    Returns
    -------
    Derived
        The stored values (one per count value) with their missing reasons.

    Examples
    --------
    See the module example.
    """
    return derive_pair(
        store,
        count,
        population,
        recipe="rate",
        scale=float(per),
        name=name or f"{count}_per_{per:g}",
        unit=None,
        label=label,
        polarity=polarity,
        breakdown=breakdown,
        denominator_breakdown=population_breakdown,
        match=match,
        max_lag_days=max_lag_days,
        reference_dates=reference_dates,
    )


def derive_per_head(
    store: Store,
    amount: str,
    population: str,
    *,
    name: str | None = None,
    breakdown: str | None = None,
    population_breakdown: str | None = "",
    match: str = "reference-date",
    max_lag_days: int = MAX_LAG_DAYS,
    reference_dates: Mapping[str, str] | None = None,
    label: str | None = None,
    polarity: str | None = None,
) -> Derived:
    """An amount per head of a population (£ thousand is made £ first).

    Parameters are those of :func:`derive_rate` (with ``per = 1``).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO measures (measure, unit, reference_date) "
    ...     "VALUES ('spend', '£ thousand', 'financial year'), "
    ...     "('pop_0_25', 'persons', 'mid-year')")
    >>> _ = s.write_cells([
    ...     {"la_code": "E06000001", "measure": "spend", "period": "2023-24",
    ...      "value": 5000},
    ...     {"la_code": "E06000001", "measure": "pop_0_25", "period": "2023",
    ...      "value": 40000},
    ... ], file="x")
    >>> d = derive_per_head(s, "spend", "0-25")
    >>> d.values["value"].tolist(), s.con.execute(
    ...     "SELECT unit FROM measures WHERE measure = ?", [d.measure]).fetchall()
    ([125.0], [('£ per head',)])
    """
    return derive_pair(
        store,
        amount,
        population,
        recipe="per-head",
        scale=1.0,
        name=name or f"{amount}_per_head",
        unit=None,
        label=label,
        polarity=polarity,
        breakdown=breakdown,
        denominator_breakdown=population_breakdown,
        match=match,
        max_lag_days=max_lag_days,
        reference_dates=reference_dates,
    )


def derive_ratio(
    store: Store,
    numerator: str,
    denominator: str,
    *,
    scale: float = 1.0,
    name: str | None = None,
    unit: str | None = None,
    breakdown: str | None = None,
    denominator_breakdown: str | None = "",
    match: str = "reference-date",
    max_lag_days: int = MAX_LAG_DAYS,
    reference_dates: Mapping[str, str] | None = None,
    label: str | None = None,
    polarity: str | None = None,
) -> Derived:
    """A ratio of two measures, such as population per FTE staff member.

    ``numerator / denominator × scale``; a zero denominator gives ``base-zero``.
    The polarity is neutral unless given (a ratio's direction depends on which
    way round it is).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([
    ...     {"la_code": la, "measure": m, "period": "2021", "value": v}
    ...     for la, m, v in [("E06000001", "pop", 90000), ("E06000001", "fte", 0),
    ...                      ("E06000002", "pop", 5000), ("E06000002", "fte", 2)]
    ... ], file="x", units={"pop": "persons", "fte": "FTE"})
    >>> d = derive_ratio(s, "pop", "fte", name="pop_per_fte",
    ...                  polarity="higher-is-worse")
    >>> d.values[["value", "missing_reason"]].values.tolist()
    [[nan, 'base-zero'], [2500.0, None]]
    """
    return derive_pair(
        store,
        numerator,
        denominator,
        recipe="ratio",
        scale=float(scale),
        name=name or f"{numerator}_per_{denominator}",
        unit=unit,
        label=label,
        polarity=polarity,
        breakdown=breakdown,
        denominator_breakdown=denominator_breakdown,
        match=match,
        max_lag_days=max_lag_days,
        reference_dates=reference_dates,
    )


def printed(
    value: float | None, missing_reason: str | None = None, decimals: int = 1
) -> str:
    """A value as a table prints it: the number, or the symbol for why it is
    missing (:func:`lacompare.formatting.format_missing`, the one rule).

    Examples
    --------
    >>> printed(12.345), printed(None, "base-zero"), printed(None, "input-suppressed")
    ('12.3', '[z]', '[c]')
    >>> printed(None, "input-absent")
    '–'
    """
    from lacompare.formatting import format_missing, format_number

    if value is not None and value == value:
        return format_number(value, None, decimals)
    return format_missing(missing_reason)
