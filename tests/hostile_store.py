"""A small store whose measure labels (from a table's headings) are formula text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.csv_cells import HOSTILE, NEGATIVE

#: Authorities of the hostile table, each with a real negative value somewhere.
AUTHORITIES = ("Leeds", "York", "Bradford", "Wakefield", "Kirklees")


def hostile_table(path: Path) -> Path:
    """A wide table: one numeric measure per hostile heading; Leeds's values -3.5,
    the others different in each measure (so models can be fitted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # '\r=1' is left out: the CSV reader takes a carriage return as a line break.
    headings = list(HOSTILE[:5])
    writer.writerow(["la", *headings])
    for i, la in enumerate(AUTHORITIES):
        writer.writerow(
            [
                la,
                *(
                    NEGATIVE if i == 0 else str(i ** (j + 1) + j)
                    for j in range(len(headings))
                ),
            ]
        )
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def hostile_store(folder: Path) -> tuple[Path, list[str]]:
    """The store (a file in ``folder``) and its measure keys."""
    from lacompare.store import open_store
    from lacompare.store._ingest import ingest

    db = folder / "hostile.duckdb"
    with open_store(db) as store:
        ingest(store, hostile_table(folder / "hostile.csv"), period="2021")
        keys = [
            m
            for (m,) in store.con.execute(
                "SELECT measure FROM measures ORDER BY measure"
            ).fetchall()
        ]
    return db, keys
