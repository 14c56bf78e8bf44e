"""Workbooks are measured before python-calamine reads them (issue 14, Deliver 1).

The crafted files are in :mod:`tests.hostile_workbooks`: each is refused with one
line naming the file and the sheet, from the library and from the CLI, quickly,
and a failed load leaves the store as it was. Every real published workbook passes
the default limits.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lacompare.errors import InputError, LacompareError
from lacompare.sources._workbooks import (
    WorkbookLimits,
    check_workbook_size,
    open_workbook,
    read_sheets,
)
from tests import hostile_workbooks as hostile

STORE_TABLES = ("observations", "totals", "sources", "measures")


def _counts(store) -> dict[str, int]:
    return {
        t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in STORE_TABLES
    }


@pytest.fixture
def far(tmp_path: Path) -> Path:
    path = tmp_path / "s.xlsx"
    path.write_bytes(hostile.far_cells_xlsx())
    return path


def test_the_far_cell_workbook_is_refused_naming_file_sheet_and_extent(far):
    assert far.stat().st_size < 6000  # issue 14's 5 KB file
    with pytest.raises(InputError) as err:
        check_workbook_size(far)
    message = str(err.value)
    assert message == (
        f"{far}, sheet 'Sheet1': the sheet spans 1,048,576 rows × 16,384 columns "
        "(declared A1:XFD1048576); lacompare reads at most 10,000,000 cells (set "
        "LACOMPARE_WORKBOOK_MAX_CELLS to raise it)"
    )
    assert err.value.sheet == "Sheet1"


def test_the_library_refuses_it_and_the_store_is_unchanged(far, tmp_path):
    import lacompare

    good = tmp_path / "good.csv"
    good.write_text("local_authority,m\nLeeds,1\nYork,2\n", encoding="utf-8")
    with lacompare.open_store(tmp_path / "t.duckdb") as store:
        lacompare.ingest(store, good, period="2021")
        before = _counts(store)
        for call in (
            lambda: lacompare.ingest(store, far, period="2021"),
            lambda: lacompare.ingest(store, far, period="2021", check=True),
        ):
            with pytest.raises(
                InputError,
                match=r"s\.xlsx, sheet 'Sheet1': the "
                "sheet spans 1,048,576 rows",
            ):
                call()
            assert _counts(store) == before


def test_the_cli_exits_1_with_one_line_and_no_traceback(far, tmp_path):
    """As a user runs it: `lacompare ingest s.xlsx --db t.duckdb`."""
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "lacompare", "ingest", far.name, "--db", "t.duckdb"],
        cwd=far.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LACOMPARE_WORKBOOK_")
        },
    )
    took = time.monotonic() - started
    assert run.returncode == 1, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: s.xlsx, sheet 'Sheet1': the sheet spans 1,048,576 rows × 16,384 "
        "columns (declared A1:XFD1048576); lacompare reads at most 10,000,000 "
        "cells (set LACOMPARE_WORKBOOK_MAX_CELLS to raise it)"
    ], run.stderr
    assert took < 30, took


def test_the_limit_is_settable_by_environment(far, monkeypatch):
    monkeypatch.setenv("LACOMPARE_WORKBOOK_MAX_CELLS", "1e11")
    size = check_workbook_size(far)
    assert [(s.name, s.rows, s.columns, s.cells) for s in size.sheets] == [
        ("Sheet1", 1048576, 16384, 5)
    ]
    monkeypatch.setenv("LACOMPARE_WORKBOOK_MAX_CELLS", "lots")
    with pytest.raises(LacompareError, match="LACOMPARE_WORKBOOK_MAX_CELLS='lots'"):
        check_workbook_size(far)


def test_a_large_declared_dimension_alone_is_read(tmp_path):
    """calamine sizes the grid by the cells it finds: a sheet that only declares
    A1:XFD1048576 costs nothing, and real files declare more than they use."""

    def write(part) -> None:
        pass

    data = hostile.xlsx_with_sheet(write, dimension="A1:XFD1048576")
    path = tmp_path / "declared.xlsx"
    path.write_bytes(data)
    names, [(sheet, rows)] = read_sheets(path, "Data")
    assert (sheet, rows) == ("Data", [["local_authority", "m"], ["Leeds", 5.0]])
    assert check_workbook_size(path).sheets[0].declared == "A1:XFD1048576"


def test_empty_styled_cells_far_away_do_not_count(tmp_path):
    """A self-closed cell holds nothing (formatting only) and the reader skips it."""

    def write(part) -> None:
        part.write(b'<row r="1048576"><c r="XFD1048576" s="1"/></row>')

    path = tmp_path / "styled.xlsx"
    path.write_bytes(hostile.xlsx_with_sheet(write))
    size = check_workbook_size(path)
    assert (size.sheets[0].rows, size.sheets[0].columns) == (2, 2)


def test_cells_without_references_are_placed_like_the_reader_does(tmp_path):
    def write(part) -> None:
        part.write(b'<row r="1048576"><c><v>1</v></c><c><v>2</v></c></row>')

    path = tmp_path / "norref.xlsx"
    path.write_bytes(hostile.xlsx_with_sheet(write))
    sheet = check_workbook_size(path, limits=WorkbookLimits(max_cells=10**8)).sheets[0]
    assert (sheet.rows, sheet.columns) == (1048576, 2)
    with pytest.raises(InputError, match="spans 1,048,576 rows × 2 columns"):
        check_workbook_size(path, limits=WorkbookLimits(max_cells=10**6))


def test_a_zip_bomb_is_refused_by_its_ratio_quickly(tmp_path):
    data = hostile.zip_bomb_xlsx(200)
    assert len(data) < 1_000_000
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        read_sheets(path)
    assert time.monotonic() - started < 10
    message = str(err.value)
    assert message.startswith(
        f"{path}, sheet 'Data': xl/worksheets/sheet1.xml expands "
    ), message
    assert "(set LACOMPARE_WORKBOOK_MAX_RATIO to raise it)" in message


def test_a_header_understating_a_part_does_not_hide_its_cells(tmp_path):
    """zipfile reads a part to the size its header declares; the reader inflates
    it to the end: the check reads what the reader reads."""
    import zipfile

    sheet = "xl/worksheets/sheet1.xml"
    data = hostile.understated(hostile.far_cells_xlsx(), sheet, 300)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert len(zf.read(sheet)) == 300  # zipfile is content with 300 bytes
    with pytest.raises(InputError, match="the sheet spans 1,048,576 rows"):
        check_workbook_size(data, filename="s.xlsx")


def test_the_expanded_size_is_limited(tmp_path, monkeypatch):
    path = tmp_path / "big.xlsx"
    path.write_bytes(hostile.many_cells_xlsx(60_000))
    assert check_workbook_size(path).sheets[0].cells == 120_004
    monkeypatch.setenv("LACOMPARE_WORKBOOK_MAX_EXPANDED_MB", "2")
    with pytest.raises(
        InputError,
        match=r"big\.xlsx, sheet 'Data': the workbook "
        r"expands to 6 MB \(its largest part, xl/worksheets/sheet1"
        r"\.xml, 6 MB\); lacompare reads at most 2 MB expanded "
        r"\(set LACOMPARE_WORKBOOK_MAX_EXPANDED_MB",
    ):
        check_workbook_size(path)


def test_a_bomb_over_the_expanded_size_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(hostile.zip_bomb_xlsx(300))
    started = time.monotonic()
    with pytest.raises(
        InputError,
        match=r"bomb\.xlsx, sheet 'Data': the workbook "
        "expands to 300 MB .*; lacompare reads at most 256 MB "
        "expanded",
    ):
        read_sheets(path)
    assert time.monotonic() - started < 2


def test_the_cell_count_is_limited(tmp_path):
    path = tmp_path / "many.xlsx"
    path.write_bytes(hostile.many_cells_xlsx(20_000))
    with pytest.raises(InputError, match="the sheet holds more than 10,000 cells"):
        check_workbook_size(path, limits=WorkbookLimits(max_stored_cells=10_000))
    with pytest.raises(InputError, match="the sheet has 20,002 rows"):
        check_workbook_size(path, limits=WorkbookLimits(max_rows=20_000))


@pytest.mark.parametrize(
    "make, extent",
    [
        (hostile.far_cells_ods, "the sheet spans 1,048,576 rows × 16,384 columns"),
        (hostile.repeated_value_ods, "the sheet spans 1,048,576 rows × 16,384 columns"),
    ],
    ids=["far-cell", "repeated-value"],
)
def test_ods_equivalents_are_refused(make, extent, tmp_path):
    path = tmp_path / "s.ods"
    path.write_bytes(make())
    with pytest.raises(InputError) as err:
        read_sheets(path)
    assert str(err.value).startswith(f"{path}, sheet 'Data': {extent}"), err.value


def test_xlsb_is_measured_too(tmp_path):
    path = tmp_path / "s.xlsb"
    path.write_bytes(hostile.small_xlsb())
    assert read_sheets(path) == (
        ["Data"],
        [("Data", [["local_authority", "m"], ["Leeds", 5.0]])],
    )
    path.write_bytes(hostile.far_cells_xlsb())
    with pytest.raises(
        InputError,
        match=r"s\.xlsb, sheet 'Data': the sheet spans "
        r"1,048,576 rows × 16,384 columns \(declared A1:XFD1048576\)",
    ):
        read_sheets(path)
    # The reader takes any 32-bit column number.
    path.write_bytes(hostile.xlsb([(0, 0, "la"), (1, 4_000_000_000, 1.0)]))
    with pytest.raises(InputError, match="the sheet has 4,000,000,001 columns"):
        read_sheets(path)


def test_xls_is_measured_with_its_declared_dimension_and_string_count(tmp_path):
    """python-calamine aborts on each of these XLS files of 4 KB: a cell at
    (65535, 65535), a DIMENSIONS record of 4 billion rows (it reserves room for
    them). The string count is held to what the stream could hold."""
    path = tmp_path / "s.xls"
    path.write_bytes(hostile.small_xls())
    assert read_sheets(path) == (
        ["Data"],
        [("Data", [["local_authority", "m"], ["Leeds", 5.0]])],
    )
    assert check_workbook_size(path).sheets[0].declared == "A1:B2"
    cases = {
        hostile.far_cells_xls(): "sheet 'Data': the sheet has 65,536 columns",
        hostile.xls(
            [(0, 0, "la")], dimension=(0, 4_000_000_000, 0, 256)
        ): "sheet 'Data': the sheet declares 4,000,000,000 rows × 256 columns "
        r"\(A1:IV4000000000\); lacompare reads at most 10,000,000 cells",
        hostile.xls(
            [(0, 0, "la")], strings=2_000_000_000
        ): "the shared string table claims 2,000,000,000 strings",
    }
    for data, message in cases.items():
        path.write_bytes(data)
        with pytest.raises(InputError, match=rf"^{path}, {message}|^{path}: {message}"):
            read_sheets(path)


def test_a_shared_string_count_the_part_cannot_hold_is_refused(tmp_path):
    """The reader reserves room for uniqueCount strings as it opens the workbook
    (before any sheet is read): 2 billion in a 5 KB file aborts it."""
    path = tmp_path / "sst.xlsx"
    path.write_bytes(hostile.huge_string_count_xlsx())
    with pytest.raises(
        InputError,
        match=r"sst\.xlsx: xl/sharedStrings\.xml claims "
        r"2,000,000,000 strings in \d+ bytes: the file is damaged",
    ):
        open_workbook(path)


def test_the_content_not_the_name_decides_what_is_measured(tmp_path):
    """A reader given bytes (the hub's upload) finds the format from the content:
    an ODS named .xlsx is measured as an ODS."""
    with pytest.raises(InputError, match="^s.xlsx, sheet 'Data': the sheet spans"):
        check_workbook_size(hostile.far_cells_ods(), filename="s.xlsx")


def test_ods_trailing_empty_rows_are_read(tmp_path):
    path = tmp_path / "t.ods"
    path.write_bytes(hostile.trailing_empty_ods())
    names, [(_, rows)] = read_sheets(path)
    assert rows == [["local_authority", "m"], ["Leeds", 5.0]]


def test_the_child_process_turns_a_reader_abort_into_an_error(far, monkeypatch):
    """With the limits lifted, calamine asks for 512 GiB: the child dies, the
    caller gets one line and carries on."""
    for key, value in hostile.NO_LIMITS.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(InputError) as err:
        read_sheets(far, isolate=True)
    message = str(err.value)
    assert message.startswith(f"{far}: the spreadsheet reader "), message
    assert "nothing was loaded" in message and "\n" not in message
    # ... and this process still reads workbooks.
    monkeypatch.delenv("LACOMPARE_WORKBOOK_MAX_CELLS")
    path = far.with_name("t.ods")
    path.write_bytes(hostile.trailing_empty_ods())
    assert read_sheets(path, isolate=True)[0] == ["Data"]


def test_with_the_limits_raised_the_cli_reads_in_a_child(far, monkeypatch):
    """A user who raises the limits past what the reader survives gets an error,
    not an abort (exit 134)."""
    env = {**os.environ, **hostile.NO_LIMITS}
    run = subprocess.run(
        [sys.executable, "-m", "lacompare", "ingest", far.name, "--db", "t.duckdb"],
        cwd=far.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 1, (run.returncode, run.stderr[-500:])
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "error: s.xlsx: the spreadsheet reader crashed"
    ), run.stderr[-500:]


def test_the_child_process_has_a_time_limit(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(hostile.many_cells_xlsx(100_000))
    with pytest.raises(InputError, match="took longer than 0 s"):
        read_sheets(path, isolate=True, limits=WorkbookLimits(max_read_seconds=0.01))


@pytest.mark.shared
def test_every_real_workbook_passes_the_default_limits(shared_data: Path):
    suffixes = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
    books = sorted(p for p in shared_data.rglob("*") if p.suffix.lower() in suffixes)
    assert books, "no workbooks in the shared data"
    defaults = WorkbookLimits()
    from python_calamine import CalamineWorkbook

    for path in books:
        size = check_workbook_size(path, limits=defaults)
        if path.suffix.lower() not in (".xlsx", ".ods"):
            continue
        assert size.sheets, path
        # The largest sheet is far inside the limits: room for bigger releases.
        assert max(s.area for s in size.sheets) * 10 < defaults.max_cells, path
        # And the extent measured is the one the reader finds.
        book = CalamineWorkbook.from_path(str(path))
        found = {}
        for name in book.sheet_names:
            end = book.get_sheet_by_name(name).end
            found[name] = (end[0] + 1, end[1] + 1) if end else (0, 0)
        assert {s.name: (s.rows, s.columns) for s in size.sheets} == found, path
