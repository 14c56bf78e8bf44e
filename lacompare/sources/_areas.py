"""Rows of a table that are not one authority each: keep some, or sum areas to one.

Two steps a spec can ask for, run on the raw table before its layout is read:

* ``keep_rows`` keeps the rows whose column holds one of the listed texts (ONS's
  Explore Local Statistics files put countries, regions, ITL areas, combined
  authorities, counties and districts in one column ``geography``); the others are
  set aside and counted by what they held.
* ``area_lookup`` sums rows for areas smaller than an authority (Community Safety
  Partnerships) into the upper-tier authority each lies in, by a lookup shipped as
  data (``lacompare/geography/data/<name>.csv``). Rows whose area is blank or not in
  the lookup (police force totals, "Unassigned" crimes, Welsh areas) are set aside
  and reported; each sum names the rows it adds up, and a sum with a missing member
  is missing, with that member's reason.

The raw table is replaced by a new one; row numbers stay the file's (a sum keeps its
first row's number and the log names the others), so every stored value still points
at a row a user can open.
"""

from __future__ import annotations

import csv
import dataclasses
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.cells import sql_parse
from lacompare.errors import InputError, SpecError
from lacompare.sources._raw import RawTable

if TYPE_CHECKING:
    import duckdb

    from lacompare.sources.specs import IngestSpec

LOOKUPS = Path(__file__).resolve().parents[1] / "geography" / "data"
#: Headings of the two columns a lookup adds (the spec's la_columns name them).
LOOKUP_HEADINGS = ("Upper-tier authority code", "Upper-tier authority name")
#: How many set-aside rows each kind lists by number in the log.
SHOW_ROWS = 12


@cache
def read_area_lookup(name: str) -> dict[str, tuple[str, str, str]]:
    """A lookup from area code to (authority code, authority name, note).

    ``name`` is a file in ``lacompare/geography/data`` (without ``.csv``) or a path.
    Lines starting with ``#`` are comments (each shipped lookup names its sources).

    Examples
    --------
    >>> read_area_lookup("csp_upper_tier")["E22000063"][:2]
    ('E06000058', 'Bournemouth, Christchurch and Poole')
    """
    path = Path(name) if name.endswith(".csv") else LOOKUPS / f"{name}.csv"
    if not path.is_file():
        raise SpecError(f"area lookup {name!r} not found (looked for {path})")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {
            r["area_code"].strip(): (
                r["la_code"].strip(),
                r["la_name"].strip(),
                (r.get("note") or "").strip(),
            )
            for r in rows
        }


def _column(raw: RawTable, heading: str, key: str) -> str:
    wanted = " ".join(heading.split()).lower()
    for column, name in zip(raw.columns, raw.headers, strict=True):
        if " ".join(name.split()).lower() == wanted:
            return column
    raise InputError(
        f"[source] {key}: no column headed {heading!r}; the headings "
        f"are {', '.join(repr(h) for h in raw.headers)}",
        file=raw.file,
        sheet=raw.sheet,
    )


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOW_ROWS])
    return shown + (
        f" and {len(rows) - SHOW_ROWS} more" if len(rows) > SHOW_ROWS else ""
    )


def select_rows(
    con: duckdb.DuckDBPyConnection, raw: RawTable, keep: dict[str, list[str]]
) -> RawTable:
    """Keep the rows whose columns hold one of the texts listed for each.

    Parameters
    ----------
    con
        The connection holding ``raw``.
    raw
        The table as read.
    keep
        Column heading → the texts to keep (compared with spaces trimmed, case
        ignored).

    Returns
    -------
    RawTable
        The same table without the other rows; its ``issues`` say how many rows
        were set aside, by what they held, with their row numbers.

    Examples
    --------
    >>> import duckdb, os, tempfile
    >>> from lacompare.sources import read_raw
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("code,level,v\\nE92000001,Country,1\\n"
    ...                        "E06000001,Unitary,2\\nTLC,ITL3,3\\n")
    >>> con = duckdb.connect()
    >>> t = select_rows(con, read_raw(con, p), {"level": ["Country", "Unitary"]})
    >>> t.n_rows, [i.message for i in t.issues][-1]
    (2, "set aside 1 row whose level is 'ITL3' (row 4)")
    """
    conditions = []
    for heading, texts in keep.items():
        column = _column(raw, heading, "keep_rows")
        wanted = ", ".join(
            "'" + t.strip().lower().replace("'", "''") + "'" for t in texts
        )
        conditions.append(
            (heading, column, f"lower(trim(coalesce({column}, ''))) IN ({wanted})")
        )
    where = " AND ".join(c for _, _, c in conditions) or "true"
    relation = f"{raw.relation}_kept"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * EXCLUDE (_row), "
        f"_row FROM (SELECT *, {raw.row_sql} AS _row FROM {raw.relation}) "
        f"WHERE {where} ORDER BY _row"
    )
    issues = raw.issues
    for heading, column, condition in conditions:
        dropped = con.execute(
            f"SELECT coalesce(trim({column}), '') AS held, list({raw.row_sql} "
            f"ORDER BY {raw.row_sql}) FROM {raw.relation} WHERE NOT ({condition}) "
            "GROUP BY held ORDER BY held"
        ).fetchall()
        for held, rows in dropped:
            noun = "row" if len(rows) == 1 else "rows"
            issues.add(
                "row-set-aside",
                f"set aside {len(rows):,} {noun} whose "
                f"{heading} is {held!r} (row{'s' if len(rows) > 1 else ''} "
                f"{_rows_text(rows)})",
                severity="info",
                file=raw.file,
                sheet=raw.sheet,
                column=heading,
            )
    n_rows = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    return dataclasses.replace(
        raw, relation=relation, n_rows=n_rows, row_sql="_row", issues=issues
    )


