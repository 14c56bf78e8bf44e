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
    (folder / "h.csv").write_text(
        "division,service,headcount\nSocial work,CIN teams,"
        "149\nSocial work,Corporate parenting,250\n"
        "Education,SEND,75\n"
    )
    (folder / "b.csv").write_text(
        'section,line,amount,row_role\nSocial care,Placements,"55,972",item\n'
        "Social care,Non pay team costs,(220),item\n"
        'Social care,Social Care,"55,852",subtotal\n'
        'Early help,Family Support,"1,222",item\n'
        'Early help,Supporting Families - income,"(1,792)",item\n'
        "Early help,Early Help,(500),subtotal\n"
    )
    with open_store(path) as store:
        store.con.execute("INSERT INTO sources (file, sha256) VALUES ('pop', 'x')")
        store.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, breakdown, "
            "value, "
            "source_id) VALUES ('E06000016', 'population_estimate', '2023', '', "
            "88000, 1)"
        )
        load_extract(
            store, extract, authority="Leicester", dates=monthly_dates("2024-10-04", 16)
        )
        load_headcount(
            store, folder / "h.csv", authority="Leicester", as_of="2024-10-04"
        )
        load_budget(store, folder / "b.csv", authority="Leicester", as_of="2024/25")
    return path


def text_of(html: str) -> str:
    import html as h

    body = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", h.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_scrutiny_document(db) -> None:
    with open_store(db, read_only=True) as store:
        doc = build_report("scrutiny", store, authority="Leicester", date="2024-10-04")
    assert doc.title == "Leicester: children's services workload and resources"
    assert doc.key_points[0].startswith("SYNTHETIC DATA")
    titles = [s.title for s in doc.sections]
    assert titles == [
        "Snapshot of demand and caseloads",
        "Trends over the last 13 months",
        "Staffing",
        "Budget",
        "How Leicester compares with its statistical neighbours",
    ]
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
    result = CliRunner().invoke(
        app,
        [
            "report",
            "scrutiny",
            "--authority",
            "Leicester",
            "--date",
            "2024-10-04",
            "--db",
            str(db),
            "--out",
            str(tmp_path / "s.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s.html").stat().st_size > 10_000
    wrong = CliRunner().invoke(
        app, ["report", "scrutiny", "--date", "2024-10-05", "--db", str(db)]
    )
    assert (
        wrong.exit_code == 1
        and "no snapshot of E06000016 on 2024-10-05" in wrong.output
    )


def test_scrutiny_needs_snapshots() -> None:
    with (
        open_store(":memory:") as store,
        pytest.raises(InputError, match="no snapshot values"),
    ):
        build_report("scrutiny", store, authority="Leeds")


def _east_midlands_store(store, *, population: bool) -> list[str]:
    """cpp_at31 at 31 March 2025 for the East Midlands (one suppressed) and,
    optionally, a mid-2024 0-17 population: made-up round figures."""
    las = [
        r[0]
        for r in store.con.execute(
            "SELECT la_code FROM authorities WHERE region = 'East Midlands' AND "
            "valid_to IS NULL ORDER BY la_code"
        ).fetchall()
    ]
    store.con.execute(
        "INSERT INTO sources (file, sha256) VALUES ('d5.csv', 'a'), ('pop.csv', 'b')"
    )
    for i, la in enumerate(las):
        suppressed = la == "E06000017"  # Rutland
        store.con.execute(
            "INSERT INTO observation_cells (la_code, measure, period, value, "
            "missing_reason, source_id) VALUES (?, 'cpp_at31', '2025', ?, ?, 1)",
            [
                la,
                None if suppressed else 100.0 + 10 * i,
                "suppressed" if suppressed else None,
            ],
        )
        if population:
            store.con.execute(
                "INSERT INTO observation_cells (la_code, measure, period, value, "
                "source_id) VALUES (?, 'population_estimate', '2024', ?, 2)",
                [la, 20_000.0 + 1_000 * i],
            )
    return las


def test_cp_rate_is_derived_from_count_and_population_when_not_published() -> None:
    import pandas as pd

    from lacompare.report._scrutiny import neighbour_comparison

    snapshot = pd.DataFrame(
        {"measure": ["rate_per_10000"], "breakdown": ["CP"], "value": [30.0]}
    )
    with open_store(":memory:") as store:
        _east_midlands_store(store, population=False)
        table, notes = neighbour_comparison(store, "E06000016", snapshot)
        assert table is None
        assert (
            "Child protection plans per 10,000 children: not compared, "
            "cpp_rate_per_10000 is not in the store, and no 0-17 population "
            "(0-17 or population_estimate) to derive it from cpp_at31"
        ) in notes[1]
    with open_store(":memory:") as store:
        las = _east_midlands_store(store, population=True)
        table, notes = neighbour_comparison(store, "E06000016", snapshot)
        row = table.frame.set_index("measure").loc[
            "Child protection plans per 10,000 children"
        ]
        i = las.index("E06000016")
        count, pop = 100.0 + 10 * i, 20_000.0 + 1_000 * i
        assert row["basis"] == "derived" and row["snapshot"] == 30.0
        assert row["published"] == pytest.approx(count / pop * 10_000)
        # Ranked among the East Midlands authorities with a rate (not Rutland).
        assert row["rank"].endswith(f"of {len(las) - 1}")
        note = notes[1]
        assert note.startswith(
            "Child protection plans per 10,000 children: no "
            "published rate (cpp_rate_per_10000)"
        )
        assert (
            "cpp_at31 at 31 March 2025 (from d5.csv) per 10,000 children aged "
            "0-17 (population_estimate, mid-2024, from pop.csv)"
        ) in note
        assert f"{count:,.0f} / {pop:,.0f} × 10,000" in note
        assert "not derived: 1 input-suppressed" in note
        # Derived beside the store, not in it.
        assert store.con.execute(
            "SELECT count(*) FROM measures WHERE measure = 'cpp_rate_per_10000'"
        ).fetchall() == [(0,)]


def test_compare_weeks_reaches_the_report(db, tmp_path) -> None:
    with open_store(db, read_only=True) as store:
        doc = build_report(
            "scrutiny", store, authority="Leicester", date="2024-10-04", compare_weeks=8
        )
    assert doc.subtitle == (
        "Scrutiny brief: snapshot at 04 October 2024, change "
        "from 04 August 2024 (8 weeks earlier)"
    )
    assert doc.reading_notes[0].startswith(
        "Change is from the snapshot 8 weeks earlier (04 August 2024)"
    )
    printed = next(t for t in doc.tables() if t.name == "Snapshot")
    assert [c.heading for c in printed.columns][
        2
    ] == "Change from 8 weeks before, 04/08/2024"
    out = tmp_path / "s.html"
    done = CliRunner().invoke(
        app,
        [
            "report",
            "scrutiny",
            "--db",
            str(db),
            "--compare-weeks",
            "8",
            "--out",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    text = text_of(out.read_text())
    assert "change from 04 August 2024 (8 weeks earlier)" in text
    assert "Change is from the snapshot of 04 August 2024 (8 weeks earlier)." in text
    # The default stays a rolling quarter (13 weeks: 04 July).
    quarter = CliRunner().invoke(
        app, ["report", "scrutiny", "--db", str(db), "--out", str(out)]
    )
    assert (
        quarter.exit_code == 0
        and "change from 04 July 2024 (13 weeks earlier)" in text_of(out.read_text())
    )
    for args, message in (
        (["scrutiny", "--compare-weeks", "0"], "--compare-weeks 0: give 1 or more"),
        (
            ["la-profile", "--authority", "Leeds", "--compare-weeks", "8"],
            "la-profile does not take --compare-weeks",
        ),
    ):
        bad = CliRunner().invoke(app, ["report", *args, "--db", str(db)])
        assert bad.exit_code == 1 and message in bad.output, bad.output
