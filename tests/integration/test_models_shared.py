"""The expected-spend model and a panel on the real public data in ../shared/data.

Skipped, saying why, when ../shared/data is absent.
"""

from __future__ import annotations

import numpy as np
import pytest

from lacompare.analysis.models import find_spend_factors, fit_panel, model_spend
from lacompare.store import open_store
from lacompare.store._ingest import ingest

pytestmark = pytest.mark.shared

SPEND = "spend/csc_spending_per_child_2024_25_dashboard_derived.csv"
IDACI = "deprivation/idaci2019_upper_tier_la_summary.csv"
POPULATION = "population/ons_mid2023_population_by_la_age_0_25.csv"
IOD_DOMAINS = "deprivation/iod2019_upper_tier_all_domains_wide.csv"
LAIT = "lait/lait_core_csc_measures_long.csv"


def measure_like(store, *words: str) -> str:
    """The one measure whose id has every word (ids depend on the ingest's naming)."""
    ids = store.query("SELECT DISTINCT measure FROM observations")["measure"]
    hits = sorted(m for m in ids if all(w in m.lower() for w in words))
    assert hits, f"no measure with {words} in {sorted(ids)[:20]}"
    return min(hits, key=len)


@pytest.fixture(scope="module")
def spend_store(shared_data):
    with open_store(":memory:") as store:
        ingest(store, shared_data / SPEND)
        ingest(store, shared_data / IDACI, period="2019")
        ingest(store, shared_data / POPULATION, period="2023")
        yield store


def test_newton_style_model_on_real_spend(spend_store):
    store = spend_store
    target = measure_like(store, "per_child")
    found = find_spend_factors(store, exclude=[target]).set_index("family")
    idaci = found.loc["deprivation", "measure"]
    population = found.loc["population_0_25", "measure"]
    assert "idaci" in idaci and "score" in idaci
    assert "0_25" in population
    m = model_spend(store, target)
    fit = m.fit.iloc[0]
    assert m.n >= 140 and fit["n"] == m.n
    coef = m.coefficients.set_index("term")["coef"]
    # Newton/LGA (2018): deprivation is the strongest driver, raising spend.
    assert coef[idaci] > 0
    assert np.isfinite(fit["cv_r2"]) and fit["cv_rmse"] > 0 and fit["cv_mae"] > 0
    assert fit["folds"] == 10
    # Every authority with spend is either predicted or listed with a reason.
    with_spend = set(
        store.query("SELECT la_code FROM observations WHERE measure = ?", [target])[
            "la_code"
        ]
    )
    assert with_spend <= set(m.predictions["la_code"]) | set(m.excluded["la_code"])
    assert m.excluded["reason"].str.len().gt(0).all()
    # A same-area recode is one series: North Yorkshire (E06000065 since 2023) takes
    # the IDACI 2019 published on its old code. A split authority has none, and the
    # reason says so.
    why = m.excluded.set_index("la_code")["reason"]
    assert "E06000065" in set(m.predictions["la_code"])
    assert "Northamptonshire" in why["E06000061"]  # North Northamptonshire
    # Each variable used its own latest period.
    periods = m.regression.variables["period"].tolist()
    assert periods[0].startswith("2024") and periods[1:] == ["2019", "2023"]
    heat = m.heatmap
    assert len(heat) == m.n
    for col in heat.columns[3:]:
        assert set(heat[col]) == {1, 2, 3, 4, 5}
    p = m.predictions
    assert len(p) == m.n and p["predicted"].notna().all()
    assert (p["pi_lower"] < p["predicted"]).all()
    assert (p["predicted"] < p["pi_upper"]).all()


def test_log_population_without_the_tiny_authorities(spend_store):
    store = spend_store
    target = measure_like(store, "per_child")
    found = find_spend_factors(store, exclude=[target]).set_index("family")
    idaci = found.loc["deprivation", "measure"]
    population = found.loc["population_0_25", "measure"]
    m = model_spend(
        store,
        target,
        [idaci, population],
        log=[population],
        exclude=["City of London", "Isles of Scilly"],
    )
    coef = m.coefficients.set_index("term")["coef"]
    assert coef[idaci] > 0
    # Newton/LGA: larger 0-25 populations go with lower spend per head.
    assert coef[f"log({population})"] < 0
    assert {"City of London", "Isles of Scilly"} <= set(m.excluded["la_name"])
    assert 0 < m.fit.iloc[0]["cv_r2"] < m.fit.iloc[0]["r2"]


def test_iod_domain_scores_stand_in_for_crime_and_unemployment(shared_data):
    with open_store(":memory:") as store:
        ingest(store, shared_data / IOD_DOMAINS, period="2019")
        found = find_spend_factors(store).set_index("family")
    assert "crime" in found.loc["crime", "measure"]
    assert "employment" in found.loc["unemployment", "measure"]
    assert "rank" not in found.loc["crime", "measure"]
    assert "proxy" in found.loc["crime", "note"]


def test_panel_on_lait_children_looked_after(shared_data):
    with open_store(":memory:") as store:
        ingest(store, shared_data / LAIT, skip_unresolved=True)
        p = fit_panel(store, "LAC", ["CIN"], periods="2016:2024")
    assert p.n_years == 9 and p.n_authorities >= 140
    assert p.n == p.data.shape[0] and p.n > 1000
    # CLA and CIN rates move together within authorities over time.
    assert p.coefficients.loc[0, "coef"] > 0
    assert 0 < p.r2_within < p.r2 <= 1
    assert set(p.excluded.columns) == {"la_code", "la_name", "year", "reason"}
