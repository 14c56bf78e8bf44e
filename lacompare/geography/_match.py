"""Resolving names and codes to registry authorities.

Order: codes (ONS, former ONS, DfE; combined codes) -> total/area rows -> exact
normalised name -> alias -> RapidFuzz with a threshold, a margin over the runner-up and
a guard on the words that tell authorities apart. Anything less certain is 'none' with
the nearest candidates: a wrong authority is worse than no authority.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ._normalise import (
    ONS_CODE,
    ParsedName,
    code_text,
    normalise_name,
    parse_name,
    split_combined_code,
)
from ._registry import Area, Entity, Registry, registry

T = TypeVar("T")

#: Minimum RapidFuzz ratio (0-100) for a fuzzy match.
FUZZY_THRESHOLD = 90.0
#: Minimum lead of the best fuzzy candidate over the next different authority.
FUZZY_MARGIN = 5.0
# Words that distinguish neighbouring authorities: a fuzzy match must agree on all of
# them, so 'East Sussex' can never become 'West Sussex' however close the spelling.
_QUALIFIERS = frozenset(
    {"north", "south", "east", "west", "central", "mid", "inner", "outer", "greater"}
)
_TOTAL_WORDS = frozenset({"total", "totals", "subtotal", "subtotals"})
_TOTAL_FILLER = frozenset({"grand", "sub", "overall", "all"})
_AREA_NOTES = {
    "country": "country total",
    "region": "region total",
    "london sub-region": "Inner/Outer London total",
    "metropolitan county": "metropolitan county total",
    "la group": "total of a group of authorities",
    "aggregate": "aggregate row",
    "total": "total row",
    "unallocated": "residual row not allocated to any authority",
}
_STRONG_HINTS = frozenset({"predecessor", "shire county", "unitary"})


@dataclass(frozen=True)
class Match:
    """The result of resolving one name or code.

    ``match`` says how it was found: 'code', 'exact', 'alias', 'fuzzy', 'total-row'
    (England, a region or another aggregate; ``la_code`` is then the area's code or
    None) or 'none'. ``score`` is 100 except for fuzzy matches. ``london_region`` is
    'Inner London'/'Outer London' for London authorities and the region name otherwise
    (DfE's "London split" grouping). ``candidates`` lists the nearest names when
    ``match`` is 'none'; ``note`` explains anything a reader should know (combined
    rows, abolished authorities, dates).

    Examples
    --------
    >>> m = resolve_authority("Tower Hamlets (& City)")
    >>> m.la_code, m.match, m.note
    ('E09000030', 'alias', 'also covers City of London')
    """

    query: str
    la_code: str | None
    dfe_code: str | None
    la_name: str | None
    region: str | None
    london_region: str | None
    la_type: str | None
    match: str
    score: float
    candidates: tuple[str, ...] = ()
    note: str = ""

    @property
    def resolved(self) -> bool:
        """True when the row is one authority (not a total row, not unresolved)."""
        return self.match not in ("none", "total-row")


def as_date(as_of: date | str | None) -> date | None:
    if as_of is None:
        return None
    if isinstance(as_of, pd.Timestamp):
        return as_of.date()
    if isinstance(as_of, datetime):
        return as_of.date()
    if isinstance(as_of, date):
        return as_of
    if isinstance(as_of, str):
        try:
            return date.fromisoformat(as_of.strip())
        except ValueError:
            raise ValueError(
                f"as_of must be an ISO date (YYYY-MM-DD), not {as_of!r}"
            ) from None
    raise TypeError(f"as_of must be a date or an ISO date string, not {type(as_of)!r}")


def _none(query: str, note: str = "", candidates: Sequence[str] = ()) -> Match:
    return Match(
        query, None, None, None, None, None, None, "none", 0.0, tuple(candidates), note
    )


def _from_entity(query: str, ent: Entity, how: str, score: float, note: str) -> Match:
    return Match(
        query=query,
        la_code=ent.la_code,
        dfe_code=ent.dfe_code,
        la_name=ent.la_name,
        region=ent.region,
        london_region=ent.london_region or ent.region,
        la_type=ent.la_type,
        match=how,
        score=score,
        note=note,
    )


def _from_area(query: str, area: Area) -> Match:
    return Match(
        query=query,
        la_code=area.area_code,
        dfe_code=None,
        la_name=area.area_name,
        region=area.region,
        london_region=area.london_region,
        la_type=None,
        match="total-row",
        score=100.0,
        note=_AREA_NOTES.get(area.area_type, "total row"),
    )


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _links(reg: Registry, keys: Sequence[str]) -> str:
    return ", ".join(reg.describe(k) for k in keys)


def _validity_note(reg: Registry, ent: Entity, day: date | None) -> str:
    """Say when the chosen entity is not the authority of the day asked about."""
    return _lifetime_note(
        ent,
        day,
        lambda: f"; successors {_links(reg, ent.successors)}",
        lambda: (
            f"; predecessors {_links(reg, ent.predecessors)}"
            if ent.predecessors
            else ""
        ),
    )


def _lifetime_note(
    ent: Entity | Any,
    day: date | None,
    after: Callable[[], str],
    before: Callable[[], str],
) -> str:
    """Why an authority's or district's lifetime does not cover ``day`` ('' if it
    does; with no day, whether it has been abolished).

    ``after`` and ``before`` give the text naming what followed and what preceded
    it (asked for only when the note needs them).
    """
    if day is None:
        if ent.valid_to is None:
            return ""
        ended = ent.valid_to + timedelta(days=1)
        return f"abolished {ended.isoformat()}{after()}"
    if ent.valid_on(day):
        return ""
    if ent.valid_to is not None and day > ent.valid_to:
        ended = ent.valid_to + timedelta(days=1)
        return (
            f"existed until {ent.valid_to.isoformat()} (abolished {ended.isoformat()}),"
            f" not on {day.isoformat()}{after()}"
        )
    assert ent.valid_from is not None
    return (
        f"existed from {ent.valid_from.isoformat()}, not on {day.isoformat()}{before()}"
    )


def _distance(ent: Entity, day: date) -> int:
    if ent.valid_from is not None and day < ent.valid_from:
        return (ent.valid_from - day).days
    if ent.valid_to is not None and day > ent.valid_to:
        return (day - ent.valid_to).days
    return 0


def _fits_hint(ent: Entity, hint: str) -> bool:
    if hint == "predecessor":
        return not ent.current
    return ent.la_type == hint


def _choose(
    reg: Registry, keys: Sequence[str], day: date | None, hint: str | None
) -> Entity | None:
    """Pick one entity among those sharing a name or DfE code (None if ambiguous).

    A label that names the council type or says '(Pre LG)' filters first; then the
    entity valid on ``day``; with no day, the current one. If none is valid on the
    day, the nearest in time is returned (and the caller notes it).
    """
    ents = [reg.entities[k] for k in dict.fromkeys(keys)]
    if len(ents) == 1:
        return ents[0]
    if hint in _STRONG_HINTS:
        hinted = [e for e in ents if _fits_hint(e, hint)]
        if hinted:
            ents = hinted
            if len(ents) == 1:
                return ents[0]
    if day is not None:
        valid = [e for e in ents if e.valid_on(day)]
        if not valid:
            return min(ents, key=lambda e: _distance(e, day))
        ents = valid
    else:
        current = [e for e in ents if e.current]
        if not current:
            return max(ents, key=lambda e: e.valid_to or date.max)
        ents = current
    if len(ents) > 1 and hint == "council":
        # A bare 'Council' suffix is a weak hint: used only to break a tie.
        ents = [e for e in ents if e.la_type == "unitary"] or ents
    return ents[0] if len(ents) == 1 else None


def _resolve_keys(
    query: str,
    keys: Sequence[str],
    day: date | None,
    hint: str | None,
    how: str,
    score: float,
    note: str = "",
) -> Match:
    reg = registry()
    ent = _choose(reg, keys, day, hint)
    if ent is None:
        names = [reg.describe(k) for k in dict.fromkeys(keys)]
        return _none(query, "ambiguous: " + ", ".join(names), names)
    return _from_entity(
        query, ent, how, score, _join(note, _validity_note(reg, ent, day))
    )


def _lineage(reg: Registry, target: str) -> list[str]:
    """Entities sharing the target's name (so as_of can choose among them)."""
    ent = reg.entities[target]
    same = reg.by_name.get(normalise_name(ent.la_name), [])
    return same if target in same else [target]


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


@cache
def _fuzzy_choices() -> tuple[list[str], list[tuple[str, ...]], list[frozenset[str]]]:
    """Name keys, their entity keys and each key's qualifier set, for RapidFuzz."""
    reg = registry()
    targets: dict[str, tuple[str, ...]] = {
        name: tuple(keys) for name, keys in reg.by_name.items()
    }
    for row in reg.aliases.items():
        alias_key, alias = row
        if alias.kind == "variant":
            base = normalise_name(alias_key)
            targets.setdefault(base, tuple(_lineage(reg, alias.target)))
    names = sorted(targets)
    return names, [targets[n] for n in names], [_qualifiers(n) for n in names]


def _qualifiers(key: str) -> frozenset[str]:
    words = set(key.split())
    return frozenset((words & _QUALIFIERS) | {w for w in words if w.isdigit()})


def _fuzzy(
    query: str, parsed: ParsedName, day: date | None
) -> tuple[Match | None, tuple[str, ...]]:
    reg = registry()
    names, targets, quals = _fuzzy_choices()
    key = parsed.base
    if not key:
        return None, ()
    ranked = _ranked(key)
    candidates = tuple(
        f"{reg.describe(_pick_display(reg, group, day))}: {score:.0f}"
        for group, (score, _) in ranked[:3]
    )
    if not ranked:
        return None, candidates
    top_group, (top, idx) = ranked[0]
    runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
    if (
        len(key) >= 4
        and top >= FUZZY_THRESHOLD
        and top - runner_up >= FUZZY_MARGIN
        and quals[idx] == _qualifiers(key)
    ):
        match = _resolve_keys(
            query,
            targets[idx],
            day,
            parsed.hint,
            "fuzzy",
            round(float(top), 1),
            f"fuzzy match to {names[idx]!r}",
        )
        return match, candidates
    return None, candidates


def _ranked(key: str) -> list[tuple[frozenset[str], tuple[float, int]]]:
    """The authorities nearest a normalised name, best first: (entity keys, (score,
    index into the fuzzy choices)); a name and its aliases count once."""
    names, targets, _ = _fuzzy_choices()
    found = process.extract(key, names, scorer=fuzz.ratio, limit=12)
    best: dict[frozenset[str], tuple[float, int]] = {}
    for _, score, idx in found:
        group = frozenset(targets[idx])
        if group not in best or score > best[group][0]:
            best[group] = (score, idx)
    return sorted(best.items(), key=lambda kv: -kv[1][0])


def _pick_display(reg: Registry, group: frozenset[str], day: date | None) -> str:
    ent = _choose(reg, sorted(group), day, None)
    return ent.key if ent is not None else sorted(group)[0]


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


def _query_text(value: object) -> str | None:
    """The text to resolve, or None for a missing value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        # 201.0 from a spreadsheet is DfE code 201.
        return str(int(value)) if value.is_integer() else str(value)
    return value if isinstance(value, str) else str(value)


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


def _match_each(
    values: Sequence[object] | pd.Series | np.ndarray,
    match: Callable[[object], T],
    missing: T | None,
) -> list[T | None]:
    """``match`` of every value, in order, calling it once per distinct value.

    Equal values share one result object; None/NaN get ``missing``. Registers and
    returns repeat each authority's name in every row, so matching the distinct
    values only is what keeps a 100,000-row file fast.
    """
    series = (
        values
        if isinstance(values, pd.Series)
        else pd.Series(list(values), dtype=object)
    )
    try:
        codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    except TypeError:  # unhashable cells: compare their text instead
        codes, uniques = pd.factorize(
            series.map(str).astype(object), use_na_sentinel=True
        )
    found = [match(u) for u in uniques]
    # The last slot answers the NA sentinel (-1).
    table = np.empty(len(found) + 1, dtype=object)
    table[:-1] = found
    table[-1] = missing
    return list(table[codes])
