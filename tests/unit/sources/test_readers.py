"""read_raw: CSV, XLSX, ODS and Parquet files into DuckDB tables of text cells.

Every file is built inside the test. Row numbers are checked against the line or
row a user sees when they open the file, by evaluating ``row_sql`` in DuckDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lacompare.errors import InputError, LacompareError
from lacompare.sources import RawTable, _readers, cell_text, list_sheets, read_raw

AGES = [str(a) for a in range(26)]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def rows_of(con: duckdb.DuckDBPyConnection, raw: RawTable) -> list[tuple[Any, ...]]:
    """(row number, cells …) for every row, in file order."""
    cells = ", ".join(raw.columns)
    return con.execute(
        f"SELECT CAST({raw.row_sql} AS BIGINT) AS n, {cells} "
        f"FROM {raw.relation} ORDER BY n"
    ).fetchall()


def save(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))  # newlines exactly as written
    else:
        path.write_bytes(data)
    return path


def assert_numbers_are_lines(path: Path, rows: list[tuple[Any, ...]]) -> None:
    """Each row's number is the line of the file it starts on."""
    lines = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").split("\n")
    for number, first, *_ in rows:
        assert lines[number - 1].lstrip('"').startswith(first), (number, first)


def xlsx(path: Path, build: Callable[[Any, Any], None]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    build(book, book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()
    return path


def one_line_naming(exc: pytest.ExceptionInfo[InputError], path: Path) -> str:
    message = str(exc.value)
    assert "\n" not in message
    assert path.name in message
    return message


# --- CSV: finding the header ---------------------------------------------------


def test_csv_header_below_title_and_blank_rows(con, tmp_path) -> None:
    path = save(
        tmp_path,
        "pop.csv",
        'Table 1: population\nSource: ONS\n\nla,pop\nLeeds,"450,047"\nYork,c\n',
    )
    raw = read_raw(con, path)
    assert raw.headers == ["la", "pop"]
    assert raw.header_row == 4  # the line a user sees, 1-based
    assert raw.n_rows == 2
    assert raw.columns == ["c0", "c1"]
    assert rows_of(con, raw) == [(5, "Leeds", "450,047"), (6, "York", "c")]
    assert raw.file == str(path) and raw.sheet is None


def test_csv_numeric_headings_ages_are_a_header(con, tmp_path) -> None:
    data = ["Leeds"] + [str(100 + 3 * a) for a in range(26)]
    path = save(
        tmp_path,
        "ages.csv",
        "Children by single year of age\n\n"
        + ",".join(["la", *AGES])
        + "\n"
        + ",".join(data)
        + "\n"
        + ",".join(["York", "c", *data[2:]])
        + "\n",
    )
    raw = read_raw(con, path)
    assert raw.header_row == 3
    assert raw.headers == ["la", *AGES]
    assert [r[:3] for r in rows_of(con, raw)] == [(4, "Leeds", "100"), (5, "York", "c")]


def test_csv_explicit_header_row(con, tmp_path) -> None:
    # Detection would take the notes row (two words); the user knows better.
    path = save(tmp_path, "t.csv", "notes,more notes\nla,pop\nLeeds,1\n")
    assert read_raw(con, path).headers == ["notes", "more notes"]
    raw = read_raw(con, path, header_row=2)
    assert raw.headers == ["la", "pop"] and raw.header_row == 2
    assert rows_of(con, raw) == [(3, "Leeds", "1")]


@pytest.mark.parametrize("header_row", [0, 9])
def test_csv_header_row_outside_the_file(con, tmp_path, header_row) -> None:
    path = save(tmp_path, "t.csv", "la,pop\nLeeds,1\n")
    with pytest.raises(InputError, match=f"header row {header_row} is outside"):
        read_raw(con, path, header_row=header_row)


def test_csv_blank_header_row_is_an_error_not_a_crash(con, tmp_path) -> None:
    path = save(tmp_path, "t.csv", "Title\n\nla,pop\nLeeds,1\n")
    with pytest.raises(InputError, match="header row 2 is blank") as err:
        read_raw(con, path, header_row=2)
    assert err.value.row == 2
    one_line_naming(err, path)


def test_csv_two_row_header(con, tmp_path) -> None:
    path = save(
        tmp_path,
        "t.csv",
        "Table 2\n\n,2021,,2022,\nla,Funding,FTE,Funding,FTE\nLeeds,1,2,3,4\n",
    )
    expected = ["la", "2021 Funding", "2021 FTE", "2022 Funding", "2022 FTE"]
    detected = read_raw(con, path, header_rows=2)
    assert detected.headers == expected and detected.header_row == 3
    assert rows_of(con, detected) == [(5, "Leeds", "1", "2", "3", "4")]
    explicit = read_raw(con, path, header_row=3, header_rows=2)
    assert explicit.headers == expected


def test_csv_header_with_a_line_break_in_a_heading(con, tmp_path) -> None:
    path = save(tmp_path, "t.csv", '"local\nauthority",pop\nLeeds,1\nYork,2\n')
    raw = read_raw(con, path)
    assert raw.headers == ["local authority", "pop"] and raw.header_row == 1
    assert rows_of(con, raw) == [(3, "Leeds", "1"), (4, "York", "2")]


def test_csv_duplicate_and_blank_headings_are_unique_with_an_issue_each(
    con, tmp_path
) -> None:
    path = save(tmp_path, "t.csv", "la,,pop,Pop\nLeeds,x,1,2\n")
    raw = read_raw(con, path)
    assert raw.headers == ["la", "column B", "pop", "Pop (2)"]
    assert [(i.kind, i.row, i.column) for i in raw.issues] == [
        ("blank-header", 1, "B"),
        ("duplicate-header", 1, "D"),
    ]
    assert all(i.file == str(path) for i in raw.issues)
    assert rows_of(con, raw) == [(2, "Leeds", "x", "1", "2")]


def test_csv_with_no_table(con, tmp_path) -> None:
    path = save(tmp_path, "notes.csv", "Just a note\nAnd another\n")
    with pytest.raises(InputError, match="no table found") as err:
        read_raw(con, path)
    one_line_naming(err, path)


# --- CSV: row numbers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fast", "expected"),
    [
        pytest.param(
            "la,pop\nLeeds,1\nYork,2\n",
            True,
            [(2, "Leeds", "1"), (3, "York", "2")],
            id="plain",
        ),
        pytest.param(
            "la,pop\r\nLeeds,1\r\nYork,2",
            True,
            [(2, "Leeds", "1"), (3, "York", "2")],
            id="crlf-no-final-newline",
        ),
        pytest.param(
            "la,pop\nLeeds,1\nYork,2\n\n\n",
            True,
            [(2, "Leeds", "1"), (3, "York", "2")],
            id="trailing-blank-lines",
        ),
        pytest.param(
            "Title\n\nla,pop\nLeeds,1\n\nYork,2\n",
            False,
            [(4, "Leeds", "1"), (6, "York", "2")],
            id="blank-line-mid-table",
        ),
        pytest.param(
            "la,pop\r\nLeeds,1\r\n\r\n\r\nYork,2\r\n",
            False,
            [(2, "Leeds", "1"), (5, "York", "2")],
            id="crlf-blank-lines",
        ),
        pytest.param(
            'la,note\nLeeds,"two\nlines"\nYork,b\n',
            False,
            [(2, "Leeds", "two\nlines"), (4, "York", "b")],
            id="line-break-in-a-cell",
        ),
        pytest.param(
            "la,pop\rLeeds,1\rYork,2\r",
            False,
            [(2, "Leeds", "1"), (3, "York", "2")],
            id="cr-line-ends",
        ),
    ],
)
def test_csv_row_numbers_are_the_lines_a_user_sees(
    con, tmp_path, text, fast, expected
) -> None:
    path = save(tmp_path, "t.csv", text)
    raw = read_raw(con, path)
    rows = rows_of(con, raw)
    assert rows == expected
    # The fast path numbers rows by rowid; the Python fallback stores _row.
    assert raw.row_sql.startswith("(rowid") is fast
    if "\r" not in text.replace("\r\n", ""):
        assert_numbers_are_lines(path, rows)


def test_csv_read_with_a_big_buffer_keeps_every_row_at_its_line(
    con, tmp_path, monkeypatch
) -> None:
    # Files larger than BIG_CSV_BUFFER are read with it; rows must still come back
    # in the file's order, numbered by their lines.
    monkeypatch.setattr(_readers, "BIG_CSV_BUFFER", 1 << 20)
    lines = "".join(f"Leeds,{i + 2}\n" for i in range(400_000))
    path = save(tmp_path, "t.csv", "la,line\n" + lines)
    assert path.stat().st_size > 3 << 20
    raw = read_raw(con, path)
    assert raw.row_sql.startswith("(rowid")
    assert con.execute(
        f"SELECT count(*), count(*) FILTER ({raw.row_sql} = "
        f"CAST(c1 AS BIGINT)) FROM {raw.relation}"
    ).fetchall() == [(400_000, 400_000)]


def test_csv_row_numbers_on_the_python_path_after_a_ragged_row(con, tmp_path) -> None:
    # DuckDB refuses a row with a third (filled) cell under strict mode; the
    # Python reader names it.
    path = save(tmp_path, "t.csv", "la,pop\nLeeds,1\n\nYork,2,3\n")
    with pytest.raises(InputError, match="3 cells but the header has 2") as err:
        read_raw(con, path)
    assert (err.value.row, err.value.column) == (4, "C")
    one_line_naming(err, path)


def test_csv_blank_extra_cells_are_not_an_error(con, tmp_path) -> None:
    path = save(tmp_path, "t.csv", "la,pop\nLeeds,1,,\n\nYork,2\n")
    raw = read_raw(con, path)
    assert rows_of(con, raw) == [(2, "Leeds", "1"), (4, "York", "2")]


def test_csv_short_rows_are_padded_with_nulls(con, tmp_path) -> None:
    path = save(tmp_path, "t.csv", "la,pop,rate\nLeeds,1\nYork\n")
    raw = read_raw(con, path)
    assert rows_of(con, raw) == [(2, "Leeds", "1", None), (3, "York", None, None)]


def test_csv_big_file_with_blank_lines_keeps_the_fast_reader_and_says_so(
    con, tmp_path, monkeypatch
) -> None:
    # Above the size the Python reader is allowed, a blank line cannot be
    # numbered exactly: the user is told, not misled silently.
    monkeypatch.setattr(_readers, "PYTHON_CSV_BYTES", 0)
    path = save(tmp_path, "t.csv", "la,pop\nLeeds,1\n\nYork,2\n")
    raw = read_raw(con, path)
    assert raw.row_sql.startswith("(rowid")
    assert [i.kind for i in raw.issues] == ["row-numbers"]


def test_csv_big_file_refused_by_duckdb_is_an_error(con, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(_readers, "PYTHON_CSV_BYTES", 0)
    path = save(tmp_path, "t.csv", "la,pop\nLeeds,1,3\n")
    with pytest.raises(InputError, match="cannot read as CSV") as err:
        read_raw(con, path)
    one_line_naming(err, path)


# --- CSV: cells kept as text -----------------------------------------------------


def test_csv_cells_are_kept_exactly_as_text(con, tmp_path) -> None:
    path = save(
        tmp_path,
        "t.csv",
        'la,a,b,c,d\nLeeds,"(1,792)",c,"450,047",0.530\nYork,[x],-,£5,12%\n',
    )
    raw = read_raw(con, path)
    assert rows_of(con, raw) == [
        (2, "Leeds", "(1,792)", "c", "450,047", "0.530"),
        (3, "York", "[x]", "-", "£5", "12%"),
    ]


@pytest.mark.parametrize(
    ("text", "delim"),
    [
        ("la;pop;cost\nLeeds;1,5;£5\nYork;2;£6\n", ";"),
        ("la\tpop\tcost\nLeeds\t1,5\t£5\nYork\t2\t£6\n", "\t"),
        ("la|pop|cost\nLeeds|1,5|£5\nYork|2|£6\n", "|"),
    ],
    ids=["semicolon", "tab", "pipe"],
)
def test_csv_delimiters_are_sniffed(con, tmp_path, text, delim) -> None:
    path = save(tmp_path, "t.csv", text)
    raw = read_raw(con, path)
    assert raw.headers == ["la", "pop", "cost"]
    assert rows_of(con, raw) == [(2, "Leeds", "1,5", "£5"), (3, "York", "2", "£6")]


def test_a_header_longer_than_the_sniffed_sample_is_sniffed_whole(
    con, tmp_path
) -> None:
    # The delimiter is guessed from the first 16 KB, or the first two lines when
    # they are longer: a wide file's header (and a row) are seen whole.
    headings = ["la"] + [f"measure {i:04d}" for i in range(2000)]
    assert len(";".join(headings)) > _readers.SNIFF_CHARS
    rows = [";".join([n] + [f"{i},5" for i in range(2000)]) for n in ("Leeds", "York")]
    path = save(tmp_path, "wide.csv", "\n".join([";".join(headings), *rows]) + "\n")
    raw = read_raw(con, path)
    assert raw.headers[:2] == ["la", "measure 0000"] and len(raw.headers) == 2001


def test_tsv_suffix_means_tab(con, tmp_path) -> None:
    path = save(tmp_path, "t.tsv", "la\tpop, total\nLeeds\t1\n")
    assert read_raw(con, path).headers == ["la", "pop, total"]


# --- CSV: encodings -------------------------------------------------------------

ENCODED = "la,cost\nLeeds,£5\nYork,£6\n"


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("cp1252", "cp1252"),
        ("latin-1", "cp1252"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),  # no BOM: every other byte NUL
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_csv_encodings_read_pound_signs(con, tmp_path, encoding, reported) -> None:
    path = save(tmp_path, "t.csv", ENCODED.encode(encoding))
    raw = read_raw(con, path)
    assert rows_of(con, raw) == [(2, "Leeds", "£5"), (3, "York", "£6")]
    (issue,) = raw.issues.of_kind("encoding")
    assert issue.message == f"read as {reported}" and issue.severity == "info"


def test_csv_cp1252_with_longer_text(con, tmp_path) -> None:
    text = "Table 1: spend (£ thousands)\n\nla,spend\n" + "".join(
        f"Authority {i},£{i}’s\n" for i in range(50)
    )
    raw = read_raw(con, save(tmp_path, "t.csv", text.encode("cp1252")))
    assert rows_of(con, raw)[-1] == (53, "Authority 49", "£49’s")


def test_csv_utf8_bom_is_not_part_of_the_first_heading(con, tmp_path) -> None:
    path = save(tmp_path, "t.csv", b"\xef\xbb\xbf" + ENCODED.encode())
    raw = read_raw(con, path)
    assert raw.headers == ["la", "cost"]
    assert rows_of(con, raw) == [(2, "Leeds", "£5"), (3, "York", "£6")]
    assert len(raw.issues) == 0


def test_csv_mixed_encodings_are_an_error_at_the_first_odd_line(con, tmp_path) -> None:
    data = "la,cost\nLeeds,£5\n".encode() + "York,£6\n".encode("cp1252")
    path = save(tmp_path, "t.csv", data)
    with pytest.raises(InputError, match="mixes UTF-8") as err:
        read_raw(con, path)
    assert err.value.row == 3
    one_line_naming(err, path)


def test_csv_cut_short_mid_character(con, tmp_path) -> None:
    path = save(tmp_path, "t.csv", "la,cost\nLeeds,£5\nYork,£".encode()[:-1])
    with pytest.raises(InputError, match="part-way through a character") as err:
        read_raw(con, path)
    assert err.value.row == 3


def test_csv_invalid_utf8_after_the_sniffed_part(con, tmp_path, monkeypatch) -> None:
    # The encoding is guessed from the first SNIFF_BYTES; a bad byte later must
    # still be an error naming its line, not a UnicodeDecodeError.
    monkeypatch.setattr(_readers, "SNIFF_BYTES", 64)
    data = b"la,pop\n" + b"Leeds,1\n" * 20 + b"York,\xff\n"
    path = save(tmp_path, "t.csv", data)
    with pytest.raises(InputError, match="not valid UTF-8") as err:
        read_raw(con, path)
    assert err.value.row == 22
    one_line_naming(err, path)


def test_csv_larger_than_the_sniffed_part(con, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(_readers, "SNIFF_BYTES", 64)
    path = save(
        tmp_path,
        "t.csv",
        "la,pop\n" + "".join(f"Authority {i},{i}\n" for i in range(100)),
    )
    raw = read_raw(con, path)
    assert raw.n_rows == 100
    assert rows_of(con, raw)[-1] == (101, "Authority 99", "99")


# --- CSV: malformed ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ['la,pop\nLeeds,"450', 'la,pop\nLeeds,"1\nYork,2\n'],
    ids=["cut-mid-quote", "quote-never-closed"],
)
def test_csv_unclosed_quote_is_an_error_not_a_swallowed_row(
    con, tmp_path, text
) -> None:
    path = save(tmp_path, "t.csv", text)
    with pytest.raises(InputError, match="quote .* never closed") as err:
        read_raw(con, path)
    assert err.value.row == 2
    one_line_naming(err, path)


def test_csv_cell_too_long_to_be_real(con, tmp_path) -> None:
    path = save(tmp_path, "t.csv", 'la,pop\nLeeds,"' + "x" * 200_000 + '"\n')
    with pytest.raises(InputError, match="field limit") as err:
        read_raw(con, path)
    one_line_naming(err, path)


def test_csv_only_a_header(con, tmp_path) -> None:
    raw = read_raw(con, save(tmp_path, "t.csv", "la,pop\n"))
    assert raw.headers == ["la", "pop"] and raw.n_rows == 0
    assert rows_of(con, raw) == []


# --- files that are not tables ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\r\n\t", "file is empty"),
        (b"\xef\xbb\xbf", "file is empty"),
        (b"\xef\xbb\xbf\r\n \n", "file is empty"),
        (bytes(range(256)) * 4, "binary content"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
    ],
    ids=["empty", "whitespace", "bom-only", "bom-and-blank-lines", "binary", "png"],
)
def test_not_a_table(con, tmp_path, data, message) -> None:
    path = save(tmp_path, "data.csv", data)
    with pytest.raises(InputError, match=message) as err:
        read_raw(con, path)
    one_line_naming(err, path)


def test_missing_file(con, tmp_path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InputError, match="file not found") as err:
        read_raw(con, path)
    assert err.value.file == str(path)
    one_line_naming(err, path)


def test_folder(con, tmp_path) -> None:
    folder = tmp_path / "tables.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="folder") as err:
        read_raw(con, folder)
    one_line_naming(err, folder)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_workbook_suffix_on_a_text_file(con, tmp_path, suffix) -> None:
    path = save(tmp_path, "t" + suffix, "la,pop\nLeeds,1\n")
    with pytest.raises(InputError, match="cannot read workbook") as err:
        read_raw(con, path)
    one_line_naming(err, path)


def test_errors_are_lacompare_errors() -> None:
    assert issubclass(InputError, LacompareError)


# --- workbooks -------------------------------------------------------------------


def _population(book: Any, date: Any) -> None:
    notes = book.add_worksheet("Notes")
    notes.write(0, 0, "About these statistics")
    notes.write(1, 0, "Source: ONS")
    data = book.add_worksheet("Data")
    data.write(0, 0, "Table 1: population")
    data.write_row(3, 0, ["la", "pop", "rate", "date", "note"])
    data.write_row(4, 0, ["Leeds", 450047.0, 0.53])
    data.write_datetime(4, 3, dt.datetime(2021, 3, 31), date)
    data.write(4, 4, "(1,792)")
    # rows 6 and 7 (1-based) left blank
    data.write_row(7, 0, ["York", "c", 1, None, "450,047"])
    data.write_datetime(7, 3, dt.datetime(2021, 6, 30, 12, 30), date)
    book.add_worksheet("Empty")


def test_xlsx_largest_sheet_chosen_and_said(con, tmp_path) -> None:
    path = xlsx(tmp_path / "pop.xlsx", _population)
    raw = read_raw(con, path)
    assert raw.sheet == "Data"
    (issue,) = raw.issues.of_kind("sheet")
    assert issue.severity == "info" and "'Data'" in issue.message
    assert issue.sheet == "Data"


def test_xlsx_header_rows_and_cells(con, tmp_path) -> None:
    path = xlsx(tmp_path / "pop.xlsx", _population)
    raw = read_raw(con, path, sheet="Data")
    assert raw.headers == ["la", "pop", "rate", "date", "note"]
    assert raw.header_row == 4
    assert raw.n_rows == 2
    assert len(raw.issues) == 0  # named: no "largest sheet" note
    # Blank rows 6-7 skipped, numbering kept; numbers as shown, dates as ISO.
    assert rows_of(con, raw) == [
        (5, "Leeds", "450047", "0.53", "2021-03-31", "(1,792)"),
        (8, "York", "c", "1", "2021-06-30 12:30:00", "450,047"),
    ]


def test_xlsx_named_sheet_that_does_not_exist(con, tmp_path) -> None:
    path = xlsx(tmp_path / "pop.xlsx", _population)
    with pytest.raises(InputError, match="no sheet 'Table 9'") as err:
        read_raw(con, path, sheet="Table 9")
    assert "sheets are: Notes, Data, Empty" in one_line_naming(err, path)


def test_xlsx_named_sheet_without_a_table(con, tmp_path) -> None:
    path = xlsx(tmp_path / "pop.xlsx", _population)
    with pytest.raises(InputError, match="no table found") as err:
        read_raw(con, path, sheet="Notes")
    assert err.value.sheet == "Notes"


def test_xlsx_no_sheet_has_a_table(con, tmp_path) -> None:
    def build(book: Any, date: Any) -> None:
        book.add_worksheet("Cover").write(0, 0, "Title")
        book.add_worksheet("Data").write(0, 0, "Table 1: nothing yet")

    path = xlsx(tmp_path / "t.xlsx", build)
    with pytest.raises(InputError, match="no table found in any sheet") as err:
        read_raw(con, path)
    assert "sheets are: Cover, Data" in one_line_naming(err, path)


def test_list_sheets(tmp_path) -> None:
    path = xlsx(tmp_path / "pop.xlsx", _population)
    assert list_sheets(path) == ["Notes", "Data", "Empty"]


def test_list_sheets_of_a_missing_or_broken_workbook(tmp_path) -> None:
    with pytest.raises(InputError, match="file not found"):
        list_sheets(tmp_path / "gone.xlsx")
    broken = save(tmp_path, "broken.xlsx", b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="cannot read workbook") as err:
        list_sheets(broken)
    one_line_naming(err, broken)


def test_xlsx_numeric_headings(con, tmp_path) -> None:
    def build(book: Any, date: Any) -> None:
        sheet = book.add_worksheet("Ages")
        sheet.write(0, 0, "Children by age")
        sheet.write_row(2, 0, ["la", *range(26)])  # written as numbers
        sheet.write_row(3, 0, ["Leeds", *[7 * a + 2 for a in range(26)]])
        sheet.write_row(4, 0, ["York", "c", *[3 * a + 5 for a in range(25)]])

    raw = read_raw(con, xlsx(tmp_path / "ages.xlsx", build))
    assert raw.header_row == 3
    assert raw.headers == ["la", *AGES]
    assert [r[:3] for r in rows_of(con, raw)] == [(4, "Leeds", "2"), (5, "York", "c")]


def _merged(book: Any, date: Any) -> None:
    sheet = book.add_worksheet("Funding")
    sheet.write(0, 0, "Table 2: funding and staff")
    sheet.merge_range(2, 0, 3, 0, "la")
    sheet.merge_range(2, 1, 2, 2, "2021")
    sheet.merge_range(2, 3, 2, 4, "2022")
    sheet.write_row(3, 1, ["Funding", "FTE", "Funding", "FTE"])
    sheet.write_row(4, 0, ["Leeds", 1, 2.5, 3, 4])
    sheet.write_row(5, 0, ["York", 5, 6, "c", 8])


@pytest.mark.parametrize("header_row", [None, 3])
def test_xlsx_merged_two_row_header(con, tmp_path, header_row) -> None:
    raw = read_raw(
        con, xlsx(tmp_path / "f.xlsx", _merged), header_row=header_row, header_rows=2
    )
    assert raw.headers == ["la", "2021 Funding", "2021 FTE", "2022 Funding", "2022 FTE"]
    assert raw.header_row == 3
    assert rows_of(con, raw) == [
        (5, "Leeds", "1", "2.5", "3", "4"),
        (6, "York", "5", "6", "c", "8"),
    ]


def test_xlsx_merged_upper_row_over_a_sparse_label_row(con, tmp_path) -> None:
    # Only the lower row is as wide as the table; the "2021"/"2022" row above
    # it is still part of a two-row header.
    def build(book: Any, date: Any) -> None:
        sheet = book.add_worksheet("Funding")
        sheet.write(0, 0, "Table 2")
        sheet.merge_range(2, 1, 2, 2, "2021")
        sheet.merge_range(2, 3, 2, 4, "2022")
        sheet.write_row(3, 0, ["la", "Funding", "FTE", "Funding", "FTE"])
        sheet.write_row(4, 0, ["Leeds", 1, 2, 3, 4])

    raw = read_raw(con, xlsx(tmp_path / "f.xlsx", build), header_rows=2)
    assert raw.headers == ["la", "2021 Funding", "2021 FTE", "2022 Funding", "2022 FTE"]
    assert raw.header_row == 3
    assert rows_of(con, raw) == [(5, "Leeds", "1", "2", "3", "4")]


def test_xlsx_explicit_header_row_and_blank_header_row(con, tmp_path) -> None:
    path = xlsx(tmp_path / "pop.xlsx", _population)
    raw = read_raw(con, path, sheet="Data", header_row=4)
    assert raw.headers[0] == "la"
    with pytest.raises(InputError, match="header row 3 is blank") as err:
        read_raw(con, path, sheet="Data", header_row=3)
    assert err.value.sheet == "Data"


def test_xlsx_duplicate_and_blank_headings(con, tmp_path) -> None:
    def build(book: Any, date: Any) -> None:
        sheet = book.add_worksheet("Data")
        sheet.write_row(0, 0, ["la", None, "pop", "pop"])
        sheet.write_row(1, 0, ["Leeds", "x", 1, 2])

    raw = read_raw(con, xlsx(tmp_path / "t.xlsx", build))
    assert raw.headers == ["la", "column B", "pop", "pop (2)"]
    assert [(i.kind, i.sheet, i.row, i.column) for i in raw.issues] == [
        ("blank-header", "Data", 1, "B"),
        ("duplicate-header", "Data", 1, "D"),
    ]


def test_xlsx_cell_outside_the_table_is_an_issue(con, tmp_path) -> None:
    def build(book: Any, date: Any) -> None:
        sheet = book.add_worksheet("Data")
        sheet.write_row(0, 0, ["la", "pop"])
        sheet.write_row(1, 0, ["Leeds", 1, None, "footnote 1"])

    raw = read_raw(con, xlsx(tmp_path / "t.xlsx", build))
    (issue,) = raw.issues.of_kind("cell-outside-table")
    assert (issue.row, issue.column, issue.value) == (2, "D", "footnote 1")


def test_xlsx_header_only(con, tmp_path) -> None:
    def build(book: Any, date: Any) -> None:
        book.add_worksheet("Data").write_row(0, 0, ["la", "pop"])

    raw = read_raw(con, xlsx(tmp_path / "t.xlsx", build))
    assert raw.headers == ["la", "pop"] and raw.n_rows == 0


def test_ods_via_pandas(con, tmp_path) -> None:
    import pandas as pd

    path = tmp_path / "pop.ods"
    frame = pd.DataFrame(
        [
            ["Table 1: population", None, None, None],
            [None, None, None, None],
            ["la", "pop", "rate", "note"],
            ["Leeds", 450047.0, 0.53, "(1,792)"],
            ["York", None, 1.25, "c"],
            ["Hull", 3.0, None, "450,047"],
        ],
        dtype=object,
    )
    frame.to_excel(path, engine="odf", sheet_name="Data", header=False, index=False)
    raw = read_raw(con, path)
    assert raw.sheet == "Data" and raw.header_row == 3
    assert raw.headers == ["la", "pop", "rate", "note"]
    assert rows_of(con, raw) == [
        (4, "Leeds", "450047", "0.53", "(1,792)"),
        (5, "York", None, "1.25", "c"),
        (6, "Hull", "3", None, "450,047"),
    ]
    assert list_sheets(path) == ["Data"]


def test_ods_via_odfpy_with_a_date_and_blank_rows(con, tmp_path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Sheet A")

    def row(*cells: Any) -> TableRow:
        tr = TableRow()
        for cell in cells:
            if cell is None:
                tc = TableCell()
            elif isinstance(cell, float):
                tc = TableCell(valuetype="float", value=cell)
                tc.addElement(P(text=str(cell)))
            elif isinstance(cell, dt.date):
                tc = TableCell(valuetype="date", datevalue=cell.isoformat())
                tc.addElement(P(text=cell.isoformat()))
            else:
                tc = TableCell(valuetype="string")
                tc.addElement(P(text=cell))
            tr.addElement(tc)
        return tr

    for r in [
        row("la", "pop", "as at"),
        row("Leeds", 450047.0, dt.date(2021, 3, 31)),
        row(None, None, None),
        row("York", "[c]", dt.date(2022, 1, 2)),
    ]:
        table.addElement(r)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "odf.ods"
    doc.save(str(path))
    raw = read_raw(con, path)
    assert rows_of(con, raw) == [
        (2, "Leeds", "450047", "2021-03-31"),
        (4, "York", "[c]", "2022-01-02"),
    ]


# --- cell_text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (450047.0, "450047"),
        (0.53, "0.53"),
        (-1792.0, "-1792"),
        (1e20, "1e+20"),
        (float("nan"), None),
        (7, "7"),
        (True, "TRUE"),
        (False, "FALSE"),
        ("", None),
        ("  ", None),
        ("(1,792)", "(1,792)"),
        (None, None),
        (dt.datetime(2021, 3, 31), "2021-03-31"),
        (dt.datetime(2021, 3, 31, 9, 5), "2021-03-31 09:05:00"),
        (dt.date(2021, 3, 31), "2021-03-31"),
        (dt.time(9, 5), "09:05:00"),
        (dt.timedelta(hours=1), "1:00:00"),
    ],
)
def test_cell_text(value, text) -> None:
    assert cell_text(value) == text


