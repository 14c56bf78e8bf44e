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
    "open_cases_on",
    "summarise_case_counts",
    "summarise_caseloads",
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
    ...     "start_date": d.date(2024, 1, 1),
    ...     "end_date": [None, None, d.date(2024, 2, 1)],
    ...     "synthetic": False})
    >>> v, _ = summarise_extract(x, "2024-10-04", population=1000)
    >>> keys = [("open_cases", "CIN"), ("rate_per_10000", "CP"),
    ...         ("caseload_highest", "CIN")]
    >>> v.set_index(["measure", "breakdown"])["value"].loc[keys].tolist()
    [2.0, 10.0, 2.0]
    """
    import pandas as pd

    from lacompare.snapshot._read import parse_date

    open_ = open_cases_on(extract, parse_date(date))
    log = IssueLog()
    rows: list[dict[str, Any]] = []
    if population is not None:
        rows.append(_value_row("population", "0-17", population, note=population_note))
    rows += summarise_case_counts(extract, open_, population, log)
    rows += summarise_caseloads(extract, open_, log)
    return pd.DataFrame(rows), log


def open_cases_on(extract: pd.DataFrame, when: dt.date) -> pd.DataFrame:
    """The cases open on ``when``: started on or before it, not ended by then."""
    import pandas as pd

    started = extract["start_date"].map(lambda d: d <= when)
    not_ended = extract["end_date"].map(lambda d: d is None or pd.isna(d) or d > when)
    return extract[started & not_ended]


def _value_row(
    measure: str,
    breakdown: str,
    value: float | None,
    unit: str = "count",
    decimals: int = 0,
    reason: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """One computed snapshot value (exact: ``half_width`` 0)."""
    return {
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


def summarise_case_counts(
    extract: pd.DataFrame,
    open_: pd.DataFrame,
    population: float | None,
    log: IssueLog,
) -> list[dict[str, Any]]:
    """Children with an open case of each type the extract covers (a type's
    count includes the types that count towards it), and their rates per 10,000
    where the type has one and the population is known."""
    from lacompare.snapshot._vocab import read_case_types

    rows = []
    present = set(extract["case_type"])
    types = read_case_types()
    for ctype in types:
        covered = {ctype.code} | {
            c.code for c in types if c.counts_towards == ctype.code
        }
        if not covered & present:
            continue  # the extract does not cover this type: no figure, not 0
        n = open_.loc[open_["case_type"].isin(covered), "child_id"].nunique()
        rows.append(_value_row("open_cases", ctype.code, n))
        if not ctype.rate:
            continue
        if population:
            rate = n / population * 10_000
            rows.append(
                _value_row("rate_per_10000", ctype.code, rate, unit="per 10,000")
            )
        elif population is None:
            log.add(
                "no-population",
                f"no 0-17 population: no {ctype.code} rate",
                severity="info",
            )
    return rows


def summarise_caseloads(
    extract: pd.DataFrame, open_: pd.DataFrame, log: IssueLog
) -> list[dict[str, Any]]:
    """Caseload statistics of each team type in the extract, against each of its
    thresholds (or none, for a team type without one)."""
    from lacompare.snapshot._vocab import read_thresholds

    unallocated = open_["worker"].isna().sum()
    if unallocated:
        log.add(
            "unallocated",
            f"{unallocated} open cases have no allocated worker: "
            "counted in open cases, not in any caseload",
            severity="info",
        )
    thresholds = read_thresholds()
    rows: list[dict[str, Any]] = []
    for team_type in dict.fromkeys(extract["team_type"]):
        cases = open_[open_["team_type"] == team_type]
        own = [t for t in thresholds if t.team_type == team_type] or [None]
        for threshold in own:
            rows += _team_caseloads(team_type, cases, threshold, log)
    return rows


def _team_caseloads(
    team_type: str, cases: pd.DataFrame, threshold: Any, log: IssueLog
) -> list[dict[str, Any]]:
    """One team type's caseloads, counted by individuals or families as its
    ``threshold`` says (``None``: by individuals, no workers over a threshold)."""
    t = threshold
    by = t.count_by if t else "individuals"
    bd = t.breakdown if t else team_type
    key = "family_id" if by == "families" else "child_id"
    if by == "families" and cases["family_id"].isna().any():
        log.add(
            "no-family",
            f"{team_type}: cases without family_id; "
            "caseloads by families are not computed",
        )
        return []
    rows = []
    if bd != team_type:
        rows.append(_value_row("open_cases", bd, cases[key].nunique()))
    loads = cases[cases["worker"].notna()].groupby("worker")[key].nunique()
    if by == "individuals":
        teams = cases.groupby("team")[key].nunique()
        highest = teams.max() if len(teams) else None
        rows.append(
            _value_row("team_caseload_highest", bd, highest, reason="not-applicable")
        )
    for measure, value in (
        ("caseload_highest", loads.max() if len(loads) else None),
        ("caseload_lowest", loads.min() if len(loads) else None),
    ):
        rows.append(_value_row(measure, bd, value, reason="not-applicable"))
    if t is not None:
        over = int((loads > t.threshold).sum())
        note = f"more than {t.threshold} {by}"
        rows.append(_value_row("workers_over_threshold", bd, over, note=note))
    return rows


def population_for(
    store: Store,
    la_code: str,
    date: str | dt.date,
    measure: str = "population_estimate",
) -> tuple[float, str] | None:
    """The authority's population (0-17 by default) from the store's values:
    the latest mid-year estimate on or before ``date``.

    Returns ``(value, period)`` or ``None`` when the store has none.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> s = open_store(":memory:")
    >>> _ = s.write_cells([
    ...     {"la_code": "E06000016", "measure": "population_estimate",
    ...      "period": "2023", "value": 88000},
    ...     {"la_code": "E06000016", "measure": "population_estimate",
    ...      "period": "2024", "value": 88726}], file="p")
    >>> population_for(s, "E06000016", "2024-05-01")
    (88000.0, '2023')
    """
    from lacompare.snapshot._read import parse_date
    from lacompare.store import read_values

    when = parse_date(date)
    found = read_values(
        store,
        measures=measure,
        authorities=la_code,
        breakdowns="",
        present_only=True,
        columns=["period", "value"],
    )
    rows = found[["period", "value"]].itertuples(index=False, name=None)
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
