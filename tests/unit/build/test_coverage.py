"""Which current authorities lack a value of each measure, and why (issue 17, item
3): each reason from a store built in the test, a same-area recode counted as one
authority, a period with no values at all one row, and the build's summary lines."""

from __future__ import annotations

import pytest

from lacompare.build import summarise_coverage
from lacompare.errors import InputError

HARTLEPOOL, MIDDLESBROUGH = "E06000001", "E06000002"
NORTHANTS, NORTH_NORTHANTS = "E10000021", "E06000061"
OLD_BUCKS, BUCKS = "E10000002", "E06000060"
KINGSTON, RICHMOND = "E09000021", "E09000027"


def _value(la: str, period: str, value: float | None = 1.0, **more) -> dict:
    row = {"la_code": la, "measure": "m", "period": period, "value": value}
    if value is None:
        row.setdefault("missing_reason", "suppressed")
    row.update(more)
    return row


def _gap(cov, la: str, measure: str = "m") -> dict:
    rows = cov.gaps[(cov.gaps["la_code"] == la) & (cov.gaps["measure"] == measure)]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


@pytest.fixture
def covered(store):
    """Measure m, 2019 and 2022: Hartlepool has values; Middlesbrough's 2022 is
    suppressed ('c'); Northamptonshire has 2019, North Northamptonshire 2022;
    Buckinghamshire 2019 on its old code and 2022 on its new one."""
    store.write_cells(
        [
            _value(HARTLEPOOL, "2019"),
            _value(HARTLEPOOL, "2022"),
            _value(MIDDLESBROUGH, "2019"),
            _value(MIDDLESBROUGH, "2022", None, raw="c"),
            _value(NORTHANTS, "2019"),
            _value(NORTH_NORTHANTS, "2022"),
            _value(OLD_BUCKS, "2019"),
            _value(BUCKS, "2022"),
        ],
        file="/data/m_2019_2022.csv",
    )
    return store


def test_a_suppressed_value_gives_the_publishers_symbol(covered) -> None:
    gap = _gap(summarise_coverage(covered, "m"), MIDDLESBROUGH)
    assert gap["why"] == "suppressed"
    assert gap["detail"].startswith("[c] suppressed")
    assert "the file has c" in gap["detail"]
    assert (gap["periods"], gap["n_periods"], gap["of_periods"]) == ("2022", 1, 2)
    assert gap["latest"]


def test_an_authority_created_later_did_not_exist_naming_its_predecessor(
    covered,
) -> None:
    gap = _gap(summarise_coverage(covered, "m"), NORTH_NORTHANTS)
    assert gap["why"] == "not-existing"
    assert gap["periods"] == "2019" and not gap["latest"]
    assert "created 1 Apr 2021" in gap["detail"]
    assert "published for Northamptonshire" in gap["detail"]


def test_a_same_area_recode_is_one_authority(covered) -> None:
    cov = summarise_coverage(covered, "m")
    assert BUCKS not in set(cov.gaps["la_code"])
    assert HARTLEPOOL not in set(cov.gaps["la_code"])
    # Abolished authorities are not listed: only today's.
    assert not {NORTHANTS, OLD_BUCKS} & set(cov.gaps["la_code"])


def test_an_authority_absent_from_the_file_names_the_file(covered) -> None:
    cov = summarise_coverage(covered, "m")
    gap = _gap(cov, "E06000003")  # Redcar and Cleveland: no rows
    assert gap["why"] == "not-in-file"
    assert gap["detail"] == "no row for it in m_2019_2022.csv"
    assert gap["periods"] == "2019, 2022" and gap["n_periods"] == 2
    assert cov.authorities == 153 and cov.measures == 1


