"""Drafts, autosave, submit locks, reopen, accept and the audit trail, through the
web pages (Django's test client with CSRF checks on) and the workflow functions."""

from __future__ import annotations

import json

import pytest

from tests.hub.conftest import PASSWORD, full_answers, matching_previous


@pytest.fixture
def leeds(make_round, make_user):
    from lacompare.hub.returns.models import Return
    from tests.hub.conftest import demo_services

    services = [s for s in demo_services() if s["code"] in ("leeds", "york")]
    round_ = make_round(services)
    user = make_user("leeds-ias", "leeds")
    ret = Return.objects.get(round=round_, service__code="leeds")
    return round_, user, ret


def _client(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _csrf(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return (
        page.cookies["csrftoken"].value
        if "csrftoken" in page.cookies
        else client.cookies["csrftoken"].value
    )


def _post(client, url, data, page=None):
    token = _csrf(client, page or url)
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def test_save_keeps_values_as_typed_and_records_old_new_who_when_why(leeds):
    from lacompare.hub.returns.models import AuditEntry, Return

    _, user, ret = leeds
    client = _client(user)
    url = f"/returns/{ret.pk}/"
    r = _post(
        client,
        url,
        {"funding_la": "£150,000", "volunteers": "3", "reason": "first figures"},
    )
    assert r.status_code == 200
    ret = Return.objects.get(pk=ret.pk)
    # In the form's terms (one normaliser for form, autosave and upload); the
    # history keeps what was typed.
    assert ret.values["funding_la"] == "150000"
    assert ret.version == 1
    r = _post(
        client,
        url,
        {
            "funding_la": "151000",
            "volunteers": "3",
            "reason": "finance corrected the LA grant",
        },
    )
    entries = list(
        AuditEntry.objects.filter(ret=ret, field="funding_la").order_by("id")
    )
    assert [(e.old, e.new) for e in entries] == [
        ("", "150000"),
        ("150000", "151000"),
    ]
    assert entries[0].reason == "first figures; given as '£150,000'"
    last = entries[-1]
    assert last.username == "leeds-ias" and last.user == user
    assert last.reason == "finance corrected the LA grant"
    assert last.action == "save" and last.version == 2 and last.at is not None
    # The history page shows the same trail to the service.
    page = client.get(f"/returns/{ret.pk}/history").content.decode()
    assert "finance corrected the LA grant" in page and "£150,000" in page


def test_autosave_saves_a_partial_draft_and_reports_problems(leeds):
    from lacompare.hub.returns.models import Return

    _, user, ret = leeds
    client = _client(user)
    token = _csrf(client, f"/returns/{ret.pk}/")
    r = client.post(
        f"/returns/{ret.pk}/autosave",
        {"fte_staff": "abc", "volunteers": "7", "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 200
    body = json.loads(r.content)
    assert body["saved"] is True and body["version"] == 1
    assert sorted(body["changed"]) == ["fte_staff", "volunteers"]
    assert {
        "field": "fte_staff",
        "severity": "error",
        "message": "Staff (full-time equivalent): 'abc' is not a number",
    } in body["issues"]
    ret = Return.objects.get(pk=ret.pk)
    assert ret.values == {"fte_staff": "abc", "volunteers": "7"}
    assert ret.status == "draft" and ret.errors == 1
    # Without the CSRF token the autosave is refused and nothing changes.
    r = client.post(f"/returns/{ret.pk}/autosave", {"volunteers": "8"})
    assert r.status_code == 403
    assert Return.objects.get(pk=ret.pk).values["volunteers"] == "7"


def test_submit_needs_no_errors_then_locks_until_reopened(leeds, make_user):
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import AuditEntry, Return

    _, user, ret = leeds
    client = _client(user)
    answers = full_answers(funding_total="999")
    Return.objects.filter(pk=ret.pk).update(previous=matching_previous(full_answers()))
    _post(client, f"/returns/{ret.pk}/", answers)
    r = _post(client, f"/returns/{ret.pk}/submit", {}, page=f"/returns/{ret.pk}/")
    assert r.status_code == 302
    ret = Return.objects.get(pk=ret.pk)
    assert ret.status == "draft"  # the total does not add up
    page = client.get(f"/returns/{ret.pk}/").content.decode()
    assert "Total funding (£999) must equal the sum of its parts (£200,000)" in page

    _post(client, f"/returns/{ret.pk}/", {"funding_total": "200000"})
    _post(client, f"/returns/{ret.pk}/submit", {}, page=f"/returns/{ret.pk}/")
    ret = Return.objects.get(pk=ret.pk)
    assert ret.status == "submitted" and ret.submitted_at is not None
    version = ret.version

    # Locked: neither the form, the autosave nor an upload changes it.
    _post(client, f"/returns/{ret.pk}/", {"volunteers": "99"})
    token = _csrf(client, f"/returns/{ret.pk}/")
    r = client.post(
        f"/returns/{ret.pk}/autosave",
        {"volunteers": "99", "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 409
    with pytest.raises(workflow.ReturnLocked):
        workflow.save_return(user, ret.pk, {"volunteers": "99"})
    ret = Return.objects.get(pk=ret.pk)
    assert ret.values["volunteers"] == "3" and ret.version == version

    # The service cannot reopen it; a reviewer can, with a reason.
    r = _post(
        client,
        f"/returns/{ret.pk}/reopen",
        {"reason": "typo"},
        page=f"/returns/{ret.pk}/",
    )
    assert Return.objects.get(pk=ret.pk).status == "submitted"
    reviewer = _client(make_user("network", reviewer=True))
    r = _post(
        reviewer,
        f"/returns/{ret.pk}/reopen",
        {"reason": ""},
        page=f"/returns/{ret.pk}/",
    )
    assert Return.objects.get(pk=ret.pk).status == "submitted"  # a reason is needed
    _post(
        reviewer,
        f"/returns/{ret.pk}/reopen",
        {"reason": "service asked to correct volunteers"},
        page=f"/returns/{ret.pk}/",
    )
    assert Return.objects.get(pk=ret.pk).status == "draft"
    _post(client, f"/returns/{ret.pk}/", {"volunteers": "4", "reason": "recount"})
    assert Return.objects.get(pk=ret.pk).values["volunteers"] == "4"
    trail = [
        (e.action, e.field, e.old, e.new, e.reason)
        for e in AuditEntry.objects.filter(ret=ret).exclude(action="save")
    ]
    assert trail == [
        ("submit", "status", "draft", "submitted", ""),
        (
            "reopen",
            "status",
            "submitted",
            "draft",
            "service asked to correct volunteers",
        ),
    ]


def test_year_on_year_change_needs_a_comment(leeds):
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return

    _, user, ret = leeds
    Return.objects.filter(pk=ret.pk).update(
        previous={
            "funding_total": 100000.0,
            "fte_staff": 4.5,
            "population_0_25": 100000.0,
        }
    )
    workflow.save_return(user, ret.pk, full_answers())  # 200,000: +100%
    ret, issues = workflow.submit_return(user, ret.pk)
    assert ret.status == "draft"
    assert [i.message for i in issues.errors()] == [
        "Total funding changed by +100% on last year (100,000): more than 20% needs "
        "a comment"
    ]
    workflow.save_return(user, ret.pk, {}, {"funding_total": "New health contract"})
    ret, issues = workflow.submit_return(user, ret.pk)
    assert ret.status == "submitted" and not issues.errors()


def test_closed_round_refuses_late_changes(make_round, make_user):
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return
    from tests.hub.conftest import demo_services

    round_ = make_round(
        [s for s in demo_services() if s["code"] == "leeds"], open_now=False
    )
    user = make_user("leeds-ias", "leeds")
    ret = Return.objects.get(round=round_)
    with pytest.raises(
        workflow.ReturnLocked,
        match="the round closed for Leeds on .*; ask the network for an extension",
    ):
        workflow.save_return(user, ret.pk, {"volunteers": "1"})
    assert Return.objects.get(pk=ret.pk).values == {}
    assert Return.objects.get(pk=ret.pk).late


def test_login_page_and_password_login(leeds):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    r = client.post(
        "/login/",
        {"username": "leeds-ias", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 302 and r["Location"] == "/"
    assert "Leeds" in client.get("/").content.decode()
