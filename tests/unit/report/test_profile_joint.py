"""The la-profile's words flag a joint return (issue 17, item 4)."""

from __future__ import annotations

import pandas as pd

from lacompare.report._profile_data import quartile_range
from lacompare.report._profile_words import profile_sentences
from lacompare.report._specs import MeasureSpec

SPEC = MeasureSpec(
    "caseload_fte",
    label="Average caseload per social worker",
    unit=None,
    polarity="higher-is-worse",
)
ROW = {
    "value": 14.8,
    "period": "2025",
    "neighbours_mean": 16.0,
    "neighbours_n": 10,
    "quartile": "B",
    "rank": 55,
    "rank_of": 149,
    "polarity": "higher-is-worse",
}


def test_a_joint_return_is_said_naming_the_partner() -> None:
    note = (
        "joint return with North Northamptonshire (Northamptonshire Children's Trust)"
    )
    text = profile_sentences(
        {**ROW, "joint_return": note}, "West Northamptonshire", SPEC, 1
    )
    assert text[1] == (
        "The figure is a joint return with North Northamptonshire (Northamptonshire "
        "Children's Trust): one figure is published for both, and counted once "
        "among authorities."
    )


def test_a_figure_of_its_own_says_nothing_of_joint_returns() -> None:
    for extra in ({}, {"joint_return": None}, {"joint_return": float("nan")}):
        text = profile_sentences({**ROW, **extra}, "Derby", SPEC, 1)
        assert not any("joint" in s for s in text)


def test_the_profile_quartiles_count_a_joint_return_once() -> None:
    table = pd.DataFrame(
        {
            "key": ["m"] * 5,
            "period": ["2025"] * 5,
            "value": [1.0, 2.0, 3.0, 9.0, 9.0],
            "rank": [5, 4, 3, 1, 1],
            "joint_counted": [True, True, True, True, False],
        }
    )
    row = quartile_range(table).iloc[0]
    # The quartiles of 1, 2, 3, 9: the partner's copy of 9 is not counted again.
    assert (row["quartile_low"], row["quartile_high"]) == (1.75, 4.5)
