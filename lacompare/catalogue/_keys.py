"""From what a user types to a store key, and from a store key to what a table shows.

``lacompare measures`` lists indicators by their catalogue id (``cla_rate_per_10000``);
the analysis runs on store keys (``rate_per_10000`` under the breakdown
``population_type=Children looked after on 31 March each year``). :func:`resolve_key`
turns an id into the preferred source the store holds; :func:`display_label` turns a
store key back into the indicator's label and unit for a table people read (CSV and
JSON keep the ids).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lacompare.catalogue._model import Indicator, indicator_for_key, read_catalogue

if TYPE_CHECKING:
    from lacompare.store import Store

#: Units a label does not need repeated after it.
_SILENT_UNITS = ("", "category", "persons")


def label_with_unit(label: str, unit: str | None) -> str:
    """``label (unit)``, unless the label already says the unit.

    Examples
    --------
    >>> label_with_unit("Average caseload per social worker", "cases per FTE")
    'Average caseload per social worker (cases per FTE)'
    >>> label_with_unit("Children looked after per 10,000 children",
    ...                 "per 10,000 children")
    'Children looked after per 10,000 children'
    >>> label_with_unit("Social worker turnover rate (%)", "%")
    'Social worker turnover rate (%)'
    """
    unit = (unit or "").strip()
    if unit in _SILENT_UNITS or unit.lower() in label.lower():
        return label
    return f"{label} ({unit})"


def display_label(key: str, store_label: str | None = None) -> str:
    """What a table people read calls a store key (``measure`` or
    ``measure[breakdown]``): its catalogue indicator's label and unit; outside the
    catalogue the key itself (the id the user typed and can type again).

    Examples
    --------
    >>> display_label("turnover_rate_fte")
    'Social worker turnover rate (%)'
    >>> display_label("rate_per_10000[population_type=Children looked after on "
    ...               "31 March each year]")
    'Children looked after per 10,000 children'
    >>> display_label("gdhi_per_head_x")
    'gdhi_per_head_x'
    """
    ind = indicator_for_key(key)
    if ind is None:
        return key
    return label_with_unit(ind.label, ind.unit)


def catalogue_label(key: str) -> tuple[str, str] | None:
    """``(label, unit)`` of the indicator that reads a store key, if any.

    Examples
    --------
    >>> catalogue_label("caseload_fte")
    ('Average caseload per social worker', 'cases per FTE')
    >>> catalogue_label("nothing") is None
    True
    """
    ind = indicator_for_key(key)
    return None if ind is None else (ind.label, ind.unit)


def held_keys(store: Store, measures: list[str] | None = None) -> set[tuple[str, str]]:
    """``(measure, breakdown)`` pairs with any value in the store."""
    rel = store.values_relation(
        measures=measures, present_only=True, columns=["measure", "breakdown"]
    )
    return {(str(m), str(b or "")) for m, b in rel.distinct().fetchall()}


def preferred_source(store: Store, ind: Indicator) -> tuple[str, str] | None:
    """``(measure, breakdown)`` of the indicator's first source with values in the
    store (the catalogue lists them published first), or None."""
    held = held_keys(store, sorted({s.measure for s in ind.sources}))
    return next(
        (
            (s.measure, s.breakdown)
            for s in ind.sources
            if (s.measure, s.breakdown) in held
        ),
        None,
    )


#: The periods asked for: labels (``["2013", "2014"]`` or ``"2013,2014"``) or a
#: window ``"2012:2017"``: the periods whose day (:func:`lacompare.cells.period_as_of`,
#: 31 March of a year or the end of a financial year) lies between its ends' days.
PeriodsAsked = str | Sequence[str] | None


def _asked(periods: PeriodsAsked, held: list[str]) -> list[str]:
    """The periods of ``held`` (one source's) that ``periods`` asks for."""
    from lacompare.cells import period_as_of

    if isinstance(periods, str) and ":" in periods:
        lo, hi = (period_as_of(p.strip()) for p in periods.split(":", 1))
        if lo is None or hi is None:
            return []
        return [p for p in held if (d := period_as_of(p)) and lo <= d <= hi]
    labels = periods.split(",") if isinstance(periods, str) else list(periods or [])
    wanted = {str(p).strip() for p in labels}
    return [p for p in held if p in wanted]


def source_for_periods(
    store: Store, ind: Indicator, periods: PeriodsAsked
) -> tuple[str, str] | None:
    """``(measure, breakdown)`` of the indicator's source with values in most of
    the periods asked for (the first in catalogue order among equals), or None
    when no source has a value in any of them."""
    best, most = None, 0
    for s in ind.sources:
        held = store.list_periods(s.measure, s.breakdown, present_only=True)
        n = len(_asked(periods, held)) if held else 0
        if n > most:
            best, most = (s.measure, s.breakdown), n
    return best


def source_note(name: str, key: tuple[str, str]) -> str | None:
    """'… read from store measure …' when a catalogue id was read from a source
    other than its first (the one ``lacompare measures`` describes), else None.

    Examples
    --------
    >>> source_note("cla_rate_per_10000", ("rate_per_10000", ""))
    "cla_rate_per_10000: read from store measure 'rate_per_10000' (source 4 of 5)"
    >>> source_note("turnover", ("turnover", "")) is None
    True
    """
    ind = next((i for i in read_catalogue() if i.id == name), None)
    if ind is None or key[0] == name:
        return None
    keys = [(s.measure, s.breakdown) for s in ind.sources]
    if key not in keys or keys.index(key) == 0:
        return None
    where = f"{key[0]!r}" + (f" [{key[1]}]" if key[1] else "")
    return (
        f"{name}: read from store measure {where} "
        f"(source {keys.index(key) + 1} of {len(keys)})"
    )


def resolve_key(
    store: Store, name: str, breakdown: str = "", periods: PeriodsAsked = None
) -> tuple[str, str]:
    """The store key ``(measure, breakdown)`` a name given on the command line means.

    A store measure is itself (with ``breakdown``), so every store id keeps working;
    a catalogue id that is not a store measure is its preferred source with values
    (its own breakdown); anything else comes back unchanged, for the command to
    refuse with its usual suggestions. With ``periods`` (see :data:`PeriodsAsked`),
    a catalogue id is the source with values in most of those periods (the first
    in catalogue order among equals); none: the preferred source as without.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([{"la_code": "E06000001", "measure": "CIN",
    ...     "period": "2025", "value": 300.0}], file="x")
    >>> resolve_key(s, "cin_rate_per_10000")
    ('CIN', '')
    >>> resolve_key(s, "CIN", "age=5"), resolve_key(s, "nope")
    (('CIN', 'age=5'), ('nope', ''))
    >>> resolve_key(s, "cin_rate_per_10000", periods="2010:2012")
    ('CIN', '')
    """
    if store.values_relation(measures=[name], columns=["measure"]).limit(1).fetchall():
        return name, breakdown
    ind = next((i for i in read_catalogue() if i.id == name), None)
    if ind is None:
        return name, breakdown
    found = None if periods is None else source_for_periods(store, ind, periods)
    found = found or preferred_source(store, ind)
    return found if found is not None else (name, breakdown)
