"""Names a person types are never guessed (issue 16, item 7)."""

from __future__ import annotations

import pytest

from lacompare.errors import InputError
from lacompare.geography import (
    UnknownAuthority,
    match_authority_strict,
    resolve_authority,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Leeds", "E08000035"),
        ("leeds", "E08000035"),
        ("383", "E08000035"),
        ("e08000035", "E08000035"),
        ("St.Helens", "E08000013"),
        ("st helens", "E08000013"),
        ("Bath & N.E Somerset", "E06000022"),
        ("Leicester City Council", "E06000016"),
        ("Hull", "E06000010"),
        ("Tower Hamlets (& City)", "E09000030"),
    ],
)
def test_exact_names_codes_and_aliases_are_found(text: str, code: str) -> None:
    assert match_authority_strict(text).la_code == code


def test_a_misspelling_is_refused_with_the_nearest_name() -> None:
    # The file matcher would take it (a guarded fuzzy match) ...
    assert resolve_authority("Leicestr").la_code == "E06000016"
    # ... a person typing it is asked instead.
    with pytest.raises(UnknownAuthority) as err:
        match_authority_strict("Leicestr")
    assert str(err.value) == (
        "no authority 'Leicestr'; did you mean Leicester (E06000016)?"
    )
    assert [s.la_code for s in err.value.suggestions] == ["E06000016"]
    assert isinstance(err.value, InputError)  # the CLI prints it in one line


def test_a_part_name_offers_the_authorities_it_is_part_of() -> None:
    with pytest.raises(UnknownAuthority) as err:
        match_authority_strict("Kingston")
    assert {s.la_code for s in err.value.suggestions} == {"E06000010", "E09000021"}


def test_nothing_near_says_what_to_give() -> None:
    with pytest.raises(UnknownAuthority, match="no authority 'qqqzzz' \\(give"):
        match_authority_strict("qqqzzz")
    with pytest.raises(UnknownAuthority, match="no authority given"):
        match_authority_strict("  ")


def test_totals_and_combined_rows_are_not_one_authority() -> None:
    with pytest.raises(UnknownAuthority, match="region total, not one authority"):
        match_authority_strict("London")
    with pytest.raises(UnknownAuthority) as err:
        match_authority_strict("940 / 941")
    assert err.value.reason == "combined"
    assert [s.dfe_code for s in err.value.suggestions] == ["940", "941"]


def test_an_abolished_authority_names_its_successors_and_when() -> None:
    with pytest.raises(UnknownAuthority) as err:
        match_authority_strict("Bedfordshire", current=True)
    assert str(err.value) == (
        "Bedfordshire (DfE 820) was abolished on 2009-04-01; succeeded from "
        "2009-04-01 by Bedford (E06000055) and Central Bedfordshire (E06000056): "
        "give one of them"
    )
    assert err.value.reason == "abolished"
    assert [s.since.isoformat() for s in err.value.suggestions] == ["2009-04-01"] * 2
    with pytest.raises(
        UnknownAuthority, match="Cumberland .E06000063. and Westmorland and Furness"
    ):
        match_authority_strict("Cumbria", as_of="2024-03-31")
    with pytest.raises(UnknownAuthority, match="North Northamptonshire"):
        match_authority_strict("Northamptonshire", current=True)
    # A code of a same-area recode: the council of today is offered.
    with pytest.raises(
        UnknownAuthority, match="by North Yorkshire .E06000065.: give it"
    ):
        match_authority_strict("E10000023", current=True)


def test_an_abolished_authority_is_fine_when_it_existed_on_the_day() -> None:
    assert match_authority_strict("Cumbria", as_of="2022-03-31").la_code == "E10000006"
    assert match_authority_strict("Bedfordshire").dfe_code == "820"  # no day asked
    # A name shared over time picks the council of the day.
    assert (
        match_authority_strict("North Yorkshire", as_of="2021-03-31").la_code
        == "E10000023"
    )
    assert (
        match_authority_strict("North Yorkshire", current=True).la_code == "E06000065"
    )


def test_an_authority_created_later_names_its_predecessors() -> None:
    with pytest.raises(UnknownAuthority) as err:
        match_authority_strict("Cumberland", as_of="2021-03-31")
    assert err.value.reason == "not-yet"
    assert "created on 2023-04-01; before it: Cumbria (E10000006)" in str(err.value)


def test_suggestions_for_today_skip_abolished_councils() -> None:
    with pytest.raises(UnknownAuthority) as err:
        match_authority_strict("Northampton", current=True)
    offered = {s.la_name for s in err.value.suggestions}
    assert "Northamptonshire" not in offered
    assert "North Northamptonshire" in offered


def test_a_neighbour_file_is_matched_exactly(store, tmp_path) -> None:
    from lacompare.analysis.neighbours import load_neighbour_set

    path = tmp_path / "nb.csv"
    path.write_text("la_name,rank,neighbour_name\nLeeds,1,Leicestr\nLeeds,2,Bradford\n")
    with pytest.raises(
        InputError, match="'Leicestr' is not an authority .nearest: Leicester"
    ):
        load_neighbour_set(store, str(path), "mine")
    path.write_text(
        "la_name,rank,neighbour_name\nLeeds,1,Leicester\nLeeds,2,Bradford\n"
    )
    assert load_neighbour_set(store, str(path), "mine").summary_lines()
