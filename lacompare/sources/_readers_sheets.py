"""Reading a workbook's sheet (through the workbook guard) or a Parquet file into a
:class:`~lacompare.sources._raw.RawTable`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.sources._layout import (
    column_letter,
    header_names,
)

if TYPE_CHECKING:
    import duckdb

from lacompare.sources._raw import (
    RawTable,
    _check_headers,
    _header_index,
    _register_rows,
    _short,
    cell_text,
)


def _read_sheet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None,
    header_row: int | None,
    header_rows: int,
    relation: str,
) -> RawTable:
    from lacompare.sources._workbooks import read_sheets

    # Measured against the limits first, and read in a child process when the
    # caller is a server (lacompare.sources._workbooks.isolated_reading).
    names, sheets = read_sheets(path, sheet, filename=str(path))
    if sheet is None:
        # Data sheets are the big ones; cover, notes and contents sheets are small.
        sheets.sort(
            key=lambda item: (
                -sum(1 for row in item[1] for c in row if c not in (None, ""))
            )
        )
    if not sheets:
        raise InputError("the workbook has no sheets", file=str(path))
    errors: list[InputError] = []
    for name, cells in sheets:
        rows = [_row_text(row) for row in cells]
        try:
            index = _header_index(rows, header_row, header_rows, path, name)
        except InputError as exc:
            errors.append(exc)
            continue
        issues = IssueLog()
        headers = header_names(
            rows[index : index + header_rows], issues, str(path), name, index + 1
        )
        _check_headers(headers, path, name, index + 1)
        width = len(headers)
        records = []
        heading_row = [
            " ".join((c or "").split()).lower()
            for c in rows[index + header_rows - 1][:width]
        ]
        data_rows = rows[index + header_rows :]
        for number, row in enumerate(data_rows, start=index + header_rows + 1):
            cells_text = [c if c != "" else None for c in row[:width]]
            if not any(c is not None and c.strip() for c in cells_text):
                continue
            if _repeats_headings(cells_text, heading_row):
                # A second table under the first (class totals, an older list)
                # starts with the same headings: the first table ends here.
                left = sum(
                    1
                    for r in data_rows[number - index - header_rows :]
                    if any((c or "").strip() for c in r)
                )
                issues.add(
                    "second-table",
                    f"row repeats the headings: the table ends at row "
                    f"{number - 1}; {left} rows from here are not read",
                    file=str(path),
                    sheet=name,
                    row=number,
                )
                break
            extra = [i for i in range(width, len(row)) if row[i].strip()]
            if extra:
                issues.add(
                    "cell-outside-table",
                    f"cell beyond the last headed column: {row[extra[0]][:40]!r}",
                    file=str(path),
                    sheet=name,
                    row=number,
                    column=column_letter(extra[0]),
                    value=row[extra[0]],
                )
            cells_text += [None] * (width - len(cells_text))
            records.append([*cells_text, str(number)])
        _register_rows(con, relation, records, width)
        if sheet is None and len(names) > 1:
            issues.add(
                "sheet",
                f"read sheet {name!r} (the largest table; choose another with --sheet)",
                severity="info",
                file=str(path),
                sheet=name,
            )
        return RawTable(
            str(path), name, relation, headers, index + 1, len(records), issues
        )
    if len(errors) == 1:
        raise errors[0]
    # Saying only why the last (smallest) sheet failed would point at a cover sheet.
    raise InputError(
        f"no table found in any sheet ({errors[0].message}); sheets "
        "are: " + ", ".join(names),
        file=str(path),
    )


def _row_text(row: list[object]) -> list[str]:
    """A row's cells as :func:`cell_text` gives them, blanks as ''.

    Text and whole numbers are most cells: they are read here without a call
    each (a national build reads about a million cells).

    >>> _row_text(["a", "  ", 3.0, 2.5, None, float("nan")])
    ['a', '', '3', '2.5', '', '']
    """
    return [
        c
        if type(c) is str and not c.isspace()
        else str(int(c))
        if type(c) is float and c.is_integer() and -1e15 < c < 1e15
        else (cell_text(c) or "")
        for c in row
    ]


def _repeats_headings(cells: list[str | None], headings: list[str]) -> bool:
    """Whether a row is the table's heading row again (most named cells equal).

    Stops as soon as the answer is known: every data row is asked, and a wide
    sheet's rows have hundreds of cells.

    >>> _repeats_headings(["LA", "Year", "5"], ["la", "year", "value"])
    True
    >>> _repeats_headings(["Leeds", "2021", "5"], ["la", "year", "value"])
    False
    """
    named = [(c, h) for c, h in zip(cells, headings, strict=False) if h]
    n = len(named)
    if n < 2:
        return False
    need = 0.6 * n
    hits = 0
    lead = False  # the first heading again, and two of the first three
    for i, (c, h) in enumerate(named):
        if c is not None and " ".join(c.split()).lower() == h:
            hits += 1
        if i == 2 or (i == n - 1 and n < 3):
            first = named[0][0]
            lead = (
                first is not None
                and " ".join(first.split()).lower() == named[0][1]
                and hits >= 2
            )
        # Most headings again, or the leading ones (a second table with other
        # columns).
        if lead or hits >= need:
            return True
        if i >= 2 and hits + (n - i - 1) < need:
            return False
    return False


def _read_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, relation: str
) -> RawTable:
    import duckdb

    target = str(path).replace("'", "''")
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{target}')"
        ).fetchall()
    except duckdb.Error as exc:
        raise InputError(
            f"cannot read as Parquet: {_short(exc)}", file=str(path)
        ) from None
    names = [r[0] for r in described]
    issues = IssueLog()
    # Parquet names may repeat apart from case, or be blank; name them as a CSV's.
    headers = header_names([names], issues, str(path), None, 1)
    headers += [f"column {column_letter(i)}" for i in range(len(headers), len(names))]
    _check_headers(headers, path, None, 1)
    # Quote names as identifiers: a name may hold '"' (which broke the SQL).
    casts = ", ".join(
        'CAST("' + n.replace('"', '""') + f'" AS VARCHAR) AS c{i}'
        for i, n in enumerate(names)
    )
    try:
        con.execute(f"DROP TABLE IF EXISTS {relation}")
        con.execute(
            f"CREATE TEMP TABLE {relation} AS SELECT {casts}, "
            f"CAST(file_row_number AS BIGINT) + 2 AS _row "
            f"FROM read_parquet('{target}', file_row_number = true)"
        )
    except duckdb.Error as exc:
        raise InputError(
            f"cannot read as Parquet: {_short(exc)}", file=str(path)
        ) from None
    n_rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    return RawTable(str(path), None, relation, headers, 1, n_rows, issues)
