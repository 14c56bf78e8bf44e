"""The formula-injection rule: one cell, rows, pandas frames and DuckDB agree."""

from __future__ import annotations

import io

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lacompare.cells import (
    CsvSafeWriter,
    csv_safe_query,
    neutralise_formula,
    restore_formula,
    sql_neutralise_formula,
    write_csv_safe,
)
from tests.csv_cells import HOSTILE, NEGATIVE, assert_csv_safe, cells


@pytest.mark.parametrize("cell", HOSTILE)
def test_formula_text_gets_a_quote(cell):
    assert neutralise_formula(cell) == "'" + cell
    assert restore_formula(neutralise_formula(cell)) == cell


@pytest.mark.parametrize(
    "cell",
    [
        NEGATIVE,
        "+1",
        "-1,234",
        "-1e-3",
        "-.5",
        "-12.5%",
        "-£1,200.50",
        "Leeds",
        "",
        "3 = 3",
        "'=already text",
    ],
)
def test_numbers_and_plain_text_are_left_alone(cell):
    assert neutralise_formula(cell) == cell


@pytest.mark.parametrize("cell", ["-", "+", "-inf", "-1,23", "-1.2.3", "--1", "-1e"])
def test_signs_that_are_not_numbers_are_quoted(cell):
    assert neutralise_formula(cell) == "'" + cell


def test_non_text_values_pass_unchanged():
    assert neutralise_formula(-3.5) == -3.5
    assert neutralise_formula(None) is None


def test_writer_quotes_headings_and_cells():
    buffer = io.StringIO()
    writer = CsvSafeWriter(buffer)
    writer.writerow(["name", *HOSTILE])
    writer.writerows([[*HOSTILE, NEGATIVE, -3.5]])
    assert_csv_safe(buffer.getvalue())
    assert cells(buffer.getvalue()).count(NEGATIVE) == 2


def test_frames_keep_numbers_and_are_not_changed():
    frame = pd.DataFrame(
        {
            "@h": list(HOSTILE) + [NEGATIVE],
            "v": [-3.5] * (len(HOSTILE) + 1),
            "c": pd.Categorical(["=c"] * (len(HOSTILE) + 1)),
        }
    )
    text = write_csv_safe(frame)
    assert_csv_safe(text, planted=(*HOSTILE, "@h", "=c"))
    assert NEGATIVE in cells(text)
    assert list(frame.columns) == ["@h", "v", "c"]
    assert frame["@h"].iloc[0] == HOSTILE[0]


def test_line_breaks_inside_cells_are_quoted():
    # Unquoted, a bare '\r' starts a new row whose first cell would be '=1'.
    frame = pd.DataFrame({"a": ["x\r=1", "y"], "v": [-3.5, 1.0]})
    text = write_csv_safe(frame, lineterminator="\n")
    assert not [c for c in cells(text) if c.startswith("=")]
    assert cells(text)[2:4] == ["x\r=1", "-3.5"]
    buffer = io.StringIO()
    CsvSafeWriter(buffer, lineterminator="\n").writerows([["x\r=1", -3.5], ["y", 1]])
    assert cells(buffer.getvalue()) == ["x\r=1", "-3.5", "y", "1"]


def test_frame_index_is_written_safely():
    frame = pd.DataFrame({"v": [1]}, index=pd.Index(["=i"], name="+name"))
    assert_csv_safe(write_csv_safe(frame, index=True), planted=("=i", "+name"))


def test_duckdb_other_types(tmp_path):
    con = duckdb.connect()
    query = csv_safe_query(
        con,
        "SELECT ['=1', 'a'] AS l, INTERVAL '-1 day' AS i, "
        "-3.5::DECIMAL(4,1) AS d, -2 AS n, DATE '2021-03-31' AS t, "
        "'@x'::ENUM('@x') AS e, true AS b",
    )
    out = tmp_path / "t.csv"
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT csv, HEADER true)")
    assert cells(out)[7:] == [
        "['=1', a]",
        "'-1 day",
        "-3.5",
        "-2",
        "2021-03-31",
        "'@x",
        "true",
    ]


def test_duckdb_copy_is_safe_and_keeps_order(tmp_path):
    con = duckdb.connect()
    con.execute('CREATE TABLE t ("=h" VARCHAR, n DOUBLE, k INTEGER)')
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)",
        [[c, -3.5, i] for i, c in enumerate([*HOSTILE, NEGATIVE])],
    )
    out = tmp_path / "t.csv"
    query = csv_safe_query(con, "SELECT * FROM t ORDER BY k DESC")
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT csv, HEADER true)")
    assert_csv_safe(out, planted=(*HOSTILE, "=h"))
    rows = out.read_text().splitlines()
    assert rows[1].startswith("-3.5,-3.5,6")  # order kept; numbers stay numbers


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("=+-@\t\r0123456789.,eE 'aZ£%")), max_size=8)
)
def test_python_and_sql_agree(text):
    sql = sql_neutralise_formula("s")
    with duckdb.connect() as con:
        got = con.execute(
            f"SELECT {sql} FROM (SELECT ?::VARCHAR AS s)", [text]
        ).fetchall()[0][0]
    assert got == neutralise_formula(text)
