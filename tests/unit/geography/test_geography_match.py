"""resolve_authority / match_authorities: codes, names, aliases, totals, dates."""

from __future__ import annotations

from datetime import date

import pytest

from lacompare.geography import Match, match_authorities, resolve_authority

# Variants real tables print (IASSN 2021, Ofsted, MHCLG revenue outturn, DfE LAIT/S251).
VARIANTS = {
    "Bath & N.E Somerset": "E06000022",
    "Kingston-upon-Thames": "E09000021",
    "Richmond-upon-Thames": "E09000027",
    "St.Helens": "E08000013",
    "St Helens": "E08000013",
    "Tower Hamlets (& City)": "E09000030",
    "Cornwall (& Isle of Scilly)": "E06000052",
    "Telford and The Wrekin": "E06000020",
    "Telford & the Wrekin UA": "E06000020",
    "Isle of Wight Council": "E06000046",
    "Leicester City": "E06000016",
    "Bournemouth, Christchurch + Poole": "E06000058",
    "Bournemouth, Christchurch & Poole": "E06000058",
    "Kingston upon Hull": "E06000010",
    "Kingston Upon Hull, City of": "E06000010",
    "Kingston-upon-Hull UA": "E06000010",
    "Hull": "E06000010",
    "Durham": "E06000047",
    "Durham UA": "E06000047",
    "Bristol": "E06000023",
    "Bristol City of": "E06000023",
    "Herefordshire": "E06000019",
    "Southend": "E06000033",
    "Newcastle-upon-Tyne": "E08000021",
    "Newcastle Upon Tyne": "E08000021",
    "Newcastle": "E08000021",
    "Cheshire West & Chester": "E06000050",
    "Windsor & Maidenhead": "E06000040",
    "Brighton & Hove": "E06000043",
    "Bedford Borough": "E06000055",
    "Medway Towns": "E06000035",
    "Bury MBC": "E08000002",
    "Derby City UA": "E06000015",
    "Hammersmith & Fulham": "E09000013",
    "Kensington & Chelsea": "E09000020",
    "Stockton-On-Tees": "E06000004",
    "Isles Of Scilly": "E06000053",
    "City of London Corporation": "E09000001",
    "London Borough of Tower Hamlets": "E09000030",
    "Royal Borough of Windsor and Maidenhead": "E06000040",
    "Westmorland & Furness": "E06000064",
    "Middlesborough": "E06000002",  # a common misspelling, found by fuzzy matching
}

# Pairs that look alike but are different authorities: neither may become the other.
NEVER_GUESS = [
    ("North Somerset", "E06000024"),
    ("Somerset", "E06000066"),
    ("East Sussex", "E10000011"),
    ("West Sussex", "E10000032"),
    ("North Lincolnshire", "E06000013"),
    ("North East Lincolnshire", "E06000012"),
    ("Northamptonshire", "E10000021"),
    ("North Northamptonshire", "E06000061"),
    ("West Northamptonshire", "E06000062"),
    ("Bedford", "E06000055"),
    ("Central Bedfordshire", "E06000056"),
    ("Cheshire East", "E06000049"),
    ("Cheshire West and Chester", "E06000050"),
    ("North Tyneside", "E08000022"),
    ("South Tyneside", "E08000023"),
    ("Kingston upon Thames", "E09000021"),
    ("Herefordshire", "E06000019"),
    ("Hertfordshire", "E10000015"),
    ("Leicester", "E06000016"),
    ("Leicestershire", "E10000018"),
    ("Nottingham", "E06000018"),
    ("Nottinghamshire", "E10000024"),
    ("Derby", "E06000015"),
    ("Derbyshire", "E10000007"),
    ("Durham", "E06000047"),
]

# Labels that are not an authority and must never be given one.
NOT_AUTHORITIES = [
    "South Somerset",  # district
    "Somerset West and Taunton",  # district
    "North Devon",
    "East Hertfordshire",
    "South Northamptonshire",
    "Northampton",
    "Derbyshire Dales",
    "Newcastle-under-Lyme",
    "Richmondshire",
    "Lancaster",
    "Gloucester",
    "Greater London Authority",
    "Cumbria Police and Crime Commissioner and Chief Constable",
    "Dorset and Wiltshire Fire and Rescue Authority",
    "Est Sussex",  # as close to East as to West Sussex: refuse
    "Herfordshire",  # as close to Herefordshire as to Hertfordshire: refuse
    "Cardiff",
    "Vale of Glamorgan",
    "North Lanarkshire",
    "Atlantis",
]


@pytest.mark.parametrize(("name", "la_code"), sorted(VARIANTS.items()))
def test_variants_resolve(name: str, la_code: str) -> None:
    m = resolve_authority(name)
    assert (m.la_code, m.match != "none") == (la_code, True), m


@pytest.mark.parametrize(("name", "la_code"), NEVER_GUESS)
def test_look_alikes_resolve_to_themselves(name: str, la_code: str) -> None:
    m = resolve_authority(name)
    assert m.la_code == la_code, m
    assert m.match in {"exact", "alias"}


