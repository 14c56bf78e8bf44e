"""Vintages: one current value per key. A key given twice in one file keeps the
later row's value; a key another source gave too keeps the most recent load's
(the other is superseded by it); a value the superseded vintage had hidden is
pending until the new load is known not to hide it again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.provenance import IssueLog
from lacompare.store._vintages_types import (
    KEY,
    PENDING,
    SHOW,
    Conflict,
    plural,
    show_value,
)

if TYPE_CHECKING:
    import duckdb


def load_measures(con: duckdb.DuckDBPyConnection, source_id: int) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            """SELECT measure FROM observation_cells WHERE source_id = $1
           UNION SELECT measure FROM observation_columns WHERE source_id = $1""",
            [source_id],
        ).fetchall()
    }


def mark_pending(con: duckdb.DuckDBPyConnection, previous: int | None, new: int) -> int:
    """Values of other current sources hidden by the superseded vintage
    ``previous`` (or by this load's predecessor, when it replaced it and so
    ``new`` now hides them) are pending: current unless this load hides them
    again. Returns how many rows were marked.

    A load with no previous vintage has hidden nothing yet, so there is nothing
    to mark (most loads of a build: two scans of every value saved each)."""
    if previous is None:
        return 0
    ids = f"{int(previous)}, {int(new)}"
    current = (
        f"source_id <> {int(new)} AND source_id IN (SELECT source_id FROM sources "
        "WHERE superseded_by IS NULL)"
    )
    (cells,) = con.execute(
        f"UPDATE observation_cells SET superseded_by = {PENDING} WHERE "
        f"superseded_by IN ({ids}) AND {current}"
    ).fetchall()[0]
    marked = con.execute(f"""UPDATE observation_rows SET superseded_by =
                    [CASE WHEN s IN ({ids}) THEN {PENDING} ELSE s END
                     FOR s IN superseded_by]
                    WHERE list_has_any(superseded_by, [{ids}]) AND {current}""")
    (rows,) = marked.fetchall()[0]
    return int(cells) + int(rows)


def clear_pending(con: duckdb.DuckDBPyConnection) -> int:
    """Pending values left are current again; returns how many."""
    n = con.execute(f"""
        SELECT (SELECT count(*) FROM observation_cells
                WHERE superseded_by = {PENDING})
             + (SELECT coalesce(sum(len(list_filter(superseded_by,
                                                    lambda s: s = {PENDING}))), 0)
                FROM observation_rows WHERE list_contains(superseded_by, {PENDING}))
        """).fetchall()[0][0]
    if not n:
        return 0
    con.execute(
        f"UPDATE observation_cells SET superseded_by = NULL WHERE "
        f"superseded_by = {PENDING}"
    )
    # A row with no superseded value left goes back to a NULL list, which the view
    # reads without opening it.
    con.execute(f"""UPDATE observation_rows SET superseded_by = CASE
                    WHEN len(list_filter(superseded_by, lambda s: s IS NOT NULL
                                         AND s <> {PENDING})) = 0 THEN NULL
                    ELSE [CASE WHEN s = {PENDING} THEN NULL ELSE s END
                          FOR s IN superseded_by] END
                    WHERE list_contains(superseded_by, {PENDING})""")
    return int(n)


def _mark_rows(con: duckdb.DuckDBPyConnection, hide: str, by: int) -> None:
    """Supersede by ``by`` the positions listed in temp table ``hide`` (rid,
    positions) of large loads' rows."""
    con.execute(f"""UPDATE observation_rows SET superseded_by =
                    [CASE WHEN list_contains(h.positions, i) THEN {int(by)}
                          ELSE superseded_by[i] END
                     FOR i IN range(1, len(cell_values) + 1)]
                    FROM {hide} h WHERE observation_rows.rowid = h.rid""")


