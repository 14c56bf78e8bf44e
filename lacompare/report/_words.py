"""Numbers and names in a report's sentences: decimals that tell authorities
apart, labels inside a sentence, lists of names.

Figures print through :mod:`lacompare.formatting` (:func:`format_value`), the
same rule as every other output; a missing figure prints as the publisher's
symbol ('–' when none is given).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from lacompare.formatting import format_value, is_missing
from lacompare.formatting.tables import UNIT_DECIMALS

#: A value in a sentence, with its unit (:func:`lacompare.formatting.format_value`).
format_measure_value = format_value


def measure_decimals(values: Iterable[Any], unit: str | None = None) -> int:
    """Decimals that tell authorities' values apart without false precision.

    FTE and £ per head keep 2 (as returns print them); otherwise whole numbers
    print whole, and fractions get up to 2 decimals by their spread.

    Examples
    --------
    >>> measure_decimals([22, 165]), measure_decimals([0.12, 0.31, 0.2])
    (0, 2)
    >>> measure_decimals([2.04, 5.6], "FTE"), measure_decimals([1.5, 9.2, 30.25])
    (2, 1)
    """
    if unit in UNIT_DECIMALS and unit not in ("%", "£", "£000"):
        return UNIT_DECIMALS[unit]
    arr = [float(v) for v in values if not is_missing(v) and _is_number(v)]
    if not arr:
        return 0
    held = next(
        (d for d in range(3) if all(abs(round(v, d) - v) < 1e-9 for v in arr)), 2
    )
    spread = (max(arr) - min(arr)) or abs(max(arr)) or 1.0
    by_spread = int(min(2, max(0, 2 - math.floor(math.log10(spread)))))
    return min(held, by_spread)


def missing_where(mask: Iterable[Any], reason: str) -> list[str | None]:
    """A ``<column>__missing`` column: ``reason`` where ``mask`` is true.

    Examples
    --------
    >>> missing_where([True, False], "not-available")
    ['not-available', None]
    """
    return [reason if bool(m) else None for m in mask]


def sentence_label(label: str) -> str:
    """A label as it reads inside a sentence: first letter lower-cased unless an
    acronym ('IDACI') or a name.

    Examples
    --------
    >>> sentence_label("Funding per head, 2021")
    'funding per head, 2021'
    >>> sentence_label("IDACI - Average score")
    'IDACI - Average score'
    """
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        first = label.split(" ", 1)[0]
        if first.rstrip("'s") not in ("England", "London"):
            return label[0].lower() + label[1:]
    return label


def possessive(name: str) -> str:
    """``Leeds's``, ``Camden's`` (style: 's after every name).

    Examples
    --------
    >>> possessive("Leeds")
    "Leeds's"
    """
    return f"{name}'s"


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('a; b and c' when an item has a comma).

    Examples
    --------
    >>> join_words(["a", "b", "c"])
    'a, b and c'
    >>> join_words(["Bristol, City of", "Leeds", "York"])
    'Bristol, City of; Leeds and York'
    """
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    sep = "; " if any("," in i for i in items) else ", "
    return sep.join(items[:-1]) + " and " + items[-1]


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def d3_format(unit: str | None, decimals: int) -> str:
    """A chart's d3 number format for a unit: pounds (not thousands or millions
    of them) with a ``$`` (the charts' locale prints £), else plain.

    Examples
    --------
    >>> d3_format("£ per child", 0), d3_format("£000", 1), d3_format(None, 2)
    ('$,.0f', ',.1f', ',.2f')
    """
    if (
        unit
        and unit.lower().startswith("£")
        and unit.lower() not in ("£000", "£ thousand", "£m")
    ):
        return f"$,.{decimals}f"
    return f",.{decimals}f"
