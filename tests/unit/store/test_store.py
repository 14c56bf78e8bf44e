"""The store: schema, registry, export, paths."""

from __future__ import annotations

import duckdb
import pytest

from lacompare.errors import InputError, StoreError
from lacompare.store import _ingest, authority_key, default_db_path, open_store
from lacompare.store._ingest import ingest
from lacompare.store._schema import SCHEMA_VERSION


def test_schema_and_registry_loaded(store):
    assert {
        "authorities",
        "measures",
        "sources",
        "observations",
        "totals",
        "load_issues",
    } <= set(store.tables())
    current = store.con.execute(
        "SELECT count(*) FROM authorities WHERE valid_to IS NULL"
    ).fetchall()[0][0]
    assert current == 153
    # Pre-2011 counties have no ONS code: keyed by DfE code.
    assert store.con.execute(
        "SELECT la_name FROM authorities WHERE la_code = 'dfe:820'"
    ).fetchall() == [("Bedfordshire",)]


def test_polarity_is_constrained(store):
    with pytest.raises(duckdb.ConstraintException):
        store.con.execute("INSERT INTO measures (measure, polarity) VALUES ('m', 'up')")


def test_a_value_or_a_reason_is_required(store):
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    with pytest.raises(duckdb.ConstraintException):
        store.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, "
            "source_id) VALUES ('E06000001', 'm', '2020', 1)"
        )


def test_file_store_persists_and_reopens_read_only(tmp_path, write):
    db = tmp_path / "s.duckdb"
    with open_store(db) as s:
        ingest(s, write("t.csv", "la,x\nLeeds,1\n"), period="2020")
    with open_store(db, read_only=True) as s:
        assert s.observations()["la_name"].tolist() == ["Leeds"]


def test_read_only_store_that_does_not_exist(tmp_path):
    with pytest.raises(StoreError, match="no store"):
        open_store(tmp_path / "none.duckdb", read_only=True)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_export_round_trips(store, write, tmp_path, suffix):
    ingest(store, write("t.csv", 'la,x\nLeeds,"1,000"\nYork,c\n'), period="2020")
    out = store.export(tmp_path / f"obs.{suffix}")
    reader = "read_csv" if suffix == "csv" else "read_parquet"
    rows = duckdb.sql(
        f"SELECT la_name, value, missing_reason, raw, source_row "
        f"FROM {reader}('{out}') ORDER BY la_name"
    ).fetchall()
    assert rows == [
        ("Leeds", 1000.0, None, "1,000", 2),
        ("York", None, "suppressed", "c", 3),
    ]


def test_export_refuses_unknown_format_and_table(store, tmp_path):
    with pytest.raises(InputError, match="xlsx"):
        store.export(tmp_path / "o.xlsx")
    with pytest.raises(InputError, match="no table"):
        store.export(tmp_path / "o.csv", table="secrets")


def test_default_path_is_in_user_data_dir():
    assert default_db_path().name == "lacompare.duckdb"
    assert "lacompare" in str(default_db_path().parent)


def test_authority_key():
    assert authority_key("E06000001", "805") == "E06000001"
    assert authority_key("", "875") == "dfe:875"


