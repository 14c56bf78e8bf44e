"""Snapshot measures computed from a case-level extract.

An extract has one row per case (open now or during the period covered):
``case_id``, ``case_type`` (a code of :func:`~lacompare.snapshot.read_case_types`:
CIN, CP, CLA, SA, CL, EH, EHCP, LADO, CASS), ``team``, ``team_type`` (a team type
of :func:`~lacompare.snapshot.read_thresholds`, or another, which then gets no
threshold), ``worker`` (blank: unallocated), ``start_date``; optional
``end_date`` (blank: still open), ``child_id`` (default: the case), ``family_id``
(needed to count caseloads by families) and ``synthetic``.

On a date, a case is open if it started on or before it and has not ended by
then. From the open cases:

* ``open_cases[type]``: distinct children with an open case of the type, or of a
  type that counts towards it (a child on a plan is a child in need);
* ``rate_per_10000[type]``: per 10,000 children aged 0-17 (the population from
  the store), for the types marked ``rate``;
* per team type: ``team_caseload_highest`` (the team with most children),
  ``caseload_highest`` and ``caseload_lowest`` (among workers with an open case)
  and ``workers_over_threshold`` (more than the team type's threshold), by
  individuals or by families as :func:`~lacompare.snapshot.read_thresholds` says.

All computed values are exact (``half_width`` 0).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.snapshot._load import LoadResult
    from lacompare.store import Store

__all__ = [
    "read_extract",
    "summarise_extract",
    "population_for",
    "monthly_dates",
    "load_extract",
    "EXTRACT_COLUMNS",
]

#: Required columns of an extract.
EXTRACT_COLUMNS = ("case_id", "case_type", "team", "team_type", "worker", "start_date")
_OPTIONAL = ("end_date", "child_id", "family_id", "synthetic")


def read_extract(
    path: str | Path, sheet: str | None = None
) -> tuple[pd.DataFrame, IssueLog, Any]:
    """Read and check a case-level extract.

    Returns
    -------
    (DataFrame, IssueLog, Sheet)
        Columns ``case_id, child_id, family_id, case_type, team, team_type,
        worker, start_date, end_date, synthetic, source_row`` (dates as
        ``datetime.date``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "w").write("case_id,case_type,team,team_type,worker,start_date\\n"
    ...                        "1,CP,Team A,CIN,W1,2024-01-02\\n")
    >>> frame, log, _ = read_extract(p)
    >>> frame[["child_id", "case_type", "end_date"]].values.tolist()
    [['1', 'CP', None]]
    """
    import pandas as pd

    from lacompare.snapshot._read import parse_date, read_table_cells
    from lacompare.snapshot._vocab import read_case_types, read_thresholds

    cells = read_table_cells(path, sheet)
    cells.require(*EXTRACT_COLUMNS)
    codes = {c.code for c in read_case_types()}
    log = IssueLog(list(cells.issues))
    records, seen = [], {}
    for i, row in enumerate(cells.rows):
        for name in ("case_id", "case_type", "team", "team_type", "start_date"):
            if not row.get(name):
                raise cells.error(f"no {name}", i, name)
        case_type = str(row["case_type"]).upper()
        if case_type not in codes:
            raise cells.error(
                f"case type {row['case_type']!r} is not one of "
                f"{', '.join(sorted(codes))}",
                i,
                "case_type",
            )
        dates = {}
        for name in ("start_date", "end_date"):
            try:
                dates[name] = parse_date(row[name]) if row.get(name) else None
            except ValueError as exc:
                raise cells.error(str(exc), i, name) from None
        if dates["end_date"] and dates["end_date"] < dates["start_date"]:
            raise cells.error(
                f"ends ({dates['end_date']}) before it starts ({dates['start_date']})",
                i,
                "end_date",
            )
        key = (row["case_id"], row["team_type"])
        if key in seen:
            raise cells.error(
                f"case {row['case_id']!r} of team type "
                f"{row['team_type']!r} appears twice (also row "
                f"{seen[key]})",
                i,
                "case_id",
            )
        seen[key] = cells.row_numbers[i]
        records.append(
            {
                "case_id": row["case_id"],
                "child_id": row.get("child_id") or row["case_id"],
                "family_id": row.get("family_id"),
                "case_type": case_type,
                "team": row["team"],
                "team_type": row["team_type"],
                "worker": row.get("worker"),
                **dates,
                "synthetic": (row.get("synthetic") or "").lower()
                in ("yes", "true", "1"),
                "source_row": cells.row_numbers[i],
            }
        )
    if not records:
        raise InputError("no cases in the extract", file=cells.file, sheet=cells.sheet)
    frame = pd.DataFrame.from_records(records)
    known = {t.team_type for t in read_thresholds()}
    for team_type in sorted(set(frame["team_type"]) - known):
        log.add(
            "no-threshold",
            f"team type {team_type!r} has no caseload threshold "
            "(thresholds.csv): workers over a threshold are not counted for it",
            file=cells.file,
        )
    if frame["synthetic"].any() and not frame["synthetic"].all():
        log.add(
            "partly-synthetic",
            "some rows are marked synthetic and some not",
            file=cells.file,
        )
    return frame, log, cells


def _label(measure: str, breakdown: str) -> str:
    from lacompare.snapshot._vocab import read_measures

    for m in read_measures():
        if (m.measure, m.breakdown) == (measure, breakdown):
            return m.label
    words = {
        "open_cases": "Open cases",
        "rate_per_10000": "Rate per 10,000",
        "team_caseload_highest": "Highest team caseload",
        "caseload_highest": "Highest caseload",
        "caseload_lowest": "Lowest caseload",
        "workers_over_threshold": "Workers over the caseload threshold",
        "population": "Population",
    }
    return (
        f"{words.get(measure, measure)} ({breakdown})"
        if breakdown
        else words.get(measure, measure)
    )


def summarise_extract(
    extract: pd.DataFrame,
    date: str | dt.date,
    *,
    population: float | None = None,
    population_note: str | None = None,
) -> tuple[pd.DataFrame, IssueLog]:
    """Counts, rates and caseload statistics of the cases open on ``date``.

    Parameters
    ----------
    extract
        From :func:`read_extract`.
    date
        The snapshot date.
    population
        Children aged 0-17 (for rates); ``None``: no rates.
    population_note
        Where the population figure is from (kept as the value's note).

    Returns
    -------
    (DataFrame, IssueLog)
        One row per measure (``measure, breakdown, label, unit, value,
        missing_reason, half_width, decimals, note``).

    Examples
    --------
    >>> import pandas as pd, datetime as d
    >>> x = pd.DataFrame({"case_id": list("abc"), "child_id": list("abc"),
    ...     "family_id": None, "case_type": ["CP", "CIN", "CLA"],
    ...     "team": "T1", "team_type": "CIN", "worker": ["W1", "W1", "W2"],
    ...     "start_date": d.date(2024, 1, 1), "end_date": [None, None, d.date(2024, 2, 1)],
    ...     "synthetic": False})
    >>> v, _ = summarise_extract(x, "2024-10-04", population=1000)
    >>> v.set_index(["measure", "breakdown"])["value"].loc[
    ...     [("open_cases", "CIN"), ("rate_per_10000", "CP"), ("caseload_highest", "CIN")]
    ... ].tolist()
    [2.0, 10.0, 2.0]
    """
    import pandas as pd

    from lacompare.snapshot._read import parse_date
    from lacompare.snapshot._vocab import read_case_types, read_thresholds

    when = parse_date(date)
    log = IssueLog()
    started = extract["start_date"].map(lambda d: d <= when)
    not_ended = extract["end_date"].map(lambda d: d is None or pd.isna(d) or d > when)
    open_ = extract[started & not_ended]
    rows: list[dict[str, Any]] = []

    def add(
        measure: str,
        breakdown: str,
        value: float | None,
        unit: str = "count",
        decimals: int = 0,
        reason: str | None = None,
        note: str | None = None,
    ) -> None:
        rows.append(
            {
                "measure": measure,
                "breakdown": breakdown,
                "label": _label(measure, breakdown),
                "unit": unit,
                "value": None if value is None else float(value),
                "missing_reason": reason if value is None else None,
                "half_width": 0.0,
                "decimals": decimals,
                "note": note,
            }
        )

    if population is not None:
        add("population", "0-17", population, note=population_note)
    present = set(extract["case_type"])
    for ctype in read_case_types():
        covered = {ctype.code} | {
            c.code for c in read_case_types() if c.counts_towards == ctype.code
        }
        if not covered & present:
            continue  # the extract does not cover this type: no figure, not 0
        n = open_.loc[open_["case_type"].isin(covered), "child_id"].nunique()
        add("open_cases", ctype.code, n)
        if ctype.rate:
            if population:
                add(
                    "rate_per_10000",
                    ctype.code,
                    n / population * 10_000,
                    unit="per 10,000",
                    decimals=0,
                )
            elif population is None:
                log.add(
                    "no-population",
                    f"no 0-17 population: no {ctype.code} rate",
                    severity="info",
                )
    thresholds = read_thresholds()
    unallocated = open_["worker"].isna().sum()
    if unallocated:
        log.add(
            "unallocated",
            f"{unallocated} open cases have no allocated worker: "
            "counted in open cases, not in any caseload",
            severity="info",
        )
    for team_type in dict.fromkeys(extract["team_type"]):
        own = [t for t in thresholds if t.team_type == team_type] or [None]
        cases = open_[open_["team_type"] == team_type]
        for t in own:
            by = t.count_by if t else "individuals"
            bd = t.breakdown if t else team_type
            key = "family_id" if by == "families" else "child_id"
            if by == "families" and cases["family_id"].isna().any():
                log.add(
                    "no-family",
                    f"{team_type}: cases without family_id; "
                    "caseloads by families are not computed",
                )
                continue
            if bd != team_type:
                add("open_cases", bd, cases[key].nunique())
            allocated = cases[cases["worker"].notna()]
            loads = allocated.groupby("worker")[key].nunique()
            if by == "individuals":
                teams = cases.groupby("team")[key].nunique()
                add(
                    "team_caseload_highest",
                    bd,
                    teams.max() if len(teams) else None,
                    reason="not-applicable",
                )
            if len(loads):
                add("caseload_highest", bd, loads.max())
                add("caseload_lowest", bd, loads.min())
            else:
                add("caseload_highest", bd, None, reason="not-applicable")
                add("caseload_lowest", bd, None, reason="not-applicable")
            if t is not None:
                add(
                    "workers_over_threshold",
                    bd,
                    int((loads > t.threshold).sum()),
                    note=f"more than {t.threshold} {by}",
                )
    return pd.DataFrame(rows), log


def population_for(
    store: Store,
    la_code: str,
    date: str | dt.date,
    measure: str = "population_estimate",
) -> tuple[float, str] | None:
    """The authority's population (0-17 by default) from the store's
    observations: the latest mid-year estimate on or before ``date``.

    Returns ``(value, period)`` or ``None`` when the store has none.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.con.execute("INSERT INTO sources (file, sha256) VALUES ('p', 'x')")
    >>> _ = s.con.execute("INSERT INTO observation_cells (la_code, measure, period, "
    ...     "breakdown, value, source_id) VALUES ('E06000016', 'population_estimate',"
    ...     " '2023', '', 88000, 1), ('E06000016', 'population_estimate', '2024', '',"
    ...     " 88726, 1)")
    >>> population_for(s, "E06000016", "2024-05-01")
    (88000.0, '2023')
    """
    from lacompare.snapshot._read import parse_date

    when = parse_date(date)
    rows = store.con.execute(
        "SELECT period, value FROM observations WHERE la_code = ? AND measure = ? "
        "AND breakdown = '' AND value IS NOT NULL",
        [la_code, measure],
    ).fetchall()
    best = None
    for period, value in rows:
        year = str(period)[:4]
        if not year.isdigit():
            continue
        # A mid-year estimate describes 30 June of its year.
        if dt.date(int(year), 6, 30) <= when and (best is None or year > best[1][:4]):
            best = (float(value), str(period))
    return best


def monthly_dates(end: str | dt.date, months: int) -> list[dt.date]:
    """``months`` monthly dates ending at ``end`` (same day of month, or the
    month's last day).

    Examples
    --------
    >>> [d.isoformat() for d in monthly_dates("2024-03-31", 3)]
    ['2024-01-31', '2024-02-29', '2024-03-31']
    """
    import calendar

    from lacompare.snapshot._read import parse_date

    last = parse_date(end)
    out = []
    for k in range(months - 1, -1, -1):
        total = last.year * 12 + last.month - 1 - k
        year, month = divmod(total, 12)
        day = min(last.day, calendar.monthrange(year, month + 1)[1])
        out.append(dt.date(year, month + 1, day))
    return out


def load_extract(
    store: Store,
    path: str | Path,
    *,
    authority: str,
    dates: list[str | dt.date],
    sheet: str | None = None,
    population_measure: str = "population_estimate",
    check: bool = False,
) -> LoadResult:
    """Compute snapshot values from an extract on each date and store them.

    Examples
    --------
    >>> import tempfile, os
    >>> from lacompare.store import open_store
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "w").write("case_id,case_type,team,team_type,worker,start_date\\n"
    ...                        "1,CLA,T,CLA,W1,2024-01-02\\n")
    >>> with open_store(":memory:") as s:
    ...     load_extract(s, p, authority="Leicester", dates=["2024-10-04"]).rows[
    ...         ["measure", "breakdown", "value"]].values.tolist()[:2]
    [['open_cases', 'CIN', 1.0], ['open_cases', 'CLA', 1.0]]
    """
    import pandas as pd

    from lacompare.snapshot._load import LoadResult
    from lacompare.snapshot._read import parse_date, resolve_la
    from lacompare.snapshot._store import write_snapshot_values

    la = resolve_la(authority)
    extract, log, cells = read_extract(path, sheet)
    synthetic = bool(extract["synthetic"].all())
    parts = []
    for date in dates:
        when = parse_date(date)
        pop = population_for(store, la, when, population_measure)
        if pop is None:
            log.add(
                "no-population",
                f"no {population_measure} for {la} on or before "
                f"{when}: rates per 10,000 are not computed (load the ONS 0-17 "
                "mid-year estimates)",
                severity="warning",
            )
        values, found = summarise_extract(
            extract,
            when,
            population=pop[0] if pop else None,
            population_note=f"ONS mid-year estimate {pop[1]}" if pop else None,
        )
        log.extend(found)
        parts.append(values.assign(snapshot_date=when))
    frame = pd.concat(parts, ignore_index=True).assign(
        la_code=la, raw=None, synthetic=synthetic, source_row=None, source_column=None
    )
    if check:
        return LoadResult(frame, None, 0, log)
    sid, replaced = write_snapshot_values(
        store,
        frame,
        file=cells.file,
        sheet=cells.sheet,
        sha256=cells.sha256,
        kind="snapshot:extract",
        note="SYNTHETIC extract" if synthetic else None,
    )
    return LoadResult(frame, sid, replaced, log)
