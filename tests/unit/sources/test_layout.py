"""Finding the header row of a table and naming its columns."""

from __future__ import annotations

import pytest

from lacompare.provenance import IssueLog
from lacompare.sources._layout import (
    find_header_row,
    header_block_start,
    header_names,
)

AGES = [str(a) for a in range(26)]


# --- find_header_row ---------------------------------------------------------


def test_header_is_found_below_titles_notes_and_blank_rows() -> None:
    rows = [
        ["Table 1: population by authority"],
        ["Source: ONS"],
        [],
        [],
        ["la", "pop", "rate"],
        ["Leeds", "450,047", "0.53"],
        ["York", "c", "1"],
    ]
    assert find_header_row(rows) == 4


def test_a_row_of_numbers_is_data_not_a_header() -> None:
    rows = [["Leeds", "1", "2", "3"], ["York", "4", "5", "6"]]
    assert find_header_row(rows) is None


def test_years_are_headings_not_numbers() -> None:
    rows = [["la", "2019", "2020", "2021-22"], ["Leeds", "1", "2", "3"]]
    assert find_header_row(rows) == 0


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(["Leeds"] + [str(n * 7) for n in range(26)], id="label-column"),
        pytest.param(
            ["Leeds"] + ["c"] * 3 + [str(n * 7) for n in range(23)],
            id="suppressed-cells",
        ),
        pytest.param(
            ["E08000035", "Leeds"] + [str(n * 3 + 1) for n in range(26)],
            id="code-and-name",
        ),
    ],
)
def test_numeric_headings_ages_0_to_25_are_a_header(data: list[str]) -> None:
    # Heading and data rows hold the same share of numbers (or the data fewer,
    # when cells are suppressed): the headings count up 0, 1, 2 … instead.
    header = (["la_code", "la"] if data[0].startswith("E08") else ["la"]) + AGES
    rows = [["Table 3: children by age"], [], header, data, data]
    assert find_header_row(rows) == 2


def test_numeric_headings_above_rows_with_more_numbers() -> None:
    rows = [["la", "0", "1", "Total"], ["1", "2", "3", "6"]]
    assert find_header_row(rows) == 0


def test_data_counting_up_below_a_real_header_does_not_move_it() -> None:
    rows = [["la", "a", "b", "c"], ["Leeds", "1", "2", "3"]]
    assert find_header_row(rows) == 0


def test_header_needs_two_filled_cells() -> None:
    assert find_header_row([["only"], ["one"], ["column"]]) is None
    assert find_header_row([]) is None


def test_header_at_the_end_of_a_table_with_no_rows() -> None:
    assert find_header_row([["Title"], [], ["la", "pop"]]) == 2


def test_a_narrow_notes_row_above_the_table_is_not_the_header() -> None:
    rows = [
        ["Notes", "see below"],
        ["la", "pop", "rate", "count"],
        ["Leeds", "1", "2", "3"],
    ]
    assert find_header_row(rows) == 1


# --- header_block_start ------------------------------------------------------


def test_merged_upper_row_joins_the_header_block() -> None:
    rows = [
        ["Table 1"],
        [],
        ["", "2021", "", "2022", ""],
        ["la", "Funding", "FTE", "Funding", "FTE"],
        ["Leeds", "1", "2", "3", "4"],
    ]
    index = find_header_row(rows)
    assert index == 3
    assert header_block_start(rows, index, 2) == 2


def test_a_title_directly_above_is_not_part_of_the_header() -> None:
    rows = [["Table 1: funding"], ["la", "Funding", "FTE"], ["Leeds", "1", "2"]]
    assert header_block_start(rows, 1, 2) == 1


def test_one_row_header_never_moves() -> None:
    rows = [["", "2021", ""], ["la", "Funding", "FTE"], ["Leeds", "1", "2"]]
    assert header_block_start(rows, 1, 1) == 1


def test_header_block_stops_at_the_top_of_the_sheet() -> None:
    rows = [["", "2021", ""], ["la", "Funding", "FTE"]]
    assert header_block_start(rows, 1, 3) == 0


# --- header_names ------------------------------------------------------------


def test_duplicate_and_blank_headings_are_made_unique_with_an_issue_each() -> None:
    log = IssueLog()
    names = header_names([["la", "", "pop", "POP", "pop"]], log, "f.csv", None, 3)
    assert names == ["la", "column B", "pop", "POP (2)", "pop (3)"]
    blank = log.of_kind("blank-header")
    duplicate = log.of_kind("duplicate-header")
    assert [(i.row, i.column) for i in blank] == [(3, "B")]
    assert [(i.row, i.column) for i in duplicate] == [(3, "D"), (3, "E")]
    assert all(i.file == "f.csv" for i in log)
    assert "POP (2)" in duplicate[0].message


def test_trailing_blank_headings_are_dropped_not_named() -> None:
    log = IssueLog()
    assert header_names([["la", "pop", "", ""]], log, "f.csv", None, 1) == ["la", "pop"]
    assert len(log) == 0


def test_two_row_header_carries_merged_labels_right() -> None:
    log = IssueLog()
    names = header_names(
        [["la", "2021", "", "2022", ""], ["", "Funding", "FTE", "Funding", "FTE"]],
        log,
        "f.xlsx",
        "Data",
        4,
    )
    assert names == ["la", "2021 Funding", "2021 FTE", "2022 Funding", "2022 FTE"]
    assert len(log) == 0


def test_a_label_repeated_by_merging_appears_once() -> None:
    log = IssueLog()
    names = header_names([["la", "pop"], ["la", "total"]], log, "f.csv", None, 1)
    assert names == ["la", "pop total"]


def test_whitespace_inside_headings_is_collapsed() -> None:
    log = IssueLog()
    assert header_names([[" local\n authority ", "pop\t2021"]], log, "f", None, 1) == [
        "local authority",
        "pop 2021",
    ]


def test_sheet_is_named_in_header_issues() -> None:
    log = IssueLog()
    header_names([["la", "la"]], log, "f.xlsx", "Data", 2)
    (issue,) = log
    assert issue.where() == "f.xlsx, sheet 'Data', row 2, column B"


def test_no_header_rows_give_no_names() -> None:
    assert header_names([], IssueLog(), "f", None, 1) == []
    assert header_names([["", " "]], IssueLog(), "f", None, 1) == []
