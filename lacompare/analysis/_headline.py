"""The headline indicators an authority is compared on when none are named.

The indicator catalogue marks its headline indicators (CLA, CIN and CP rates,
workforce, spend per child, IDACI …), each with its store measures in order of
preference. ``lacompare compare LA`` with no ``-m`` and the web app's profile show
the same set: for each headline slot, the first store key with values. Each key
carries its own breakdown (``rate_per_10000[population_type=…]``), so the
comparison runs once per breakdown and the rows are put back in catalogue order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.analysis._compare import Comparison
    from lacompare.store import Store


def headline_specs(store: Store) -> list[tuple[str, str]]:
    """``(measure, breakdown)`` of each headline slot the store can fill, in order.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> headline_specs(open_store(":memory:"))
    []
    """
    return [(m, b) for m, b, _ in headline_indicators(store)]


def headline_indicators(store: Store) -> list[tuple[str, str, str]]:
    """``(measure, breakdown, label)``: :func:`headline_specs` with each
    indicator's catalogue label (what a report calls it)."""
    from lacompare.catalogue import read_catalogue

    held = store.values_relation(present_only=True, columns=["measure", "breakdown"])
    present = set(held.distinct().fetchall())
    chosen: dict[str, tuple[str, str, str]] = {}
    for ind in read_catalogue():
        if not ind.headline or ind.slot in chosen:
            continue
        for source in ind.sources:
            # A store key is measure or measure[breakdown] (the catalogue's form).
            measure, _, rest = source.key.partition("[")
            breakdown = rest[:-1] if rest.endswith("]") else ""
            if (measure, breakdown) in present:
                chosen[ind.slot] = (measure, breakdown, ind.label)
                break
    return list(chosen.values())


def compare_headline(
    store: Store, la: str | Sequence[str] | None, **options: Any
) -> Comparison:
    """:func:`~lacompare.analysis.compare` on the headline indicators.

    Parameters
    ----------
    store
        An open store.
    la
        As for :func:`~lacompare.analysis.compare`.
    **options
        Passed on (``period``, ``neighbour_set``, ``exclude``, ``against`` …), except
        ``breakdown``, which each headline key brings.

    Returns
    -------
    Comparison
        One table for every headline indicator the store has, in catalogue order;
        a ``breakdown`` column says which breakdown each row compares.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> compare_headline(open_store(":memory:"), "Leeds")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: the store has none of the headline indicators ...
    """
    specs = headline_specs(store)
    if not specs:
        raise InputError(
            "the store has none of the headline indicators (lacompare "
            "measures lists them); name measures with -m"
        )
    return compare_keys(store, la, specs, **options)


def resolve_named(
    store: Store, measures: str | Sequence[str] | None, breakdown: str
) -> tuple[str | Sequence[str] | None, list[tuple[str, str]] | None]:
    """Measures as a user names them, as store keys: a store measure is itself
    (under ``breakdown``); a catalogue indicator id (``lacompare measures`` lists
    them) that is not a store measure is its preferred source with values, in that
    source's own breakdown.

    Returns ``(measures, None)`` when every name keeps ``breakdown`` (the ids
    replaced by their store measures: one comparison as before), else ``(None,
    specs)``: the ``(measure, breakdown)`` of each, for :func:`compare_keys`.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([{"la_code": "E06000001", "measure": "CIN",
    ...     "period": "2025", "value": 300.0}], file="x")
    >>> resolve_named(s, "cin_rate_per_10000,x", "")
    (['CIN', 'x'], None)
    >>> resolve_named(s, None, "")
    (None, None)
    """
    from lacompare.analysis._compare_read import parse_measures
    from lacompare.catalogue import read_catalogue, resolve_key

    names = parse_measures(measures)
    ids = {i.id for i in read_catalogue()}
    if not names or not ids.intersection(names):
        return measures, None
    specs = [
        resolve_key(store, n, breakdown) if n in ids else (n, breakdown) for n in names
    ]
    if all(b == breakdown for _, b in specs):
        return [m for m, _ in specs], None
    return None, list(dict.fromkeys(specs))


def compare_keys(
    store: Store,
    la: str | Sequence[str] | None,
    specs: Sequence[tuple[str, str]],
    **options: Any,
) -> Comparison:
    """:func:`~lacompare.analysis.compare` on ``(measure, breakdown)`` pairs: one
    comparison per breakdown, the rows put back in the order of ``specs``."""
    import pandas as pd

    from lacompare.analysis._compare import Comparison, compare

    options.pop("breakdown", None)
    by_breakdown: dict[str, list[str]] = {}
    for measure, breakdown in specs:
        by_breakdown.setdefault(breakdown, []).append(measure)
    parts, first = [], None
    for breakdown, measures in by_breakdown.items():
        result = compare(store, la, measures, breakdown=breakdown, **options)
        first = first or result
        table = result.table.assign(breakdown=breakdown)
        parts.append((result, table))
    order = {spec: i for i, spec in enumerate(specs)}
    table = pd.concat([t for _, t in parts], ignore_index=True)
    table = table.assign(
        _order=[
            order[(m, b)]
            for m, b in zip(table["measure"], table["breakdown"], strict=True)
        ]
    )
    table = (
        table.sort_values(["_order", "la_code"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    excluded = pd.concat(
        [r.excluded for r, _ in parts], ignore_index=True
    ).drop_duplicates()
    merged = Comparison(
        table=table, neighbour_set=first.neighbour_set, excluded=excluded
    )
    for result, _ in parts:
        merged.issues.extend(result.issues)
    return merged
