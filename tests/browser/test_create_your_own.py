"""Create your own in a real browser: pick two indicators and two authorities with
the form, see the table, download its CSV; and the regional page's chart.

Skipped (saying why) without ../shared/data or chromium, as the other browser
tests. Screenshots go to tests/browser/artefacts/.
"""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.shared]

TIMEOUT = 60_000
CLA_RATE = "Children looked after per 10,000 children"
SPEND = "Children's social care spend per child"


def tick(page, name: str) -> None:
    """Tick the checkbox whose label starts with ``name``."""
    page.get_by_role("checkbox", name=re.compile("^" + re.escape(name))).check()


def test_create_pick_submit_download(page, server, artefacts, tmp_path, console_errors):
    from playwright.sync_api import expect

    page.goto(f"{server.url}/create")
    expect(page.locator("h1")).to_have_text("Create your own table")

    # The search box filters the list as one types (no reload needed).
    search = page.get_by_label("Search the indicators")
    search.fill("looked after per 10,000")
    expect(page.get_by_role("checkbox", name=re.compile("^" + SPEND))).to_be_hidden()
    # Another indicator of the same topic is hidden too, not only other topics.
    count = "Children looked after on 31 March"
    expect(page.get_by_role("checkbox", name=re.compile("^" + count))).to_be_hidden()
    tick(page, CLA_RATE)
    search.fill("spend per child")
    tick(page, SPEND)
    # What is ticked stays listed whatever the search.
    expect(
        page.get_by_role("checkbox", name=re.compile("^" + re.escape(CLA_RATE)))
    ).to_be_checked()

    # Two authorities from one region.
    page.locator("summary", has_text="Yorkshire and The Humber").click()
    tick(page, "Leeds")
    tick(page, "Wakefield")
    page.get_by_label("Years to show").select_option("all")
    page.screenshot(path=artefacts / "create-form.png", full_page=True)
    page.get_by_role("button", name="Show the table").click()

    page.wait_for_url(re.compile(r"/table/custom\?"))
    state = parse_qs(urlparse(page.url).query)
    assert sorted(state["measure"]) == ["cla_rate_per_10000", "csc_spend_per_child"]
    assert sorted(state["la"]) == ["E08000035", "E08000036"]
    expect(page.locator("h1")).to_have_text("Your table: 2 indicators, 2 authorities")
    titles = page.locator("h2.lac-table-title").all_inner_texts()
    assert any(t.startswith(CLA_RATE) for t in titles)
    assert any(t.startswith(SPEND) for t in titles)
    for table in page.locator("table.lac-custom").all():
        rows = table.locator("tbody th").all_inner_texts()
        assert rows[:2] == ["Leeds", "Wakefield"] and "England" in rows
        # Numbers are right-aligned.
        cell = table.locator("td.lac-num").first
        assert cell.evaluate("e => getComputedStyle(e).textAlign") == "right"
    page.screenshot(path=artefacts / "create-table.png", full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    target = tmp_path / "custom.csv"
    info.value.save_as(target)
    with target.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["indicator_id"] for r in rows} == {
        "cla_rate_per_10000",
        "csc_spend_per_child",
    }
    leeds = [r for r in rows if r["area_name"] == "Leeds"]
    assert leeds and all("value_unrounded" in r for r in leeds)
    assert {r["area_name"] for r in rows} >= {"Leeds", "Wakefield", "England"}
    assert console_errors == []


def test_region_page_draws_its_chart(page, server, artefacts, console_errors):
    from playwright.sync_api import expect

    page.goto(f"{server.url}/region?name=North East&measure=cla_rate_per_10000")
    chart = page.locator(".lac-vega")
    expect(chart.locator("svg")).to_be_attached(timeout=TIMEOUT)
    assert "Line chart of" in chart.get_attribute("aria-label")
    expect(page.locator(".lac-count")).to_contain_text("North East has 12 authorities")
    # Picking out an authority keeps the region and indicator in the URL.
    page.get_by_label("Pick out an authority").select_option(label="Sunderland")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"highlight=E08000024"))
    expect(page.locator(".lac-vega svg")).to_be_attached(timeout=TIMEOUT)
    page.screenshot(path=artefacts / "region-north-east.png", full_page=True)
    assert console_errors == []
