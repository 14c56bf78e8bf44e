"""Reference dates place periods in time; units put money on one scale."""

from __future__ import annotations

import datetime as dt

import pytest

from lacompare.derive import reference_day, select_periods, unit_scale
from lacompare.derive._dates import decimal_year, parse_periods
from lacompare.derive._units import band_pattern, pick_band
from lacompare.errors import InputError

D = dt.date


@pytest.mark.parametrize(
    ("period", "reference", "expected"),
    [
        ("2024", "31 March", D(2024, 3, 31)),
        ("2024", "31st March", D(2024, 3, 31)),
        ("2023", "mid-year", D(2023, 6, 30)),
        ("2023", "Mid year", D(2023, 6, 30)),
        ("2023", "30 September", D(2023, 9, 30)),
        ("2024", "January", D(2024, 1, 15)),
        ("2023-24", "financial year", D(2024, 3, 31)),
        ("202324", "financial year", D(2024, 3, 31)),
        ("2023-24", "31 March", D(2024, 3, 31)),  # the March inside the year
        ("2023-24", "30 September", D(2023, 9, 30)),
        ("2023/24", "January", D(2024, 1, 15)),  # academic year: January 2024
        ("2023/24", "academic year", D(2024, 8, 31)),
        ("2021", None, D(2021, 3, 31)),  # no reference date: 31 March
        ("2021", float("nan"), D(2021, 3, 31)),  # NaN from a pandas column
        ("2024-10-04", "mid-year", D(2024, 10, 4)),  # a date is itself
        ("Q3", "mid-year", None),
    ],
)
def test_reference_day(period, reference, expected):
    assert reference_day(period, reference) == expected


def test_count_at_31_march_meets_previous_mid_year():
    count_day = reference_day("2024", "31 March")
    mids = {p: reference_day(p, "mid-year") for p in ("2022", "2023", "2024")}
    latest = max(p for p, d in mids.items() if d <= count_day)
    assert latest == "2023"


def test_decimal_year_spaces_annual_dates_one_apart():
    days = [D(y, 3, 31) for y in range(2012, 2018)]
    gaps = {
        round(decimal_year(b) - decimal_year(a), 12)
        for a, b in zip(days, days[1:], strict=False)
    }
    assert gaps == {1.0}


def test_parse_and_select_periods():
    assert parse_periods("2013:2017") == ("2013", "2017")
    assert parse_periods(["2013", 2014]) == ["2013", "2014"]
    available = ["2019", "2012", "2013", "2015", "2017", "2018"]
    assert select_periods(available, "2013:2017") == ["2013", "2015", "2017"]
    assert select_periods(available, None)[0] == "2012"
    assert select_periods(available, ["2017", "2013", "2099"]) == ["2013", "2017"]
    fy = ["2015-16", "2016-17", "2017-18"]
    assert select_periods(fy, "2016-17:2017-18", "financial year") == fy[1:]
    with pytest.raises(InputError, match="no values in periods 2030:2031"):
        select_periods(available, "2030:2031")
    with pytest.raises(InputError, match="FIRST:LAST"):
        select_periods(available, "2013:")


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("£", ("£", 1.0)),
        ("£ thousand", ("£", 1e3)),
        ("£000", ("£", 1e3)),
        ("£'000", ("£", 1e3)),
        ("£k", ("£", 1e3)),
        ("£ thousands", ("£", 1e3)),
        ("£m", ("£", 1e6)),
        ("£ million", ("£", 1e6)),
        ("GBP thousand", ("£", 1e3)),
        ("£ per head", ("£ per head", 1.0)),
        ("%", ("%", 1.0)),
        ("", (None, 1.0)),
    ],
)
def test_unit_scale(unit, expected):
    assert unit_scale(unit) == expected


def test_population_bands():
    rows = [
        ("pop_0_17", None, "persons"),
        ("pop_0_25", "Population aged 0-25", "persons"),
        ("sen_2_18", "Pupils aged 2 to 18", "pupils"),
        ("cla_rate", None, None),
    ]
    assert pick_band("0-17", rows) == "pop_0_17"
    assert pick_band("0 to 25", rows) == "pop_0_25"
    assert pick_band("2-18", rows) == "sen_2_18"
    assert band_pattern("0-17").search("pop_10_17") is None  # 10-17 is not 0-17
    with pytest.raises(InputError, match="no population measure for ages 5-10"):
        pick_band("5-10", rows)
    with pytest.raises(InputError, match="neither a measure"):
        pick_band("children", rows)
    with pytest.raises(InputError, match="several measures"):
        pick_band("0-17", rows + [("population_0_17_revised", None, "persons")])
