"""Parse cells: one value parser for every table lacompare reads.

``parse_cell`` handles one value in Python; :func:`sql_parse` gives the same
rules as DuckDB SQL so millions of cells are parsed inside the database.
A missing value keeps its reason (``suppressed``, ``not-available``, ...);
it is never turned into 0.

Cells written out follow one rule too: :func:`neutralise_formula` (with
:class:`CsvSafeWriter`, :func:`write_csv_safe` and :func:`csv_safe_query` for DuckDB
exports) keeps every CSV lacompare writes from starting a cell with formula text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from lacompare.cells._csv_safe import (
    CsvSafeWriter,
    csv_safe_query,
    neutralise_formula,
    restore_formula,
    sql_neutralise_formula,
    write_csv_safe,
)
from lacompare.cells._numbers import (
    BRACKETED_RE,
    FOOTNOTE_RE,
    NBSP,
    NOTE_ONLY_RE,
    NUMBER_RE,
    STRIP_CHARS,
    STRIP_CHARS_RE,
    UNICODE_MINUS,
    WHITESPACE,
)
from lacompare.cells._periods import normalise_period, period_as_of
from lacompare.cells.markers import (
    FOOTNOTE_ONLY,
    UNPARSED,
    missing_reasons,
    read_markers,
)

__all__ = [
    "ParsedCell",
    "parse_cell",
    "sql_parse",
    "read_markers",
    "reasons_of",
    "missing_reasons",
    "normalise_period",
    "period_as_of",
    "UNPARSED",
    "CsvSafeWriter",
    "csv_safe_query",
    "neutralise_formula",
    "restore_formula",
    "sql_neutralise_formula",
    "write_csv_safe",
]

# re.ASCII: \\s and friends mean what they mean in DuckDB's RE2.
_NUMBER = re.compile(NUMBER_RE, re.ASCII)
_BRACKETED = re.compile(BRACKETED_RE, re.ASCII)
_FOOTNOTE = re.compile(FOOTNOTE_RE, re.ASCII)
_STRIP = re.compile(STRIP_CHARS_RE, re.ASCII)
_NOTE_ONLY = re.compile(NOTE_ONLY_RE, re.ASCII)


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


def parse_cell(raw: object, markers: Mapping[str, str] | None = None) -> ParsedCell:
    """Parse one cell as printed in a published table.

    Parameters
    ----------
    raw
        The cell: text as printed, a number from a spreadsheet, or ``None``.
    markers
        Markers that mean something else in this table than in ``markers.csv``
        (``{"x": "suppressed"}`` for legacy DfE SFRs), marker → reason.

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
    >>> parse_cell("x").missing, parse_cell("x", {"x": "suppressed"}).missing
    ('not-available', 'suppressed')
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
    text = str(raw).replace(NBSP, " ").replace(UNICODE_MINUS, "-").strip(WHITESPACE)
    reason = reasons_of(markers).get(text.lower())
    if reason is not None:
        return ParsedCell(None, reason)
    if _NOTE_ONLY.match(text):
        return ParsedCell(None, FOOTNOTE_ONLY, note=text)
    note = None
    match = _FOOTNOTE.search(text)
    if match and match.start() > 0:
        note = match.group(1)
        text = text[: match.start()].strip(WHITESPACE)
    negative = False
    bracketed = _BRACKETED.match(text)
    if bracketed:
        negative = True
        text = bracketed.group(1).strip(WHITESPACE)
    if not _NUMBER.match(text):
        return ParsedCell(None, UNPARSED)
    unit = "%" if text.endswith("%") else ("£" if "£" in text else None)
    value = float(_STRIP.sub("", text))
    if math.isinf(value):
        return ParsedCell(None, UNPARSED)
    return ParsedCell(-value if negative else value, None, unit, note)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _strip_sql(column: str) -> str:
    """SQL taking STRIP_CHARS (currency, thousands separators, %) out of ``column``."""
    sql = column
    for char in STRIP_CHARS:
        sql = f"replace({sql}, {_sql_string(char)}, '')"
    return sql


