"""Machine-readable output is pure (issue 16, item 8): ``--format csv`` and
``--format json`` write only data to standard output, every CSV row as wide as its
heading; notes, warnings and 'wrote …' lines go to standard error."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from lacompare.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store: three measures for 60 current authorities over two years,
    Cumbria and Northamptonshire (abolished) with values too, DfE's 2025 neighbours.
    """
    from lacompare.analysis.neighbours import load_neighbour_set
    from lacompare.geography import read_authorities
    from lacompare.store import open_store

    reg = read_authorities()
    current = reg[(reg["valid_to"] == "") & (reg["la_code"] != "")]["la_code"]
    codes = sorted(current)[:60]
    rng = np.random.default_rng(16)
    path = tmp_path_factory.mktemp("machine") / "s.duckdb"
    with open_store(path) as store:
        store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
        store.con.execute(
            "INSERT INTO measures (measure, label, unit, polarity, reference_date) "
            "VALUES ('rate', 'Rate', 'per 10,000', 'higher-is-worse', '31 March'), "
            "('idaci', 'IDACI', 'score', 'neutral', '31 March'), "
            "('spend', 'Spend', '£', 'neutral', 'financial year')"
        )
        rows = []
        for period, spend_period in (("2024", "2023-24"), ("2025", "2024-25")):
            for code in codes + ["E10000006", "E10000021"]:
                x = float(rng.uniform(0, 1))
                rows += [
                    (code, "rate", period, 40 + 60 * x + rng.normal(0, 5)),
                    (code, "idaci", period, round(0.1 + 0.2 * x, 3)),
                    (code, "spend", spend_period, 500 + 900 * x),
                ]
        store.con.executemany(
            "INSERT INTO observation_cells (la_code, measure, period, value, "
            "source_id) VALUES (?, ?, ?, ?, 1)",
            rows,
        )
        load_neighbour_set(store, "dfe-2025", "dfe-2025")
    return path


def _commands(db: Path) -> list[list[str]]:
    d = ["--db", str(db)]
    return [
        ["summary", "rate", *d],
        ["summary", "rate", "--periods", "2024:2025", "--by", "london_region", *d],
        ["compare", "Leeds", "-m", "rate,idaci", *d],
        ["compare", "all", "-m", "rate", *d],
        ["correlate", "rate", "idaci", *d],
        ["correlate", "rate", "idaci", "spend", *d],
        [
            "test",
            "mann-whitney",
            "rate",
            "--group-by",
            "region",
            "--groups",
            "North East,North West",
            *d,
        ],
        ["test", "kruskal", "rate", "--by", "region", *d],
        ["model", "ols", "--target", "rate", "--factors", "idaci", *d],
        [
            "model",
            "panel",
            "--target",
            "rate",
            "--factors",
            "idaci",
            "--periods",
            "2024:2025",
            *d,
        ],
        ["neighbours", "list", *d],
        ["neighbours", "show", "Leeds", *d],
        ["neighbours", "compare", "dfe-2025", "dfe-2025", *d],
        ["sources"],
        ["info", *d],
        ["resolve", "St.Helens"],
    ]


def _run(argv: list[str], fmt: str) -> tuple[str, str]:
    result = runner.invoke(app, [*argv, "--format", fmt])
    assert result.exit_code == 0, (argv, result.output)
    return result.stdout, result.stderr


def _label(argv: list[str]) -> str:
    return " ".join(a for a in argv if not a.endswith(".duckdb"))


@pytest.mark.parametrize("index", range(16), ids=lambda i: f"cmd{i}")
def test_csv_on_stdout_is_only_the_table(db: Path, index: int) -> None:
    argv = _commands(db)[index]
    out, err = _run(argv, "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) >= 2, (_label(argv), out)
    widths = {len(r) for r in rows}
    assert widths == {len(rows[0])}, (_label(argv), widths, out[-400:])
    # No note glued to a row or on a line of its own.
    for line in out.splitlines():
        assert not line.startswith(
            ("left out", "note", "wrote", "test:", "neighbour set", "n = ")
        ), (_label(argv), line)


JSON_COMMANDS = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]


@pytest.mark.parametrize("index", JSON_COMMANDS, ids=lambda i: f"cmd{i}")
def test_json_on_stdout_parses(db: Path, index: int) -> None:
    argv = _commands(db)[index]
    out, _ = _run(argv, "json")
    data = json.loads(out)
    assert data, _label(argv)


def test_notes_go_to_stderr(db: Path) -> None:
    out, err = _run(
        ["summary", "rate", "--periods", "2024:2025", "--db", str(db)], "csv"
    )
    assert "per-authority mean" in err and "per-authority mean" not in out
    # Cumbria and Northamptonshire are not counted beside the authorities of 2025.
    assert "Cumbria" in err and "Cumbria" not in out
    out, err = _run(["compare", "Leeds", "-m", "rate", "--db", str(db)], "csv")
    assert "neighbour set" in err and "neighbour set" not in out


def test_out_file_says_so_on_stderr(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "s.csv"
    out, err = _run(["summary", "rate", "--db", str(db), "--out", str(target)], "csv")
    assert out == "" and f"wrote {target}" in err.replace("\n", "")
    assert list(csv.reader(target.open(newline="")))[0][0] == "region"