def sum_areas(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    lookup: str,
    area_column: str,
    exclude: list[str],
    markers: dict[str, str] | None = None,
) -> RawTable:
    """Sum the rows of smaller areas into the upper-tier authority each lies in.

    Parameters
    ----------
    con
        The connection holding ``raw``.
    raw
        The table as read: one row per area (e.g. Community Safety Partnership).
    lookup
        The area lookup (see :func:`read_area_lookup`).
    area_column
        Heading of the column holding the area codes the lookup is keyed by.
    exclude
        Headings of descriptive columns (names, other codes) that are not summed.
    markers
        The table's marker overrides, as in :func:`lacompare.cells.parse_cell`.

    Returns
    -------
    RawTable
        One row per authority: its code and name (headed as in
        :data:`LOOKUP_HEADINGS`) and each other column summed, as text. Its
        ``issues`` list the rows set aside (blank area, or an area the lookup does
        not hold) and, for each sum of several rows, the rows it adds up.

    Examples
    --------
    >>> import duckdb, os, tempfile
    >>> from lacompare.sources import read_raw
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("csp,name,crimes\\n,Dorset force,30\\n"
    ...     "E22000063,Bournemouth,\\"1,000 \\"\\nE22000067,Poole,20\\n")
    >>> con = duckdb.connect()
    >>> t = sum_areas(con, read_raw(con, p), "csp_upper_tier", "csp", ["name"])
    >>> con.execute(f"SELECT * FROM {t.relation}").fetchall()
    [('E06000058', 'Bournemouth, Christchurch and Poole', '1020', 3)]
    """
    code = _column(raw, area_column, "area_column")
    dropped = {_column(raw, h, "exclude_columns") for h in exclude} | {code}
    summed = [c for c in raw.columns if c not in dropped]
    headings = dict(zip(raw.columns, raw.headers, strict=True))
    parsed = _match_areas(con, raw, read_area_lookup(lookup), code, summed, markers)
    issues = raw.issues
    _log_unplaced(con, parsed, raw, headings[code], lookup)
    relation = _sum_by_authority(con, parsed, summed, f"{raw.relation}_areas")
    _log_sums(con, relation, raw)
    renamed = ", ".join(f"s{i} AS c{i + 2}" for i in range(len(summed)))
    final = f"{relation}_t"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {final} AS SELECT c0, c1, "
        + (renamed + ", " if renamed else "")
        + f"CAST(_row AS BIGINT) AS _row FROM {relation} ORDER BY _row"
    )
    n_rows = con.execute(f"SELECT count(*) FROM {final}").fetchone()[0]
    return dataclasses.replace(
        raw,
        relation=final,
        n_rows=n_rows,
        row_sql="_row",
        issues=issues,
        headers=[*LOOKUP_HEADINGS, *(headings[c] for c in summed)],
    )