@pytest.mark.parametrize("name", NOT_AUTHORITIES)
def test_non_authorities_are_never_given_an_authority(name: str) -> None:
    m = resolve_authority(name)
    assert m.match == "none", m
    assert m.la_code is None
    assert len(m.candidates) == 3


def test_abolished_county_names_are_not_their_successors() -> None:
    cheshire = resolve_authority("Cheshire")
    assert (cheshire.la_code, cheshire.dfe_code, cheshire.la_type) == (
        None,
        "875",
        "shire county",
    )
    assert cheshire.note.startswith(
        "abolished 2009-04-01; successors Cheshire East (E06000049)"
    )
    beds = resolve_authority("Bedfordshire")
    assert (beds.la_code, beds.dfe_code) == (None, "820")
    assert resolve_authority("Bedfordshire County Council").dfe_code == "820"


def test_match_fields_for_a_london_borough() -> None:
    m = resolve_authority("Haringey")
    assert m == Match(
        query="Haringey",
        la_code="E09000014",
        dfe_code="309",
        la_name="Haringey",
        region="London",
        london_region="Inner London",
        la_type="London borough",
        match="exact",
        score=100.0,
    )
    assert resolve_authority("Leeds").london_region == "Yorkshire and The Humber"


@pytest.mark.parametrize(
    ("value", "la_code", "dfe_code"),
    [
        ("E09000001", "E09000001", "201"),
        (" e09000001 ", "E09000001", "201"),
        (201, "E09000001", "201"),
        (201.0, "E09000001", "201"),
        ("201 ", "E09000001", "201"),
        ("201.0", "E09000001", "201"),
        ("E08000016", "E08000038", "370"),  # former code of the same authority
        ("E08000019", "E08000039", "373"),
        ("E06000048", "E06000057", "929"),
        ("E10000021", "E10000021", "928"),
        (
            921,
            "E06000046",
            "921",
        ),  # Isle of Wight, although one old SFR numbered England 921
        ("820", None, "820"),
    ],
)
def test_codes(value: object, la_code: str | None, dfe_code: str) -> None:
    m = resolve_authority(value)  # type: ignore[arg-type]
    assert (m.la_code, m.dfe_code, m.match) == (la_code, dfe_code, "code")


def test_former_code_is_noted() -> None:
    assert "former code" in resolve_authority("E08000016").note


def test_unknown_codes_are_none() -> None:
    for value in ("E07000223", "W06000015", "123", "E99999999", 0, -5):
        m = resolve_authority(value)  # type: ignore[arg-type]
        assert m.match == "none" and m.la_code is None, value


@pytest.mark.parametrize(
    "value",
    [
        "940 / 941",
        "E06000061 / E06000062",
        "North Northamptonshire / West Northamptonshire",
    ],
)
def test_combined_rows_are_reported_not_attributed(value: str) -> None:
    m = resolve_authority(value)
    assert m.match == "none" and m.la_code is None
    assert m.note.startswith("combined row covering North Northamptonshire (E06000061)")
    assert m.candidates == (
        "North Northamptonshire (E06000061)",
        "West Northamptonshire (E06000062)",
    )


def test_combined_alias_goes_to_the_lead_authority_with_a_note() -> None:
    m = resolve_authority("Cornwall (& Isle of Scilly)")
    assert (m.la_code, m.match, m.note) == (
        "E06000052",
        "alias",
        "also covers Isles of Scilly",
    )


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("England", "E92000001"),
        ("ENGLAND", "E92000001"),
        ("England total", "E92000001"),
        ("ENGLAND TOTAL", "E92000001"),
        ("National", "E92000001"),
        ("England (discontinued)", "E92000001"),
        ("North East", "E12000001"),
        ("North East ", "E12000001"),
        ("Yorkshire and Humber", "E12000003"),
        ("Yorkshire and the Humber", "E12000003"),
        ("YORKSHIRE AND THE HUMBER", "E12000003"),
        ("East", "E12000006"),
        ("London", "E12000007"),
        ("Inner London", "E13000001"),
        ("London (Inner)", "E13000001"),
        ("OUTER LONDON", "E13000002"),
        ("London (Outer)", "E13000002"),
        ("South West total", "E12000009"),
        ("West Midlands (Met County)", "E11000005"),
        ("E12000005", "E12000005"),
        ("E92000001", "E92000001"),
        (999, "E92000001"),
        (970, "E92000001"),
        ("987", "E13000001"),
        ("Total", None),
        ("Sub-total", None),
        ("Subtotal", None),
        ("Grand total", None),
        ("Shire Counties total", None),
        ("Statistical neighbours (median)", None),
        ("Unknown", None),
    ],
)
def test_total_rows(label: object, code: str | None) -> None:
    m = resolve_authority(label)  # type: ignore[arg-type]
    assert (m.match, m.la_code) == ("total-row", code), m
    assert m.dfe_code is None and m.la_type is None


