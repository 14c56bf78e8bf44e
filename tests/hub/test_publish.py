"""Publishing: accepted returns flow into a lacompare store with their return id and
version, `lacompare report network` reports them, and each service gets its own
benchmark profile. Also the progress dashboard and reminder emails."""

from __future__ import annotations

import csv
import io
import re
import socket
import time

import pytest

from tests.hub.conftest import full_answers


@pytest.fixture
def published_round(make_round, make_user, tmp_path):
    """The SENDIAS round for 30 services; 24 accepted, 3 submitted, 3 drafts."""
    from lacompare.hub.returns import workflow
    from lacompare.hub.returns.models import Return
    from tests.hub.conftest import demo_services

    services = demo_services()[::5][:30]
    round_ = make_round(services)
    reviewer = make_user("network", reviewer=True)
    users = {s["code"]: make_user(f"u-{s['code']}", s["code"]) for s in services}
    for i, s in enumerate(services):
        ret = Return.objects.get(round=round_, service__code=s["code"])
        prev = ret.previous
        pop = prev.get("population_0_25", 100000.0)
        total = round(prev.get("funding_total", 150000.0) * (1 + (i % 5) / 100))
        fte = prev.get("fte_staff") or 4.0
        answers = full_answers(
            population_0_25=int(pop),
            funding_la=total - 50000,
            funding_social_care=20000,
            funding_health=25000,
            funding_other=5000,
            funding_total=total,
            fte_staff=fte,
            delivery="Outsourced" if i % 3 == 0 else "In-House",
        )
        workflow.save_return(
            users[s["code"]],
            ret.pk,
            answers,
            {"funding_total": "see note"} if i % 7 == 0 else {},
        )
        if i < 27:
            ret, issues = workflow.submit_return(users[s["code"]], ret.pk)
            assert ret.status == "submitted", [str(x) for x in issues]
        if i < 24:
            workflow.accept_return(reviewer, ret.pk)
    return round_, users, reviewer, services


def test_publish_loads_accepted_returns_with_provenance(published_round, tmp_path):
    from lacompare.hub.returns.models import AuditEntry, Publication, Return
    from lacompare.hub.returns.publishing import publish_round
    from lacompare.store import open_store

    round_, users, reviewer, services = published_round
    db = tmp_path / "store.duckdb"
    result = publish_round(round_.slug, db, user=reviewer)
    assert result.publication.returns == 24
    assert len(result.left_out) == 6 and any("(draft)" in x for x in result.left_out)
    accepted = {
        r.pk: r
        for r in Return.objects.filter(status="accepted").select_related("service")
    }
    with open_store(db, read_only=True) as store:
        prov = store.query("SELECT * FROM hub_returns ORDER BY source_row")
        assert set(prov["return_id"]) == set(accepted)
        for row in prov.itertuples():
            assert row.return_version == accepted[row.return_id].version
            assert row.source_id == result.load.source_id
        # Every value traces to its return id and version through its source row.
        traced = store.query(
            """SELECT h.return_id, h.return_version, o.la_code, o.measure, o.value
               FROM observations o JOIN hub_returns h
                 ON h.source_id = o.source_id AND h.source_row = o.source_row
               WHERE o.measure = 'ias_total_2021'"""
        )
        assert len(traced) == 24
        for row in traced.itertuples():
            ret = accepted[row.return_id]
            assert row.la_code == ret.service.la_codes[0]
            assert row.value == float(ret.values["funding_total"])
        per_head = dict(
            store.con.execute(
                "SELECT la_code, value FROM observations "
                "WHERE measure = 'per_head_2021'"
            ).fetchall()
        )
        some = next(iter(accepted.values()))
        assert per_head[some.service.la_codes[0]] == pytest.approx(
            float(some.values["funding_total"]) / float(some.values["population_0_25"])
        )
        unit = store.con.execute(
            "SELECT unit FROM measures WHERE measure = 'per_head_2021'"
        ).fetchone()[0]
        assert unit == "£ per head"
    pub = Publication.objects.get()
    assert pub.versions == {str(k): v.version for k, v in accepted.items()}
    assert AuditEntry.objects.filter(action="publish").count() == 24


