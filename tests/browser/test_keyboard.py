"""Keyboard-only use of ``lacompare serve``'s server-drawn pages: the first Tab
reaches a visible skip link that moves focus to the main content; Tab then
visits the main controls in the order they are shown, each with a visible focus
indicator; Enter activates links and submits forms.

One server for the session (``server`` in conftest.py).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.shared]

TIMEOUT = 60_000
PAGES = {
    "create": "/create",
    "custom": "/table/custom?la=E08000035&la=E08000036&measure=cla_rate_per_10000",
    "region": "/region?name=North+East&measure=cla_rate_per_10000",
    "table-profile": "/table/profile?la=E08000035",
}

#: What the page says is focused: tag, id, text or label, and whether a focus
#: indicator is drawn (an outline of 2 px or more, or a box shadow) on screen,
#: on the element or on the box that stands for it (a selectize box, the
#: button around a file input), at most three levels up.
_FOCUSED = """() => {
  const el = document.activeElement;
  const shown = (node) => {
    const style = getComputedStyle(node);
    const box = node.getBoundingClientRect();
    const outline = style.outlineStyle !== "none"
                    && parseFloat(style.outlineWidth) >= 2;
    const shadow = style.boxShadow && style.boxShadow !== "none";
    const onScreen = box.width > 0 && box.height > 0 && box.right > 0
                     && box.left < innerWidth && box.bottom > -innerHeight;
    return {drawn: Boolean(outline || shadow) && onScreen, onScreen: onScreen};
  };
  let node = el, indicated = false, onScreen = false;
  for (let up = 0; node && node !== document.body && up < 4; up++) {
    const seen = shown(node);
    onScreen = onScreen || seen.onScreen;
    if (seen.drawn) { indicated = true; break; }
    node = node.parentElement;
  }
  const text = el.innerText || el.value || el.getAttribute("aria-label") || "";
  return {tag: el.tagName.toLowerCase(), id: el.id, text: text.trim(),
          indicated: indicated, onScreen: onScreen};
}"""

#: The focusable elements of <main> that are shown, in document order.
_FOCUSABLE = """() => Array.from(document.querySelectorAll(
    "main a[href], main button, main input:not([type=hidden]), main select, "
    + "main summary, main textarea, main [tabindex='0']"))
  .filter(el => !el.disabled && el.getClientRects().length > 0
                && getComputedStyle(el).visibility !== "hidden")
  .map(el => el.id || (el.innerText || el.value || "").trim())"""


def _focused(page) -> dict:
    return page.evaluate(_FOCUSED)


def _skip_to_main(page) -> None:
    """Tab once: the skip link, shown and outlined; Enter: focus on <main>."""
    from playwright.sync_api import expect

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    seen = _focused(page)
    assert seen["onScreen"] and seen["indicated"], seen
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


@pytest.mark.parametrize("name", list(PAGES))
def test_tab_visits_the_main_controls_in_order(page, server, name):
    page.goto(server.url + PAGES[name])
    page.locator("main h1").wait_for(timeout=TIMEOUT)
    expected = page.evaluate(_FOCUSABLE)[:8]
    assert expected, "no control in <main>"
    _skip_to_main(page)
    visited = []
    for _ in expected:
        page.keyboard.press("Tab")
        seen = _focused(page)
        assert seen["indicated"], f"no visible focus on {seen}"
        visited.append(seen["id"] or seen["text"])
    assert visited == expected


def test_header_links_follow_the_skip_link(page, server):
    from playwright.sync_api import expect

    page.goto(server.url + PAGES["region"])
    page.keyboard.press("Tab")
    names = []
    for _ in range(6):
        page.keyboard.press("Tab")
        seen = _focused(page)
        assert seen["tag"] == "a" and seen["indicated"], seen
        names.append(seen["text"])
    assert names[:3] == [
        "Authority profile (table)",
        "Measure explorer (table)",
        "Create your own table",
    ]
    # Enter follows the focused link.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/create$"))


def test_enter_submits_the_region_form(page, server):
    from playwright.sync_api import expect

    page.goto(server.url + PAGES["region"])
    page.locator("main h1").wait_for(timeout=TIMEOUT)
    _skip_to_main(page)
    page.keyboard.press("Tab")  # Region
    assert _focused(page)["id"] == "name"
    # A closed select changes with the arrow keys, as a keyboard user does.
    page.keyboard.press("ArrowDown")
    chosen = page.locator("#name").input_value()
    assert chosen != "North East"
    for _ in range(3):  # Indicator, Pick out an authority, Show
        page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Show"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/region\?"), timeout=TIMEOUT)
    assert parse_qs(urlparse(page.url).query)["name"] == [chosen]
    expect(page.locator("main h1")).to_contain_text(chosen)


@pytest.mark.parametrize("name", ["profile", "measure", "relationships", "data"])
def test_interactive_pages_show_where_focus_is(page, server, name):
    """The Shiny pages: skip link first, then every Tab stop of the page tabs
    and controls visibly focused."""
    page.goto(f"{server.url}/?page={name}")
    page.locator("main .nav-link").first.wait_for(timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    # Shiny may still be drawing the page's outputs (a slow machine): a redraw
    # under the focus would send the next Tab to the page's body.
    page.wait_for_function(
        "() => !document.documentElement.classList.contains('shiny-busy')",
        timeout=TIMEOUT,
    )
    page.wait_for_timeout(500)
    _skip_to_main(page)
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen = _focused(page)
        if seen["tag"] == "body":
            break  # past the last control: the browser's own controls are next
        assert seen["indicated"] and seen["onScreen"], f"focus not shown on {seen}"
        stops.append(seen["id"] or seen["text"])
    # The page's tabs first, then its controls.
    assert (
        len(stops) >= 3
        and stops[0] == page.locator("main .nav-link.active").inner_text()
    )
