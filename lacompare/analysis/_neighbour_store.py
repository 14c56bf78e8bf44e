"""Neighbour sets in the store: the tables ``neighbour_sets`` and ``neighbours``.

Writing a set (all or nothing), reading one back with names, listing the sets,
choosing the set a command means, and the authorities that existed on a set's day.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from lacompare.errors import InputError

if TYPE_CHECKING:
    from lacompare.store import Store


def as_of(valid_for: str | None) -> date | None:
    from lacompare.cells import period_as_of

    if valid_for is None or not str(valid_for).strip():
        return None
    day = period_as_of(str(valid_for))
    if day is None:
        raise InputError(
            f"valid_for {valid_for!r}: give a period (2021, 2021-22, "
            "2021/22) or a date (2021-04-01)"
        )
    return day


def valid_on(store: Store, day: date | None) -> pd.DataFrame:
    """Authorities with ``exists`` = whether they existed on ``day``."""
    frame = store.query(
        """SELECT la_code, la_name, region, valid_from, valid_to,
                  (? IS NULL OR ((valid_from IS NULL OR valid_from <= ?)
                                 AND (valid_to IS NULL OR valid_to >= ?))) AS exists
           FROM authorities""",
        [day, day, day],
    )
    return frame.set_index("la_code")


def write_set(
    store: Store,
    set_id: str,
    label: str | None,
    method: str,
    source: str | None,
    params: Mapping[str, Any],
    valid_for: str | None,
    rows: pd.DataFrame,
    replace: bool,
) -> None:
    exists = store.con.execute(
        "SELECT count(*) FROM neighbour_sets WHERE set_id = ?", [set_id]
    ).fetchall()[0][0]
    if exists and not replace:
        raise InputError(
            f"neighbour set {set_id!r} exists: choose another set id or "
            "replace it (replace=True, --replace)"
        )
    table = rows[["la_code", "neighbour_code", "rank", "distance", "closeness"]]
    table = table.assign(set_id=set_id)
    store.con.register("_nb_rows", table)
    try:
        store.con.execute("BEGIN")
        store.con.execute("DELETE FROM neighbours WHERE set_id = ?", [set_id])
        store.con.execute("DELETE FROM neighbour_sets WHERE set_id = ?", [set_id])
        store.con.execute(
            "INSERT INTO neighbour_sets (set_id, label, method, source, params, "
            "valid_for) VALUES (?, ?, ?, ?, ?, ?)",
            [set_id, label, method, source, json.dumps(params, default=str), valid_for],
        )
        store.con.execute(
            """INSERT INTO neighbours (set_id, la_code, neighbour_code, rank,
                                       distance, closeness)
               SELECT set_id, la_code, neighbour_code, CAST(rank AS INTEGER),
                      CAST(distance AS DOUBLE), NULLIF(CAST(closeness AS VARCHAR), '')
               FROM _nb_rows"""
        )
        store.con.execute("COMMIT")
    except Exception:
        store.con.execute("ROLLBACK")
        raise
    finally:
        store.con.unregister("_nb_rows")


def set_frame(store: Store, set_id: str) -> pd.DataFrame:
    return store.query(
        """SELECT n.la_code, a.la_name, n.rank, n.neighbour_code,
                  b.la_name AS neighbour_name, b.region AS neighbour_region,
                  n.distance, n.closeness
           FROM neighbours n
           LEFT JOIN authorities a ON a.la_code = n.la_code
           LEFT JOIN authorities b ON b.la_code = n.neighbour_code
           WHERE n.set_id = ? ORDER BY a.la_name, n.la_code, n.rank""",
        [set_id],
    )


def empty_excluded() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("la_code", "la_name", "reason")}
    )


def list_neighbour_sets(store: Store) -> pd.DataFrame:
    """The neighbour sets in the store, with authority and row counts.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list(list_neighbour_sets(s).columns)[:3]
    ['set_id', 'label', 'method']
    """
    return store.query(
        """SELECT s.set_id, s.label, s.method, s.valid_for,
                  count(DISTINCT n.la_code) AS authorities, count(n.la_code) AS rows,
                  s.source, s.created_at
           FROM neighbour_sets s LEFT JOIN neighbours n USING (set_id)
           GROUP BY ALL ORDER BY s.created_at, s.set_id"""
    )


def default_set(store: Store, set_id: str | None) -> str:
    sets = [
        r[0]
        for r in store.con.execute(
            "SELECT set_id FROM neighbour_sets ORDER BY created_at"
        ).fetchall()
    ]
    if set_id is not None:
        if set_id not in sets:
            raise InputError(
                f"no neighbour set {set_id!r} in the store"
                + (
                    f"; sets: {', '.join(sets)}"
                    if sets
                    else " (load one: lacompare neighbours load)"
                )
            )
        return set_id
    if len(sets) == 1:
        return sets[0]
    if not sets:
        raise InputError(
            "no neighbour sets in the store (load one: lacompare "
            "neighbours load dfe-2025)"
        )
    raise InputError(
        "several neighbour sets in the store; choose one: " + ", ".join(sets)
    )
