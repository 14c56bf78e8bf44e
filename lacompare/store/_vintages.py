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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.provenance import IssueLog

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from lacompare.store import Store

#: The columns that make a value's key: one current value per key.
KEY = ("la_code", "measure", "period", "breakdown")
#: While a load is settled, a value of another source that the superseded vintage
#: had hidden is marked with this (not a source id) until it is known whether the
#: new vintage hides it again; what is left marked is current again.
_PENDING = -1
#: How many examples of each kind of change a load's issue log names one by one.
SHOW = 20
#: The sources written by ingest (others, derived measures and snapshots, have no
#: vintages of their own, though their values can still conflict).
_INGEST_SPEC = "{%"


@dataclass
class SourceIdentity:
    """Which source a load is a vintage of, and what it follows.

    ``how``: ``named`` (``--source``), ``new`` (``--as-new-source``), ``same-file``
    (the same bytes, sheet and mapping as a current load), ``name`` (the file's
    name and sheet: ``previous`` is settled among ``candidates`` once the load's
    values are in), ``upgrade``.
    """

    key: str
    sheet: str
    how: str
    previous: int | None = None
    previous_loaded_at: dt.datetime | None = None
    #: The same bytes, sheet and mapping as the current vintage: a reload that
    #: replaces it rather than a new vintage.
    identical: bool = False
    #: The user said this is a new vintage of the source of its name whatever it
    #: holds.
    replace: bool = False
    #: Current vintages of sources carrying the file's name: (key, source_id,
    #: loaded_at), the exact name first.
    candidates: list[tuple[str, int, dt.datetime]] = field(default_factory=list)


@dataclass
class Conflict:
    """Values another source gave for keys this load gives (now superseded)."""

    source_id: int
    file: str
    sheet: str
    loaded_at: dt.datetime | None
    values: int
    different: int


@dataclass
class VintageChange:
    """What a load changed against the previous vintage of its source, and the
    conflicts with other sources it resolved."""

    source: str
    sheet: str
    vintage: int
    source_id: int
    previous: int | None = None
    previous_vintage: int | None = None
    previous_loaded_at: dt.datetime | None = None
    replaced: bool = False
    revised: int = 0
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    restored: int = 0
    duplicates: int = 0
    issues: IssueLog = field(default_factory=IssueLog)

    def summary_lines(self) -> list[str]:
        """Plain-text lines for a terminal or log."""
        name = self.source + (f" [{self.sheet}]" if self.sheet else "")
        lines = []
        if self.previous is None:
            lines.append(f"vintage 1 of {name} (a new source)")
            lines.extend(f"  {i.message}" for i in self.issues.of_kind("new-source"))
        elif self.replaced:
            lines.append(
                f"vintage {self.vintage} of {name}: the same file and mapping "
                f"as its current vintage (source {self.previous}), replaced; "
                f"{_n(self.revised, 'value')} revised, {self.added:,} added, "
                f"{self.removed:,} removed"
            )
        else:
            lines.append(
                f"vintage {self.vintage} of {name}: "
                f"{_n(self.revised, 'value')} revised, {self.added:,} added, "
                f"{self.removed:,} removed ({self.unchanged:,} unchanged) "
                f"against vintage {self.previous_vintage} (source "
                f"{self.previous})"
            )
        for c in self.conflicts:
            where = Path(c.file).name + (f" [{c.sheet}]" if c.sheet else "")
            lines.append(
                f"conflict: {_n(c.values, 'value')} ({c.different:,} "
                f"different) also given by source {c.source_id} ({where}); "
                "this load's are current (the most recent load wins)"
            )
        if self.restored:
            lines.append(
                f"{_n(self.restored, 'value')} of other sources current "
                "again: the previous vintage gave them, this one does not"
            )
        if self.duplicates:
            lines.append(
                f"{_n(self.duplicates, 'value')} repeat a key given later in "
                "the file; the later row's is current (load_issues)"
            )
        return lines


def _n(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


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
            "SELECT source_key, source_id, loaded_at FROM sources WHERE sha256 = ? AND "
            "sheet = ? AND spec = ? AND source_key IS NOT NULL AND superseded_by IS NULL "
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


def _measures(con: duckdb.DuckDBPyConnection, source_id: int) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            """SELECT measure FROM observation_cells WHERE source_id = $1
           UNION SELECT measure FROM observation_columns WHERE source_id = $1""",
            [source_id],
        ).fetchall()
    }


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
        counts = _changes(con, prev, new_id)
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


def _opened_row(period: str) -> str:
    return (
        "r.la_code, c.measure, " + period + " AS period, r.breakdown, "
        "r.cell_values[c.position] AS value, "
        "r.missing_reasons[c.position] AS missing_reason, "
        "r.labels[c.position] AS label, r.source_row, c.source_column"
    )


