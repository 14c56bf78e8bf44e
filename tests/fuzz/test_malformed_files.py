"""Malformed files never crash: they load, or fail with one located line.

Every input here is something a user can hand lacompare by mistake: a download cut
short, the wrong encoding, a CSV with ragged rows or a stray quote, a workbook
that is not one. The properties:

* ``read_raw`` and ``ingest`` succeed or raise :class:`LacompareError`, never
  anything else;
* the error's message is one line and names the file;
* after a failed ingest the store holds what it held before.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lacompare.errors import LacompareError
from lacompare.sources import _readers
from lacompare.sources._readers import read_raw
from lacompare.store import Store, open_store
from lacompare.store._ingest import ingest

# Few examples, the same each run, so the suite stays fast and repeatable; set
# LACOMPARE_FUZZ_EXAMPLES=2000 to search longer with fresh random examples.
_LONG_RUN = int(os.environ.get("LACOMPARE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_LONG_RUN or 25,
    deadline=None,
    derandomize=not _LONG_RUN,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# For inputs that mostly load (a load takes ~0.5 s): fewer examples.
FUZZ_LOADS = settings(FUZZ, max_examples=_LONG_RUN or 12)

STORE_TABLES = ("observations", "totals", "sources", "measures")

# Names that resolve, so malformed files get past matching into the load.
AUTHORITIES = [
    "Leeds",
    "York",
    "Camden",
    "Greenwich",
    "Kent",
    "England",
    "Bradford",
    "Atlantis",
]
CELLS = [
    "1",
    "450047",
    "1,000",
    "(1,792)",
    "c",
    "[x]",
    "",
    " ",
    "0.53",
    "£5",
    "2021",
    "12%",
    "-",
    "..",
]
HEADINGS = [
    "la",
    "local authority",
    "pop",
    "pop",
    "rate",
    "",
    "2021",
    "0",
    "1",
    "value",
    "period",
    "la_name",
]
# Characters that break CSVs: delimiters, quotes, line breaks, NUL, non-ASCII.
NASTY = st.sampled_from(list(',;\t"\n\r\x00 ab19£é’') + ["\u2028", "\x0c", '""'])
ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "cp1252",
    "latin-1",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "mixed",
]

_counter = itertools.count()


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="lacompare-fuzz-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def shared_store() -> Iterator[Store]:
    with open_store(":memory:") as store:
        yield store


def _save(folder: Path, data: bytes, suffix: str) -> Path:
    path = folder / f"case{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


def _store_counts(store: Store) -> dict[str, int]:
    con = store.con
    return {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        for t in STORE_TABLES
    }


def _assert_located(exc: LacompareError, path: Path) -> None:
    message = str(exc)
    assert "\n" not in message and "\r" not in message, repr(message)
    assert path.name in message, repr(message)


def check_never_crashes(path: Path, store: Store) -> None:
    """The properties every malformed file must keep."""
    con = duckdb.connect()
    try:
        raw = read_raw(con, path)
    except LacompareError as exc:
        _assert_located(exc, path)
    else:
        n, numbered = con.execute(
            f"SELECT count(*), count({raw.row_sql}) FROM {raw.relation}"
        ).fetchall()[0]
        assert n == numbered == raw.n_rows
        assert len(raw.headers) == len({h.lower() for h in raw.headers})
    finally:
        con.close()
    before = _store_counts(store)
    try:
        ingest(store, path, period="2021")
    except LacompareError as exc:
        _assert_located(exc, path)
        assert _store_counts(store) == before


def test_a_failed_load_leaves_a_loaded_store_unchanged(folder: Path) -> None:
    good = _save(folder, b"la,pop\nLeeds,1\nYork,2\n", ".csv")
    # Fails inside the load's transaction, after the read: an unknown authority.
    bad = _save(folder, b"la,pop\nLeeds,3\nAtlantis,4\n", ".csv")
    with open_store(":memory:") as store:
        ingest(store, good, period="2021")
        before = _store_counts(store)
        assert before["observations"] == 2 and before["sources"] == 1
        check_never_crashes(bad, store)
        assert _store_counts(store) == before


def test_category_column_with_a_number(folder: Path) -> None:
    # A text column with one numeric cell keeps that cell's text as its label.
    path = _save(folder, b"la,note\nLeeds,1\nYork,a\nCamden,b\n", ".csv")
    with open_store(":memory:") as store:
        ingest(store, path, period="2021")
        assert store.con.execute(
            "SELECT label FROM observations ORDER BY source_row"
        ).fetchall() == [("1",), ("a",), ("b",)]


def test_a_folder_is_an_input_error(folder: Path, shared_store: Store) -> None:
    path = folder / f"case{next(_counter)}.csv"
    path.mkdir()
    check_never_crashes(path, shared_store)


# --- CSV ---------------------------------------------------------------------


@st.composite
def table_rows(draw: st.DrawFn) -> list[list[str]]:
    """A small table: maybe a title, a header (maybe duplicated), ragged rows."""
    width = draw(st.integers(1, 5))
    cell = st.one_of(
        st.sampled_from(CELLS),
        st.sampled_from(AUTHORITIES),
        st.lists(NASTY, max_size=6).map("".join),
    )
    header = draw(st.lists(st.sampled_from(HEADINGS), min_size=width, max_size=width))
    rows: list[list[str]] = []
    if draw(st.booleans()):
        rows += [["Table 1: a title"], []]
    rows.append(header)
    for _ in range(draw(st.integers(0, 6))):
        # Ragged: rows one cell short or one too long.
        n = width + draw(st.integers(-1, 1))
        rows.append(
            [draw(st.sampled_from(AUTHORITIES))]
            + draw(st.lists(cell, min_size=max(n - 1, 0), max_size=max(n - 1, 0)))
        )
    return rows


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "mixed":
        # Half the lines UTF-8, half cp1252: a file pasted together.
        lines = text.splitlines(keepends=True)
        return b"".join(
            line.encode("utf-8" if i % 2 else "cp1252", errors="replace")
            for i, line in enumerate(lines)
        )
    return text.encode(encoding, errors="replace")


@st.composite
def malformed_csv(draw: st.DrawFn) -> bytes:
    rows = draw(table_rows())
    delim = draw(st.sampled_from([",", ";", "\t"]))
    if draw(st.booleans()):
        out = io.StringIO()
        csv.writer(
            out,
            delimiter=delim,
            lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        ).writerows(rows)
        text = out.getvalue()
    else:  # joined by hand: quotes and delimiters inside cells left bare
        text = "\n".join(delim.join(r) for r in rows) + draw(
            st.sampled_from(["", "\n", "\n\n"])
        )
    if draw(st.booleans()):
        # An unbalanced quote somewhere.
        at = draw(st.integers(0, len(text)))
        text = text[:at] + '"' + text[at:]
    data = _encode(text, draw(st.sampled_from(ENCODINGS)))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # a download cut short
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    return data


@FUZZ
@given(data=malformed_csv())
def test_malformed_csv_never_crashes(
    data: bytes, folder: Path, shared_store: Store
) -> None:
    check_never_crashes(_save(folder, data, ".csv"), shared_store)


@FUZZ
@given(data=malformed_csv())
def test_malformed_csv_longer_than_the_sniffed_part_never_crashes(
    data: bytes, folder: Path, shared_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The encoding, delimiter and header are guessed from the first SNIFF_BYTES;
    what follows may disagree (a bad byte, a cut, a stray quote further down)."""
    monkeypatch.setattr(_readers, "SNIFF_BYTES", 32)
    check_never_crashes(_save(folder, data, ".csv"), shared_store)


