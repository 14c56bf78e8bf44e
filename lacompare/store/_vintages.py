"""Vintages: every load of a source is kept; the latest is the current one.

Publishers revise their files every release, so loading a file again is the normal
case. Each load by :func:`lacompare.store.ingest` is a *vintage* of a *source*:

* **Which source.** ``--source NAME`` when given. A file with the same bytes,
  sheet and mapping as a current load is that load again, wherever it now lies:
  it replaces it (no new vintage). Otherwise the source is the file's name
  (without its folder) and sheet, so a copy of ``cla_….csv`` from another folder,
  or the publisher's revised file under the same name, is a new vintage of it.
  Two tables can share a name, though (``data.csv``, or each year's
  ``services.csv``): a file that shares no key (authority, measure, period,
  breakdown) with the current vintage of its name revises nothing in it, so it
  becomes a source of its own (``services.csv (2)``), and the load says so;
  ``--replace`` makes it the new vintage anyway, ``--as-new-source`` makes any load
  a source of its own. Where several sources carry the name, the file is a
  vintage of the one it shares most keys with.
* **A new vintage** supersedes the whole of the previous one: its values are kept,
  with their source and load time, but are no longer current (a value the new
  vintage no longer gives is *removed*); the load reports how many values were
  revised, added and removed.
* **Two different sources giving the same key** (authority, measure, period,
  breakdown) conflict. The most recent load is current (the rule ``compare``
  already applied to set-aside totals), the other value is kept as superseded by
  it, and the load reports how many values clash and how many of them differ. A
  value hidden so comes back when the load that hid it is itself superseded by a
  vintage that no longer gives that key.

A superseded vintage's values move to ``superseded_cells`` and ``superseded_rows``
(out of the way of reads of current values); within the current tables a value's
``superseded_by`` (by position in ``observation_rows``) is NULL while it is current;
``observations`` shows the current values and ``observation_vintages`` all of them.

Examples
--------
>>> import tempfile, os
>>> from lacompare.store import open_store
>>> from lacompare.store._ingest import ingest
>>> d = tempfile.mkdtemp()
>>> p = os.path.join(d, "pop.csv")
>>> with open_store(":memory:") as s:
...     _ = open(p, "w").write("la,pop\\nLeeds,100\\nYork,50\\n")
...     first = ingest(s, p, period="2021")
...     _ = open(p, "w").write("la,pop\\nLeeds,101\\nYork,50\\n")
...     again = ingest(s, p, period="2021")
...     print(again.vintage.summary_lines()[0][:46])
...     s.con.execute("SELECT value FROM observations WHERE la_code = 'E08000035'"
...                   ).fetchall()
...     diff_vintages(s, "pop.csv").rows[["measure", "old", "new"]].values.tolist()
vintage 2 of pop.csv: 1 value revised, 0 added
[(101.0,)]
[['pop', '100', '101']]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.store._vintages_changes import changes_sql, compare_loads, record_changes
from lacompare.store._vintages_conflicts import (
    clear_pending,
    hide_conflicts,
    hide_duplicates,
    mark_pending,
)
from lacompare.store._vintages_read import (
    VintageDiff,
    VintageList,
    diff_vintages,
    list_vintages,
    resolve_source,
    superseded_values,
)
from lacompare.store._vintages_types import (
    KEY,
    SHOW,
    Conflict,
    SourceIdentity,
    VintageChange,
    plural,
    show_value,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "KEY",
    "SHOW",
    "Conflict",
    "SourceIdentity",
    "VintageChange",
    "VintageDiff",
    "VintageList",
    "changes_sql",
    "delete_load",
    "diff_vintages",
    "identify_source",
    "list_vintages",
    "resolve_source",
    "settle",
    "show_value",
    "superseded_values",
]

# ------------------------------------------------------------------------------------
# Which source a load belongs to


def identify_source(
    con: duckdb.DuckDBPyConnection,
    file: str | Path,
    sheet: str | None,
    sha256: str,
    spec: str,
    *,
    source: str | None = None,
    as_new_source: bool = False,
    replace: bool = False,
) -> SourceIdentity:
    """Decide which source a load is a vintage of (see the module's rules).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     identify_source(s.con, "/tmp/a/cla.csv", None, "ab12", "{}").key
    'cla.csv'
    """
    if source is not None and as_new_source:
        raise InputError(
            "--source and --as-new-source contradict each other: a "
            "named source is the one its earlier loads share"
        )
    sheet = sheet or ""
    name = Path(file).name
    if as_new_source:
        return SourceIdentity(_free_key(con, name, sheet), sheet, "new")
    same = (
        []
        if not sha256
        else con.execute(
            "SELECT source_key, source_id, loaded_at FROM sources WHERE sha256 = ? "
            "AND sheet = ? AND spec = ? AND source_key IS NOT NULL "
            "AND superseded_by IS NULL "
            + ("AND source_key = ? " if source is not None else "")
            + "ORDER BY source_id DESC LIMIT 1",
            [sha256, sheet, spec] + ([source.strip()] if source is not None else []),
        ).fetchall()
    )
    if same:
        key, prev, at = same[0]
        return SourceIdentity(key, sheet, "same-file", prev, at, identical=True)
    if source is not None:
        key = source.strip()
        if not key:
            raise InputError("--source needs a name")
        ident = SourceIdentity(key, sheet, "named", replace=True)
        prev = _current_vintage(con, key, sheet)
        if prev:
            ident.previous, ident.previous_loaded_at = prev
        return ident
    ident = SourceIdentity(name, sheet, "name", replace=replace)
    ident.candidates = [
        (k, i, at)
        for k, i, at in con.execute(
            "SELECT source_key, source_id, loaded_at FROM sources WHERE sheet = ? AND "
            "superseded_by IS NULL AND (source_key = ? OR (starts_with(source_key, ?) "
            "AND regexp_matches(source_key, ' \\([0-9]+\\)$'))) "
            "ORDER BY source_key <> ?, source_id",
            [sheet, name, name + " (", name],
        ).fetchall()
    ]
    return ident


def _current_vintage(
    con: duckdb.DuckDBPyConnection, key: str, sheet: str
) -> tuple[int, dt.datetime] | None:
    found = con.execute(
        "SELECT source_id, loaded_at FROM sources WHERE source_key = ? AND sheet = ? "
        "AND superseded_by IS NULL ORDER BY source_id DESC LIMIT 1",
        [key, sheet],
    ).fetchall()
    return (found[0][0], found[0][1]) if found else None


def _free_key(con: duckdb.DuckDBPyConnection, name: str, sheet: str) -> str:
    """``name``, or ``name (2)``, ``(3)``… when a source of that name exists."""
    taken = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT source_key FROM sources WHERE sheet = ? AND "
            "source_key IS NOT NULL",
            [sheet],
        ).fetchall()
    }
    key, n = name, 1
    while key in taken:
        n += 1
        key = f"{name} ({n})"
    return key


def _choose_previous(
    con: duckdb.DuckDBPyConnection,
    ident: SourceIdentity,
    new_id: int,
    issues: IssueLog,
    where: dict[str, Any],
) -> dict[str, Any] | None:
    """For a load known by its file's name: the source it is a vintage of, the one
    whose current vintage shares most keys with it; none shared, a source of its
    own. Sets ``ident.key`` and ``ident.previous``; returns the change counts
    against the chosen vintage (None when there is none)."""
    best: tuple[int, str, int, dt.datetime, dict[str, Any]] | None = None
    for key, prev, at in ident.candidates:
        counts = compare_loads(con, prev, new_id)
        shared = counts.get("revised", 0) + counts.get("unchanged", 0)
        if best is None or shared > best[0]:
            best = (shared, key, prev, at, counts)
    if best is None:
        return None
    shared, key, prev, at, counts = best
    if shared == 0 and not ident.replace:
        ident.key = _free_key(con, ident.key, ident.sheet)
        issues.add(
            "new-source",
            f"a source named {key!r} exists (source {prev}, "
            f"loaded {str(at)[:19]}) but this file gives none of its "
            "values' keys (authority, measure, period, breakdown), so it "
            f"revises nothing in it: kept as a new source {ident.key!r} "
            "(--replace makes it a new vintage of the other instead)",
            **where,
        )
        con.execute(
            "UPDATE sources SET source_key = ? WHERE source_id = ?", [ident.key, new_id]
        )
        return None
    ident.key, ident.previous, ident.previous_loaded_at = key, prev, at
    con.execute("UPDATE sources SET source_key = ? WHERE source_id = ?", [key, new_id])
    return counts


def settle(
    con: duckdb.DuckDBPyConnection,
    new_id: int,
    ident: SourceIdentity,
    *,
    file: str,
    sheet: str | None,
    compare: bool = True,
) -> VintageChange:
    """Make load ``new_id`` the current vintage of its source (inside the caller's
    transaction) and say what changed.

    The previous vintage's values are superseded (or, for an identical reload,
    deleted with it); values of other current sources that the previous vintage had
    hidden are current again unless this load gives their key; values of other
    sources with a key this load gives are superseded by it (a conflict); a key given
    twice in this file keeps the later row's value.

    Parameters
    ----------
    con
        The store's connection, in a transaction.
    new_id
        The load just written (its ``sources`` row and values).
    ident
        From :func:`identify_source`.
    file, sheet
        Where the load came from, for the issue log.
    compare
        Count revisions against the previous vintage (an upgrade skips it).

    Returns
    -------
    VintageChange
        The counts, the conflicts and an issue log (``vintage``, ``revised``,
        ``conflict``, ``duplicate-key`` issues).
    """
    where = {"file": file, "sheet": sheet}
    issues = IssueLog()
    counts = None
    if ident.how == "name":
        counts = _choose_previous(con, ident, new_id, issues, where)
    prev = ident.previous
    change = VintageChange(
        source=ident.key,
        sheet=ident.sheet,
        vintage=1,
        source_id=new_id,
        previous=prev,
        previous_loaded_at=ident.previous_loaded_at,
        replaced=ident.identical,
        issues=issues,
    )
    if prev is not None:
        change.previous_vintage = _vintage_number(con, prev)
        change.vintage = change.previous_vintage + (0 if ident.identical else 1)
        if compare:
            record_changes(con, prev, new_id, change, where, counts)
        if ident.identical:
            _repoint(con, prev, new_id)
            delete_load(con, prev)
        else:
            con.execute(
                "UPDATE sources SET superseded_by = ?, superseded_at = "
                "current_timestamp WHERE source_id = ?",
                [new_id, prev],
            )
            _supersede_load(con, prev, new_id)
    change.duplicates = hide_duplicates(con, new_id, change.issues, where)
    pending = mark_pending(con, prev, new_id)
    change.conflicts = hide_conflicts(con, new_id, change.issues, where)
    # Only mark_pending makes a value pending, and each load clears them all.
    change.restored = clear_pending(con) if pending else 0
    if change.restored:
        change.issues.add(
            "restored",
            f"{plural(change.restored, 'value')} of other "
            "sources are current again: the previous vintage gave "
            "them, this one does not",
            severity="info",
            **where,
        )
    if (
        change.revised
        or change.removed
        or change.restored
        or any(c.different for c in change.conflicts)
    ):
        _stale_derived(con, new_id, change.issues, where)
    return change


def _stale_derived(
    con: duckdb.DuckDBPyConnection, new: int, issues: IssueLog, where: dict[str, Any]
) -> None:
    """Derived measures computed from a value that is no longer the current one
    for its key are said, not left to look current."""
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name = "
            "'derived_inputs'"
        ).fetchall()
    }
    if not tables:
        return
    found = con.execute(
        """
        SELECT d.measure, count(DISTINCT (d.la_code, d.period, d.breakdown)),
               any_value(d.source_id)
        FROM derived_inputs d
        LEFT JOIN observations o ON o.la_code = d.la_code
             AND o.measure = d.input_measure AND o.period = d.input_period
             AND o.breakdown = coalesce(d.input_breakdown, '')
        WHERE d.level = 'authority' AND d.role <> 'published'
          AND d.input_measure IN (SELECT measure FROM observation_cells
                                  WHERE source_id = $1
                                  UNION SELECT measure FROM observation_columns
                                  WHERE source_id = $1)
          AND (o.value IS DISTINCT FROM d.input_value
               OR o.missing_reason IS DISTINCT FROM d.input_missing_reason)
        GROUP BY 1 ORDER BY 1""",
        [new],
    ).fetchall()
    for measure, n, source_id in found:
        issues.add(
            "derived-stale",
            f"derived measure {measure}: "
            f"{plural(int(n), 'value')} computed (source {source_id}) from values "
            "that are no longer the current ones; derive it again "
            "(lacompare derive, or lacompare build)",
            **where,
        )


def _vintage_number(con: duckdb.DuckDBPyConnection, source_id: int) -> int:
    return con.execute(
        "SELECT count(*) FROM sources s, sources t WHERE t.source_id = ? AND "
        "s.source_key = t.source_key AND s.sheet = t.sheet AND s.source_id <= "
        "t.source_id",
        [source_id],
    ).fetchall()[0][0]


def delete_load(con: duckdb.DuckDBPyConnection, source_id: int) -> None:
    """Remove a load and everything recorded with it."""
    for table in (
        "observation_cells",
        "observation_rows",
        "superseded_cells",
        "superseded_rows",
        "observation_columns",
        "totals",
        "load_issues",
        "sources",
    ):
        con.execute(f"DELETE FROM {table} WHERE source_id = ?", [source_id])


def _repoint(con: duckdb.DuckDBPyConnection, old: int, new: int) -> None:
    """What load ``old`` superseded, ``new`` supersedes (``old`` is replaced)."""
    con.execute(
        "UPDATE sources SET superseded_by = ? WHERE superseded_by = ?", [new, old]
    )
    for cells in ("observation_cells", "superseded_cells"):
        con.execute(
            f"UPDATE {cells} SET superseded_by = ? WHERE superseded_by = ?", [new, old]
        )
    for rows in ("observation_rows", "superseded_rows"):
        con.execute(f"""UPDATE {rows} SET superseded_by =
                        [CASE WHEN s = {int(old)} THEN {int(new)} ELSE s END
                         FOR s IN superseded_by]
                        WHERE list_contains(superseded_by, {int(old)})""")
    con.execute(
        "UPDATE superseded_rows SET row_superseded_by = ? WHERE row_superseded_by = ?",
        [new, old],
    )


def _supersede_load(con: duckdb.DuckDBPyConnection, old: int, new: int) -> None:
    """Every current value of load ``old`` is superseded by ``new``: its values
    move to ``superseded_cells`` and ``superseded_rows``.

    Moved, not marked in place: however many vintages a store keeps, a read of the
    current values reads no more rows. A large load's rows are marked whole
    (``row_superseded_by``, one number a row); a value another load had already
    superseded keeps saying which (its position in ``superseded_by`` wins in
    ``observation_vintages``).
    """
    from lacompare.store._schema import OBSERVATION_COLUMNS, ROW_COLUMNS

    # Named columns both ways: a store upgraded from version 2 has them in the
    # same order, but nothing here should depend on it.
    con.execute(
        f"INSERT INTO superseded_cells ({OBSERVATION_COLUMNS}, superseded_by) "
        f"SELECT {OBSERVATION_COLUMNS}, coalesce(superseded_by, {int(new)}) "
        f"FROM observation_cells WHERE source_id = {int(old)}"
    )
    con.execute("DELETE FROM observation_cells WHERE source_id = ?", [old])
    kept = ROW_COLUMNS.replace(", row_superseded_by", "")
    con.execute(
        f"INSERT INTO superseded_rows ({ROW_COLUMNS}) SELECT {kept}, "
        f"{int(new)} FROM observation_rows WHERE source_id = {int(old)}"
    )
    con.execute("DELETE FROM observation_rows WHERE source_id = ?", [old])
