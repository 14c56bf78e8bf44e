"""Ingest, step 5: write a load's values, totals and measures, and count them.

A load gets a row in ``sources`` (which source it is a vintage of: see
:mod:`lacompare.store._vintages`); its authorities' values go to
``observation_cells``, one row per value, or, for a large table, to
``observation_rows`` with ``observation_columns`` (one row per file row); its
totals and set-aside rows to ``totals``. New measures are added; known ones
change only where the spec says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.cells import UNPARSED, normalise_period, period_as_of, sql_parse
from lacompare.provenance import IssueLog
from lacompare.sources import RawTable
from lacompare.sources.specs import IngestSpec, MeasureSpec
from lacompare.store._ingest_layout import Layout, heading_of
from lacompare.store._ingest_parse import CellPlan, stored_sql
from lacompare.store._schema import OBSERVATION_COLUMNS
from lacompare.store._vintages import SourceIdentity, identify_source

if TYPE_CHECKING:
    import duckdb

# The measures a load stored, in either form.
_MEASURES_SQL = """
    SELECT measure FROM observation_cells WHERE source_id = $1
    UNION SELECT measure FROM observation_columns
    WHERE source_id = $1 AND source_id IN (SELECT source_id FROM observation_rows)"""


@dataclass
class Written:
    """What a load stored: values, totals, measures, periods and authorities."""

    observations: int
    totals: int
    measures: list[str]
    periods: list[str]
    authorities: int


def write_source(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    spec: IngestSpec,
    sha: str,
    identity: dict[str, Any] | None,
) -> tuple[SourceIdentity, int]:
    """Add the load to ``sources``: which source it is a vintage of (settled once
    its values are in), and its new ``source_id``."""
    spec_text = spec.to_json()
    source = identify_source(
        con, raw.file, raw.sheet, sha, spec_text, **(identity or {})
    )
    source_id = con.execute(
        "INSERT INTO sources (file, sheet, sha256, spec, source_key) "
        "VALUES (?, ?, ?, ?, ?) RETURNING source_id",
        [str(Path(raw.file).resolve()), raw.sheet or "", sha, spec_text, source.key],
    ).fetchall()[0][0]
    return source, source_id


#: The kinds of key (``_keys.kind``) stored as authorities' values, and as totals
#: or rows set aside.
LA_KINDS = "'la'"
TOTAL_KINDS = "'total', 'other'"


def write_values(
    con: duckdb.DuckDBPyConnection,
    plan: CellPlan,
    source_id: int,
    *,
    compact: bool,
    parsed: tuple[str, str] | None = None,
) -> None:
    """Store the authorities' values (one row per file row when ``compact``) and
    the totals and set-aside rows; ``parsed`` is SQL giving the cells already
    parsed (authorities, then totals), when a build's worker parsed them."""
    # Stored order carries no meaning (source_row does), so let DuckDB insert in
    # parallel without keeping it.
    con.execute("SET preserve_insertion_order = false")
    if parsed is None:
        la_cells = f"({plan.cells_sql(LA_KINDS)})"
        total_cells = f"({plan.cells_sql(TOTAL_KINDS)})"
    else:
        la_cells, total_cells = parsed
    if compact:
        _insert_rows(con, plan, source_id)
    else:
        con.execute(f"""
            INSERT INTO observation_cells ({OBSERVATION_COLUMNS})
            SELECT la_code, measure, period, breakdown, value, missing_reason, label,
                   raw, {source_id}, source_row, source_column
            FROM {la_cells}""")
    con.execute(f"""
        INSERT INTO totals (area_code, area_name, measure, period, breakdown, value,
            missing_reason, raw, source_id, source_row, source_column, check_result)
        SELECT area_code, coalesce(area_name, area_code, 'total'), measure, period,
               breakdown, value, missing_reason, raw, {source_id}, source_row,
               source_column, set_aside
        FROM {total_cells}""")
    con.execute("RESET preserve_insertion_order")