@FUZZ
@given(
    data=st.binary(max_size=300),
    suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".ods", ".parquet"]),
)
def test_random_bytes_never_crash(
    data: bytes, suffix: str, folder: Path, shared_store: Store
) -> None:
    check_never_crashes(_save(folder, data, suffix), shared_store)


GOOD_CSV = (
    'Table 1: population\n\nla,pop,rate\nLeeds,"450,047",0.53\n'
    'York,c,£5\nCamden,"(1,792)",’\n'
).encode()


@FUZZ_LOADS
@given(cut=st.integers(0, len(GOOD_CSV)))
def test_truncated_csv_never_crashes(
    cut: int, folder: Path, shared_store: Store
) -> None:
    """Cut anywhere: mid-quote, mid-way through '£' or '’' (UTF-8 sequences)."""
    check_never_crashes(_save(folder, GOOD_CSV[:cut], ".csv"), shared_store)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'la,pop\nLeeds,"450', id="cut-mid-quote"),
        pytest.param("la,pop\nLeeds,£".encode()[:-1], id="cut-mid-utf8"),
        pytest.param("la,pop\nLeeds,£5\n".encode("utf-16-le"), id="utf16-no-bom"),
        pytest.param("la,pop\nLeeds,£5\n".encode("latin-1"), id="latin1"),
        pytest.param(
            "la,pop\nLeeds,£5\n".encode() + "York,£6\n".encode("cp1252"),
            id="mixed-encodings",
        ),
        pytest.param(b"la,pop\nLeeds,1,2,3\nYork\n", id="ragged"),
        pytest.param(b'la,pop\nLeeds,"1\nYork,2\n', id="unbalanced-quote"),
        pytest.param(b"la,la,pop,pop\nLeeds,Leeds,1,2\n", id="duplicate-headers"),
        pytest.param(b"la,pop\nLeeds,1\x00\nYork,2\n", id="nul-byte"),
        pytest.param(b"la,pop\n" + b"Leeds,1\n" * 600 + b"York,\x00\n", id="late-nul"),
        pytest.param(b"la,pop\nLeeds," + b"9" * 300_000 + b"\n", id="very-long-line"),
        pytest.param(b'la,pop\nLeeds,"' + b"x" * 300_000 + b'"\n', id="very-long-cell"),
        pytest.param(b"la,pop\n", id="only-header"),
        pytest.param(b"la,pop", id="only-header-no-newline"),
        pytest.param(b"\n\n\n", id="only-blank-lines"),
        pytest.param(b"\xef\xbb\xbf", id="only-bom"),
        pytest.param(b"la\nLeeds\n", id="one-column"),
        pytest.param(b'la,"po"p"\nLeeds,1\n', id="quote-inside-heading"),
        pytest.param(b"la,pop\r\nLeeds,1\rYork,2\n", id="mixed-line-ends"),
    ],
)
def test_known_malformed_csv_never_crashes(
    data: bytes, folder: Path, shared_store: Store
) -> None:
    check_never_crashes(_save(folder, data, ".csv"), shared_store)