def _match_areas(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    areas: dict[str, tuple[str, str, str]],
    code: str,
    summed: list[str],
    markers: dict[str, str] | None,
) -> str:
    """A table of the rows with each one's authority by the lookup (``_la``,
    ``_la_name``; NULL where none), its row number and the summed columns parsed."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _area_lookup (area VARCHAR, "
        "la_code VARCHAR, la_name VARCHAR)"
    )
    con.executemany(
        "INSERT INTO _area_lookup VALUES (?, ?, ?)",
        [(a, la, name) for a, (la, name, _) in areas.items()],
    )
    row_sql = raw.row_sql.replace("rowid", "r.rowid").replace("_row", "r._row")
    source = (
        f"(SELECT r.*, {row_sql} AS _srow, trim(coalesce(r.{code}, '')) "
        f"AS _area, l.la_code AS _la, l.la_name AS _la_name FROM "
        f"{raw.relation} r LEFT JOIN _area_lookup l ON l.area = "
        f"trim(r.{code}))"
    )
    # Parsed once into a table: the parse is a deep query per column, and both the
    # rows set aside and the sums read it (as a subquery it ran twice, and its plan
    # grew with every column: seconds for a few hundred rows).
    parsed = f"{raw.relation}_parsed"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {parsed} AS {sql_parse(source, summed, markers)}"
    )
    return parsed


def _log_unplaced(
    con: duckdb.DuckDBPyConnection,
    parsed: str,
    raw: RawTable,
    heading: str,
    lookup: str,
) -> None:
    """Log the rows that lie in no authority: blank areas and areas the lookup
    lacks."""
    unplaced = con.execute(
        f"SELECT _area = '' AS blank, list(_srow ORDER BY _srow), "
        f"list(DISTINCT _area) FROM {parsed} WHERE _la IS NULL GROUP BY blank "
        "ORDER BY blank DESC"
    ).fetchall()
    for blank, rows, names in unplaced:
        noun = "row" if len(rows) == 1 else "rows"
        why = (
            f"no {heading} (area totals, crimes assigned to no area)"
            if blank
            else f"an area not in lookup {lookup!r} "
            f"({', '.join(sorted(names)[:SHOW_ROWS])})"
        )
        raw.issues.add(
            "row-set-aside",
            f"set aside {len(rows):,} {noun} with {why}: {_rows_text(rows)}",
            severity="info",
            file=raw.file,
            sheet=raw.sheet,
            column=heading,
        )


def _sum_by_authority(
    con: duckdb.DuckDBPyConnection, parsed: str, summed: list[str], relation: str
) -> str:
    """One row per authority in ``relation``: code, name, each column summed as
    text (``s0`` …), the first member's row, and the members' rows and areas."""
    sums = ", ".join(
        f"CASE WHEN count(*) FILTER (WHERE {c}__value IS NULL) = 0 "
        f"THEN regexp_replace(CAST(sum({c}__value) AS VARCHAR), '\\.0$', '') "
        # A sum with a missing member is missing, with that member's own text.
        f"ELSE first({c} ORDER BY _srow) FILTER (WHERE {c}__value IS NULL) "
        f"END AS s{i}"
        for i, c in enumerate(summed)
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT _la AS c0, "
        f"first(_la_name) AS c1, "
        + (sums + ", " if sums else "")
        + f"min(_srow) AS _row, list(_srow ORDER BY _srow) AS _members, "
        f"list(_area ORDER BY _srow) AS _areas FROM {parsed} "
        "WHERE _la IS NOT NULL GROUP BY _la ORDER BY _row"
    )
    return relation


def _log_sums(con: duckdb.DuckDBPyConnection, relation: str, raw: RawTable) -> None:
    """Log each sum of several rows: the rows it adds up, and the row its values
    point at."""
    for la, name, rows, names in con.execute(
        f"SELECT c0, c1, _members, _areas FROM {relation} "
        "WHERE len(_members) > 1 ORDER BY _row"
    ).fetchall():
        raw.issues.add(
            "rows-summed",
            f"{name} ({la}) is the sum of rows "
            f"{_rows_text(rows)} ({', '.join(names)}); its values point at "
            f"row {rows[0]}",
            severity="info",
            file=raw.file,
            sheet=raw.sheet,
            row=rows[0],
        )


def prepare_rows(
    con: duckdb.DuckDBPyConnection, raw: RawTable, spec: IngestSpec
) -> tuple[RawTable, IngestSpec]:
    """Apply a spec's ``keep_rows`` and ``area_lookup`` to a raw table.

    Returns the table to lay out and the spec to lay it out with (after a sum, the
    descriptive columns are gone, so the spec no longer names them).

    Examples
    --------
    >>> import duckdb, os, tempfile
    >>> from lacompare.sources import read_raw
    >>> from lacompare.sources.specs import IngestSpec
    >>> p = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(p, "w").write("la,v\\nLeeds,1\\n")
    >>> con = duckdb.connect()
    >>> raw = read_raw(con, p)
    >>> prepare_rows(con, raw, IngestSpec())[0] is raw
    True
    """
    if spec.keep_rows:
        raw = select_rows(con, raw, spec.keep_rows)
    if spec.area_lookup:
        if not spec.area_column:
            raise SpecError(
                "[source] area_lookup needs area_column (the heading of "
                "the column holding the area codes)",
                file=spec.origin,
            )
        raw = sum_areas(
            con,
            raw,
            spec.area_lookup,
            spec.area_column,
            spec.exclude_columns,
            spec.markers,
        )
        spec = dataclasses.replace(
            spec, exclude_columns=[], la_columns=list(LOOKUP_HEADINGS)
        )
    return raw, spec
