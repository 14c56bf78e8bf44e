"""Authorities a person names: exact names, codes and known aliases only.

A command given ``Leicestr`` must not answer for Leicester: a table headed with an
authority the user did not name is worse than an error. Files keep the guarded fuzzy
step of :func:`~lacompare.geography.resolve_authority` (each fuzzy row is reported);
everything a person types goes through :func:`match_authority_strict`, which refuses
anything less than certain with the nearest names, and refuses an abolished
authority where a current one is needed, naming its successors and since when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lacompare.errors import InputError

from ._choose import Match, _query_text, as_date
from ._fuzzy import _ranked
from ._match import resolve_authority
from ._normalise import parse_name
from ._registry import Entity, Registry, registry

#: A suggestion must score at least this (RapidFuzz ratio, 0-100) to be offered ...
SUGGEST_MIN = 60.0
#: ... and be within this of the best one (so 'Leicestr' offers Leicester alone).
SUGGEST_WITHIN = 15.0


@dataclass(frozen=True)
class Suggestion:
    """An authority offered instead of a name that was refused.

    ``since`` is the day it came into being when it is offered as a successor.
    """

    la_name: str
    la_code: str | None
    dfe_code: str
    since: date | None = None

    @property
    def label(self) -> str:
        """'Name (code)', the form every message uses."""
        return f"{self.la_name} ({self.la_code or 'DfE ' + self.dfe_code})"


class UnknownAuthority(InputError):
    """A name that is not an exact name, code or alias of an authority valid when
    needed; ``suggestions`` are the authorities to offer instead.

    ``reason`` is 'unknown' (no such authority), 'area' (England, a region or
    another total), 'combined' (several authorities), 'abolished' (gone before the
    day asked about: ``suggestions`` are its successors) or 'not-yet' (created
    after it: ``suggestions`` are its predecessors).

    Examples
    --------
    >>> err = UnknownAuthority("x", "no authority 'x'", reason="unknown")
    >>> err.reason, err.suggestions
    ('unknown', ())
    """

    def __init__(
        self,
        query: str,
        message: str,
        *,
        reason: str,
        suggestions: tuple[Suggestion, ...] = (),
    ) -> None:
        self.query = query
        self.reason = reason
        self.suggestions = suggestions
        super().__init__(message)


def _suggestion(ent: Entity, since: bool = False) -> Suggestion:
    return Suggestion(
        ent.la_name, ent.la_code, ent.dfe_code, ent.valid_from if since else None
    )


def _entity(reg: Registry, m: Match) -> Entity | None:
    for key in (m.la_code, m.dfe_code):
        if key and key in reg.entities:
            return reg.entities[key]
    return None


def _nearest(
    text: str, day: date | None, current: bool = False
) -> tuple[Suggestion, ...]:
    """The authorities whose names are nearest the text: close ones only (with
    ``current``, an abolished one is replaced by its successors)."""
    from ._choose import _choose
    from ._fuzzy import _fuzzy_choices

    reg = registry()
    key = parse_name(text).base
    if not key:
        return ()
    names, targets, _ = _fuzzy_choices()
    # A name given in part ('Richmond', 'Kingston') is a spelling a ratio scores
    # low: names holding every word typed come first.
    words = set(key.split())
    partial = [
        (frozenset(targets[i]), (100.0, i))
        for i, n in enumerate(names)
        if words <= set(n.split())
    ]
    ranked = list(dict(partial).items()) if partial else _ranked(key)
    if not ranked:
        return ()
    top = ranked[0][1][0]
    out = []
    for group, (score, _) in ranked[:3]:
        if score < SUGGEST_MIN or score < top - SUGGEST_WITHIN:
            break
        ent = _choose(reg, sorted(group), day, None)
        if ent is None:  # a name shared by authorities of one day: offer each
            out.extend(_suggestion(reg.entities[k]) for k in sorted(group))
        elif current and day is None and not ent.current:
            # Offer who is there now, not a council that cannot be chosen.
            out.extend(_suggestion(e) for e in _successors(reg, ent, None))
        else:
            out.append(_suggestion(ent))
    return tuple(dict.fromkeys(out))


def _successors(reg: Registry, ent: Entity, day: date | None) -> list[Entity]:
    """The authorities that followed ``ent``, followed on to those existing on
    ``day`` (today's when no day): a chain of changes ends at who is there now."""
    return _follow(reg, ent, "successors", day)


def _predecessors(reg: Registry, ent: Entity, day: date) -> list[Entity]:
    """The authorities ``ent`` came from, back to those existing on ``day``."""
    return _follow(reg, ent, "predecessors", day)


def _follow(reg: Registry, ent: Entity, link: str, day: date | None) -> list[Entity]:
    """Walk ``ent``'s successors or predecessors (``link``) until each chain
    reaches an authority that existed on ``day`` (or today's) or ends."""
    out: list[Entity] = []
    todo = [k for k in getattr(ent, link) if k in reg.entities]
    seen: set[str] = set()
    while todo:
        key = todo.pop(0)
        if key in seen:
            continue
        seen.add(key)
        nxt = reg.entities[key]
        fits = nxt.valid_on(day) if day is not None else nxt.current
        further = [k for k in getattr(nxt, link) if k in reg.entities]
        if fits or not further:
            out.append(nxt)
        else:
            todo.extend(further)
    return out


def _names(items: list[Suggestion], conjunction: str = "and") -> str:
    labels = [s.label for s in items]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + f" {conjunction} " + labels[-1]


def _abolished(
    reg: Registry, ent: Entity, day: date | None, query: str
) -> UnknownAuthority:
    assert ent.valid_to is not None
    ended = ent.valid_to + timedelta(days=1)
    name = reg.describe(ent.key)
    message = (
        f"{name} did not exist on {day.isoformat()}: it was abolished on "
        f"{ended.isoformat()}"
        if day is not None
        else f"{name} was abolished on {ended.isoformat()}"
    )
    offered = tuple(_suggestion(e, since=True) for e in _successors(reg, ent, day))
    if offered:
        dates = sorted({s.since for s in offered if s.since is not None})
        since = f" from {dates[0].isoformat()}" if len(dates) == 1 else ""
        message += f"; succeeded{since} by {_names(list(offered))}: give " + (
            "it" if len(offered) == 1 else "one of them"
        )
    return UnknownAuthority(query, message, reason="abolished", suggestions=offered)


def _not_yet(reg: Registry, ent: Entity, day: date, query: str) -> UnknownAuthority:
    assert ent.valid_from is not None
    message = (
        f"{reg.describe(ent.key)} did not exist on {day.isoformat()}: it was "
        f"created on {ent.valid_from.isoformat()}"
    )
    offered = tuple(_suggestion(e) for e in _predecessors(reg, ent, day))
    if offered:
        message += f"; before it: {_names(list(offered))}"
    return UnknownAuthority(query, message, reason="not-yet", suggestions=offered)


def match_authority_strict(
    name_or_code: str | int | float | None,
    as_of: date | str | None = None,
    *,
    current: bool = False,
) -> Match:
    """One authority a person named: an exact name, ONS or DfE code, or known alias.

    Names are compared after the registry's normalisation (case, '&'/'and',
    'St.'/'St', punctuation, 'Council' and similar suffixes), so 'st helens' and
    'Bath & N.E Somerset' are found; a misspelling is refused, never guessed, with
    the nearest names offered. Where an authority must exist on a day (``as_of``)
    or today (``current``), an abolished one is refused naming the authorities that
    succeeded it and since when; one created later names its predecessors.

    Parameters
    ----------
    name_or_code : str, int, float or None
        What the person typed.
    as_of : datetime.date, ISO date str or None
        The authority must have existed on this day (a name shared over time, such
        as North Yorkshire, picks the one of that day).
    current : bool
        With no ``as_of``: the authority must exist today.

    Returns
    -------
    Match
        ``match`` is 'code', 'exact' or 'alias'.

    Raises
    ------
    UnknownAuthority
        One line: the name refused and the authorities to offer instead.

    Examples
    --------
    >>> match_authority_strict("st helens").la_name
    'St. Helens'
    >>> try:
    ...     match_authority_strict("Leicestr")
    ... except UnknownAuthority as err:
    ...     print(err)
    no authority 'Leicestr'; did you mean Leicester (E06000016)?
    >>> try:
    ...     match_authority_strict("Bedfordshire", current=True)
    ... except UnknownAuthority as err:
    ...     print(err)  # doctest: +NORMALIZE_WHITESPACE
    Bedfordshire (DfE 820) was abolished on 2009-04-01; succeeded from 2009-04-01
    by Bedford (E06000055) and Central Bedfordshire (E06000056): give one of them
    >>> match_authority_strict("Cumbria", as_of="2022-03-31").la_code
    'E10000006'
    """
    text = _query_text(name_or_code)
    query = (text or "").strip()
    if not query:
        raise UnknownAuthority("", "no authority given", reason="unknown")
    day = as_date(as_of)
    m = resolve_authority(query, day, guess=False)
    reg = registry()
    if m.match == "total-row":
        what = m.note or "a total row"
        raise UnknownAuthority(
            query, f"{query!r} is a {what}, not one authority", reason="area"
        )
    if m.match == "none":
        raise _not_found(reg, m, query, day, current)
    ent = _entity(reg, m)
    if ent is None:  # pragma: no cover - every match comes from the registry
        return m
    if day is not None and not ent.valid_on(day):
        if ent.valid_to is not None and day > ent.valid_to:
            raise _abolished(reg, ent, day, query)
        raise _not_yet(reg, ent, day, query)
    if day is None and current and not ent.current:
        raise _abolished(reg, ent, None, query)
    return m


def _not_found(
    reg: Registry, m: Match, query: str, day: date | None, current: bool
) -> UnknownAuthority:
    """The refusal of a name that matched no authority: a combined row names its
    parts, an ambiguous one asks for a code, anything else offers the nearest."""
    if m.note.startswith("combined row"):
        # Candidates read 'Name (E06000061)' or 'Name (DfE 820)'.
        keys = [
            c.rsplit("(", 1)[-1].rstrip(")").removeprefix("DfE ") for c in m.candidates
        ]
        parts = tuple(_suggestion(reg.entities[k]) for k in keys if k in reg.entities)
        return UnknownAuthority(
            query,
            f"{query!r}: {m.note}; name one of them",
            reason="combined",
            suggestions=parts,
        )
    if m.note.startswith("ambiguous"):
        return UnknownAuthority(
            query, f"{query!r} is {m.note}; give a code", reason="unknown"
        )
    near = _nearest(query, day, current)
    message = f"no authority {query!r}"
    if near:
        message += f"; did you mean {_names(list(near), 'or')}?"
    else:
        message += (
            " (give an authority's name, ONS or DfE code; "
            "'lacompare resolve' matches a file of names)"
        )
    return UnknownAuthority(query, message, reason="unknown", suggestions=near)


def strict_record(name_or_code: str, as_of: date | str | None = None) -> dict[str, str]:
    """What ``lacompare resolve NAME`` shows: the authority a name, code or alias
    names exactly, as one flat record (strings; '' for none).

    Raises :class:`UnknownAuthority` as :func:`match_authority_strict` does.

    Examples
    --------
    >>> rec = strict_record("St.Helens")
    >>> rec["la_code"], rec["dfe_code"], rec["la_name"], rec["match"]
    ('E08000013', '342', 'St. Helens', 'exact')
    >>> strict_record("Bedfordshire")["note"][:38]
    'abolished 2009-04-01; successors Bedfo'
    """
    m = match_authority_strict(name_or_code, as_of=as_of)
    ent = _entity(registry(), m)
    fields = {
        "query": m.query,
        "la_code": m.la_code,
        "dfe_code": m.dfe_code,
        "la_name": m.la_name,
        "region": m.region,
        "london_region": m.london_region,
        "la_type": m.la_type,
        "match": m.match,
        "valid_from": ent.valid_from.isoformat() if ent and ent.valid_from else "",
        "valid_to": ent.valid_to.isoformat() if ent and ent.valid_to else "",
        "note": m.note,
    }
    return {k: "" if v is None else str(v) for k, v in fields.items()}
