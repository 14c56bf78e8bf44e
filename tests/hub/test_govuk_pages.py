"""The hub's pages on the GOV.UK Design System (issue 21, Deliver item 6:
accessibility), in a real browser against gunicorn and PostgreSQL: axe-core finds no
serious or critical violation on the return page at 320 px and 1280 px, nor on the
login, home, dashboard and chase pages and the reviewer's view of a return; the
error summary's links move the focus to their field; no page scrolls sideways at
320 px; every label and aria-describedby points at an element that exists; totals
add up as one types; autosave shows the server's problems.

Screenshots are kept in ``tests/browser/artefacts/`` (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe import serious_violations

from tests.hub.conftest import PASSWORD, demo_services, full_answers

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parents[1] / "browser" / "artefacts"
TIMEOUT = 30_000
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 900}

#: For every aria-describedby and label[for] on the page, the ids that do not exist;
#: and every input, select and textarea (but hidden ones) without a label.
BROKEN_REFERENCES = """() => {
  const missing = [];
  for (const el of document.querySelectorAll('[aria-describedby]')) {
    for (const id of el.getAttribute('aria-describedby').split(/\\s+/)) {
      if (id && !document.getElementById(id)) missing.push(el.id + ' -> ' + id);
    }
  }
  for (const label of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(label.htmlFor)) missing.push('for ' + label.htmlFor);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!el.labels || el.labels.length === 0) missing.push('no label: ' + el.name);
  }
  return missing;
}"""
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """axe-core is injected as a script tag, which the hub's CSP (scripts from its
    own origin only) would block: these pages' contexts bypass the CSP. The autosave
    tests (``test_autosave_browser.py``) run under it and fail on any violation."""
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def pages_hub(make_round, make_user):
    """A round of three services; the second's draft has a total that does not add
    up and a staff figure that is not a number; its user and a reviewer."""
    from lacompare.hub.returns.models import Return

    services = demo_services(3)
    make_round(services)
    make_user("pages-user", services[1]["code"])
    make_user("pages-network", reviewer=True)
    ret = Return.objects.get(service__code=services[1]["code"])
    answers = full_answers(funding_total="999", fte_staff="abc")
    Return.objects.filter(pk=ret.pk).update(values=answers, version=1)
    return Return.objects.get(pk=ret.pk)


def _browser_page(request):
    page = request.getfixturevalue("page")
    page.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None,
    )
    return page, errors


def _sign_in(page, base: str, username: str, then: str) -> None:
    page.goto(f"{base}{then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{then}")


def _shot(page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"hub-govuk-{name}.png"), full_page=True)


def test_return_page_is_accessible_at_320_and_1280_px(
    chromium_available, pages_hub, hub_server, request
):
    ret = pages_hub
    page, errors = _browser_page(request)
    page.set_viewport_size(WIDE)
    _sign_in(page, hub_server, "pages-user", f"/returns/{ret.pk}/")
    # GOV.UK Frontend's stylesheet and script are served (WhiteNoise) and running.
    assert page.evaluate(
        "() => document.body.classList.contains('govuk-frontend-supported')"
    )
    assert (
        page.evaluate("() => getComputedStyle(document.querySelector('h1')).fontSize")
        != "32px"  # the browser's own h1 size: the stylesheet did not load
    )

    # The error summary: one link per field in error, each to the field's input.
    summary = page.locator(".govuk-error-summary")
    links = summary.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "#id_fte_staff" in hrefs and "#id_funding_total" in hrefs
    for href in ("#id_fte_staff", "#id_funding_total"):
        summary.locator(f"a[href='{href}']").first.click()
        assert page.evaluate("() => document.activeElement.id") == href[1:]
    # Red text beside the field, described by it; required fields say so.
    error = page.locator("#id_fte_staff-error")
    assert "is not a number" in error.inner_text()
    assert "id_fte_staff-error" in page.locator("#id_fte_staff").get_attribute(
        "aria-describedby"
    )
    assert page.locator("#id_fte_staff").get_attribute("aria-required") == "true"
    assert "(required)" in page.locator("label[for=id_fte_staff]").inner_text()
    assert page.evaluate(BROKEN_REFERENCES) == []
    # A comment box per question, each a labelled textarea.
    comments = page.locator("textarea[name^=comment__]")
    assert comments.count() == len(ret.round.read_definition().fields)
    assert page.get_by_label("Comment on Staff (full-time equivalent)").count() == 1
    # Numbers are shown with thousands separators.
    assert page.locator("#id_funding_la").input_value() == "150,000"
    assert serious_violations(page) == []
    _shot(page, "return-1280")

    page.set_viewport_size(NARROW)
    page.reload()
    assert page.evaluate(SIDEWAYS) <= 0
    assert serious_violations(page) == []
    _shot(page, "return-320")
    assert errors == []


def test_totals_numbers_and_autosave_problems_as_one_types(
    chromium_available, pages_hub, hub_server, request
):
    ret = pages_hub
    page, errors = _browser_page(request)
    page.set_viewport_size(WIDE)
    _sign_in(page, hub_server, "pages-user", f"/returns/{ret.pk}/")
    sum_line = page.locator("#id_funding_total-sum")
    # 150,000 + 20,000 + 25,000 + 5,000 as stored; the total given is 999.
    assert "£200,000" in sum_line.inner_text()
    assert "the total given is £999" in sum_line.inner_text()

    box = page.locator("#id_funding_other")
    box.fill("")
    box.press_sequentially("1005000", delay=20)
    page.wait_for_function(
        "() => document.getElementById('id_funding_total-sum')"
        ".textContent.includes('£1,200,000')"
    )
    box.press("Tab")  # leaving the box groups its digits
    assert box.input_value() == "1,005,000"

    # The server still finds problems: the status says so and links to them.
    status = page.locator("#autosave-status")
    status.filter(has_text="problems to fix").wait_for()
    assert "Draft saved" not in status.inner_text()
    status.locator("a[href='#id_fte_staff']").click()
    assert page.evaluate("() => document.activeElement.id") == "id_fte_staff"
    ret.refresh_from_db()
    assert ret.values["funding_other"] == "1005000"

    # Fixed: the red text beside the field goes, and the status says saved.
    staff = page.locator("#id_fte_staff")
    staff.fill("")
    staff.press_sequentially("4.5", delay=20)
    total = page.locator("#id_funding_total")
    total.fill("")
    total.press_sequentially("1200000", delay=20)
    # The total now changes by far more than 20% on last year: that needs a comment.
    status.filter(has_text="needs a comment").wait_for()
    page.get_by_label("Comment on Total funding").fill("a one-off capital grant")
    status.filter(has_text="Draft saved at").wait_for()
    assert page.locator("#id_fte_staff-error").count() == 0
    assert "id_fte_staff-error" not in (staff.get_attribute("aria-describedby") or "")
    assert page.evaluate(BROKEN_REFERENCES) == []
    assert serious_violations(page) == []
    assert errors == []


def test_login_home_dashboard_and_chase_pages_are_accessible(
    chromium_available, pages_hub, hub_server, request
):
    ret = pages_hub
    page, errors = _browser_page(request)
    page.set_viewport_size(WIDE)
    page.goto(f"{hub_server}/login/")
    assert serious_violations(page) == []
    # A failed login: the summary links to the first field.
    page.get_by_role("button", name="Sign in").click()
    page.locator(".govuk-error-summary").wait_for()
    page.locator(".govuk-error-summary a").first.click()
    assert page.evaluate("() => document.activeElement.id") == "id_username"
    assert page.evaluate(BROKEN_REFERENCES) == []
    assert serious_violations(page) == []
    _shot(page, "login")

    _sign_in(page, hub_server, "pages-network", "/")
    slug = ret.round.slug
    for name, path in (
        ("home", "/"),
        ("dashboard", f"/rounds/{slug}/"),
        ("chase", f"/rounds/{slug}/chase"),
        ("review", f"/returns/{ret.pk}/"),  # the reviewer's (read-only) view
    ):
        page.set_viewport_size(WIDE)
        page.goto(f"{hub_server}{path}")
        assert page.evaluate(BROKEN_REFERENCES) == [], name
        assert serious_violations(page) == [], name
        _shot(page, name)
        page.set_viewport_size(NARROW)
        assert page.evaluate(SIDEWAYS) <= 0, name
        _shot(page, f"{name}-320")
    assert errors == []
