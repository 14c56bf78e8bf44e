"""Derived measures in the store: reading a measure's current values, writing a
derivation with its provenance, and the series breaks a boundary policy flags.

A derived measure (:mod:`lacompare.derive`) is stored like a loaded one, so every
stage reads it through the same interface:

* ``measures``: one row (label, unit, polarity, reference date, and a description
  naming the recipe and its inputs);
* ``sources``: one row per derivation, ``file = 'derived:<recipe>'``, ``spec`` the
  recipe as JSON, ``sha256`` of that JSON;
* values: one per authority × period × breakdown, ``source_column`` naming the
  inputs and periods it came from ('children_count[2024] / pop_0_17[2023]'),
  ``raw`` the printed form when it is not a number ('-');
* ``totals``: the same recipe applied to the set-aside England/region rows
  (``check_result = 'derived'``);
* ``derived_inputs``: every input value behind every derived value.

Deriving again under the same name replaces the earlier derivation, in one
transaction with the new one (:func:`write_derived_values`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from lacompare.store import Store

#: A derivation's ``sources.file`` starts with this, then names its recipe.
DERIVED_PREFIX = "derived:"
#: The table of every input value behind every derived value.
INPUTS_TABLE = "derived_inputs"
#: The table of series breaks a boundary-change policy flags.
BREAKS_TABLE = "series_breaks"

#: The columns of ``derived_inputs`` a derivation gives (source_id and measure
#: are the store's).
INPUT_COLUMNS = (
    "level",
    "la_code",
    "period",
    "breakdown",
    "role",
    "input_measure",
    "input_period",
    "input_breakdown",
    "input_value",
    "input_missing_reason",
)


def current_sql(table: str = "observations", breakdown: str | None = None) -> str:
    """SQL for one value per key of a measure: where several loads hold it, the
    latest load wins.

    ``table`` is ``observations`` (authorities' values, keyed by ``la_code``) or
    ``totals`` (England, regions and districts, keyed by area code or name). The
    columns are ``k`` (the key), ``area_name``, ``label``, ``measure``,
    ``period``, ``breakdown``, ``value``, ``missing_reason`` and ``source_id``.
    Parameters: the measure, then the breakdown when one is given. A stage that
    reads rather than composes SQL uses :func:`current_values`.

    Examples
    --------
    >>> "QUALIFY" in current_sql(breakdown="")
    True
    """
    if table not in ("observations", "totals"):
        raise InputError(
            f"current values come from observations or totals, not {table!r}"
        )
    key = "la_code" if table == "observations" else "coalesce(area_code, area_name)"
    cols = (
        "la_code AS k, NULL AS area_name, label"
        if table == "observations"
        else "coalesce(area_code, area_name) AS k, area_name, NULL AS label"
    )
    where = "measure = ?" + (" AND breakdown = ?" if breakdown is not None else "")
    return f"""SELECT {cols}, measure, period, breakdown, value, missing_reason,
                      source_id
               FROM {table} WHERE {where}
               QUALIFY row_number() OVER (
                   PARTITION BY {key}, measure, period, breakdown
                   ORDER BY source_id DESC) = 1"""


def current_values(
    store: Store,
    measure: str,
    breakdown: str | None = None,
    *,
    totals: bool = False,
) -> duckdb.DuckDBPyRelation:
    """A measure's current values (the latest load's, where several hold a key)
    as a DuckDB relation, with the columns of :func:`current_sql`.

    Parameters
    ----------
    store
        An open store.
    measure
        The measure.
    breakdown
        Only this breakdown (``''``: the total); ``None`` keeps every one.
    totals
        The set-aside England, region and district rows instead of authorities'.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     for value in (1.0, 2.0):
    ...         _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                             "period": "2024", "value": value}], file="t.csv")
    ...     current_values(s, "m").project("k, value").fetchall()
    [('E06000016', 2.0)]
    """
    params = [measure] + ([breakdown] if breakdown is not None else [])
    table = "totals" if totals else "observations"
    return store.con.sql(current_sql(table, breakdown), params=params)


def count_duplicate_keys(store: Store, measure: str) -> int:
    """Keys (authority, period, breakdown) of ``measure`` held by more than one
    load; the latest load's value is the current one.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     for value in (1.0, 2.0):
    ...         _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                             "period": "2024", "value": value}], file="t.csv")
    ...     count_duplicate_keys(s, "m")
    1
    """
    row = store.con.execute(
        """SELECT count(*) FROM (SELECT 1 FROM observations WHERE measure = ?
           GROUP BY la_code, period, breakdown HAVING count(*) > 1)""",
        [measure],
    ).fetchall()
    return int(row[0][0]) if row else 0


def list_measure_periods(store: Store, measures: list[str]) -> list[tuple[str, str]]:
    """Every (measure, period) the measures have a value or a total for, sorted.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     _ = s.write_cells([{"la_code": "E06000016", "measure": "m",
    ...                         "period": "2024", "value": 1.0}], file="t.csv")
    ...     list_measure_periods(s, ["m", "n"])
    [('m', '2024')]
    """
    rows = store.con.execute(
        """SELECT DISTINCT measure, period FROM observations
           WHERE measure IN (SELECT unnest(?))
           UNION SELECT DISTINCT measure, period FROM totals
           WHERE measure IN (SELECT unnest(?))
           ORDER BY 1, 2""",
        [list(measures), list(measures)],
    ).fetchall()
    return [(str(m), str(p)) for m, p in rows]


def list_derivations(store: Store, measures: list[str]) -> list[tuple[str, int, str]]:
    """(measure, source_id, recipe JSON) of each derivation that holds values of
    the given measures, oldest first.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list_derivations(s, ["m"])
    []
    """
    rows = store.con.execute(
        """SELECT DISTINCT o.measure, s.source_id, s.spec
           FROM observations o JOIN sources s USING (source_id)
           WHERE o.measure IN (SELECT unnest(?)) AND starts_with(s.file, ?)
           ORDER BY s.source_id""",
        [list(measures), DERIVED_PREFIX],
    ).fetchall()
    return [(str(m), int(i), str(spec)) for m, i, spec in rows]


def has_loaded_values(store: Store, measure: str) -> bool:
    """Whether ``measure`` holds values loaded from a file (not derived)."""
    row = store.con.execute(
        """SELECT count(*) FROM observations o JOIN sources s USING (source_id)
           WHERE o.measure = ? AND NOT starts_with(s.file, ?)""",
        [measure, DERIVED_PREFIX],
    ).fetchall()
    return bool(row[0][0])


def _earlier_derivations(con: duckdb.DuckDBPyConnection, measure: str) -> list[int]:
    return [
        r[0]
        for r in con.execute(
            f"""SELECT DISTINCT source_id FROM sources WHERE starts_with(file, ?)
               AND source_id IN (SELECT source_id FROM observations WHERE measure = ?
                                 UNION SELECT source_id FROM totals WHERE measure = ?
                                 UNION SELECT source_id FROM {INPUTS_TABLE}
                                 WHERE measure = ?)""",
            [DERIVED_PREFIX, measure, measure, measure],
        ).fetchall()
    ]


def _delete_derivations(
    con: duckdb.DuckDBPyConnection, measure: str, old: list[int]
) -> None:
    """Remove a measure's earlier derivations (values, totals, inputs), and their
    ``sources`` rows where nothing else refers to them."""
    for table in ("observation_cells", "totals", INPUTS_TABLE):
        con.execute(
            f"DELETE FROM {table} WHERE measure = ? AND source_id IN "
            "(SELECT unnest(?))",
            [measure, old],
        )
    con.execute(
        """DELETE FROM sources WHERE source_id IN (SELECT unnest(?))
           AND source_id NOT IN (SELECT source_id FROM observations
                                 UNION SELECT source_id FROM totals)""",
        [old],
    )


def _declare_measure(
    con: duckdb.DuckDBPyConnection, measure: str, about: Mapping[str, Any]
) -> None:
    con.execute("DELETE FROM measures WHERE measure = ?", [measure])
    con.execute(
        """INSERT INTO measures (measure, label, unit, polarity, reference_date,
                                 description) VALUES (?, ?, ?, ?, ?, ?)""",
        [
            measure,
            about.get("label"),
            about.get("unit"),
            about.get("polarity") or "neutral",
            about.get("reference_date"),
            about.get("description"),
        ],
    )


def _insert_derivation(
    con: duckdb.DuckDBPyConnection,
    measure: str,
    source_id: int,
    names: Mapping[str, str],
) -> None:
    """Insert the registered frames ``names`` (values, inputs, totals) as the
    derivation ``source_id`` of ``measure``."""
    con.execute(
        f"""INSERT INTO observation_cells (la_code, measure, period, breakdown,
                value, missing_reason, raw, source_id, source_column)
            SELECT la_code, ?, period, breakdown, value, missing_reason, raw, ?,
                   inputs FROM {names["values"]}""",
        [measure, source_id],
    )
    con.execute(
        f"""INSERT INTO {INPUTS_TABLE} SELECT ?, ?, {", ".join(INPUT_COLUMNS)}
            FROM {names["inputs"]}""",
        [source_id, measure],
    )
    if "totals" in names:
        con.execute(
            f"""INSERT INTO totals (area_code, area_name, measure, period,
                    breakdown, value, missing_reason, raw, source_id,
                    source_column, check_result)
                SELECT area_code, area_name, ?, period, breakdown, value,
                       missing_reason, raw, ?, inputs, 'derived'
                FROM {names["totals"]}""",
            [measure, source_id],
        )


def write_derived_values(
    store: Store,
    *,
    measure: str,
    recipe: str,
    spec: str,
    about: Mapping[str, Any],
    values: pd.DataFrame,
    inputs: pd.DataFrame,
    totals: pd.DataFrame | None = None,
) -> int:
    """Store a derived measure in one transaction, replacing any earlier
    derivation of it; return the new load's ``source_id``.

    Parameters
    ----------
    store
        An open, writable store.
    measure
        The derived measure's name. A measure holding loaded values is refused.
    recipe, spec
        The recipe's name (``sources.file`` is ``derived:<recipe>``) and the
        recipe as JSON (``sources.spec``; its sha256 is the load's).
    about
        The measure's ``label``, ``unit``, ``polarity``, ``reference_date`` and
        ``description`` (the load's note too); polarity ``neutral`` unless
        given.
    values
        ``la_code, period, breakdown, value, missing_reason, raw, inputs``.
    inputs
        :data:`INPUT_COLUMNS`: every input value behind each value.
    totals
        ``area_code, area_name, period, breakdown, value, missing_reason, raw,
        inputs``: the recipe applied to England's and regions' rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from lacompare.store import open_store, read_values
    >>> values = pd.DataFrame({"la_code": ["E06000016"], "period": ["2024"],
    ...     "breakdown": [""], "value": [2.0], "missing_reason": [None],
    ...     "raw": [None], "inputs": ["m[2024] × 2"]})
    >>> inputs = pd.DataFrame([{"level": "authority", "la_code": "E06000016",
    ...     "period": "2024", "breakdown": "", "role": "input",
    ...     "input_measure": "m", "input_period": "2024", "input_breakdown": "",
    ...     "input_value": 1.0, "input_missing_reason": None}])
    >>> with open_store(":memory:") as s:
    ...     for _ in range(2):  # the second replaces the first
    ...         _ = write_derived_values(s, measure="twice", recipe="double",
    ...             spec="{}", about={"description": "m × 2"}, values=values,
    ...             inputs=inputs)
    ...     got = read_values(s, columns=["value", "source_column"])
    ...     n = len(list_derivations(s, ["twice"]))
    >>> got.values.tolist(), n
    ([[2.0, 'm[2024] × 2']], 1)
    """
    if has_loaded_values(store, measure):
        raise InputError(
            f"measure {measure!r} holds loaded (not derived) values; choose "
            "another --name"
        )
    sha = hashlib.sha256(spec.encode("utf-8")).hexdigest()
    frames = {"values": values, "inputs": inputs[list(INPUT_COLUMNS)]}
    if totals is not None and len(totals):
        frames["totals"] = totals
    con = store.con
    names = {key: f"_derived_{key}_{id(frame)}" for key, frame in frames.items()}
    for key, frame in frames.items():
        con.register(names[key], frame)
    try:
        con.execute("BEGIN")
        old = _earlier_derivations(con, measure)
        if old:
            _delete_derivations(con, measure, old)
        source_id = con.execute(
            """INSERT INTO sources (file, sheet, sha256, spec, observations, totals,
                                    note)
               VALUES (?, '', ?, ?, ?, ?, ?) RETURNING source_id""",
            [
                DERIVED_PREFIX + recipe,
                sha,
                spec,
                len(values),
                len(frames.get("totals", ())),
                about.get("description"),
            ],
        ).fetchall()[0][0]
        _declare_measure(con, measure, about)
        _insert_derivation(con, measure, int(source_id), names)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in names.values():
            con.unregister(name)
    return int(source_id)


def write_series_breaks(store: Store, measure: str, breaks: pd.DataFrame) -> None:
    """Replace the series breaks flagged for ``measure`` with ``breaks`` (the
    columns of ``series_breaks``, in order), in one transaction.

    Examples
    --------
    >>> import datetime as dt, pandas as pd
    >>> from lacompare.store import open_store
    >>> row = {"measure": "m", "la_code": "E06000061", "change_id": "c",
    ...        "change_date": dt.date(2021, 4, 1), "kind": "split",
    ...        "side": "successor", "last_period_before": None,
    ...        "first_period_after": "2022", "note": ""}
    >>> with open_store(":memory:") as s:
    ...     write_series_breaks(s, "m", pd.DataFrame([row]))
    ...     write_series_breaks(s, "m", pd.DataFrame([row]))
    ...     s.con.execute("SELECT count(*) FROM series_breaks").fetchall()
    [(1,)]
    """
    con = store.con
    name = f"_series_breaks_{id(breaks)}"
    con.register(name, breaks)
    try:
        con.execute("BEGIN")
        con.execute(f"DELETE FROM {BREAKS_TABLE} WHERE measure = ?", [measure])
        con.execute(f"INSERT INTO {BREAKS_TABLE} SELECT * FROM {name}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister(name)
