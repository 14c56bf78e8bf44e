"""The store: schema, registry, export, paths."""

from __future__ import annotations

import duckdb
import pytest

from lacompare.errors import InputError, StoreError
from lacompare.store import authority_key, default_db_path, open_store
from lacompare.store._ingest import ingest


def test_schema_and_registry_loaded(store):
    assert {"authorities", "measures", "sources", "observations", "totals",
            "load_issues"} <= set(store.tables())
    current = store.con.execute(
        "SELECT count(*) FROM authorities WHERE valid_to IS NULL").fetchall()[0][0]
    assert current == 153
    # Pre-2011 counties have no ONS code: keyed by DfE code.
    assert store.con.execute(
        "SELECT la_name FROM authorities WHERE la_code = 'dfe:820'").fetchall() == [
        ("Bedfordshire",)]


def test_polarity_is_constrained(store):
    with pytest.raises(duckdb.ConstraintException):
        store.con.execute("INSERT INTO measures (measure, polarity) VALUES ('m', 'up')")


def test_a_value_or_a_reason_is_required(store):
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    with pytest.raises(duckdb.ConstraintException):
        store.con.execute("INSERT INTO observations (la_code, measure, period, "
                          "source_id) VALUES ('E06000001', 'm', '2020', 1)")


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
    rows = duckdb.sql(f"SELECT la_name, value, missing_reason, raw, source_row "
                      f"FROM {reader}('{out}') ORDER BY la_name").fetchall()
    assert rows == [("Leeds", 1000.0, None, "1,000", 2),
                    ("York", None, "suppressed", "c", 3)]


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
