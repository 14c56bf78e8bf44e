"""Model comparison and contributions of the expected-spend model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lacompare.analysis._spend_explain import (
    VARIANTS,
    compare_spend_models,
    contributions_of,
    describe_contributions,
    design_spend_model,
)
from lacompare.errors import InputError


def _data(n: int = 240, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "deprivation": rng.uniform(0.05, 0.5, n),
            "population": np.exp(rng.normal(10, 1, n)),
            "crime": rng.uniform(40, 120, n),
            "region": rng.choice(["North East", "London", "South West"], n),
        }
    )


def test_a_known_interaction_is_found_and_chosen():
    d = _data()
    rng = np.random.default_rng(9)
    # Deprivation costs more where crime is high: a combination of factors.
    d["spend"] = (
        1000
        + 2000 * d.deprivation
        + 5 * d.crime
        + 30 * (d.deprivation - 0.275) * (d.crime - 80)
        + rng.normal(0, 40, len(d))
    )
    result = compare_spend_models(
        d, "spend", ["deprivation", "crime", "population"], k=10, repeats=5
    )
    table = result.table.set_index("variant")
    assert result.chosen == "interactions"
    assert table.loc["interactions", "cv_r2"] > table.loc["linear", "cv_r2"] + 0.05
    assert table["chosen"].sum() == 1 and set(table.index) == set(VARIANTS)
    assert (table["cv_r2_sd"] >= 0).all() and (table["n"] == len(d)).all()


def test_with_no_interaction_the_simpler_model_is_kept():
    d = _data()
    rng = np.random.default_rng(4)
    d["spend"] = 1000 + 2000 * d.deprivation + rng.normal(0, 40, len(d))
    result = compare_spend_models(d, "spend", ["deprivation", "crime"], repeats=5)
    # Extra terms that do not help are not worth choosing.
    assert result.chosen in ("linear", "log")
    assert "CV R²" in result.why


def test_region_effects_are_recovered():
    d = _data()
    rng = np.random.default_rng(5)
    shift = d.region.map({"North East": 0, "London": 400, "South West": -200})
    d["spend"] = 1000 + 2000 * d.deprivation + shift + rng.normal(0, 30, len(d))
    assert (
        compare_spend_models(d, "spend", ["deprivation", "crime"], repeats=3).chosen
        == "region"
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_contributions_add_up_to_prediction_minus_mean(variant):
    d = _data()
    design = design_spend_model(d, ["deprivation", "population", "crime"], variant)
    X = design.matrix()
    y = (
        1000
        + 2000 * d.deprivation.to_numpy()
        + np.random.default_rng(1).normal(0, 50, len(d))
    )
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    groups = {
        "deprivation": "deprivation",
        "population": "population_0_25",
        "crime": "crime",
    }
    contributions = contributions_of(design, coef, groups)
    predicted = X @ coef
    np.testing.assert_allclose(
        contributions.sum(axis=1), predicted - predicted.mean(), atol=1e-8
    )
    expected = {
        "contribution_deprivation",
        "contribution_population_0_25",
        "contribution_crime",
    }
    if variant == "region":
        expected.add("contribution_region")
    assert set(contributions.columns) == expected


def test_an_interaction_is_shared_between_its_two_factors():
    d = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [2.0, 0, 1, 5]})
    design = design_spend_model(d, ["a", "b"], "interactions")
    c = contributions_of(design, np.array([0.0, 0, 0, 1]))
    # Only the product term: its Shapley split is symmetric in total.
    u, v = design.parts["a × b"]
    np.testing.assert_allclose(c.sum(axis=1), u * v - (u * v).mean())
    assert not np.allclose(c["contribution_a"], 0)


def test_an_unknown_variant_and_bad_folds_are_refused():
    d = _data(20)
    d["spend"] = d.crime
    with pytest.raises(InputError, match="variant must be one of"):
        design_spend_model(d, ["crime"], "cubic")
    with pytest.raises(InputError, match="folds must be between"):
        compare_spend_models(d, "spend", ["crime"], k=50)


def test_the_sentence_names_the_factors_that_push_most():
    row = pd.Series(
        {
            "contribution_deprivation": -300.0,
            "contribution_crime": -200.0,
            "contribution_unemployment": 20.0,
        }
    )
    text = describe_contributions("Wokingham", row, "£")
    assert text == (
        "Most of Wokingham's lower expected spend (£480 below the "
        "average) comes from deprivation (-£300) and crime (-£200)."
    )


def test_a_factor_pushing_past_the_whole_difference_is_shown_offset():
    # The largest part (-438) is more than the whole difference (-180): "most of"
    # would be false, so the factors pulling the other way are named.
    row = pd.Series(
        {
            "contribution_population aged 0-25": -438.0,
            "contribution_crime": 312.0,
            "contribution_deprivation": 54.0,
            "contribution_unemployment": -108.0,
        }
    )
    text = describe_contributions(
        "Leeds", row, "£", actual=1732.0, expected=1383.0, per=" per child"
    )
    assert text == (
        "Leeds's expected spend is £180 below the average: population aged 0-25 "
        "lowers it by £438 and unemployment by £108, partly offset by crime "
        "(+£312) and deprivation (+£54). It spends £1,732 per child, £349 more "
        "than expected (£1,383)."
    )
    assert "Most of" not in text


def test_the_gap_to_actual_is_left_out_when_actual_spend_is_missing():
    row = pd.Series({"contribution_crime": -50.0})
    text = describe_contributions(
        "Rutland", row, "£", actual=float("nan"), expected=1000.0
    )
    assert text.endswith("comes from crime (-£50).")
