"""Late returns (issue 21, item 2), on PostgreSQL: a return reopened after the closing
date is really edited by the service, accepted and published with ``late`` true;
per-service extensions; round dates as whole days in Europe/London, changed from
the command line and the coordinator's page, across a change of summer time."""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

from tests.hub.conftest import full_answers, matching_previous
from tests.hub.test_publish import published_round  # noqa: F401 (a fixture)

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def _client(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _post(client, url, data, page):
    client.get(page)
    return client.post(
        url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )


def _messages(client, url) -> list[str]:
    return [str(m) for m in client.get(url).context["messages"]]


def _close_round_an_hour_ago(round_) -> None:
    """The round closed an hour ago; what was submitted was submitted before."""
    from django.utils import timezone

    from lacompare.hub.returns.models import Return, Round

    now = timezone.now()
    Round.objects.filter(pk=round_.pk).update(closes_at=now - dt.timedelta(hours=1))
    Return.objects.filter(round=round_, submitted_at__isnull=False).update(
        submitted_at=now - dt.timedelta(hours=2)
    )


def test_a_return_reopened_after_the_closing_date_is_edited_accepted_and_published_late(
    published_round,  # noqa: F811
    tmp_path,
):
    from lacompare.hub.returns.models import AuditEntry, Extension, Return
    from lacompare.hub.returns.publishing import publish_round
    from lacompare.store import open_store

    round_, users, reviewer, services = published_round
    first = publish_round(round_.slug, tmp_path / "store.duckdb", user=reviewer)
    assert first.publication.returns == 24 and first.late == []
    _close_round_an_hour_ago(round_)

    code = services[0]["code"]
    ret = Return.objects.get(round=round_, service__code=code)
    assert ret.status == "accepted" and not ret.late
    page = f"/returns/{ret.pk}/"
    network = _client(reviewer)
    r = _post(network, f"{page}reopen", {"reason": "funding figure wrong"}, page)
    assert r.status_code == 302
    # Reopened after the close: the service is given seven days (to 23:59 London).
    week = dt.datetime.now(LONDON).date() + dt.timedelta(days=7)
    assert _messages(network, page)[0] == (
        f"Reopened: {ret.service.name} can change its return until "
        f"{week:%d %B %Y} 23:59."
    )
    ext = Extension.objects.get(round=round_, service=ret.service)
    assert ext.closes_at == dt.datetime.combine(week, dt.time(23, 59, 59), LONDON)
    assert (ext.granted_by, ext.reason) == (reviewer, "funding figure wrong")

    # The service gets its form back: the page, an autosave and a submit work.
    service = _client(users[code])
    form_page = service.get(page).content.decode()
    assert 'id="return-form"' in form_page
    r = _post(service, f"{page}autosave", {"volunteers": "7"}, page)
    assert r.status_code == 200 and r.json()["changed"] == ["volunteers"]
    r = _post(service, f"{page}submit", {}, page)
    ret.refresh_from_db()
    assert ret.status == "submitted" and ret.submitted_late and ret.late

    # The reviewer has a button for it, and accepts it.
    review = network.get(page).content.decode()
    assert "Accept (a late return)</button>" in review
    r = _post(network, f"{page}accept", {}, page)
    ret.refresh_from_db()
    assert ret.status == "accepted" and ret.submitted_late
    assert list(
        AuditEntry.objects.filter(ret=ret)
        .order_by("id")
        .values_list("action", flat=True)
    )[-5:] == ["reopen", "extend", "autosave", "submit", "accept"]

    # Published again: still 24 returns (none dropped), this one flagged late.
    db = tmp_path / "store.duckdb"
    again = publish_round(round_.slug, db, user=reviewer)
    assert again.publication.returns == 24
    assert again.late == [ret.service.name]
    with again.file.open(newline="", encoding="utf-8") as fh:
        rows = {row["service"]: row for row in csv.DictReader(fh)}
    assert rows[code]["late"] == "true"
    assert sum(row["late"] == "true" for row in rows.values()) == 1
    with open_store(db, read_only=True) as store:
        flags = store.con.execute(
            "SELECT service, late FROM hub_returns WHERE source_id = ?",
            [again.load.source_id],
        ).fetchall()
        assert len(flags) == 24 and [s for s, late in flags if late] == [code]
        # The first load's rows are there too, none late; "late" is not a measure.
        assert store.con.execute(
            "SELECT count(*) FROM hub_returns WHERE source_id = ? AND late",
            [first.load.source_id],
        ).fetchone() == (0,)
        assert store.con.execute(
            "SELECT count(*) FROM observations WHERE measure = 'late'"
        ).fetchone() == (0,)

    # The network report counts it: all 24 returns, one of them late.
    from typer.testing import CliRunner

    from lacompare.cli import app

    out = tmp_path / "network.html"
    r = CliRunner().invoke(
        app, ["report", "network", "--db", str(db), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", out.read_text())).split())
    assert (
        "24 services' returns were matched to their local authorities. 1 of them "
        "was late (submitted after the round's closing date, with an extension or "
        "reopened)." in text
    )


def test_an_extension_lets_one_service_save_after_the_close_and_not_another(
    make_round, make_user
):
    from lacompare.hub.returns.models import AuditEntry, Return
    from tests.hub.conftest import demo_services

    services = demo_services(3)
    round_ = make_round(services, open_now=False)  # closed yesterday
    a, b = services[0]["code"], services[1]["code"]
    network = _client(make_user("network", reviewer=True))
    user_a, user_b = make_user("ias-a", a), make_user("ias-b", b)
    ret_a = Return.objects.get(round=round_, service__code=a)
    ret_b = Return.objects.get(round=round_, service__code=b)
    page_a = f"/returns/{ret_a.pk}/"

    # Closed: the reviewer sees why, and a form to extend.
    review = network.get(page_a).content.decode()
    assert "its closing date has passed" in review and "Give an extension" in review
    until = dt.datetime.now(LONDON).date() + dt.timedelta(days=3)
    r = _post(
        network,
        f"{page_a}extend",
        {"until": until.isoformat(), "reason": "staff illness"},
        page_a,
    )
    assert r.status_code == 302
    assert _messages(network, page_a)[0] == (
        f"Extended: {ret_a.service.name} can change its return until "
        f"{until:%d %B %Y} 23:59:59."
    )
    # A day already past extends nothing.
    r = _post(
        network, f"{page_a}extend", {"until": "2020-01-01", "reason": "x"}, page_a
    )
    assert _messages(network, page_a) == ["the extension's day 2020-01-01 has passed"]

    answers = full_answers()
    Return.objects.filter(pk=ret_a.pk).update(previous=matching_previous(answers))
    client_a, client_b = _client(user_a), _client(user_b)
    r = _post(client_a, f"{page_a}autosave", answers, page_a)
    assert r.status_code == 200 and r.json()["saved"]
    r = _post(client_a, f"{page_a}submit", {}, page_a)
    ret_a.refresh_from_db()
    assert ret_a.status == "submitted" and ret_a.submitted_late

    page_b = f"/returns/{ret_b.pk}/"
    assert 'id="return-form"' not in client_b.get(page_b).content.decode()
    r = _post(client_b, f"{page_b}autosave", {"volunteers": "1"}, page_b)
    assert r.status_code == 409
    assert "ask the network for an extension" in r.json()["error"]
    ret_b.refresh_from_db()
    assert ret_b.values == {} and not AuditEntry.objects.filter(ret=ret_b).exists()
    # Services cannot extend their own return.
    r = _post(
        client_b,
        f"{page_b}extend",
        {"until": until.isoformat(), "reason": "please"},
        page_b,
    )
    assert r.status_code == 404 and ret_b.extension is None


def test_round_dates_from_the_command_line_are_whole_days_across_bst(make_round):
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.models import Round

    round_ = make_round()
    runner = CliRunner()
    # British Summer Time 2027 begins on 28 March: the round opens in GMT and
    # closes in BST.
    r = runner.invoke(
        app,
        [
            "hub",
            "round-dates",
            round_.slug,
            "--opens",
            "2027-03-01",
            "--closes",
            "2027-04-30",
        ],
    )
    assert r.exit_code == 0, r.output
    round_ = Round.objects.get(pk=round_.pk)
    assert round_.opens_at == dt.datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    assert round_.closes_at == dt.datetime(2027, 4, 30, 22, 59, 59, tzinfo=UTC)
    assert " ".join(r.output.split()) == (
        f"round {round_.slug}: opens 2027-03-01 00:00, closes 2027-04-30 23:59:59 "
        "(Europe/London; not open yet)"
    )
    # One day only; the other is kept.
    r = runner.invoke(
        app, ["hub", "round-dates", round_.slug, "--closes", "2027-03-31"]
    )
    assert r.exit_code == 0, r.output
    round_ = Round.objects.get(pk=round_.pk)
    assert round_.opens_at == dt.datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    assert round_.closes_at == dt.datetime(2027, 3, 31, 22, 59, 59, tzinfo=UTC)
    r = runner.invoke(
        app, ["hub", "round-dates", round_.slug, "--closes", "2027-02-01"]
    )
    assert r.exit_code == 1 and "must close on or after the day it opens" in r.output
    r = runner.invoke(app, ["hub", "round-dates", "nope", "--closes", "+3"])
    assert r.exit_code == 1 and f"no round 'nope' (rounds: {round_.slug})" in r.output
    # Relative days: open today, for a fortnight.
    r = runner.invoke(
        app, ["hub", "round-dates", round_.slug, "--opens", "today", "--closes", "+14"]
    )
    assert r.exit_code == 0 and "(Europe/London; open now)" in r.output
    today = dt.datetime.now(LONDON).date()
    round_ = Round.objects.get(pk=round_.pk)
    assert round_.opens_at == dt.datetime.combine(today, dt.time(0), LONDON)
    assert round_.is_open


def test_round_dates_from_the_page_and_their_day_boundaries(
    make_round, make_user, monkeypatch
):
    from django.utils import timezone

    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return, Round
    from tests.hub.conftest import demo_services

    round_ = make_round(demo_services(2))
    network = _client(make_user("network", reviewer=True))
    user = make_user("ias", demo_services(1)[0]["code"])
    url = f"/rounds/{round_.slug}/dates"
    # Only the network's reviewers have the page.
    assert _client(user).get(url).status_code == 404
    page = network.get(url).content.decode()
    assert 'name="opens" type="date"' in page and "Europe/London" in page
    # BST 2026 ends on 25 October: the round opens in BST and closes in GMT.
    r = _post(network, url, {"opens": "2026-10-01", "closes": "2026-10-31"}, url)
    assert r.status_code == 302
    round_ = Round.objects.get(pk=round_.pk)
    assert round_.opens_at == dt.datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    assert round_.closes_at == dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)
    page = network.get(url).content.decode()
    assert 'value="2026-10-01"' in page and 'value="2026-10-31"' in page
    assert '<span id="closes-at">31 October 2026 23:59:59</span>' in page
    r = _post(network, url, {"opens": "2026-10-31", "closes": "2026-10-01"}, url)
    assert r.status_code == 400 and "must close on or after" in r.content.decode()

    # The boundaries are the days' own: editable from 00:00:00 on the opening day
    # to 23:59:59 on the closing day, London time.
    ret = Return.objects.get(round=round_, service__code=demo_services(1)[0]["code"])
    moments = {
        dt.datetime(2026, 9, 30, 23, 59, 59, tzinfo=LONDON): False,
        dt.datetime(2026, 10, 1, 0, 0, 0, tzinfo=LONDON): True,
        dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=LONDON): True,
        dt.datetime(2026, 11, 1, 0, 0, 0, tzinfo=LONDON): False,
    }
    for moment, editable in moments.items():
        monkeypatch.setattr(timezone, "now", lambda m=moment: m.astimezone(UTC))
        ret = Return.objects.select_related("round").get(pk=ret.pk)
        assert workflow.can_edit(user, ret) is editable, moment


def test_create_round_opens_today_in_whole_days(hub):
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.models import Round

    r = CliRunner().invoke(
        app, ["hub", "create-round", "--opens", "today", "--closes", "+60"]
    )
    assert r.exit_code == 0, r.output
    round_ = Round.objects.get()
    today = dt.datetime.now(LONDON).date()
    assert round_.opens_at == dt.datetime.combine(today, dt.time(0), LONDON)
    assert round_.closes_at == dt.datetime.combine(
        today + dt.timedelta(days=60), dt.time(23, 59, 59), LONDON
    )
    assert round_.is_open and round_.time_zone == "Europe/London"
    assert "(Europe/London; open now)" in r.output


def test_extend_from_the_command_line(make_round):
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.models import AuditEntry, Extension
    from tests.hub.conftest import demo_services

    round_ = make_round(demo_services(2), open_now=False)
    code = demo_services(1)[0]["code"]
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["hub", "extend", round_.slug, code, "--until", "+2", "--reason", "flood"],
    )
    assert r.exit_code == 0, r.output
    ext = Extension.objects.get()
    assert (ext.service.code, ext.reason, ext.granted_by_name) == (
        code,
        "flood",
        "command line",
    )
    day = dt.datetime.now(LONDON).date() + dt.timedelta(days=2)
    assert ext.closes_at == dt.datetime.combine(day, dt.time(23, 59, 59), LONDON)
    entry = AuditEntry.objects.get(action="extend")
    assert (entry.old, entry.new, entry.reason) == ("", day.isoformat(), "flood")
    r = runner.invoke(
        app,
        ["hub", "extend", round_.slug, "leeds-ias", "--until", "+2", "--reason", "x"],
    )
    assert r.exit_code == 1 and "no service 'leeds-ias'" in r.output
    assert code in r.output  # the codes are listed
    # The service's name, in any case, finds it.
    name = demo_services(1)[0]["name"].upper()
    r = runner.invoke(
        app, ["hub", "extend", round_.slug, name, "--until", "+3", "--reason", "y"]
    )
    assert r.exit_code == 0, r.output
    assert Extension.objects.get().reason == "y"
