"""The autosave script (``static/hub.js``) in a real browser: Playwright driving
Debian's chromium against the real hub server (gunicorn on 127.0.0.1) and the test
PostgreSQL database.

Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``; never
``playwright install``), launched as the web app's browser tests launch it
(``tests/browser/conftest.py``). Without it this test skips, saying so — except in
CI (``CI`` set), where it fails. The screenshot is kept in
``tests/browser/artefacts/`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.hub.conftest import PASSWORD, demo_services

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parents[1] / "browser" / "artefacts"
TIMEOUT = 30_000


@pytest.fixture
def submitter_return(make_round, make_user):
    """One service's empty draft in an open round, and its submitter's user name."""
    from lacompare.hub.returns.models import Return

    service = demo_services(2)[1]
    make_round(demo_services(2))
    make_user("autosave-user", service["code"])
    return Return.objects.get(service__code=service["code"]), "autosave-user"


def test_typed_value_is_autosaved_and_survives_a_reload(
    chromium_available, submitter_return, hub_server, request
):
    from lacompare.hub.returns.models import AuditEntry, Return

    ret, username = submitter_return
    assert ret.values.get("volunteers", "") == "" and ret.version == 0
    # Asked for only now: the chromium check above runs first, so a missing browser
    # skips (or fails in CI) with its reason instead of a launch error.
    page = request.getfixturevalue("page")
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"console: {m.text} ({m.location.get('url')})")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.set_default_timeout(TIMEOUT)

    # Log in through the real form (CSRF, Argon2, session cookie).
    page.goto(f"{hub_server}/returns/{ret.pk}/")
    assert "/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{hub_server}/returns/{ret.pk}/")

    # Type as a user does; no button is pressed: only the script can save this.
    box = page.locator("#id_volunteers")
    box.click()
    box.press_sequentially("17", delay=50)
    status = page.locator("#autosave-status")
    status.filter(has_text="Draft saved at").wait_for()
    assert "(version 1)" in status.inner_text()

    # In PostgreSQL, committed, with its audit entry (who, old → new).
    ret.refresh_from_db()
    assert ret.values["volunteers"] == "17"
    assert ret.version == 1 and ret.status == Return.DRAFT
    entries = list(AuditEntry.objects.filter(ret=ret))
    assert [(e.action, e.field, e.old, e.new, e.username) for e in entries] == [
        ("autosave", "volunteers", "", "17", username)
    ]

    # A reload shows what was saved (read back from the server, not the browser).
    page.reload()
    assert page.locator("#id_volunteers").input_value() == "17"
    assert "version 1" in page.locator("main > p").first.inner_text()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "hub-autosave.png"), full_page=True)
    assert errors == []


def _sign_in(page, hub_server: str, ret, username: str) -> None:
    page.goto(f"{hub_server}/returns/{ret.pk}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{hub_server}/returns/{ret.pk}/")


def test_excel_style_upload_then_typing_elsewhere_blanks_nothing(
    chromium_available, submitter_return, hub_server, request, tmp_path
):
    """Issue 21, item 1, in a real browser: the template filled in as Excel users
    write it is uploaded through the page; typing in another field autosaves that
    field alone (values and history)."""
    from django.test import Client

    from lacompare.hub.returns.models import AuditEntry, Return
    from tests.hub.test_normalised_answers import (
        EXCEL_STYLE,
        NORMALISED,
        excel_style_workbook,
    )

    ret, username = submitter_return
    client = Client()
    client.force_login(ret.service.members.get().user)
    template = client.get(f"/returns/{ret.pk}/template.xlsx").content
    upload = tmp_path / "excel.xlsx"
    upload.write_bytes(excel_style_workbook(template, EXCEL_STYLE))

    page = request.getfixturevalue("page")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.set_default_timeout(TIMEOUT)
    _sign_in(page, hub_server, ret, username)
    page.locator("#upload-file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("Uploaded excel.xlsx: 18 change(s)").wait_for()
    # The selects show the uploaded answers (not "—").
    assert page.locator("#id_delivery").input_value() == "In-House"
    assert page.locator("#id_joint_health_and_social_care").input_value() == "yes"
    assert page.locator("#id_joint_health_only").input_value() == "no"
    ret.refresh_from_db()
    stored, version = dict(ret.values), ret.version
    for name, value in NORMALISED.items():
        assert stored[name] == value, name
    entries = AuditEntry.objects.filter(ret=ret).count()

    box = page.locator("#id_volunteers")
    box.fill("")
    box.press_sequentially("9", delay=50)
    page.locator("#autosave-status").filter(has_text="Draft saved at").wait_for()

    ret.refresh_from_db()
    assert ret.values == {**stored, "volunteers": "9"}
    assert ret.version == version + 1 and ret.status == Return.DRAFT
    new = list(AuditEntry.objects.filter(ret=ret).order_by("id")[entries:])
    assert [(e.action, e.field, e.new) for e in new] == [
        ("autosave", "volunteers", "9")
    ]
    # Typing again in the same field, back to what was first shown, saves too.
    box.fill("")
    box.press_sequentially("3", delay=50)
    page.locator("#autosave-status").filter(
        has_text=f"(version {version + 2})"
    ).wait_for()
    ret.refresh_from_db()
    assert ret.values == {**stored, "volunteers": "3"}
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "hub-excel-upload.png"), full_page=True)
    assert errors == []


def test_a_return_reopened_after_the_close_is_edited_and_accepted_in_the_browser(
    chromium_available, make_round, make_user, hub_server, request
):
    """Issue 21, item 2, in a real browser: the round closed yesterday; the network
    reopens an accepted return; the service types a change (autosaved) and submits;
    the network accepts it as a late return."""
    from django.utils import timezone

    from lacompare.hub.returns.models import Return
    from tests.hub.conftest import full_answers, matching_previous

    service = demo_services(2)[1]
    round_ = make_round(demo_services(2), open_now=False)
    make_user("late-user", service["code"])
    make_user("late-network", reviewer=True)
    answers = full_answers()
    closed = round_.closes_at - dt.timedelta(days=2)
    Return.objects.filter(round=round_, service__code=service["code"]).update(
        values=answers,
        previous=matching_previous(answers),
        status=Return.ACCEPTED,
        submitted_at=closed,
        accepted_at=closed,
        version=2,
    )
    ret = Return.objects.get(round=round_, service__code=service["code"])
    assert ret.closes_at < timezone.now() and not ret.late

    network = request.getfixturevalue("browser").new_page()
    page = request.getfixturevalue("page")
    errors: list[str] = []
    for p in (page, network):
        p.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        p.set_default_timeout(TIMEOUT)
    _sign_in(network, hub_server, ret, "late-network")
    network.get_by_label("Reason for reopening").fill("tribunal figure wrong")
    network.get_by_role("button", name="Reopen").click()
    network.get_by_text(
        f"Reopened: {ret.service.name} can change its return"
    ).wait_for()

    _sign_in(page, hub_server, ret, "late-user")
    assert page.locator("#return-form").count() == 1
    box = page.locator("#id_tribunal_cases")
    box.fill("")
    box.press_sequentially("13", delay=50)
    page.locator("#autosave-status").filter(has_text="Draft saved at").wait_for()
    page.get_by_role("button", name="Submit (locks the return)").click()
    page.get_by_text("Submitted: the return is locked.").wait_for()

    network.reload()
    network.get_by_role("button", name="Accept (a late return)").click()
    network.get_by_text("Accepted: it will be in the published report.").wait_for()
    ret.refresh_from_db()
    assert ret.status == Return.ACCEPTED and ret.submitted_late
    assert ret.values == {**answers, "tribunal_cases": "13"}
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    network.screenshot(path=str(ARTEFACTS / "hub-late-accepted.png"), full_page=True)
    assert errors == []
