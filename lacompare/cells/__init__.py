"""Parse cells: one value parser for every table lacompare reads.

``parse_cell`` handles one value in Python; :func:`sql_parse` gives the same
rules as DuckDB SQL so millions of cells are parsed inside the database.
A missing value keeps its reason (``suppressed``, ``not-available``, ...);
it is never turned into 0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from lacompare.cells._numbers import (
    BRACKETED_RE,
    FOOTNOTE_RE,
    NBSP,
    NUMBER_RE,
    STRIP_CHARS_RE,
    UNICODE_MINUS,
)
from lacompare.cells.markers import UNPARSED, missing_reasons, read_markers

__all__ = [
    "ParsedCell",
    "parse_cell",
    "sql_parse",
    "read_markers",
    "missing_reasons",
    "UNPARSED",
]

_NUMBER = re.compile(NUMBER_RE)
_BRACKETED = re.compile(BRACKETED_RE)
_FOOTNOTE = re.compile(FOOTNOTE_RE)
_STRIP = re.compile(STRIP_CHARS_RE)


@dataclass(frozen=True)
class ParsedCell:
    """A parsed cell: a number, or a missing value with its reason.

    ``unit`` is ``'%'`` when the cell printed a percent sign (the value stays on the
    percentage scale: ``'103%'`` is ``103.0``) and ``'£'`` when it printed a pound sign.
    ``note`` keeps a footnote mark that was stripped (``'[note 3]'``, ``'(p)'``).
    """

    value: float | None
    missing: str | None = None
    unit: str | None = None
    note: str | None = None


def parse_cell(raw: object) -> ParsedCell:
    """Parse one cell as printed in a published table.

    Parameters
    ----------
    raw
        The cell: text as printed, a number from a spreadsheet, or ``None``.

    Returns
    -------
    ParsedCell
        ``value`` is a float, or ``None`` with ``missing`` naming why.

    Examples
    --------
    >>> parse_cell("(1,792)").value
    -1792.0
    >>> parse_cell("£1.20")
    ParsedCell(value=1.2, missing=None, unit='£', note=None)
    >>> parse_cell("103%").value, parse_cell("103%").unit
    (103.0, '%')
    >>> parse_cell("[c]")
    ParsedCell(value=None, missing='suppressed', unit=None, note=None)
    >>> parse_cell("12,345 [note 3]").value
    12345.0
    >>> parse_cell("Atlantis").missing
    'unparsed'
    """
    if raw is None:
        return ParsedCell(None, "blank")
    if isinstance(raw, bool):
        return ParsedCell(float(raw))
    if isinstance(raw, (int, float)):
        value = float(raw)
        if math.isnan(value):
            return ParsedCell(None, "blank")
        if math.isinf(value):
            return ParsedCell(None, UNPARSED)
        return ParsedCell(value)
    text = str(raw).replace(NBSP, " ").replace(UNICODE_MINUS, "-").strip()
    markers = read_markers()
    marker = markers.get(text.lower())
    if marker is not None:
        return ParsedCell(None, marker[0])
    note = None
    match = _FOOTNOTE.search(text)
    if match and match.start() > 0:
        note = match.group(1)
        text = text[: match.start()].strip()
    negative = False
    bracketed = _BRACKETED.match(text)
    if bracketed:
        negative = True
        text = bracketed.group(1).strip()
    if not _NUMBER.match(text):
        return ParsedCell(None, UNPARSED)
    unit = "%" if text.endswith("%") else ("£" if "£" in text else None)
    value = float(_STRIP.sub("", text))
    if math.isinf(value):
        return ParsedCell(None, UNPARSED)
    return ParsedCell(-value if negative else value, None, unit, note)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_parse(column: str) -> tuple[str, str]:
    """DuckDB SQL expressions for a text column's value and missing reason.

    The rules are :func:`parse_cell`'s, so a value parsed in the database equals
    the value parsed in Python (a property test checks this).

    Parameters
    ----------
    column
        A SQL expression of type VARCHAR (a quoted column name, usually).

    Returns
    -------
    (value_sql, missing_sql)
        A DOUBLE expression and a VARCHAR expression (NULL when a value parsed).

    Examples
    --------
    >>> import duckdb
    >>> value, missing = sql_parse("s")
    >>> duckdb.sql(f"SELECT {value} AS v, {missing} AS m FROM "
    ...            "(VALUES ('(1,792)'), ('[c]')) t(s)").fetchall()
    [(-1792.0, None), (None, 'suppressed')]
    """
    clean = (
        f"trim(replace(replace({column}, '{NBSP}', ' '), '{UNICODE_MINUS}', '-'))"
    )
    cases = " ".join(
        f"WHEN {_sql_string(marker)} THEN {_sql_string(reason)}"
        for marker, (reason, _) in read_markers().items()
    )
    marker_sql = f"CASE lower({clean}) {cases} ELSE NULL END"
    # Strip a footnote only when something precedes it (a lone '*' is a marker).
    unfooted = (
        f"trim(CASE WHEN regexp_matches({clean}, {_sql_string('.' + FOOTNOTE_RE)}) "
        f"THEN regexp_replace({clean}, {_sql_string(FOOTNOTE_RE)}, '') "
        f"ELSE {clean} END)"
    )
    inner = f"trim(regexp_extract({unfooted}, {_sql_string(BRACKETED_RE)}, 1))"
    is_bracketed = f"regexp_matches({unfooted}, {_sql_string(BRACKETED_RE)})"
    core = f"(CASE WHEN {is_bracketed} THEN {inner} ELSE {unfooted} END)"
    number = (
        f"(CASE WHEN regexp_full_match({core}, {_sql_string(NUMBER_RE)}) "
        f"THEN TRY_CAST(regexp_replace({core}, {_sql_string(STRIP_CHARS_RE)}, '', 'g')"
        " AS DOUBLE) END)"
    )
    signed = f"(CASE WHEN {is_bracketed} THEN -{number} ELSE {number} END)"
    value_sql = (
        f"(CASE WHEN {column} IS NULL THEN NULL WHEN ({marker_sql}) IS NOT NULL "
        f"THEN NULL WHEN isinf({signed}) THEN NULL ELSE {signed} END)"
    )
    missing_sql = (
        f"(CASE WHEN {column} IS NULL THEN 'blank' "
        f"WHEN ({marker_sql}) IS NOT NULL THEN ({marker_sql}) "
        f"WHEN {signed} IS NULL OR isinf({signed}) THEN {_sql_string(UNPARSED)} "
        "ELSE NULL END)"
    )
    return value_sql, missing_sql
