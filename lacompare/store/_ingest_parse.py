"""Ingest, step 4: parse the cells, in SQL.

Rows are joined to their matched keys (``_keys``), their value columns unpivoted
(``_vcols`` names each column's measure and period) and each cell parsed inside
DuckDB by the rules of :func:`lacompare.cells.parse_cell`: a figure, a marker's
missing reason, a category's label, and the text as published. The plan is SQL,
not data: it is read once per kind of row as the load writes them
(:mod:`lacompare.store._ingest_write`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lacompare.cells import UNPARSED, normalise_period, sql_parse
from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.sources import RawTable
from lacompare.sources.specs import IngestSpec
from lacompare.store._ingest_layout import Layout, heading_of

if TYPE_CHECKING:
    import duckdb


@dataclass
class CellPlan:
    """How a raw table's cells are read: joined to their keys, unpivoted and
    parsed (:meth:`cells_sql`)."""

    raw: RawTable
    layout: Layout
    spec: IngestSpec
    #: Joins a raw row ``r`` to its key ``k`` in ``_keys``.
    join: str
    #: A row's breakdown label ("filter=value; …"), from the raw row ``r``.
    breakdown_sql: str
    #: A raw row's number in its file.
    row_sql: str
    #: An EES region total's code and name, from the raw row ``r``.
    region_sql: str = "NULL"
    region_name_sql: str = "NULL"

    def cells_sql(self, kinds: str) -> str:
        """The parsed cells of the rows whose keys are of ``kinds`` (SQL text
        such as ``"'la'"``): one row per value, with its key, what is stored of
        it and where it came from."""
        raw, layout = self.raw, self.layout
        base = (
            f"SELECT r.*, {self.row_sql} AS _srow, k.kind AS _kind, k.la_code AS _la, "
            f"k.period AS _period, {self.breakdown_sql} AS _breakdown, "
            f"k.shown AS _shown, k.why AS _why, k.set_aside AS _set_aside, "
            f"CASE WHEN k.kind = 'total' AND k.area_name = 'region' "
            f"THEN {self.region_sql} ELSE k.area_code END AS _area_code, "
            f"CASE WHEN k.kind = 'total' AND k.area_name = 'region' "
            f"THEN {self.region_name_sql} ELSE k.area_name END AS _area_name "
            f"FROM {raw.relation} r JOIN _keys k ON {self.join} "
            f"WHERE k.kind IN ({kinds})"
        )
        if layout.kind == "long":
            measure_sql = (
                renamed_sql(f"b.{layout.measure_column}", self.spec)
                if layout.measure_column
                else f"'{layout.values[0].measure}'"
            )
            heading = heading_of(raw, layout.value_column).replace("'", "''")
            rows = (
                f"(SELECT b.*, '{layout.value_column}' AS col, "
                f"b.{layout.value_column} AS val, {measure_sql} AS measure, "
                f"'number' AS vtype, '{heading}' AS heading FROM ({base}) b)"
            )
        else:
            on = ", ".join(v.column for v in layout.values)
            # The heading (each value's source column) comes with the measure from
            # the one join: a CASE over the headings per value cost ~5% of a load.
            rows = (
                f"(SELECT u.* REPLACE (coalesce(v.vperiod, u._period) AS _period), "
                f"v.measure, v.vtype, v.heading FROM (FROM ({base}) UNPIVOT "
                f"INCLUDE NULLS (val FOR col IN ({on}))) u "
                f"JOIN _vcols v USING (col))"
            )
        stored = ", ".join(
            f"{sql} AS {name}"
            for name, sql in zip(
                ("value", "missing_reason", "label", "raw"),
                stored_sql("val", "vtype = 'category'"),
                strict=True,
            )
        )
        return f"""
            SELECT _kind AS kind, _la AS la_code, _area_code AS area_code,
                   _area_name AS area_name, measure, _period AS period,
                   _breakdown AS breakdown, {stored},
                   _srow AS source_row, heading AS source_column,
                   _shown AS shown, _why AS why, _set_aside AS set_aside
            FROM ({sql_parse(rows, ["val"], self.spec.markers)})"""


def parse_cells(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    layout: Layout,
    spec: IngestSpec,
    key_cols: list[str],
) -> tuple[CellPlan, IssueLog]:
    """Plan the parse of ``raw``'s cells (writing ``_vcols``), and check that
    every value has a measure and a period.

    Logged: filters that are the same on every row (not kept as breakdowns).
    Raises InputError for a long table's row with no measure name, or a row
    with no period.
    """
    _write_value_columns(con, raw, layout)
    breakdown_sql, issues = _breakdown_sql(con, raw, layout)
    # Region totals in EES files name their region in region_code/region_name.
    lower = {h.strip().lower(): f"c{i}" for i, h in enumerate(raw.headers)}
    region_code_col = lower.get("region_code") if layout.kind == "ees" else None
    region_name_col = lower.get("region_name") if layout.kind == "ees" else None
    # Rows are joined to their resolved keys first, then unpivoted and parsed, so
    # each kind of row (authorities, totals, unresolved) is read in one pass.
    plan = CellPlan(
        raw=raw,
        layout=layout,
        spec=spec,
        join=" AND ".join(f"r.{c} IS NOT DISTINCT FROM k.k_{c}" for c in key_cols),
        breakdown_sql=breakdown_sql,
        row_sql=(
            raw.row_sql.replace("rowid", "r.rowid")
            if "rowid" in raw.row_sql
            else f"r.{raw.row_sql}"
        ),
        region_sql=f"r.{region_code_col}" if region_code_col else "NULL",
        region_name_sql=f"r.{region_name_col}" if region_name_col else "NULL",
    )
    _check_measure_names(con, plan)
    _check_periods(con, raw, layout)
    return plan, issues


def _write_value_columns(
    con: duckdb.DuckDBPyConnection, raw: RawTable, layout: Layout
) -> None:
    """The value columns with their measure ids, as the temporary table ``_vcols``
    the unpivot joins: a column may carry its own period (wide tables with a
    column per year)."""
    import pandas as pd

    value_rows = [
        (
            v.column,
            v.measure,
            v.spec.type,
            normalise_period(v.spec.period),
            heading_of(raw, v.column),
        )
        for v in layout.values
    ]
    vframe = pd.DataFrame(
        value_rows,
        columns=["col", "measure", "vtype", "vperiod", "heading"],
        dtype=object,
    )
    con.execute("DROP TABLE IF EXISTS _vcols")
    con.register("_vcols_frame", vframe)
    con.execute(
        "CREATE TEMP TABLE _vcols AS SELECT CAST(col AS VARCHAR) col, "
        "CAST(vperiod AS VARCHAR) vperiod, "
        "CAST(measure AS VARCHAR) measure, CAST(vtype AS VARCHAR) vtype, "
        "CAST(heading AS VARCHAR) heading FROM _vcols_frame"
    )
    con.unregister("_vcols_frame")


def _breakdown_sql(
    con: duckdb.DuckDBPyConnection, raw: RawTable, layout: Layout
) -> tuple[str, IssueLog]:
    """SQL for a row's breakdown label, "filter=value; …", over the filters that
    vary within the file (those that do not are logged)."""
    issues = IssueLog()
    breakdown_cols = []
    if layout.breakdown_columns:
        counts = con.execute(
            "SELECT "
            + ", ".join(
                f"count(DISTINCT {c}), any_value({c})" for c in layout.breakdown_columns
            )
            + f" FROM {raw.relation}"
        ).fetchall()[0]
        for i, c in enumerate(layout.breakdown_columns):
            n, only = counts[2 * i], counts[2 * i + 1]
            if n > 1:
                breakdown_cols.append(c)
                continue
            issues.add(
                "constant-filter",
                f"filter {heading_of(raw, c)!r} is {only!r} on every row; not "
                "kept as a breakdown",
                severity="info",
                file=raw.file,
                sheet=raw.sheet,
                column=heading_of(raw, c),
                value=only,
            )
    if not breakdown_cols:
        return "''", issues
    parts = ", ".join(
        f"'{heading_of(raw, c).replace(chr(39), chr(39) * 2)}=' || coalesce(r.{c}, '')"
        for c in breakdown_cols
    )
    return f"concat_ws('; ', {parts})", issues


def _check_measure_names(con: duckdb.DuckDBPyConnection, plan: CellPlan) -> None:
    """Long tables: a blank measure name cannot be stored."""
    raw, layout = plan.raw, plan.layout
    if layout.kind != "long" or not layout.measure_column:
        return
    bad = con.execute(
        f"SELECT min({plan.row_sql}) FROM {raw.relation} r JOIN _keys k ON "
        f"{plan.join} WHERE k.kind IN ('la', 'total') AND coalesce(trim("
        f"r.{layout.measure_column}), '') = ''"
    ).fetchall()[0][0]
    if bad is not None:
        raise InputError(
            "no measure name",
            file=raw.file,
            sheet=raw.sheet,
            row=bad,
            column=heading_of(raw, layout.measure_column),
        )


def _check_periods(
    con: duckdb.DuckDBPyConnection, raw: RawTable, layout: Layout
) -> None:
    """Every stored row needs a period: its own, its column's or the file's."""
    if all(v.spec.period for v in layout.values):
        return
    missing = con.execute(
        # Set-aside rows ('other': districts, other levels) are stored too.
        "SELECT min(first_row) FROM _keys WHERE kind IN ('la', 'total', 'other') "
        "AND period IS NULL"
    ).fetchall()[0][0]
    if missing is None:
        return
    if layout.period_column is None:
        raise InputError(
            "no period: give one with --period (or period in a "
            "spec), or --period-column",
            file=raw.file,
            sheet=raw.sheet,
        )
    raise InputError(
        "no period on this row",
        file=raw.file,
        sheet=raw.sheet,
        row=missing,
        column=heading_of(raw, layout.period_column),
    )


def stored_sql(c: str, category: bool | str) -> tuple[str, str, str, str]:
    """SQL for what is stored of parsed text column ``c`` (see ``sql_parse``): its
    value, missing reason, label and raw text.

    ``category`` says whether the column holds categories: a bool when it is known
    here ("NULL" then stands for what such a column never has), or an SQL condition.
    A category cell keeps its text as the label, even when it reads as a number;
    a number cell keeps its text as ``raw`` when it was not a plain number.
    """
    text = f"({c}__missing IS NULL OR {c}__missing = '{UNPARSED}')"
    if category is True:
        return (
            "NULL",
            f"CASE WHEN {text} THEN NULL ELSE {c}__missing END",
            f"CASE WHEN {text} THEN trim({c}) END",
            "NULL",
        )
    if category is False:
        return (
            f"{c}__value",
            f"{c}__missing",
            "NULL",
            f"CASE WHEN NOT {c}__plain THEN {c} END",
        )
    return (
        f"CASE WHEN {category} THEN NULL ELSE {c}__value END",
        f"CASE WHEN {category} AND {text} THEN NULL ELSE {c}__missing END",
        f"CASE WHEN {category} AND {text} THEN trim({c}) END",
        f"CASE WHEN NOT ({category}) AND NOT {c}__plain THEN {c} END",
    )


def renamed_sql(column: str, spec: IngestSpec) -> str:
    """A long table's measure names, renamed as the spec says (``measure = ...``)."""
    pairs = [
        (name, m.measure)
        for name, m in spec.measures.items()
        if m.measure and m.measure != name
    ]
    if not pairs:
        return column
    cases = " ".join(
        "WHEN '{}' THEN '{}'".format(n.replace("'", "''"), m.replace("'", "''"))
        for n, m in pairs
    )
    return f"CASE trim({column}) {cases} ELSE {column} END"