def _same_columns(con: duckdb.DuckDBPyConnection, old: int, new: int) -> bool:
    """Two large loads whose columns are the same measures in the same places, none
    with a period of its own: their file rows can be compared whole."""
    found = con.execute(
        """
        SELECT (SELECT count(*) FROM observation_cells WHERE source_id IN ($1, $2)),
               (SELECT count(DISTINCT source_id) FROM observation_rows
                WHERE source_id IN ($1, $2)),
               (SELECT count(*) FROM observation_columns WHERE source_id IN ($1, $2)
                AND period IS NOT NULL),
               (SELECT count(*) FROM observation_columns WHERE source_id = $1),
               (SELECT count(*) FROM observation_columns o JOIN observation_columns n
                USING (position, measure) WHERE o.source_id = $1
                AND n.source_id = $2)""",
        [old, new],
    ).fetchall()[0]
    cells, row_loads, dated, n_old, matched = found
    n_new = con.execute(
        "SELECT count(*) FROM observation_columns WHERE source_id = ?", [new]
    ).fetchall()[0][0]
    return cells == 0 and row_loads == 2 and dated == 0 and n_old == n_new == matched


def _changes(con: duckdb.DuckDBPyConnection, old: int, new: int) -> dict[str, Any]:
    """Counts of each change between two loads, and the first revised and removed
    keys (``examples``), from one pass over their values: on a large load the join
    is most of the time a reload takes, so two large loads laid out alike are
    compared file row with file row first, and only the rows that differ value by
    value."""
    rows = None
    if _same_columns(con, old, new):
        rows = "_rows_changed"
        side = (
            "SELECT rowid AS rid, la_code, period, breakdown, cell_values, "
            "missing_reasons, labels FROM observation_rows WHERE source_id = {}"
        )
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {rows} AS
            SELECT unnest([o.rid, n.rid]) AS rid
            FROM ({side.format(int(old))}) o FULL JOIN ({side.format(int(new))}) n
            ON o.la_code = n.la_code AND o.period IS NOT DISTINCT FROM n.period
               AND o.breakdown = n.breakdown
            WHERE o.rid IS NULL OR n.rid IS NULL
               OR o.cell_values IS DISTINCT FROM n.cell_values
               OR o.missing_reasons IS DISTINCT FROM n.missing_reasons
               OR o.labels IS DISTINCT FROM n.labels""")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT * FROM "
        f"({changes_sql(old, new, rows)}) WHERE change <> 'unchanged'"
    )
    if rows is not None:
        con.execute(f"DROP TABLE {rows}")
    counts: dict[str, Any] = dict(
        con.execute("SELECT change, count(*) FROM _changed GROUP BY 1").fetchall()
    )
    # Unchanged: the new load's keys that are neither added nor revised.
    n_new = con.execute(
        "SELECT (SELECT count(*) FROM observation_cells WHERE source_id = $1) + "
        "(SELECT coalesce(sum(len(cell_values)), 0) FROM observation_rows "
        "WHERE source_id = $1)",
        [new],
    ).fetchall()[0][0]
    counts["unchanged"] = max(
        0, int(n_new) - counts.get("added", 0) - counts.get("revised", 0)
    )
    counts["examples"] = con.execute(
        f"SELECT * FROM _changed WHERE change IN ('revised', 'removed') ORDER BY "
        f"change DESC, measure, period, la_code, breakdown LIMIT {SHOW}"
    ).df()
    con.execute("DROP TABLE _changed")
    return counts


# ------------------------------------------------------------------------------------
# Settling a load: supersede the previous vintage, resolve conflicts


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
            _count_changes(con, prev, new_id, change, where, counts)
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
    change.duplicates = _hide_duplicates(con, new_id, change.issues, where)
    _mark_pending(con, [i for i in (prev, new_id) if i is not None], new_id)
    change.conflicts = _hide_conflicts(con, new_id, change.issues, where)
    change.restored = _clear_pending(con)
    if change.restored:
        change.issues.add(
            "restored",
            f"{_n(change.restored, 'value')} of other "
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
            f"{_n(int(n), 'value')} computed (source {source_id}) from values "
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


def changes_sql(old: int, new: int, rows: str | None = None) -> str:
    """SQL for every key of two loads: the change (``revised``, ``added``,
    ``removed``, ``unchanged``) and both sides' value, missing reason and label.

    Read from ``observation_vintages``, so a superseded vintage compares as loaded;
    ``rows`` (a table of ``rid``) limits two large loads to those file rows.
    """
    side = (
        "SELECT la_code, measure, period, breakdown, value, missing_reason, label, "
        "source_row, source_column FROM observation_vintages WHERE source_id = {}"
    )
    if rows is not None:
        side = (
            f"SELECT {_opened_row('coalesce(c.period, r.period)')} "
            "FROM observation_rows r JOIN observation_columns c USING (source_id) "
            f"WHERE r.source_id = {{}} AND r.rowid IN (SELECT rid FROM {rows})"
        )
    on = " AND ".join(f"o.{k} = n.{k}" for k in KEY)
    differs = " OR ".join(
        f"o.{c} IS DISTINCT FROM n.{c}" for c in ("value", "missing_reason", "label")
    )
    keys = ", ".join(f"coalesce(n.{k}, o.{k}) AS {k}" for k in KEY)
    return f"""
        SELECT CASE WHEN o.la_code IS NULL THEN 'added'
                    WHEN n.la_code IS NULL THEN 'removed'
                    WHEN {differs} THEN 'revised' ELSE 'unchanged' END AS change,
               {keys},
               o.value AS old_value, o.missing_reason AS old_missing,
               o.label AS old_label, n.value AS new_value,
               n.missing_reason AS new_missing, n.label AS new_label,
               o.source_row AS old_row, n.source_row AS new_row,
               coalesce(n.source_column, o.source_column) AS source_column
        FROM ({side.format(int(old))}) o
        FULL JOIN ({side.format(int(new))}) n ON {on}"""


def _count_changes(
    con: duckdb.DuckDBPyConnection,
    old: int,
    new: int,
    change: VintageChange,
    where: dict[str, Any],
    counts: dict[str, Any] | None = None,
) -> None:
    if counts is None:
        counts = _changes(con, old, new)
    shown = counts["examples"]
    change.revised = counts.get("revised", 0)
    change.added = counts.get("added", 0)
    change.removed = counts.get("removed", 0)
    change.unchanged = counts.get("unchanged", 0)
    change.issues.add(
        "vintage",
        f"vintage {change.vintage} of {change.source}: "
        f"{change.revised:,} revised, {change.added:,} added, {change.removed:,} "
        f"removed, {change.unchanged:,} unchanged against source {old}",
        severity="info",
        **where,
    )
    for r in shown.itertuples():
        old_text = show_value(r.old_value, r.old_missing, r.old_label)
        if r.change == "revised":
            message = (
                f"{r.la_code} {r.measure} {r.period}"
                + (f" [{r.breakdown}]" if r.breakdown else "")
                + f": {old_text} → "
                f"{show_value(r.new_value, r.new_missing, r.new_label)}"
            )
            row = r.new_row
        else:
            message = (
                f"{r.la_code} {r.measure} {r.period}"
                + (f" [{r.breakdown}]" if r.breakdown else "")
                + f": {old_text} is not in this vintage"
            )
            row = None
        change.issues.add(
            r.change,
            message,
            severity="info",
            row=None if row is None or row != row else int(row),
            column=r.source_column,
            **where,
        )


def show_value(value: Any, missing: Any, label: Any) -> str:
    """A stored value as a user reads it: the number, the label, or the reason it is
    missing in brackets.

    Examples
    --------
    >>> show_value(450048.0, None, None), show_value(None, "suppressed", None)
    ('450048', '[suppressed]')
    """
    if value is not None and value == value:
        return f"{value:.15g}"
    if label is not None and label == label:
        return str(label)
    if missing is not None and missing == missing:
        return f"[{missing}]"
    return ""


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


def _mark_pending(
    con: duckdb.DuckDBPyConnection, hidden_by: list[int], new: int
) -> None:
    """Values of other current sources hidden by the superseded vintage (or by this
    load's predecessor, when it replaced it) are pending: current unless this load
    hides them again."""
    ids = ", ".join(str(int(i)) for i in hidden_by)
    current = (
        f"source_id <> {int(new)} AND source_id IN (SELECT source_id FROM sources "
        "WHERE superseded_by IS NULL)"
    )
    con.execute(
        f"UPDATE observation_cells SET superseded_by = {_PENDING} WHERE "
        f"superseded_by IN ({ids}) AND {current}"
    )
    con.execute(f"""UPDATE observation_rows SET superseded_by =
                    [CASE WHEN s IN ({ids}) THEN {_PENDING} ELSE s END
                     FOR s IN superseded_by]
                    WHERE list_has_any(superseded_by, [{ids}]) AND {current}""")


def _clear_pending(con: duckdb.DuckDBPyConnection) -> int:
    """Pending values left are current again; returns how many."""
    n = con.execute(f"""
        SELECT (SELECT count(*) FROM observation_cells
                WHERE superseded_by = {_PENDING})
             + (SELECT coalesce(sum(len(list_filter(superseded_by,
                                                    lambda s: s = {_PENDING}))), 0)
                FROM observation_rows WHERE list_contains(superseded_by, {_PENDING}))
        """).fetchall()[0][0]
    if not n:
        return 0
    con.execute(
        f"UPDATE observation_cells SET superseded_by = NULL WHERE "
        f"superseded_by = {_PENDING}"
    )
    # A row with no superseded value left goes back to a NULL list, which the view
    # reads without opening it.
    con.execute(f"""UPDATE observation_rows SET superseded_by = CASE
                    WHEN len(list_filter(superseded_by, lambda s: s IS NOT NULL
                                         AND s <> {_PENDING})) = 0 THEN NULL
                    ELSE [CASE WHEN s = {_PENDING} THEN NULL ELSE s END
                          FOR s IN superseded_by] END
                    WHERE list_contains(superseded_by, {_PENDING})""")
    return int(n)


def _mark_rows(con: duckdb.DuckDBPyConnection, hide: str, by: int) -> None:
    """Supersede by ``by`` the positions listed in temp table ``hide`` (rid,
    positions) of large loads' rows."""
    con.execute(f"""UPDATE observation_rows SET superseded_by =
                    [CASE WHEN list_contains(h.positions, i) THEN {int(by)}
                          ELSE superseded_by[i] END
                     FOR i IN range(1, len(cell_values) + 1)]
                    FROM {hide} h WHERE observation_rows.rowid = h.rid""")


def _hide_duplicates(
    con: duckdb.DuckDBPyConnection, new: int, issues: IssueLog, where: dict[str, Any]
) -> int:
    """A key given twice in one file: the later row's value is current.

    A large load is checked row by row (authority, period, breakdown): its columns
    are distinct measures, and a check of every value would cost seconds on the
    largest files.
    """
    # Distinct hashes of the keys first (one number each, not four texts: a
    # tenth of the time on a large load). Fewer hashes than values means a repeat
    # or, rarely, two keys with one hash; only then are the keys compared.
    n_cells, n_rows = con.execute(
        """
        SELECT (SELECT count(*) - count(DISTINCT hash(la_code, measure, period,
                                                      breakdown))
                FROM observation_cells WHERE source_id = $1),
               (SELECT count(*) - count(DISTINCT hash(la_code, period, breakdown))
                FROM observation_rows WHERE source_id = $1)""",
        [new],
    ).fetchall()[0]
    if not n_cells and not n_rows:
        return 0
    hidden = 0
    examples: list[tuple[Any, ...]] = []
    if n_cells:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _dups AS
            SELECT rid, la_code, measure, period, breakdown, source_row, kept_row
            FROM (SELECT rowid AS rid, la_code, measure, period, breakdown, source_row,
                         first(source_row) OVER w AS kept_row,
                         row_number() OVER w AS n
                  FROM observation_cells WHERE source_id = ?
                  WINDOW w AS (PARTITION BY la_code, measure, period, breakdown
                               ORDER BY source_row DESC NULLS LAST,
                                        source_column DESC))
            WHERE n > 1""",
            [new],
        )
        con.execute(
            "UPDATE observation_cells SET superseded_by = ? FROM _dups d "
            "WHERE observation_cells.rowid = d.rid",
            [new],
        )
        hidden += con.execute("SELECT count(*) FROM _dups").fetchall()[0][0]
        examples += con.execute(
            f"SELECT la_code, measure, period, breakdown, source_row, kept_row "
            f"FROM _dups ORDER BY source_row LIMIT {SHOW}"
        ).fetchall()
    if n_rows:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _dups AS
            SELECT rid, la_code, period, breakdown, source_row, kept_row,
                   range(1, n_values + 1) AS positions
            FROM (SELECT rowid AS rid, la_code, period, breakdown, source_row,
                         len(cell_values) AS n_values,
                         first(source_row) OVER w AS kept_row,
                         row_number() OVER w AS n
                  FROM observation_rows WHERE source_id = ?
                  WINDOW w AS (PARTITION BY la_code, period, breakdown
                               ORDER BY source_row DESC NULLS LAST))
            WHERE n > 1""",
            [new],
        )
        _mark_rows(con, "_dups", new)
        hidden += con.execute(
            "SELECT coalesce(sum(len(positions)), 0) FROM _dups"
        ).fetchall()[0][0]
        examples += con.execute(
            f"SELECT la_code, '(every measure)', period, breakdown, source_row, "
            f"kept_row FROM _dups ORDER BY source_row LIMIT {SHOW}"
        ).fetchall()
    con.execute("DROP TABLE IF EXISTS _dups")
    for la, measure, period, breakdown, row, kept in examples[:SHOW]:
        issues.add(
            "duplicate-key",
            f"{la} {measure} {period}"
            + (f" [{breakdown}]" if breakdown else "")
            + f" is given again on row {kept}; that row's value is current",
            row=row,
            **where,
        )
    return int(hidden)