def reasons_of(markers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each lower-cased marker's reason: ``markers.csv``, then ``markers`` over it.

    Examples
    --------
    >>> reasons_of({"X": "suppressed"})["x"], reasons_of()["x"]
    ('suppressed', 'not-available')
    """
    return _reasons(tuple(sorted((markers or {}).items())))


@cache
def _reasons(overrides: tuple[tuple[str, str], ...]) -> dict[str, str]:
    reasons = {m: reason for m, (reason, _) in read_markers().items()}
    known = set(missing_reasons())
    for marker, reason in overrides:
        if reason not in known:
            raise ValueError(
                f"marker {marker!r}: unknown reason {reason!r}; "
                f"one of {', '.join(sorted(known))}"
            )
        reasons[str(marker).strip().lower()] = reason
    return reasons


def sql_parse(
    source: str, columns: list[str], markers: Mapping[str, str] | None = None
) -> str:
    """A DuckDB query that parses text columns with :func:`parse_cell`'s rules.

    The query selects everything from ``source`` and adds, for each column ``c``,
    ``c__value`` (DOUBLE), ``c__missing`` (the missing reason, or NULL) and
    ``c__plain`` (true when the cell was a plain number, read by DuckDB's cast). It is
    built in stages (clean, markers, footnotes, brackets, number), each a column
    of the stage before, so the plan stays small however many columns there are.
    A property test keeps it in agreement with :func:`parse_cell`.

    Parameters
    ----------
    source
        A SQL query or table name whose columns include ``columns`` (VARCHAR).
    columns
        Names of the columns to parse (plain identifiers).
    markers
        Marker overrides for this table, as in :func:`parse_cell`.

    Examples
    --------
    >>> import duckdb
    >>> sql = sql_parse("(VALUES ('(1,792)'), ('[c]')) t(s)", ["s"])
    >>> duckdb.sql(f"SELECT s__value, s__missing FROM ({sql})").fetchall()
    [(-1792.0, None), (None, 'suppressed')]
    """
    if not columns:
        return f"SELECT * FROM {source}"
    stages = [
        *_plain_number_stages(columns),
        *_marker_stages(columns, reasons_of(markers)),
        *_value_stages(columns),
    ]
    sql = f"SELECT * FROM {source}"
    for stage in stages:
        sql = f"SELECT *, {', '.join(stage)} FROM ({sql})"
    helpers = ", ".join(
        f"{c}__{s}" for c in columns for s in ("f", "c", "q", "m", "u", "b", "k", "n")
    )
    return f"SELECT * EXCLUDE ({helpers}) FROM ({sql})"


def _plain_number_stages(columns: list[str]) -> list[list[str]]:
    """Stages 1-3 of :func:`sql_parse`: plain and formatted numbers, the most
    common cells, read first so the slower stages run only on the rest."""
    number = _sql_string(NUMBER_RE)
    ws = _sql_string(WHITESPACE)
    return [
        # DuckDB's own cast reads plain numbers; the later stages' inputs are NULL
        # for them.
        [f"TRY_CAST({c} AS DOUBLE) AS {c}__f" for c in columns],
        # The cast also reads '1_000' and '+-0'; tables never mean those, so they
        # go the slow way (and are refused there, as in Python).
        [
            f"coalesce(isfinite({c}__f) AND NOT contains({c}, '_') "
            f"AND NOT contains({c}, '+-'), false) AS {c}__plain"
            for c in columns
        ],
        # Formatted numbers ('1,234', '£5', '12%'): one regex reads them (no marker
        # looks like a number: tested).
        [
            f"CASE WHEN NOT {c}__plain THEN coalesce(regexp_full_match({c}, {number}), "
            f"false) END AS {c}__q"
            for c in columns
        ],
        [
            f"CASE WHEN NOT {c}__q THEN trim(replace(replace({c}, '{NBSP}', ' '), "
            f"'{UNICODE_MINUS}', '-'), {ws}) END AS {c}__c"
            for c in columns
        ],
    ]


def _marker_stages(columns: list[str], reasons: Mapping[str, str]) -> list[list[str]]:
    """Stages 4-6 of :func:`sql_parse`: markers, footnotes and brackets, each
    guarded so DuckDB evaluates it only on the rows that need it."""
    cases = " ".join(
        f"WHEN {_sql_string(marker)} THEN {_sql_string(reason)}"
        for marker, reason in reasons.items()
    )
    foot_any = _sql_string("." + FOOTNOTE_RE)  # a lone '*' is a marker, not a note
    foot, bracket = _sql_string(FOOTNOTE_RE), _sql_string(BRACKETED_RE)
    ws = _sql_string(WHITESPACE)
    return [
        [
            f"CASE WHEN {c}__c IS NOT NULL THEN CASE lower({c}__c) {cases} ELSE CASE "
            f"WHEN regexp_full_match({c}__c, {_sql_string(NOTE_ONLY_RE)}) THEN "
            f"{_sql_string(FOOTNOTE_ONLY)} END END END AS {c}__m, "
            f"CASE WHEN {c}__c IS NOT NULL THEN trim(CASE WHEN regexp_matches({c}__c, "
            f"{foot_any}) THEN regexp_replace({c}__c, {foot}, '') ELSE {c}__c END, "
            f"{ws}) END AS {c}__u"
            for c in columns
        ],
        [
            f"CASE WHEN {c}__u IS NOT NULL THEN regexp_matches({c}__u, {bracket}) END "
            f"AS {c}__b"
            for c in columns
        ],
        [
            f"CASE WHEN {c}__b THEN trim(regexp_extract({c}__u, {bracket}, 1), {ws}) "
            f"ELSE {c}__u END AS {c}__k"
            for c in columns
        ],
    ]


def _value_stages(columns: list[str]) -> list[list[str]]:
    """Stages 7-8 of :func:`sql_parse`: the number read, then ``__value`` and
    ``__missing``."""
    number = _sql_string(NUMBER_RE)
    return [
        [
            f"CASE WHEN {c}__q THEN TRY_CAST({_strip_sql(c)} AS DOUBLE) "
            f"WHEN {c}__k IS NOT NULL AND regexp_full_match({c}__k, {number}) "
            f"THEN TRY_CAST({_strip_sql(c + '__k')} AS DOUBLE) "
            f"* CASE WHEN {c}__b THEN -1 ELSE 1 END END AS {c}__n"
            for c in columns
        ],
        [
            f"CASE WHEN {c}__plain THEN {c}__f "
            f"WHEN {c} IS NULL OR {c}__m IS NOT NULL OR isinf({c}__n) THEN NULL "
            f"ELSE {c}__n END AS {c}__value, "
            f"CASE WHEN {c}__plain THEN NULL WHEN {c} IS NULL THEN 'blank' "
            f"WHEN {c}__m IS NOT NULL THEN {c}__m "
            f"WHEN {c}__n IS NULL OR isinf({c}__n) THEN {_sql_string(UNPARSED)} "
            f"END AS {c}__missing"
            for c in columns
        ],
    ]
