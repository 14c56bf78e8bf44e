"""The command line's CSV outputs (resolve, export, compare, summary) are safe to open
in a spreadsheet: no cell or heading starts with formula text; numbers stay numbers."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from lacompare.cli import app
from tests.csv_cells import HOSTILE, NEGATIVE, assert_csv_safe, cells, formula_cells
from tests.hostile_store import hostile_store

runner = CliRunner()


def test_resolve_out_neutralises_the_input_columns(tmp_path):
    src = tmp_path / "names.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "@note", "n"])
    for i, cell in enumerate(HOSTILE):
        writer.writerow(["Leeds" if i else "Atlantis", cell, NEGATIVE])
    src.write_text(buffer.getvalue())
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["resolve", str(src), "--column", "name", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    # The reader takes '\r' as a line break, so '\r=1' arrives as '=1' on a row of
    # its own; formula_cells (in assert_csv_safe) checks whatever came out.
    assert_csv_safe(out, planted=(*HOSTILE[:5], "@note", "=1"))
    assert cells(out).count(NEGATIVE) == len(HOSTILE)


def test_export_csv_as_a_user_would(tmp_path):
    db, _ = hostile_store(tmp_path)
    out = tmp_path / "o.csv"
    result = runner.invoke(app, ["export", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert_csv_safe(out, planted=HOSTILE[:4])
    assert NEGATIVE in [
        r["value"] for r in csv.DictReader(open(out, newline="", encoding="utf-8"))
    ]


def test_compare_and_summary_csv(tmp_path):
    db, keys = hostile_store(tmp_path)
    shown = runner.invoke(
        app,
        [
            "compare",
            "Leeds",
            "--measures",
            ",".join(keys),
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert shown.exit_code == 0, shown.output
    # Labels are the hostile headings; Leeds's value is the negative number.
    assert_csv_safe(shown.stdout, planted=HOSTILE[:4])
    assert NEGATIVE in cells(shown.stdout)
    out = tmp_path / "summary.csv"
    summary = runner.invoke(
        app, ["summary", keys[0], "--db", str(db), "--format", "csv", "--out", str(out)]
    )
    assert summary.exit_code == 0, summary.output
    assert not formula_cells(out) and NEGATIVE in cells(out)
