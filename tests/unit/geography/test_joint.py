"""Joint returns: the partnerships list and how a file's names are matched to it."""

from __future__ import annotations

import pytest

from lacompare.geography import (
    joint_note,
    joint_return_of,
    match_joint_return,
    read_authorities,
    read_joint_returns,
)


def test_every_partnership_names_registry_members_and_sources() -> None:
    registry = read_authorities().set_index("la_code")
    for joint in read_joint_returns():
        assert len(joint.members) >= 2
        assert joint.source.strip()
        for code, dfe in zip(joint.members, joint.dfe_codes, strict=True):
            assert registry.loc[code, "dfe_code"] == dfe


@pytest.mark.parametrize(
    ("text", "members"),
    [
        ("North Northamptonshire / West Northamptonshire", ("E06000061", "E06000062")),
        ("940 / 941", ("E06000061", "E06000062")),
        ("ACHIEVING FOR CHILDREN", ("E09000021", "E09000027")),
        ("Kingston & Richmond", ("E09000021", "E09000027")),
    ],
)
def test_names_files_print_match_the_partnership(text: str, members: tuple) -> None:
    found = match_joint_return(text, "2024-09-30")
    assert found is not None and found.members == members


def test_a_partnership_is_not_matched_before_it_began() -> None:
    # The Northamptonshire unitaries (and their trust's single return) began in 2021.
    assert match_joint_return("940 / 941", "2020-09-30") is None
    assert joint_return_of(["E06000061", "E06000062"], "2020-09-30") is None
    assert joint_return_of(["E06000062", "E06000061"], "2021-09-30") is not None


def test_unrelated_names_and_member_sets_are_not_joint() -> None:
    assert match_joint_return("Kingston upon Thames") is None
    assert joint_return_of(["E09000021"]) is None
    assert joint_return_of(["E09000021", "E09000027", "E06000040"]) is None


def test_note_names_the_partner_and_the_partnership() -> None:
    joint = joint_return_of(["E06000061", "E06000062"])
    assert joint_note("E06000061", joint.members, joint.partnership) == (
        "joint return with West Northamptonshire (Northamptonshire Children's Trust)"
    )
    assert joint_note("E06000062", joint.members, None) == (
        "joint return with North Northamptonshire"
    )