# --- Parquet ---------------------------------------------------------------------


def test_parquet(con, tmp_path) -> None:
    path = tmp_path / "pop.parquet"
    con.execute(
        "COPY (SELECT * FROM (VALUES ('Leeds', 450047, 0.53, DATE '2021-03-31'), "
        "('York', NULL, 1.5, NULL)) t(la, pop, rate, \"as at\")) "
        f"TO '{path}' (FORMAT parquet)"
    )
    raw = read_raw(con, path)
    assert raw.headers == ["la", "pop", "rate", "as at"]
    assert raw.header_row == 1 and raw.n_rows == 2 and raw.sheet is None
    assert rows_of(con, raw) == [
        (2, "Leeds", "450047", "0.53", "2021-03-31"),
        (3, "York", None, "1.50", None),
    ]


def test_parquet_awkward_column_names(con, tmp_path) -> None:
    path = tmp_path / "odd.parquet"
    con.execute(
        'COPY (SELECT \'Leeds\' AS "la ""name""", 1 AS pop, 2 AS "POP") '
        f"TO '{path}' (FORMAT parquet)"
    )
    raw = read_raw(con, path)
    # DuckDB itself renames a name repeated apart from case.
    assert raw.headers == ['la "name"', "pop", "POP_1"]
    assert rows_of(con, raw) == [(2, "Leeds", "1", "2")]


