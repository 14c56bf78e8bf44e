"""Vintages: an earlier store (schema 1 or 2, which kept every load's values
current, duplicates and all) brought to them, its values kept."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lacompare.provenance import IssueLog
from lacompare.store._vintages import settle
from lacompare.store._vintages_types import SourceIdentity

if TYPE_CHECKING:
    import duckdb


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
