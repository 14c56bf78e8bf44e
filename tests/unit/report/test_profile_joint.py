"""The la-profile's words flag a joint return (issue 17, item 4)."""

from __future__ import annotations

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
