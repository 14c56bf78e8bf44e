"""Each authority counted once in distributions (issue 16 item 9, issue 17 item 5):
summary and compare count the authorities that existed at the period's date, never
a council beside the successors that replaced it."""

from __future__ import annotations

import pytest

from lacompare.analysis import compare, summarise
from lacompare.geography import read_authorities

CUMBRIA, CUMBERLAND, WESTMORLAND = "E10000006", "E06000063", "E06000064"
NY_COUNTY, NY_UNITARY = "E10000023", "E06000065"
LANCASHIRE, LEEDS = "E10000017", "E08000035"

#: (la_code, period, value): Cumbria split on 1 April 2023, North Yorkshire recoded.
ROWS = [
    (CUMBRIA, "2021", 81),
    (CUMBRIA, "2022", 81),
    (CUMBRIA, "2023", 82),
    (CUMBRIA, "2024", 80),  # filed after its abolition: not counted
    (CUMBERLAND, "2022", 10),  # filed before it existed: not counted
    (CUMBERLAND, "2024", 93),
    (CUMBERLAND, "2025", 87),
    (WESTMORLAND, "2024", 63),
    (WESTMORLAND, "2025", 67),
    (NY_COUNTY, "2021", 37),
    (NY_COUNTY, "2022", 38),
    (NY_COUNTY, "2023", 40),
    (NY_UNITARY, "2024", 44),
    (NY_UNITARY, "2025", 48),
    *[(LANCASHIRE, str(y), 60 + y - 2021) for y in range(2021, 2026)],
    *[(LEEDS, str(y), 90 - y + 2021) for y in range(2021, 2026)],
]


@pytest.fixture
def reorganised(store):
    store.con.execute("INSERT INTO sources (file, sha256) VALUES ('f', 'x')")
    store.con.execute(
        "INSERT INTO measures (measure, unit, polarity, "
        "reference_date) VALUES ('rate', 'per 10,000', "
        "'higher-is-worse', '31 March')"
    )
    store.con.executemany(
        "INSERT INTO observation_cells (la_code, measure, period, value, source_id) "
        "VALUES (?, 'rate', ?, ?, 1)",
        ROWS,
    )
    return store


def _england(summary) -> dict:
    return summary.table.set_index("region").loc["England"].to_dict()


def _existing(day: str) -> int:
    reg = read_authorities()
    return int(
        (
            (reg["valid_from"] <= day)
            & ((reg["valid_to"] == "") | (reg["valid_to"] >= day))
        ).sum()
    )


def test_one_period_counts_the_authorities_of_its_date(reorganised) -> None:
    s = summarise(reorganised, "rate", periods="2024")
    # Cumberland, Westmorland and Furness, North Yorkshire, Lancashire, Leeds.
    assert _england(s)["n"] == 5
    assert set(s.values.dropna(subset=["value"])["la_code"]) == {
        CUMBERLAND,
        WESTMORLAND,
        NY_UNITARY,
        LANCASHIRE,
        LEEDS,
    }
    assert any(
        "1 value of an authority in a period it did not exist in is not "
        "counted: Cumbria 2024" in n
        for n in s.notes()
    )
    s = summarise(reorganised, "rate", periods="2022")
    assert _england(s)["n"] == 4  # Cumbria, North Yorkshire CC, Lancashire, Leeds
    assert any("Cumberland 2022" in n for n in s.notes())
    assert _england(s)["max"] == 89  # Leeds; and not Cumberland's 10 as the min
    assert _england(s)["min"] == 38


def test_a_window_counts_the_authorities_of_its_last_period(reorganised) -> None:
    s = summarise(reorganised, "rate", periods="2021:2025", per_la="mean")
    eng = _england(s)
    assert eng["n"] == 5  # not 6: Cumbria is not counted beside its successors
    left = s.excluded.set_index("la_code")["reason"]
    assert left[CUMBRIA] == (
        "abolished 2023-04-01, before 2025; its area is "
        "counted under Cumberland and Westmorland and Furness"
    )
    figures = s.values.set_index("la_code")["value"]
    assert figures[CUMBERLAND] == 90.0  # 2024 and 2025, not the 2022 value
    # A same-area recode is one lineage, counted once under its new code.
    assert figures[NY_UNITARY] == pytest.approx((37 + 38 + 40 + 44 + 48) / 5)
    assert NY_COUNTY not in figures.index
    assert any(n.startswith("each authority counted once") for n in s.notes())


def test_pooled_counts_each_authority_once_per_period(reorganised) -> None:
    s = summarise(reorganised, "rate", periods="2021:2025", per_la="pooled")
    # 2021-2023: 4 authorities each; 2024-2025: 5 each.
    assert _england(s)["n"] == 3 * 4 + 2 * 5


def test_england_n_is_never_above_the_authorities_of_the_day(reorganised) -> None:
    for year in ("2021", "2022", "2023", "2024", "2025"):
        n = _england(summarise(reorganised, "rate", periods=year))["n"]
        assert n <= _existing(f"{year}-03-31")
    assert _existing("2022-03-31") == 152 and _existing("2024-03-31") == 153


def test_compare_ranks_among_the_authorities_of_the_period(reorganised) -> None:
    c = compare(reorganised, "Lancashire", "rate", period="2024", against=["england"])
    row = c.table.iloc[0]
    assert int(row["rank_of"]) == 5  # Cumbria's 2024 value is not in the ranks
    gone = c.excluded.set_index("la_code")["reason"]
    assert gone[CUMBRIA] == "did not exist on 2024-03-31"
    assert any("did not exist on 2024-03-31): Cumbria" in n for n in c.notes())
    c = compare(reorganised, "Lancashire", "rate", period="2022", against=["england"])
    assert int(c.table.iloc[0]["rank_of"]) == 4
    assert set(c.excluded["la_code"]) == {CUMBERLAND}
