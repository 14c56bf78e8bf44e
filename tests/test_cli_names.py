"""Names are never guessed, in every command (issue 16, item 7): a misspelling is
refused in one line naming the nearest authorities (exit 1, no traceback, nothing
on standard output); an abolished authority names its successors and since when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lacompare.cli import app

runner = CliRunner()
LEICESTR = "no authority 'Leicestr'; did you mean Leicester (E06000016)?"
BEDFORDSHIRE = (
    "Bedfordshire (DfE 820) was abolished on 2009-04-01; succeeded from "
    "2009-04-01 by Bedford (E06000055) and Central Bedfordshire "
    "(E06000056): give one of them"
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Leicester, its region and Bedfordshire's successors, one measure, 2024."""
    from lacompare.analysis.neighbours import load_neighbour_set
    from lacompare.store import open_store

    path = tmp_path_factory.mktemp("names") / "s.duckdb"
    with open_store(path) as store:
        store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
        store.con.execute(
            "INSERT INTO measures (measure, label, unit, polarity, "
            "reference_date) VALUES ('rate', 'Rate', 'per 10,000', "
            "'higher-is-worse', '31 March')"
        )
        store.con.execute(
            """INSERT INTO observation_cells (la_code, measure, period, value,
                                              source_id)
               SELECT la_code, 'rate', '2024', 40 + row_number() OVER (
                   ORDER BY la_code), 1
               FROM authorities WHERE valid_to IS NULL
                 AND region IN ('East Midlands', 'East of England')"""
        )
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    return path


def _refused(argv: list[str], message: str) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 1, (argv, result.output)
    # (report's progress display may leave a blank line on a terminal's stdout)
    assert result.stdout.strip() == "", argv
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in " ".join(lines), (argv, result.stderr)


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", "{}", "-m", "rate"],
        ["compare", "{}", "-m", "rate", "--format", "csv"],
        ["neighbours", "show", "{}", "--set-id", "dfe-2025"],
        ["report", "la-profile", "--authority", "{}", "-m", "rate", "--out", "OUT"],
        ["resolve", "{}"],
    ],
)
def test_a_misspelling_is_refused_everywhere(
    db: Path, tmp_path: Path, argv: list[str]
) -> None:
    argv = [
        a.replace("{}", "Leicestr").replace("OUT", str(tmp_path / "p.html"))
        for a in argv
    ]
    _refused([*argv, *(["--db", str(db)] if argv[0] != "resolve" else [])], LEICESTR)
    assert not (tmp_path / "p.html").exists()


def test_exclusions_are_never_guessed(db: Path) -> None:
    _refused(
        ["summary", "rate", "--exclude", "Leicestr", "--db", str(db)],
        "cannot exclude 'Leicestr': not an authority, region, nor "
        "'column:value' with an authorities column; did you mean Leicester "
        "(E06000016)?",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", "Bedfordshire", "-m", "rate"],
        ["report", "la-profile", "--authority", "Bedfordshire", "-m", "rate"],
    ],
)
def test_an_abolished_authority_names_its_successors(db: Path, argv: list[str]) -> None:
    _refused([*argv, "--db", str(db)], BEDFORDSHIRE)


def test_the_right_name_still_works(db: Path) -> None:
    result = runner.invoke(
        app,
        [
            "compare",
            "leicester city council",
            "-m",
            "rate",
            "--db",
            str(db),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "E06000016,Leicester" in result.stdout


def test_resolve_one_name(db: Path) -> None:
    result = runner.invoke(app, ["resolve", "St.Helens", "--format", "json"])
    assert result.exit_code == 0, result.output
    rec = json.loads(result.stdout)
    assert (rec["la_code"], rec["dfe_code"], rec["match"]) == (
        "E08000013",
        "342",
        "exact",
    )
    result = runner.invoke(app, ["resolve", "Cumbria", "--as-of", "2024-03-31"])
    assert result.exit_code == 1
    assert "Cumberland (E06000063) and Westmorland and Furness" in result.stderr
    result = runner.invoke(app, ["resolve", "Bedfordshire"])
    assert result.exit_code == 0
    assert "abolished 2009-04-01; successors Bedford (E06000055)" in result.stdout


def test_a_file_still_needs_column_and_out(tmp_path: Path) -> None:
    src = tmp_path / "names.csv"
    src.write_text("la\nLeeds\n")
    result = runner.invoke(app, ["resolve", str(src)])
    assert result.exit_code == 1
    assert "a file needs --column and --out" in result.stderr


def test_ingest_says_when_a_name_was_not_exact(tmp_path: Path) -> None:
    """Files keep the guarded fuzzy match, but a row loaded by it is a warning the
    command prints, never a silent guess."""
    src = tmp_path / "t.csv"
    src.write_text("la,x\nLeicestr,1\nLeeds,2\n")
    result = runner.invoke(
        app,
        ["ingest", str(src), "--period", "2024", "--db", str(tmp_path / "s.duckdb")],
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert (
        "warning: " in said
        and "'Leicestr' is not an exact name or alias; "
        "loaded as 'Leicester' (fuzzy score 94): check it"
        in said
    )
