"""``lacompare coverage`` and the coverage lines at the end of ``lacompare build``
(issue 17, item 3): which current authorities have no value of a measure, and why."""

from __future__ import annotations

import csv
import io
import shutil

from typer.testing import CliRunner

from lacompare.cli import app
from lacompare.store import open_store

runner = CliRunner()


def _store(path) -> str:
    """Measure m: Hartlepool 2019 and 2022; Middlesbrough's 2022 suppressed ('c');
    Northamptonshire 2019, North Northamptonshire 2022."""
    db = str(path / "s.duckdb")
    rows = [
        ("E06000001", "2019", 1.0, None),
        ("E06000001", "2022", 2.0, None),
        ("E06000002", "2019", 3.0, None),
        ("E06000002", "2022", None, "c"),
        ("E10000021", "2019", 4.0, None),
        ("E06000061", "2022", 5.0, None),
    ]
    with open_store(db) as s:
        s.write_cells(
            [
                {"la_code": la, "measure": "m", "period": p, "value": v, "raw": raw}
                | ({"missing_reason": "suppressed"} if v is None else {})
                for la, p, v, raw in rows
            ],
            file="m.csv",
        )
    return db


def test_coverage_lists_each_gap_as_csv(tmp_path) -> None:
    db = _store(tmp_path)
    result = runner.invoke(app, ["coverage", "--db", db, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "measure",
        "la_code",
        "la_name",
        "why",
        "detail",
        "periods",
        "n_periods",
        "of_periods",
        "latest",
    ]
    by_la = {r["la_name"]: r for r in rows}
    assert by_la["Middlesbrough"]["why"] == "suppressed"
    assert by_la["North Northamptonshire"]["why"] == "not-existing"
    assert by_la["North Northamptonshire"]["periods"] == "2019"
    assert "Hartlepool" not in by_la
    # No row in the file: every other current authority but Cumberland and
    # Westmorland and Furness, which did not exist by 31 March 2022 either; North
    # Yorkshire and Somerset, recoded in 2023 with the same area, did.
    not_in_file = {r["la_name"] for r in rows if r["why"] == "not-in-file"}
    assert len(not_in_file) == 153 - 5
    assert {"North Yorkshire", "Somerset", "West Northamptonshire"} <= not_in_file
    assert by_la["Cumberland"]["why"] == "not-existing"


def test_coverage_table_shows_symbols_and_filters(tmp_path) -> None:
    db = _store(tmp_path)
    result = runner.invoke(
        app,
        ["coverage", "m", "--db", db, "--la", "Middlesbrough", "--la", "940"]
        + ["--latest"],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "[c] suppressed" in text  # the symbol, not swallowed as markup
    assert "Middlesbrough" in text and "North Northamptonshire" not in text
    result = runner.invoke(
        app, ["coverage", "--db", db, "--why", "not-existing", "-f", "csv"]
    )
    # Created after 31 March 2019 by a split or merge; not the same-area
    # recodes (Buckinghamshire, North Yorkshire, Somerset).
    assert {r["la_name"] for r in csv.DictReader(io.StringIO(result.stdout))} == {
        "Bournemouth, Christchurch and Poole",
        "Dorset",
        "North Northamptonshire",
        "West Northamptonshire",
        "Cumberland",
        "Westmorland and Furness",
    }


def test_coverage_refuses_an_unknown_authority_in_one_line(tmp_path) -> None:
    db = _store(tmp_path)
    result = runner.invoke(app, ["coverage", "--db", db, "--la", "Leicestr"])
    assert result.exit_code == 1
    assert "Leicestr" in result.output and "Traceback" not in result.output


def test_build_ends_with_the_coverage_summary(tmp_path, shared_data) -> None:
    name = "cla_number_and_rate_per_10k_children_2021_to_2025.csv"
    folder = tmp_path / "data" / "cla"
    folder.mkdir(parents=True)
    shutil.copy(shared_data / "cla" / name, folder / name)
    db = tmp_path / "b.duckdb"
    result = runner.invoke(
        app,
        ["build", "--from", str(tmp_path / "data")]
        + [
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    text = " ".join(result.output.split())
    start = text.index("coverage: ")
    assert "current authorities in their latest period" in text[start:]
    # The successors of Northamptonshire and Cumbria had no 2021/2022 rows.
    assert "did not exist yet" in text[start:]
    assert f"lacompare coverage --db {db}" in text
    assert lines[-1] == f"store: {db}"
    listed = runner.invoke(
        app, ["coverage", "--db", str(db), "--why", "not-existing", "-f", "csv"]
    )
    names = {r["la_name"] for r in csv.DictReader(io.StringIO(listed.stdout))}
    assert {"North Northamptonshire", "Cumberland"} <= names