def test_a_version_1_store_is_upgraded_keeping_its_values(tmp_path, write):
    # Version 1 kept every value in an observations table; opening the store turns
    # it into observation_cells behind the observations view, data and all.
    db = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("""CREATE TABLE observations (
        la_code VARCHAR NOT NULL, measure VARCHAR NOT NULL, period VARCHAR NOT NULL,
        breakdown VARCHAR NOT NULL DEFAULT '', value DOUBLE, missing_reason VARCHAR,
        label VARCHAR, raw VARCHAR, source_id INTEGER NOT NULL, source_row BIGINT,
        source_column VARCHAR, CHECK (value IS NOT NULL OR missing_reason IS NOT NULL
                                      OR label IS NOT NULL))""")
    con.execute(
        "INSERT INTO observations (la_code, measure, period, value, source_id,"
        " source_row, source_column) VALUES ('E08000035', 'cla', '2024', 85, "
        "1, 7, 'CLA')"
    )
    con.close()
    with open_store(db) as s:
        kinds = dict(
            s.con.execute(
                "SELECT table_name, table_type FROM information_schema.tables WHERE "
                "table_name LIKE 'observation%'"
            ).fetchall()
        )
        assert kinds == {
            "observations": "VIEW",
            "observation_cells": "BASE TABLE",
            "observation_rows": "BASE TABLE",
            "observation_columns": "BASE TABLE",
            "observation_vintages": "VIEW",
        }
        assert s.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchall() == [(str(SCHEMA_VERSION),)]
        assert s.con.execute(
            "SELECT la_code, value, source_row, source_column FROM observations"
        ).fetchall() == [("E08000035", 85.0, 7, "CLA")]
        ingest(s, write("t.csv", "la,x\nLeeds,1\n"), period="2020")
        assert s.con.execute("SELECT count(*) FROM observations").fetchall() == [(2,)]
    # Opening it again changes nothing more.
    with open_store(db) as s:
        assert s.con.execute("SELECT count(*) FROM observations").fetchall() == [(2,)]


def _as_version_2(db) -> None:
    """Turn a store into what version 2 wrote: no vintages, every load current."""
    con = duckdb.connect(str(db))
    con.execute("DROP VIEW observations")
    con.execute("DROP VIEW observation_vintages")
    # Version 2 kept every load's values in these two tables.
    for kept, moved in (
        ("observation_cells", "superseded_cells"),
        ("observation_rows", "superseded_rows"),
    ):
        con.execute(f"INSERT INTO {kept} BY NAME SELECT * FROM {moved}")
        con.execute(f"DROP TABLE {moved}")
    for table, columns in (
        ("sources", ("source_key", "superseded_by", "superseded_at")),
        ("observation_cells", ("superseded_by",)),
        ("observation_rows", ("superseded_by", "row_superseded_by")),
    ):
        for column in columns:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()


@pytest.mark.parametrize("kept_as", ["cells", "rows"])
def test_a_version_2_store_with_reloads_is_upgraded_to_vintages(
    tmp_path, write, monkeypatch, kept_as
):
    # Version 2 kept every load's values current: a file loaded twice after an edit
    # gave every key twice, and so did another file with the same keys. Upgrading
    # keeps every value and makes the later load of each key the current one.
    if kept_as == "rows":
        monkeypatch.setattr(_ingest, "COMPACT_VALUES", 0)
    db = tmp_path / "v2.duckdb"
    first = write("pop.csv", "la,pop\nLeeds,100\nBirmingham,450047\n")
    with open_store(db) as s:
        ingest(s, first, period="2021")
    second = tmp_path / "again"
    second.mkdir()
    (second / "pop.csv").write_text("la,pop\nLeeds,100\nBirmingham,450048\n")
    other = write("other.csv", "la,pop\nLeeds,99\n")
    with open_store(db) as s:
        ingest(s, second / "pop.csv", period="2021")
        ingest(s, other, period="2021")
    # Make it all version 2 again, duplicates and all.
    _as_version_2(db)
    with open_store(db) as s:
        assert s.con.execute(
            "SELECT la_code, value, source_id FROM observations ORDER BY la_code"
        ).fetchall() == [("E08000025", 450048.0, 2), ("E08000035", 99.0, 3)]
        assert s.con.execute(
            "SELECT count(*) FROM observation_vintages"
        ).fetchall() == [(5,)]
        assert s.con.execute(
            "SELECT source_id, source_key, superseded_by FROM sources ORDER BY 1"
        ).fetchall() == [
            (1, "pop.csv", 2),
            (2, "pop.csv", None),
            (3, "other.csv", None),
        ]
        assert s.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchall() == [(str(SCHEMA_VERSION),)]
        kinds = {
            r[0]
            for r in s.con.execute("SELECT DISTINCT kind FROM load_issues").fetchall()
        }
        assert {"vintage", "conflict"} <= kinds
    with open_store(db) as s:  # opening again changes nothing more
        assert s.con.execute("SELECT count(*) FROM observations").fetchall() == [(2,)]
