"""``lacompare sources --format csv`` and ``ingest-dictionary --out``: no cell starts
with formula text (a dictionary's labels are the publisher's, or anyone's, text)."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from lacompare.cli import app
from lacompare.store import ingest, open_store
from tests.csv_cells import HOSTILE, assert_csv_safe, cells, formula_cells

runner = CliRunner()


def test_sources_csv():
    result = runner.invoke(app, ["sources", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert not formula_cells(result.stdout) and len(cells(result.stdout)) > 50


def test_dictionary_out(tmp_path, write):
    data = write(
        "long.csv",
        "measure_short,year,area_name,value\nLAC,2024,Leeds,70\nLAC,2024,York,55\n",
    )
    db = tmp_path / "s.duckdb"
    with open_store(db) as s:
        ingest(s, data)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name"])
    writer.writerow(["LAC", HOSTILE[0]])
    for i, text in enumerate(HOSTILE[1:]):
        writer.writerow([f"X{i}", text])
    path = write("d.csv", buffer.getvalue())
    out = tmp_path / "applied.csv"
    result = runner.invoke(
        app,
        [
            "ingest-dictionary",
            str(path),
            "--for",
            str(data),
            "--key",
            "code",
            "--label",
            "name",
            "--db",
            str(db),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert_csv_safe(out, planted=(HOSTILE[0],))
