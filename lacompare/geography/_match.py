"""Resolving names and codes to registry authorities.

Order: codes (ONS, former ONS, DfE; combined codes) -> total/area rows -> exact
normalised name -> alias -> RapidFuzz with a threshold, a margin over the runner-up and
a guard on the words that tell authorities apart. Anything less certain is 'none' with
the nearest candidates: a wrong authority is worse than no authority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from ._choose import (
    Match,
    _from_area,
    _from_entity,
    _join,
    _lineage,
    _match_each,
    _none,
    _query_text,
    _resolve_keys,
    _validity_note,
    as_date,
)
from ._fuzzy import _fuzzy
from ._normalise import (
    ONS_CODE,
    ParsedName,
    code_text,
    parse_name,
    split_combined_code,
)
from ._registry import registry

_TOTAL_WORDS = frozenset({"total", "totals", "subtotal", "subtotals"})
_TOTAL_FILLER = frozenset({"grand", "sub", "overall", "all"})


def _resolve_code(query: str, code: str, day: date | None) -> Match | None:
    reg = registry()
    if ONS_CODE.match(code):
        if code in reg.by_ons:
            ent = reg.entities[reg.by_ons[code]]
            note = ""
            if code != ent.la_code:
                note = f"{code} is a former code of {ent.la_name}, now {ent.la_code}"
            # An ONS code names one entity whatever the date; only note a mismatch.
            return _from_entity(
                query, ent, "code", 100.0, _join(note, _validity_note(reg, ent, day))
            )
        if code in reg.areas_by_code:
            return _from_area(query, reg.areas_by_code[code])
        return _none(query, f"{code} is not an upper-tier authority or a known area")
    if code.isdigit():
        if code in reg.by_dfe:
            return _resolve_keys(query, reg.by_dfe[code], day, None, "code", 100.0)
        if code in reg.areas_by_code:
            return _from_area(query, reg.areas_by_code[code])
        return _none(query, f"no authority has DfE code {code}")
    parts = split_combined_code(code)
    if parts:
        return _combined(query, [_resolve_code(p, p, day) for p in parts])
    return None


def _combined(query: str, parts: Sequence[Match | None]) -> Match | None:
    """A row covering several authorities: reported, never attributed to one.

    Equal partners (Kingston upon Thames / Richmond upon Thames, North / West
    Northamptonshire) share services; giving the row to either would double-count
    or misplace it, so it is 'none' with the parts as candidates. Curated combined
    aliases with a lead authority ('Cornwall (& Isle of Scilly)') are handled as
    aliases instead.
    """
    if len(parts) < 2 or any(p is None or not p.resolved for p in parts):
        return None
    labels = [
        f"{p.la_name} ({p.la_code or 'DfE ' + str(p.dfe_code)})" for p in parts if p
    ]
    return _none(
        query,
        "combined row covering "
        + " + ".join(labels)
        + "; not attributed to one authority",
        labels,
    )


def _resolve_area(query: str, parsed: ParsedName, day: date | None) -> Match | None:
    """Total and aggregate rows, checked before names ('London' is the region)."""
    reg = registry()
    area = reg.areas_by_name.get(parsed.full)
    if area is not None:
        return _from_area(query, area)
    words = parsed.full.split()
    if _TOTAL_WORDS & set(words):
        rest = " ".join(w for w in words if w not in _TOTAL_WORDS | _TOTAL_FILLER)
        area = reg.areas_by_name.get(rest) if rest else None
        if area is not None:
            return _from_area(query, area)
        if rest in reg.by_name:
            # 'Leeds total' is Leeds's own figure, not an aggregate of authorities.
            return _resolve_keys(
                query, reg.by_name[rest], day, None, "exact", 100.0, "labelled a total"
            )
        return _from_area(query, reg.areas_by_name["total"])
    return None


def _resolve_area_without_notes(query: str, parsed: ParsedName) -> Match | None:
    """An area label with an unknown bracketed note, e.g. 'England (provisional)'.

    Still a total row, but the note may change the geography ('West Midlands
    (Metropolitan County)' is not the region), so no area code is given.
    """
    area = registry().areas_by_name.get(parsed.base)
    if area is None or parsed.base == parsed.full:
        return None
    return Match(
        query=query,
        la_code=None,
        dfe_code=None,
        la_name=area.area_name,
        region=None,
        london_region=None,
        la_type=None,
        match="total-row",
        score=100.0,
        note="total row; its bracketed note is not understood, so no area code",
    )


def _resolve_name(query: str, text: str, day: date | None, guess: bool = True) -> Match:
    reg = registry()
    parsed = parse_name(text)
    if not parsed.full:
        return _none(query, "no letters or digits to match")
    area = _resolve_area(query, parsed, day)
    if area is not None:
        return area
    for key in dict.fromkeys((parsed.full, parsed.base)):
        if key in reg.by_name:
            return _resolve_keys(
                query, reg.by_name[key], day, parsed.hint, "exact", 100.0
            )
        alias = reg.aliases.get(key)
        if alias is not None:
            note = alias.note if alias.kind == "combined" else ""
            return _resolve_keys(
                query,
                _lineage(reg, alias.target),
                day,
                parsed.hint,
                "alias",
                100.0,
                note,
            )
    area = _resolve_area_without_notes(query, parsed)
    if area is not None:
        return area
    if "/" in text:
        parts = [p for p in text.split("/") if p.strip()]
        combined = _combined(query, [_resolve_strict(p, day) for p in parts])
        if combined is not None:
            return combined
    match, candidates = _fuzzy(query, parsed, day)
    if match is not None and guess:
        return match
    return _none(query, "no authority or area matches", candidates)


def _resolve_strict(text: str, day: date | None) -> Match | None:
    """Resolve one part of a combined label by code, exact name or alias only."""
    m = _resolve_text(text, day)
    return m if m.match in ("code", "exact", "alias") else None


@lru_cache(maxsize=65536)
def _resolve_text(text: str, day: date | None, guess: bool = True) -> Match:
    query = text
    stripped = text.strip()
    if not stripped:
        return _none(query, "empty value")
    code = code_text(stripped)
    if code is not None:
        by_code = _resolve_code(query, code, day)
        if by_code is not None:
            return by_code
    return _resolve_name(query, stripped, day, guess)


def resolve_authority(
    name_or_code: str | int | float | None,
    as_of: date | str | None = None,
    *,
    guess: bool = True,
) -> Match:
    """Resolve one authority name or code to the registry.

    Tries, in order: an ONS code (any case, including former codes) or DfE 3-digit
    code (also as int/float, e.g. 201.0); a total/area row (England, regions,
    Inner/Outer London, 'Total', ...); the exact name after normalisation; the alias
    table; a fuzzy match that must score at least ``FUZZY_THRESHOLD``, lead the next
    authority by ``FUZZY_MARGIN`` and agree on words such as North/East/West/Central.
    Otherwise ``match`` is 'none' with the three nearest names as ``candidates``.

    Several entities can share a name or DfE code (North Yorkshire 815: county council
    until 2023-03-31, unitary after). A label that names the council type
    ('... County Council', 'UA') or says '(Pre LG)' chooses first; then the entity
    valid on ``as_of``; with no ``as_of``, the current one. If no entity of that name
    is valid on ``as_of``, the nearest in time is still returned and ``note`` says so
    (it is not 'none'). An ONS code names its entity whatever ``as_of``.

    A combined code ('940 / 941', 'E06000061 / E06000062') or name ('Kingston upon
    Thames / Richmond upon Thames') covers several authorities that share a service;
    it is returned as 'none' with the parts in ``candidates`` and a note, because
    attributing it to either would misplace its figures. Curated combined aliases
    with a lead authority ('Cornwall (& Isle of Scilly)') resolve to the lead with a
    note.

    Parameters
    ----------
    name_or_code : str, int, float or None
        Name or code as printed in a table.
    as_of : datetime.date, ISO date str or None
        The date the row describes, to choose between predecessor and successor.
    guess : bool
        False: no fuzzy match; a name that is not exact or an alias is 'none' with
        the nearest names as ``candidates``. Rows of a file are matched with the
        guarded fuzzy step (each one reported); a name a person typed should use
        :func:`match_authority_strict`, which never guesses.

    Returns
    -------
    Match
        Never raises for odd values; empty input gives 'none' (note 'empty value').

    Raises
    ------
    ValueError
        If ``as_of`` is a string that is not an ISO date.

    Examples
    --------
    >>> m = resolve_authority("St.Helens")
    >>> m.la_code, m.dfe_code, m.la_name, m.match
    ('E08000013', '342', 'St. Helens', 'exact')
    >>> resolve_authority(815).la_code
    'E06000065'
    >>> resolve_authority(815, as_of="2021-03-31").la_code
    'E10000023'
    >>> resolve_authority("North Somerset").la_code
    'E06000024'
    >>> resolve_authority("ENGLAND TOTAL").match
    'total-row'
    >>> m = resolve_authority("Northamptonshire", as_of="2022-03-31")
    >>> m.la_code, m.note.startswith("existed until 2021-03-31")
    ('E10000021', True)
    >>> resolve_authority("940 / 941").match
    'none'
    >>> resolve_authority("Leicestr").match
    'fuzzy'
    >>> resolve_authority("Leicestr", guess=False).match
    'none'
    """
    text = _query_text(name_or_code)
    day = as_date(as_of)
    if text is None:
        return _none("", "empty value")
    return _resolve_on_day(text, day, guess)


@lru_cache(maxsize=65536)
def _resolve_on_day(text: str, day: date | None, guess: bool) -> Match:
    # A build resolves the same few hundred names on the same dates in every
    # file (137,000 calls for 2,000 distinct pairs); Match is frozen, so one
    # answer can be shared.
    try:
        return _on_day(_resolve_text(text, day, guess), day)
    except Exception as exc:  # noqa: BLE001 - resolution must never raise on data
        return _none(text, f"could not be resolved: {exc}")


def _on_day(m: Match, day: date | None) -> Match:
    """The match with the type and region its authority had on ``day``.

    The registry keeps today's type; Cornwall was a shire county in 2002
    (data/authority_history.csv), and a 2002 table must be grouped as it was.
    """
    if day is None or not m.resolved:
        return m
    from ._history import history_on

    row = history_on(m.la_code or m.dfe_code or "", day)
    if row is None:  # not in existence that day: the note already says so
        return m
    return replace(
        m,
        la_type=row["la_type"],
        region=row["region"],
        london_region=row["london_region"] or row["region"],
    )


def match_authorities(
    values: Sequence[object] | pd.Series | np.ndarray,
    as_of: date | str | None = None,
    *,
    guess: bool = True,
) -> list[Match]:
    """Resolve many values; each distinct value is resolved once.

    Parameters
    ----------
    values : sequence, pandas.Series or numpy array
        Names and/or codes; None/NaN give 'none' with note 'empty value'.
    as_of : datetime.date, ISO date str or None
        As for :func:`resolve_authority`, applied to every value.
    guess : bool
        As for :func:`resolve_authority`: False, no fuzzy match.

    Returns
    -------
    list of Match
        One per input value, in order (equal values share one Match object).

    Examples
    --------
    >>> [m.la_code for m in match_authorities(["Leeds", 383, "leeds", None])]
    ['E08000035', 'E08000035', 'E08000035', None]
    """
    day = as_date(as_of)
    return _match_each(
        values,
        lambda u: resolve_authority(u, day, guess=guess),
        _none("", "empty value"),
    )
