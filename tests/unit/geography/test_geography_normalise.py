"""The name normaliser: variants meet, distinguishing words survive, idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lacompare.geography import normalise_name, resolve_authority
from lacompare.geography._normalise import code_text, parse_name, split_combined_code


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("St.Helens", "st helens"),
        ("Saint Helens", "st helens"),
        ("St Helens MBC", "st helens"),
        ("Kingston-upon-Thames", "kingston upon thames"),
        ("Royal Borough of Kingston upon Thames", "kingston upon thames"),
        ("London Borough of Barking & Dagenham", "barking and dagenham"),
        ("Bristol, City of", "bristol"),
        ("City of Bristol", "bristol"),
        ("Bristol City Council", "bristol"),
        ("Herefordshire, County of", "herefordshire"),
        ("Kingston upon Hull City of", "kingston upon hull"),
        ("Durham County Council", "durham"),
        ("County Durham", "county durham"),
        ("Isle of Wight Council", "isle of wight"),
        ("Council of the Isles of Scilly", "isles of scilly"),
        ("Telford and The Wrekin", "telford and wrekin"),
        ("Bournemouth, Christchurch + Poole", "bournemouth christchurch and poole"),
        ("Bath & N.E Somerset", "bath and north east somerset"),
        ("N.Yorkshire", "north yorkshire"),
        ("NE Lincs", "north east lincolnshire"),
        ("Wigan Metropolitan Borough Council", "wigan"),
        ("Camden London Boro", "camden"),
        ("Derby City UA", "derby"),
        ("Dorset (Pre LG)", "dorset"),
        ("  Cheshire East  ", "cheshire east"),
        ("King's Lynn and West Norfolk", "kings lynn and west norfolk"),
        ("Ealing\u00a0", "ealing"),
        ("Bromley\u2019s", "bromleys"),
    ],
)
def test_variants_reduce_to_one_key(raw: str, key: str) -> None:
    assert normalise_name(raw) == key


def test_city_of_london_is_not_london() -> None:
    assert normalise_name("City of London") == "city of london"
    assert normalise_name("London, City of") == "city of london"
    assert normalise_name("City of London Corporation") == "city of london"
    assert normalise_name("City and County of the City of London") == "city of london"
    assert normalise_name("London") == "london"


def test_distinguishing_words_are_kept() -> None:
    keys = {
        normalise_name(n)
        for n in (
            "North Somerset",
            "Somerset",
            "East Sussex",
            "West Sussex",
            "North Lincolnshire",
            "North East Lincolnshire",
            "Northamptonshire",
            "North Northamptonshire",
            "West Northamptonshire",
            "Bedford",
            "Bedfordshire",
            "Central Bedfordshire",
            "Cheshire",
            "Cheshire East",
        )
    }
    assert len(keys) == 14


def test_bracketed_notes_are_kept_on_request() -> None:
    assert (
        normalise_name("Tower Hamlets (& City)", keep_notes=True)
        == "tower hamlets and city"
    )
    assert normalise_name("Tower Hamlets (& City)") == "tower hamlets"


def test_hints_say_which_council_of_a_shared_name() -> None:
    assert parse_name("Dorset County Council").hint == "shire county"
    assert parse_name("Dorset UA").hint == "unitary"
    assert parse_name("Dorset Council").hint == "council"
    assert parse_name("Dorset (Pre LG)").hint == "predecessor"
    assert parse_name("Dorset").hint is None


def test_code_text_and_combined_codes() -> None:
    assert code_text(201) == "201"
    assert code_text(201.0) == "201"
    assert code_text("201.0") == "201"
    assert code_text(" e06000001\t") == "E06000001"
    assert code_text(float("nan")) is None
    assert code_text(True) is None
    assert split_combined_code("940 / 941") == ["940", "941"]
    assert split_combined_code("E06000061;E06000062") == ["E06000061", "E06000062"]
    assert split_combined_code("314 and 318") == ["314", "318"]
    assert split_combined_code("Kingston / Richmond") is None


_label_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
_label_words = st.lists(
    st.sampled_from(
        [
            "City",
            "of",
            "London",
            "County",
            "Council",
            "Borough",
            "the",
            "St.",
            "Saint",
            "N.",
            "E",
            "&",
            "+",
            "(Pre LG)",
            "(",
            ")",
            "[x]",
            ",",
            "-",
            "upon",
            "Hull",
            "Metropolitan",
            "UA",
            "CC",
            "Royal",
            "and",
            "Lincs",
            "Durham",
            "city",
            "of",
        ]
    ),
    max_size=10,
).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_label_text, _label_words))
def test_normaliser_is_idempotent(text: str) -> None:
    for keep in (False, True):
        once = normalise_name(text, keep_notes=keep)
        assert normalise_name(once, keep_notes=keep) == once
        assert once == once.strip() and "  " not in once
        assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in once)
        assert once == once.lower()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        _label_text,
        _label_words,
        st.integers(min_value=-10, max_value=10_000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.none(),
    ),
    st.one_of(st.none(), st.dates()),
)
def test_resolve_never_raises(value: object, as_of: object) -> None:
    m = resolve_authority(value, as_of=as_of)  # type: ignore[arg-type]
    assert m.match in {"code", "exact", "alias", "fuzzy", "total-row", "none"}
    assert not m.note.startswith("could not be resolved"), m  # an internal error
    assert 0.0 <= m.score <= 100.0
    if m.match == "none":
        assert m.la_code is None
    if m.match in {"code", "exact", "alias"}:
        assert m.score == 100.0 and m.dfe_code is not None
