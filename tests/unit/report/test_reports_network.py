"""The network report on the packaged demo data: HTML, XLSX and PDF.

The regional tables must print exactly the figures the demo writes to
regional_summary.csv; the HTML must be self-contained and accessible; the PDF
must have numbered pages and a contents list; the XLSX must store numbers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from html_tables import tables_of

from lacompare.demo import DEMO_MEASURES, run_demo
from lacompare.report._network import build_network
from lacompare.report._reports import render_html, write_document, write_report
from lacompare.store import open_store


def printed_equals(text: str, value: float) -> bool:
    """A printed cell ('1,234.5', '(12)') is ``value`` rounded to its decimals."""
    clean = text.replace(",", "").replace("(", "-").replace(")", "")
    decimals = len(clean.split(".")[1]) if "." in clean else 0
    return abs(float(clean) - value) <= 0.5 * 10**-decimals + 1e-9


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out)
    with open_store(result.db, read_only=True) as store:
        doc = build_network(store)
        html = render_html(doc)
        xlsx = write_document(doc, out / "network.xlsx", "xlsx")
        labels = dict(
            store.con.execute("SELECT measure, label FROM measures").fetchall()
        )
        sources = store.query("SELECT file, sheet, loaded_at FROM sources")
    csv = pd.read_csv(result.regional_summary)
    return {
        "doc": doc,
        "html": html,
        "xlsx": xlsx,
        "csv": csv,
        "labels": labels,
        "sources": sources,
        "out": out,
        "db": result.db,
    }


def test_regional_tables_print_the_demo_csv(demo):
    tables = tables_of(demo["html"])
    csv = demo["csv"]
    assert set(csv["measure"]) == set(DEMO_MEASURES)
    checked = 0
    for measure, block in csv.groupby("measure"):
        rows = tables[f"{demo['labels'][measure]}: by region"]
        header, body = rows[0], {r[0]: r for r in rows[1:] if len(r) > 1}
        assert header[:2] == ["Region", "Services (N)"]
        assert set(body) == set(block["region"])
        for r in block.itertuples():
            cells = body[r.region]
            assert int(cells[1]) == r.n
            for i, stat in enumerate(("mean", "median", "sd", "min", "max"), 2):
                value = getattr(r, stat)
                if pd.isna(value):
                    assert cells[i] == "[z]", (measure, r.region, stat)
                else:
                    assert printed_equals(cells[i], value), (
                        measure,
                        r.region,
                        stat,
                        cells[i],
                        value,
                    )
                checked += 1
    assert checked == len(csv) * 5


def test_xlsx_stores_the_csv_numbers(demo):
    import openpyxl

    wb = openpyxl.load_workbook(demo["xlsx"])
    assert {"Contents", "Notes", "Sources", "Population", "Delivery"} <= set(
        wb.sheetnames
    )
    csv = demo["csv"]
    for measure, block in csv.groupby("measure"):
        ws = wb[measure[:31]]
        assert ws.freeze_panes is not None  # header frozen
        rows = list(ws.iter_rows(values_only=True))
        head = next(i for i, r in enumerate(rows) if r[0] == "Region")
        body = {r[0]: r for r in rows[head + 1 :] if r[0]}
        for r in block.itertuples():
            cells = body[r.region]
            assert cells[1] == r.n
            for i, stat in enumerate(("mean", "median", "sd", "min", "max"), 2):
                value = getattr(r, stat)
                if pd.isna(value):
                    assert cells[i] is None  # empty, never 0
                else:
                    assert isinstance(cells[i], (int, float))  # a number, not text
                    assert cells[i] == pytest.approx(value, rel=1e-12)
    src = list(wb["Sources"].iter_rows(values_only=True))
    assert any(r and r[0] == "iassn_2021_services.csv" for r in src)


def test_sections_of_the_sendias_report(demo):
    html = demo["html"]
    for heading in (
        "Population served",
        "Funding per head",
        "Change in funding",
        "Delivery and joint commissioning",
        "Staffing",
        "Regional tables",
        "How to read this report",
        "Sources",
    ):
        assert f">{heading}</h2>" in html, heading
    tables = tables_of(html)
    delivery = next(
        v for k, v in tables.items() if k.startswith("Services by delivery model")
    )
    england = next(r for r in delivery if r[0] == "England")
    counts = pd.read_csv(demo["out"] / "delivery_counts.csv")
    eng = counts[counts["region"] == "England"].iloc[0]
    assert [int(c) for c in england[1:]] == [int(eng[c]) for c in counts.columns[1:]]
    # The histogram of funding change and two box plots, each with alt text.
    assert len(demo["doc"].figures()) == 3
    assert "Histogram" in html or "histogram" in html


def test_html_is_self_contained_and_accessible(demo):
    html = demo["html"]
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert '<html lang="en-GB">' in html
    assert html.count("<h1>") == 1
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) == 3
    for img in imgs:
        assert 'src="data:image/svg+xml;base64,' in img
        alt = re.search(r'alt="([^"]*)"', img).group(1)
        assert len(alt) > 40
    assert html.count("<caption>") == html.count("<table")
    assert '<th scope="col"' in html and '<th scope="row">' in html
    # Every contents link points at a heading on the page.
    nav = html[html.index('<nav class="contents"') : html.index("</nav>")]
    for target in re.findall(r'href="#([^"]+)"', nav):
        assert f'id="{target}"' in html, target
    # Missing-value symbols are explained.
    for symbol in ("[c]", "[x]", "[z]"):
        assert f"<dt>{symbol}</dt>" in html


def test_sources_name_the_file_sheet_and_load_time(demo):
    html = demo["html"]
    section = html[html.index('id="sources"') :]
    for r in demo["sources"].itertuples():
        assert Path(r.file).name in section
        assert pd.Timestamp(r.loaded_at).strftime("%Y-%m-%d %H:%M") in section


def test_write_report_with_no_store_uses_the_demo(tmp_path, monkeypatch):
    import lacompare.store as store_module

    monkeypatch.setattr(
        store_module,
        "default_db_path",
        lambda: tmp_path / "absent" / "lacompare.duckdb",
    )
    out = write_report("network", out=tmp_path / "n.html")
    text = out.read_text()
    assert "packaged demo data" in text
    assert "Funding per head of 0-25 population, 2021: by region" in text


def _pdftoppm() -> str:
    path = shutil.which("pdftoppm")
    if path is None:
        pytest.skip("pdftoppm not installed (Debian: apt-get install poppler-utils)")
    return path


def test_pdf_pages_are_numbered_and_not_blank(demo, tmp_path):
    pytest.importorskip("weasyprint", reason="PDF needs the pdf extra (WeasyPrint)")
    image = pytest.importorskip("PIL.Image")
    from PIL import ImageStat

    pdftoppm = _pdftoppm()
    pdf = write_document(demo["doc"], tmp_path / "network.pdf", "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(
        [pdftoppm, "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    # Title, contents, seven sections and fourteen regional tables.
    assert 10 <= len(pages) <= 25
    for page in pages:
        variance = ImageStat.Stat(image.open(page).convert("L")).var[0]
        assert variance > 50, f"{page.name} looks blank"
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        first = text.split("\f")[0]
        assert "Contents" in first
        # Contents entries end with their page numbers.
        assert re.search(r"Regional tables\s*\.+\s*\d+", first)
        assert f"Page 1 of {len(pages)}" in first
        assert f"Page {len(pages)} of {len(pages)}" in text


def test_interactive_html_inlines_vega_and_keeps_the_images(tmp_path):
    from lacompare.report._reports import write_report

    out = write_report("network", out=tmp_path / "n.html", interactive=True)
    page = out.read_text(encoding="utf-8")
    assert "vegaEmbed" in page and 'type="application/json"' in page
    assert page.count('class="live"') == page.count('<img src="data:image/svg')
    # Nothing is fetched: no script or stylesheet loaded from elsewhere.
    assert "<script src=" not in page and "<link" not in page
