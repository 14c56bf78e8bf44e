"""Choosing one registry entity for a name or code (by the date asked about and the
council type a label names), and the :class:`Match` that reports it."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ._normalise import (
    normalise_name,
)
from ._registry import Area, Entity, Registry, registry

T = TypeVar("T")

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
    >>> from lacompare.geography import resolve_authority
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
