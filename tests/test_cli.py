"""The command line: thin, documented, and never a traceback on bad input."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lacompare.cli import app

runner = CliRunner()
COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_commands_exist():
    assert {"demo", "resolve", "ingest", "export", "info"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "lacompare " + command in result.output


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys, lacompare.cli; "
        "print(sorted(m for m in ('pandas', 'duckdb', 'numpy', 'rapidfuzz') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize(
    "args", [["--help"], ["report", "--help"], ["compare", "--help"]]
)
def test_running_help_imports_nothing_heavy(args):
    # The whole `lacompare --help` as a user runs it: help is printed, and none
    # of the libraries only commands need was loaded to print it.
    code = (
        "import sys; sys.argv = ['lacompare', *sys.argv[1:]]\n"
        "from lacompare.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('pandas', 'duckdb', 'numpy', 'scipy', 'scipy.stats', "
        "'altair', 'statsmodels', 'rapidfuzz')\n"
        "print('HEAVY', sorted(m for m in heavy if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    assert "Usage" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_demo_command(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "regional_summary.csv" in result.output
    assert "Funding per head" in result.output
    assert (tmp_path / "d" / "report.html").exists()


def test_ingest_bad_input_is_one_line_and_changes_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    good = tmp_path / "good.csv"
    good.write_text("la,x\nLeeds,1\n")
    assert (
        runner.invoke(
            app, ["ingest", str(good), "--period", "2020", "--db", str(db)]
        ).exit_code
        == 0
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("la,x\nLeeds,1\nAtlantis,3\n")
    result = runner.invoke(
        app, ["ingest", str(bad), "--period", "2021", "--db", str(db)]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "bad.csv, row 3, column la" in lines[0]
    assert "Traceback" not in result.output
    export = tmp_path / "obs.csv"
    assert runner.invoke(app, ["export", str(export), "--db", str(db)]).exit_code == 0
    with export.open() as fh:
        assert [r["period"] for r in csv.DictReader(fh)] == ["2020"]


def test_ingest_check_reports_unresolved_rows(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("la,x\nLeeds,1\nAtlantis,3\n")
    result = runner.invoke(
        app,
        [
            "ingest",
            str(bad),
            "--period",
            "2021",
            "--check",
            "--db",
            str(tmp_path / "s.duckdb"),
        ],
    )
    assert result.exit_code == 0
    assert "would load 1 observations" in result.output
    assert "row 3: 'Atlantis'" in result.output


def test_resolve_command(tmp_path):
    src = tmp_path / "names.csv"
    src.write_text(
        "name,n\nSt.Helens,1\nBath & N.E Somerset,2\nENGLAND TOTAL,3\nAtlantis,4\n"
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["resolve", str(src), "--column", "name", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:8] == [
        "name",
        "n",
        "la_code",
        "dfe_code",
        "la_name",
        "region",
        "la_type",
        "match",
    ]
    assert rows[0]["la_code"] == "E08000013"
    assert rows[1]["la_code"] == "E06000022"
    assert rows[2]["match"] == "total-row"
    assert rows[3]["match"] == "none"


def test_missing_file_is_a_one_line_error(tmp_path):
    result = runner.invoke(
        app, ["ingest", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == 1
    assert "file not found" in result.output and "Traceback" not in result.output


def test_info_on_demo_store(tmp_path):
    runner.invoke(app, ["demo", "--out", str(tmp_path / "d")])
    db = str(tmp_path / "d" / "demo.duckdb")
    result = runner.invoke(app, ["info", "--db", db])
    assert result.exit_code == 0
    # By default a summary of counts, not the long lists.
    lines = result.output.strip().splitlines()
    assert len(lines) <= 10, result.output
    for word in (
        "values:",
        "measures:",
        "authorities:",
        "periods:",
        "sources:",
        "last load:",
    ):
        assert any(line.startswith(word) for line in lines), word
    assert "per_head_2021" not in result.output
    full = runner.invoke(app, ["info", "--measures", "--db", db])
    assert full.exit_code == 0
    assert "per_head_2021" in full.output and "Sources" in full.output


def test_reloading_a_revised_file_reports_lists_and_diffs_its_vintages(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: one line per row
    db = ["--db", str(tmp_path / "s.duckdb")]
    path = tmp_path / "pop.csv"
    path.write_text("la,pop\nLeeds,100\nBirmingham,450047\n")
    assert (
        runner.invoke(app, ["ingest", str(path), "--period", "2021", *db]).exit_code
        == 0
    )
    path.write_text("la,pop\nLeeds,100\nBirmingham,450048\nYork,5\n")
    result = runner.invoke(app, ["ingest", str(path), "--period", "2021", *db])
    assert result.exit_code == 0, result.output
    assert (
        "vintage 2 of pop.csv: 1 value revised, 1 added, 0 removed (1 unchanged)"
        in result.output
    )
    listed = runner.invoke(app, ["vintages", *db])
    assert listed.exit_code == 0, listed.output
    assert "superseded by 2" in listed.output and "current" in listed.output
    old = runner.invoke(app, ["vintages", "pop.csv", "--values", "--changed", *db])
    assert old.exit_code == 0, old.output
    assert "450047" in old.output and "vintage 2 (source 2)" in old.output
    assert "Leeds" not in old.output  # unchanged: the current value says the same
    diff = runner.invoke(app, ["diff", "pop.csv", *db])
    assert diff.exit_code == 0, diff.output
    assert (
        "source 1 → source 2: 1 revised, 1 added, 0 removed, 1 unchanged" in diff.output
    )
    revised = next(
        line
        for line in diff.output.splitlines()
        if "revised " in line and "Birmingham" in line
    )
    assert "450047" in revised and "450048" in revised
    info = runner.invoke(app, ["info", "--measures", *db])  # the sources list
    assert "superseded by 2" in info.output
    missing = runner.invoke(app, ["diff", "nope.csv", *db])
    assert missing.exit_code == 1 and "no source 'nope.csv'" in missing.output
