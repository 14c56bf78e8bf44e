"""``lacompare export`` to CSV: no cell or heading starts with formula text."""

from __future__ import annotations

import csv
import io

import pytest

from lacompare.store import EXPORT_TABLES
from lacompare.store._ingest import ingest
from tests.csv_cells import HOSTILE, NEGATIVE, assert_csv_safe, cells, formula_cells


def _hostile_table() -> str:
    """A wide table whose text cells and one heading are formula text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["la", '=HYPERLINK("http://x")', "spend"])
    # '\r=1' is left out: the CSV reader takes a carriage return as a line break.
    for la, cell in zip(
        ("Leeds", "York", "Bradford", "Wakefield", "Kirklees"), HOSTILE[:5], strict=True
    ):
        writer.writerow([la, cell, NEGATIVE])
    return buffer.getvalue()


def test_export_neutralises_values_and_source_headings(store, write, tmp_path):
    ingest(store, write("t.csv", _hostile_table()), period="2021")
    out = store.export(tmp_path / "obs.csv")
    # Every value as stored (label, raw) and the source column heading are quoted;
    # whatever the loader kept of '\t=1' is checked by formula_cells.
    assert_csv_safe(
        out, planted=('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3")
    )
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    spend = [r for r in rows if r["measure"] == "spend"]
    assert len(spend) == 5 and {r["value"] for r in spend} == {NEGATIVE}


@pytest.mark.parametrize("table", EXPORT_TABLES)
def test_every_table_exports_safely(store, write, tmp_path, table):
    ingest(store, write("=t.csv", _hostile_table()), period="2021")
    if table not in store.tables():
        pytest.skip(f"{table} is made by lacompare derive, not by a load")
    out = store.export(tmp_path / f"{table}.csv", table=table)
    assert not formula_cells(out)
    assert cells(out)  # at least the headings


def test_parquet_keeps_text_as_it_was(store, write, tmp_path):
    import duckdb

    ingest(store, write("t.csv", _hostile_table()), period="2021")
    out = store.export(tmp_path / "obs.parquet")
    headings = duckdb.sql(f"SELECT DISTINCT source_column FROM '{out}'").fetchall()
    assert ('=HYPERLINK("http://x")',) in headings
