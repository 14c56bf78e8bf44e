"""No chart title, legend or axis title is cut short ("…") at 1280 px, in the web
app's pages and in the la-profile report's figures (issue 20 item 4).

Each page is opened at 1280 × 900 in chromium, every chart drawn by vega-embed
(SVG) is read, and a screenshot kept in tests/browser/artefacts/. Vega shortens
any title, legend label or axis title longer than its limit with "…": none may
be in the drawing. The report's figures are checked the same way from the SVG
that vl-convert draws for the PDF. The explorer's hex map is checked for
abbreviations and a legend of value ranges, its ranked bars for Leeds and
England named. Skipped (saying why) without ../shared/data or chromium.
"""

from __future__ import annotations

import re

import pytest
from dashboard_server import CLA_31_MARCH

pytestmark = [pytest.mark.browser, pytest.mark.shared]

CLA_KEY = f"rate_per_10000[{CLA_31_MARCH}]"
SPEND_KEY = "csc_expenditure_per_child"
TIMEOUT = 60_000
LEEDS = "E08000035"

PAGES = {
    "profile": f"/?page=profile&la={LEEDS}&m={CLA_KEY}&m={SPEND_KEY}",
    "explorer": f"/?page=measure&measure={CLA_KEY}&highlight={LEEDS}",
    "region": "/region?name=Yorkshire+and+The+Humber&measure=cla_rate_per_10000"
    f"&highlight={LEEDS}",
}

#: Every line of text in the page's charts (a text drawn in lines is one element
#: per line: Vega writes each as a tspan).
CHART_TEXT = """() => Array.from(document.querySelectorAll('.lac-vega svg text'))
    .flatMap(t => t.querySelectorAll('tspan').length
        ? Array.from(t.querySelectorAll('tspan')).map(s => s.textContent)
        : [t.textContent])"""


def drawn_texts(page, url: str) -> list[str]:
    """Open the page at 1280 px and wait until vega-embed has drawn every chart;
    the text lines of all of them."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url, timeout=TIMEOUT)
    charts = page.locator(".lac-vega")
    expect(charts.first).to_be_attached(timeout=TIMEOUT)
    expect(charts.locator("svg")).to_have_count(charts.count(), timeout=TIMEOUT)
    return page.evaluate(CHART_TEXT)


@pytest.mark.parametrize("name", ["profile", "region"])
def test_no_chart_text_is_cut_at_1280px(page, server, artefacts, name) -> None:
    texts = drawn_texts(page, server.url + PAGES[name])
    page.screenshot(path=artefacts / f"chart-titles-{name}.png", full_page=True)
    assert len(texts) > 10
    assert [t for t in texts if "…" in t] == []


def test_explorer_charts_name_authorities_ranges_and_england(
    page, server, shared_data, artefacts
) -> None:
    import csv

    texts = drawn_texts(page, server.url + PAGES["explorer"])
    page.screenshot(path=artefacts / "chart-titles-explorer.png", full_page=True)
    assert [t for t in texts if "…" in t] == []
    # The hex map: abbreviations on the hexes, the fifths' ranges in the legend.
    assert {"LDS", "BRD", "KEN"} <= set(texts)
    ranges = [t for t in texts if re.fullmatch(r"\d[\d,.]*–\d[\d,.]*", t)]
    assert len(ranges) == 5
    lows = [float(r.split("–")[0].replace(",", "")) for r in ranges]
    assert lows == sorted(lows)
    # The ranked bars: Leeds and its DfE 2025 neighbours (as DfE lists them)
    # named, England's figure named on its line.
    path = shared_data / "stat_neighbours/stats_neighbours_long_dashboard.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        neighbours = {
            r["SN_LA_name"] for r in csv.DictReader(f) if r["LA.Name"] == "Leeds"
        }
    assert len(neighbours) == 10
    assert {"Leeds", *neighbours} <= set(texts)
    assert any(re.fullmatch(r"England \d[\d,.]*", t) for t in texts)
    # No title says its unit twice.
    assert not [t for t in texts if "(per 10,000)" in t and "per 10,000 " in t]


def test_report_figures_have_no_cut_text(shared_db) -> None:
    """The la-profile report's figures (drawn for its PDF by vl-convert)."""
    from lacompare.charts import chart_svg
    from lacompare.report import build_report
    from lacompare.store import open_store

    with open_store(shared_db, read_only=True) as store:
        doc = build_report("la-profile", store, authority="Leeds")
    figures = [b.figure for s in doc.sections for b in s.blocks if b.figure is not None]
    assert figures
    for figure in figures:
        svg = chart_svg(figure.chart)
        cut = [t for t in re.findall(r">([^<>]*)<", svg) if "…" in t]
        assert cut == [], figure.title
