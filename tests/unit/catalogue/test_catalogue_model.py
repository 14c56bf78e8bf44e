"""The packaged indicator catalogue parses and every entry is valid."""

from __future__ import annotations

import pytest

from lacompare.catalogue import (
    band_text,
    get_indicator,
    headline_keys,
    indicator_decimals,
    parse_catalogue,
    read_catalogue,
)
from lacompare.errors import InputError
from lacompare.store import POLARITIES

TOPICS = {
    "Looked after children",
    "Children in need and child protection",
    "Workforce",
    "Finance",
    "SEN",
    "Ofsted",
    "Youth justice",
    "Context",
}

ENTRY = """
[[indicator]]
id = "x_rate"
label = "X rate"
topic = "Context"
unit = "%"
additive = false
polarity = "neutral"
decimals = 1
year_type = "Calendar year"
reference_date = "Calendar year"
description = "An example."
headline = false
sources = [{ measure = "x", breakdown = "", published = true, note = "" }]
"""


def test_every_entry_is_valid():
    cat = read_catalogue()
    assert len(cat) >= 60
    ids = [i.id for i in cat]
    assert len(ids) == len(set(ids))
    for ind in cat:
        assert ind.topic in TOPICS, ind.id
        assert ind.polarity in POLARITIES, ind.id
        assert ind.label.strip() and ind.description.strip() and ind.unit.strip()
        assert ind.year_type and ind.reference_date, ind.id
        assert 0 <= ind.decimals <= 3, ind.id
        assert ind.sources, ind.id
        # Published first: a derived source never comes before a published one.
        flags = [s.published for s in ind.sources]
        assert flags == sorted(flags, reverse=True), ind.id
        # Counts and money add up across authorities; rates and shares never do.
        if ind.unit.startswith(("per ", "%")) or "score" in ind.unit:
            assert not ind.additive, ind.id


def test_curated_polarity_and_decimals():
    for wid in (
        "social_worker_turnover_rate",
        "agency_worker_rate",
        "vacancy_rate",
        "caseload_per_social_worker",
    ):
        assert get_indicator(wid).polarity == "higher-is-worse"
        assert get_indicator(wid).topic == "Workforce"
    assert get_indicator("idaci_2025").decimals == 3
    # Context factors describe the area, not the council: never best or worst.
    assert {i.polarity for i in read_catalogue() if i.topic == "Context"} == {"neutral"}
    assert indicator_decimals("iod2025_idaci_average_score", [0.51234]) == 3


def test_cla_rate_sources_published_then_derived():
    ind = get_indicator("cla_rate_per_10000")
    keys = [s.key for s in ind.sources]
    assert keys[0] == (
        "rate_per_10000[population_type=Children looked after on 31 March each year]"
    )
    assert keys[-1] == "cla_rate_per_10000_derived"
    assert ind.sources[0].published and not ind.sources[-1].published
    assert ind.headline


def test_headline_set():
    heads = list(dict.fromkeys(i for i, _ in headline_keys()))
    assert len(heads) >= 5
    assert {
        "cla_rate_per_10000",
        "cin_rate_per_10000",
        "cpp_rate_per_10000",
        "csc_spend_per_child",
        "need",
    } <= set(heads)
    # The measure of need: IoD2025's IDACI, else IoD2019's where only it is loaded.
    assert [k for slot, k in headline_keys() if slot == "need"] == [
        "iod2025_idaci_average_score",
        "idaci_average_score",
    ]


def test_the_dashboard_reads_its_headline_set_from_the_catalogue():
    from lacompare.dashboard._views import read_headline_measures

    assert read_headline_measures() == headline_keys()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('polarity = "neutral"', 'polarity = "lower"'), "polarity must be"),
        (("decimals = 1", 'decimals = "1"'), "decimals must be int"),
        (("decimals = 1", "decimals = true"), "decimals must be int"),
        (("headline = false\n", ""), "no headline"),
        (('id = "x_rate"', 'id = "X Rate"'), "id must be"),
        (
            (
                'sources = [{ measure = "x", breakdown = "", published = true, '
                'note = "" }]',
                "sources = []",
            ),
            "no sources",
        ),
        (("published = true", 'published = "yes"'), "published must be bool"),
        (("headline = false", 'headline = false\ncolour = "red"'), "unknown field"),
        (
            ("headline = false", "headline = false\nheadline_slot = 1"),
            "headline_slot must be str",
        ),
    ],
)
def test_bad_entries_are_refused_naming_entry_and_field(change, message):
    with pytest.raises(InputError, match=message) as info:
        parse_catalogue(ENTRY.replace(*change))
    assert "entry 1" in str(info.value)


def test_an_id_given_twice_is_refused():
    with pytest.raises(InputError, match="id given twice"):
        parse_catalogue(ENTRY + ENTRY)


def test_unknown_indicator_suggests_by_label():
    with pytest.raises(InputError, match="cla_rate_per_10000"):
        get_indicator("cla_rate")


@pytest.mark.parametrize(
    ("band", "polarity", "text"),
    [
        ("A", "neutral", "highest quarter"),
        ("B", "neutral", "second-highest quarter"),
        ("D", "neutral", "lowest quarter"),
        ("A", "higher-is-worse", "A: best quarter"),
        ("D", "higher-is-better", "D: worst quarter"),
    ],
)
def test_neutral_bands_say_highest_never_best(band, polarity, text):
    assert band_text(band, polarity) == text
    if polarity == "neutral":
        assert "best" not in band_text(band, polarity)
        assert "worst" not in band_text(band, polarity)
