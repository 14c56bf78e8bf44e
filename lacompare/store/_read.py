"""Reading the store: the one way every later stage reaches values.

Stages never name the observation tables in SQL. They ask for values by
authority, measure, period and breakdown, and get a pandas frame
(:func:`read_values`), or, to aggregate in DuckDB without a round trip through
pandas, a relation over exactly those values (:func:`values_relation`). What the
store holds is listed by :func:`list_measures`, :func:`list_breakdowns`,
:func:`list_periods`, :func:`list_sources`, :func:`list_authorities` and
:func:`count_values`; :class:`~lacompare.store.Store` offers each as a method.

Counting is one rule here: a *value* is a figure (``value IS NOT NULL``); a
*missing* value is a cell the publisher marked (suppressed, not applicable, ...),
kept with its reason. ``lacompare info`` and the web app's data page both count
with :func:`count_values` and :func:`list_measures`, so they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from lacompare.store import Store

#: Every column a value has: its key, the figure or the reason it is missing, the
#: publisher's label and text, and where it came from.
VALUE_COLUMNS = (
    "la_code",
    "measure",
    "period",
    "breakdown",
    "value",
    "missing_reason",
    "label",
    "raw",
    "source_id",
    "source_row",
    "source_column",
)


def _listed(name: str, items: str | Iterable[str] | None) -> list[str] | None:
    """One name or many as a list; None for no filter. An empty list filters
    everything out, as SQL's ``IN ()`` would."""
    if items is None:
        return None
    if isinstance(items, str):
        return [items]
    out = list(items)
    if any(not isinstance(i, str) for i in out):
        raise InputError(f"{name}: give names as text, not {out!r}")
    return out


