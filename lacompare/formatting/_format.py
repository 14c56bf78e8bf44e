"""How every output prints a figure: one rule per kind of number.

The command line's tables, the reports (HTML, PDF, XLSX), the charts' labels
and the web app all print numbers through these functions, so a figure, a
p-value, a change or a missing value reads the same wherever it appears.

* :func:`format_number`: a table cell. Rounded half away from zero (as people
  round, 2.675 → 2.68), thousands grouped, the unit in the column heading, money
  negatives in brackets (a budget's income ``(1,792)``).
* :func:`format_value`: a figure in a sentence or a chart label, with its unit
  (``£1,732``, ``53.4%``, ``£81.5 million``).
* :func:`format_change`: a change, always signed (``+1.2``, ``-3.4%``).
* :func:`format_p`: a p-value (``p < 0.001``, ``p = 0.012``).
* :func:`format_statistic`: a model's statistic (a coefficient, a standard
  error, an R²) to significant figures, grouped, never in exponent notation.
* :func:`format_missing` and :func:`missing_key`: a missing value as the
  publisher's symbol (GSS "Symbols in tables": ``[c]`` suppressed, ``[x]`` not
  available, ``[z]`` not applicable, ...) and the key that explains the symbols
  a table uses. A missing value never prints as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: Symbol printed for each missing reason (the ``missing_reason`` vocabulary of
#: :mod:`lacompare.cells`), and the meaning a key gives it. GSS "Symbols in
#: tables" ([c], [x], [z], [k], [u], [low]); a cell the source left blank or
#: dashed, or a figure nobody gave, prints an en dash. Reasons that share a symbol
#: share its meaning, so a key never explains one symbol twice.
MISSING_SYMBOLS: dict[str, tuple[str, str]] = {
    "suppressed": ("[c]", "suppressed to protect confidentiality"),
    "not-available": ("[x]", "not available"),
    # An error value or unreadable text in the source: to the reader, not available.
    "spreadsheet-error": ("[x]", "not available"),
    "unparsed": ("[x]", "not available"),
    "footnote-only": ("[x]", "not available"),
    "not-applicable": ("[z]", "not applicable"),
    "rounds-to-zero": ("[k]", "rounds to 0 but is not 0"),
    "low-reliability": ("[u]", "low reliability"),
    "low": ("[low]", "too small to show at the rounding used"),
    "dash": ("–", "no figure"),
    "blank": ("–", "no figure"),
    # Reasons lacompare.derive gives a figure it cannot make: a rate or change of
    # a zero base is not applicable; no input at all is no figure. A derived
    # figure missing because an input was ("input-suppressed") takes the input's
    # symbol (see _reason).
    "base-zero": ("[z]", "not applicable"),
    "absent": ("–", "no figure"),
}
#: A value with no reason given (an authority absent from the source).
NO_FIGURE = MISSING_SYMBOLS["blank"]
#: The order a key lists symbols in.
SYMBOL_ORDER = ("[c]", "[x]", "[z]", "[k]", "[u]", "[low]", "–")

_MONEY_THOUSANDS = ("£000", "£ thousand", "£ thousands", "£k")
_MONEY_MILLIONS = ("£m", "£ million", "£ millions")
_PERCENT = ("%", "percent", "per cent", "percentage")


def is_missing(value: Any) -> bool:
    """No figure: None, NaN, pandas' NA or an infinity (a division by zero).

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0), is_missing("c")
    (True, True, False, False)
    """
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def is_money(unit: str | None) -> bool:
    """A unit of money: any unit starting with ``£``.

    Examples
    --------
    >>> is_money("£ per child"), is_money("%")
    (True, False)
    """
    return bool(unit) and str(unit).strip().startswith("£")


def quantize(value: float, decimals: int) -> Decimal:
    """``value`` rounded to ``decimals`` places, half away from zero.

    Rounds the shortest repr, as people round: 2.675 → 2.68 (float formatting
    gives 2.67, and banker's rounding takes .5 to even).

    Examples
    --------
    >>> str(quantize(2.675, 2)), str(quantize(-0.5, 0))
    ('2.68', '-1')
    """
    exp = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(exp, rounding=ROUND_HALF_UP)


def format_number(value: Any, unit: str | None = None, decimals: int = 0) -> str:
    """A number as a table cell prints it: rounded, grouped, money negatives
    bracketed; ``''`` when missing (the cell shows :func:`format_missing`).

    The unit is in the heading, so cells carry no £ or % sign; a
    ``'proportion'`` (a fraction) prints as a percentage.

    Examples
    --------
    >>> format_number(-1792, "£000"), format_number(81531, "£000")
    ('(1,792)', '81,531')
    >>> format_number(0.534, "proportion", 1), format_number(-4.25, "%", 1)
    ('53.4', '-4.3')
    >>> format_number(None)
    ''
    """
    if is_missing(value):
        return ""
    number = float(value) * (100 if unit == "proportion" else 1)
    rounded = quantize(number, decimals)
    text = f"{abs(rounded):,.{decimals}f}"
    if rounded < 0:
        return f"({text})" if is_money(unit) else f"-{text}"
    return text


def format_value(
    value: Any,
    unit: str | None = None,
    decimals: int = 0,
    missing_reason: str | None = None,
) -> str:
    """A figure in a sentence or a label, with its unit: ``£1,732``, ``103%``.

    Money in thousands or millions reads as pounds (``£81.5 million``); a
    proportion as a percentage. A missing value prints its symbol
    (:func:`format_missing`).

    Examples
    --------
    >>> format_value(1732, "£ per child"), format_value(103, "%")
    ('£1,732', '103%')
    >>> format_value(81531, "£ thousand"), format_value(0.534, "proportion", 1)
    ('£81.5 million', '53.4%')
    >>> format_value(None, "persons"), format_value(None, "%", 1, "suppressed")
    ('–', '[c]')
    >>> format_value(-4.25, "%", 1), format_value(-1792, "£")
    ('-4.3%', '-£1,792')
    """
    if is_missing(value):
        return format_missing(missing_reason)
    number = float(value)
    low = (unit or "").strip().lower()
    if low.startswith("£"):
        if low in _MONEY_THOUSANDS:
            number *= 1000
        elif low in _MONEY_MILLIONS:
            number *= 1_000_000
        sign = "-" if quantize(number, decimals) < 0 else ""
        if low not in ("£", "£ per head") and abs(number) >= 1_000_000:
            return f"{sign}£{format_number(abs(number) / 1_000_000, None, 1)} million"
        return f"{sign}£{format_number(abs(number), None, decimals)}"
    if low == "proportion":
        return format_number(number * 100, None, decimals) + "%"
    if low in _PERCENT:
        return format_number(number, None, decimals) + "%"
    return format_number(number, None, decimals)


def format_change(value: Any, unit: str | None = None, decimals: int = 0) -> str:
    """A change, always signed, with its unit: ``+1.2``, ``-3.4%``, ``+£120``;
    ``0`` when it rounds to nothing.

    Examples
    --------
    >>> format_change(1.23, None, 1), format_change(-3.44, "%", 1)
    ('+1.2', '-3.4%')
    >>> format_change(120, "£"), format_change(0.04, "%", 1), format_change(None)
    ('+£120', '0.0%', '–')
    """
    if is_missing(value):
        return format_missing(None)
    text = format_value(value, unit, decimals)
    if quantize(float(value), decimals) > 0:
        return "+" + text
    return text.replace("-", "", 1) if quantize(float(value), decimals) == 0 else text


def format_p(p: Any, bare: bool = False) -> str:
    """A p-value: ``p < 0.001`` or ``p = `` three decimals; ``p = n/a`` when
    there is none. ``bare`` drops the ``p`` for a table's p column (``<0.001``,
    ``0.012``, ``''`` when missing).

    Examples
    --------
    >>> format_p(0.0123), format_p(0.00001), format_p(0.5), format_p(float("nan"))
    ('p = 0.012', 'p < 0.001', 'p = 0.500', 'p = n/a')
    >>> format_p(0.00001, bare=True), format_p(0.41932, bare=True)
    ('<0.001', '0.419')
    """
    if is_missing(p):
        return "" if bare else "p = n/a"
    if float(p) < 0.001:
        return "<0.001" if bare else "p < 0.001"
    return f"{float(p):.3f}" if bare else f"p = {float(p):.3f}"


def format_statistic(value: Any, significant: int = 3) -> str:
    """A statistic in a table: ``significant`` figures (whole numbers from 1,000
    up, grouped), rounded half away from zero, never in exponent notation;
    ``''`` when missing.

    Coefficients and standard errors span many magnitudes (a pound per child and
    a rate per 1,000), so a fixed number of decimals would print most of them as
    0.00 or with false precision.

    Examples
    --------
    >>> format_statistic(0.09668), format_statistic(-6.14), format_statistic(1542.3)
    ('0.0967', '-6.14', '1,542')
    >>> format_statistic(0.000003834), format_statistic(0), format_statistic(None)
    ('0.00000383', '0', '')
    """
    if is_missing(value):
        return ""
    number = float(value)
    if number == 0:
        return "0"
    if abs(number) >= 10 ** (significant - 1) or abs(number) >= 1000:
        return format_number(number)
    decimals = significant - 1 - math.floor(math.log10(abs(number)))
    text = f"{quantize(number, decimals):f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _symbol(reason: Any) -> tuple[str, str]:
    """The symbol and meaning for a missing reason (``input-X`` as ``X``)."""
    if reason is None or (isinstance(reason, float) and math.isnan(reason)):
        return NO_FIGURE
    text = str(reason).removeprefix("input-")
    return MISSING_SYMBOLS.get(text, MISSING_SYMBOLS["not-available"])


def format_missing(reason: str | None) -> str:
    """The symbol a missing value prints as, for its reason; ``–`` (no figure)
    when none is given.

    Examples
    --------
    >>> format_missing("suppressed"), format_missing("not-applicable")
    ('[c]', '[z]')
    >>> format_missing(None), format_missing("something new")
    ('–', '[x]')
    >>> format_missing("base-zero"), format_missing("input-suppressed")
    ('[z]', '[c]')
    """
    return _symbol(reason)[0]


def missing_key(reasons: Iterable[Any]) -> list[tuple[str, str]]:
    """The key for the missing values shown: each symbol used, once, with its
    meaning, in the usual order (``[c]`` first).

    ``reasons`` are the missing reasons of the cells shown (None for a figure
    nobody gave).

    Examples
    --------
    >>> for symbol, meaning in missing_key(["suppressed", None, "unparsed", "c"]):
    ...     print(symbol, meaning)
    [c] suppressed to protect confidentiality
    [x] not available
    – no figure
    """
    seen: dict[str, str] = {}
    for reason in reasons:
        symbol, meaning = _symbol(reason)
        seen.setdefault(symbol, meaning)
    return [(s, seen[s]) for s in SYMBOL_ORDER if s in seen]


def missing_key_text(reasons: Iterable[Any]) -> str:
    """The key as one line for a note: ``[c] suppressed ...; – no figure``.

    Examples
    --------
    >>> missing_key_text(["suppressed", None])
    '[c] suppressed to protect confidentiality; – no figure'
    """
    return "; ".join(f"{s} {m}" for s, m in missing_key(reasons))
