"""``lacompare derive …``: each command stores its measure and says what it did."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from lacompare.cli._summary import register
from lacompare.store import open_store

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    # The summary module's commands on their own app, so these tests do not depend
    # on other stages' command modules.
    app = typer.Typer(name="lacompare", no_args_is_help=True, rich_markup_mode="rich")
    register(app)
    return app


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as s:
        s.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
        s.con.execute(
            "INSERT INTO measures (measure, unit, reference_date) VALUES "
            "('cla', 'children', '31 March'), "
            "('pop_0_17', 'persons', 'mid-year'), "
            "('spend', '£ thousand', 'financial year'), ('fte', 'FTE', NULL)"
        )
        s.con.execute(
            """INSERT INTO observation_cells (la_code, measure, period, value,
               source_id)
               VALUES ('E06000001', 'cla', '2023', 100, 1),
                      ('E06000001', 'cla', '2024', 120, 1),
                      ('E06000001', 'pop_0_17', '2022', 20000, 1),
                      ('E06000001', 'pop_0_17', '2023', 20000, 1),
                      ('E06000001', 'spend', '2023-24', 3000, 1),
                      ('E06000001', 'fte', '2023', 4, 1)"""
        )
    return path


def _values(db, measure):
    with open_store(db, read_only=True) as s:
        return [
            list(r)
            for r in s.con.execute(
                "SELECT period, value FROM observations WHERE measure = ? "
                "ORDER BY period",
                [measure],
            ).fetchall()
        ]


@pytest.mark.parametrize("command", ["rate", "per-head", "ratio", "change", "window"])
def test_help_has_an_example(app, command):
    result = runner.invoke(app, ["derive", command, "--help"])
    assert result.exit_code == 0
    assert "Example: lacompare derive " + command in " ".join(result.output.split())


def test_group_help(app):
    result = runner.invoke(app, ["derive", "--help"])
    assert result.exit_code == 0 and "Example: lacompare derive rate" in " ".join(
        result.output.split()
    )


def test_rate(app, db):
    result = runner.invoke(
        app,
        [
            "derive",
            "rate",
            "--count",
            "cla",
            "--population",
            "pop_0_17",
            "--per",
            "10000",
            "--name",
            "cla_rate",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "derived cla_rate (rate): 2 values" in result.output
    assert _values(db, "cla_rate") == [["2023", 50.0], ["2024", 60.0]]


def test_rate_by_age_band(app, db):
    result = runner.invoke(
        app,
        [
            "derive",
            "rate",
            "--count",
            "cla",
            "--population",
            "0-17",
            "--name",
            "r",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output


def test_per_head_ratio_change_window(app, db):
    assert (
        runner.invoke(
            app,
            [
                "derive",
                "per-head",
                "--amount",
                "spend",
                "--population",
                "pop_0_17",
                "--name",
                "sph",
                "--db",
                str(db),
            ],
        ).exit_code
        == 0
    )
    assert _values(db, "sph") == [["2023-24", 150.0]]
    assert (
        runner.invoke(
            app,
            [
                "derive",
                "ratio",
                "--numerator",
                "pop_0_17",
                "--denominator",
                "fte",
                "--name",
                "ppf",
                "--polarity",
                "higher-is-worse",
                "--match",
                "same-period",
                "--db",
                str(db),
            ],
        ).exit_code
        == 0
    )
    assert _values(db, "ppf") == [["2022", None], ["2023", 5000.0]]
    assert (
        runner.invoke(
            app, ["derive", "change", "cla", "--how", "percent", "--db", str(db)]
        ).exit_code
        == 0
    )
    assert _values(db, "cla_yoy_pct") == [["2023", None], ["2024", 20.0]]
    result = runner.invoke(
        app,
        [
            "derive",
            "window",
            "cla",
            "--periods",
            "2023:2024",
            "--how",
            "change",
            "--name",
            "avg",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 0, result.output
    assert _values(db, "avg") == [["2023:2024", 20.0]]


def test_bad_input_is_one_line(app, db):
    result = runner.invoke(
        app,
        [
            "derive",
            "rate",
            "--count",
            "nope",
            "--population",
            "pop_0_17",
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no measure 'nope'" in lines[0]
