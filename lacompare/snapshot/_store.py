"""Snapshot tables in the store: dated monthly measures of one authority, staff
headcount and budget lines.

The tables are the store's (:mod:`lacompare.store` creates them with its schema
when a store is opened for writing; a store opened read-only may predate them,
so the readers check). Each load is a row of the store's ``sources`` table
(:func:`lacompare.store.record_load`; ``spec`` says which kind of snapshot file
it was), so every value can be traced to its file, sheet, row and column like
any other value.

``snapshot_values.half_width`` says how exact a value is: 0 for an exact figure
(a count, or a rate computed from a case-level extract), else half a unit of
the last printed decimal (``0.5`` for a rate printed ``47``): the true value
lies within ``value ± half_width``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = [
    "write_snapshot_values",
    "write_resource_lines",
    "read_snapshot_values",
    "read_resource_lines",
    "snapshot_dates",
    "add_source",
    "VALUE_COLUMNS",
    "RESOURCE_COLUMNS",
]

#: Columns of a frame of snapshot values (as written and as read back).
VALUE_COLUMNS = [
    "la_code",
    "snapshot_date",
    "measure",
    "breakdown",
    "label",
    "unit",
    "value",
    "missing_reason",
    "half_width",
    "decimals",
    "raw",
    "note",
    "synthetic",
    "source_row",
    "source_column",
]
#: Columns of a frame of headcount or budget lines.
RESOURCE_COLUMNS = [
    "la_code",
    "kind",
    "as_of",
    "position",
    "section",
    "line",
    "amount",
    "missing_reason",
    "row_role",
    "unit",
    "raw",
    "source_row",
    "level",
]


def _has_tables(store: Store) -> bool:
    return {"snapshot_values", "resource_lines"} <= set(store.tables())


def add_source(
    store: Store,
    file: str,
    sheet: str | None,
    sha256: str,
    kind: str,
    n: int,
    note: str | None = None,
) -> int:
    """Record a load in ``sources`` and return its id (inside the caller's
    transaction)."""
    from lacompare.store import record_load

    return record_load(
        store, file=file, sheet=sheet, sha256=sha256, spec=kind, values=n, note=note
    )


def _transaction(store: Store, work: Any) -> Any:
    store.con.execute("BEGIN")
    try:
        out = work()
        store.con.execute("COMMIT")
    except Exception:
        store.con.execute("ROLLBACK")
        raise
    return out


def write_snapshot_values(
    store: Store,
    values: pd.DataFrame,
    *,
    file: str,
    sheet: str | None,
    sha256: str,
    kind: str,
    note: str | None = None,
) -> tuple[int, int]:
    """Store snapshot values (all or nothing) and return (source id, replaced).

    A value for an authority, date and measure already in the store is
    replaced by the new load; the count of replaced values is returned so the
    caller can say so.
    """
    if values.empty:
        raise InputError("no snapshot values to load", file=file, sheet=sheet)
    frame = values.reindex(columns=VALUE_COLUMNS)

    def work() -> tuple[int, int]:
        sid = add_source(store, file, sheet, sha256, kind, len(frame), note)
        store.con.register("_snap", frame)
        try:
            replaced = store.con.execute(
                """SELECT count(*) FROM snapshot_values v JOIN _snap n
                   ON v.la_code = n.la_code
                  AND v.snapshot_date = CAST(n.snapshot_date AS DATE)
                  AND v.measure = n.measure AND v.breakdown = n.breakdown"""
            ).fetchall()[0][0]
            cols = ", ".join(VALUE_COLUMNS)
            store.con.execute(
                f"""INSERT OR REPLACE INTO snapshot_values ({cols}, source_id)
                    SELECT la_code, CAST(snapshot_date AS DATE), measure, breakdown,
                           label, unit, value, missing_reason, half_width,
                           decimals, raw, note, synthetic, source_row,
                           source_column, ? FROM _snap""",
                [sid],
            )
        finally:
            store.con.unregister("_snap")
        return sid, int(replaced)

    return _transaction(store, work)


def write_resource_lines(
    store: Store,
    lines: pd.DataFrame,
    *,
    file: str,
    sheet: str | None,
    sha256: str,
    kind: str,
) -> tuple[int, int]:
    """Store headcount or budget lines (all or nothing), replacing those of the
    same authority, kind and date; returns (source id, lines replaced)."""
    if lines.empty:
        raise InputError("no lines to load", file=file, sheet=sheet)
    frame = lines.reindex(columns=RESOURCE_COLUMNS)
    keys = frame[["la_code", "kind", "as_of"]].drop_duplicates().values.tolist()

    def work() -> tuple[int, int]:
        sid = add_source(store, file, sheet, sha256, f"snapshot:{kind}", len(frame))
        replaced = 0
        for la_code, what, as_of in keys:
            replaced += store.con.execute(
                "SELECT count(*) FROM resource_lines WHERE la_code = ? AND kind = ? "
                "AND as_of = ?",
                [la_code, what, as_of],
            ).fetchall()[0][0]
            store.con.execute(
                "DELETE FROM resource_lines WHERE la_code = ? AND "
                "kind = ? AND as_of = ?",
                [la_code, what, as_of],
            )
        store.con.register("_lines", frame)
        try:
            cols = ", ".join(RESOURCE_COLUMNS)
            store.con.execute(
                f"INSERT INTO resource_lines ({cols}, source_id) "
                f"SELECT {cols}, ? FROM _lines",
                [sid],
            )
        finally:
            store.con.unregister("_lines")
        return sid, int(replaced)

    return _transaction(store, work)


def read_snapshot_values(
    store: Store, la_code: str | None = None, date: str | None = None
) -> pd.DataFrame:
    """Snapshot values (of an authority, a date), with their source file.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     len(read_snapshot_values(s, "E06000016"))
    0
    """
    import pandas as pd

    if not _has_tables(store):
        return pd.DataFrame(columns=[*VALUE_COLUMNS, "source_id", "file", "sheet"])
    cond, params = [], []
    if la_code:
        cond.append("v.la_code = ?")
        params.append(la_code)
    if date:
        cond.append("v.snapshot_date = CAST(? AS DATE)")
        params.append(str(date))
    where = ("WHERE " + " AND ".join(cond)) if cond else ""
    frame = store.query(
        f"""SELECT v.*, s.file, s.sheet FROM snapshot_values v
            LEFT JOIN sources s USING (source_id) {where}
            ORDER BY v.snapshot_date, v.measure, v.breakdown""",
        params,
    )
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    return frame


def snapshot_dates(store: Store, la_code: str | None = None) -> list[tuple[str, Any]]:
    """(authority, date) pairs that have snapshot values, in date order."""
    if not _has_tables(store):
        return []
    where, params = ("WHERE la_code = ?", [la_code]) if la_code else ("", [])
    return [
        (r[0], r[1])
        for r in store.con.execute(
            f"SELECT DISTINCT la_code, snapshot_date FROM snapshot_values {where} "
            "ORDER BY snapshot_date, la_code",
            params,
        ).fetchall()
    ]


def read_resource_lines(
    store: Store, la_code: str, kind: str, as_of: str | None = None
) -> pd.DataFrame:
    """Headcount or budget lines of an authority: those ``as_of`` or the latest."""
    import pandas as pd

    if not _has_tables(store):
        return pd.DataFrame(columns=RESOURCE_COLUMNS)
    if as_of is None:
        latest = store.con.execute(
            "SELECT max(as_of) FROM resource_lines WHERE la_code = ? AND kind = ?",
            [la_code, kind],
        ).fetchall()[0][0]
        if latest is None:
            return pd.DataFrame(columns=RESOURCE_COLUMNS)
        as_of = latest
    return store.query(
        """SELECT r.*, s.file, s.sheet, s.loaded_at FROM resource_lines r
           LEFT JOIN sources s USING (source_id)
           WHERE la_code = ? AND kind = ? AND as_of = ? ORDER BY position""",
        [la_code, kind, as_of],
    )