def test_a_joint_return_names_the_partner(covered) -> None:
    covered.con.execute(
        "INSERT INTO totals (area_code, area_name, measure, period, value, "
        "source_id) VALUES (?, 'Kingston upon Thames / Richmond upon Thames', "
        "'m', '2022', 7, 1)",
        [f"{KINGSTON};{RICHMOND}"],
    )
    cov = summarise_coverage(covered, "m")
    kingston = cov.gaps[cov.gaps["la_code"] == KINGSTON].set_index("why")
    assert kingston.loc["joint-return", "periods"] == "2022"
    assert "jointly with Richmond upon Thames" in kingston.loc["joint-return", "detail"]
    assert kingston.loc["not-in-file", "periods"] == "2019"
    richmond = cov.gaps[cov.gaps["la_code"] == RICHMOND].set_index("why")
    assert "jointly with Kingston upon Thames" in richmond.loc["joint-return", "detail"]


def test_a_period_with_no_values_is_one_row(store) -> None:
    store.write_cells(
        [_value(HARTLEPOOL, "2012", None, missing_reason="blank")]
        + [_value(MIDDLESBROUGH, "2012", None, missing_reason="blank")]
        + [_value(HARTLEPOOL, "2013")],
        file="m.csv",
    )
    cov = summarise_coverage(store)
    empty = cov.gaps[cov.gaps["why"] == "no-values-in-period"]
    assert empty[["la_code", "la_name", "periods"]].values.tolist() == [
        ["", "every authority", "2012"]
    ]
    # Middlesbrough is listed for 2013 only (no row), not for the empty 2012.
    assert _gap(cov, MIDDLESBROUGH)["periods"] == "2013"


def test_the_total_breakdown_decides_where_there_is_one(store) -> None:
    store.write_cells(
        [
            _value(HARTLEPOOL, "2024"),
            _value(MIDDLESBROUGH, "2024", breakdown="girls"),
            {**_value(HARTLEPOOL, "2024"), "measure": "only_parts", "breakdown": "a"},
        ],
        file="m.csv",
    )
    cov = summarise_coverage(store, authorities=["Hartlepool", "Middlesbrough"])
    assert _gap(cov, MIDDLESBROUGH)["why"] == "not-in-file"
    assert HARTLEPOOL not in set(cov.gaps[cov.gaps["measure"] == "only_parts"].la_code)
    assert set(cov.gaps["la_code"]) == {MIDDLESBROUGH}


def test_selecting_by_authority_latest_and_reason(covered) -> None:
    cov = summarise_coverage(covered, "m", authorities=["Middlesbrough", "940"])
    assert set(cov.gaps["la_code"]) == {MIDDLESBROUGH, NORTH_NORTHANTS}
    assert cov.select(latest=True)["la_code"].tolist() == [MIDDLESBROUGH]
    assert cov.select(why="[c]")["la_code"].tolist() == [MIDDLESBROUGH]
    assert cov.select(why="not-existing")["la_code"].tolist() == [NORTH_NORTHANTS]
    assert cov.select(why="joint-return").empty
    with pytest.raises(InputError, match="no reason 'hidden'"):
        cov.select(why="hidden")
    with pytest.raises(InputError, match="Leicestr"):
        summarise_coverage(covered, "m", authorities=["Leicestr"])
    with pytest.raises(InputError, match="no values of 'n' in the store"):
        summarise_coverage(covered, ["m", "n"])


def test_summary_lines_count_the_latest_gaps_by_reason(covered) -> None:
    cov = summarise_coverage(covered, "m")
    lines = cov.summary_lines("lacompare coverage --db x.duckdb")
    assert lines[0].startswith(
        "coverage: 1 of 1 measures lacks a value for some of the 153 current "
        "authorities in its latest period: "
    )
    latest = cov.select(latest=True)
    assert f"{len(latest)} gaps (" in lines[0]
    assert "1 [c]" in lines[0] and "not in the file" in lines[0]
    earlier = next(line for line in lines if "earlier periods only" in line)
    assert "did not exist yet" in earlier
    assert any(line.strip().startswith("key: [c] suppressed") for line in lines)
    assert lines[-1].endswith("lacompare coverage --db x.duckdb")


def test_an_empty_store_says_so(store) -> None:
    cov = summarise_coverage(store)
    assert cov.gaps.empty and cov.measures == 0
    assert cov.summary_lines() == ["coverage: no measures in the store"]
