"""Searching the catalogue (typos forgiven), suggestions for an unknown measure, and
``lacompare measures``."""

from __future__ import annotations

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from lacompare.catalogue import search_indicators, suggest_indicators
from lacompare.store import open_store

runner = CliRunner()


def measures_app() -> typer.Typer:
    from lacompare.cli._catalogue import register

    app = typer.Typer(name="lacompare")
    register(app)

    @app.callback()
    def _main() -> None:  # a group, so the command is named as in lacompare
        pass

    return app


@pytest.mark.parametrize(
    "words",
    ["looked after", "lookd after", "LOOKED AFTER", "children looked after per 10,000"],
)
def test_the_cla_rate_is_found(words):
    assert "cla_rate_per_10000" in set(search_indicators(words)["id"])


def test_best_matches_first_and_topic_filter():
    found = search_indicators("turnover")
    assert found["id"].iloc[0] == "social_worker_turnover_rate"
    assert "cla_rate_per_10000" not in set(found["id"])
    assert set(search_indicators("rate", topic="Workforce")["topic"]) == {"Workforce"}
    assert len(search_indicators()) == len(search_indicators(""))


def test_suggestions_by_label_not_raw_ids():
    assert suggest_indicators("cla_rate")[0].id == "cla_rate_per_10000"
    assert (
        suggest_indicators("social worker turnover")[0].id
        == "social_worker_turnover_rate"
    )
    assert suggest_indicators("qqqq") == []


def test_an_unknown_measure_error_names_catalogue_indicators(store):
    from lacompare.derive import measure_info
    from lacompare.errors import InputError

    with pytest.raises(InputError, match="Children looked after per 10,000") as info:
        measure_info(store, "cla_rate")
    assert "cla_rate_per_10000" in str(info.value)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        store.con.execute(
            "INSERT INTO measures (measure, label) VALUES "
            "('cla_placement_moves', 'Looked after children moves')"
        )
        bd = "population_type=Children looked after on 31 March each year"
        rows = [
            {
                "la_code": la,
                "measure": "rate_per_10000",
                "period": period,
                "breakdown": bd,
                "value": value,
            }
            for la, period, value in (
                ("E06000016", "2025", 66.0),
                ("E08000035", "2025", 85.0),
                ("E08000035", "2024", 89.0),
            )
        ]
        rows.append(
            {
                "la_code": "E08000035",
                "measure": "cla_placement_moves",
                "period": "2025",
                "value": 3,
            }
        )
        store.write_cells(rows, file="t.csv")
    return path


def test_measures_csv_is_pure_and_lists_the_cla_rate(db):
    res = runner.invoke(
        measures_app(), ["measures", "looked after", "--format", "csv", "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert {
        "id",
        "label",
        "topic",
        "unit",
        "polarity",
        "periods",
        "authorities",
    } <= set(rows[0])
    cla = next(r for r in rows if r["id"] == "cla_rate_per_10000")
    assert cla["periods"] == "2" and cla["latest_period"] == "2025"
    assert cla["authorities"] == "2"
    # Notes go to stderr only; the raw store measure is not offered by default.
    assert "catalogue indicators" in res.stderr
    assert "catalogue indicators" not in res.stdout
    assert "cla_placement_moves" not in res.stdout


def test_measures_all_reaches_store_measures_and_json_parses(db):
    res = runner.invoke(
        measures_app(),
        ["measures", "lookd after", "--all", "--format", "json", "--db", str(db)],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    kinds = {r["id"]: r["kind"] for r in rows}
    assert kinds["cla_rate_per_10000"] == "indicator"
    assert kinds["cla_placement_moves"] == "store measure"


def test_measures_without_a_store_lists_the_catalogue(tmp_path):
    res = runner.invoke(
        measures_app(),
        ["measures", "--topic", "workforce", "--db", str(tmp_path / "none.duckdb")],
    )
    assert res.exit_code == 0, res.output
    assert "social_worker_turnover_rate" in res.stdout
    assert "no store at" in res.stderr


def test_measures_refuses_an_unknown_format(db):
    res = runner.invoke(
        measures_app(), ["measures", "--format", "xml", "--db", str(db)]
    )
    assert res.exit_code == 1
    assert "use table, csv or json" in res.output
