"""Continuing authorities: a same-area recode is one series in every analysis.

Buckinghamshire (2020), North Yorkshire and Somerset (2023) got new ONS codes with
unchanged boundaries. The recodes are data (``lacompare/geography/data/changes.csv``,
:func:`lacompare.geography.changes.continuing_codes`); an analysis reads a value
published on the old code as the value of the authority under its code today, when
the authority has no value of its own for that period, and says which recodes it
used (:func:`continued_note`). Split authorities (North and West Northamptonshire,
Cumberland, Westmorland and Furness, …) are not continued: a factor published for
the predecessor only is a stated reason (:func:`split_reason`), never a copy.

Examples
--------
>>> recode_table().set_index("old_code").loc["E10000002", "la_code"]
'E06000060'
>>> note = continued_note({("E06000060", "E10000002")}, {"E06000060": "Bucks"})
>>> note.split(": ")[1]
'Bucks (E10000002 → E06000060, 1 Apr 2020)'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from lacompare.store import Store


def recode_table() -> pd.DataFrame:
    """``old_code, la_code, change_id, date`` of every same-area recode (the
    code today for each old one)."""
    from lacompare.geography.changes import continuing_codes, recode_into

    rows = []
    for old, new in sorted(continuing_codes().items()):
        change = recode_into(new)
        rows.append(
            {
                "old_code": old,
                "la_code": new,
                "change_id": change.change_id if change else "",
                "date": change.date.isoformat() if change else "",
            }
        )
    return pd.DataFrame(rows, columns=["old_code", "la_code", "change_id", "date"])


@contextmanager
def registered_recodes(store: Store) -> Iterator[str]:
    """The recode table registered on the store's connection under a name to
    join on (``old_code, la_code``), for the length of the block."""
    table = recode_table()[["old_code", "la_code"]]
    name = f"_recodes_{id(table)}"
    store.con.register(name, table)
    try:
        yield name
    finally:
        store.con.unregister(name)


def map_codes(codes: Iterable[str]) -> list[str]:
    """Each code as the continuing authority's code today, without repeats."""
    from lacompare.geography.changes import continuing_codes

    today = continuing_codes()
    return list(dict.fromkeys(today.get(c, c) for c in codes))


def _day(iso: str) -> str:
    from datetime import date

    day = date.fromisoformat(iso)
    return f"{day.day} {day:%b %Y}"


def continued_note(pairs: Iterable[tuple[str, str]], names: Mapping[str, str]) -> str:
    """One sentence naming the recodes used: ``pairs`` of (code today, old code)
    whose old code gave a value; ``''`` for none."""
    table = recode_table().set_index("old_code")
    parts = []
    for new, old in sorted(set(pairs), key=lambda p: (names.get(p[0], p[0]), p[1])):
        when = table["date"].get(old, "")
        parts.append(
            f"{names.get(new, new)} ({old} → {new}"
            + (f", {_day(when)}" if when else "")
            + ")"
        )
    if not parts:
        return ""
    return "counted as one series across a same-area recode: " + "; ".join(parts)


def split_reason(code: str, with_value: set[str], names: Mapping[str, str]) -> str:
    """Why a successor of a split has no value when its predecessor has one
    (``with_value``: the codes with a value): ``'published for Northamptonshire
    only (split 1 Apr 2021)'``; ``''`` when that is not why.

    Examples
    --------
    >>> split_reason("E06000061", {"E10000021"}, {"E10000021": "Northants"})
    'published for Northants only (split 1 Apr 2021; no estimate for the new areas)'
    >>> split_reason("E06000061", set(), {})
    ''
    """
    from lacompare.geography.changes import split_into

    change = split_into(code)
    if change is None:
        return ""
    had = [p for p in change.predecessors if p in with_value]
    if not had:
        return ""
    who = " and ".join(names.get(p, p) for p in had)
    return (
        f"published for {who} only ({change.kind} {_day(change.date.isoformat())}; "
        "no estimate for the new areas)"
    )
