"""Correlate and test a breakdown of the real CLA rate against IDACI (no breakdown),
from the public files in ../shared/data. Skipped, saying why, when it is absent."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from lacompare.analysis.significance import correlate, kruskal, read_la_values
from lacompare.errors import InputError
from lacompare.store import open_store
from lacompare.store._ingest import ingest

pytestmark = pytest.mark.shared

CLA = "cla/cla_number_and_rate_per_10k_children_2021_to_2025.csv"
IDACI = "deprivation/idaci2019_upper_tier_la_summary.csv"
ON_31_MARCH = "population_type=Children looked after on 31 March each year"
RATE = f"rate_per_10000[{ON_31_MARCH}]"


@pytest.fixture(scope="module")
def db(shared_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("cla") / "cla.duckdb"
    with open_store(path) as store:
        ingest(store, shared_data / CLA)
        ingest(store, shared_data / IDACI, period="2019")
    return path


@pytest.fixture
def real(db):
    with open_store(db, read_only=True) as store:
        yield store


def test_cla_rate_on_31_march_against_idaci(real):
    res = correlate(real, RATE, "idaci_average_score")
    values = read_la_values(real, [RATE, "idaci_average_score"]).values.dropna()
    ref = stats.spearmanr(values[RATE], values["idaci_average_score"])
    assert res.n == len(values) >= 140
    np.testing.assert_allclose([res.r, res.p], [ref.statistic, ref.pvalue], rtol=1e-9)
    # More deprived authorities look after more children (as 002 found).
    assert res.r > 0.5 and res.p < 1e-10
    assert res.periods[RATE] == ["2025"] and res.periods["idaci_average_score"] == [
        "2019"
    ]
    # A same-area recode is one series: North Yorkshire (E06000065 since 2023) takes
    # the IDACI 2019 published on its old code, and a note says so. A split authority
    # has none, and says why.
    why = res.excluded.set_index("la_code")["reason"]
    assert "E06000065" not in why.index
    assert any("North Yorkshire" in note for note in res.notes)
    assert "Northamptonshire only" in why["E06000061"]  # North Northamptonshire


def test_one_breakdown_for_both_cannot_pair_them(real):
    with pytest.raises(InputError, match="choose one as rate_per_10000"):
        correlate(real, "rate_per_10000", "idaci_average_score")
    default = correlate(
        real, "rate_per_10000", "idaci_average_score[]", breakdown=ON_31_MARCH
    )
    named = correlate(real, RATE, "idaci_average_score")
    assert (default.r, default.n) == (named.r, named.n)


def test_starting_to_be_looked_after_by_region(real):
    res = kruskal(
        real,
        "rate_per_10000[population_type=Children starting to be "
        "looked after each year]",
        by="region",
    )
    assert res.df == 8 and res.n >= 145 and res.p < 0.05


def test_cli_correlate_with_a_breakdown_per_measure(db, real):
    from lacompare.cli import app

    out = CliRunner().invoke(
        app,
        ["correlate", RATE, "idaci_average_score", "--format", "csv", "--db", str(db)],
    )
    assert out.exit_code == 0, out.output
    row = pd.read_csv(io.StringIO(out.output)).iloc[0]
    # IDACI's breakdown is the total rows: '' (an empty CSV cell).
    assert row["x_breakdown"] == ON_31_MARCH and pd.isna(row["y_breakdown"])
    assert row["r"] == pytest.approx(correlate(real, RATE, "idaci_average_score").r)