def _insert_rows(
    con: duckdb.DuckDBPyConnection, plan: CellPlan, source_id: int
) -> None:
    """Store a large table's authority rows in ``observation_rows``.

    Each file row becomes one row holding its value columns' values, missing reasons,
    labels and raw texts in lists, by the columns' positions in
    ``observation_columns``; the ``observations`` view reads them as one row per
    value, as :func:`write_values` would otherwise have stored them.
    """
    import pandas as pd

    raw, layout = plan.raw, plan.layout
    columns = pd.DataFrame(
        [
            (
                source_id,
                i,
                v.measure,
                normalise_period(v.spec.period),
                heading_of(raw, v.column),
            )
            for i, v in enumerate(layout.values, start=1)
        ],
        columns=["source_id", "position", "measure", "period", "source_column"],
        dtype=object,
    )
    con.register("_columns_frame", columns)
    try:
        con.execute(
            "INSERT INTO observation_columns BY NAME SELECT * FROM _columns_frame"
        )
    finally:
        con.unregister("_columns_frame")
    values, missing, labels, raws = zip(
        *(stored_sql(v.column, v.spec.type == "category") for v in layout.values),
        strict=True,
    )
    # Cells are parsed before the join to their authorities: parsed after it, the
    # same work took twice as long (the join's output is a selection of rows).
    parsed = sql_parse(
        f"(SELECT *, {raw.row_sql} AS _srow FROM {raw.relation})",
        [v.column for v in layout.values],
        plan.spec.markers,
    )
    con.execute(f"""
        INSERT INTO observation_rows (source_id, source_row, la_code, period, breakdown,
                                      cell_values, missing_reasons, labels, raws)
        SELECT {source_id}, r._srow, k.la_code, k.period, {plan.breakdown_sql},
               {_as_list(values, "DOUBLE", sparse=False)},
               {_as_list(missing, "VARCHAR")},
               {_as_list(labels, "VARCHAR")}, {_as_list(raws, "VARCHAR")}
        FROM ({parsed}) r JOIN _keys k ON {plan.join} WHERE k.kind = 'la'""")


def _as_list(items: Sequence[str], kind: str, sparse: bool = True) -> str:
    """SQL for a row's list of ``items`` (SQL expressions) of type ``kind``."""
    if all(i == "NULL" for i in items):
        return f"NULL::{kind}[]"
    listed = f"CAST([{', '.join(items)}] AS {kind}[])"
    if not sparse:
        return listed
    # Most rows have no missing value, label or raw text: a NULL list costs
    # less to write than a list of NULLs, and reads back the same by position.
    empty = " AND ".join(f"{i} IS NULL" for i in items if i != "NULL")
    return f"CASE WHEN {empty} THEN NULL ELSE {listed} END"


def unparsed_issues(
    con: duckdb.DuckDBPyConnection, raw: RawTable, source_id: int
) -> IssueLog:
    """The cells a load kept as text because they read as no number or marker."""
    issues = IssueLog()
    # What a load stored is read from each form directly: through the view a large
    # load's lists would be opened for every question.
    unparsed_sql = f"""
        SELECT source_row, source_column, raw FROM observation_cells
        WHERE source_id = $1 AND missing_reason = '{UNPARSED}'
        UNION ALL
        SELECT r.source_row, c.source_column, r.raws[c.position]
        FROM observation_rows r JOIN observation_columns c USING (source_id)
        WHERE r.source_id = $1 AND list_contains(r.missing_reasons, '{UNPARSED}')
          AND r.missing_reasons[c.position] = '{UNPARSED}'"""
    # The first 1000 (in a stable order) and how many in all, in one statement.
    unparsed = con.execute(
        f"SELECT *, count(*) OVER () FROM ({unparsed_sql}) "
        "ORDER BY source_row, source_column LIMIT 1000",
        [source_id],
    ).fetchall()
    n_unparsed = unparsed[0][3] if unparsed else 0
    for row, column, text, _ in unparsed:
        issues.add(
            "unparsed-value",
            f"{text!r} is not a number or a known marker; kept as text, value missing",
            file=raw.file,
            sheet=raw.sheet,
            row=row,
            column=column,
            value=text,
        )
    if n_unparsed > len(unparsed):
        issues.add(
            "unparsed-value",
            f"… and {n_unparsed - len(unparsed)} more",
            file=raw.file,
            sheet=raw.sheet,
        )
    return issues


def _measure_spec(spec: IngestSpec, name: str) -> MeasureSpec:
    """What the spec says of a long table's measure, by its name or its new id."""
    if name in spec.measures:
        return spec.measures[name]
    return next((m for m in spec.measures.values() if m.measure == name), MeasureSpec())


def _measure_records(
    con: duckdb.DuckDBPyConnection, layout: Layout, spec: IngestSpec, source_id: int
) -> list[dict[str, Any]]:
    """Each measure the load stored (values or totals): what it is, and what the
    spec states of it explicitly (``x_*``)."""
    names = [
        r[0]
        for r in con.execute(
            f"{_MEASURES_SQL} UNION SELECT measure FROM totals WHERE source_id = $1",
            [source_id],
        ).fetchall()
    ]
    by_measure = {v.measure: v for v in layout.values}
    records = []
    for name in names:
        column = by_measure.get(name)
        mspec = column.spec if column else _measure_spec(spec, name)
        detected = column.unit if column else None
        if mspec.type == "category":
            detected = "category"
        records.append(
            {
                "measure": name,
                "label": mspec.label or (column.heading if column else name),
                "unit": mspec.unit or spec.unit or detected,
                "polarity": mspec.polarity or spec.polarity or "neutral",
                "reference_date": mspec.reference_date or spec.reference_date,
                "description": mspec.description,
                # What the spec states explicitly overrides a measure already known.
                "x_label": mspec.label,
                "x_unit": mspec.unit or spec.unit,
                "x_polarity": mspec.polarity or spec.polarity,
                "x_reference_date": mspec.reference_date or spec.reference_date,
                "x_description": mspec.description,
            }
        )
    return records


