"""Named sub-totals checked against their own group (issue 17, item 2).

A table laid out in sections by type (London boroughs, metropolitan districts,
shire counties, unitaries) prints rows such as "Metropolitan sub-total", "Shire
Unitary Sub-total" or "All Shires Total". Such a row is the total of the
authorities of those types on the table's day, not of every row above it: "All
Shires Total" follows the unitaries' sub-total and sums the counties and the
unitaries. Each named total is checked against every reading of its label
(:func:`lacompare.geography.total_row_types`) and, for a sub-total, against its
section (the authority rows since the previous total row). It agrees when one
reading does; it differs when its one reading and its section both differ; a label
with several readings none of which agrees is ``ambiguous``, never ``differs``.

Totals with no type in their label ('Total', 'Sub-total', England, a region) are
left to :func:`lacompare.store._ingest_totals.check_member_sums`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from lacompare.provenance import IssueLog


def _result(
    value: float | None, members: list[tuple[float | None, str | None]]
) -> tuple[str, int, float | None]:
    """The check of one total against one set of members: the rule of
    ``_check_totals`` (same tolerance, same treatment of z, k and low)."""
    counted = [(v, r) for v, r in members if (r or "") != "not-applicable"]
    n = len(counted)
    values = [v for v, _ in counted if v is not None]
    n_value = len(values) + sum(
        1 for v, r in counted if v is None and r in ("rounds-to-zero", "low")
    )
    total = sum(values) if values else None
    if not n:
        return "no-members", 0, None
    if value is None:
        return "total-missing", n, total
    if n_value < n:
        return "incomplete", n, total
    tens = sum(1 for v in values if v % 10 == 0) >= 0.8 * len(values)
    fives = sum(1 for v in values if v % 5 == 0) >= 0.8 * len(values)
    whole = all(v == round(v) for v in values)
    step = (
        10
        if tens and value % 10 == 0
        else 5
        if fives and value % 5 == 0
        else 1
        if whole
        else 0.01
    )
    tolerance = 0.5 * step * (n + 1) + 1e-9
    return (
        ("agrees" if abs(value - (total or 0.0)) <= tolerance else "differs"),
        n,
        total,
    )


def check_named_totals(
    con: duckdb.DuckDBPyConnection,
    source_id: int,
    as_of: str | None = None,
    issues: IssueLog | None = None,
    file: str | None = None,
    sheet: str | None = None,
) -> int:
    """Check this load's totals whose label names authority types; the number
    checked. Sets ``members``, ``members_sum`` and ``check_result`` (``agrees``,
    ``differs``, ``ambiguous``, ``incomplete``, …) so ``_check_totals`` skips them.

    ``as_of`` is the day the load's names were matched on (default: each row's
    period); the types are those of that day (Cornwall a shire county in 2002).
    An ambiguous total is added to ``issues`` (kind ``total-ambiguous``), naming
    the file, sheet and row.
    """
    from lacompare.cells import period_as_of
    from lacompare.geography import authorities_on, total_row_types
    from lacompare.store import authority_key

    totals = con.execute(
        """
        SELECT rowid, area_name, measure, period, breakdown, value, source_row
        FROM totals WHERE source_id = ? AND area_code IS NULL
          AND check_result IS NULL""",
        [source_id],
    ).fetchall()
    named = [(t, readings) for t in totals if (readings := total_row_types(t[1]))]
    if not named:
        return 0
    types_on: dict[dt.date, dict[str, str]] = {}
    updates = []
    for (tid, label, measure, period, breakdown, value, row), readings in named:
        day = dt.date.fromisoformat(as_of) if as_of else period_as_of(period)
        if day is None:
            continue  # no day, no types: left to the section rule
        if day not in types_on:
            on = authorities_on(day)
            types_on[day] = {
                authority_key(c, d): t
                for c, d, t in zip(
                    on["la_code"], on["dfe_code"], on["la_type"], strict=True
                )
            }
        kinds = types_on[day]
        cells = con.execute(
            """
            SELECT la_code, value, missing_reason, source_row FROM observations
            WHERE source_id = ? AND measure = ? AND period = ? AND breakdown = ?""",
            [source_id, measure, period, breakdown],
        ).fetchall()
        previous = con.execute(
            """
            SELECT coalesce(max(source_row), 0) FROM totals WHERE source_id = ?
              AND measure = ? AND period = ? AND breakdown = ? AND source_row < ?""",
            [source_id, measure, period, breakdown, row],
        ).fetchall()[0][0]
        checks = [
            _result(value, [(v, r) for k, v, r, _ in cells if kinds.get(k) in reading])
            for reading in readings
        ]
        if "sub" in str(label).lower():
            # Its section: the authority rows since the previous total row.
            checks.append(
                _result(value, [(v, r) for _, v, r, at in cells if previous < at < row])
            )
        agreeing = [c for c in checks if c[0] == "agrees"]
        if agreeing:
            result, n, total = agreeing[0]
        elif len(readings) > 1 and any(c[0] == "differs" for c in checks):
            # Several readings, none adds up: say so rather than call it wrong.
            result, n, total = "ambiguous", checks[0][1], checks[0][2]
            if issues is not None:
                shown = " or ".join("+".join(r) for r in readings)
                issues.add(
                    "total-ambiguous",
                    f"{label!r} {measure} {period}: {value:g} is not the sum "
                    f"of the {shown} authorities nor of its section; the "
                    "label can be read several ways, so it is not called a "
                    "mismatch",
                    file=file,
                    sheet=sheet,
                    row=row,
                )
        else:
            result, n, total = checks[0]
        updates.append((n, total, result, tid))
    if updates:
        con.executemany(
            "UPDATE totals SET members = ?, members_sum = ?, "
            "check_result = ? WHERE rowid = ?",
            updates,
        )
    return len(updates)


__all__ = ["check_named_totals"]
