"""A published rate judged by funnel limits, its population read from a derived copy.

DfE publishes rates per 10,000 children (children looked after, in need, on plans)
without the population it divided by; :func:`lacompare.analysis.compare` would then
judge them by their z-score among ~150 authorities, an outlier test that almost no
authority fails. ``lacompare build`` derives the same rate from the published count
and ONS's population (``cla_rate_per_10000_derived``), recording both inputs. When
the catalogue lists such a derived copy as a source of the same indicator, the
published figure is judged as a derived one is: against funnel limits around
England's rate for the authority's population (Spiegelhalter 2005), the population
being the derived copy's denominator for the same period. The figure shown and
tested stays the publisher's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lacompare.store import Store


def borrow_rate_recipes(
    store: Store,
    names: list[str],
    breakdown: str,
    recipes: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """For each measure with no recipe of its own, the rate recipe of a derived copy
    of its catalogue indicator, with ``borrowed_from`` naming the copy.

    Parameters
    ----------
    store
        An open store.
    names
        The measures compared.
    breakdown
        Their breakdown.
    recipes
        The recipes the measures have (derived measures); left as they are.

    Returns
    -------
    dict
        Measure → the copy's recipe plus ``borrowed_from`` and
        ``borrowed_breakdown``; only measures that borrow one.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> borrow_rate_recipes(open_store(":memory:"), ["LAC"], "", {})
    {}
    """
    from lacompare.catalogue import indicator_for_key
    from lacompare.derive import recipe_of

    wanted: dict[str, list[tuple[str, str]]] = {}
    for m in names:
        if m in recipes:
            continue
        ind = indicator_for_key(f"{m}[{breakdown}]" if breakdown else m)
        if ind is None:
            continue
        copies = [
            (s.measure, s.breakdown)
            for s in ind.sources
            if not s.published and s.measure != m
        ]
        if copies:
            wanted[m] = copies
    if not wanted:
        return {}
    found = recipe_of(store, sorted({c for cs in wanted.values() for c, _ in cs}))
    borrowed = {}
    for m, copies in wanted.items():
        for copy, copy_breakdown in copies:
            recipe = found.get(copy)
            if recipe and recipe.get("recipe") == "rate":
                borrowed[m] = {
                    **recipe,
                    "borrowed_from": copy,
                    "borrowed_breakdown": copy_breakdown,
                }
                break
    return borrowed


def read_borrowed_inputs(
    store: Store,
    chosen: dict[str, str],
    borrowed: dict[str, dict[str, Any]],
) -> list[tuple[Any, ...]]:
    """Numerator and denominator of each authority's borrowed rate, read from the
    derived copy at the compared period and filed under the measure compared:
    ``(la_code, measure, num, den)`` as :func:`read_rate_inputs` gives them."""
    from lacompare.analysis._compare_read import read_rate_inputs

    rows: list[tuple[Any, ...]] = []
    for m, recipe in borrowed.items():
        if m not in chosen:
            continue
        copy = recipe["borrowed_from"]
        got = read_rate_inputs(
            store,
            {copy: chosen[m]},
            recipe["borrowed_breakdown"],
            {copy: recipe},
        )
        rows += [(la, m, num, den) for la, _, num, den in got]
    return rows
