"""``lacompare publish site`` output opened from disk (file://) in chromium: the
search finds authorities, indicators and regions with no server, the charts draw
with nothing fetched from a network, and axe-core finds no serious violation.

The site is built once from the shared-data store (three profiles; the
indicator and region pages cover every authority).
"""

from __future__ import annotations

import re

import pytest
from axe import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.shared]

TIMEOUT = 30_000
SEARCH = "Search authorities, indicators and regions"


@pytest.fixture(scope="module")
def site(shared_db, tmp_path_factory):
    from lacompare.report import write_site
    from lacompare.store import open_store

    out = tmp_path_factory.mktemp("published") / "site"
    with open_store(shared_db, read_only=True) as store:
        return write_site(store, out, authority="Leeds, York, Hartlepool")


def assert_accessible(page, console_errors: list[str]) -> None:
    """No console error so far, and no serious axe-core violation.

    The errors are checked (and then cleared) before axe runs: axe's own
    reading of the style sheet from file:// is refused by chromium, and logged.
    """
    assert console_errors == []
    assert serious_violations(page) == []
    console_errors.clear()


@pytest.fixture
def offline(page) -> list[str]:
    """Requests the page makes to a network (each refused): none are expected."""
    asked: list[str] = []

    def refuse(route) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(https?|wss?)://"), refuse)
    return asked


def test_search_from_disk_finds_and_opens_a_profile(
    page, site, artefacts, console_errors, offline
):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.index.as_uri())
    page.get_by_label(SEARCH).fill("york")
    results = page.locator("#search-results a")
    expect(results.first).to_have_text("York", timeout=TIMEOUT)
    names = results.all_inner_texts()
    # Names starting with the words first; Leeds is found by its region.
    assert names == ["York", "Yorkshire and The Humber", "Leeds"]
    expect(page.locator("#search-status")).to_have_text(f"{len(names)} matches.")
    page.screenshot(path=artefacts / "site-search-york.png", full_page=True)
    assert_accessible(page, console_errors)

    # An indicator is found by a word of its name.
    page.get_by_label(SEARCH).fill("looked after")
    expect(page.locator("#search-results li").first).to_contain_text("Indicator")
    # Every word typed must match.
    page.get_by_label(SEARCH).fill("north east hartlepool")
    expect(page.locator("#search-status")).to_have_text("1 match.")
    page.get_by_label(SEARCH).fill("nowhereshire")
    expect(page.locator("#search-status")).to_contain_text("No authority")
    expect(page.locator("#search-results")).to_be_hidden()

    # Keyboard only: Enter in the box moves to the first result, Enter opens it.
    page.get_by_label(SEARCH).fill("leeds")
    page.get_by_label(SEARCH).press("Enter")
    expect(results.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"profiles/profile-E08000035\.html$"))
    expect(page.locator("h1")).to_contain_text("Leeds")
    page.screenshot(path=artefacts / "site-profile-leeds.png", full_page=True)
    assert_accessible(page, console_errors)
    assert offline == []


def test_indicator_and_region_pages_draw_charts_offline(
    page, site, artefacts, console_errors, offline
):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 900})
    cla = next(p for p in site.indicators if "rate-per-10000" in p.name)
    page.goto(cla.as_uri())
    expect(page.locator("div.vega.drawn svg")).to_have_count(2, timeout=TIMEOUT)
    # The table ranks every current authority, the charts' alt text is named.
    assert page.locator("#ranking tbody tr").count() >= 150
    assert len(page.locator("div.vega").first.get_attribute("aria-label")) > 40
    page.screenshot(path=artefacts / "site-indicator.png", full_page=True)
    assert_accessible(page, console_errors)
    # On a phone the charts shrink to the screen; nothing needs scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate(
        "document.querySelector('div.vega svg').getBoundingClientRect().width"
    )
    assert width <= 390
    page.screenshot(path=artefacts / "site-indicator-390.png", full_page=True)
    assert_accessible(page, console_errors)
    page.set_viewport_size({"width": 1280, "height": 900})

    region = next(p for p in site.regions if p.name == "yorkshire-and-the-humber.html")
    page.goto(region.as_uri())
    expect(page.locator("div.vega.drawn svg").first).to_be_visible(timeout=TIMEOUT)
    row = page.locator("table").first.locator("tbody tr", has_text="Leeds")
    expect(row.locator("a")).to_have_attribute(
        "href", "../profiles/profile-E08000035.html"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=artefacts / "site-region-390.png", full_page=True)
    assert console_errors == []
    assert offline == []
