"""Units: money in £, £ thousand or £ million brought to one scale; population bands."""

from __future__ import annotations

import re

from lacompare.errors import InputError

# RO and S251 returns print £ thousand; council tables print £. Both are money.
_MONEY = re.compile(
    r"^\s*(?:£|gbp|pounds?)\s*(?P<scale>(?:thousands?|millions?|billions?|'000s?|"
    r"000s?|mn|bn|k|m)(?![a-z]))?\s*(?P<rest>.*)$",
    re.I,
)
_SCALES = {
    "thousand": 1e3,
    "thousands": 1e3,
    "000": 1e3,
    "000s": 1e3,
    "'000": 1e3,
    "'000s": 1e3,
    "k": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
}


def unit_scale(unit: str | None) -> tuple[str | None, float]:
    """A unit on its base scale and the factor that takes values there.

    Money in thousands or millions of pounds becomes pounds; other units are
    returned unchanged with factor 1.

    Examples
    --------
    >>> unit_scale("£ thousand"), unit_scale("£000"), unit_scale("£m")
    (('£', 1000.0), ('£', 1000.0), ('£', 1000000.0))
    >>> unit_scale("£ per head"), unit_scale("persons"), unit_scale(None)
    (('£ per head', 1.0), ('persons', 1.0), (None, 1.0))
    """
    if unit is None or not str(unit).strip():
        return None, 1.0
    m = _MONEY.match(str(unit))
    if not m:
        return str(unit), 1.0
    scale = (m.group("scale") or "").lower()
    rest = m.group("rest").strip()
    factor = _SCALES.get(scale, 1.0)
    base = "£" + (f" {rest}" if rest else "")
    return base, factor


def is_money(unit: str | None) -> bool:
    """True for £, £ thousand, £ per head, ...

    Examples
    --------
    >>> is_money("£ thousand"), is_money("%")
    (True, False)
    """
    return bool(unit) and bool(_MONEY.match(str(unit)))


_BAND = re.compile(r"^\s*(\d{1,2})\s*(?:-|–|to|_)\s*(\d{1,2})\s*$")


def band_pattern(band: str) -> re.Pattern[str] | None:
    """A pattern finding an age band ('0-17') in measure ids and labels.

    Examples
    --------
    >>> bool(band_pattern("0-17").search("pop_0_17")), band_pattern("pop") is None
    (True, True)
    >>> bool(band_pattern("2-18").search("Population aged 2 to 18"))
    True
    """
    m = _BAND.match(band)
    if not m:
        return None
    lo, hi = m.group(1), m.group(2)
    return re.compile(rf"(?<!\d){lo}\s*(?:-|–|_|\s+to\s+|to)\s*{hi}(?!\d)", re.I)


def pick_band(band: str, candidates: list[tuple[str, str | None, str | None]]) -> str:
    """The one population measure of an age band among (measure, label, unit) rows."""
    pattern = band_pattern(band)
    if pattern is None:
        raise InputError(
            f"{band!r} is neither a measure in the store nor an age band "
            "such as 0-17, 0-25 or 2-18"
        )
    hits = [
        m
        for m, label, unit in candidates
        if pattern.search(m) or (label and pattern.search(label))
    ]
    people = [
        m
        for m in hits
        if any(w in m.lower() for w in ("pop", "population"))
        or any(
            u == m and unit and ("person" in unit or "people" in unit)
            for u, _, unit in candidates
        )
    ]
    chosen = people or hits
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        raise InputError(
            f"no population measure for ages {band} in the store; load "
            "one (e.g. ONS mid-year estimates) or name the measure"
        )
    raise InputError(
        f"several measures for ages {band}: {', '.join(sorted(chosen))}; "
        "name the one to use"
    )