def hide_duplicates(
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
    (n_cells,) = con.execute(
        """SELECT count(*) - count(DISTINCT hash(la_code, measure, period, breakdown))
           FROM observation_cells WHERE source_id = $1""",
        [new],
    ).fetchall()[0]
    n_rows = repeated_row_keys(con, new)
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


#: The memory :func:`repeated_row_keys`'s bitmaps may take, in bits (2**27: 16
#: MiB). DuckDB's ``bitstring_agg`` keeps one bitmap per thread and one to combine
#: them, outside the memory limit DuckDB holds a load to, so one bitmap may have at
#: most this divided by (threads + 1) bits: a load with more possible keys
#: (authority-period pairs × breakdowns) has its distinct keys counted by hashing
#: instead. The 1 GB benchmark file needs 6.3 million bits.
KEY_BITMAP_BITS = 1 << 27


def repeated_row_keys(con: duckdb.DuckDBPyConnection, new: int) -> int:
    """How many of load ``new``'s rows in ``observation_rows`` repeat another of
    its rows' key (authority, period, breakdown); 0 means every key is given once.

    Each of the load's (authority, period) pairs and breakdowns is numbered, and
    each row sets its key's bit in one bitmap (DuckDB's ``bitstring_agg``): rows
    minus bits set is the count, exactly. On a 1 GB file (6.3 million rows, 2,448
    pairs × 2,580 breakdowns) this took about 0.15 s, where counting the distinct
    hashes of the keys took 0.5-1.5 s (a hash table of millions of entries under
    the load's memory limit). A load whose pairs × breakdowns would need a larger
    bitmap than ``KEY_BITMAP_BITS`` allows has its distinct key hashes counted
    instead.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute(
    ...     "CREATE TABLE observation_rows AS SELECT * FROM (VALUES "
    ...     "(1, 'E08000035', '2021', 'sex=Male'), (1, 'E08000035', '2021', "
    ...     "'sex=Female'), (1, 'E08000035', '2021', 'sex=Male')) "
    ...     "t(source_id, la_code, period, breakdown)")
    >>> repeated_row_keys(con, 1)
    1
    """
    rows = f"FROM observation_rows WHERE source_id = {int(new)}"
    (n, pairs, breakdowns, threads) = con.execute(
        f"SELECT count(*), approx_count_distinct(hash(la_code, period)), "
        f"approx_count_distinct(breakdown), current_setting('threads') {rows}"
    ).fetchall()[0]
    if n < 2:
        return 0
    most = KEY_BITMAP_BITS // (int(threads) + 1)
    # The estimates only choose the method (they may be a few per cent out): the
    # bitmap's size is the exact counts' product.
    if (pairs + 1) * (breakdowns + 1) <= most:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _pairs AS SELECT la_code, period, "
            f"(row_number() OVER () - 1)::BIGINT AS n "
            f"FROM (SELECT DISTINCT la_code, period {rows})"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _breakdowns AS SELECT breakdown, "
            f"(row_number() OVER () - 1)::BIGINT AS n "
            f"FROM (SELECT DISTINCT breakdown {rows})"
        )
        (n_pairs, n_breakdowns) = con.execute(
            "SELECT (SELECT count(*) FROM _pairs), (SELECT count(*) FROM _breakdowns)"
        ).fetchall()[0]
        bits = n_pairs * n_breakdowns
        if bits <= most:
            # IS NOT DISTINCT FROM: a NULL in a key is a key like any other.
            (repeated,) = con.execute(f"""
                SELECT count(*) - bit_count(bitstring_agg(p.n * {n_breakdowns} + b.n,
                                                          0, {bits - 1}))
                FROM observation_rows o
                JOIN _pairs p ON o.la_code IS NOT DISTINCT FROM p.la_code
                             AND o.period IS NOT DISTINCT FROM p.period
                JOIN _breakdowns b ON o.breakdown IS NOT DISTINCT FROM b.breakdown
                WHERE o.source_id = {int(new)}""").fetchall()[0]
        con.execute("DROP TABLE _pairs")
        con.execute("DROP TABLE _breakdowns")
        if bits <= most:
            return int(repeated)
    (repeated,) = con.execute(
        f"SELECT count(*) - count(DISTINCT hash(la_code, period, breakdown)) {rows}"
    ).fetchall()[0]
    return int(repeated)


def hide_conflicts(
    con: duckdb.DuckDBPyConnection, new: int, issues: IssueLog, where: dict[str, Any]
) -> list[Conflict]:
    """Current values of earlier loads of other sources with a key this load gives
    are superseded by it; returns what clashed, by source."""
    cell_sources, row_sources = _clashing_loads(con, new)
    if not cell_sources and not row_sources:
        return []
    _find_clashes(con, new, sorted({*cell_sources, *row_sources}), bool(row_sources))
    _supersede_clashes(con, new, row_sources)
    conflicts = _log_conflicts(con, issues, where)
    con.execute("DROP TABLE _clash")
    con.execute("DROP TABLE _clash_keys")
    return conflicts


#: A value not superseded, or pending (see :func:`mark_pending`).
_CURRENT_OR_PENDING = f"coalesce(superseded_by, {PENDING}) = {PENDING}"
#: A clashing value ``o`` that differs from this load's.
_DIFFERS = (
    "(old_value IS DISTINCT FROM value OR old_missing IS DISTINCT FROM "
    "missing_reason OR old_label IS DISTINCT FROM label)"
)


