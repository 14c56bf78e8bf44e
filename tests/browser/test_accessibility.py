"""axe-core over every page of ``lacompare serve``: no serious or critical
violation on the interactive pages (profile, measure explorer, relationships,
data), create your own and its table, the regional page, or the tables that
work without JavaScript.

One server for the session (``server`` in conftest.py); each page is checked
once it has drawn (its ready element visible, the network idle).
"""

from __future__ import annotations

import pytest
from axe import serious_violations
from dashboard_server import CLA_31_MARCH

pytestmark = [pytest.mark.browser, pytest.mark.shared]

TIMEOUT = 60_000
CLA_KEY = f"rate_per_10000[{CLA_31_MARCH}]"
SPEND_KEY = "csc_expenditure_per_child"

#: name → (address, an element that shows the page has drawn).
PAGES = {
    "profile": (f"/?page=profile&la=E08000035&m={CLA_KEY}", "#profile_body h2"),
    "measure": (f"/?page=measure&measure={SPEND_KEY}", "#measure_body h2"),
    "relationships": ("/?page=relationships", "#spend_body h3"),
    "data": ("/?page=data", "#sources-table"),
    "create": ("/create", "main h1"),
    "custom": (
        "/table/custom?la=E08000035&la=E08000036&measure=cla_rate_per_10000"
        "&measure=csc_spend_per_child&periods=all",
        "table.lac-custom",
    ),
    "region": (
        "/region?name=Yorkshire+and+The+Humber&measure=cla_rate_per_10000",
        "main table",
    ),
    "table-profile": ("/table/profile?la=E08000035", "main table"),
    "table-measure": (f"/table/measure?measure={SPEND_KEY}", "main table"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_violations(page, server, artefacts, name):
    from playwright.sync_api import expect

    path, ready = PAGES[name]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + path)
    expect(page.locator(ready).first).to_be_visible(timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artefacts / f"axe-{name}.png", full_page=True)
    assert serious_violations(page) == []


@pytest.mark.parametrize(
    "name", ["profile", "create", "custom", "region", "table-profile"]
)
def test_phone_width_needs_no_sideways_scrolling(page, server, artefacts, name):
    """At 390 px the page fits (wide tables scroll in their own box, charts
    shrink), and axe-core still finds nothing serious."""
    from playwright.sync_api import expect

    path, ready = PAGES[name]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + path)
    expect(page.locator(ready).first).to_be_visible(timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artefacts / f"phone-{name}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []
