"""The expected-spend panel: years chosen from the overlap, effects recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lacompare.analysis._spend_panel import fit_spend_panel
from lacompare.errors import InputError
from lacompare.store import ingest, open_store


def _write_panel(tmp_path, years_of_gdhi=range(2015, 2024)) -> tuple:
    rng = np.random.default_rng(7)
    with open_store(":memory:") as probe:
        codes = probe.query(
            "SELECT la_code FROM authorities WHERE valid_to IS NULL "
            "ORDER BY la_code LIMIT 60"
        )["la_code"].tolist()
    rows = []
    effect = dict(zip(codes, rng.normal(0, 300, len(codes)), strict=True))
    for code in codes:
        base = rng.uniform(15000, 25000)
        for year in range(2015, 2026):
            gdhi = base + 400 * (year - 2015) + rng.normal(0, 300)
            claimant = rng.uniform(2, 6)
            spend = (
                1500
                + effect[code]
                + 40 * (year - 2015)
                + 0.05 * gdhi
                + rng.normal(0, 20)
            )
            if year in years_of_gdhi:
                rows.append((code, str(year), "gdhi_per_head", round(gdhi, 1)))
            rows.append((code, str(year), "claimant_rate", round(claimant, 2)))
            rows.append(
                (
                    code,
                    f"{year - 1}-{year % 100:02d}",
                    "cyp_expenditure_per_child",
                    round(spend, 2),
                )
            )
    path = tmp_path / "panel.csv"
    pd.DataFrame(rows, columns=["la_code", "period", "measure", "value"]).to_csv(
        path, index=False
    )
    return path


def _store(path):
    store = open_store(":memory:")
    ingest(
        store,
        path,
        la_column="la_code",
        period_column="period",
        measure_column="measure",
        value_column="value",
    )
    return store


def test_the_panel_recovers_a_within_authority_effect(tmp_path):
    with _store(_write_panel(tmp_path)) as store:
        panel = fit_spend_panel(store)
    coef = panel.result.coefficients.set_index("term")
    assert coef.loc["gdhi_per_head", "coef"] == pytest.approx(0.05, abs=0.01)
    assert coef.loc["claimant_rate", "p"] > 0.01
    # GDHI stops in 2023: the years are the overlap, and the note says so.
    assert panel.years == (2015, 2023)
    assert "2015-2023" in panel.note and "fixed effects" in panel.note
    assert panel.result.n_authorities == 60


def test_too_few_shared_years_is_refused(tmp_path):
    with (
        _store(_write_panel(tmp_path, years_of_gdhi=[2024, 2025])) as store,
        pytest.raises(InputError, match="at least three years"),
    ):
        fit_spend_panel(store)
