"""Ingest, joint returns: a partnership's single return (Achieving for Children,
Northamptonshire Children's Trust; ``lacompare/geography/data/joint_returns.csv``)
stored under each member and flagged in ``joint_returns``, in the three forms files
give it: a joint row, a figure filed under one member while the partners' rows are
``z``, and the same figure printed under every member."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lacompare.provenance import IssueLog
from lacompare.sources import RawTable

if TYPE_CHECKING:
    import duckdb


def spread_joint_returns(
    con: duckdb.DuckDBPyConnection,
    source_id: int,
    raw: RawTable,
    values: str = "observations",
) -> IssueLog:
    """Store each joint return the load set aside under every member, and list
    the copies in ``joint_returns``; logged, one issue per group and period.

    The members are those matching named (the row's codes, in the order of the
    partnership in ``lacompare/geography/data/joint_returns.csv`` when it lists
    them): the first counts the figure in distributions (``counted``), the others
    carry it flagged. A group the list does not hold is stored all the same (the
    file says it is one return) and said so as a warning.
    """
    issues = IssueLog()
    groups = con.execute(
        """SELECT area_code, any_value(area_name), period, min(source_row),
                  count(DISTINCT source_row), count(value)
           FROM totals WHERE source_id = ? AND check_result = 'joint-return'
             AND area_code IS NOT NULL
           GROUP BY area_code, period ORDER BY min(source_row)""",
        [source_id],
    ).fetchall()
    members = []
    for code, name, period, row, n_rows, n_values in groups:
        found, listed = _joint_members(code, period)
        members += [
            (code, period, la, position, listed.partnership if listed else None)
            for position, la in enumerate(found)
        ]
        issues.add(
            "joint-return",
            _joint_message(name, period, found, listed, n_rows, n_values),
            severity="info" if listed else "warning",
            file=raw.file,
            sheet=raw.sheet,
            row=row,
            value=str(name),
        )
    if members:
        _write_joint_copies(con, source_id, members)
    issues.extend(spread_lead_returns(con, source_id, raw, values))
    issues.extend(flag_equal_returns(con, source_id, raw))
    return issues


def flag_equal_returns(
    con: duckdb.DuckDBPyConnection, source_id: int, raw: RawTable
) -> IssueLog:
    """A listed partnership's joint return printed under every member: each
    member's row has the same figure of a measure the single return covers
    (``measures`` in ``joint_returns.csv``), as LAIT gives Kingston and Richmond
    the same ``Work_Force_*`` figures. Each row is flagged in ``joint_returns``
    and counted once (under the first member); logged, one issue per
    partnership. A row is flagged only when every value in it qualifies.
    """
    from lacompare.cells import period_as_of
    from lacompare.geography import read_joint_returns

    issues = IssueLog()
    joints = [j for j in read_joint_returns() if j.measures]
    # One look first: a partnership's query (about 8 ms a load) cannot find
    # anything unless the load has a row of its every member and a measure its
    # single return covers, and most loads do not.
    codes, measures = con.execute(
        "SELECT coalesce(list(DISTINCT la_code), []), "
        "coalesce(list(DISTINCT measure), []) FROM observation_cells "
        "WHERE source_id = ? AND superseded_by IS NULL "
        "AND list_contains(?::VARCHAR[], la_code)",
        [source_id, sorted({m for j in joints for m in j.members})],
    ).fetchall()[0]
    for joint in joints:
        if not set(codes).issuperset(joint.members) or not any(
            re.search(joint.measures, m, re.I) for m in measures
        ):
            continue
        rows = con.execute(
            """
            WITH v AS (
                SELECT la_code, measure, period, breakdown, value, source_row
                FROM observation_cells WHERE source_id = $s AND superseded_by IS NULL
                  AND list_contains($m::VARCHAR[], la_code)
                  AND NOT EXISTS (SELECT 1 FROM joint_returns j
                      WHERE j.source_id = $s AND j.la_code = observation_cells.la_code
                        AND j.period = observation_cells.period)),
            same AS (
                SELECT measure, period, breakdown FROM v GROUP BY ALL
                HAVING count(DISTINCT la_code) = len($m) AND count(value) = len($m)
                   AND min(value) = max(value)
                   AND regexp_matches(measure, $p, 'i'))
            SELECT v.period, v.source_row, v.la_code, list(DISTINCT v.measure)
            FROM v LEFT JOIN same s USING (measure, period, breakdown)
            GROUP BY ALL HAVING bool_and(s.measure IS NOT NULL)""",
            {"s": source_id, "m": list(joint.members), "p": joint.measures},
        ).fetchall()
        rows = [
            r
            for r in rows
            if any(joint.valid_on(d) for d in joint_days(period_as_of(r[0])))
        ]
        if not rows:
            continue
        con.executemany(
            "INSERT INTO joint_returns VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            [
                [source_id, row, period, la, ";".join(joint.members),
                 joint.partnership, la == joint.members[0]]
                for period, row, la, _ in rows
            ],
        )  # fmt: skip
        issues.add(
            "joint-return",
            _equal_message(joint, rows),
            severity="info",
            file=raw.file,
            sheet=raw.sheet,
            row=min(r[1] for r in rows),
        )
    return issues


def _equal_message(joint: Any, rows: list[tuple[Any, ...]]) -> str:
    """What the issue log says of a joint return printed under every member."""
    from lacompare.geography import read_authorities

    names = dict(
        read_authorities()[["la_code", "la_name"]].itertuples(index=False, name=None)
    )
    who = " and ".join(names.get(m, m) for m in joint.members)
    measures = sorted({m for r in rows for m in r[3]})
    periods = sorted({r[0] for r in rows})
    shown = ", ".join(measures[:6]) + (
        f" … ({len(measures) - 6} more)" if len(measures) > 6 else ""
    )
    return (
        f"{who} have the same figures of {shown} in {periods[0]}–{periods[-1]} "
        f"({len(rows)} rows): {joint.partnership}'s joint return, flagged, counted "
        f"once (under {names.get(joint.members[0], joint.members[0])})"
    )


def spread_lead_returns(
    con: duckdb.DuckDBPyConnection,
    source_id: int,
    raw: RawTable,
    values: str = "observations",
) -> IssueLog:
    """A listed partnership's joint return filed under one member: that member's
    row has figures and every other member's row of the period is all 'not
    applicable' (z), as DfE's workforce releases of 2021 and 2022 print
    Northamptonshire's (figures under North, West all z) and Achieving for
    Children's (under Kingston, Richmond all z). The partners' z cells are
    replaced by the member's figures, each copy flagged in ``joint_returns`` and
    counted once (under the member that carries it); logged, one issue per
    partnership and period. In either form the values are kept in: a large
    load's partner row is replaced by a copy of the lead's.
    """
    from lacompare.geography import read_joint_returns

    issues = IssueLog()
    codes = sorted({c for j in read_joint_returns() for c in j.members})
    # Read through the view (``values``) when a large load keeps its values one
    # row per file row; otherwise from observation_cells, where they all are.
    rows = con.execute(
        f"""SELECT la_code, period, min(source_row), count(value),
                  bool_and(coalesce(missing_reason, '') = 'not-applicable')
           FROM {values} o WHERE source_id = ?
             AND list_contains(?::VARCHAR[], la_code)
             AND NOT EXISTS (SELECT 1 FROM joint_returns j WHERE j.source_id = ?
                             AND j.la_code = o.la_code AND j.period = o.period)
           GROUP BY la_code, period""",
        [source_id, codes, source_id],
    ).fetchall()
    held = {
        (la, period): (row, valued, all_z) for la, period, row, valued, all_z in rows
    }
    for joint in read_joint_returns():
        for period in sorted({p for la, p in held if la in joint.members}):
            found = _lead_of(joint, period, held)
            if found is not None:
                _copy_lead(con, source_id, joint, period, found, held)
                issues.add(
                    "joint-return",
                    _lead_message(joint, period, found, held),
                    severity="info",
                    file=raw.file,
                    sheet=raw.sheet,
                    row=held[(found, period)][0],
                )
    return issues


def _lead_of(joint: Any, period: str, held: dict[Any, Any]) -> str | None:
    """The member carrying the partnership's figures in ``period`` (one member
    with figures, every other all z, the partnership making one return then)."""
    from lacompare.cells import period_as_of

    if not any(joint.valid_on(d) for d in joint_days(period_as_of(period))):
        return None
    rows = [(m, held.get((m, period))) for m in joint.members]
    # A partner with no row at all is not taken as one (DfE's releases to 2020
    # list Kingston alone, but a file missing an authority is common): only a
    # row saying 'not applicable' throughout says its figures are elsewhere.
    if any(r is None for _, r in rows):
        return None
    leads = [m for m, r in rows if r[1] > 0]
    partners_z = all(r[2] for m, r in rows if m not in leads)
    return leads[0] if len(leads) == 1 and partners_z else None


def _copy_lead(
    con: duckdb.DuckDBPyConnection,
    source_id: int,
    joint: Any,
    period: str,
    lead: str,
    held: dict[Any, Any],
) -> None:
    """The partners' z cells replaced by the lead's figures; every member's
    copy listed in ``joint_returns`` (the lead counted)."""
    members = [lead, *(m for m in joint.members if m != lead)]
    row = held[(lead, period)][0]
    for partner in members[1:]:
        con.execute(
            "DELETE FROM observation_cells WHERE source_id = ? AND la_code = ? "
            "AND period = ?",
            [source_id, partner, period],
        )
        con.execute(
            """INSERT INTO observation_cells (la_code, measure, period, breakdown,
                   value, missing_reason, label, raw, source_id, source_row,
                   source_column)
               SELECT ?, measure, period, breakdown, value, missing_reason, label,
                      raw, source_id, source_row, source_column
               FROM observation_cells WHERE source_id = ? AND la_code = ?
                 AND period = ?""",
            [partner, source_id, lead, period],
        )
        # The same in a large load's form: the partner's file row replaced by a
        # copy of the lead's, under the partner's code.
        con.execute(
            "DELETE FROM observation_rows WHERE source_id = ? AND la_code = ? "
            "AND period = ?",
            [source_id, partner, period],
        )
        con.execute(
            f"""INSERT INTO observation_rows ({_ROW_COPY})
               SELECT {_ROW_COPY.replace("la_code", "?")}
               FROM observation_rows WHERE source_id = ? AND la_code = ?
                 AND period = ?""",
            [partner, source_id, lead, period],
        )
    con.executemany(
        "INSERT INTO joint_returns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                source_id,
                row,
                period,
                m,
                ";".join(members),
                joint.partnership,
                None,
                m == lead,
            ]
            for m in members
        ],
    )


#: The columns of a large load's row that a joint return's copy repeats.
_ROW_COPY = (
    "source_id, source_row, la_code, period, breakdown, cell_values, "
    "missing_reasons, labels, raws, superseded_by, row_superseded_by"
)


def _lead_message(joint: Any, period: str, lead: str, held: dict[Any, Any]) -> str:
    """What the issue log says of a joint return filed under one member."""
    from lacompare.geography import read_authorities

    names = dict(
        read_authorities()[["la_code", "la_name"]].itertuples(index=False, name=None)
    )
    partners = [
        f"{names.get(m, m)} (row {held[(m, period)][0]})"
        for m in joint.members
        if m != lead
    ]
    return (
        f"{names.get(lead, lead)}'s row ({period}) is {joint.partnership}'s joint "
        "return, its partners' rows all not applicable (z): "
        + ", ".join(partners)
        + "; the shared figures are stored for each member (replacing the z), "
        f"flagged, counted once (under {names.get(lead, lead)})"
    )


def _joint_members(code: str, period: str) -> tuple[list[str], Any]:
    """A joint return's members (the listed partnership's order, else the
    row's) and the partnership (None when not listed)."""
    from lacompare.cells import period_as_of
    from lacompare.geography import joint_return_of

    codes = list(dict.fromkeys(c.strip() for c in code.split(";") if c.strip()))
    listed = None
    for day in joint_days(period_as_of(period)):
        listed = listed or joint_return_of(codes, day)
    return (list(listed.members) if listed else codes), listed


