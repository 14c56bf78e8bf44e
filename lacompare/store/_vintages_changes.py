"""Vintages: what changed between two loads of a source (revised, added,
removed, unchanged), counted once as a load is settled and listed by
``lacompare diff``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.store._vintages_types import KEY, SHOW, VintageChange, show_value

if TYPE_CHECKING:
    import duckdb


def _opened_row(period: str) -> str:
    return (
        "r.la_code, c.measure, " + period + " AS period, r.breakdown, "
        "r.cell_values[c.position] AS value, "
        "r.missing_reasons[c.position] AS missing_reason, "
        "r.labels[c.position] AS label, r.source_row, c.source_column"
    )


def _same_columns(con: duckdb.DuckDBPyConnection, old: int, new: int) -> bool:
    """Two large loads whose columns are the same measures in the same places, none
    with a period of its own: their file rows can be compared whole."""
    found = con.execute(
        """
        SELECT (SELECT count(*) FROM observation_cells WHERE source_id IN ($1, $2)),
               (SELECT count(DISTINCT source_id) FROM observation_rows
                WHERE source_id IN ($1, $2)),
               (SELECT count(*) FROM observation_columns WHERE source_id IN ($1, $2)
                AND period IS NOT NULL),
               (SELECT count(*) FROM observation_columns WHERE source_id = $1),
               (SELECT count(*) FROM observation_columns o JOIN observation_columns n
                USING (position, measure) WHERE o.source_id = $1
                AND n.source_id = $2)""",
        [old, new],
    ).fetchall()[0]
    cells, row_loads, dated, n_old, matched = found
    n_new = con.execute(
        "SELECT count(*) FROM observation_columns WHERE source_id = ?", [new]
    ).fetchall()[0][0]
    return cells == 0 and row_loads == 2 and dated == 0 and n_old == n_new == matched


def compare_loads(con: duckdb.DuckDBPyConnection, old: int, new: int) -> dict[str, Any]:
    """Counts of each change between two loads, and the first revised and removed
    keys (``examples``), from one pass over their values: on a large load the join
    is most of the time a reload takes, so two large loads laid out alike are
    compared file row with file row first, and only the rows that differ value by
    value."""
    rows = None
    if _same_columns(con, old, new):
        rows = "_rows_changed"
        side = (
            "SELECT rowid AS rid, la_code, period, breakdown, cell_values, "
            "missing_reasons, labels FROM observation_rows WHERE source_id = {}"
        )
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {rows} AS
            SELECT unnest([o.rid, n.rid]) AS rid
            FROM ({side.format(int(old))}) o FULL JOIN ({side.format(int(new))}) n
            ON o.la_code = n.la_code AND o.period IS NOT DISTINCT FROM n.period
               AND o.breakdown = n.breakdown
            WHERE o.rid IS NULL OR n.rid IS NULL
               OR o.cell_values IS DISTINCT FROM n.cell_values
               OR o.missing_reasons IS DISTINCT FROM n.missing_reasons
               OR o.labels IS DISTINCT FROM n.labels""")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT * FROM "
        f"({changes_sql(old, new, rows)}) WHERE change <> 'unchanged'"
    )
    if rows is not None:
        con.execute(f"DROP TABLE {rows}")
    counts: dict[str, Any] = dict(
        con.execute("SELECT change, count(*) FROM _changed GROUP BY 1").fetchall()
    )
    # Unchanged: the new load's keys that are neither added nor revised.
    n_new = con.execute(
        "SELECT (SELECT count(*) FROM observation_cells WHERE source_id = $1) + "
        "(SELECT coalesce(sum(len(cell_values)), 0) FROM observation_rows "
        "WHERE source_id = $1)",
        [new],
    ).fetchall()[0][0]
    counts["unchanged"] = max(
        0, int(n_new) - counts.get("added", 0) - counts.get("revised", 0)
    )
    counts["examples"] = con.execute(
        f"SELECT * FROM _changed WHERE change IN ('revised', 'removed') ORDER BY "
        f"change DESC, measure, period, la_code, breakdown LIMIT {SHOW}"
    ).df()
    con.execute("DROP TABLE _changed")
    return counts


def changes_sql(old: int, new: int, rows: str | None = None) -> str:
    """SQL for every key of two loads: the change (``revised``, ``added``,
    ``removed``, ``unchanged``) and both sides' value, missing reason and label.

    Read from ``observation_vintages``, so a superseded vintage compares as loaded;
    ``rows`` (a table of ``rid``) limits two large loads to those file rows.
    """
    side = (
        "SELECT la_code, measure, period, breakdown, value, missing_reason, label, "
        "source_row, source_column FROM observation_vintages WHERE source_id = {}"
    )
    if rows is not None:
        side = (
            f"SELECT {_opened_row('coalesce(c.period, r.period)')} "
            "FROM observation_rows r JOIN observation_columns c USING (source_id) "
            f"WHERE r.source_id = {{}} AND r.rowid IN (SELECT rid FROM {rows})"
        )
    on = " AND ".join(f"o.{k} = n.{k}" for k in KEY)
    differs = " OR ".join(
        f"o.{c} IS DISTINCT FROM n.{c}" for c in ("value", "missing_reason", "label")
    )
    keys = ", ".join(f"coalesce(n.{k}, o.{k}) AS {k}" for k in KEY)
    return f"""
        SELECT CASE WHEN o.la_code IS NULL THEN 'added'
                    WHEN n.la_code IS NULL THEN 'removed'
                    WHEN {differs} THEN 'revised' ELSE 'unchanged' END AS change,
               {keys},
               o.value AS old_value, o.missing_reason AS old_missing,
               o.label AS old_label, n.value AS new_value,
               n.missing_reason AS new_missing, n.label AS new_label,
               o.source_row AS old_row, n.source_row AS new_row,
               coalesce(n.source_column, o.source_column) AS source_column
        FROM ({side.format(int(old))}) o
        FULL JOIN ({side.format(int(new))}) n ON {on}"""


def record_changes(
    con: duckdb.DuckDBPyConnection,
    old: int,
    new: int,
    change: VintageChange,
    where: dict[str, Any],
    counts: dict[str, Any] | None = None,
) -> None:
    if counts is None:
        counts = compare_loads(con, old, new)
    shown = counts["examples"]
    change.revised = counts.get("revised", 0)
    change.added = counts.get("added", 0)
    change.removed = counts.get("removed", 0)
    change.unchanged = counts.get("unchanged", 0)
    change.issues.add(
        "vintage",
        f"vintage {change.vintage} of {change.source}: "
        f"{change.revised:,} revised, {change.added:,} added, {change.removed:,} "
        f"removed, {change.unchanged:,} unchanged against source {old}",
        severity="info",
        **where,
    )
    for r in shown.itertuples():
        old_text = show_value(r.old_value, r.old_missing, r.old_label)
        if r.change == "revised":
            message = (
                f"{r.la_code} {r.measure} {r.period}"
                + (f" [{r.breakdown}]" if r.breakdown else "")
                + f": {old_text} → "
                f"{show_value(r.new_value, r.new_missing, r.new_label)}"
            )
            row = r.new_row
        else:
            message = (
                f"{r.la_code} {r.measure} {r.period}"
                + (f" [{r.breakdown}]" if r.breakdown else "")
                + f": {old_text} is not in this vintage"
            )
            row = None
        change.issues.add(
            r.change,
            message,
            severity="info",
            row=None if row is None or row != row else int(row),
            column=r.source_column,
            **where,
        )
