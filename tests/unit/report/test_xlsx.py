"""XLSX reports re-read with openpyxl: numbers, formats, panes, sheets, sources."""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from lacompare.formatting.tables import Column, ReportTable
from lacompare.report._xlsx import number_format, write_xlsx


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid grey PNG, made by hand so the test needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def money_table() -> ReportTable:
    f = pd.DataFrame(
        {
            "la": ["Leicester", "Rutland", "=cmd|' /C calc'!A0"],
            "spend": [240_000.0, -1_792.0, 12.5],
            "per_head": [1 / 3, 0.1 + 0.2, 2.675],
            "rate": [103.0, 99.5, None],
            "fte": [2.5, 1.25, 0.0],
        }
    )
    return ReportTable(
        "Money [test]: a very long title that will not fit a tab",
        f,
        [
            Column("la", "Authority", role="label"),
            Column("spend", "Spend", unit="£"),
            Column("per_head", "Spend per child", unit="£ per head", role="rate"),
            Column("rate", "Rate", unit="%", role="rate"),
            Column("fte", "Staff", unit="FTE"),
        ],
    )


SOURCES = pd.DataFrame(
    {
        "file": ["seeds/001_92e9c1e14187427a.txt", '=HYPERLINK("x")'],
        "sheet": ["§4.4", None],
        "rows": [31, 4],
        "loaded_at": [dt.datetime(2025, 5, 1, 9, 30), dt.datetime(2025, 5, 2, 10, 0)],
        "checked_at": [pd.Timestamp("2025-05-01 09:30", tz="Europe/London"), None],
    }
)


ALT = "Bar chart of the budget by service line, £000"


@pytest.fixture(scope="module")
def workbook(
    tmp_path_factory: pytest.TempPathFactory, seed
) -> tuple[Path, list[ReportTable]]:
    tables = [
        seed.budget_table(),
        seed.headcount_table(),
        seed.missing_table(),
        money_table(),
        ReportTable("Staffing", seed.headcount_items()),
    ]  # clashes with a name
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    out = write_xlsx(
        path,
        tables,
        SOURCES,
        title="Children's services 2024/25",
        charts={"Budget by service": (tiny_png(), ALT), "Plain": tiny_png()},
    )
    assert out == path
    return path, tables


def header_row(ws) -> int:
    """1-based header row: the top of the sheet's Excel table."""
    (table,) = ws.tables.values()
    return openpyxl.utils.cell.range_boundaries(table.ref)[1]


def test_sheets(workbook) -> None:
    path, _ = workbook
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Contents",
        "Notes",
        "Social care and early help budg",
        "Staffing",
        "Children looked after",
        "Money test a very long title th",
        "Staffing (2)",
        "Budget by service",
        "Plain",
        "Sources",
    ]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    assert wb.properties.title == "Children's services 2024/25"
    contents = wb["Contents"]
    assert contents["A1"].value == "Children's services 2024/25"
    links = [c.hyperlink.location for c in contents["A"] if c.hyperlink]
    assert links == [f"'{s}'!A1" for s in wb.sheetnames[1:]]


@pytest.mark.parametrize("index", range(5))
def test_numbers_equal_the_frame(workbook, index: int) -> None:
    path, tables = workbook
    table = tables[index]
    ws = openpyxl.load_workbook(path).worksheets[index + 2]
    assert ws["A1"].value == table.title
    top = header_row(ws)
    headers = [c.value for c in ws[top]]
    columns = ([table.group] if table.group else []) + [c.name for c in table.columns]
    assert headers[: len(columns)] == (
        (["Division"] if table.group else []) + [c.heading for c in table.columns]
    )
    assert ws.max_row == top + len(table.frame)
    inexact = []
    for r in range(len(table.frame)):
        for j, name in enumerate(columns):
            cell = ws.cell(top + 1 + r, j + 1)
            expected = table.frame[name][r]
            column = next((c for c in table.columns if c.name == name), None)
            if column is not None and column.numeric:
                if pd.isna(expected):
                    assert cell.value is None, (name, r)  # empty, never 0
                elif float(f"{expected:.16g}") == expected:
                    assert cell.data_type == "n" and cell.value == expected, (name, r)
                else:
                    # XlsxWriter writes 16 significant digits (Excel shows 15), so
                    # a float that needs 17 to round-trip comes back 1 ulp away.
                    assert cell.value == pytest.approx(expected, rel=1e-15, abs=0)
                    inexact.append((name, r))
            else:
                assert cell.data_type == "s" or cell.value is None
                text = "" if pd.isna(expected) else str(expected)
                assert (cell.value or "") == text
    # Only the deliberately awkward 0.1 + 0.2 in the money table.
    assert inexact == ([("per_head", 1)] if index == 3 else [])


def test_number_formats_panes_and_bold(workbook) -> None:
    path, tables = workbook
    wb = openpyxl.load_workbook(path)
    budget = wb.worksheets[2]
    top = header_row(budget)
    assert budget.freeze_panes == f"B{top + 1}"  # header row and row headings
    assert budget.cell(top, 1).font.b and budget.cell(top, 2).font.b
    fmts = {budget.cell(r, 2).number_format for r in range(top + 1, budget.max_row + 1)}
    assert fmts == {"#,##0;(#,##0)"}
    roles = tables[0].frame["row_role"].tolist()
    for r, role in enumerate(roles):
        assert bool(budget.cell(top + 1 + r, 2).font.b) == (role != "item")
        assert bool(budget.cell(top + 1 + r, 1).font.b) == (role != "item")
    staff = wb["Staffing"]
    top = header_row(staff)
    assert staff.freeze_panes == f"C{top + 1}"  # division and service
    assert staff.cell(top + 1, 3).number_format == "#,##0"
    money = wb.worksheets[5]
    top = header_row(money)
    assert [money.cell(top + 1, j).number_format for j in range(2, 6)] == [
        "£#,##0;(£#,##0)",
        "£#,##0.00;(£#,##0.00)",
        '#,##0"%"',
        "#,##0.00",
    ]
    share = wb["Children looked after"]
    assert share.cell(header_row(share) + 1, 3).number_format == "0.0%"
    assert number_format("£m", 1) == "#,##0.0;(#,##0.0)"


