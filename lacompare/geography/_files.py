"""Resolving the authority column of a table a user gives (reading the file is
lacompare.sources.resolve_file's)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from lacompare.errors import InputError
from lacompare.provenance import IssueLog

from ._choose import Match
from ._match import match_authorities

#: Columns added after the input columns, in this order.
ADDED_COLUMNS = (
    "la_code",
    "dfe_code",
    "la_name",
    "region",
    "la_type",
    "match",
    "score",
    "candidates",
)


def _log_row(log: IssueLog, m: Match, file: str | None, row: int, column: str) -> None:
    where = {"file": file, "row": row, "column": column, "value": m.query}
    if m.match == "none":
        if m.note == "empty value":
            log.add(
                "missing-authority",
                "no authority name or code",
                severity="warning",
                **where,
            )
        elif m.note.startswith("combined row"):
            log.add("combined-authority", m.note, severity="warning", **where)
        else:
            near = f"; nearest: {', '.join(m.candidates)}" if m.candidates else ""
            log.add(
                "unresolved-authority",
                f"no authority matches {m.query!r}{near}",
                severity="warning",
                **where,
            )
    elif m.match == "total-row":
        log.add("total-row", f"{m.query!r} is a {m.note}", severity="info", **where)
    elif m.match == "fuzzy":
        log.add(
            "fuzzy-authority-match",
            f"matched {m.query!r} to {m.la_name} ({m.la_code}), score {m.score:.0f}",
            severity="info",
            **where,
        )
    if m.resolved and m.note and m.match != "fuzzy":
        log.add(
            "authority-note",
            f"{m.query!r} -> {m.la_name}: {m.note}",
            severity="info",
            **where,
        )


def resolve_table(
    table: pd.DataFrame,
    column: str,
    as_of: date | str | None = None,
    *,
    file: str | None = None,
) -> tuple[pd.DataFrame, IssueLog]:
    """Resolve the authority in one column of a table of text.

    Every column is kept; ``la_code, dfe_code, la_name, region, la_type, match,
    score, candidates`` are added after them (``candidates`` is filled only when
    ``match`` is 'none'). An added name that already exists in the table gets the
    suffix ``_resolved`` so no column is overwritten. ``as_of`` (a date, an ISO date
    or None) applies to every row and is passed to :func:`resolve_authority`.

    Returns
    -------
    (pandas.DataFrame, IssueLog)
        The table with the added columns, and the issues: unresolved, missing and
        combined authorities (warnings), total rows, fuzzy matches and notes (info),
        located in ``file``. Row numbers are as a spreadsheet shows them (header =
        row 1).

    Raises
    ------
    lacompare.errors.InputError
        If the table has no such column.

    Examples
    --------
    >>> t = pd.DataFrame({"area": ["St.Helens", "England", "Atlantis"]})
    >>> df, log = resolve_table(t, "area")
    >>> df["la_code"].tolist(), df["match"].tolist()
    (['E08000013', 'E92000001', ''], ['exact', 'total-row', 'none'])
    >>> [(i.kind, i.row) for i in log.of_kind("unresolved-authority")]
    [('unresolved-authority', 4)]
    """
    if column not in table.columns:
        columns = ", ".join(repr(c) for c in table.columns)
        raise InputError(
            f"no column {column!r} (columns are {columns})",
            file=file,
            column=column,
        )
    log = IssueLog()
    matches = match_authorities(table[column].tolist(), as_of=as_of)
    added = {
        "la_code": [m.la_code or "" for m in matches],
        "dfe_code": [m.dfe_code or "" for m in matches],
        "la_name": [m.la_name or "" for m in matches],
        "region": [m.region or "" for m in matches],
        "la_type": [m.la_type or "" for m in matches],
        "match": [m.match for m in matches],
        "score": [m.score for m in matches],
        "candidates": [
            "; ".join(m.candidates) if m.match == "none" else "" for m in matches
        ],
    }
    out = table.copy()
    for name, data in added.items():
        target = name if name not in table.columns else f"{name}_resolved"
        if target != name:
            log.add(
                "column-renamed",
                f"the file already has a column {name!r};"
                f" resolved values are in {target!r}",
                severity="info",
                file=file,
                column=name,
            )
        out[target] = data
    for i, m in enumerate(matches):
        if m.match in ("code", "exact", "alias") and not m.note:
            continue  # nothing to report (most rows)
        _log_row(log, m, file, i + 2, column)
    return out, log
