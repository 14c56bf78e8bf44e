"""A scratch store: an in-memory copy of some measures of a store, to compute in
without changing the store itself (a report reads the user's store read-only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store

__all__ = ["scratch_store"]


def _copy_rows(
    source: Store,
    target: Store,
    table: str,
    where: str = "",
    params: list[Any] | None = None,
) -> pd.DataFrame:
    frame = source.query(f"SELECT * FROM {table} {where}", params)
    if len(frame):
        target.con.register("_scratch_copy", frame)
        try:
            # observations is a view: its rows are written as cells.
            into = "observation_cells" if table == "observations" else table
            target.con.execute(
                f"INSERT INTO {into} BY NAME SELECT * FROM _scratch_copy"
            )
        finally:
            target.con.unregister("_scratch_copy")
    return frame


def scratch_store(store: Store, measures: list[str]) -> Store:
    """An in-memory store holding ``measures`` (current values, totals, their
    loads and measure rows) and the neighbour sets, to derive in.

    The copied loads keep their ids, so provenance still names them; a load
    made in the scratch store gets a fresh id. Close it when done.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                         "period": "2024", "value": 2.0}], file="t.csv")
    ...     with scratch_store(s, ["m"]) as copy:
    ...         list(copy.read_values(columns=["measure", "value", "source_id"])
    ...              .itertuples(index=False))
    [Pandas(measure='m', value=2.0, source_id=1)]
    """
    from lacompare.store import open_store

    scratch = open_store(":memory:")
    try:
        ids: set[int] = set()
        for table in ("observations", "totals"):
            rows = _copy_rows(
                store, scratch, table, "WHERE measure IN (SELECT unnest(?))", [measures]
            )
            ids.update(int(i) for i in rows["source_id"].dropna())
        _copy_rows(
            store,
            scratch,
            "measures",
            "WHERE measure IN (SELECT unnest(?))",
            [measures],
        )
        _copy_rows(
            store,
            scratch,
            "sources",
            "WHERE source_id IN (SELECT unnest(?))",
            [sorted(ids)],
        )
        _copy_rows(store, scratch, "neighbour_sets")
        _copy_rows(store, scratch, "neighbours")
        # Move the id sequence past the copied loads.
        top = max(ids, default=0)
        if top:
            scratch.con.execute(
                "SELECT nextval('source_ids') FROM range(?)", [top]
            ).fetchall()
    except Exception:
        scratch.close()
        raise
    return scratch
