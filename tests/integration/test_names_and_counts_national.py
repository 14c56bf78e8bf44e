"""The national store as a new analyst meets it (issue 16, items 7-9): names are
never guessed, machine output is pure, and England counts each authority once.

Reads the national store the session builds from ../shared/data (conftest.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lacompare.cli import app
from lacompare.geography import read_authorities

pytestmark = pytest.mark.shared
runner = CliRunner()
CLA = ["rate_per_10000", "--breakdown", "Children looked after on 31 March"]


@pytest.fixture(scope="module")
def national(national_store: Path) -> str:
    return str(national_store)


def _existing(day: str) -> int:
    reg = read_authorities()
    return int(
        (
            (reg["valid_from"] <= day)
            & ((reg["valid_to"] == "") | (reg["valid_to"] >= day))
        ).sum()
    )


def _csv(argv: list[str]) -> list[dict[str, str]]:
    result = runner.invoke(app, [*argv, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert {len(r) for r in rows} == {len(rows[0])}, result.stdout[-300:]
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_names_are_never_guessed(national: str) -> None:
    result = runner.invoke(app, ["compare", "Leicestr", "--db", national])
    assert result.exit_code == 1 and result.stdout.strip() == ""
    assert result.stderr.strip() == (
        "error: no authority 'Leicestr'; did you mean Leicester (E06000016)?"
    )
    result = runner.invoke(app, ["compare", "Bedfordshire", "--db", national])
    assert result.exit_code == 1
    assert (
        "succeeded from 2009-04-01 by Bedford (E06000055) and Central "
        "Bedfordshire (E06000056)"
    ) in " ".join(result.stderr.split())


def test_england_counts_each_authority_once(national: str) -> None:
    rows = _csv(["summary", *CLA, "--by", "region", "--db", national])
    england = rows[-1]
    assert england["region"] == "England"
    # Was 154: Cumbria and Northamptonshire beside their successors.
    assert int(england["n"]) + int(england["missing"]) <= _existing("2025-03-31")
    assert sum(int(r["n"]) for r in rows[:-1]) == int(england["n"])
    # The catalogue's id (lacompare measures lists it) reads the same figures.
    by_id = _csv(["summary", "cla_rate_per_10000", "--by", "region", "--db", national])
    assert by_id == rows
    for year in ("2021", "2022", "2023", "2024", "2025"):
        eng = _csv(["summary", *CLA, "--periods", year, "--db", national])[-1]
        assert int(eng["n"]) + int(eng["missing"]) <= _existing(f"{year}-03-31"), year


def test_compare_ranks_among_the_authorities_of_the_period(national: str) -> None:
    for period in ("2022", "2025"):
        row = _csv(
            [
                "compare",
                "Leicester",
                "-m",
                CLA[0],
                *CLA[1:],
                "--period",
                period,
                "--db",
                national,
            ]
        )[0]
        assert int(row["rank_of"]) <= _existing(f"{period}-03-31")
