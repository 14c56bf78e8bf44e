"""Invitations (a one-time link to choose a password, then log in) and password
reset (Django's views, the hub's templates), by real email."""

from __future__ import annotations

import re

from tests.hub.conftest import demo_services

NEW_PASSWORD = "violet-harbour-lantern-2291"


def _link(message) -> str:
    body = message.get_content()
    return re.search(r"http://testserver(/\S+)", body).group(1)


def _set_password(client, link: str):
    """Follow a one-time link and choose NEW_PASSWORD; the responses."""
    r = client.get(link)
    assert r.status_code == 302 and r["Location"].endswith("/set-password/")
    form = client.get(r["Location"])
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(
        r["Location"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    return form, done


def test_invitation_set_password_then_log_in(make_round, smtp_sink):
    from django.contrib.auth.models import User
    from django.test import Client
    from typer.testing import CliRunner

    from lacompare.cli import app
    from lacompare.hub.returns.models import Return

    make_round([s for s in demo_services() if s["code"] in ("leeds", "york")])
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "hub",
            "invite",
            "leeds-ias",
            "--email",
            "ias@leeds.example",
            "--service",
            "leeds",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "invited leeds-ias (ias@leeds.example)" in r.output
    (message,) = smtp_sink.messages(1)
    assert message["To"] == "ias@leeds.example"
    body = message.get_content()
    assert "Your login name: leeds-ias" in body and "for Leeds" in body
    assert "the link works once, for 14 days" in body
    assert "Sam Lee, returns@network.example" in body
    user = User.objects.get(username="leeds-ias")
    assert not user.has_usable_password()

    client = Client()
    form, done = _set_password(client, _link(message))
    assert "leeds-ias" in form.content.decode()
    assert done.status_code == 302 and done["Location"] == "/login/"
    r = client.post(
        "/login/", {"username": "leeds-ias", "password": NEW_PASSWORD}, follow=True
    )
    assert r.status_code == 200 and r.context["user"].username == "leeds-ias"
    leeds = Return.objects.get(service__code="leeds")
    assert client.get(f"/returns/{leeds.pk}/").status_code == 200
    # The link worked once.
    again = Client().get(_link(message), follow=True)
    assert not again.context["validlink"]
    assert "has been used already or has expired" in again.content.decode()
    # Inviting someone who has a password: they are pointed to the reset page.
    r = runner.invoke(
        app,
        [
            "hub",
            "invite",
            "leeds-ias",
            "--email",
            "ias@leeds.example",
            "--service",
            "leeds",
        ],
    )
    assert r.exit_code == 1
    assert "already has a password" in r.output and "/password-reset/" in r.output
    # An unknown service: the codes are listed.
    r = runner.invoke(
        app,
        ["hub", "invite", "x-ias", "--email", "x@x.example", "--service", "nowhere"],
    )
    assert r.exit_code == 1 and "no service 'nowhere' (codes: leeds, york)" in r.output
    assert not User.objects.filter(username="x-ias").exists()


def test_invitation_without_a_mail_server_creates_no_one(make_round, no_mail_server):
    from django.contrib.auth.models import User
    from typer.testing import CliRunner

    from lacompare.cli import app

    make_round([s for s in demo_services() if s["code"] in ("leeds", "york")])
    r = CliRunner().invoke(
        app,
        ["hub", "invite", "york-ias", "--email", "y@york.example", "--service", "york"],
    )
    assert r.exit_code == 1
    assert r.output.strip().startswith("error: no mail server is configured")
    assert not User.objects.filter(username="york-ias").exists()


def test_password_reset_by_email(make_round, make_user, smtp_sink):
    from django.test import Client

    make_round([s for s in demo_services() if s["code"] in ("leeds", "york")])
    make_user("york-ias", "york", email="ias@york.example")
    client = Client()
    login = client.get("/login/").content.decode()
    assert 'href="/password-reset/"' in login
    r = client.post("/password-reset/", {"email": "ias@york.example"}, follow=True)
    assert r.redirect_chain[-1][0] == "/password-reset/sent"
    (message,) = smtp_sink.messages(1)
    assert message["To"] == "ias@york.example"
    assert "Your login name: york-ias" in message.get_content()
    form, done = _set_password(client, _link(message))
    assert done.status_code == 302 and done["Location"] == "/password-reset/done"
    r = client.post(
        "/login/", {"username": "york-ias", "password": NEW_PASSWORD}, follow=True
    )
    assert r.context["user"].username == "york-ias"
    # An unknown address: the same answer, and no email.
    r = Client().post("/password-reset/", {"email": "who@nowhere.example"})
    assert r.status_code == 302
    assert len(smtp_sink.messages(2, wait=0.5)) == 1


def test_password_reset_without_a_mail_server_says_so(
    make_round, make_user, no_mail_server
):
    from django.test import Client

    make_round([s for s in demo_services() if s["code"] in ("leeds", "york")])
    make_user("york-ias", "york", email="ias@york.example")
    r = Client().post("/password-reset/", {"email": "ias@york.example"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "No reset link can be sent: no mail server is configured" in page