def test_missing_cells_are_empty_with_reasons(workbook) -> None:
    path, _ = workbook
    ws = openpyxl.load_workbook(path)["Children looked after"]
    top = header_row(ws)
    assert [c.value for c in ws[top]][-1] == "Notes on this row"
    cla = [ws.cell(top + r, 2) for r in range(1, 5)]
    assert [c.value for c in cla] == [640, None, None, None]
    assert [c.comment.text if c.comment else None for c in cla] == [
        None,
        "[c] suppressed to protect confidentiality",
        "[x] not available",
        "– no figure",
    ]
    notes = [ws.cell(top + r, 4).value for r in range(1, 5)]
    assert notes[0] is None
    assert (
        notes[1] == "Children looked after (persons): [c] suppressed to protect "
        "confidentiality"
    )
    assert notes[2] == (
        "Children looked after (persons): [x] not available; "
        "Share placed out of area (%): [z] not applicable"
    )
    above = [ws.cell(r, 1).value for r in range(2, top)]
    assert "[c] suppressed to protect confidentiality" in above
    assert "Symbols, units and rounding are explained on the Notes sheet." in above


def test_text_stays_text(workbook) -> None:
    path, _ = workbook
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[5]
    cell = ws.cell(header_row(ws) + 3, 1)
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"


def test_mismatch_noted(tmp_path: Path, seed) -> None:
    frame = seed.budget_frame()
    frame.loc[frame["line"] == "Legal Costs", "budget"] = 1_600
    path = write_xlsx(tmp_path / "r.xlsx", [seed.budget_table(frame)], SOURCES.iloc[:0])
    ws = openpyxl.load_workbook(path).worksheets[2]
    top = header_row(ws)
    assert ws.cell(top, 3).value == "Notes on this row"
    row = top + 1 + frame.index[frame["line"] == "Social Care"][0]
    assert ws.cell(row, 3).value == (
        "2024/25 budget (£000): † does not equal the sum of its parts within rounding "
        "(they sum to 81,631)"
    )
    assert ws.cell(row, 2).value == 81_531
    # An empty sources frame still gives a Sources sheet with its header.
    sources = openpyxl.load_workbook(path)["Sources"]
    assert [c.value for c in sources[3]] == list(SOURCES.columns)


def test_sources_sheet(workbook) -> None:
    path, _ = workbook
    ws = openpyxl.load_workbook(path)["Sources"]
    top = header_row(ws)
    assert ws.freeze_panes == f"A{top + 1}"
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=top)]
    assert rows[0] == list(SOURCES.columns)
    assert rows[1] == [
        "seeds/001_92e9c1e14187427a.txt",
        "§4.4",
        31,
        dt.datetime(2025, 5, 1, 9, 30),
        "2025-05-01T09:30:00+01:00",
    ]
    assert rows[2] == ['=HYPERLINK("x")', None, 4, dt.datetime(2025, 5, 2, 10), None]
    assert ws.cell(top + 2, 1).data_type == "s"


def test_notes_sheet(workbook) -> None:
    path, _ = workbook
    ws = openpyxl.load_workbook(path)["Notes"]
    top = header_row(ws)
    terms = {r[0].value: r[1].value for r in ws.iter_rows(min_row=top + 1)}
    assert terms["[c]"] == "suppressed to protect confidentiality"
    assert terms["–"] == "no figure"
    assert "never shown as 0" in terms["Empty cell"]
    assert "Rounding" in terms and "(1,792)" in terms


def test_charts_have_alt_text(workbook) -> None:
    path, _ = workbook
    ws = openpyxl.load_workbook(path)["Budget by service"]
    assert ws["A2"].value == f"Description: {ALT}"
    with zipfile.ZipFile(path) as z:
        drawings = [
            z.read(n).decode()
            for n in z.namelist()
            if n.startswith("xl/drawings/drawing")
        ]
    assert any(f'descr="{ALT}"' in d for d in drawings)
    assert any('descr="Plain"' in d for d in drawings)


def test_bad_chart_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        write_xlsx(tmp_path / "r.xlsx", [], SOURCES, charts={"x": b"GIF89a"})


def test_sheet_names_made_legal(tmp_path: Path) -> None:
    f = pd.DataFrame({"a": ["x"], "v": [1]})
    names = ["Notes", "a/b:c*d?[e]", "'quoted'", "History", "x" * 40, "x" * 40]
    path = write_xlsx(tmp_path / "r.xlsx", [ReportTable(n, f) for n in names], SOURCES)
    sheets = openpyxl.load_workbook(path).sheetnames
    assert sheets[2:-1] == [
        "Notes (2)",
        "a b c d e",
        "quoted",
        "History (table)",
        "x" * 31,
        "x" * 27 + " (2)",
    ]
    assert get_column_letter(1) == "A"