def _where(
    measures: str | Iterable[str] | None,
    authorities: str | Iterable[str] | None,
    periods: str | Iterable[str] | None,
    breakdowns: str | Iterable[str] | None,
    sources: Iterable[int] | None,
    present_only: bool,
) -> tuple[str, list[Any]]:
    """The WHERE clause and its parameters for the filters given."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, items in (
        ("measure", _listed("measures", measures)),
        ("la_code", _listed("authorities", authorities)),
        ("period", _listed("periods", periods)),
        ("breakdown", _listed("breakdowns", breakdowns)),
    ):
        if items is None:
            continue
        if len(items) == 1:
            # A plain equality reaches the tables' own columns (and zone maps).
            clauses.append(f"{column} = ?")
            params.append(items[0])
        else:
            clauses.append(f"{column} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(items)
    if sources is not None:
        clauses.append("source_id IN (SELECT unnest(?::INTEGER[]))")
        params.append([int(s) for s in sources])
    if present_only:
        clauses.append("value IS NOT NULL")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


#: How a read treats joint returns (one figure for several authorities, stored
#: under each member; ``joint_returns``): ``each`` member's copy as a value of its
#: own (the default), ``flag`` adds :data:`JOINT_COLUMNS`, ``once`` leaves out the
#: copies a distribution does not count (the count-once rule: each joint figure
#: once, under its first member).
JOINT_READS = ("each", "flag", "once")
#: The columns ``joint="flag"`` adds: the group's codes (';'-separated, the
#: counted member first; NULL for a value of one authority), the partnership's
#: name and whether a distribution counts this copy (True for a value of one
#: authority).
JOINT_COLUMNS = ("joint_members", "joint_partnership", "joint_counted")


def _has_joint_returns(store: Store) -> bool:
    """Whether the store has the ``joint_returns`` table (a store written before it
    and opened read-only has not: it holds no joint copies either)."""
    return bool(
        store.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
            "'main' AND table_name = 'joint_returns'"
        ).fetchall()[0][0]
    )


def _joint_sql(store: Store, select: str, chosen: list[str], joint: str) -> str:
    """The read of ``select`` (whose columns are ``chosen`` and the copy's key)
    with joint returns flagged or counted once."""
    shown = ", ".join(f"v.{c}" for c in chosen)
    if not _has_joint_returns(store):
        if joint == "flag":
            shown += ", NULL::VARCHAR AS joint_members, NULL::VARCHAR AS "
            shown += "joint_partnership, true AS joint_counted"
        return f"SELECT {shown} FROM ({select}) v"
    on = (
        "j.source_id = v.source_id AND j.source_row = v.source_row "
        "AND j.la_code = v.la_code"
    )
    if joint == "once":
        return (
            f"SELECT {shown} FROM ({select}) v ANTI JOIN (SELECT source_id, "
            f"source_row, la_code FROM joint_returns WHERE NOT counted) j ON {on}"
        )
    return (
        f"SELECT {shown}, j.members AS joint_members, j.partnership AS "
        "joint_partnership, coalesce(j.counted, true) AS joint_counted "
        f"FROM ({select}) v LEFT JOIN joint_returns j ON {on}"
    )


def _columns(columns: Iterable[str] | None) -> str:
    chosen = list(VALUE_COLUMNS if columns is None else columns)
    unknown = [c for c in chosen if c not in VALUE_COLUMNS]
    if unknown:
        raise InputError(
            f"no value column {unknown[0]!r}; columns: {', '.join(VALUE_COLUMNS)}"
        )
    return ", ".join(chosen)


def values_relation(
    store: Store,
    *,
    measures: str | Iterable[str] | None = None,
    authorities: str | Iterable[str] | None = None,
    periods: str | Iterable[str] | None = None,
    breakdowns: str | Iterable[str] | None = None,
    sources: Iterable[int] | None = None,
    present_only: bool = False,
    every_vintage: bool = False,
    columns: Iterable[str] | None = None,
    joint: str = "each",
) -> duckdb.DuckDBPyRelation:
    """The store's values as a DuckDB relation, filtered, not yet read.

    For a stage that aggregates in SQL: query the relation by the name you give
    it (``relation.query("v", "SELECT measure, avg(value) FROM v GROUP BY 1")``)
    or join it to a frame. Filters take one name or a list; ``None`` means all.

    Parameters
    ----------
    store
        An open store.
    measures, authorities, periods, breakdowns
        Keep values of these measures, authority codes (``la_code``), periods and
        breakdowns.
    sources
        Keep values from these loads (``source_id``).
    present_only
        Leave out missing values (suppressed, not applicable, ...).
    every_vintage
        Every value ever loaded, superseded ones included, with a
        ``superseded_by`` column; by default only the current values.
    columns
        The columns to keep (default: :data:`VALUE_COLUMNS`).
    joint
        Joint returns (:data:`JOINT_READS`): ``each`` member's copy (default),
        ``flag`` (adds :data:`JOINT_COLUMNS`) or ``once``, the count-once rule
        for distributions (medians, quartiles, ranks, n): each joint figure once.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                     "period": "2024", "value": 2.0}], file="t.csv")
    ...     rel = values_relation(s, measures="m", columns=["la_code", "value"])
    ...     rel.query("v", "SELECT sum(value) FROM v").fetchall()
    [(2.0,)]
    """
    view = "observation_vintages" if every_vintage else "observations"
    cols = _columns(columns)
    if every_vintage:
        cols += ", superseded_by"
    if joint not in JOINT_READS:
        raise InputError(f"joint={joint!r}: choose one of {', '.join(JOINT_READS)}")
    where, params = _where(
        measures, authorities, periods, breakdowns, sources, present_only
    )
    select = f"SELECT {cols} FROM {view}{where}"
    if joint != "each":
        chosen = [c.strip() for c in cols.split(",")]
        key = [c for c in ("la_code", "source_id", "source_row") if c not in chosen]
        select = _joint_sql(
            store, f"SELECT {', '.join(chosen + key)} FROM {view}{where}", chosen, joint
        )
    # DuckDB 2 refuses new work on a connection whose last execute() result was
    # not read to the end (a fetchone()); execute() itself replaces such a result,
    # so a relation finishes it first, as execute() would.
    complete = getattr(store.con, "complete", None)
    if complete is not None:
        complete()
    return store.con.sql(select, params=params)


def read_values(
    store: Store,
    *,
    measures: str | Iterable[str] | None = None,
    authorities: str | Iterable[str] | None = None,
    periods: str | Iterable[str] | None = None,
    breakdowns: str | Iterable[str] | None = None,
    sources: Iterable[int] | None = None,
    present_only: bool = False,
    every_vintage: bool = False,
    columns: Iterable[str] | None = None,
    joint: str = "each",
) -> pd.DataFrame:
    """The store's values as a pandas frame, one row per value, in key order.

    Takes the filters of :func:`values_relation` (and its ``joint``).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([
    ...         {"la_code": "E06000016", "measure": "m", "period": "2024",
    ...          "value": 2.0},
    ...         {"la_code": "E06000017", "measure": "m", "period": "2024",
    ...          "missing_reason": "suppressed", "raw": "c"}], file="t.csv")
    ...     read_values(s, measures="m", columns=["la_code", "value", "raw"])
         la_code  value  raw
    0  E06000016    2.0  NaN
    1  E06000017    NaN    c
    """
    rel = values_relation(
        store,
        measures=measures,
        authorities=authorities,
        periods=periods,
        breakdowns=breakdowns,
        sources=sources,
        present_only=present_only,
        every_vintage=every_vintage,
        columns=columns,
        joint=joint,
    )
    keys = [
        c for c in ("measure", "period", "la_code", "breakdown") if c in rel.columns
    ]
    return (rel.order(", ".join(keys)) if keys else rel).df()


def list_breakdowns(store: Store, measure: str) -> list[str]:
    """The breakdowns a measure has values under, sorted (``''``: no breakdown).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list_breakdowns(s, "nothing")
    []
    """
    rows = store.con.execute(
        "SELECT DISTINCT breakdown FROM observations WHERE measure = ? ORDER BY 1",
        [measure],
    ).fetchall()
    return [r[0] for r in rows]


def list_periods(
    store: Store,
    measure: str | None = None,
    breakdown: str | None = None,
    *,
    present_only: bool = False,
) -> list[str]:
    """The periods the store holds values for, sorted; of one measure (and
    breakdown) when given.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list_periods(s, "nothing")
    []
    """
    where, params = _where(measure, None, None, breakdown, None, present_only)
    rows = store.con.execute(
        f"SELECT DISTINCT period FROM observations{where} ORDER BY 1", params
    ).fetchall()
    return [r[0] for r in rows]


def list_measures(store: Store, *, with_values_only: bool = False) -> pd.DataFrame:
    """Every measure the store knows: its label, unit and polarity, and how many
    values (figures) and missing values it holds, in measure order.

    Parameters
    ----------
    with_values_only
        Leave out measures with no figure at all.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                     "period": "2024", "value": 2.0}], file="t.csv")
    ...     list_measures(s)[["measure", "unit", "polarity", "values", "missing"]]
      measure  unit polarity  values  missing
    0       m  None  neutral       1        0
    """
    having = " HAVING count(o.value) > 0" if with_values_only else ""
    return store.query(
        f"""SELECT m.measure, m.label, m.unit, m.polarity, m.reference_date,
                   count(o.value) AS "values",
                   count(o.la_code) - count(o.value) AS missing
            FROM measures m LEFT JOIN observations o USING (measure)
            GROUP BY ALL{having} ORDER BY m.measure"""
    )


#: The columns of :func:`list_sources`, in order.
SOURCE_COLUMNS = (
    "source_id",
    "file",
    "sheet",
    "observations",
    "totals",
    "loaded_at",
    "superseded_by",
    "note",
    "spec",
    "sha256",
    "source_key",
    "superseded_at",
)


def list_sources(store: Store) -> pd.DataFrame:
    """Every load: file, sheet, values and totals written, when, and whether a
    later vintage superseded it, in load order.

    A store written before vintages were kept (opened read-only, so not
    upgraded) has no vintage columns: they read as empty.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list(list_sources(s).columns)[:4]
    ['source_id', 'file', 'sheet', 'observations']
    """
    present = {
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'sources' AND table_schema = 'main'"
        ).fetchall()
    }
    columns = ", ".join(c if c in present else f"NULL AS {c}" for c in SOURCE_COLUMNS)
    return store.query(f"SELECT {columns} FROM sources ORDER BY source_id")


def list_authorities(store: Store, *, with_values_only: bool = False) -> pd.DataFrame:
    """The authorities the store knows (the packaged registry), by name; only
    those with at least one figure when ``with_values_only``.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     every = list_authorities(s)
    ...     held = list_authorities(s, with_values_only=True)
    >>> len(every) > 150, len(held)
    (True, 0)
    """
    where = (
        " WHERE la_code IN (SELECT DISTINCT la_code FROM observations "
        "WHERE value IS NOT NULL)"
        if with_values_only
        else ""
    )
    return store.query(f"SELECT * FROM authorities{where} ORDER BY la_name, la_code")


@dataclass(frozen=True)
class StoreCounts:
    """What a store holds, counted once for every command and page."""

    values: int
    missing: int
    measures: int
    authorities: int
    periods: int
    sources: int
    neighbour_sets: int
    last_loaded: Any
    last_file: str | None
    last_sheet: str | None


def count_values(store: Store) -> StoreCounts:
    """Count the store's values (figures), missing values, measures with a value
    or a missing value, authorities, periods, loads and neighbour sets.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                     "period": "2024", "value": 2.0},
    ...                    {"la_code": "E06000017", "measure": "m",
    ...                     "period": "2024", "missing_reason": "suppressed"}],
    ...                   file="t.csv")
    ...     c = count_values(s)
    >>> (c.values, c.missing, c.measures, c.authorities, c.sources)
    (1, 1, 1, 2, 1)
    """
    row = store.con.execute(
        """SELECT count(value), count(*) - count(value),
                  (SELECT count(*) FROM measures),
                  count(DISTINCT la_code), count(DISTINCT period),
                  (SELECT count(*) FROM sources),
                  (SELECT count(DISTINCT set_id) FROM neighbours)
           FROM observations"""
    ).fetchall()[0]
    last = store.con.execute(
        "SELECT loaded_at, file, sheet FROM sources "
        "ORDER BY loaded_at DESC, source_id DESC LIMIT 1"
    ).fetchall()
    loaded, file, sheet = last[0] if last else (None, None, None)
    values, missing, measures, authorities, periods, sources, sets = row
    return StoreCounts(
        values=values,
        missing=missing,
        measures=measures,
        authorities=authorities,
        periods=periods,
        sources=sources,
        neighbour_sets=sets,
        last_loaded=loaded,
        last_file=file,
        last_sheet=sheet or None,
    )
