"""Ingest, step 3: match each row's authority.

Each distinct key (the authority columns, with the period and an EES file's
geographic level) is matched once, on the date of its period, and written to a
temporary table ``_keys``: an authority (``la``), a total, another kind of area
(``other``: districts, bodies outside England, joint returns of several
authorities, by their names or a partnership's, :func:`joint_row`) or none. The rows
that name no authority are found once their cells are parsed
(:func:`unresolved_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lacompare.cells import normalise_period, period_as_of
from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.sources import RawTable
from lacompare.sources.specs import IngestSpec
from lacompare.store import authority_key
from lacompare.store._ingest_areas import (
    ees_area,
    other_area,
    other_row,
    valid_from,
    valid_on,
)
from lacompare.store._ingest_layout import (
    EES_LA_LEVEL,
    EES_TOTAL_LEVELS,
    Layout,
    heading_of,
)

if TYPE_CHECKING:
    import duckdb


@dataclass
class MatchedKeys:
    """The key columns a row is matched on and each distinct key's match (as
    written to ``_keys``, where its columns are ``k_<column>``)."""

    cols: list[str]
    records: list[dict[str, Any]]


def match_keys(
    con: duckdb.DuckDBPyConnection, raw: RawTable, layout: Layout, spec: IngestSpec
) -> tuple[MatchedKeys, IssueLog]:
    """Match each distinct (authority columns, period) once; write table _keys.

    Logged: codes back-cast onto years before their authority existed, columns
    that name different authorities, the registry's notes on an authority, and
    fuzzy matches.
    """
    issues = IssueLog()
    key_cols = list(layout.la_columns)
    extra = [
        c
        for c in (layout.period_column, layout.identifier_column, layout.level_column)
        if c
    ]
    cols = key_cols + extra
    records = _distinct_keys(con, raw, layout, spec, cols)
    resolved = _match_values(records, key_cols)
    out = [
        {
            **{f"k_{c}": rec["cells"][c] for c in cols},
            "period": rec["period"],
            **_match_key(raw, layout, rec, key_cols, resolved, issues),
            "n": rec["n"],
            "first_row": rec["first_row"],
        }
        for rec in records
    ]
    _write_keys(con, out, cols)
    return MatchedKeys(cols=cols, records=out), issues


def _distinct_keys(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    layout: Layout,
    spec: IngestSpec,
    cols: list[str],
) -> list[dict[str, Any]]:
    """Each distinct key of the file: its cells, rows, first row, period and the
    date its authority is matched on."""
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
    return records


def _match_values(
    records: list[dict[str, Any]], key_cols: list[str]
) -> dict[tuple[str | None, str], Any]:
    """Each key column's distinct values matched once per as_of date."""
    from lacompare.geography import resolve_authority

    # One look-up per (date, value), without a pandas Series per date: a build
    # matches on 875 dates, and resolve_authority caches each name on each day.
    resolved: dict[tuple[str | None, str], Any] = {}
    for rec in records:
        date = rec["as_of"]
        for c in key_cols:
            value = rec["cells"][c]
            if (
                value is not None
                and (date, value) not in resolved
                and str(value).strip()
            ):
                resolved[(date, value)] = resolve_authority(value, date)
    return resolved


def _match_key(
    raw: RawTable,
    layout: Layout,
    rec: dict[str, Any],
    key_cols: list[str],
    resolved: dict[tuple[str | None, str], Any],
    issues: IssueLog,
) -> dict[str, Any]:
    """What one key names: its kind, authority or area, and why it names none."""
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
        matches.append((c, value, resolved[(rec["as_of"], value)]))
    if level is not None and level in EES_TOTAL_LEVELS:
        kind = "total"
        area_code, area_name = ees_area(level)
    elif level is not None and level != EES_LA_LEVEL:
        # Rows at other levels (statistical-neighbour medians, districts) are
        # figures, not authorities: kept with the set-aside totals.
        kind, set_aside = "other", "other-level"
        area_code, area_name = other_area(matches, level)
    else:
        good = [(c, v, m) for c, v, m in matches if m.match != "none"]
        # A partnership's name as files print it ('Achieving for Children') is a
        # joint return, whatever a column's name resembles.
        other = joint_row(matches, rec["as_of"])
        if other is None and not good:
            other = other_row(matches)
        if other:
            kind, set_aside, area_code, area_name = other
        elif good:
            kind, la_code, area_code, area_name = _matched(raw, rec, good, issues)
        elif matches:
            c, v, m = matches[-1]
            shown = str(v)
            near = ", ".join(m.candidates[:3])
            why = "no authority matches" + (f" (nearest: {near})" if near else "")
        else:
            why = "no authority given"
    return {
        "la_code": la_code,
        "area_code": area_code,
        "area_name": area_name,
        "kind": kind,
        "why": why,
        "shown": shown,
        "set_aside": set_aside,
    }


def joint_row(
    matches: list[tuple[str, Any, Any]], as_of: str | None
) -> tuple[str, str, str, str] | None:
    """A row naming a listed partnership (``lacompare/geography/data/
    joint_returns.csv``) on its date: ('other', 'joint-return', the members' codes
    ';'-separated, the name as printed); else None.

    Examples
    --------
    >>> joint_row([("la_name", "Achieving for Children", None)], "2024-03-31")
    ('other', 'joint-return', 'E09000021;E09000027', 'Achieving for Children')
    """
    from lacompare.geography import match_joint_return
    from lacompare.store._ingest_joint import joint_days

    for _, value, _ in reversed(matches):
        text = str(value).strip()
        if match_joint_return(text) is None:  # one look-up for most names
            continue
        for day in joint_days(as_of):
            found = match_joint_return(text, day)
            if found is not None:
                return "other", "joint-return", ";".join(found.members), text
    return None