def test_parquet_that_is_not(con, tmp_path) -> None:
    path = save(tmp_path, "t.parquet", "la,pop\nLeeds,1\n")
    with pytest.raises(InputError, match="cannot read as Parquet") as err:
        read_raw(con, path)
    one_line_naming(err, path)


# --- the relation --------------------------------------------------------------


def test_relation_is_replaced_and_named(con, tmp_path) -> None:
    first = read_raw(
        con, save(tmp_path, "a.csv", "la,pop\nLeeds,1\n"), relation="_mine"
    )
    second = read_raw(
        con, save(tmp_path, "b.csv", "la,rate,n\nYork,2,3\n"), relation="_mine"
    )
    assert first.relation == second.relation == "_mine"
    assert rows_of(con, second) == [(2, "York", "2", "3")]


def test_a_second_table_under_the_first_ends_it(tmp_path):
    import xlsxwriter

    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    rows = [
        ["Code", "Local authority", "Spend"],
        ["E06000001", "Hartlepool", 5],
        ["E06000002", "Middlesbrough", 6],
        [],
        ["Code", "Local authority", "Class total"],
        ["UA", "Unitaries", 11],
    ]
    for i, row in enumerate(rows):
        sheet.write_row(i, 0, row)
    book.close()
    table = read_raw(duckdb.connect(), path)
    assert table.n_rows == 2
    note = table.issues.of_kind("second-table")[0]
    assert note.row == 5 and "1 rows from here are not read" in note.message