# --- workbooks ---------------------------------------------------------------


def _xlsx(build: Callable[[Any], None]) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    build(book)
    book.close()
    return out.getvalue()


def _good_book(book: Any) -> None:
    sheet = book.add_worksheet("Data")
    sheet.write(0, 0, "Table 1: population")
    sheet.write_row(2, 0, ["la", "pop", "rate"])
    sheet.write_row(3, 0, ["Leeds", 450047, 0.53])
    sheet.write_row(4, 0, ["York", "c", 0.1])


def _ods_bytes() -> bytes:
    import pandas as pd

    out = io.BytesIO()
    frame = pd.DataFrame({"la": ["Leeds", "York"], "pop": [450047, 3]})
    with pd.ExcelWriter(out, engine="odf") as writer:
        frame.to_excel(writer, sheet_name="Data", index=False)
    return out.getvalue()


GOOD_XLSX = _xlsx(_good_book)
GOOD_ODS = _ods_bytes()


def _binary_books() -> tuple[bytes, bytes]:
    from tests import hostile_workbooks as hostile

    rows = [
        (0, 0, "la"),
        (0, 1, "pop"),
        (1, 0, "Leeds"),
        (1, 1, 450047.0),
        (2, 0, "York"),
        (2, 1, "c"),
    ]
    return hostile.xls(rows, dimension=(0, 3, 0, 2)), hostile.xlsb(rows)