def write_measures(
    con: duckdb.DuckDBPyConnection, layout: Layout, spec: IngestSpec, source_id: int
) -> None:
    """Add new measures; on known ones, change only what the spec states."""
    import pandas as pd

    records = _measure_records(con, layout, spec, source_id)
    if not records:
        return
    frame = pd.DataFrame(records, dtype=object)
    con.register("_measures_frame", frame)
    try:
        con.execute("""
            INSERT INTO measures (measure, label, unit, polarity, reference_date,
                                  description)
            SELECT measure, label, unit, polarity, reference_date, description
            FROM _measures_frame
            WHERE measure NOT IN (SELECT measure FROM measures)""")
        con.execute("""
            UPDATE measures SET
                label = coalesce(f.x_label, measures.label),
                unit = coalesce(f.x_unit, measures.unit),
                polarity = coalesce(f.x_polarity, measures.polarity),
                reference_date = coalesce(f.x_reference_date, measures.reference_date),
                description = coalesce(f.x_description, measures.description)
            FROM _measures_frame f WHERE measures.measure = f.measure""")
    finally:
        con.unregister("_measures_frame")


def count_written(
    con: duckdb.DuckDBPyConnection, raw: RawTable, source_id: int
) -> tuple[Written, IssueLog]:
    """Count what the load stored (and record the counts on its ``sources`` row).

    Logged: periods that read as no year or date (LAIT prints one measure's
    years as '0'), kept as published.
    """
    # One statement for every count (each statement costs a build about 1.5 ms
    # a load).
    n_obs, n_tot, measures, periods, n_la = con.execute(
        f"""
        SELECT (SELECT count(*) FROM observation_cells WHERE source_id = $1)
             + (SELECT count(*) FROM observation_rows WHERE source_id = $1)
             * (SELECT count(*) FROM observation_columns WHERE source_id = $1),
            (SELECT count(*) FROM totals WHERE source_id = $1),
            (SELECT list(measure ORDER BY measure) FROM ({_MEASURES_SQL})),
            (SELECT list(period ORDER BY period) FROM (
                SELECT period FROM observation_cells WHERE source_id = $1
                UNION
                SELECT coalesce(c.period, r.period)
                FROM (SELECT DISTINCT period FROM observation_rows
                      WHERE source_id = $1) r,
                     observation_columns c WHERE c.source_id = $1)),
            (SELECT count(DISTINCT la_code) FROM (
                SELECT la_code FROM observation_cells WHERE source_id = $1
                UNION ALL SELECT la_code FROM observation_rows WHERE source_id = $1))
        """,
        [source_id],
    ).fetchall()[0]
    measures, periods = measures or [], periods or []
    con.execute(
        "UPDATE sources SET observations = ?, totals = ? WHERE source_id = ?",
        [n_obs, n_tot, source_id],
    )
    written = Written(n_obs, n_tot, measures, periods, n_la)
    return written, _odd_periods(con, raw, source_id, periods)


def _odd_periods(
    con: duckdb.DuckDBPyConnection, raw: RawTable, source_id: int, periods: list[str]
) -> IssueLog:
    """A period that reads as no year or date is kept as published, and said."""
    issues = IssueLog()
    for odd in (p for p in periods if period_as_of(p) is None):
        row, column = con.execute(
            "SELECT min(source_row), any_value(source_column) FROM observations "
            "WHERE source_id = ? AND period = ?",
            [source_id, odd],
        ).fetchall()[0]
        issues.add(
            "unrecognised-period",
            f"period {odd!r} is not a year, a "
            "financial or academic year or a date; kept as published",
            severity="warning",
            file=raw.file,
            sheet=raw.sheet,
            row=row,
            column=column,
            value=odd,
        )
    return issues


def write_issues(
    con: duckdb.DuckDBPyConnection, source_id: int, issues: IssueLog
) -> None:
    """Keep what the load found in ``load_issues``."""
    if not issues:
        return
    import pandas as pd

    frame = pd.DataFrame(issues.to_records(), dtype=object)
    con.register("_issues_frame", frame)
    con.execute(f"""INSERT INTO load_issues SELECT {source_id}, kind, severity,
                    message, file, sheet, CAST("row" AS BIGINT), "column",
                    CAST(value AS VARCHAR) FROM _issues_frame""")
    con.unregister("_issues_frame")


def drop_working_tables(con: duckdb.DuckDBPyConnection, raw: RawTable) -> None:
    """Drop the load's temporary tables (the raw table, keys and value columns)."""
    for table in ("_keys", "_vcols", raw.relation):
        con.execute(f"DROP TABLE IF EXISTS {table}")
