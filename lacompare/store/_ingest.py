"""Load a table into the store: read → lay out → match authorities → parse → load.

The whole load runs in one DuckDB transaction, so a failed load changes nothing.
Values are unpivoted and parsed inside DuckDB (the same rules as
:func:`lacompare.cells.parse_cell`), so a gigabyte CSV loads at close to the speed
of DuckDB's own reader. Authorities are matched once per distinct key.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.cells import UNPARSED, normalise_period, period_as_of, sql_parse
from lacompare.errors import InputError, SpecError
from lacompare.provenance import IssueLog
from lacompare.sources import (
    RawTable,
    check_cut_short,
    column_letter,
    prepare_rows,
    read_raw,
)
from lacompare.sources.specs import IngestSpec, MeasureSpec, measure_id, read_spec
from lacompare.store import authority_key
from lacompare.store._group_totals import check_named_totals
from lacompare.store._schema import OBSERVATION_COLUMNS
from lacompare.store._vintages import VintageChange, identify_source, settle

if TYPE_CHECKING:
    import duckdb

    from lacompare.store import Store

# EES data-standard columns (DfE "Explore education statistics" open data standards).
EES_TIME = "time_period"
EES_IDENTIFIER = "time_identifier"
EES_LEVEL = "geographic_level"
EES_LA_COLUMNS = ("new_la_code", "old_la_code", "la_name")
EES_STANDARD = {
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "la_code",
    "lad_code",
    "lad_name",
    "pcon_code",
    "pcon_name",
    "english_devolved_area_code",
    "english_devolved_area_name",
    "local_enterprise_partnership_code",
    "local_enterprise_partnership_name",
    "opportunity_area_code",
    "opportunity_area_name",
    "ward_code",
    "ward_name",
    "trust_id",
    "trust_name",
    "sponsor_id",
    "sponsor_name",
    "school_urn",
    "school_laestab",
    "school_name",
    "provider_ukprn",
    "provider_name",
    "institution_id",
    "institution_name",
    "lsip_code",
    "lsip_name",
    "mayoral_combined_authority_code",
    "mayoral_combined_authority_name",
    "rsc_region_lead_name",
    "planning_area_code",
    "planning_area_name",
}
EES_LA_LEVEL = "local authority"
EES_TOTAL_LEVELS = {"national", "regional"}

# Column headings that name a period (long tables).
PERIOD_HEADINGS = {
    "time_period",
    "year",
    "period",
    "years",
    "financial_year",
    "academic_year",
    "date",
    "snapshot_date",
}

# Column headings of long tables: the values, and the measure each row holds.
VALUE_HEADINGS = ("value", "values", "obs_value", "observation")
MEASURE_HEADINGS = (
    "measure",
    "measure_short",
    "short desc",
    "indicator",
    "measure_code",
    "metric",
    "variable",
)

# Rows used to classify columns (numbers or words): enough to be sure, few enough
# to be quick on a gigabyte file.
CLASSIFY_ROWS = 20000
# A column is numeric when this share of its filled cells parse as numbers or markers.
NUMERIC_SHARE = 0.8
# A column holds authorities when this share of its distinct values resolve.
LA_COLUMN_SHARE = 0.5
# How many unresolved rows an error message or dry run names one by one.
SHOW_ROWS = 20
# A table of at least this many values (rows × value columns) is kept as one row
# per file row with its values in lists (observation_rows): written in about a third
# of the time one row per value takes, but a scan of every value reads up to ~3x
# slower (README, Performance). Below it the write is short either way, so values
# stay one row each; no file in ../shared/data reaches it (the largest: 596 K).
COMPACT_VALUES = 1_000_000
# The measures a load stored, in either form.
_MEASURES_SQL = """
    SELECT measure FROM observation_cells WHERE source_id = $1
    UNION SELECT measure FROM observation_columns
    WHERE source_id = $1 AND source_id IN (SELECT source_id FROM observation_rows)"""

# Measures whose totals are not sums of their members.
_NOT_ADDITIVE = re.compile(
    r"(rate|percent|pct|_pc$|_pc_|per_|per10|per_head|average|avg|mean|median|"
    r"ratio|score|rank|proportion|share|index|_perc|percentage|quartile|duration)",
    re.I,
)


@dataclass
class ValueColumn:
    """A value column of the raw table and what it means."""

    column: str  # c0 … cN
    heading: str
    measure: str
    spec: MeasureSpec = field(default_factory=MeasureSpec)
    unit: str | None = None


@dataclass
class Layout:
    """Which columns of a raw table are authorities, periods, breakdowns and values."""

    kind: str
    la_columns: list[str]
    period_column: str | None = None
    period: str | None = None
    identifier_column: str | None = None
    level_column: str | None = None
    breakdown_columns: list[str] = field(default_factory=list)
    values: list[ValueColumn] = field(default_factory=list)
    measure_column: str | None = None
    value_column: str | None = None
    unused: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    """What a load did (or, with ``check=True``, would do)."""

    file: str
    sheet: str | None
    layout: str
    rows_read: int
    observations: int
    totals: int
    measures: list[str]
    periods: list[str]
    authorities: int
    unresolved: list[dict[str, Any]]
    totals_check: dict[str, int]
    totals_differ: list[dict[str, Any]]
    issues: IssueLog
    source_id: int | None
    dry_run: bool
    replaced: int | None = None
    #: Which vintage of which source this load is, what it changed against the
    #: previous one, and the conflicts with other sources it resolved.
    vintage: VintageChange | None = None
    #: Seconds spent in each step (for benchmarks).
    timings: dict[str, float] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """Plain-text summary for a terminal or log."""
        verb = "would load" if self.dry_run else "loaded"
        where = self.file + (f" [{self.sheet}]" if self.sheet else "")
        lines = [
            f"{where}: {self.layout} table, {self.rows_read:,} rows read",
            f"{verb} {self.observations:,} observations for {self.authorities} "
            f"authorities, {len(self.measures)} measures, periods "
            + _span(self.periods),
            f"set aside {self.totals:,} total/sub-total values; sum check: "
            + (
                ", ".join(f"{k} {v:,}" for k, v in sorted(self.totals_check.items()))
                or "none"
            ),
        ]
        # What the spec's row steps (keep_rows, area_lookup) did, so a sum or a
        # set-aside force total is never silent.
        lines.extend(i.message for i in self.issues.of_kind("row-set-aside"))
        summed = self.issues.of_kind("rows-summed")
        if summed:
            lines.append(
                f"{len(summed)} authorities are sums of several rows "
                "(each listed in the load's issues)"
            )
        if self.vintage is not None:
            lines.extend(
                ("(dry run) " if self.dry_run else "") + line
                for line in self.vintage.summary_lines()
            )
        if self.unresolved:
            lines.append(f"{len(self.unresolved):,} rows name no known authority:")
            for row in self.unresolved[:SHOW_ROWS]:
                lines.append(f"  row {row['row']}: {row['value']!r} — {row['why']}")
        return lines


def _span(periods: Sequence[str]) -> str:
    if not periods:
        return "none"
    if len(periods) <= 4:
        return ", ".join(periods)
    return f"{periods[0]} … {periods[-1]} ({len(periods)})"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (identifies a source across reloads)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ingest(
    store: Store,
    path: str | Path,
    *,
    spec: IngestSpec | str | Path | None = None,
    sheet: str | None = None,
    la_column: str | None = None,
    period_column: str | None = None,
    period: str | None = None,
    value_column: str | None = None,
    measure: str | None = None,
    measure_column: str | None = None,
    as_of: str | None = None,
    check: bool = False,
    skip_unresolved: bool = False,
    source: str | None = None,
    as_new_source: bool = False,
    replace: bool = False,
) -> IngestResult:
    """Load one table into the store, atomically.

    Parameters
    ----------
    store
        An open :class:`~lacompare.store.Store`.
    path
        CSV, XLSX/XLS/ODS or Parquet file.
    spec
        A mapping spec (:class:`IngestSpec` or a TOML path); flags override it.
    sheet, la_column, period_column, period, value_column, measure, measure_column
        Mapping flags for what detection cannot tell (see ``lacompare ingest --help``).
    as_of
        Date to match authority names on (default: each row's period).
    check
        Dry run: do everything, report, change nothing.
    skip_unresolved
        Load the rows that resolve and log the rest, instead of failing.
    source
        The source this load is a vintage of (default: a current load with the same
        bytes and sheet, else the file's name and sheet; see
        :mod:`lacompare.store._vintages`).
    as_new_source
        Make this load a source of its own, even if one has its name.
    replace
        Make this load the new vintage of the source of its name even though it
        shares none of its measures (otherwise refused as ambiguous).

    Returns
    -------
    IngestResult

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("la,pop\\nLeeds,\\"1,000\\"\\nYork,c\\nEngland,9\\n")
    >>> with open_store(":memory:") as s:
    ...     r = ingest(s, p, period="2021")
    ...     r.observations, r.totals, s.con.execute("SELECT value, missing_reason "
    ...         "FROM observations ORDER BY source_row").fetchall()
    (2, 1, [(1000.0, None), (None, 'suppressed')])
    """
    spec = _merge_spec(
        spec,
        sheet,
        la_column,
        period_column,
        period,
        value_column,
        measure,
        measure_column,
        as_of,
    )
    path = Path(path)
    con = store.con
    clock = _Clock()
    # The file is hashed while DuckDB reads it (hashlib lets go of the GIL): on a
    # 1 GB file the hash alone takes about a second.
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(file_sha256, path) if path.is_file() else None
        # Read before the transaction: a temporary table made inside one numbers
        # its rows from a large offset, and row numbers must be the file's.
        raw = read_raw(
            con,
            path,
            sheet=spec.sheet,
            header_row=spec.header_row,
            header_rows=spec.header_rows,
            relation="_raw",
        )
        sha = hashing.result() if hashing else ""
    check_cut_short(con, raw)
    raw, spec = prepare_rows(con, raw, spec)
    clock.lap("read")
    con.execute("BEGIN TRANSACTION")
    try:
        identity = {
            "source": source,
            "as_new_source": as_new_source,
            "replace": replace,
        }
        result = _load(store, raw, spec, sha, check, skip_unresolved, clock, identity)
        if check:
            con.execute("ROLLBACK")
        else:
            con.execute("COMMIT")
        return result
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _merge_spec(
    spec: IngestSpec | str | Path | None,
    sheet: str | None,
    la_column: str | None,
    period_column: str | None,
    period: str | None,
    value_column: str | None,
    measure: str | None,
    measure_column: str | None,
    as_of: str | None,
) -> IngestSpec:
    if spec is None:
        merged = IngestSpec()
    elif isinstance(spec, IngestSpec):
        merged = IngestSpec.from_dict({"source": {}}, None)
        merged.__dict__.update(spec.__dict__)
    else:
        merged = read_spec(spec)
    if sheet is not None:
        merged.sheet = sheet
    if la_column is not None:
        merged.la_columns = [c.strip() for c in la_column.split(",")]
    if period_column is not None:
        merged.period_column = period_column
    if period is not None:
        merged.period = str(period)
    if value_column is not None:
        merged.value_column = value_column
        merged.layout = merged.layout or "long"
    if measure is not None:
        if merged.value_column is None and not merged.measure_column:
            raise InputError(
                "--measure goes with --value-column (a long table with "
                "one value column)"
            )
        merged.measures.setdefault(measure, MeasureSpec(measure=measure))
        merged.__dict__["_single_measure"] = measure
    if measure_column is not None:
        merged.measure_column = measure_column
        merged.layout = merged.layout or "long"
    if as_of is not None:
        merged.as_of = as_of
    return merged


def _column_of(raw: RawTable, heading: str, what: str) -> str:
    wanted = heading.strip().lower()
    for i, name in enumerate(raw.headers):
        if name.strip().lower() == wanted:
            return f"c{i}"
    raise InputError(
        f"no column {heading!r} for {what}; columns are: "
        + ", ".join(repr(h) for h in raw.headers[:30])
        + (" …" if len(raw.headers) > 30 else ""),
        file=raw.file,
        sheet=raw.sheet,
        row=raw.header_row,
    )


def _heading(raw: RawTable, column: str) -> str:
    return raw.headers[int(column[1:])]


def _classify(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    columns: list[str],
    markers: dict[str, str] | None = None,
) -> dict[str, dict[str, float]]:
    """Share of filled cells that parse (numbers or markers), and units seen."""
    if not columns:
        return {}
    # Classify on a sample of cells, unpivoted to one text column so the
    # parse plan is the same size for 5 columns or 500.
    rows = max(200, min(CLASSIFY_ROWS, 200_000 // len(columns)))
    sample = (
        f"(FROM (SELECT {', '.join(columns)} FROM {raw.relation} LIMIT {rows}) "
        f"UNPIVOT INCLUDE NULLS (val FOR col IN ({', '.join(columns)})))"
    )
    filled = "(val IS NOT NULL AND trim(val) <> '')"
    found = con.execute(
        f"""SELECT col, count(*) FILTER ({filled}),
                   count(*) FILTER ({filled} AND coalesce(val__missing, '')
                                    <> '{UNPARSED}'),
                   count(*) FILTER ({filled} AND val__value IS NOT NULL),
                   coalesce(bool_or(contains(val, '%')), false),
                   coalesce(bool_or(contains(val, '£')), false)
            FROM ({sql_parse(sample, ["val"], markers)}) GROUP BY col"""
    ).fetchall()
    stats = {
        col: {"n": n, "ok": ok, "num": num, "pct": pct, "gbp": gbp}
        for col, n, ok, num, pct, gbp in found
    }
    return stats


def _is_numeric(stat: dict[str, float]) -> bool:
    return stat["n"] == 0 or (
        stat["ok"] >= NUMERIC_SHARE * stat["n"] and stat["num"] > 0
    )


def _detect_la_columns(
    con: duckdb.DuckDBPyConnection, raw: RawTable, candidates: list[str]
) -> list[str]:
    """Columns whose values are authorities: codes first, then names."""
    from lacompare.geography import match_authorities

    scored = []
    for col in candidates:
        values = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {col} FROM (SELECT {col} FROM {raw.relation} "
                f"LIMIT {CLASSIFY_ROWS}) WHERE {col} IS NOT NULL AND trim({col}) <> '' "
                "LIMIT 400"
            ).fetchall()
        ]
        if not values:
            continue
        matches = match_authorities(values)
        la = sum(m.match not in ("none", "total-row") for m in matches)
        # Codes of districts or of areas outside England are recognised too.
        share = sum(
            m.match != "none" or str(v).strip().upper()[:3] in _NOT_UPPER_TIER
            for v, m in zip(values, matches, strict=True)
        ) / len(values)
        if la == 0 or share < LA_COLUMN_SHARE:
            continue
        codes = sum(m.match == "code" for m in matches)
        scored.append((codes / len(values) > 0.5, share, col))
    codes = [c for is_code, share, c in scored if is_code]
    names = sorted((s, c) for is_code, s, c in scored if not is_code)
    chosen = codes + ([names[-1][1]] if names else [])
    return chosen


def _layout(con: duckdb.DuckDBPyConnection, raw: RawTable, spec: IngestSpec) -> Layout:
    lower = {h.strip().lower(): f"c{i}" for i, h in enumerate(raw.headers)}
    excluded = {_column_of(raw, h, "exclude_columns") for h in spec.exclude_columns}
    kind = spec.layout
    if kind is None:
        if (
            EES_TIME in lower
            and EES_LEVEL in lower
            and any(c in lower for c in EES_LA_COLUMNS)
        ):
            kind = "ees"
        elif spec.value_column or spec.measure_column:
            kind = "long"
        elif any(h in lower for h in VALUE_HEADINGS) and any(
            h in lower for h in MEASURE_HEADINGS
        ):
            # A long table: one value column, the measure named on each row.
            kind = "long"
            spec.value_column = (
                spec.value_column
                or raw.headers[
                    int(next(lower[h] for h in VALUE_HEADINGS if h in lower)[1:])
                ]
            )
            spec.measure_column = (
                spec.measure_column
                or raw.headers[
                    int(next(lower[h] for h in MEASURE_HEADINGS if h in lower)[1:])
                ]
            )
            if spec.period_column is None and spec.period is None:
                found = [h for h in PERIOD_HEADINGS if h in lower]
                if found:
                    spec.period_column = raw.headers[int(lower[found[0]][1:])]
        else:
            kind = "wide"
    layout = Layout(kind=kind, la_columns=[])
    if spec.la_columns:
        layout.la_columns = [_column_of(raw, h, "la_columns") for h in spec.la_columns]
    elif kind == "ees":
        layout.la_columns = [lower[c] for c in EES_LA_COLUMNS if c in lower]
    if kind == "ees":
        layout.period_column = lower[EES_TIME]
        layout.identifier_column = lower.get(EES_IDENTIFIER)
        layout.level_column = lower[EES_LEVEL]
    if spec.period_column:
        layout.period_column = _column_of(raw, spec.period_column, "period_column")
    layout.period = spec.period
    if spec.measure_column:
        layout.measure_column = _column_of(raw, spec.measure_column, "measure_column")
    if spec.value_column:
        layout.value_column = _column_of(raw, spec.value_column, "value_column")
    if spec.breakdown_columns is not None:
        layout.breakdown_columns = [
            _column_of(raw, h, "breakdown_columns") for h in spec.breakdown_columns
        ]
    used = (
        set(layout.la_columns)
        | excluded
        | {
            c
            for c in (
                layout.period_column,
                layout.identifier_column,
                layout.level_column,
                layout.measure_column,
                layout.value_column,
            )
            if c
        }
    )
    used |= set(layout.breakdown_columns)
    if kind == "ees":
        used |= {lower[h] for h in EES_STANDARD if h in lower}
    rest = [c for c in raw.columns if c not in used]
    if spec.columns is not None:
        chosen = {_column_of(raw, h, "columns") for h in spec.columns}
        rest = [c for c in rest if c in chosen]
    stats = _classify(
        con,
        raw,
        rest + ([layout.value_column] if layout.value_column else []),
        spec.markers,
    )
    if not layout.la_columns:
        texty = [c for c in rest if not _is_numeric(stats[c])]
        coded = [
            c
            for c in rest
            if _is_numeric(stats[c]) and _looks_like_code_heading(_heading(raw, c))
        ]
        layout.la_columns = _detect_la_columns(con, raw, coded + texty)
        named_la = [
            c for c in layout.la_columns if _NAME_HEADING.search(_heading(raw, c))
        ]
        if layout.la_columns and not named_la:
            # Codes found: the authority's name column goes with them (checked
            # against the code) rather than loading as a measure.
            named = [
                c
                for c in texty
                if _NAME_HEADING.search(_heading(raw, c)) and c not in layout.la_columns
            ]
            layout.la_columns += named[:1]
        if not layout.la_columns:
            raise InputError(
                "cannot tell which column names the local authority; give it with "
                "--la-column (or la_columns in a spec)",
                file=raw.file,
                sheet=raw.sheet,
                row=raw.header_row,
            )
        rest = [c for c in rest if c not in layout.la_columns]
    if kind in ("wide",) and layout.period_column is None and layout.period is None:
        for c in rest:
            if _heading(raw, c).strip().lower() in PERIOD_HEADINGS:
                layout.period_column = c
        rest = [c for c in rest if c != layout.period_column]
    if kind == "long":
        layout.unused = [c for c in rest if c != layout.value_column]
        if layout.value_column is None:
            raise InputError(
                "a long table needs --value-column", file=raw.file, sheet=raw.sheet
            )
        if layout.measure_column is None and not spec.__dict__.get("_single_measure"):
            raise InputError(
                "a long table needs --measure NAME or --measure-column",
                file=raw.file,
                sheet=raw.sheet,
            )
        stat = stats[layout.value_column]
        layout.values = [
            ValueColumn(
                layout.value_column,
                _heading(raw, layout.value_column),
                spec.__dict__.get("_single_measure") or "",
                unit="%" if stat["pct"] else ("£" if stat["gbp"] else None),
            )
        ]
    else:
        breakdowns: list[str] = []
        for c in rest:
            heading = _heading(raw, c)
            mspec = (
                spec.measures.get(heading)
                or spec.measures.get(measure_id(heading))
                or MeasureSpec()
            )
            numeric = _is_numeric(stats[c])
            if kind == "ees" and not numeric and spec.breakdown_columns is None:
                breakdowns.append(c)
                continue
            if (
                not numeric
                and mspec.type == "number"
                and not spec.measures.get(heading)
            ):
                mspec = MeasureSpec(**{**mspec.__dict__, "type": "category"})
            stat = stats[c]
            layout.values.append(
                ValueColumn(
                    c,
                    heading,
                    mspec.measure or measure_id(heading),
                    mspec,
                    unit="%" if stat["pct"] else ("£" if stat["gbp"] else None),
                )
            )
        if kind == "ees" and spec.breakdown_columns is None:
            layout.breakdown_columns = breakdowns
        _distinct_measure_ids(layout.values)
    if not layout.values:
        raise InputError(
            "no value columns found", file=raw.file, sheet=raw.sheet, row=raw.header_row
        )
    return layout


def _distinct_measure_ids(values: list[ValueColumn]) -> None:
    """Two headings that make the same id ('cs_share', 'CS Share') keep apart.

    The second and later get the column letter appended, so no value overwrites
    another; a spec can name them properly.
    """
    seen: dict[tuple[str, str | None], ValueColumn] = {}
    for v in values:
        key = (v.measure, v.spec.period)
        if key in seen and not v.spec.measure:
            v.measure = f"{v.measure}_{_letter_of(v.column)}"
            key = (v.measure, v.spec.period)
        if key in seen:
            raise SpecError(
                f"columns {seen[key].heading!r} and {v.heading!r} are both measure "
                f"{v.measure!r}"
                + (f" for {v.spec.period}" if v.spec.period else "")
                + "; give them different measures or periods"
            )
        seen[key] = v


def _letter_of(column: str) -> str:
    return column_letter(int(column[1:])).lower()


def _looks_like_code_heading(heading: str) -> bool:
    h = heading.strip().lower()
    return h == "la" or any(
        w in h for w in ("code", "number", "num", "lea", "geog_c", "la no")
    )


_NAME_HEADING = re.compile(r"\b(name|authority|area)\b|_name$|_n$", re.I)


def _resolve_keys(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    layout: Layout,
    spec: IngestSpec,
    issues: IssueLog,
) -> dict[str, Any]:
    """Match each distinct (authority columns, period) once; write table _keys."""
    import pandas as pd

    from lacompare.geography import match_authorities

    key_cols = list(layout.la_columns)
    extra = [
        c
        for c in (layout.period_column, layout.identifier_column, layout.level_column)
        if c
    ]
    cols = key_cols + extra
    distinct = con.execute(
        f"SELECT {', '.join(cols)}, count(*) AS n, min({raw.row_sql}) AS first_row "
        f"FROM {raw.relation} GROUP BY ALL"
    ).fetchall()
    records = []
    for row in distinct:
        cells = dict(zip(cols, row[: len(cols)], strict=True))
        n, first_row = row[len(cols)], row[len(cols) + 1]
        ident = (
            cells.get(layout.identifier_column) if layout.identifier_column else None
        )
        period_raw = (
            cells.get(layout.period_column) if layout.period_column else layout.period
        )
        period = normalise_period(period_raw, ident)
        as_of = spec.as_of or (
            period_as_of(period) and period_as_of(period).isoformat()
        )
        records.append(
            {
                "cells": cells,
                "n": n,
                "first_row": first_row,
                "period": period,
                "as_of": as_of,
            }
        )
    # Resolve each key column's distinct values once per as_of date.
    by_date: dict[str | None, set[str]] = {}
    for rec in records:
        for c in key_cols:
            value = rec["cells"][c]
            if value is not None and str(value).strip():
                by_date.setdefault(rec["as_of"], set()).add(value)
    resolved: dict[tuple[str | None, str], Any] = {}
    for date, values in by_date.items():
        ordered = sorted(values)
        for value, match in zip(
            ordered, match_authorities(ordered, as_of=date), strict=True
        ):
            resolved[(date, value)] = match
    out = []
    for rec in records:
        cells = rec["cells"]
        level = (
            (cells.get(layout.level_column) or "").strip().lower()
            if layout.level_column
            else None
        )
        la_code = area_code = area_name = set_aside = None
        kind, why, shown = "none", "", ""
        matches = []
        for c in key_cols:
            value = cells[c]
            if value is None or not str(value).strip():
                continue
            m = resolved[(rec["as_of"], value)]
            matches.append((c, value, m))
        if level is not None and level in EES_TOTAL_LEVELS:
            kind = "total"
            area_code, area_name = _ees_area(con, raw, layout, cells, level)
        elif level is not None and level != EES_LA_LEVEL:
            # Rows at other levels (statistical-neighbour medians, districts) are
            # figures, not authorities: kept with the set-aside totals.
            kind, set_aside = "other", "other-level"
            area_code, area_name = _other_area(matches, cells, key_cols, level)
        else:
            good = [(c, v, m) for c, v, m in matches if m.match != "none"]
            other = None if good else _other_row(matches)
            if other:
                kind, set_aside, area_code, area_name = other
            elif good:
                c, v, m = good[0]
                if all(g[2].match == "total-row" for g in good):
                    # Publishers code Inner and Outer London rows with London's
                    # region code; the name says which it is.
                    c, v, m = good[-1]
                elif m.match == "total-row":
                    c, v, m = next(g for g in good if g[2].match != "total-row")
                if m.match == "total-row":
                    kind, area_code, area_name = "total", m.la_code, m.la_name or v
                    if area_code is None and area_name in ("Total", "Sub-total"):
                        # Keep the printed label ('Metropolitan sub-total', 'All
                        # Shires Total'): it says which authorities it sums.
                        area_name = str(v).strip()
                else:
                    if not _valid_on(m, rec["as_of"]):
                        # EES files back-cast today's ONS code onto earlier years
                        # (North Yorkshire's E06000065 on 2021 rows); the authority
                        # of the period is the one that existed then.
                        then = [
                            g
                            for g in good
                            if g[2].match != "total-row"
                            and _valid_on(g[2], rec["as_of"])
                            and g[2].dfe_code == m.dfe_code
                        ]
                        if then:
                            issues.add(
                                "back-cast-code",
                                f"{v!r} is {m.la_name}'s code from "
                                f"{_valid_from(m)}; rows for {rec['period']} "
                                f"are {then[0][2].la_name} "
                                f"({then[0][2].la_code or then[0][2].dfe_code})",
                                severity="info",
                                file=raw.file,
                                sheet=raw.sheet,
                                row=rec["first_row"],
                                column=_heading(raw, c),
                                value=str(v),
                            )
                            c, v, m = then[0]
                    kind, la_code = "la", authority_key(m.la_code, m.dfe_code)
                    # Another column naming a different authority of the period
                    # is a real disagreement (a back-cast code is not).
                    others = {
                        authority_key(m2.la_code, m2.dfe_code)
                        for _, _, m2 in good
                        if m2.match != "total-row" and _valid_on(m2, rec["as_of"])
                    } - {la_code}
                    if others:
                        issues.add(
                            "code-name-mismatch",
                            "columns name different authorities: "
                            + "; ".join(
                                f"{_heading(raw, c2)}={v2!r}→{m2.la_code}"
                                for c2, v2, m2 in good
                            )
                            + f"; used {_heading(raw, c)}",
                            file=raw.file,
                            sheet=raw.sheet,
                            row=rec["first_row"],
                            column=_heading(raw, c),
                        )
                    if m.note:
                        issues.add(
                            "authority-note",
                            f"{v!r}: {m.note}",
                            severity="info",
                            file=raw.file,
                            sheet=raw.sheet,
                            row=rec["first_row"],
                            column=_heading(raw, c),
                            value=str(v),
                        )
                    if m.match == "fuzzy":
                        # Loaded (the matcher's guards make it near-certain), but
                        # shown: a name that is not exact is never taken silently.
                        issues.add(
                            "fuzzy-match",
                            f"{v!r} is not an exact name or alias; loaded as "
                            f"{m.la_name!r} (fuzzy score {m.score:.0f}): "
                            "check it",
                            severity="warning",
                            file=raw.file,
                            sheet=raw.sheet,
                            row=rec["first_row"],
                            column=_heading(raw, c),
                            value=str(v),
                        )
            elif matches:
                c, v, m = matches[-1]
                shown = str(v)
                near = ", ".join(m.candidates[:3])
                why = "no authority matches" + (f" (nearest: {near})" if near else "")
            else:
                why = "no authority given"
        out.append(
            {
                **{f"k_{c}": cells[c] for c in cols},
                "period": rec["period"],
                "la_code": la_code,
                "area_code": area_code,
                "area_name": area_name,
                "kind": kind,
                "why": why,
                "shown": shown,
                "set_aside": set_aside,
                "n": rec["n"],
                "first_row": rec["first_row"],
            }
        )
    frame = pd.DataFrame(out, dtype=object)
    for c in cols:
        frame[f"k_{c}"] = frame[f"k_{c}"].astype(object)
    con.execute("DROP TABLE IF EXISTS _keys")
    con.register("_keys_frame", frame)
    try:
        casts = ", ".join(
            f"CAST({c} AS {'BIGINT' if c in ('n', 'first_row') else 'VARCHAR'}) AS {c}"
            for c in frame.columns
        )
        con.execute(f"CREATE TEMP TABLE _keys AS SELECT {casts} FROM _keys_frame")
    finally:
        con.unregister("_keys_frame")
    return {"cols": cols, "records": out}


class _Clock:
    """Seconds per step of a load, reported in :attr:`IngestResult.timings`."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


@functools.cache
def _validity() -> dict[str, tuple[str, str]]:
    from lacompare.geography import read_authorities

    frame = read_authorities()
    return {
        authority_key(r.la_code, r.dfe_code): (
            str(r.valid_from or ""),
            str(r.valid_to or ""),
        )
        for r in frame.itertuples()
    }


def _valid_from(match: Any) -> str:
    return (
        _validity().get(authority_key(match.la_code, match.dfe_code), ("", ""))[0]
        or "before 1998"
    )


def _valid_on(match: Any, as_of: str | None) -> bool:
    """Whether the matched authority existed on ``as_of`` (True when unknown)."""
    if not as_of:
        return True
    start, end = _validity().get(authority_key(match.la_code, match.dfe_code), ("", ""))
    start = "" if start in ("nan", "None") else start
    end = "" if end in ("nan", "None") else end
    return (not start or start <= as_of) and (not end or as_of <= end)


# ONS code prefixes of areas that are not English upper-tier authorities.
_NOT_UPPER_TIER = {
    "E07": ("district", "lower-tier district"),
    "W06": ("outside-england", "Welsh unitary authority"),
    "W92": ("outside-england", "Wales"),
    "S12": ("outside-england", "Scottish council area"),
    "S92": ("outside-england", "Scotland"),
    "N09": ("outside-england", "Northern Ireland district"),
    "N92": ("outside-england", "Northern Ireland"),
    "K02": ("outside-england", "United Kingdom"),
    "K03": ("outside-england", "Great Britain"),
    "K04": ("outside-england", "England and Wales"),
}
_CODE = re.compile(r"^[EWSNK]\d{8}$")
# Kinds of public body that MHCLG's revenue outturn (RO/RSX) lists beside councils
# ("Police and Crime Commissioner", "Fire and Rescue Authority", "Combined Authority",
# national parks, waste and transport authorities): figures, but not an authority's.
_OTHER_BODY = re.compile(
    r"\b(police|fire and rescue|fire authority|combined authority|park authority|"
    r"national park|broads authority|waste (disposal )?authority|transport for|"
    r"passenger transport|pension|port health|crime commissioner)\b",
    re.I,
)

# ONS entity codes of English upper-tier authorities (unitary, metropolitan district,
# London borough, county).
_UPPER_TIER_PREFIXES = {"E06", "E08", "E09", "E10"}


def _other_row(
    matches: list[tuple[str, Any, Any]],
) -> tuple[str, str, str | None, str] | None:
    """A row that names an area other than one authority: (kind, why, code, name).

    Lower-tier districts, areas outside England and joint returns of two
    authorities ('North Northamptonshire / West Northamptonshire') are figures
    worth keeping, but not an authority's.
    """
    from lacompare.geography import match_authorities

    codes = [
        str(v).strip().upper()
        for _, v, _ in matches
        if _CODE.match(str(v).strip().upper())
    ]
    names = [
        str(v).strip() for _, v, _ in matches if not _CODE.match(str(v).strip().upper())
    ]
    for code in codes:
        found = _NOT_UPPER_TIER.get(code[:3])
        if found:
            return "other", found[0], code, names[-1] if names else found[1]
        if code[:3] not in _UPPER_TIER_PREFIXES:
            # A real ONS code of another kind of body (police E23, fire E31, …).
            return "other", "other-body", code, names[-1] if names else code
    for name in names:
        if _OTHER_BODY.search(name):
            return "other", "other-body", codes[0] if codes else None, name
    if names:
        from lacompare.geography import match_district, match_outside_england

        found = match_district(names[-1])
        if found is not None:
            return "other", "district", found.district_code, found.district_name
        elsewhere = match_outside_england(names[-1])
        if elsewhere is not None:
            return "other", "outside-england", elsewhere[0], names[-1]
    for name in names:
        parts = [p.strip() for p in re.split(r"\s+/\s+|\s*;\s*", name) if p.strip()]
        if len(parts) > 1:
            found = match_authorities(parts)
            if all(m.match not in ("none", "total-row") for m in found):
                code = ";".join(authority_key(m.la_code, m.dfe_code) for m in found)
                return "other", "joint-return", code, name
    return None


def _other_area(
    matches: list[tuple[str, Any, Any]],
    cells: dict[str, Any],
    key_cols: list[str],
    level: str,
) -> tuple[str | None, str]:
    codes = [str(v).strip() for _, v, _ in matches if _CODE.match(str(v).strip())]
    names = [str(v).strip() for _, v, _ in matches if not _CODE.match(str(v).strip())]
    return (codes[0] if codes else None), (names[-1] if names else level)


def _ees_area(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    layout: Layout,
    cells: dict[str, Any],
    level: str,
) -> tuple[str | None, str]:
    if level == "national":
        return "E92000001", "England"
    return None, "region"  # filled per row from region_code below


def _load(
    store: Store,
    raw: RawTable,
    spec: IngestSpec,
    sha: str,
    check: bool,
    skip_unresolved: bool,
    clock: _Clock,
    identity: dict[str, Any] | None = None,
) -> IngestResult:
    con = store.con
    issues = IssueLog()
    issues.extend(raw.issues)
    if raw.n_rows == 0:
        raise InputError(
            "the table has headings but no rows",
            file=raw.file,
            sheet=raw.sheet,
            row=raw.header_row,
        )
    layout = _layout(con, raw, spec)
    for c in layout.unused:
        issues.add(
            "unused-column",
            f"column {_heading(raw, c)!r} is not loaded "
            "(a long table keeps authority, period, measure and value; name "
            "it in breakdown_columns to keep it)",
            severity="info",
            file=raw.file,
            sheet=raw.sheet,
            column=_heading(raw, c),
        )
    clock.lap("layout")
    keys = _resolve_keys(con, raw, layout, spec, issues)
    clock.lap("match authorities")
    key_cols = keys["cols"]
    join = " AND ".join(f"r.{c} IS NOT DISTINCT FROM k.k_{c}" for c in key_cols)

    # Region totals in EES files name their region in region_code/region_name.
    lower = {h.strip().lower(): f"c{i}" for i, h in enumerate(raw.headers)}
    region_code_col = lower.get("region_code") if layout.kind == "ees" else None
    region_name_col = lower.get("region_name") if layout.kind == "ees" else None

    # Value columns: unpivot them in SQL with their measure ids.
    value_rows = []
    for v in layout.values:
        # A column may carry its own period (wide tables with a column per year).
        value_rows.append(
            (
                v.column,
                v.measure,
                v.spec.type,
                normalise_period(v.spec.period),
                _heading(raw, v.column),
            )
        )
    import pandas as pd

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

    # Breakdown label: "filter=value; …" over filters that vary within the file.
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
                f"filter {_heading(raw, c)!r} is {only!r} on every row; not "
                "kept as a breakdown",
                severity="info",
                file=raw.file,
                sheet=raw.sheet,
                column=_heading(raw, c),
                value=only,
            )
    if breakdown_cols:
        parts = ", ".join(
            f"'{_heading(raw, c).replace(chr(39), chr(39) * 2)}=' || coalesce(r.{c}, '')"
            for c in breakdown_cols
        )
        breakdown_sql = f"concat_ws('; ', {parts})"
    else:
        breakdown_sql = "''"

    # Rows are joined to their resolved keys first, then unpivoted and parsed, so
    # each kind of row (authorities, totals, unresolved) is read in one pass.
    row_sql = (
        raw.row_sql.replace("rowid", "r.rowid")
        if "rowid" in raw.row_sql
        else f"r.{raw.row_sql}"
    )
    region_sql = f"r.{region_code_col}" if region_code_col else "NULL"
    region_name_sql = f"r.{region_name_col}" if region_name_col else "NULL"

    stored = ", ".join(
        f"{sql} AS {name}"
        for name, sql in zip(
            ("value", "missing_reason", "label", "raw"),
            _stored_sql("val", "vtype = 'category'"),
            strict=True,
        )
    )

    def cells_sql(kinds: str) -> str:
        base = (
            f"SELECT r.*, {row_sql} AS _srow, k.kind AS _kind, k.la_code AS _la, "
            f"k.period AS _period, {breakdown_sql} AS _breakdown, "
            f"k.shown AS _shown, k.why AS _why, k.set_aside AS _set_aside, "
            f"CASE WHEN k.kind = 'total' AND k.area_name = 'region' "
            f"THEN {region_sql} ELSE k.area_code END AS _area_code, "
            f"CASE WHEN k.kind = 'total' AND k.area_name = 'region' "
            f"THEN {region_name_sql} ELSE k.area_name END AS _area_name "
            f"FROM {raw.relation} r JOIN _keys k ON {join} "
            f"WHERE k.kind IN ({kinds})"
        )
        if layout.kind == "long":
            measure_sql = (
                _renamed_sql(f"b.{layout.measure_column}", spec)
                if layout.measure_column
                else f"'{layout.values[0].measure}'"
            )
            heading = _heading(raw, layout.value_column).replace("'", "''")
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
        return f"""
            SELECT _kind AS kind, _la AS la_code, _area_code AS area_code,
                   _area_name AS area_name, measure, _period AS period,
                   _breakdown AS breakdown, {stored},
                   _srow AS source_row, heading AS source_column,
                   _shown AS shown, _why AS why, _set_aside AS set_aside
            FROM ({sql_parse(rows, ["val"], spec.markers)})"""

    # Long tables: a blank measure name cannot be stored.
    if layout.kind == "long" and layout.measure_column:
        bad = con.execute(
            f"SELECT min({row_sql}) FROM {raw.relation} r JOIN _keys k ON {join} "
            f"WHERE k.kind IN ('la', 'total') AND coalesce(trim("
            f"r.{layout.measure_column}), '') = ''"
        ).fetchall()[0][0]
        if bad is not None:
            raise InputError(
                "no measure name",
                file=raw.file,
                sheet=raw.sheet,
                row=bad,
                column=_heading(raw, layout.measure_column),
            )
    every_column_dated = all(v.spec.period for v in layout.values)
    periods_missing = (
        None
        if every_column_dated
        else con.execute(
            # Set-aside rows ('other': districts, other levels) are stored too.
            "SELECT min(first_row) FROM _keys WHERE kind IN ('la', 'total', 'other') "
            "AND period IS NULL"
        ).fetchall()[0][0]
    )
    if periods_missing is not None:
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
            row=periods_missing,
            column=_heading(raw, layout.period_column),
        )

    # Rows that resolve to no authority: an error unless asked to skip them.
    # Rows with no values at all (notes under a table) are set aside and logged.
    any_unresolved = con.execute(
        "SELECT count(*) FROM _keys WHERE kind = 'none'"
    ).fetchall()[0][0]
    unresolved_rows = (
        _unresolved(con, raw, key_cols, cells_sql("'none'")) if any_unresolved else []
    )
    clock.lap("checks")
    unresolved = [u for u in unresolved_rows if u["has_values"]]
    for u in unresolved_rows:
        if not u["has_values"]:
            issues.add(
                "empty-row",
                f"row has no values (a note?): {u['value']!r}",
                severity="info",
                file=raw.file,
                sheet=raw.sheet,
                row=u["row"],
                column=u["column"],
                value=u["value"],
            )
    if unresolved and not check and not skip_unresolved:
        first = unresolved[0]
        raise InputError(
            f"{first['value']!r} is not a known local authority ({first['why']}); "
            f"{len(unresolved)} such row(s). Check the names with lacompare "
            "resolve, or pass --skip-unresolved to load the rest",
            file=raw.file,
            sheet=raw.sheet,
            row=first["row"],
            column=first["column"],
        )
    for u in unresolved:
        issues.add(
            "unresolved-authority",
            f"{u['value']!r}: {u['why']}",
            severity="warning" if skip_unresolved or check else "error",
            file=raw.file,
            sheet=raw.sheet,
            row=u["row"],
            column=u["column"],
            value=u["value"],
        )

    # Which source this load is a vintage of; it is settled (the previous vintage
    # superseded, conflicts with other sources resolved) once its values are in.
    spec_text = spec.to_json()
    source = identify_source(
        con, raw.file, raw.sheet, sha, spec_text, **(identity or {})
    )
    replaced = source.previous if source.identical else None
    source_id = con.execute(
        "INSERT INTO sources (file, sheet, sha256, spec, source_key) "
        "VALUES (?, ?, ?, ?, ?) RETURNING source_id",
        [str(Path(raw.file).resolve()), raw.sheet or "", sha, spec_text, source.key],
    ).fetchall()[0][0]
    # Stored order carries no meaning (source_row does), so let DuckDB insert in
    # parallel without keeping it.
    con.execute("SET preserve_insertion_order = false")
    if layout.kind != "long" and raw.n_rows * len(layout.values) >= COMPACT_VALUES:
        _insert_rows(con, raw, layout, spec, source_id, join, breakdown_sql)
    else:
        con.execute(f"""
            INSERT INTO observation_cells ({OBSERVATION_COLUMNS})
            SELECT la_code, measure, period, breakdown, value, missing_reason, label,
                   raw, {source_id}, source_row, source_column
            FROM ({cells_sql("'la'")})""")
    con.execute(f"""
        INSERT INTO totals (area_code, area_name, measure, period, breakdown, value,
            missing_reason, raw, source_id, source_row, source_column, check_result)
        SELECT area_code, coalesce(area_name, area_code, 'total'), measure, period,
               breakdown, value, missing_reason, raw, {source_id}, source_row,
               source_column, set_aside
        FROM ({cells_sql("'total', 'other'")})""")
    con.execute("RESET preserve_insertion_order")
    clock.lap("unpivot, parse and insert")
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
    unparsed = con.execute(
        f"SELECT * FROM ({unparsed_sql}) ORDER BY source_row LIMIT 1000", [source_id]
    ).fetchall()
    n_unparsed = con.execute(
        f"SELECT count(*) FROM ({unparsed_sql})", [source_id]
    ).fetchall()[0][0]
    for row, column, text in unparsed:
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

    _upsert_measures(con, layout, spec, source_id)
    # Totals whose label names authority types first, against their own group;
    # _check_totals then checks the rest (lacompare/store/_group_totals.py).
    check_named_totals(con, source_id, spec.as_of, issues, raw.file, raw.sheet)
    _check_totals(con, source_id)
    clock.lap("measures and total checks")
    vintage = settle(con, source_id, source, file=raw.file, sheet=raw.sheet)
    issues.extend(vintage.issues)
    clock.lap("vintages")
    n_obs = con.execute(
        """
        SELECT (SELECT count(*) FROM observation_cells WHERE source_id = $1)
             + (SELECT count(*) FROM observation_rows WHERE source_id = $1)
             * (SELECT count(*) FROM observation_columns WHERE source_id = $1)""",
        [source_id],
    ).fetchall()[0][0]
    n_tot = con.execute(
        "SELECT count(*) FROM totals WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]
    con.execute(
        "UPDATE sources SET observations = ?, totals = ? WHERE source_id = ?",
        [n_obs, n_tot, source_id],
    )
    checks = dict(
        con.execute(
            "SELECT check_result, count(*) FROM totals WHERE source_id = ? GROUP BY 1",
            [source_id],
        ).fetchall()
    )
    differ = [
        dict(
            zip(
                (
                    "area",
                    "measure",
                    "period",
                    "breakdown",
                    "value",
                    "members_sum",
                    "members",
                    "row",
                ),
                r,
                strict=True,
            )
        )
        for r in con.execute(
            "SELECT area_name, measure, period, breakdown, value, members_sum, "
            "members, source_row FROM totals WHERE source_id = ? AND "
            "check_result = 'differs' ORDER BY source_row LIMIT 200",
            [source_id],
        ).fetchall()
    ]
    for d in differ[:SHOW_ROWS]:
        issues.add(
            "total-differs",
            f"{d['area']} {d['measure']} {d['period']}: total {d['value']:g} "
            f"but its {d['members']} members sum to {d['members_sum']:g}",
            file=raw.file,
            sheet=raw.sheet,
            row=d["row"],
        )
    measures = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT measure FROM ({_MEASURES_SQL}) ORDER BY 1", [source_id]
        ).fetchall()
    ]
    periods = [
        r[0]
        for r in con.execute(
            """
        SELECT period FROM observation_cells WHERE source_id = $1
        UNION
        SELECT coalesce(c.period, r.period)
        FROM (SELECT DISTINCT period FROM observation_rows WHERE source_id = $1) r,
             observation_columns c WHERE c.source_id = $1
        ORDER BY 1""",
            [source_id],
        ).fetchall()
    ]
    n_la = con.execute(
        """
        SELECT count(DISTINCT la_code) FROM (
            SELECT la_code FROM observation_cells WHERE source_id = $1
            UNION ALL SELECT la_code FROM observation_rows WHERE source_id = $1)""",
        [source_id],
    ).fetchall()[0][0]
    # A period that reads as no year or date (LAIT prints one measure's years as '0')
    # is kept as published, and said.
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
    if issues:
        frame = pd.DataFrame(issues.to_records(), dtype=object)
        con.register("_issues_frame", frame)
        con.execute(f"""INSERT INTO load_issues SELECT {source_id}, kind, severity,
                        message, file, sheet, CAST("row" AS BIGINT), "column",
                        CAST(value AS VARCHAR) FROM _issues_frame""")
        con.unregister("_issues_frame")
    for table in ("_keys", "_vcols", raw.relation):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return IngestResult(
        file=raw.file,
        sheet=raw.sheet,
        layout=layout.kind,
        rows_read=raw.n_rows,
        observations=n_obs,
        totals=n_tot,
        measures=measures,
        periods=periods,
        authorities=n_la,
        unresolved=unresolved,
        totals_check=checks,
        totals_differ=differ,
        issues=issues,
        source_id=None if check else source_id,
        dry_run=check,
        replaced=replaced,
        vintage=vintage,
        timings=clock.laps,
    )