# XLS and XLSB are binary records: a flipped byte reaches the reader's parser
# (python-calamine panics on many; each must be one located line).
GOOD_XLS, GOOD_XLSB = _binary_books()
WORKBOOKS = [
    (".xlsx", GOOD_XLSX),
    (".ods", GOOD_ODS),
    (".xls", GOOD_XLS),
    (".xlsb", GOOD_XLSB),
]


@FUZZ
@given(data=st.data())
def test_truncated_workbook_never_crashes(
    data: st.DataObject, folder: Path, shared_store: Store
) -> None:
    suffix, whole = data.draw(st.sampled_from(WORKBOOKS))
    cut = data.draw(st.integers(0, len(whole) - 1))
    check_never_crashes(_save(folder, whole[:cut], suffix), shared_store)


@FUZZ_LOADS
@given(data=st.data())
def test_corrupted_workbook_never_crashes(
    data: st.DataObject, folder: Path, shared_store: Store
) -> None:
    """A workbook with a run of bytes overwritten (a bad disk, a bad copy)."""
    suffix, whole = data.draw(st.sampled_from(WORKBOOKS))
    at = data.draw(st.integers(0, len(whole) - 1))
    junk = data.draw(st.binary(min_size=1, max_size=16))
    check_never_crashes(
        _save(folder, whole[:at] + junk + whole[at + len(junk) :], suffix), shared_store
    )


@st.composite
def zip_not_workbook(draw: st.DrawFn) -> bytes:
    out = io.BytesIO()
    names = draw(
        st.lists(
            st.sampled_from(
                [
                    "readme.txt",
                    "data.csv",
                    "[Content_Types].xml",
                    "xl/workbook.xml",
                    "mimetype",
                    "content.xml",
                    "xl/worksheets/sheet1.xml",
                ]
            ),
            unique=True,
            max_size=4,
        )
    )
    with zipfile.ZipFile(out, "w") as zf:
        for name in names:
            zf.writestr(name, draw(st.binary(max_size=40)))
    return out.getvalue()


@FUZZ
@given(data=zip_not_workbook(), suffix=st.sampled_from([".xlsx", ".ods"]))
def test_zip_that_is_not_a_workbook_never_crashes(
    data: bytes, suffix: str, folder: Path, shared_store: Store
) -> None:
    check_never_crashes(_save(folder, data, suffix), shared_store)


@st.composite
def merged_book(draw: st.DrawFn) -> bytes:
    """A sheet with merged ranges anywhere: over titles, headings and data."""
    merges = draw(
        st.lists(
            st.tuples(
                st.integers(0, 6),
                st.integers(0, 3),
                st.integers(0, 2),
                st.integers(0, 2),
                st.sampled_from(["2021", "Leeds", "", "la", "Funding", "1"]),
            ),
            max_size=3,
        )
    )

    def build(book: Any) -> None:
        sheet = book.add_worksheet("Data")
        taken: set[tuple[int, int]] = set()
        for row, col, down, across, text in merges:
            cells = {
                (r, c)
                for r in range(row, row + down + 1)
                for c in range(col, col + across + 1)
            }
            if len(cells) < 2 or cells & taken:
                continue  # xlsxwriter refuses single-cell and overlapping merges
            taken |= cells
            sheet.merge_range(row, col, row + down, col + across, text)
        for r, values in enumerate(
            [["la", "pop", "rate"], ["Leeds", 1, 0.5], ["York", "c", 2]], start=2
        ):
            for c, value in enumerate(values):
                if (r, c) not in taken:
                    sheet.write(r, c, value)

    return _xlsx(build)


@FUZZ_LOADS
@given(data=merged_book())
def test_workbook_with_merged_cells_never_crashes(
    data: bytes, folder: Path, shared_store: Store
) -> None:
    check_never_crashes(_save(folder, data, ".xlsx"), shared_store)


