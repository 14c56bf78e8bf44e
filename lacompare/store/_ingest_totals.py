"""Ingest, step 6: what a load set aside: joint returns, then totals.

A joint return (one row for several authorities, 'North Northamptonshire / West
Northamptonshire', matched in :mod:`lacompare.store._ingest_match`) is stored for
each member, its row kept in ``totals`` and each member's copy listed in
``joint_returns`` (:func:`spread_joint_returns`): the first member counts the
figure, the others carry it flagged, so a distribution counts it once.

Totals whose label names authority types ('Metropolitan sub-total') are checked
against their own group first (:mod:`lacompare.store._group_totals`); the rest
here: England against every authority in the file, a region against its
authorities (a joint return once), an unnamed total against the rows above it.
Each total keeps its result (``check_result``: agrees, differs, incomplete,
not-additive, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lacompare.provenance import IssueLog
from lacompare.sources import RawTable
from lacompare.store._group_totals import check_named_totals
from lacompare.store._ingest_joint import spread_joint_returns

if TYPE_CHECKING:
    import duckdb

#: Measures whose totals are not sums of their members (a regular expression,
#: matched anywhere in the measure's name, ignoring case).
NOT_ADDITIVE = (
    r"(rate|percent|pct|_pc$|_pc_|per_|per10|per_head|average|avg|mean|median|"
    r"caseload|ratio|score|rank|proportion|share|index|_perc|percentage|quartile|"
    r"duration)"
)
#: How many totals that differ from their members' sum a load names one by one.
SHOW_DIFFERENCES = 20
#: The columns of a total that differs, as :func:`summarise_totals` lists them.
_DIFFER_COLUMNS = (
    "area",
    "measure",
    "period",
    "breakdown",
    "value",
    "members_sum",
    "members",
    "row",
)


def check_totals(
    con: duckdb.DuckDBPyConnection,
    source_id: int,
    as_of: str | None,
    raw: RawTable,
    *,
    compact: bool = True,
) -> IssueLog:
    """Store the load's joint returns for each member (:func:`spread_joint_returns`),
    then check its totals: those named by authority type against their group, the
    rest against their members (:func:`check_member_sums`). A load that is not
    ``compact`` has its values in ``observation_cells`` only."""
    values = "observations" if compact else "observation_cells"
    issues = spread_joint_returns(con, source_id, raw, values)
    check_named_totals(con, source_id, as_of, issues, raw.file, raw.sheet)
    check_member_sums(con, source_id, values)
    return issues


def check_member_sums(
    con: duckdb.DuckDBPyConnection, source_id: int, values: str = "observations"
) -> None:
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
    (unchecked,) = con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _tot AS
        SELECT rowid AS tid, * FROM totals
        WHERE source_id = ? AND check_result IS NULL""",
        [source_id],
    ).fetchall()[0]
    if unchecked:
        # Summed and classified in one statement (a statement costs about 1.5 ms
        # a load), and in SQL, not total by total in Python: a national build
        # checks about 117,000 totals.
        con.execute(
            f"""
            UPDATE totals SET members = r.n, members_sum = r.s, check_result = r.result
            FROM (SELECT t.tid, coalesce(m.n, 0) AS n, m.s, {_CHECK_RESULT} AS result
                  FROM _tot t LEFT JOIN ({_members_sql(values)}) m USING (tid)
                  LEFT JOIN measures u ON u.measure = t.measure) r
            WHERE totals.rowid = r.tid""",
            [NOT_ADDITIVE],
        )
    con.execute("DROP TABLE _tot")


def _members_sql(values: str) -> str:
    """SQL giving each unchecked total's (``_tot``) members' count, sum and
    rounding, from the table or view ``values``."""
    return f"""
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
        FROM (SELECT *, coalesce(lag(source_row) OVER (
                  PARTITION BY measure, period, breakdown ORDER BY source_row), 0)
                  AS prev_row
              FROM _tot) t
        JOIN {values} o ON o.source_id = t.source_id AND o.measure = t.measure
             AND o.period = t.period AND o.breakdown = t.breakdown
        JOIN authorities a ON a.la_code = o.la_code
        -- A joint return's other members carry the figure the first one counts.
        ANTI JOIN joint_returns j ON j.source_id = o.source_id
             AND j.source_row = o.source_row AND j.la_code = o.la_code
             AND NOT j.counted
        WHERE (t.area_code = 'E92000001')
           OR (t.area_code LIKE 'E12%' AND a.region_code = t.area_code)
           OR (t.area_code = 'E13000001' AND a.london_region = 'Inner London')
           OR (t.area_code = 'E13000002' AND a.london_region = 'Outer London')
           OR (t.area_code IS NULL AND o.source_row < t.source_row
               AND (NOT regexp_matches(lower(t.area_name), 'sub')
                    OR o.source_row > t.prev_row))
        GROUP BY t.tid"""


#: What a total's check found (``check_result``), from its members' count
#: (``m.n``: not counting those not applicable), how many have a value
#: (``m.n_value``: one rounded to zero counts), their sum (``m.s``) and rounding
#: (``m.tens``, ``m.fives``, ``m.whole``), the measure's unit (``u.unit``) and
#: :data:`NOT_ADDITIVE` as the first parameter. The tolerance is half a rounding
#: step for each member and for the total itself.
_CHECK_RESULT = """CASE
    WHEN coalesce(u.unit, '') IN ('%', 'category')
         OR regexp_matches(coalesce(t.measure, ''), ?, 'i') THEN 'not-additive'
    WHEN coalesce(m.n, 0) = 0 THEN 'no-members'
    WHEN t.value IS NULL THEN 'total-missing'
    WHEN m.n_value < m.n THEN 'incomplete'
    -- In DOUBLE, as the values are (a literal such as 0.01 is a DECIMAL).
    WHEN abs(t.value - coalesce(m.s, 0)) <= 0.5::DOUBLE * CASE
             WHEN m.tens AND t.value % 10 = 0 THEN 10::DOUBLE
             WHEN m.fives AND t.value % 5 = 0 THEN 5::DOUBLE
             WHEN m.whole THEN 1::DOUBLE
             ELSE 0.01::DOUBLE END * (m.n + 1)::DOUBLE + 1e-9::DOUBLE THEN 'agrees'
    ELSE 'differs' END"""


def summarise_totals(
    con: duckdb.DuckDBPyConnection, raw: RawTable, source_id: int
) -> tuple[dict[str, int], list[dict[str, Any]], IssueLog]:
    """How many of the load's totals each check result has, the first 200 that
    differ from their members' sum, and those named one by one (logged)."""
    issues = IssueLog()
    checks = dict(
        con.execute(
            "SELECT check_result, count(*) FROM totals WHERE source_id = ? GROUP BY 1",
            [source_id],
        ).fetchall()
    )
    differ = [
        dict(zip(_DIFFER_COLUMNS, r, strict=True))
        for r in con.execute(
            "SELECT area_name, measure, period, breakdown, value, members_sum, "
            "members, source_row FROM totals WHERE source_id = ? AND "
            "check_result = 'differs' ORDER BY source_row LIMIT 200",
            [source_id],
        ).fetchall()
    ]
    for d in differ[:SHOW_DIFFERENCES]:
        issues.add(
            "total-differs",
            f"{d['area']} {d['measure']} {d['period']}: total {d['value']:g} "
            f"but its {d['members']} members sum to {d['members_sum'] or 0:g}",
            file=raw.file,
            sheet=raw.sheet,
            row=d["row"],
        )
    return checks, differ, issues
