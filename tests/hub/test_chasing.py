"""Chasing returns: the coordinator's page of every service by status (filter,
sort, return rate per region, CSV), reminders to one status that reach only those
services' users with a working link, logged per service; services with no user
listed as "no one to remind"; no mail server is one line, never a 500."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.hub.conftest import PASSWORD, demo_services, full_answers

CODES = ("leeds", "york", "bradford", "wakefield", "kirklees", "calderdale")


@pytest.fixture
def chase_round(make_round, make_user):
    """Six services: leeds and wakefield not started (two users at leeds),
    york not started with no user, bradford a draft, kirklees submitted,
    calderdale accepted."""
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return

    services = [s for s in demo_services() if s["code"] in CODES]
    assert len(services) == 6
    round_ = make_round(services)
    users = {
        "leeds": [make_user("leeds-ias", "leeds"), make_user("leeds-2", "leeds")],
        "wakefield": [make_user("wakefield-ias", "wakefield")],
        "bradford": [make_user("bradford-ias", "bradford")],
        "kirklees": [make_user("kirklees-ias", "kirklees")],
        "calderdale": [make_user("calderdale-ias", "calderdale")],
    }
    reviewer = make_user("network", reviewer=True)

    def ret(code):
        return Return.objects.get(round=round_, service__code=code)

    workflow.save_return(users["bradford"][0], ret("bradford").pk, {"volunteers": "2"})
    for code in ("kirklees", "calderdale"):
        r = ret(code)
        workflow.save_return(
            users[code][0], r.pk, full_answers(**_previous_figures(r.previous))
        )
        r, issues = workflow.submit_return(users[code][0], r.pk)
        assert r.status == "submitted", [str(i) for i in issues]
    workflow.accept_return(reviewer, ret("calderdale").pk)
    return round_, users, reviewer


def _previous_figures(previous):
    return {
        k: int(v) if k != "fte_staff" else v
        for k, v in previous.items()
        if k in ("population_0_25", "funding_total", "fte_staff")
    } | (
        {"funding_la": int(previous["funding_total"]) - 50000}
        if "funding_total" in previous
        else {}
    )


def _reviewer_client(reviewer):
    from django.test import Client

    client = Client()
    client.force_login(reviewer)
    return client


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_reminder_to_not_started_reaches_only_them_with_a_working_link(
    chase_round, smtp_sink
):
    from django.test import Client
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.models import AuditEntry, Reminder, Return

    round_, users, reviewer = chase_round
    r = CliRunner().invoke(
        app, ["hub", "remind", round_.slug, "--status", "not-started"]
    )
    assert r.exit_code == 0, r.output
    assert "Sent 3 reminder(s) to 2 not started service(s)" in r.output
    assert "1 with no one to remind (no user): York" in r.output
    assert "no one to remind at York (no user)" in r.output
    emails = smtp_sink.messages(3)
    assert smtp_sink.recipients() == {
        "leeds-ias@example.org",
        "leeds-2@example.org",
        "wakefield-ias@example.org",
    }
    assert len(emails) == 3  # one per user: each carries its own login name
    by_login = {}
    for message in emails:
        body = message.get_content()
        login = re.search(r"login name: (\S+)", body).group(1)
        by_login[login] = body
        assert "not yet started" in body
        assert "Sam Lee, returns@network.example, 020 7946 0000" in body
        assert message["To"] == f"{login}@example.org"
    assert set(by_login) == {"leeds-ias", "leeds-2", "wakefield-ias"}

    # The link works: signed out, it asks for a login and then lands on the return.
    link = re.search(r"Fill it in here: (\S+)", by_login["leeds-ias"]).group(1)
    leeds = Return.objects.get(round=round_, service__code="leeds")
    assert link == f"http://testserver/returns/{leeds.pk}/"
    client = Client()
    path = link.removeprefix("http://testserver")
    r = client.get(path)
    assert r.status_code == 302 and r["Location"] == f"/login/?next={path}"
    r = client.post(
        r["Location"],
        {"username": "leeds-ias", "password": PASSWORD, "next": path},
        follow=True,
    )
    assert r.redirect_chain[-1][0] == path
    assert r.status_code == 200 and r.context["ret"].pk == leeds.pk
    assert b"Leeds" in r.content

    # Logged per service: who, when, to whom; York as "no one to remind".
    log = {x.service.code: x for x in Reminder.objects.select_related("service")}
    assert set(log) == {"leeds", "wakefield", "york"}
    assert log["leeds"].sent_to == [
        "leeds-2 <leeds-2@example.org>",
        "leeds-ias <leeds-ias@example.org>",
    ]
    assert log["leeds"].sent_by_name == "command line"
    assert log["york"].outcome == "no one to remind" and log["york"].sent_to == []
    assert AuditEntry.objects.filter(action="remind").count() == 2
    page = _reviewer_client(reviewer).get(f"/rounds/{round_.slug}/chase")
    html = page.content.decode()
    assert "no user: no one to remind" in html
    assert "by command line to leeds-2 &lt;leeds-2@example.org&gt;" in html
    assert "(no one to remind)" in html


def test_reminder_button_on_the_chasing_page(chase_round, smtp_sink):
    round_, users, reviewer = chase_round
    client = _reviewer_client(reviewer)
    r = client.post(f"/rounds/{round_.slug}/remind", {"status": "draft"}, follow=True)
    assert r.redirect_chain[-1][0] == f"/rounds/{round_.slug}/chase?status=draft"
    assert _messages(r) == ["Sent 1 reminder(s) to 1 draft service(s)."]
    smtp_sink.messages(1)
    assert smtp_sink.recipients() == {"bradford-ias@example.org"}
    body = smtp_sink.messages(1)[0].get_content()
    assert "saved but not submitted" in body and "bradford-ias" in body
    # A status reminders cannot go to is refused in one line.
    r = client.post(
        f"/rounds/{round_.slug}/remind", {"status": "accepted"}, follow=True
    )
    assert r.status_code == 200
    assert _messages(r) == [
        "No reminders were sent: no status 'accepted' (choose from outstanding, "
        "not-started, draft, late)"
    ]


def test_chasing_page_filters_sorts_rates_and_exports_csv(chase_round):
    from lacompare.hub.returns.models import Service

    round_, users, reviewer = chase_round
    client = _reviewer_client(reviewer)

    def names(query=""):
        r = client.get(f"/rounds/{round_.slug}/chase{query}")
        assert r.status_code == 200
        return [row.ret.service.code for row in r.context["rows"]]

    assert len(names()) == 6
    assert names("?status=not-started") == ["leeds", "wakefield", "york"]
    assert names("?status=no-user") == ["york"]
    assert names("?status=draft") == ["bradford"]
    assert names("?status=submitted") == ["kirklees"]
    assert names("?status=accepted") == ["calderdale"]
    assert names("?status=late") == []
    assert names("?status=outstanding") == ["bradford", "leeds", "wakefield", "york"]
    assert names("?status=not-started&sort=-service") == ["york", "wakefield", "leeds"]
    statuses = names("?sort=status")
    assert statuses[:3] == ["leeds", "wakefield", "york"]  # not started first
    assert statuses[-1] == "calderdale"
    r = client.get(f"/rounds/{round_.slug}/chase?status=bogus", follow=True)
    assert r.status_code == 200 and "no status 'bogus'" in _messages(r)[0]

    # Return rate per region: x of N (p%), and all services.
    page = client.get(f"/rounds/{round_.slug}/chase")
    rates = {x.region: x.text for x in page.context["rates"]}
    assert rates["All services"] == "2 of 6 (33%)"
    assert rates["Yorkshire and The Humber"] == "2 of 6 (33%)"

    # The CSV: the filtered list, text a spreadsheet would run neutralised.
    Service.objects.filter(code="york").update(name='=HYPERLINK("http://x")')
    r = client.get(f"/rounds/{round_.slug}/chase.csv?status=not-started")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    # Sorted by name, as the page: York's new name sorts first.
    assert [x["service_code"] for x in rows] == ["york", "leeds", "wakefield"]
    york = rows[0]
    assert york["service"].startswith("'=HYPERLINK")
    assert york["users"] == "" and york["status"] == "not started"
    assert rows[1]["users"] == "leeds-2, leeds-ias"
    # Reviewers only.
    from django.test import Client

    submitter = Client()
    submitter.force_login(users["leeds"][0])
    assert submitter.get(f"/rounds/{round_.slug}/chase").status_code == 404
    assert submitter.get(f"/rounds/{round_.slug}/chase.csv").status_code == 404


def test_no_mail_server_is_one_line_never_a_500(chase_round, no_mail_server):
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.models import Reminder

    round_, users, reviewer = chase_round
    client = _reviewer_client(reviewer)
    page = client.get(f"/rounds/{round_.slug}/chase").content.decode()
    assert "Email is not set up: no mail server is configured" in page
    r = client.post(f"/rounds/{round_.slug}/remind", {"status": "outstanding"})
    assert r.status_code == 302
    r = client.get(r["Location"])
    assert _messages(r) == [
        "No reminders were sent: no mail server is configured: set "
        "LACOMPARE_HUB_EMAIL_HOST (and LACOMPARE_HUB_EMAIL_PORT) to send email; "
        "nothing was sent"
    ]
    r = CliRunner().invoke(app, ["hub", "remind", round_.slug])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        "error: no mail server is configured: set LACOMPARE_HUB_EMAIL_HOST (and "
        "LACOMPARE_HUB_EMAIL_PORT) to send email; nothing was sent"
    ]
    assert Reminder.objects.count() == 0  # nothing logged as reminded


def test_a_mail_server_that_is_down_is_one_line(chase_round):
    import socket

    from django.test import override_settings

    round_, users, reviewer = chase_round
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
    ):
        client = _reviewer_client(reviewer)
        r = client.post(
            f"/rounds/{round_.slug}/remind", {"status": "not-started"}, follow=True
        )
    assert r.status_code == 200
    (message,) = _messages(r)
    assert message.startswith(
        f"No reminders were sent: the mail server at 127.0.0.1:{port} did not take "
        "the email (ConnectionRefusedError"
    )