def _clashing_loads(
    con: duckdb.DuckDBPyConnection, new: int
) -> tuple[list[int], list[int]]:
    """The earlier current loads (one value per row, one row per file row) that
    hold one of this load's measures: only they can clash. Most loads share none,
    and then no value is read at all."""
    measures = sorted(load_measures(con, new))
    if not measures:
        return [], []
    # A superseded vintage has no current value left.
    live = (
        "source_id < $new AND source_id NOT IN (SELECT source_id FROM sources "
        "WHERE superseded_by IS NOT NULL) "
        "AND measure IN (SELECT unnest($measures::VARCHAR[]))"
    )
    args = {"new": new, "measures": measures}
    found = con.execute(
        f"""SELECT 'cells', source_id FROM (SELECT DISTINCT source_id
                FROM observation_cells WHERE {live} AND {_CURRENT_OR_PENDING})
            UNION ALL
            SELECT 'rows', source_id FROM (SELECT DISTINCT source_id
                FROM observation_columns WHERE {live} AND source_id IN
                (SELECT source_id FROM observation_rows))""",
        args,
    ).fetchall()
    cell_sources = sorted(s for form, s in found if form == "cells")
    row_sources = sorted(s for form, s in found if form == "rows")
    return cell_sources, row_sources


def _find_clashes(
    con: duckdb.DuckDBPyConnection, new: int, loads: list[int], any_rows: bool
) -> None:
    """The values of ``loads`` with a key load ``new`` gives, beside its values
    (temp table ``_clash``), and their keys (``_clash_keys``). ``any_rows``: some
    of ``loads`` keep values as rows of lists."""
    candidates = ", ".join(str(int(s)) for s in loads)
    keys = ", ".join(KEY)
    # Current loads' values are in the tables themselves (superseded_cells holds
    # only whole superseded vintages): read them there, not through the views,
    # where the loads keep one row per value (a third of the time).
    (new_rows,) = con.execute(
        "SELECT count(*) FROM observation_columns WHERE source_id = ?", [new]
    ).fetchall()[0]
    old = "observation_vintages" if any_rows else "observation_cells"
    ours = (
        "observations"
        if new_rows
        else "(FROM observation_cells WHERE superseded_by IS NULL)"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _clash AS
        SELECT o.source_id, {", ".join(f"o.{k}" for k in KEY)},
               o.value AS old_value, o.missing_reason AS old_missing,
               o.label AS old_label, n.value, n.missing_reason, n.label,
               n.source_row, n.source_column
        FROM (SELECT * FROM {old} WHERE source_id IN ({candidates})
              AND {_CURRENT_OR_PENDING}) o
        JOIN (SELECT * FROM {ours} WHERE source_id = {int(new)}) n
        USING ({keys})""")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _clash_keys AS SELECT DISTINCT "
        f"source_id, {keys} FROM _clash"
    )


def _supersede_clashes(
    con: duckdb.DuckDBPyConnection, new: int, row_sources: list[int]
) -> None:
    """Load ``new`` supersedes every value in ``_clash_keys``."""
    on = " AND ".join(f"c.{k} = k.{k}" for k in ("source_id", *KEY))
    con.execute(
        f"UPDATE observation_cells c SET superseded_by = {int(new)} FROM "
        f"_clash_keys k WHERE {on} AND coalesce(c.superseded_by, "
        f"{PENDING}) = {PENDING}"
    )
    if not row_sources:
        return
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _hide AS
        SELECT r.rowid AS rid, list(c.position) AS positions
        FROM observation_rows r JOIN observation_columns c USING (source_id)
        JOIN _clash_keys k ON k.source_id = r.source_id AND k.la_code = r.la_code
             AND k.measure = c.measure AND k.period = coalesce(c.period, r.period)
             AND k.breakdown = r.breakdown
        WHERE r.source_id IN ({", ".join(str(int(s)) for s in row_sources)})
          AND coalesce(r.superseded_by[c.position], {PENDING}) = {PENDING}
        GROUP BY r.rowid""")
    _mark_rows(con, "_hide", new)
    con.execute("DROP TABLE _hide")


def _log_conflicts(
    con: duckdb.DuckDBPyConnection, issues: IssueLog, where: dict[str, Any]
) -> list[Conflict]:
    """The clashes in ``_clash`` by source (logged), and the first that differ
    one by one."""
    found = con.execute(f"""
        SELECT k.source_id, s.file, s.sheet, s.loaded_at, count(*),
               count(*) FILTER ({_DIFFERS})
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
            f"{plural(c.values, 'value')} ({c.different:,} different) "
            f"also given by source {c.source_id} ({other}, loaded "
            f"{str(c.loaded_at)[:19]}); this load's are current (the most "
            "recent load wins), the others are kept as superseded",
            severity="warning" if c.different else "info",
            **where,
        )
    shown = con.execute(f"""
        SELECT source_id, {", ".join(KEY)}, old_value, old_missing, old_label, value,
               missing_reason, label, source_row, source_column FROM _clash
        WHERE {_DIFFERS} ORDER BY source_id, measure, period, la_code, breakdown
        LIMIT {SHOW}""").fetchall()
    for sid, la, measure, period, breakdown, ov, om, ol, nv, nm, nl, row, col in shown:
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
            column=col,
        )
    return conflicts
