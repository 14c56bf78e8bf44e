"""Passwords hashed with Argon2, login rate-limited, sessions expire, CSRF on every
form, security headers on every page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.hub.conftest import PASSWORD


@pytest.fixture
def leeds_user(make_round, make_user):
    from tests.hub.conftest import demo_services

    make_round([s for s in demo_services() if s["code"] == "leeds"])
    return make_user("leeds-ias", "leeds")


def _login(client, username, password):
    page = client.get("/login/")
    token = (
        page.cookies["csrftoken"].value
        if "csrftoken" in page.cookies
        else client.cookies["csrftoken"].value
    )
    return client.post(
        "/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
    )


def test_passwords_are_stored_as_argon2_hashes(hub):
    from django.contrib.auth.models import User

    from lacompare.hub.returns.workflow import add_user

    add_user("reviewer-1", "a-long-enough-passphrase-9", reviewer=True)
    stored = User.objects.get(username="reviewer-1").password
    assert stored.startswith("argon2$argon2id$")
    assert "a-long-enough-passphrase-9" not in stored
    assert User.objects.get(username="reviewer-1").check_password(
        "a-long-enough-passphrase-9"
    )
    from lacompare.errors import InputError

    with pytest.raises(InputError, match="password: .*too short"):
        add_user("weak", "short1", reviewer=True)


def test_login_is_rate_limited_per_account_and_address(leeds_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    for _ in range(5):
        r = _login(client, "leeds-ias", "wrong-password")
        assert r.status_code == 200 and b"Please enter a correct" in r.content
    # The sixth attempt is refused even with the right password.
    r = _login(client, "leeds-ias", PASSWORD)
    assert r.status_code == 429 and b"Too many failed logins" in r.content
    assert "_auth_user_id" not in client.session
    # Another address is not blocked by this one's failures.
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.9")
    r = _login(other, "leeds-ias", PASSWORD)
    assert r.status_code == 302


def test_sessions_expire(leeds_user):
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django.utils import timezone

    client = Client(enforce_csrf_checks=True)
    assert _login(client, "leeds-ias", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    session = Session.objects.get()
    left = (session.expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 60 < left <= settings.SESSION_COOKIE_AGE
    # As if the session had been idle past its age: the next request must log in.
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_every_form_needs_its_csrf_token(leeds_user, make_user):
    from django.test import Client

    from lacompare.hub.returns.models import Return

    ret = Return.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(leeds_user)
    for url in (
        f"/returns/{ret.pk}/",
        f"/returns/{ret.pk}/autosave",
        f"/returns/{ret.pk}/submit",
        f"/returns/{ret.pk}/upload",
        f"/returns/{ret.pk}/reopen",
        f"/returns/{ret.pk}/accept",
        "/logout/",
        f"/rounds/{ret.round.slug}/remind",
    ):
        r = client.post(url, {"volunteers": "5"})
        assert r.status_code == 403, url
    assert Return.objects.get().values == {}
    anonymous = Client(enforce_csrf_checks=True)
    assert (
        anonymous.post(
            "/login/", {"username": "leeds-ias", "password": PASSWORD}
        ).status_code
        == 403
    )


def test_security_headers_on_every_page(leeds_user):
    from django.test import Client

    from lacompare.hub.returns.models import Return

    ret = Return.objects.get()
    client = Client()
    client.force_login(leeds_user)
    for url in (
        "/",
        f"/returns/{ret.pk}/",
        f"/returns/{ret.pk}/history",
        f"/returns/{ret.pk}/template.csv",
        "/login/",
        "/no-such-page",
    ):
        r = client.get(url)
        assert r["X-Frame-Options"] == "DENY", url
        assert r["X-Content-Type-Options"] == "nosniff", url
        assert r["Referrer-Policy"] == "same-origin", url
        assert "frame-ancestors 'none'" in r["Content-Security-Policy"], url
        assert "script-src 'self'" in r["Content-Security-Policy"], url
        assert "no-store" in r["Cache-Control"], url
    page = client.get(f"/returns/{ret.pk}/").content.decode()
    assert "<script>" not in page  # CSP: the autosave script is a file, not inline
    session_cookie = client.cookies["sessionid"]
    assert session_cookie["httponly"] and session_cookie["samesite"] == "Lax"