def _empty_sheets(book: Any) -> None:
    book.add_worksheet("Empty")
    book.add_worksheet("Also empty")


def _title_only(book: Any) -> None:
    book.add_worksheet("Cover").write(0, 0, "Table 1: population")
    book.add_worksheet("Data").write(0, 0, "Table 1: population")


def _header_only(book: Any) -> None:
    book.add_worksheet("Data").write_row(0, 0, ["la", "pop"])


@pytest.mark.parametrize(
    "build",
    [_empty_sheets, _title_only, _header_only],
    ids=["empty-sheets", "title-only", "header-only"],
)
def test_workbooks_without_a_table_never_crash(
    build: Callable[[Any], None], folder: Path, shared_store: Store
) -> None:
    check_never_crashes(_save(folder, _xlsx(build), ".xlsx"), shared_store)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods", ".parquet"])
@pytest.mark.parametrize(
    "data",
    [b"", b"la,pop\nLeeds,1\n", b"PK\x03\x04", b"\x00" * 64],
    ids=["empty", "csv", "zip-magic", "zeros"],
)
def test_wrong_content_for_the_suffix_never_crashes(
    data: bytes, suffix: str, folder: Path, shared_store: Store
) -> None:
    check_never_crashes(_save(folder, data, suffix), shared_store)


# --- mutations that reach the cell parser (issue 14, Deliver 6) ----------------
#
# A mutated file mostly fails before its cells are parsed (no header, an unknown
# authority, a broken zip). These tables are well formed, name only authorities
# that resolve, and are loaded with a period, so every cell, whatever it holds,
# goes through the value parser: each must become one observation.

WIDE_AUTHORITIES = [
    "Leeds",
    "York",
    "Camden",
    "Greenwich",
    "Kent",
    "Bradford",
    "Bath & N.E Somerset",
    "St.Helens",
    "Tower Hamlets (& City)",
]
CELL_TEXT = st.one_of(
    st.sampled_from(
        CELLS
        + [
            "#DIV/0!",
            "#N/A",
            "=1+1",
            "+cmd",
            "@x",
            "1e308",
            "-0",
            "NaN",
            "inf",
            "1.5.2",
            "12,34",
            "(c)",
            "*",
            "x" * 300,
        ]
    ),
    st.lists(NASTY, max_size=8).map("".join),
    st.text(max_size=12),
)
CELL_TYPED = st.one_of(
    CELL_TEXT,
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**15), 10**15),
    st.booleans(),
    st.none(),
    st.datetimes(
        min_value=__import__("datetime").datetime(1900, 3, 1),
        max_value=__import__("datetime").datetime(2100, 1, 1),
    ),
)


