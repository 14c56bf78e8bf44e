"""Boundary and code changes of upper-tier authorities, and the policies for them.

The changes are data (``data/changes.csv``, sources named in the file): the day each
took effect, the authorities before and after, its kind and whether both sides cover
the same area. A series that crosses a change can be treated three ways, chosen by the
user (:data:`POLICIES`, applied by :func:`lacompare.derive.derive_harmonised` as a
derive step that writes new measures and never alters loaded values):

``keep``
    As published: each authority's values stay under the code it was published
    with. Nothing is written; the changes that touch the measure are listed.
``aggregate``
    Make series comparable across a change. A **recode** (same area, new code:
    Buckinghamshire 2020, North Yorkshire and Somerset 2023) is chained into one
    series under the new code. A **split** is compared with its predecessor by
    summing the successors (North + West Northamptonshire under Northamptonshire from
    2021); a **merge** by summing the predecessors under the successor; a
    **merge-split** (Bournemouth, Poole and Dorset 2019) by summing each side into a
    group total. Sums are made only for counts — measures whose unit is additive
    (``lacompare/derive/data/units.csv``: children, persons, £ …). Rates and
    percentages are never summed: a derived rate is recomputed from its harmonised
    count and population; another non-additive measure is chained across recodes only.
    A sum with a missing member is missing, with the member's reason.
``flag``
    Mark series breaks: one row per authority, measure and change whose series stops
    or starts at the change (table ``series_breaks``), values unchanged.

Examples
--------
>>> changes = read_changes()
>>> [c.change_id for c in changes if c.kind == "split"]
['northamptonshire-2021', 'cumbria-2023']
>>> c = change_of("E10000021")[0]
>>> c.successors, c.date.isoformat()
(('E06000061', 'E06000062'), '2021-04-01')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from lacompare.errors import InputError

#: What the user can ask for.
POLICIES = ("keep", "aggregate", "flag")
#: Kinds of change in ``data/changes.csv``.
KINDS = ("recode", "split", "merge", "merge-split", "boundary")


@dataclass(frozen=True)
class BoundaryChange:
    """One change: predecessors → successors on ``date`` (registry codes)."""

    change_id: str
    date: date
    kind: str
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    same_area: bool
    name: str
    sources: str

    @property
    def codes(self) -> tuple[str, ...]:
        return self.predecessors + self.successors


@cache
def _changes() -> tuple[BoundaryChange, ...]:
    from lacompare.geography._registry import _read_data_csv

    frame = _read_data_csv("changes.csv")
    out = []
    for row in frame.itertuples(index=False):
        if row.kind not in KINDS:
            raise InputError(
                f"unknown kind {row.kind!r} (one of {', '.join(KINDS)})",
                file="lacompare/geography/data/changes.csv",
                column="kind",
            )
        out.append(
            BoundaryChange(
                change_id=row.change_id,
                date=date.fromisoformat(row.date),
                kind=row.kind,
                predecessors=tuple(c for c in row.predecessors.split(";") if c),
                successors=tuple(c for c in row.successors.split(";") if c),
                same_area=row.same_area == "yes",
                name=row.name,
                sources=row.sources,
            )
        )
    return tuple(out)


def read_changes() -> list[BoundaryChange]:
    """Every change in ``data/changes.csv``, in date order.

    Examples
    --------
    >>> [c.kind for c in read_changes()][:3]
    ['merge-split', 'recode', 'split']
    """
    return sorted(_changes(), key=lambda c: (c.date, c.change_id))


def change_of(code: str) -> list[BoundaryChange]:
    """The changes an authority took part in, as predecessor or successor.

    Examples
    --------
    >>> [c.change_id for c in change_of("E06000058")]
    ['dorset-2019']
    >>> change_of("E08000035")
    []
    """
    return [c for c in read_changes() if code in c.codes]


def check_policy(policy: str) -> str:
    """The policy, or a one-line error naming the choices.

    Examples
    --------
    >>> check_policy("flag")
    'flag'
    >>> check_policy("merge")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lacompare.errors.InputError: boundary policy must be keep, aggregate or flag, ...
    """
    if policy not in POLICIES:
        raise InputError(
            f"boundary policy must be keep, aggregate or flag, not {policy!r}"
        )
    return policy


def continuing_codes() -> dict[str, str]:
    """Old code → the code its authority has today, for every same-area recode.

    A recode (``kind`` ``recode`` with ``same_area`` yes, one predecessor and one
    successor) gives the same authority a new ONS code; analyses count the two
    codes as one continuing series under the newer code. Chains of recodes are
    followed to the end.

    Examples
    --------
    >>> codes = continuing_codes()
    >>> codes["E10000002"], codes["E10000023"], codes["E10000027"]
    ('E06000060', 'E06000065', 'E06000066')
    >>> "E10000021" in codes  # Northamptonshire was split, not recoded
    False
    """
    step = {
        c.predecessors[0]: c.successors[0]
        for c in read_changes()
        if c.kind == "recode"
        and c.same_area
        and len(c.predecessors) == 1
        and len(c.successors) == 1
    }
    out = {}
    for old, new in step.items():
        seen = {old}
        while new in step and new not in seen:
            seen.add(new)
            new = step[new]
        out[old] = new
    return out


def recode_into(code: str) -> BoundaryChange | None:
    """The same-area recode that gave ``code`` its code, if any.

    Examples
    --------
    >>> recode_into("E06000060").change_id
    'buckinghamshire-2020'
    >>> recode_into("E06000061") is None
    True
    """
    for c in read_changes():
        if c.kind == "recode" and c.same_area and code in c.successors:
            return c
    return None


def split_into(code: str) -> BoundaryChange | None:
    """The split (or merge-split) that created ``code`` from a larger
    predecessor, if any.

    Examples
    --------
    >>> split_into("E06000061").change_id
    'northamptonshire-2021'
    >>> split_into("E06000060") is None
    True
    """
    for c in read_changes():
        if c.kind in ("split", "merge-split") and code in c.successors:
            return c
    return None
