"""A large CSV's text read into a table of the store itself (compressed), not a
temporary one: the load stores exactly what it would otherwise, and the table is
gone after the load, whether committed, a dry run or a failure."""

from __future__ import annotations

import pytest

from lacompare.errors import InputError
from lacompare.sources import _readers
from lacompare.store import _ingest, open_store
from lacompare.store._ingest import ingest

#: An EES data-standard file: England, a region and two authorities, by sex.
_YEAR = "2024,Reporting year"
_NE = "E92000001,England,E12000001,North East"
EES = (
    "\n".join(
        [
            "time_period,time_identifier,geographic_level,country_code,country_name,"
            "region_code,region_name,old_la_code,new_la_code,la_name,sex,number,"
            "rate_per_10000",
            f"{_YEAR},National,E92000001,England,,,,,,Total,300,50",
            f"{_YEAR},Regional,{_NE},,,,Total,300,90",
            f"{_YEAR},Local authority,{_NE},805,E06000001,Hartlepool,Total,100,157",
            f"{_YEAR},Local authority,{_NE},805,E06000001,Hartlepool,Male,c,c",
            f"{_YEAR},Local authority,{_NE},806,E06000002,Middlesbrough,Total,200,120",
            f'{_YEAR},Local authority,{_NE},806,E06000002,Middlesbrough,Male,"1,60",x',
        ]
    )
    + "\n"
)

_TABLES = (
    "SELECT source_row, la_code, measure, period, breakdown, value, "
    "missing_reason, label, raw, source_column FROM observations",
    "SELECT area_code, area_name, measure, period, breakdown, value, "
    "missing_reason, raw, source_row, source_column, check_result FROM totals",
    'SELECT kind, severity, message, row, "column", value FROM load_issues',
)


def _stored(store):
    return [sorted(store.con.execute(q).fetchall(), key=repr) for q in _TABLES]


def _kept(store):
    """Every table of the store's own database not in its schema: what a load
    left behind."""
    return store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
        "AND (table_name LIKE '\\_%' ESCAPE '\\' OR comment = ?)",
        [_readers.KEPT_COMMENT],
    ).fetchall()


def _load(tmp_path, name, csv, monkeypatch, *, kept, compact, **kwargs):
    monkeypatch.setattr(_readers, "KEPT_CSV_BYTES", 0 if kept else 1 << 40)
    monkeypatch.setattr(_ingest, "COMPACT_VALUES", 0 if compact else 1 << 40)
    made = []
    create = _readers._create_kept
    monkeypatch.setattr(
        _readers, "_create_kept", lambda *a: made.append(create(*a)) or made[-1]
    )
    with open_store(tmp_path / f"{name}.duckdb") as store:
        result = ingest(store, csv, **kwargs)
        # No table is kept below the threshold.
        assert kept or made == []
        return result, _stored(store), _kept(store), made


# A blank line and a quoted line break inside a cell shift the row numbers; a
# value the parser cannot read is kept as text with an issue.
_ODD = EES.replace("Total,200", "Total,2oo").replace(
    "Total,300,90\n", "Total,300,90\n\n"
) + (
    '2024,Reporting year,Local authority,E92000001,England,E12000001,"North\nEast",'
    "807,E06000003,Redcar and Cleveland,Total,7,8\n"
)


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("text", [EES, _ODD], ids=["ees", "odd"])
def test_kept_table_stores_what_a_temporary_one_does(
    tmp_path, write, monkeypatch, compact, text
):
    csv = write("cla.csv", text)
    temp = _load(tmp_path, "temp", csv, monkeypatch, kept=False, compact=compact)
    kept = _load(tmp_path, "kept", csv, monkeypatch, kept=True, compact=compact)
    assert kept[0].rows_read == temp[0].rows_read > 0
    assert kept[0].observations == temp[0].observations > 0
    assert kept[1] == temp[1]
    assert kept[2] == [] and temp[2] == []
    # DuckDB's reader refuses the odd file (the Python reader reads it instead).
    assert kept[3] == ([True] if text == EES else [])


def test_kept_table_is_gone_after_a_dry_run(tmp_path, write, monkeypatch):
    csv = write("cla.csv", EES)
    result, stored, left, made = _load(
        tmp_path, "dry", csv, monkeypatch, kept=True, compact=True, check=True
    )
    assert result.dry_run and result.observations > 0 and made == [True]
    assert stored == [[], [], []]
    assert left == []


def test_kept_table_is_gone_after_a_failed_load(tmp_path, write, monkeypatch):
    def fail(*args, **kwargs):
        raise InputError("settling failed")

    # A failure inside the load's transaction, after the values are written.
    monkeypatch.setattr(_ingest, "settle", fail)
    with pytest.raises(InputError, match="settling failed"):
        _load(
            tmp_path,
            "failed",
            write("cla.csv", EES),
            monkeypatch,
            kept=True,
            compact=True,
        )
    with open_store(tmp_path / "failed.duckdb") as store:
        assert _kept(store) == []
        assert store.con.execute("SELECT count(*) FROM sources").fetchall() == [(0,)]


def test_no_table_is_kept_in_a_memory_store(store, write, monkeypatch):
    monkeypatch.setattr(_readers, "KEPT_CSV_BYTES", 0)
    result = ingest(store, write("cla.csv", EES))
    assert result.observations > 0 and _kept(store) == []
