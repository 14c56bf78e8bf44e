"""Budget layouts with totals of totals: the ``level`` outline, its errors, figures
no total sums, and stores made before budget lines had a level."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lacompare.cli import app
from lacompare.errors import InputError
from lacompare.snapshot import load_budget, read_resource_lines

HEAD = "section,line,amount,row_role,level\n"
# Two blocks, one with a sub-total of sub-totals, and a grand total.
NESTED = HEAD + (
    "A,a1,100,item,3\nA,a2,(20),item,3\nA,Sub A1,80,subtotal,2\n"
    "A,a3,5,item,3\nA,Sub A2,5,subtotal,2\nA,Total A,85,subtotal,1\n"
    "B,Grant,(30),subtotal,2\nB,b1,40,item,3\nB,Sub B1,40,subtotal,2\n"
    "B,Total B,10,subtotal,1\n,Grand total,95,total,0\n"
)


def test_totals_of_totals_reconcile_and_wrong_ones_are_flagged(write, store) -> None:
    result = load_budget(
        store, write("b.csv", NESTED), authority="Leicester", as_of="2024/25"
    )
    assert result.mismatches == []
    assert [i.message for i in result.issues] == [
        "Grant: printed as a total with no parts one level deeper above it, so it "
        "cannot be checked"
    ]
    wrong = NESTED.replace("Total A,85", "Total A,95")
    result = load_budget(
        store, write("w.csv", wrong), authority="Leicester", as_of="2024/25"
    )
    assert [(m.label, m.printed, m.parts_sum) for m in result.mismatches] == [
        ("Total A", 95, 85),
        ("Grand total", 95, 105),
    ]
    assert [i.row for i in result.issues if i.kind == "total-mismatch"] == [7, 12]
    # Stored as printed, and the reload replaced the first load.
    lines = read_resource_lines(store, "E06000016", "budget")
    assert len(lines) == 11
    assert lines.set_index("line").loc["Total A", "amount"] == 95
    assert lines["level"].tolist() == [3, 3, 2, 3, 2, 1, 2, 3, 2, 1, 0]


def test_a_figure_no_total_sums_is_flagged(write, store) -> None:
    orphan = (
        HEAD + "A,a1,1,item,2\nA,Total A,1,subtotal,1\nA,stray,7,item,3\n"
        ",All,1,total,0\n"
    )
    result = load_budget(
        store, write("b.csv", orphan), authority="Leicester", as_of="2024/25"
    )
    assert result.mismatches == []
    found = [(i.row, i.message) for i in result.issues if i.kind == "not-in-a-total"]
    assert found == [
        (
            4,
            "stray (level 3) is in no total: no total at level 2 "
            "follows it before one at a higher level",
        )
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("", "no level: with a level column every row needs one"),
        ("x", "level 'x': write a whole number 0-9"),
        ("-1", "level '-1': write a whole number 0-9"),
    ],
)
def test_bad_levels_name_file_row_and_column(write, store, cell, message) -> None:
    path = write("b.csv", HEAD + f"A,a1,1,item,1\nA,a2,2,item,{cell}\n")
    with pytest.raises(InputError) as err:
        load_budget(store, path, authority="Leicester", as_of="2024/25")
    assert str(err.value).startswith(f"{path}, row 3, column level: {message}")
    assert read_resource_lines(store, "E06000016", "budget").empty


def test_a_store_from_before_levels_gets_the_column(write, tmp_path) -> None:
    from lacompare.store import open_store

    db = tmp_path / "old.duckdb"
    with open_store(db) as old:
        # The resource_lines table as first released, without ``level``.
        old.con.execute("DROP TABLE resource_lines")
        old.con.execute(
            """CREATE TABLE resource_lines (la_code VARCHAR NOT NULL, kind VARCHAR
               NOT NULL, as_of VARCHAR NOT NULL, position INTEGER NOT NULL, section
               VARCHAR NOT NULL DEFAULT '', line VARCHAR NOT NULL, amount DOUBLE,
               missing_reason VARCHAR, row_role VARCHAR NOT NULL DEFAULT 'item',
               unit VARCHAR NOT NULL, raw VARCHAR, source_id INTEGER NOT NULL,
               source_row INTEGER, PRIMARY KEY (la_code, kind, as_of, position))"""
        )
    # Opened for writing, the store's schema adds the column.
    with open_store(db) as store:
        result = load_budget(
            store, write("b.csv", NESTED), authority="Leicester", as_of="2024/25"
        )
        assert result.mismatches == []
        lines = read_resource_lines(store, "E06000016", "budget")
    assert lines["level"].iloc[-1] == 0


def test_cli_budget_with_levels(write, tmp_path) -> None:
    db = tmp_path / "s.duckdb"
    path = write("b.csv", NESTED.replace("Sub B1,40", "Sub B1,45"))
    done = CliRunner().invoke(
        app,
        [
            "snapshot",
            "budget",
            str(path),
            "--authority",
            "Leicester",
            "--year",
            "2024/25",
            "--db",
            str(db),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "loaded 11 budget lines" in done.output
    # Sub B1 is wrong against its line, so Total B is wrong against Sub B1.
    assert "total does not add up: Sub B1" in done.output
    assert "total does not add up: Total B" in done.output