def joint_days(as_of: Any) -> list[Any]:
    """The days a period's joint return is looked up on: its matching day and 31
    December of that year. A year's period ('2021') is matched on 31 March, but a
    file's year may be a reporting year (DfE's workforce census, 30 September) or
    a calendar year: a partnership that began by the year's end counts."""
    import datetime as dt

    if as_of is None:
        return [None]
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    return [day, dt.date(day.year, 12, 31)]


def _joint_message(
    name: str, period: str, members: list[str], listed: Any, n_rows: int, n_values: int
) -> str:
    """What the issue log says of one joint return."""
    from lacompare.geography import read_authorities

    names = dict(
        read_authorities()[["la_code", "la_name"]].itertuples(index=False, name=None)
    )
    shown = [names.get(m, m) for m in members]
    who = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
    body = (
        f"{name!r} ({period}, {n_rows} row(s), {n_values} figure(s)) is a joint "
        f"return of {who}"
        + (f" ({listed.partnership})" if listed else "")
        + f": stored for each member, flagged, counted once (under {shown[0]})"
    )
    if listed is None:
        body += (
            "; the group is not in lacompare/geography/data/joint_returns.csv: "
            "check it is one return"
        )
    return body


def _write_joint_copies(
    con: duckdb.DuckDBPyConnection,
    source_id: int,
    members: list[tuple[str, str, str, int, str | None]],
) -> None:
    """Each member's copy of the load's joint-return rows, as values and as rows
    of ``joint_returns``."""
    import pandas as pd

    frame = pd.DataFrame(
        members,
        columns=["area_code", "period", "la_code", "position", "partnership"],
        dtype=object,
    )
    frame["members"] = frame.groupby(["area_code", "period"])["la_code"].transform(
        ";".join
    )
    con.register("_joint_frame", frame)
    try:
        con.execute(
            """
            INSERT INTO observation_cells (la_code, measure, period, breakdown, value,
                missing_reason, raw, source_id, source_row, source_column)
            SELECT m.la_code, t.measure, t.period, t.breakdown, t.value,
                   t.missing_reason, t.raw, t.source_id, t.source_row, t.source_column
            FROM totals t JOIN _joint_frame m
              ON m.area_code = t.area_code AND m.period = t.period
            WHERE t.source_id = ? AND t.check_result = 'joint-return'
              AND (t.value IS NOT NULL OR t.missing_reason IS NOT NULL)""",
            [source_id],
        )
        con.execute(
            """
            INSERT INTO joint_returns (source_id, source_row, period, la_code,
                members, partnership, area_name, counted)
            SELECT DISTINCT t.source_id, t.source_row, t.period, m.la_code,
                   m.members, m.partnership, t.area_name,
                   CAST(m.position AS INTEGER) = 0
            FROM totals t JOIN _joint_frame m
              ON m.area_code = t.area_code AND m.period = t.period
            WHERE t.source_id = ? AND t.check_result = 'joint-return'""",
            [source_id],
        )
    finally:
        con.unregister("_joint_frame")
