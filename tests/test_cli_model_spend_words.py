"""`lacompare model spend`'s words: which CV R² is which, and the factors'
directions labelled as the study's expectation, not the fitted model's."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from lacompare.cli._models import _expected_direction, _spend_headline


def _result(repeats: int | None) -> SimpleNamespace:
    fit = pd.DataFrame(
        [
            {
                "r2": 0.68,
                "r2_adj": 0.67,
                "cv_r2": 0.611,
                "cv_rmse": 374.7,
                "cv_mae": 274.6,
                "model": "log",
                "logged": "",
            }
        ]
    )
    comparison = (
        None
        if repeats is None
        else SimpleNamespace(
            repeats=repeats,
            k=10,
            why="log has the highest mean CV R²",
            chosen="log",
            table=pd.DataFrame({"variant": ["linear", "log"]}),
        )
    )
    return SimpleNamespace(
        target="spend",
        n=150,
        excluded=[1, 2, 3],
        fit=fit,
        comparison=comparison,
        common_period=None,
        periods=None,
    )


def test_the_headline_says_its_cv_r2_is_one_split_and_the_comparison_a_mean():
    text = _spend_headline(_result(10), 10, 0)
    assert "CV R² = 0.611" in text
    assert (
        "(one 10-fold split, seed 0; the models compared below use the mean "
        "over 10 splits)" in text
    )
    alone = _spend_headline(_result(None), 5, 3)
    assert "(one 5-fold split, seed 3)" in alone
    assert "mean" not in alone.split("\n")[0]


def test_factor_directions_are_labelled_as_expected_not_fitted():
    factors = pd.DataFrame(
        {
            "family": ["unemployment", "crime"],
            "measure": ["claimant_rate", None],
            "period": ["2024", None],
            "note": [
                "Unemployment: higher, more spend",
                "Crime: higher, more spend: no measure found",
            ],
        }
    )
    view = _expected_direction(factors)
    assert list(view.columns) == ["family", "measure", "period", "expected (study)"]
    assert view["expected (study)"].tolist() == [
        "higher, more spend",
        "higher, more spend: no measure found",
    ]
