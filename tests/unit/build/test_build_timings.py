"""Where a build's time went: seconds per load stage, per step, slowest files."""

from __future__ import annotations

from typer.testing import CliRunner

from lacompare.build import build_store
from lacompare.build._files import read_known_files
from lacompare.store._ingest import STAGES

FIGURES = "area_name,year,value\nLeeds,2024,70\nYork,2024,55\n"
KNOWN = '[[load]]\npath = "figures.csv"\nmin_authorities = 2\n'


def test_the_build_sums_stages_over_files_and_names_the_slowest(store, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "figures.csv").write_text(FIGURES)
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    known = tmp_path / "known.toml"
    known.write_text(KNOWN)
    result = build_store(store, folder, known=read_known_files(known), steps=False)
    loaded = result.of_status("loaded")
    assert len(loaded) == 1 and tuple(loaded[0].timings) == STAGES
    assert loaded[0].seconds >= sum(loaded[0].timings.values()) * 0.99
    assert {"catalogue", "checkpoint"} <= set(result.steps)
    lines = result.timing_lines()
    assert lines[0].startswith("time: ") and "loads" in lines[0]
    stage_lines = lines[lines.index("loads, per stage (summed over files):") + 1 :]
    assert [line.split()[0] for line in stage_lines[: len(STAGES)]] == list(STAGES)
    assert lines[-1].split()[1] == "figures.csv"


def test_the_build_steps_are_timed(store, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    known = tmp_path / "known.toml"
    known.write_text(KNOWN)
    result = build_store(store, folder, known=read_known_files(known))
    assert {"derived rates", "district sums", "rate agreement"} <= set(result.steps)


def test_the_command_prints_timings_only_when_asked(tmp_path):
    from lacompare.cli import app

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    runner = CliRunner()
    args = ["build", "--from", str(folder), "--db", str(tmp_path / "s.duckdb")]
    plain = runner.invoke(app, args)
    assert plain.exit_code == 0, plain.output
    assert "per stage" not in plain.output
    timed = runner.invoke(app, [*args, "--timings"])
    assert timed.exit_code == 0, timed.output
    assert "steps after loading:" in timed.output