def _hide_conflicts(
    con: duckdb.DuckDBPyConnection, new: int, issues: IssueLog, where: dict[str, Any]
) -> list[Conflict]:
    """Current values of earlier loads of other sources with a key this load gives
    are superseded by it; returns what clashed, by source."""
    measures = sorted(_measures(con, new))
    if not measures:
        return []
    con.execute("CREATE OR REPLACE TEMP TABLE _new_measures (measure VARCHAR)")
    con.executemany("INSERT INTO _new_measures VALUES (?)", [[m] for m in measures])
    pending = f"coalesce(superseded_by, {_PENDING}) = {_PENDING}"
    # Only loads that hold one of this load's measures can clash; most loads share
    # none, and then no value is read at all.
    # A superseded vintage has no current value left.
    live = (
        "source_id < ? AND source_id NOT IN (SELECT source_id FROM sources "
        "WHERE superseded_by IS NOT NULL)"
    )
    cell_sources = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT source_id FROM observation_cells WHERE {live} AND "
            f"{pending} AND measure IN (FROM _new_measures)",
            [new],
        ).fetchall()
    ]
    row_sources = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT source_id FROM observation_columns WHERE {live} AND "
            "measure IN (FROM _new_measures) AND source_id IN (SELECT source_id FROM "
            "observation_rows)",
            [new],
        ).fetchall()
    ]
    con.execute("DROP TABLE _new_measures")
    if not cell_sources and not row_sources:
        return []
    candidates = ", ".join(str(int(s)) for s in sorted({*cell_sources, *row_sources}))
    keys = ", ".join(KEY)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _clash AS
        SELECT o.source_id, {", ".join(f"o.{k}" for k in KEY)},
               o.value AS old_value, o.missing_reason AS old_missing,
               o.label AS old_label, n.value, n.missing_reason, n.label,
               n.source_row, n.source_column
        FROM (SELECT * FROM observation_vintages WHERE source_id IN ({candidates})
              AND {pending}) o
        JOIN (SELECT * FROM observations WHERE source_id = {int(new)}) n
        USING ({keys})""")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _clash_keys AS SELECT DISTINCT "
        f"source_id, {keys} FROM _clash"
    )
    on = " AND ".join(f"c.{k} = k.{k}" for k in ("source_id", *KEY))
    con.execute(
        f"UPDATE observation_cells c SET superseded_by = {int(new)} FROM "
        f"_clash_keys k WHERE {on} AND coalesce(c.superseded_by, "
        f"{_PENDING}) = {_PENDING}"
    )
    if row_sources:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _hide AS
            SELECT r.rowid AS rid, list(c.position) AS positions
            FROM observation_rows r JOIN observation_columns c USING (source_id)
            JOIN _clash_keys k ON k.source_id = r.source_id AND k.la_code = r.la_code
                 AND k.measure = c.measure AND k.period = coalesce(c.period, r.period)
                 AND k.breakdown = r.breakdown
            WHERE r.source_id IN ({", ".join(str(int(s)) for s in row_sources)})
              AND coalesce(r.superseded_by[c.position], {_PENDING}) = {_PENDING}
            GROUP BY r.rowid""")
        _mark_rows(con, "_hide", new)
        con.execute("DROP TABLE _hide")
    differ = (
        "(old_value IS DISTINCT FROM value OR old_missing IS DISTINCT FROM "
        "missing_reason OR old_label IS DISTINCT FROM label)"
    )
    found = con.execute(f"""
        SELECT k.source_id, s.file, s.sheet, s.loaded_at, count(*),
               count(*) FILTER ({differ})
        FROM _clash k LEFT JOIN sources s USING (source_id)
        GROUP BY ALL ORDER BY k.source_id""").fetchall()
    conflicts = [
        Conflict(int(sid), str(f or ""), str(sh or ""), at, int(n), int(d))
        for sid, f, sh, at, n, d in found
    ]
    for c in conflicts:
        other = Path(c.file).name + (f" [{c.sheet}]" if c.sheet else "")
        issues.add(
            "conflict",
            f"{_n(c.values, 'value')} ({c.different:,} different) "
            f"also given by source {c.source_id} ({other}, loaded "
            f"{str(c.loaded_at)[:19]}); this load's are current (the most "
            "recent load wins), the others are kept as superseded",
            severity="warning" if c.different else "info",
            **where,
        )
    shown = con.execute(f"""
        SELECT source_id, {keys}, old_value, old_missing, old_label, value,
               missing_reason, label, source_row, source_column FROM _clash
        WHERE {differ} ORDER BY source_id, measure, period, la_code, breakdown
        LIMIT {SHOW}""").fetchall()
    for (
        sid,
        la,
        measure,
        period,
        breakdown,
        ov,
        om,
        ol,
        nv,
        nm,
        nl,
        row,
        column,
    ) in shown:
        issues.add(
            "conflict",
            f"{la} {measure} {period}"
            + (f" [{breakdown}]" if breakdown else "")
            + f": {show_value(nv, nm, nl)} here, {show_value(ov, om, ol)} in "
            f"source {sid}",
            severity="info",
            file=where["file"],
            sheet=where["sheet"],
            row=row,
            column=column,
        )
    con.execute("DROP TABLE _clash")
    con.execute("DROP TABLE _clash_keys")
    return conflicts


