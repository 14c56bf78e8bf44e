"""The scrutiny report on a store built in the test: a SYNTHETIC extract (no real
personal data), a population, headcount and a budget with one wrong total."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from lacompare.cli import app
from lacompare.errors import InputError
from lacompare.report._reports import build_report, render_html, write_document
from lacompare.snapshot import (
    load_budget,
    load_extract,
    load_headcount,
    monthly_dates,
    write_synthetic_extract,
)
from lacompare.store import open_store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scrutiny")
    path = folder / "s.duckdb"
    extract = write_synthetic_extract(folder / "x.csv", seed=5, scale=0.3, months=20)
    (folder / "h.csv").write_text("division,service,headcount\nSocial work,CIN teams,"
                                  "149\nSocial work,Corporate parenting,250\n"
                                  "Education,SEND,75\n")
    (folder / "b.csv").write_text(
        "section,line,amount,row_role\nSocial care,Placements,\"55,972\",item\n"
        "Social care,Non pay team costs,(220),item\n"
        "Social care,Social Care,\"55,852\",subtotal\n"
        "Early help,Family Support,\"1,222\",item\n"
        "Early help,Supporting Families - income,\"(1,792)\",item\n"
        "Early help,Early Help,(500),subtotal\n")
    with open_store(path) as store:
        store.con.execute("INSERT INTO sources (file, sha256) VALUES ('pop', 'x')")
        store.con.execute(
            "INSERT INTO observations (la_code, measure, period, breakdown, value, "
            "source_id) VALUES ('E06000016', 'population_estimate', '2023', '', "
            "88000, 1)")
        load_extract(store, extract, authority="Leicester",
                     dates=monthly_dates("2024-10-04", 16))
        load_headcount(store, folder / "h.csv", authority="Leicester",
                       as_of="2024-10-04")
        load_budget(store, folder / "b.csv", authority="Leicester", as_of="2024/25")
    return path


def text_of(html: str) -> str:
    import html as h

    body = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", h.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_scrutiny_document(db) -> None:
    with open_store(db, read_only=True) as store:
        doc = build_report("scrutiny", store, authority="Leicester",
                           date="2024-10-04")
    assert doc.title == "Leicester: children's services workload and resources"
    assert doc.key_points[0].startswith("SYNTHETIC DATA")
    titles = [s.title for s in doc.sections]
    assert titles == ["Snapshot of demand and caseloads",
                      "Trends over the last 13 months", "Staffing", "Budget",
                      "How Leicester compares with its statistical neighbours"]
    figures = doc.figures()
    assert len(figures) == 4 and all(len(f.description) > 30 for f in figures)
    # 13 monthly points in each trend, the last the snapshot date.
    data = figures[0].chart.layer[0].data
    assert len(data) == 13 and data["period"].iloc[-1] == "2024-10-04"
    html = render_html(doc)
    text = text_of(html)
    assert "Leicester: snapshot at 04/10/2024" in text
    assert "Change is from the snapshot of 04 July 2024" in text
    assert "(1,792)" in text and "Income is shown in brackets." in text
    # Early help's printed (500) is not 1,222 - 1,792 = -570: flagged, not fixed.
    assert "the parts sum to -570" in text
    assert "Social Care" in text and "55,852" in text
    staff = next(t for t in doc.tables() if t.name == "Headcount")
    totals = staff.frame[staff.frame["row_role"] != "item"]
    assert totals["headcount"].tolist() == [399, 75, 474]
    assert "cpp_rate_per_10000 is not in the store" in text
    assert "SYNTHETIC" in text


def test_scrutiny_xlsx_and_cli(db, tmp_path) -> None:
    from openpyxl import load_workbook

    with open_store(db, read_only=True) as store:
        doc = build_report("scrutiny", store)
        out = write_document(doc, tmp_path / "s.xlsx", "xlsx")
    book = load_workbook(out)
    assert "Snapshot numbers" in book.sheetnames
    sheet = book["Snapshot numbers"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, r in enumerate(values) if r[0] == "Measure")
    assert isinstance(values[header + 1][3], (int, float))  # numbers as numbers
    result = CliRunner().invoke(app, ["report", "scrutiny", "--authority", "Leicester",
                                      "--date", "2024-10-04", "--db", str(db),
                                      "--out", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s.html").stat().st_size > 10_000
    wrong = CliRunner().invoke(app, ["report", "scrutiny", "--date", "2024-10-05",
                                     "--db", str(db)])
    assert wrong.exit_code == 1 and "no snapshot of E06000016 on 2024-10-05" in \
        wrong.output


def test_scrutiny_needs_snapshots() -> None:
    with open_store(":memory:") as store, pytest.raises(InputError,
                                                        match="no snapshot values"):
        build_report("scrutiny", store, authority="Leeds")