@st.composite
def wide_table(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    """local_authority then 1-4 measures; one row per authority."""
    measures = draw(st.integers(1, 4))
    names = draw(
        st.lists(st.sampled_from(WIDE_AUTHORITIES), min_size=1, max_size=5, unique=True)
    )
    header = ["local_authority"] + [f"measure {i}" for i in range(measures)]
    rows = [
        [name] + draw(st.lists(CELL_TYPED, min_size=measures, max_size=measures))
        for name in names
    ]
    return header, rows


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _write_wide(header: list[str], rows: list[list[Any]], fmt: str) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        # A NUL makes a CSV a binary file (refused by design, tested above).
        csv.writer(out).writerows(
            [header] + [[_text(c).replace("\x00", "") for c in r] for r in rows]
        )
        return out.getvalue().encode("utf-8")
    if fmt == "xlsx":

        def build(book: Any) -> None:
            sheet = book.add_worksheet("Data")
            sheet.write_row(0, 0, header)
            dates = book.add_format({"num_format": "yyyy-mm-dd"})
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    if isinstance(value, str):
                        # Text as text: xlsxwriter would make '=1+1' a formula.
                        sheet.write_string(r, c, value)
                    elif value is None:
                        sheet.write_blank(r, c, None)
                    elif hasattr(value, "year"):
                        sheet.write_datetime(r, c, value, dates)
                    else:
                        sheet.write(r, c, value)

        return _xlsx(build)
    import pandas as pd

    out = io.BytesIO()
    frame = pd.DataFrame(
        [
            [_text(c) if isinstance(c, (str, type(None))) else c for c in r]
            for r in rows
        ],
        columns=header,
        dtype=object,
    )
    with pd.ExcelWriter(out, engine="odf") as writer:
        frame.to_excel(writer, sheet_name="Data", index=False)
    return out.getvalue()


@FUZZ_LOADS
@given(table=wide_table(), fmt=st.sampled_from(["csv", "xlsx", "ods"]))
def test_every_cell_of_a_wide_table_reaches_the_parser(
    table: tuple[list[str], list[list[Any]]],
    fmt: str,
    folder: Path,
    shared_store: Store,
) -> None:
    header, rows = table
    path = _save(folder, _write_wide(header, rows, fmt), f".{fmt}")
    check_never_crashes(path, shared_store)
    before = _store_counts(shared_store)
    result = ingest(shared_store, path, period="2021", check=True)
    assert result.observations == len(rows) * (len(header) - 1), (
        fmt,
        rows,
        result.summary_lines(),
    )
    assert _store_counts(shared_store) == before  # a dry run


# --- crafted workbooks (issue 14, Deliver 1) -----------------------------------


def _hostile() -> list[Any]:
    from tests import hostile_workbooks as hostile

    return [
        pytest.param(hostile.far_cells_xlsx, ".xlsx", id="far-cell-xlsx"),
        pytest.param(hostile.far_cells_ods, ".ods", id="far-cell-ods"),
        pytest.param(hostile.repeated_value_ods, ".ods", id="repeated-value-ods"),
        pytest.param(hostile.far_cells_xlsb, ".xlsb", id="far-cell-xlsb"),
        pytest.param(hostile.far_cells_xls, ".xls", id="far-cell-xls"),
        pytest.param(hostile.huge_string_count_xlsx, ".xlsx", id="string-count"),
        pytest.param(
            lambda: hostile.xls([(0, 0, "la")], dimension=(0, 4_000_000_000, 0, 256)),
            ".xls",
            id="declared-rows-xls",
        ),
        pytest.param(lambda: hostile.zip_bomb_xlsx(200), ".xlsx", id="zip-bomb"),
        pytest.param(
            lambda: hostile.zip_bomb_xlsx(300), ".xlsx", id="zip-bomb-over-size"
        ),
    ]


@pytest.mark.parametrize("make, suffix", _hostile())
def test_crafted_workbooks_are_refused_with_the_sheet_named(
    make: Callable[[], bytes], suffix: str, folder: Path, shared_store: Store
) -> None:
    path = _save(folder, make(), suffix)
    check_never_crashes(path, shared_store)
    with pytest.raises(LacompareError, match=r", sheet '(Sheet1|Data)': |claims "):
        ingest(shared_store, path, period="2021")


@FUZZ
@given(
    at=st.one_of(
        st.tuples(st.integers(2, 60), st.integers(0, 30)),
        # Far enough that the rectangle from A1 is over the default limit.
        st.tuples(st.integers(100_000, 1_048_575), st.integers(200, 16_383)),
        st.tuples(st.integers(1_000_000, 1_048_575), st.integers(10, 16_383)),
    ),
    value=st.one_of(st.sampled_from(["x", "", "Leeds"]), st.floats(-1e9, 1e9)),
)
def test_a_cell_anywhere_never_crashes(
    at: tuple[int, int], value: Any, folder: Path, shared_store: Store
) -> None:
    """The crafted workbook's shape, with the far cell anywhere in the grid."""
    row, col = at

    def build(book: Any) -> None:
        sheet = book.add_worksheet("Data")
        sheet.write_row(0, 0, ["local_authority", "m"])
        sheet.write_row(1, 0, ["Leeds", 5])
        sheet.write(row, col, value)

    check_never_crashes(_save(folder, _xlsx(build), ".xlsx"), shared_store)