def _matched(
    raw: RawTable,
    rec: dict[str, Any],
    good: list[tuple[str, Any, Any]],
    issues: IssueLog,
) -> tuple[str, str | None, str | None, str | None]:
    """A key some column matched: a total row (kind, None, code, name) or an
    authority (kind, la_code, None, None)."""
    c, v, m = good[0]
    if all(g[2].match == "total-row" for g in good):
        # Publishers code Inner and Outer London rows with London's
        # region code; the name says which it is.
        c, v, m = good[-1]
    elif m.match == "total-row":
        c, v, m = next(g for g in good if g[2].match != "total-row")
    if m.match == "total-row":
        area_code, area_name = m.la_code, m.la_name or v
        if area_code is None and area_name in ("Total", "Sub-total"):
            # Keep the printed label ('Metropolitan sub-total', 'All
            # Shires Total'): it says which authorities it sums.
            area_name = str(v).strip()
        return "total", None, area_code, area_name
    if not valid_on(m, rec["as_of"]):
        c, v, m = _authority_then(raw, rec, good, (c, v, m), issues)
    la_code = authority_key(m.la_code, m.dfe_code)
    _log_match(raw, rec, good, (c, v, m), la_code, issues)
    return "la", la_code, None, None


def _authority_then(
    raw: RawTable,
    rec: dict[str, Any],
    good: list[tuple[str, Any, Any]],
    chosen: tuple[str, Any, Any],
    issues: IssueLog,
) -> tuple[str, Any, Any]:
    """The authority of the row's period when the code matched had not been made
    yet: EES files back-cast today's ONS code onto earlier years (North
    Yorkshire's E06000065 on 2021 rows); the authority of the period is the one
    that existed then (logged), if another column names it."""
    c, v, m = chosen
    then = [
        g
        for g in good
        if g[2].match != "total-row"
        and valid_on(g[2], rec["as_of"])
        and g[2].dfe_code == m.dfe_code
    ]
    if not then:
        return chosen
    issues.add(
        "back-cast-code",
        f"{v!r} is {m.la_name}'s code from "
        f"{valid_from(m)}; rows for {rec['period']} "
        f"are {then[0][2].la_name} "
        f"({then[0][2].la_code or then[0][2].dfe_code})",
        severity="info",
        file=raw.file,
        sheet=raw.sheet,
        row=rec["first_row"],
        column=heading_of(raw, c),
        value=str(v),
    )
    return then[0]


def _log_match(
    raw: RawTable,
    rec: dict[str, Any],
    good: list[tuple[str, Any, Any]],
    chosen: tuple[str, Any, Any],
    la_code: str,
    issues: IssueLog,
) -> None:
    """What to say of an authority's match: columns that disagree, the registry's
    note on it, a fuzzy match."""
    c, v, m = chosen
    where = {
        "file": raw.file,
        "sheet": raw.sheet,
        "row": rec["first_row"],
        "column": heading_of(raw, c),
    }
    # Another column naming a different authority of the period
    # is a real disagreement (a back-cast code is not).
    others = {
        authority_key(m2.la_code, m2.dfe_code)
        for _, _, m2 in good
        if m2.match != "total-row" and valid_on(m2, rec["as_of"])
    } - {la_code}
    if others:
        issues.add(
            "code-name-mismatch",
            "columns name different authorities: "
            + "; ".join(
                f"{heading_of(raw, c2)}={v2!r}→{m2.la_code}" for c2, v2, m2 in good
            )
            + f"; used {heading_of(raw, c)}",
            **where,
        )
    if m.note:
        issues.add(
            "authority-note",
            f"{v!r}: {m.note}",
            severity="info",
            **where,
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
            **where,
            value=str(v),
        )


def _write_keys(
    con: duckdb.DuckDBPyConnection, out: list[dict[str, Any]], cols: list[str]
) -> None:
    """The matched keys as the temporary table ``_keys``."""
    import pandas as pd

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


def unresolved_rows(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    la_cols: list[str],
    cells_sql: str,
    *,
    check: bool,
    skip_unresolved: bool,
) -> tuple[list[dict[str, Any]], IssueLog]:
    """The rows with values that name no authority, logged: an error unless asked
    to skip them (or a dry run). Rows with no values at all (notes under a
    table) are set aside and logged. Each is located in the last of the
    authority columns ``la_cols`` (the one its name is shown from).

    ``cells_sql`` is the parsed cells of the unresolved keys' rows
    (:meth:`lacompare.store._ingest_parse.CellPlan.cells_sql`).
    """
    issues = IssueLog()
    any_unresolved = con.execute(
        "SELECT count(*) FROM _keys WHERE kind = 'none'"
    ).fetchall()[0][0]
    found = _unresolved(con, raw, la_cols, cells_sql) if any_unresolved else []
    unresolved = [u for u in found if u["has_values"]]
    for u in found:
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
    return unresolved, issues


def _unresolved(
    con: duckdb.DuckDBPyConnection, raw: RawTable, key_cols: list[str], cells: str
) -> list[dict[str, Any]]:
    # MATERIALIZED: inlined under the aggregate, the parse's nested CASEs grew
    # into an expression that took 0.55 s to run on eight cells (DuckDB 2.0).
    rows = con.execute(f"""
        WITH c AS MATERIALIZED ({cells})
        SELECT source_row, any_value(shown), any_value(why),
               bool_or(value IS NOT NULL OR label IS NOT NULL
                       OR coalesce(missing_reason, '') <> 'blank')
        FROM c GROUP BY source_row ORDER BY source_row""").fetchall()
    column = heading_of(raw, key_cols[-1]) if key_cols else None
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
