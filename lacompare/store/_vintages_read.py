"""Vintages read back: each source's loads (``lacompare vintages``), the values
no longer current, and the revisions between two vintages (``lacompare diff``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.provenance import IssueLog
from lacompare.store._vintages_changes import changes_sql
from lacompare.store._vintages_types import show_value

if TYPE_CHECKING:
    import pandas as pd

    from lacompare.store import Store


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
    if len(loads) < 2 and (old is None or new is None):
        raise InputError(
            f"{key} has one vintage (source "
            f"{int(loads['source_id'].iloc[0])}): nothing to compare"
        )
    old_id, new_id = _pick_loads(loads, key, old, new)
    sql = changes_sql(old_id, new_id)
    counts = dict(
        store.con.execute(f"SELECT change, count(*) FROM ({sql}) GROUP BY 1").fetchall()
    )
    return VintageDiff(
        key,
        sheet,
        old_id,
        new_id,
        {
            k: int(counts.get(k, 0))
            for k in ("revised", "added", "removed", "unchanged")
        },
        _diff_rows(store, sql, unchanged),
        IssueLog(),
    )


def _pick_loads(
    loads: pd.DataFrame, key: str, old: int | None, new: int | None
) -> tuple[int, int]:
    """The source ids of the two loads to compare: ``old`` and ``new`` as
    vintage numbers or source ids; by default the current vintage and the one
    before it."""

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
    return old_id, new_id


def _diff_rows(store: Store, sql: str, unchanged: bool) -> pd.DataFrame:
    """One row per key of :func:`changes_sql` (``sql``) that changed (or every
    key, with ``unchanged``), old and new as a user reads them."""
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
    return rows[
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