def _stored_sql(c: str, category: bool | str) -> tuple[str, str, str, str]:
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


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    layout: Layout,
    spec: IngestSpec,
    source_id: int,
    join: str,
    breakdown_sql: str,
) -> None:
    """Store a large table's authority rows in ``observation_rows``.

    Each file row becomes one row holding its value columns' values, missing reasons,
    labels and raw texts in lists, by the columns' positions in
    ``observation_columns``; the ``observations`` view reads them as one row per
    value, as :func:`_load` would have stored them.
    """
    import pandas as pd

    columns = pd.DataFrame(
        [
            (
                source_id,
                i,
                v.measure,
                normalise_period(v.spec.period),
                _heading(raw, v.column),
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
        *(_stored_sql(v.column, v.spec.type == "category") for v in layout.values),
        strict=True,
    )

    def as_list(items: Sequence[str], kind: str, sparse: bool = True) -> str:
        if all(i == "NULL" for i in items):
            return f"NULL::{kind}[]"
        listed = f"CAST([{', '.join(items)}] AS {kind}[])"
        if not sparse:
            return listed
        # Most rows have no missing value, label or raw text: a NULL list costs
        # less to write than a list of NULLs, and reads back the same by position.
        empty = " AND ".join(f"{i} IS NULL" for i in items if i != "NULL")
        return f"CASE WHEN {empty} THEN NULL ELSE {listed} END"

    # Cells are parsed before the join to their authorities: parsed after it, the
    # same work took twice as long (the join's output is a selection of rows).
    parsed = sql_parse(
        f"(SELECT *, {raw.row_sql} AS _srow FROM {raw.relation})",
        [v.column for v in layout.values],
        spec.markers,
    )
    con.execute(f"""
        INSERT INTO observation_rows (source_id, source_row, la_code, period, breakdown,
                                      cell_values, missing_reasons, labels, raws)
        SELECT {source_id}, r._srow, k.la_code, k.period, {breakdown_sql},
               {as_list(values, "DOUBLE", sparse=False)}, {as_list(missing, "VARCHAR")},
               {as_list(labels, "VARCHAR")}, {as_list(raws, "VARCHAR")}
        FROM ({parsed}) r JOIN _keys k ON {join} WHERE k.kind = 'la'""")


def _unresolved(
    con: duckdb.DuckDBPyConnection, raw: RawTable, key_cols: list[str], cells: str
) -> list[dict[str, Any]]:
    rows = con.execute(f"""
        SELECT source_row, any_value(shown), any_value(why),
               bool_or(value IS NOT NULL OR label IS NOT NULL
                       OR coalesce(missing_reason, '') <> 'blank')
        FROM ({cells}) GROUP BY source_row ORDER BY source_row""").fetchall()
    column = _heading(raw, key_cols[-1]) if key_cols else None
    return [
        {
            "row": r,
            "value": shown,
            "why": why,
            "has_values": bool(has),
            "column": column,
        }
        for r, shown, why, has in rows
    ]


def _renamed_sql(column: str, spec: IngestSpec) -> str:
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


def _measure_spec(spec: IngestSpec, name: str) -> MeasureSpec:
    """What the spec says of a long table's measure, by its name or its new id."""
    if name in spec.measures:
        return spec.measures[name]
    return next((m for m in spec.measures.values() if m.measure == name), MeasureSpec())


def _upsert_measures(
    con: duckdb.DuckDBPyConnection, layout: Layout, spec: IngestSpec, source_id: int
) -> None:
    """Add new measures; on known ones, change only what the spec states."""
    import pandas as pd

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


def _check_totals(con: duckdb.DuckDBPyConnection, source_id: int) -> None:
    """Compare each total row with the sum of its members, within rounding.

    Members: England → every authority in the file; a region (E12) → its
    authorities; Inner/Outer London (E13) → those boroughs; an unnamed total
    ('Total', 'Sub-total') → the authority rows above it since the previous total
    (a sub-total) or all rows above it (a total). Rates, percentages and averages
    are not sums, so they are marked ``not-additive``. Tolerance: half the rounding
    unit for each member and for the total (the unit is 10 or 5 when the total and
    at least 80% of members are multiples of it, as DfE rounds counts; 1 for whole
    numbers; 0.01 otherwise).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _tot AS
        SELECT rowid AS tid, * FROM totals
        WHERE source_id = ? AND check_result IS NULL""",
        [source_id],
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _prev AS
        SELECT tid, coalesce(lag(source_row) OVER (
                   PARTITION BY measure, period, breakdown ORDER BY source_row), 0)
               AS prev_row
        FROM _tot""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _members AS
        SELECT t.tid,
               -- A member that is not applicable (z) is not part of the total; one
               -- that rounds to zero (k, low) counts as 0 within the tolerance.
               count(*) FILTER (coalesce(o.missing_reason, '') <> 'not-applicable')
                   AS n,
               count(o.value) + count(*) FILTER (o.missing_reason IN
                   ('rounds-to-zero', 'low')) AS n_value,
               sum(o.value) AS s,
               avg(CASE WHEN o.value % 10 = 0 THEN 1 ELSE 0 END) >= 0.8 AS tens,
               avg(CASE WHEN o.value % 5 = 0 THEN 1 ELSE 0 END) >= 0.8 AS fives,
               bool_and(o.value IS NULL OR o.value = round(o.value)) AS whole
        FROM _tot t JOIN _prev p USING (tid)
        JOIN observations o ON o.source_id = t.source_id AND o.measure = t.measure
             AND o.period = t.period AND o.breakdown = t.breakdown
        JOIN authorities a ON a.la_code = o.la_code
        WHERE (t.area_code = 'E92000001')
           OR (t.area_code LIKE 'E12%' AND a.region_code = t.area_code)
           OR (t.area_code = 'E13000001' AND a.london_region = 'Inner London')
           OR (t.area_code = 'E13000002' AND a.london_region = 'Outer London')
           OR (t.area_code IS NULL AND o.source_row < t.source_row
               AND (NOT regexp_matches(lower(t.area_name), 'sub')
                    OR o.source_row > p.prev_row))
        GROUP BY t.tid""")
    rows = con.execute("""
        SELECT t.tid, t.measure, t.value, m.n, m.n_value, m.s, m.tens, m.fives,
               m.whole,
               coalesce(u.unit, '')
        FROM _tot t LEFT JOIN _members m USING (tid)
        LEFT JOIN measures u ON u.measure = t.measure""").fetchall()
    updates = []
    for tid, measure, value, n, n_value, s, tens, fives, whole, unit in rows:
        if unit == "%" or unit == "category" or _NOT_ADDITIVE.search(measure or ""):
            result = "not-additive"
        elif not n:
            result = "no-members"
        elif value is None:
            result = "total-missing"
        elif n_value < n:
            result = "incomplete"
        else:
            step = (
                10
                if tens and value % 10 == 0
                else 5
                if fives and value % 5 == 0
                else 1
                if whole
                else 0.01
            )
            # Each member and the total itself may each be off by half a step.
            tolerance = 0.5 * step * (n + 1) + 1e-9
            result = "agrees" if abs(value - s) <= tolerance else "differs"
        updates.append((n or 0, s, result, tid))
    if updates:
        import pandas as pd

        frame = pd.DataFrame(updates, columns=["n", "s", "result", "tid"])
        con.register("_upd", frame)
        con.execute("""UPDATE totals SET members = u.n, members_sum = u.s,
                       check_result = u.result FROM _upd u
                       WHERE totals.rowid = u.tid""")
        con.unregister("_upd")
    for table in ("_tot", "_prev", "_members"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