def test_total_labels_with_notes_or_an_authority() -> None:
    m = resolve_authority("England (provisional)")
    assert (m.match, m.la_code, m.la_name) == ("total-row", None, "England")
    leeds = resolve_authority("Leeds total")
    assert (leeds.la_code, leeds.match, leeds.note) == (
        "E08000035",
        "exact",
        "labelled a total",
    )


def test_region_total_carries_region() -> None:
    m = resolve_authority("North West")
    assert (m.region, m.london_region) == ("North West", "North West")
    inner = resolve_authority("Inner London")
    assert (inner.region, inner.london_region) == ("London", "Inner London")


@pytest.mark.parametrize(
    ("value", "as_of", "la_code"),
    [
        ("North Yorkshire", None, "E06000065"),
        ("North Yorkshire", "2023-03-31", "E10000023"),
        ("North Yorkshire", "2023-04-01", "E06000065"),
        ("N.Yorkshire", "2021-03-31", "E10000023"),
        (815, "2019-03-31", "E10000023"),
        ("815", date(2024, 3, 31), "E06000065"),
        ("Somerset", "2021-03-31", "E10000027"),
        ("Somerset", None, "E06000066"),
        ("Buckinghamshire", "2020-03-31", "E10000002"),
        ("Buckinghamshire", "2020-04-01", "E06000060"),
        ("Dorset", None, "E06000059"),
        ("Dorset", "2019-03-31", "E10000009"),
        ("Dorset", "2021-03-31", "E06000059"),
        ("Dorset (Pre LG)", None, "E10000009"),
        ("Dorset (Pre LG)", "2022-03-31", "E10000009"),
        ("Dorset County Council", None, "E10000009"),
        ("Dorset Council", None, "E06000059"),
        ("Dorset UA", "2018-03-31", "E06000059"),  # the label's type wins
        ("Somerset Council", "2021-03-31", "E10000027"),  # bare 'Council': date wins
        ("Buckinghamshire County Council", None, "E10000002"),
        ("Cumbria", "2021-03-31", "E10000006"),
        ("Northamptonshire", "2021-03-31", "E10000021"),
        # An ONS code names its entity whatever the date.
        ("E10000023", "2024-03-31", "E10000023"),
    ],
)
def test_as_of_chooses_among_same_named_entities(
    value: object, as_of: str | date | None, la_code: str
) -> None:
    assert resolve_authority(value, as_of=as_of).la_code == la_code  # type: ignore[arg-type]


def test_entity_not_valid_on_as_of_is_returned_with_a_note() -> None:
    m = resolve_authority("Northamptonshire", as_of="2022-03-31")
    assert (m.la_code, m.match) == ("E10000021", "exact")
    assert m.note == (
        "existed until 2021-03-31 (abolished 2021-04-01), not on 2022-03-31; "
        "successors North Northamptonshire (E06000061), "
        "West Northamptonshire (E06000062)"
    )
    early = resolve_authority("Cumberland", as_of="2020-03-31")
    assert early.la_code == "E06000063"
    assert early.note.startswith(
        "existed from 2023-04-01, not on 2020-03-31; predecessors Cumbria"
    )
    assert resolve_authority("Cumberland", as_of="2024-03-31").note == ""
    assert "not on" in resolve_authority("E10000002", as_of="2024-03-31").note


def test_as_of_accepts_dates_and_rejects_nonsense() -> None:
    assert resolve_authority("Somerset", as_of=date(2021, 3, 31)).la_code == "E10000027"
    with pytest.raises(ValueError, match="ISO date"):
        resolve_authority("Somerset", as_of="31/03/2021")


def test_empty_and_missing_values() -> None:
    for value in (None, "", "   ", float("nan")):
        m = resolve_authority(value)  # type: ignore[arg-type]
        assert (m.match, m.note) == ("none", "empty value")


def test_fuzzy_match_reports_its_score() -> None:
    m = resolve_authority("Northumberlnd")
    assert (m.la_code, m.match) == ("E06000057", "fuzzy")
    assert 90 <= m.score < 100


def test_match_authorities_dedupes_and_keeps_order() -> None:
    values = [
        "Leeds",
        383,
        "E08000035",
        None,
        "Atlantis",
        "leeds",
        float("nan"),
        "Leeds",
    ]
    out = match_authorities(values)
    assert [m.la_code for m in out] == ["E08000035"] * 3 + [
        None,
        None,
        "E08000035",
        None,
        "E08000035",
    ]
    assert out[0] is out[-1]
    assert out[3].note == "empty value"


def test_match_authorities_resolves_each_distinct_value_once() -> None:
    # Speed is measured in bench/ingest.py; here: repeats share one resolution.
    distinct = [f"{n}" for n in ("Leeds", "Kent", "Barnet", "Dorset")] + [
        str(c) for c in range(200, 400)
    ]
    values = distinct * 50
    out = match_authorities(values)
    assert len(out) == len(values)
    assert out[0].la_code == "E08000035"
    assert all(out[i] is out[i + len(distinct)] for i in range(len(distinct)))