def test_network_report_from_published_store(published_round, tmp_path):
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.publishing import publish_round

    round_, *_ = published_round
    db = tmp_path / "store.duckdb"
    publish_round(round_.slug, db)
    out = tmp_path / "network.html"
    r = CliRunner().invoke(
        app, ["report", "network", "--db", str(db), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "A national data report from 24 services" in html
    assert "Funding per head" in html and "Staffing" in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(
        r"In England,\s+\d+ services were run in-house and\s+\d+ "
        r"outsourced",
        text,
    )


def test_cli_publish_then_report(published_round, tmp_path):
    from typer.testing import CliRunner

    from lacompare.cli import app

    round_, *_ = published_round
    db = tmp_path / "cli.duckdb"
    r = CliRunner().invoke(app, ["hub", "publish", round_.slug, "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "published 24 accepted returns" in r.output
    assert "left out 6 not accepted" in r.output
    r = CliRunner().invoke(app, ["hub", "publish", "no-such-round", "--db", str(db)])
    assert r.exit_code == 1 and "no round 'no-such-round'" in r.output


def test_each_service_downloads_its_own_profile_once_published(
    published_round, tmp_path
):
    from django.test import Client

    from lacompare.hub.returns.models import Return
    from lacompare.hub.returns.publishing import publish_round

    round_, users, _, services = published_round
    code = services[0]["code"]
    ret = Return.objects.get(round=round_, service__code=code)
    client = Client()
    client.force_login(users[code])
    assert client.get(f"/returns/{ret.pk}/profile.csv").status_code == 404  # not yet
    publish_round(round_.slug, tmp_path / "s.duckdb")
    r = client.get(f"/returns/{ret.pk}/profile.csv")
    assert r.status_code == 200
    rows = {
        row["measure"]: row for row in csv.DictReader(io.StringIO(r.content.decode()))
    }
    published = [
        Return.objects.get(pk=x.pk)
        for x in Return.objects.filter(round=round_, published_values__isnull=False)
    ]
    per_head = sorted(p.published_values["per_head_2021"] for p in published)
    import statistics

    row = rows["per_head_2021"]
    assert float(row["value"]) == pytest.approx(
        float(ret.values["funding_total"]) / float(ret.values["population_0_25"]),
        rel=1e-5,
    )
    assert float(row["england_median"]) == pytest.approx(
        statistics.median(per_head), rel=1e-5
    )
    assert int(row["england_n"]) == 24
    region = [
        p.published_values["per_head_2021"]
        for p in published
        if p.service.region == ret.service.region
    ]
    assert int(row["region_n"]) == len(region)
    assert float(row["region_median"]) == pytest.approx(
        statistics.median(region), rel=1e-5
    )
    assert "delivery" not in rows  # categories have no median
    # One ranking rule (lacompare.derive.rank_with_polarity): 1 = best where a
    # measure has a polarity, 1 = highest where it is neutral.
    own = Return.objects.get(pk=ret.pk).published_values

    def everyone(measure):
        return [
            p.published_values[measure]
            for p in published
            if p.published_values.get(measure) is not None
        ]

    row = rows["per_head_2021"]  # higher is better: rank 1 is the highest
    assert row["rank_order"] == "1 = best"
    assert int(row["rank_in_england"]) == 1 + sum(
        v > own["per_head_2021"] for v in everyone("per_head_2021")
    )
    row = rows["pop_per_fte_2021"]  # higher is worse: rank 1 is the lowest
    assert row["rank_order"] == "1 = best"
    assert int(row["rank_in_england"]) == 1 + sum(
        v < own["pop_per_fte_2021"] for v in everyone("pop_per_fte_2021")
    )
    assert rows["volunteers_2021"]["rank_order"] == "1 = highest"  # neutral
    # Another service's profile is not there for this user.
    other = Return.objects.get(round=round_, service__code=services[1]["code"])
    assert client.get(f"/returns/{other.pk}/profile.csv").status_code == 404
    assert client.get(f"/returns/{other.pk}/profile").status_code == 404
    page = client.get(f"/returns/{ret.pk}/profile").content.decode()
    assert "England median" in page
    assert f"of {rows['per_head_2021']['england_n']} (1 = best)" in page
    # Figures print through lacompare.formatting; a missing one as [x], with a key.
    from lacompare.formatting import format_number

    assert format_number(own["per_head_2021"], "£ per head", 2) in page
    assert "[x] not available" in page


def test_dashboard_shows_progress_and_late_returns(published_round):
    from django.test import Client
    from django.utils import timezone

    from lacompare.hub.returns.models import Return, Round

    round_, _, reviewer, _ = published_round
    client = Client()
    client.force_login(reviewer)
    page = client.get(f"/rounds/{round_.slug}/").content.decode()
    assert "30 services: 27 submitted (24 accepted), 0 late" in page
    Round.objects.filter(pk=round_.pk).update(
        closes_at=timezone.now() - timezone.timedelta(hours=1)
    )
    # Submitted while the round was open: only the three drafts are late.
    Return.objects.filter(round=round_, submitted_at__isnull=False).update(
        submitted_at=timezone.now() - timezone.timedelta(hours=2)
    )
    page = client.get(f"/rounds/{round_.slug}/").content.decode()
    assert "30 services: 27 submitted (24 accepted), 3 late" in page
    assert Return.objects.filter(status="draft").count() == 3


class _Sink:
    """An SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[tuple[list[str], str]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                sink.messages.append(
                    (
                        list(envelope.rcpt_tos),
                        envelope.content.decode("utf-8", "replace"),
                    )
                )
                return "250 OK"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


def test_reminders_go_to_services_that_have_not_submitted(published_round):
    pytest.importorskip("aiosmtpd", reason="the SMTP sink needs aiosmtpd")
    from django.test import Client, override_settings

    from lacompare.hub.returns.models import AuditEntry

    round_, users, reviewer, services = published_round
    sink = _Sink()
    sink.controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
        ):
            client = Client(enforce_csrf_checks=True)
            client.force_login(reviewer)
            client.get(f"/rounds/{round_.slug}/")
            r = client.post(
                f"/rounds/{round_.slug}/remind",
                {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
            )
            assert r.status_code == 302
        for _ in range(50):
            if len(sink.messages) >= 3:
                break
            time.sleep(0.1)
    finally:
        sink.controller.stop()
    drafts = {f"u-{s['code']}@example.org" for s in services[27:]}
    assert {to for tos, _ in sink.messages for to in tos} == drafts
    import email
    from email import policy

    message = email.message_from_string(sink.messages[0][1], policy=policy.default)
    assert (
        message["Subject"]
        .strip()
        .startswith("Reminder: SENDIAS services' annual return, 2021 — ")
    )
    body = message.get_content()
    assert (
        "saved but not submitted" in body and "ask the network for an extension" in body
    )
    assert AuditEntry.objects.filter(action="remind").count() == 3


def test_profile_ranks_with_the_one_rule():
    from lacompare.hub.returns.publishing import ProfileRow, rank_in_england

    england = [3.0, 5.0, 9.0, 9.0]
    assert rank_in_england(9.0, england, "neutral") == 1  # the highest, tied
    assert rank_in_england(5.0, england, "higher-is-better") == 3
    assert rank_in_england(3.0, england, "higher-is-worse") == 1
    assert rank_in_england(None, england, "neutral") is None
    row = ProfileRow("m", "M", "", 5.0, None, 0, None, 4, 3, "higher-is-worse")
    assert row.rank_order == "1 = best"
    assert ProfileRow("m", "M", "", 5.0, None, 0, None, 4, 2).rank_order == (
        "1 = highest"
    )
