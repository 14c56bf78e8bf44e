"""The round definition (data), value parsing, validation rules and publish
expressions: no Django, no database."""

from __future__ import annotations

import pytest

from lacompare.errors import InputError
from lacompare.hub.definition import (
    derive_published_value,
    read_round_definition,
    validate_return,
)
from lacompare.hub.returns_file import read_return_upload, write_return_template


@pytest.fixture(scope="module")
def sendias():
    return read_round_definition()


def test_sendias_round_covers_the_issue_and_the_network_report(sendias):
    from lacompare.report._network import _REQUIRED, HUB_MEASURES, NETWORK_MEASURES

    names = set(sendias.names)
    assert {
        "funding_la",
        "funding_health",
        "funding_social_care",
        "fte_staff",
        "volunteers",
        "helpline_enquiries",
        "casework_information",
        "casework_advice",
        "casework_support",
        "tribunal_cases",
        "delivery",
        "joint_health_and_social_care",
        "joint_health_only",
        "joint_social_care_only",
    } <= names
    # What the network report needs is published; the rest it can do without.
    assert set(_REQUIRED) <= set(sendias.publish)
    assert set(sendias.publish) - {"delivery"} <= {*NETWORK_MEASURES, *HUB_MEASURES}
    assert sendias.publish_spec == "demo/data/iassn_2021.toml"


def test_ranges_required_and_types(sendias):
    _, log = validate_return(
        sendias,
        {
            "population_0_25": "0",
            "fte_staff": "250",
            "volunteers": "1.5",
            "delivery": "Mixed",
            "joint_health_only": "maybe",
        },
    )
    got = {(i.column, i.message) for i in log}
    assert (
        "population_0_25",
        "Population aged 0-25 of the area served must be at least 1",
    ) in got
    assert ("fte_staff", "Staff (full-time equivalent) must be at most 200") in got
    assert ("volunteers", "Volunteers: must be a whole number") in got
    assert ("delivery", "Delivery model: must be one of: In-House, Outsourced") in got
    assert (
        "joint_health_only",
        "Jointly commissioned with health only: must be yes or no",
    ) in got
    assert ("funding_total", "Total funding is required") in got
    # A draft may be incomplete: missing answers are not errors until submitting.
    _, draft = validate_return(sendias, {"fte_staff": "4"}, for_submit=False)
    assert len(draft) == 0


def test_warning_asks_for_a_check_without_blocking(sendias):
    _, log = validate_return(sendias, {"fte_staff": "60"}, for_submit=False)
    assert [(i.severity, i.message) for i in log] == [
        ("warning", "Staff (full-time equivalent) is above 50: please check it")
    ]


def test_sum_rule_tolerates_pence_not_pounds(sendias):
    parts = {
        "funding_la": "100.20",
        "funding_social_care": "0.30",
        "funding_health": "0",
        "funding_other": "0",
    }
    _, ok = validate_return(
        sendias, {**parts, "funding_total": "100.5"}, for_submit=False
    )
    assert not ok.errors()
    _, bad = validate_return(
        sendias, {**parts, "funding_total": "102"}, for_submit=False
    )
    assert [i.message for i in bad.errors()] == [
        "Total funding (£102) must equal the sum of its parts (£100.50)"
    ]


def test_change_rule_both_directions_and_comment(sendias):
    prev = {"fte_staff": 10.0}
    _, down = validate_return(
        sendias, {"fte_staff": "6"}, previous=prev, for_submit=False
    )
    assert [i.message for i in down] == [
        "Staff (full-time equivalent) changed by -40% on last year (10): more than "
        "30% needs a comment"
    ]
    _, small = validate_return(
        sendias, {"fte_staff": "12"}, previous=prev, for_submit=False
    )
    assert len(small) == 0
    _, commented = validate_return(
        sendias,
        {"fte_staff": "6"},
        previous=prev,
        comments={"fte_staff": "two posts unfilled"},
        for_submit=False,
    )
    assert len(commented) == 0


def test_bad_definitions_name_the_file(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(
        '[round]\nslug = "x"\ntitle = "X"\nperiod = "2021"\n'
        '[[fields]]\nname = "a"\ntype = "money"\n'
        '[[rules]]\nkind = "sum"\ntotal = "a"\nparts = ["b"]\n'
    )
    with pytest.raises(InputError, match=r"r\.toml: sum rule names unknown fields: b"):
        read_round_definition(path)
    path.write_text(
        '[round]\nslug = "x"\ntitle = "X"\nperiod = "2021"\n'
        '[[fields]]\nname = "a"\ntype = "date"\n'
    )
    with pytest.raises(InputError, match="type 'date' is not one of"):
        read_round_definition(path)
    path.write_text("[round\n")
    with pytest.raises(InputError, match="not valid TOML"):
        read_round_definition(path)


def test_publish_expressions_are_arithmetic_only():
    assert (
        derive_published_value("100 * a / previous.a", {"a": 3.0}, {"a": 2.0}) == 150.0
    )
    assert derive_published_value("a / b", {"a": 1.0, "b": 0.0}) is None
    for evil in (
        "__import__('os').system('true')",
        "a.__class__",
        "a ** 2",
        "[a]",
        "'text'",
    ):
        with pytest.raises(InputError, match="only field names"):
            derive_published_value(evil, {"a": 1.0})


def test_upload_errors_name_file_sheet_row_column(sendias):
    data = write_return_template(sendias, "leeds", "Leeds", fmt="csv")
    text = data.decode().replace("volunteers,", "volunteer_count,", 1)
    with pytest.raises(InputError) as err:
        read_return_upload(sendias, text.encode(), "leeds.csv")
    assert (
        str(err.value) == "leeds.csv, row 11, column field: unknown field "
        "'volunteer_count'"
    )
    xlsx = write_return_template(sendias, "leeds", "Leeds")
    up = read_return_upload(sendias, xlsx, "leeds.xlsx")
    assert up.sheet == "Return" and up.service_code == "leeds"
    with pytest.raises(InputError, match="the limit is 100"):
        read_return_upload(sendias, xlsx, "leeds.xlsx", max_bytes=100)
    with pytest.raises(InputError, match="no heading row starting 'field'"):
        read_return_upload(sendias, b"a,b\n1,2\n", "x.csv")
