"""CSV cells a spreadsheet will not run: the formula-injection rule for every CSV.

A spreadsheet opening a CSV treats a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return, which some strip first) as a formula: text such as
``=HYPERLINK("http://x")`` or ``+cmd|' /C calc'!A0`` planted in a source file or a
hub return would run on the reader's machine. OWASP's remedy is applied here, once,
for every CSV lacompare writes: such a cell gets a leading single quote (``'=...``),
which spreadsheets show as text. A number (``-3.5``, ``+1``, ``-1,234``, ``-12.5%``)
is left alone, so negative values stay numbers. Column headings follow the same rule.
A cell holding a line break is always quoted: unquoted, a bare carriage return
starts a new row in a spreadsheet, and what follows it would start a cell there.

- :func:`neutralise_formula` is the rule for one cell; :func:`restore_formula` undoes
  it when lacompare reads back a CSV it wrote (the hub's template).
- :class:`CsvSafeWriter` is :func:`csv.writer` with the rule applied to every cell.
- :func:`write_csv_safe` is :meth:`pandas.DataFrame.to_csv` with the rule applied.
- :func:`sql_neutralise_formula` and :func:`csv_safe_query` are the same rule in DuckDB
  SQL, for ``COPY (...) TO 'x.csv'`` exports that never leave the database.

Parquet and XLSX outputs do not need it: they keep text as text.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "CsvSafeWriter",
    "csv_safe_query",
    "neutralise_formula",
    "neutralise_row",
    "restore_formula",
    "sql_neutralise_formula",
    "write_csv_safe",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: A number as a spreadsheet reads one: a sign, a currency sign, digits (thousands
#: commas allowed), a decimal part, an exponent, a percent sign (``-3.5``,
#: ``-£1,200``, ``-12.5%``). RE2 and Python read it alike, so SQL and Python agree.
NUMBER_TEXT_RE = (
    r"[+-]?[£$€]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?"
    r"|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?"
)
_NUMBER_TEXT = re.compile(NUMBER_TEXT_RE)
_PREFIX = "'"


def neutralise_formula(value: Any) -> Any:
    """A cell as it is safe to write to CSV: formula text gets a leading ``'``.

    Parameters
    ----------
    value
        The cell. Only text can carry a formula: numbers, ``None`` and other values
        are returned unchanged.

    Returns
    -------
    object
        ``value``, or ``"'" + value`` when it is text starting with one of
        :data:`FORMULA_TRIGGERS` that is not a number.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_formula("-2+3"), neutralise_formula("@SUM(1)")
    ("'-2+3", "'@SUM(1)")
    >>> neutralise_formula("-3.5"), neutralise_formula(-3.5), neutralise_formula("x")
    ('-3.5', -3.5, 'x')
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not _NUMBER_TEXT.fullmatch(value)
    ):
        return _PREFIX + value
    return value


