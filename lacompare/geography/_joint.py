"""Joint returns: authorities that publish one figure for all of them.

Some authorities' children's services are run by one body that makes one
statistical return for the group: North and West Northamptonshire (Northamptonshire
Children's Trust, from 2021), Kingston upon Thames and Richmond upon Thames
(Achieving for Children). Published files then give one row for the group. The
partnerships are data (``data/joint_returns.csv``, with its sources); a row is a
joint return when it names several authorities ('A / B') or a partnership's name
as files print it.

Examples
--------
>>> j = match_joint_return("Kingston upon Thames / Richmond upon Thames", "2024-09-30")
>>> j.partnership, j.members
('Achieving for Children', ('E09000021', 'E09000027'))
>>> joint_note("E09000027", j.members, j.partnership)
'joint return with Kingston upon Thames (Achieving for Children)'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from ._choose import as_date
from ._registry import _read_data_csv, read_authorities

__all__ = [
    "JointReturn",
    "joint_note",
    "joint_return_of",
    "match_joint_return",
    "read_joint_returns",
]


@dataclass(frozen=True)
class JointReturn:
    """One partnership making a single return for its members.

    ``members`` are registry codes; the first is the member a distribution counts
    the shared figure under (:func:`joint_return_of`).
    """

    partnership_id: str
    partnership: str
    members: tuple[str, ...]
    dfe_codes: tuple[str, ...]
    name_patterns: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None
    #: A regular expression (case-insensitive) of the measures the single return
    #: covers ('' = none named).
    measures: str
    source: str

    def covers(self, measure: str) -> bool:
        """Whether ``measure`` is one the partnership's single return gives.

        Examples
        --------
        >>> j = read_joint_returns()[1]
        >>> j.covers("Work_Force_TO_Rate"), j.covers("cla_rate_per_10000")
        (True, False)
        """
        return (
            bool(self.measures) and re.search(self.measures, measure, re.I) is not None
        )

    def valid_on(self, as_of: date | str | None) -> bool:
        """Whether the partnership made one return on ``as_of`` (True with no
        date)."""
        day = as_date(as_of)
        if day is None:
            return True
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


def _fold(text: str) -> str:
    """A name as patterns are compared: lower case, '&' as 'and', apostrophes
    dropped, other punctuation and spaces as one space ('/' kept)."""
    text = str(text).lower().replace("&", " and ").replace("’", "").replace("'", "")
    text = re.sub(r"\s*/\s*", " / ", text)
    return re.sub(r"[^a-z0-9/]+", " ", text).strip()


@cache
def _partnerships() -> tuple[JointReturn, ...]:
    frame = _read_data_csv("joint_returns.csv")
    out = []
    for r in frame.itertuples(index=False):
        out.append(
            JointReturn(
                partnership_id=r.partnership_id,
                partnership=r.partnership,
                members=tuple(c.strip() for c in r.member_codes.split(";")),
                dfe_codes=tuple(c.strip() for c in r.member_dfe_codes.split(";")),
                name_patterns=tuple(
                    p.strip() for p in r.name_patterns.split("|") if p.strip()
                ),
                valid_from=as_date(r.valid_from or None),
                valid_to=as_date(r.valid_to or None),
                measures=r.measures,
                source=r.source,
            )
        )
    return tuple(out)


def read_joint_returns() -> list[JointReturn]:
    """The partnerships of ``data/joint_returns.csv``, in file order.

    Examples
    --------
    >>> [j.partnership_id for j in read_joint_returns()]
    ['northamptonshire-childrens-trust', 'achieving-for-children']
    """
    return list(_partnerships())


def match_joint_return(
    text: str, as_of: date | str | None = None
) -> JointReturn | None:
    """The partnership a file's name for a row means ('Achieving for Children',
    '940 / 941'), if it was making one return on ``as_of``; else None.

    Examples
    --------
    >>> match_joint_return("NORTH & WEST NORTHAMPTONSHIRE").partnership
    "Northamptonshire Children's Trust"
    >>> match_joint_return("Northamptonshire Children's Trust", "2019-03-31") is None
    True
    """
    for joint in _named(str(text)):
        if joint.valid_on(as_of):
            return joint
    return None


@lru_cache(maxsize=8192)
def _named(text: str) -> tuple[JointReturn, ...]:
    """The partnerships a name's patterns match (cached: a file repeats its
    names on every period's rows, and ingest asks of each)."""
    return _by_pattern().get(_fold(text), ())


@cache
def _by_pattern() -> dict[str, tuple[JointReturn, ...]]:
    """Each folded name pattern's partnerships (matching is one look-up: ingest
    asks of every distinct name in a file)."""
    out: dict[str, tuple[JointReturn, ...]] = {}
    for joint in _partnerships():
        for pattern in joint.name_patterns:
            out[_fold(pattern)] = (*out.get(_fold(pattern), ()), joint)
    return out


def joint_return_of(
    codes: Iterable[str], as_of: date | str | None = None
) -> JointReturn | None:
    """The listed partnership whose members are exactly ``codes`` (any order),
    if it was making one return on ``as_of``; else None.

    Examples
    --------
    >>> joint_return_of(["E06000062", "E06000061"]).partnership_id
    'northamptonshire-childrens-trust'
    >>> joint_return_of(["E06000061", "E09000021"]) is None
    True
    """
    wanted = {str(c).strip() for c in codes}
    for joint in _partnerships():
        if set(joint.members) == wanted and joint.valid_on(as_of):
            return joint
    return None


@cache
def _names() -> dict[str, str]:
    frame = read_authorities()
    return dict(zip(frame["la_code"], frame["la_name"], strict=True))


def joint_note(la_code: str, members: Sequence[str], partnership: str | None) -> str:
    """How an output flags a member's shared figure: 'joint return with <the
    other members> (<partnership>)'.

    Examples
    --------
    >>> joint_note("E06000061", ["E06000061", "E06000062"], None)
    'joint return with West Northamptonshire'
    """
    partners = [_names().get(c, c) for c in members if c != la_code]
    named = (
        ", ".join(partners[:-1]) + " and " + partners[-1]
        if len(partners) > 1
        else "".join(partners)
    )
    text = "joint return with " + named
    return text + (f" ({partnership})" if partnership else "")