# ------------------------------------------------------------------------------------
# An earlier store: version 2 kept every load's values current, duplicates and all


def upgrade(con: duckdb.DuckDBPyConnection) -> IssueLog:
    """Bring a store written before vintages (schema 1 or 2) to them, its values kept.

    Each load by ingest gets its source (its file's name and sheet); loads are then
    settled in the order they were made, as if loaded today: an earlier load of the
    same source is superseded by the later, and of two sources giving the same key
    the later load's value is current. What each settling found is added to
    ``load_issues`` of the load that superseded.

    Returns
    -------
    IssueLog
        What was superseded (empty when the store needed nothing).
    """
    from lacompare.store._schema import DDL, SCHEMA_VERSION

    log = IssueLog()
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "'main'"
        ).fetchall()
    }
    if "meta" not in tables or "sources" not in tables:
        return log
    version = con.execute(
        "SELECT value FROM meta WHERE key = 'schema_version'"
    ).fetchall()
    if version and int(version[0][0]) >= 3:
        return log
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in DDL:
            con.execute(statement)
        loads = con.execute(
            "SELECT source_id, file, sheet, spec FROM sources WHERE source_id IN "
            "(SELECT source_id FROM observation_cells UNION SELECT source_id FROM "
            "observation_rows) ORDER BY source_id"
        ).fetchall()
        for source_id, file, sheet, spec in loads:
            ingested = str(spec or "").startswith("{") and not str(file).startswith(
                "derived:"
            )
            key = Path(str(file)).name if ingested else None
            con.execute(
                "UPDATE sources SET source_key = ? WHERE source_id = ?",
                [key, source_id],
            )
            ident = SourceIdentity(key=key or "", sheet=sheet or "", how="upgrade")
            if key is not None:
                prev = con.execute(
                    "SELECT source_id, loaded_at FROM sources WHERE source_key = ? AND "
                    "sheet = ? AND superseded_by IS NULL AND source_id < ? ORDER BY "
                    "source_id DESC LIMIT 1",
                    [key, sheet or "", source_id],
                ).fetchall()
                if prev:
                    ident.previous, ident.previous_loaded_at = prev[0]
            change = settle(
                con, source_id, ident, file=str(file), sheet=sheet, compare=False
            )
            if change.previous is not None:
                change.issues.add(
                    "vintage",
                    f"on upgrading the store: source "
                    f"{change.previous} is an earlier vintage of this "
                    "load's source, superseded by it",
                    severity="info",
                    file=str(file),
                    sheet=sheet,
                )
            _record(con, source_id, change.issues)
            log.extend(change.issues)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
            [str(SCHEMA_VERSION)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return log


def _record(con: duckdb.DuckDBPyConnection, source_id: int, issues: IssueLog) -> None:
    for i in issues:
        con.execute(
            "INSERT INTO load_issues (source_id, kind, severity, message, "
            'file, sheet, "row", "column", value) VALUES (?, ?, ?, ?, ?, ?, ?, '
            "?, ?)",
            [
                source_id,
                i.kind,
                i.severity,
                i.message,
                i.file,
                i.sheet,
                i.row,
                i.column,
                i.value,
            ],
        )


# ------------------------------------------------------------------------------------
# Reading vintages back


@dataclass
class VintageList:
    """Loads and their vintages (``rows``: one per load), with an issue log."""

    rows: pd.DataFrame
    issues: IssueLog = field(default_factory=IssueLog)


@dataclass
class VintageDiff:
    """The revisions between two vintages of one source."""

    source: str
    sheet: str
    old: int
    new: int
    counts: dict[str, int]
    #: One row per changed key: change, la_code, la_name, measure, period,
    #: breakdown, old, new (as a user reads them), old_row, new_row.
    rows: pd.DataFrame
    issues: IssueLog = field(default_factory=IssueLog)


_VINTAGES_SQL = """
    SELECT source_key AS source, sheet,
           row_number() OVER (PARTITION BY source_key, sheet ORDER BY source_id)
               AS vintage,
           source_id, file, loaded_at, observations AS "values",
           superseded_by, superseded_at
    FROM sources WHERE source_key IS NOT NULL"""


#: A superseded value ``o`` that differs from the current value of its key, or
#: whose key has none.
_DIFFERS_FROM_CURRENT = """
        AND NOT EXISTS (SELECT 1 FROM observations c WHERE c.la_code = o.la_code
            AND c.measure = o.measure AND c.period = o.period
            AND c.breakdown = o.breakdown AND c.value IS NOT DISTINCT FROM o.value
            AND c.missing_reason IS NOT DISTINCT FROM o.missing_reason
            AND c.label IS NOT DISTINCT FROM o.label)"""


def resolve_source(
    store: Store, source: str | int, sheet: str | None = None
) -> tuple[str, str]:
    """The source (key, sheet) a user names: a source id, a source's name, or a
    file's path or name.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     resolve_source(s, "nothing.csv")
    Traceback (most recent call last):
    lacompare.errors.InputError: no source 'nothing.csv' (lacompare vintages lists them)
    """
    con = store.con
    text = str(source).strip()
    if text.isdigit():
        found = con.execute(
            "SELECT source_key, sheet FROM sources WHERE source_id = ?", [int(text)]
        ).fetchall()
        if not found:
            raise InputError(f"no source {text} (lacompare vintages lists them)")
        if found[0][0] is None:
            raise InputError(
                f"source {text} was not loaded by ingest: it has no vintages"
            )
        return found[0][0], found[0][1]
    rows: list[tuple[str, str]] = []
    for name in dict.fromkeys((text, Path(text).name)):
        rows = con.execute(
            "SELECT DISTINCT source_key, sheet FROM sources WHERE lower(source_key) = "
            "lower(?) ORDER BY 2",
            [name],
        ).fetchall()
        if rows:
            break
    if sheet is not None:
        rows = [r for r in rows if r[1] == sheet]
    if not rows:
        raise InputError(
            f"no source {text!r}"
            + (f" with sheet {sheet!r}" if sheet else "")
            + " (lacompare vintages lists them)"
        )
    if len(rows) > 1:
        raise InputError(
            f"{text!r} has several sheets loaded; choose one with "
            "--sheet: " + ", ".join(repr(r[1]) for r in rows)
        )
    return rows[0]


def list_vintages(
    store: Store, source: str | int | None = None, sheet: str | None = None
) -> VintageList:
    """Every load by ingest, grouped into sources, oldest vintage first.

    Parameters
    ----------
    store
        An open store.
    source, sheet
        One source (see :func:`resolve_source`), or every source.

    Returns
    -------
    VintageList
        ``rows``: source, sheet, vintage, source_id, file, loaded_at, values,
        superseded_by, superseded_at, current.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     list(list_vintages(s).rows.columns)[:4]
    ['source', 'sheet', 'vintage', 'source_id']
    """
    params: list[Any] = []
    where = ""
    if source is not None:
        key, sheet = resolve_source(store, source, sheet)
        where, params = "WHERE source = ? AND sheet = ?", [key, sheet]
    rows = store.query(
        f"SELECT *, superseded_by IS NULL AS current FROM "
        f"({_VINTAGES_SQL}) {where} ORDER BY source, sheet, vintage",
        params,
    )
    return VintageList(rows)


def superseded_values(
    store: Store,
    source: str | int,
    sheet: str | None = None,
    limit: int | None = None,
    changed: bool = False,
) -> VintageList:
    """The values of a source that are not current, with the load each came from
    and the one that superseded it (a later vintage, or another source).

    ``changed``: only those that differ from the value now current for their key
    (or whose key has no current value): what a reader of an earlier vintage saw
    that the store no longer says.

    Returns
    -------
    VintageList
        ``rows``: la_code, la_name, measure, period, breakdown, value (as a user
        reads it), source_id, vintage, loaded_at, superseded_by, why, source_row,
        source_column.

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> from lacompare.store._ingest import ingest
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "pop.csv")
    >>> with open_store(":memory:") as s:
    ...     _ = open(p, "w").write("la,pop\\nLeeds,100\\n")
    ...     _ = ingest(s, p, period="2021")
    ...     _ = open(p, "w").write("la,pop\\nLeeds,101\\n")
    ...     _ = ingest(s, p, period="2021")
    ...     superseded_values(s, "pop.csv").rows[["value", "vintage", "why"]
    ...                                          ].values.tolist()
    [['100', 1, 'vintage 2 (source 2)']]
    """
    key, sheet = resolve_source(store, source, sheet)
    frame = store.query(
        f"""
        WITH v AS ({_VINTAGES_SQL})
        SELECT o.la_code, a.la_name, o.measure, o.period, o.breakdown, o.value,
               o.missing_reason, o.label, o.source_id, v.vintage, v.loaded_at,
               o.superseded_by, w.source AS by_source, w.sheet AS by_sheet,
               w.vintage AS by_vintage, b.file AS by_file, o.source_row,
               o.source_column
        FROM observation_vintages o JOIN v USING (source_id)
        LEFT JOIN authorities a USING (la_code)
        LEFT JOIN v w ON w.source_id = o.superseded_by
        LEFT JOIN sources b ON b.source_id = o.superseded_by
        WHERE v.source = ? AND v.sheet = ? AND o.superseded_by IS NOT NULL
        {_DIFFERS_FROM_CURRENT if changed else ""}
        ORDER BY v.vintage, o.measure, o.period, o.la_code, o.breakdown
        {"" if limit is None else f"LIMIT {int(limit)}"}""",
        [key, sheet],
    )
    frame["value"] = [
        show_value(v, m, lb)
        for v, m, lb in zip(
            frame["value"], frame["missing_reason"], frame["label"], strict=True
        )
    ]

    def why(r: Any) -> str:
        if r.by_source == key and r.by_sheet == sheet:
            if r.superseded_by == r.source_id:
                return "repeated later in the file"
            return f"vintage {int(r.by_vintage)} (source {r.superseded_by})"
        other = (
            r.by_source if isinstance(r.by_source, str) else Path(str(r.by_file)).name
        )
        return f"conflict: source {r.superseded_by} ({other})"

    frame["why"] = [why(r) for r in frame.itertuples()]
    frame = frame.drop(
        columns=[
            "missing_reason",
            "label",
            "by_source",
            "by_sheet",
            "by_vintage",
            "by_file",
        ]
    )
    return VintageList(frame)


def diff_vintages(
    store: Store,
    source: str | int,
    old: int | None = None,
    new: int | None = None,
    sheet: str | None = None,
    unchanged: bool = False,
) -> VintageDiff:
    """The revisions between two vintages of a source, as a release QA lists them.

    Parameters
    ----------
    store
        An open store.
    source, sheet
        The source (see :func:`resolve_source`).
    old, new
        Vintage numbers (1 = first load) or source ids of the two loads; default:
        the current vintage against the one before it.
    unchanged
        Also list the keys whose value did not change.

    Returns
    -------
    VintageDiff
        Counts of revised, added, removed and unchanged values, and one row per
        change (authority, measure, period, breakdown, old → new).

    Examples
    --------
    >>> from lacompare.store import open_store
    >>> with open_store(":memory:") as s:
    ...     diff_vintages(s, "x.csv")
    Traceback (most recent call last):
    lacompare.errors.InputError: no source 'x.csv' (lacompare vintages lists them)
    """
    key, sheet = resolve_source(store, source, sheet)
    loads = list_vintages(store, key, sheet).rows
    issues = IssueLog()
    if len(loads) < 2 and (old is None or new is None):
        raise InputError(
            f"{key} has one vintage (source "
            f"{int(loads['source_id'].iloc[0])}): nothing to compare"
        )

    def pick(which: int | None, default: int) -> int:
        if which is None:
            return int(loads["source_id"].iloc[default])
        by_vintage = loads[loads["vintage"] == which]
        by_id = loads[loads["source_id"] == which]
        if len(by_id):
            return int(which)
        if len(by_vintage):
            return int(by_vintage["source_id"].iloc[0])
        raise InputError(
            f"{key} has no vintage or source {which}; its vintages: "
            + ", ".join(
                f"{v} (source {s})"
                for v, s in zip(loads["vintage"], loads["source_id"], strict=True)
            )
        )

    new_id = pick(new, -1)
    old_id = pick(old, -2) if old is not None or len(loads) > 1 else new_id
    if old is None and new is not None:
        earlier = loads[loads["source_id"] < new_id]
        if earlier.empty:
            raise InputError(
                f"source {new_id} is the first vintage of {key}: give --from"
            )
        old_id = int(earlier["source_id"].iloc[-1])
    sql = changes_sql(old_id, new_id)
    counts = dict(
        store.con.execute(f"SELECT change, count(*) FROM ({sql}) GROUP BY 1").fetchall()
    )
    keep = "" if unchanged else "WHERE change <> 'unchanged'"
    rows = store.query(f"""
        SELECT d.change, d.la_code, a.la_name, d.measure, d.period, d.breakdown,
               d.old_value, d.old_missing, d.old_label, d.new_value, d.new_missing,
               d.new_label, d.old_row, d.new_row
        FROM ({sql}) d LEFT JOIN authorities a USING (la_code) {keep}
        ORDER BY CASE d.change WHEN 'revised' THEN 0 WHEN 'added' THEN 1
                 WHEN 'removed' THEN 2 ELSE 3 END, d.measure, d.period, d.la_code,
                 d.breakdown""")
    rows["old"] = [
        show_value(v, m, lb) if c != "added" else ""
        for c, v, m, lb in zip(
            rows["change"],
            rows["old_value"],
            rows["old_missing"],
            rows["old_label"],
            strict=True,
        )
    ]
    rows["new"] = [
        show_value(v, m, lb) if c != "removed" else ""
        for c, v, m, lb in zip(
            rows["change"],
            rows["new_value"],
            rows["new_missing"],
            rows["new_label"],
            strict=True,
        )
    ]
    rows = rows[
        [
            "change",
            "la_code",
            "la_name",
            "measure",
            "period",
            "breakdown",
            "old",
            "new",
            "old_value",
            "new_value",
            "old_row",
            "new_row",
        ]
    ]
    return VintageDiff(
        key,
        sheet,
        old_id,
        new_id,
        {
            k: int(counts.get(k, 0))
            for k in ("revised", "added", "removed", "unchanged")
        },
        rows,
        issues,
    )
