"""The profile's year-by-year significance in a browser (issue 20 items 3 and 4):
the no-JavaScript table marks each year with compare's verdict for it; the trend
chart marks the same years with a key, hides and shows a series on a legend click,
and starts its axis at zero when asked (kept in the URL); axe-core finds no
serious violations on the page.

The authority is the first in the shared-data store with a significant year (found
with compare_years on a copy of the store), so nothing here is hard-coded.
"""

from __future__ import annotations

import re
import shutil

import pytest
from axe import serious_violations
from dashboard_server import CLA_31_MARCH

pytestmark = [pytest.mark.browser, pytest.mark.shared]

CLA_KEY = f"rate_per_10000[{CLA_31_MARCH}]"
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def flagged(shared_db, tmp_path_factory) -> tuple[str, dict[str, str]]:
    """An authority with a significant year on the CLA rate, and each year's
    mark as compare gives it."""
    from lacompare.analysis.significance import compare_years
    from lacompare.report._profile_years import year_mark
    from lacompare.store import open_store

    copy = tmp_path_factory.mktemp("marks") / "copy.duckdb"
    shutil.copyfile(shared_db, copy)  # the server may hold the store open
    with open_store(copy, read_only=True) as store:
        years = compare_years(store, None, ["rate_per_10000"], breakdown=CLA_31_MARCH)
    years = years[years["value"].notna()]
    hit = years[years["flag"].isin(["above", "below"])].sort_values("la_code")
    assert len(hit), "no authority has a significant year: nothing to mark"
    code = str(hit["la_code"].iloc[0])
    mine = years[years["la_code"] == code]
    return code, {
        str(r.period): year_mark(r.flag, r.flag_level) for r in mine.itertuples()
    }


def test_table_marks_each_year_with_compares_verdict(page, server, flagged, artefacts):
    code, marks = flagged
    page.goto(f"{server.url}/table/profile?la={code}&m={CLA_KEY}")
    table = page.locator("figure.lc-table", has_text="year by year").first
    table.wait_for(timeout=TIMEOUT)
    shown = {}
    for row in table.locator("tbody tr").all():
        period = row.locator("th").inner_text().strip()
        shown[period] = row.locator("td").nth(1).inner_text().strip()
    assert shown == marks
    assert any(m.startswith(("▲", "▼")) for m in shown.values())
    notes = table.locator(".lc-table-notes").inner_text()
    assert "▲ significantly higher, ▼ significantly lower" in notes
    # Figures right-aligned.
    cell = table.locator("tbody tr td").first
    assert cell.evaluate("e => getComputedStyle(e).textAlign") == "right"
    page.screenshot(path=artefacts / "profile-marks-table.png", full_page=True)


def _svg_texts(chart) -> list[str]:
    return chart.locator("svg text").evaluate_all("els => els.map(e => e.textContent)")


def test_chart_marks_toggles_and_starts_at_zero(page, server, flagged, artefacts):
    from playwright.sync_api import expect

    code, marks = flagged
    page.goto(f"{server.url}/?page=profile&la={code}&m={CLA_KEY}")
    chart = page.locator("#profile_body .lac-vega").first
    expect(chart.locator("svg")).to_be_attached(timeout=TIMEOUT)
    about = page.locator("#profile_links details.lac-about")
    expect(about.locator("summary")).to_have_text("About this download")
    about.locator("summary").click()
    expect(about).to_contain_text("Headline values")
    texts = _svg_texts(chart)
    words = {"▲": "Significantly higher", "▼": "Significantly lower"}
    for mark, key in words.items():
        assert any(t.startswith(key) for t in texts) == any(
            m.startswith(mark) for m in marks.values()
        ), texts
    figure = page.locator("#profile_body .lac-figure").first
    figure.screenshot(path=artefacts / "profile-marks-chart.png")

    # A click on England's legend entry fades England; a second click brings it back.
    legend = chart.locator("g.role-legend-label text", has_text="England")
    faded = chart.locator('svg [opacity="0.08"]')
    assert faded.count() == 0
    legend.click()
    expect(faded.first).to_be_attached(timeout=TIMEOUT)
    figure.screenshot(path=artefacts / "profile-marks-england-hidden.png")
    legend.click()
    expect(faded).to_have_count(0, timeout=TIMEOUT)

    # The axis from zero: a checkbox, kept in the URL, the chart redrawn from 0.
    page.get_by_label("Start the charts' y axis at zero").check()
    page.wait_for_function("() => location.search.includes('zero=1')")
    page.wait_for_function(
        """() => [...document.querySelectorAll(
            '#profile_body .lac-vega svg g.role-axis-label text')]
            .some(t => t.textContent.trim() === '0')""",
        timeout=TIMEOUT,
    )
    shared = page.url
    page.goto(shared)
    expect(page.get_by_label("Start the charts' y axis at zero")).to_be_checked(
        timeout=TIMEOUT
    )
    assert re.search(r"[?&]zero=1", shared)
    expect(page.locator("#profile_body .lac-vega svg").first).to_be_attached(
        timeout=TIMEOUT
    )
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artefacts / "profile-marks-zero.png", full_page=True)
    assert serious_violations(page) == []