def restore_formula(value: Any) -> Any:
    """Undo :func:`neutralise_formula` on a cell read back from lacompare's own CSV.

    Only a quote that :func:`neutralise_formula` would have added is taken off
    (``'=x`` → ``=x``); ``'twas`` and ``'-3`` stay as they are.

    Examples
    --------
    >>> restore_formula("'=1+1"), restore_formula("'-3"), restore_formula("'twas")
    ('=1+1', "'-3", "'twas")
    >>> all(restore_formula(neutralise_formula(t)) == t for t in ("=x", "-", "a", "-1"))
    True
    """
    if isinstance(value, str) and value.startswith(_PREFIX):
        rest = value[len(_PREFIX) :]
        if neutralise_formula(rest) == value:
            return rest
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`neutralise_formula`.

    Examples
    --------
    >>> neutralise_row(["Leeds", "=1", -2, "-2"])
    ['Leeds', "'=1", -2, '-2']
    """
    return [neutralise_formula(cell) for cell in row]


class CsvSafeWriter:
    """:func:`csv.writer` with :func:`neutralise_formula` applied to every cell.

    Parameters
    ----------
    file
        A text file opened with ``newline=""`` (or a :class:`io.StringIO`).
    **fmtparams
        :func:`csv.writer` options (``lineterminator``, ``delimiter``, ...).

    Examples
    --------
    >>> import io
    >>> buffer = io.StringIO()
    >>> writer = CsvSafeWriter(buffer, lineterminator="\\n")
    >>> writer.writerow(["name", "@note"])
    >>> writer.writerows([["=cmd|' /C calc'!A0", -3.5]])
    >>> print(buffer.getvalue(), end="")
    name,'@note
    '=cmd|' /C calc'!A0,-3.5
    """

    def __init__(self, file: IO[str], **fmtparams: Any) -> None:
        self._writer = csv.writer(file, **fmtparams)
        self._lineterminator = self._writer.dialect.lineterminator
        # The csv module quotes only the line-break characters of its own line
        # terminator ('\r' is left bare with '\n'): rows with others use this one.
        self._quoting = csv.writer(
            file, **{**fmtparams, "quoting": csv.QUOTE_NONNUMERIC}
        )

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row (the rule applied to each cell)."""
        cells = neutralise_row(row)
        if any(_unquoted_break(c, self._lineterminator) for c in cells):
            self._quoting.writerow(cells)
        else:
            self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows (the rule applied to each cell)."""
        for row in rows:
            self.writerow(row)

    def writedicts(
        self,
        fieldnames: Sequence[str],
        rows: Iterable[dict[str, Any]],
        *,
        restval: Any = "",
    ) -> None:
        """Write a heading row of ``fieldnames`` then each dict as a row.

        Examples
        --------
        >>> import io
        >>> buffer = io.StringIO()
        >>> CsvSafeWriter(buffer, lineterminator="\\n").writedicts(
        ...     ["a", "b"], [{"a": "+x"}])
        >>> buffer.getvalue()
        "a,b\\n'+x,\\n"
        """
        self.writerow(fieldnames)
        self.writerows([row.get(f, restval) for f in fieldnames] for row in rows)


def _unquoted_break(cell: Any, lineterminator: str) -> bool:
    """Whether the csv module would leave a line break in ``cell`` unquoted."""
    return isinstance(cell, str) and any(
        b in cell and b not in lineterminator for b in ("\r", "\n")
    )


def _text_positions(frame: pd.DataFrame) -> list[int]:
    from pandas.api.types import (
        is_bool_dtype,
        is_datetime64_any_dtype,
        is_numeric_dtype,
        is_timedelta64_dtype,
    )

    # Numbers, booleans and dates are written by pandas' own formatting and cannot
    # carry a formula; every other column (object, string, category) may hold text.
    return [
        i
        for i, dtype in enumerate(frame.dtypes)
        if not (
            is_bool_dtype(dtype)
            or is_numeric_dtype(dtype)
            or is_datetime64_any_dtype(dtype)
            or is_timedelta64_dtype(dtype)
        )
    ]


def write_csv_safe(
    frame: pd.DataFrame, path_or_buf: Any = None, *, index: bool = False, **to_csv: Any
) -> str | None:
    """:meth:`pandas.DataFrame.to_csv` with :func:`neutralise_formula` on every cell.

    Text cells and column headings are neutralised; numeric columns are written as
    pandas writes them. ``frame`` is not changed.

    Parameters
    ----------
    frame
        The table to write.
    path_or_buf
        A path or text buffer; ``None`` returns the CSV as a string (as pandas does).
    index
        Write the index too (as columns, neutralised like the rest).
    **to_csv
        Other :meth:`pandas.DataFrame.to_csv` options.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"=h": ["=1+1", "Leeds"], "v": [-3.5, 2.0]})
    >>> print(write_csv_safe(frame, lineterminator="\\n"), end="")
    '=h,v
    '=1+1,-3.5
    Leeds,2.0
    """
    import pandas as pd

    safe = (frame.reset_index() if index else frame).copy(deep=False)
    if isinstance(safe.columns, pd.MultiIndex):
        safe.columns = pd.MultiIndex.from_tuples(
            [tuple(neutralise_formula(p) for p in c) for c in safe.columns]
        )
    else:
        safe.columns = [neutralise_formula(c) for c in safe.columns]
    ending = to_csv.get("lineterminator") or os.linesep
    breaks = any(_unquoted_break(c, ending) for c in safe.columns)
    for position in _text_positions(safe):
        column = safe.iloc[:, position].astype(object).map(neutralise_formula)
        safe.isetitem(position, column)
        breaks = breaks or any(_unquoted_break(c, ending) for c in column)
    if breaks and to_csv.get("quoting") in (None, csv.QUOTE_MINIMAL):
        # pandas writes with the csv module: as in CsvSafeWriter, quote text cells.
        to_csv["quoting"] = csv.QUOTE_NONNUMERIC
    return safe.to_csv(path_or_buf, index=False, **to_csv)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_neutralise_formula(column: str) -> str:
    """:func:`neutralise_formula` as a DuckDB SQL expression over a text ``column``.

    The first character is tested before the number pattern, so plain cells (nearly
    all) cost one comparison: exports stay inside DuckDB at its own speed.

    Parameters
    ----------
    column
        A SQL expression of type VARCHAR (a quoted column name, usually).

    Examples
    --------
    >>> import duckdb
    >>> sql = sql_neutralise_formula("s")
    >>> duckdb.sql(f"SELECT {sql} FROM (VALUES ('=1'), ('-3.5'), ('-'), (NULL)) t(s)"
    ...            ).fetchall()
    [("'=1",), ('-3.5',), ("'-",), (None,)]
    """
    triggers = ", ".join(f"chr({ord(c)})" for c in FORMULA_TRIGGERS)
    return (
        f"CASE WHEN substring({column}, 1, 1) IN ({triggers}) AND NOT "
        f"regexp_full_match({column}, {_sql_string(NUMBER_TEXT_RE)}) "
        f"THEN {_sql_string(_PREFIX)} || {column} ELSE {column} END"
    )


#: DuckDB types whose CSV text cannot be a formula (numbers, booleans, dates, times).
_PLAIN_TYPES = re.compile(
    r"BOOLEAN|U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|REAL"
    r"|DECIMAL\(\d+,\s*\d+\)|DATE|TIME( WITH TIME ZONE)?"
    r"|TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?|UUID"
)


def _sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def csv_safe_query(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """``query`` with its text columns and headings neutralised, for ``COPY ... TO``.

    Columns of numbers, booleans, dates and times are written by DuckDB as they
    are; every other column (VARCHAR, ENUM, lists, intervals like ``-1 day`` ...) is
    cast to text and goes through :func:`sql_neutralise_formula`. Row order is kept.
    Headings that would be formulas are renamed the same way.

    Parameters
    ----------
    con
        The connection the query will run on (to read its column types).
    query
        A ``SELECT`` statement.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> q = csv_safe_query(con, "SELECT '@SUM(1)' AS \\"=h\\", -3.5 AS v")
    >>> con.sql(q).fetchall(), con.sql(q).columns
    ([("'@SUM(1)", Decimal('-3.5'))], ["'=h", 'v'])
    """
    described = con.execute(f"DESCRIBE ({query})").fetchall()
    parts = []
    for name, dtype, *_ in described:
        source = _sql_identifier(name)
        heading = _sql_identifier(neutralise_formula(name))
        if not _PLAIN_TYPES.fullmatch(dtype):
            parts.append(
                f"{sql_neutralise_formula(f'CAST({source} AS VARCHAR)')} AS {heading}"
            )
        else:
            parts.append(f"{source} AS {heading}")
    return f"SELECT {', '.join(parts)} FROM ({query})"
