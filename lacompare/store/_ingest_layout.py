"""Ingest, step 2: detect the layout of a raw table.

Which columns name the authority, the period, the breakdowns and the measures,
and which hold values: an EES data-standard file is recognised by its columns, a
long table by a column of values and one naming the measure, anything else is
wide (authorities down, measures across). What a spec or flag names wins; the
rest is told from the headings and a sample of the cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lacompare.cells import UNPARSED, sql_parse
from lacompare.errors import InputError, SpecError
from lacompare.provenance import IssueLog
from lacompare.sources import RawTable, column_letter
from lacompare.sources.specs import IngestSpec, MeasureSpec, measure_id
from lacompare.store._ingest_areas import NOT_UPPER_TIER

if TYPE_CHECKING:
    import duckdb

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

_NAME_HEADING = re.compile(r"\b(name|authority|area)\b|_name$|_n$", re.I)


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


def column_of(raw: RawTable, heading: str, what: str) -> str:
    """The raw column (``c0`` … ``cN``) headed ``heading``, named for ``what``."""
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


def heading_of(raw: RawTable, column: str) -> str:
    """The heading of raw column ``column`` (``c0`` … ``cN``)."""
    return raw.headers[int(column[1:])]


def detect_layout(
    con: duckdb.DuckDBPyConnection, raw: RawTable, spec: IngestSpec
) -> tuple[Layout, IssueLog]:
    """The layout of ``raw``, and the columns it leaves unused (logged).

    Fills in what the spec leaves open (a long table's value, measure and period
    columns) on ``spec`` itself.
    """
    lower = {h.strip().lower(): f"c{i}" for i, h in enumerate(raw.headers)}
    excluded = {column_of(raw, h, "exclude_columns") for h in spec.exclude_columns}
    layout = _named_columns(raw, spec, _layout_kind(raw, spec, lower), lower)
    rest = _unnamed_columns(raw, spec, layout, lower, excluded)
    stats = _classify(
        con,
        raw,
        rest + ([layout.value_column] if layout.value_column else []),
        spec.markers,
    )
    if not layout.la_columns:
        layout.la_columns = _find_la_columns(con, raw, rest, stats)
        rest = [c for c in rest if c not in layout.la_columns]
    if layout.kind == "wide" and layout.period_column is None and layout.period is None:
        for c in rest:
            if heading_of(raw, c).strip().lower() in PERIOD_HEADINGS:
                layout.period_column = c
        rest = [c for c in rest if c != layout.period_column]
    if layout.kind == "long":
        _long_values(raw, spec, layout, rest, stats)
    else:
        _wide_values(raw, spec, layout, rest, stats)
    if not layout.values:
        raise InputError(
            "no value columns found", file=raw.file, sheet=raw.sheet, row=raw.header_row
        )
    issues = IssueLog()
    for c in layout.unused:
        issues.add(
            "unused-column",
            f"column {heading_of(raw, c)!r} is not loaded "
            "(a long table keeps authority, period, measure and value; name "
            "it in breakdown_columns to keep it)",
            severity="info",
            file=raw.file,
            sheet=raw.sheet,
            column=heading_of(raw, c),
        )
    return layout, issues


def _layout_kind(raw: RawTable, spec: IngestSpec, lower: dict[str, str]) -> str:
    """``ees``, ``long`` or ``wide``: the spec's, or told from the headings.

    A long table found by its headings gets its value, measure and period
    columns set on ``spec``.
    """
    if spec.layout is not None:
        return spec.layout
    if (
        EES_TIME in lower
        and EES_LEVEL in lower
        and any(c in lower for c in EES_LA_COLUMNS)
    ):
        return "ees"
    if spec.value_column or spec.measure_column:
        return "long"
    if not (
        any(h in lower for h in VALUE_HEADINGS)
        and any(h in lower for h in MEASURE_HEADINGS)
    ):
        return "wide"
    # A long table: one value column, the measure named on each row.
    spec.value_column = (
        spec.value_column
        or raw.headers[int(next(lower[h] for h in VALUE_HEADINGS if h in lower)[1:])]
    )
    spec.measure_column = (
        spec.measure_column
        or raw.headers[int(next(lower[h] for h in MEASURE_HEADINGS if h in lower)[1:])]
    )
    if spec.period_column is None and spec.period is None:
        found = [h for h in PERIOD_HEADINGS if h in lower]
        if found:
            spec.period_column = raw.headers[int(lower[found[0]][1:])]
    return "long"


def _named_columns(
    raw: RawTable, spec: IngestSpec, kind: str, lower: dict[str, str]
) -> Layout:
    """The columns the spec (or the EES standard) names."""
    layout = Layout(kind=kind, la_columns=[])
    if spec.la_columns:
        layout.la_columns = [column_of(raw, h, "la_columns") for h in spec.la_columns]
    elif kind == "ees":
        layout.la_columns = [lower[c] for c in EES_LA_COLUMNS if c in lower]
    if kind == "ees":
        layout.period_column = lower[EES_TIME]
        layout.identifier_column = lower.get(EES_IDENTIFIER)
        layout.level_column = lower[EES_LEVEL]
    if spec.period_column:
        layout.period_column = column_of(raw, spec.period_column, "period_column")
    layout.period = spec.period
    if spec.measure_column:
        layout.measure_column = column_of(raw, spec.measure_column, "measure_column")
    if spec.value_column:
        layout.value_column = column_of(raw, spec.value_column, "value_column")
    if spec.breakdown_columns is not None:
        layout.breakdown_columns = [
            column_of(raw, h, "breakdown_columns") for h in spec.breakdown_columns
        ]
    return layout


def _unnamed_columns(
    raw: RawTable,
    spec: IngestSpec,
    layout: Layout,
    lower: dict[str, str],
    excluded: set[str],
) -> list[str]:
    """The columns not yet given a role (of those the spec's ``columns`` keeps)."""
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
    if layout.kind == "ees":
        used |= {lower[h] for h in EES_STANDARD if h in lower}
    rest = [c for c in raw.columns if c not in used]
    if spec.columns is not None:
        chosen = {column_of(raw, h, "columns") for h in spec.columns}
        rest = [c for c in rest if c in chosen]
    return rest


def _find_la_columns(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    rest: list[str],
    stats: dict[str, dict[str, float]],
) -> list[str]:
    """The columns naming the authority, when neither spec nor standard says:
    codes (in columns headed like codes), then a name column."""
    texty = [c for c in rest if not _is_numeric(stats[c])]
    coded = [
        c
        for c in rest
        if _is_numeric(stats[c]) and _looks_like_code_heading(heading_of(raw, c))
    ]
    found = _detect_la_columns(con, raw, coded + texty)
    named_la = [c for c in found if _NAME_HEADING.search(heading_of(raw, c))]
    if found and not named_la:
        # Codes found: the authority's name column goes with them (checked
        # against the code) rather than loading as a measure.
        named = [
            c
            for c in texty
            if _NAME_HEADING.search(heading_of(raw, c)) and c not in found
        ]
        found += named[:1]
    if not found:
        raise InputError(
            "cannot tell which column names the local authority; give it with "
            "--la-column (or la_columns in a spec)",
            file=raw.file,
            sheet=raw.sheet,
            row=raw.header_row,
        )
    return found


def _unit(stat: dict[str, float]) -> str | None:
    """The unit a column's cells show: '%', '£' or none."""
    return "%" if stat["pct"] else ("£" if stat["gbp"] else None)


def _long_values(
    raw: RawTable,
    spec: IngestSpec,
    layout: Layout,
    rest: list[str],
    stats: dict[str, dict[str, float]],
) -> None:
    """A long table's one value column; the columns left over are unused."""
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
    layout.values = [
        ValueColumn(
            layout.value_column,
            heading_of(raw, layout.value_column),
            spec.__dict__.get("_single_measure") or "",
            unit=_unit(stats[layout.value_column]),
        )
    ]


def _wide_values(
    raw: RawTable,
    spec: IngestSpec,
    layout: Layout,
    rest: list[str],
    stats: dict[str, dict[str, float]],
) -> None:
    """A wide (or EES) table's value columns, one measure each; an EES file's
    text columns are its breakdowns."""
    breakdowns: list[str] = []
    for c in rest:
        heading = heading_of(raw, c)
        mspec = (
            spec.measures.get(heading)
            or spec.measures.get(measure_id(heading))
            or MeasureSpec()
        )
        numeric = _is_numeric(stats[c])
        if layout.kind == "ees" and not numeric and spec.breakdown_columns is None:
            breakdowns.append(c)
            continue
        if not numeric and mspec.type == "number" and not spec.measures.get(heading):
            mspec = MeasureSpec(**{**mspec.__dict__, "type": "category"})
        layout.values.append(
            ValueColumn(
                c,
                heading,
                mspec.measure or measure_id(heading),
                mspec,
                unit=_unit(stats[c]),
            )
        )
    if layout.kind == "ees" and spec.breakdown_columns is None:
        layout.breakdown_columns = breakdowns
    _distinct_measure_ids(layout.values)


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
    # MATERIALIZED: see lacompare.store._ingest_match._unresolved (the parse
    # inlined under the aggregates costs tens of milliseconds a load to plan).
    found = con.execute(
        f"""WITH parsed AS MATERIALIZED ({sql_parse(sample, ["val"], markers)})
            SELECT col, count(*) FILTER ({filled}),
                   count(*) FILTER ({filled} AND coalesce(val__missing, '')
                                    <> '{UNPARSED}'),
                   count(*) FILTER ({filled} AND val__value IS NOT NULL),
                   coalesce(bool_or(contains(val, '%')), false),
                   coalesce(bool_or(contains(val, '£')), false)
            FROM parsed GROUP BY col"""
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
            m.match != "none" or str(v).strip().upper()[:3] in NOT_UPPER_TIER
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
