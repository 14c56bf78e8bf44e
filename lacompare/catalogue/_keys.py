"""From what a user types to a store key, and from a store key to what a table shows.

``lacompare measures`` lists indicators by their catalogue id (``cla_rate_per_10000``);
the analysis runs on store keys (``rate_per_10000`` under the breakdown
``population_type=Children looked after on 31 March each year``). :func:`resolve_key`
turns an id into the preferred source the store holds; :func:`display_label` turns a
store key back into the indicator's label and unit for a table people read (CSV and
JSON keep the ids).
"""

from __future__ import annotations

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


def resolve_key(store: Store, name: str, breakdown: str = "") -> tuple[str, str]:
    """The store key ``(measure, breakdown)`` a name given on the command line means.

    A store measure is itself (with ``breakdown``), so every store id keeps working;
    a catalogue id that is not a store measure is its preferred source with values
    (its own breakdown); anything else comes back unchanged, for the command to
    refuse with its usual suggestions.

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
    """
    if store.values_relation(measures=[name], columns=["measure"]).limit(1).fetchall():
        return name, breakdown
    ind = next((i for i in read_catalogue() if i.id == name), None)
    if ind is None:
        return name, breakdown
    found = preferred_source(store, ind)
    return found if found is not None else (name, breakdown)
