"""The failed-login ceilings hold when attempts arrive at once: per account and
address, and per address across accounts (password spraying). Each attempt runs in
its own thread with its own PostgreSQL connection, released together by a barrier."""

from __future__ import annotations

import doctest
import threading
import time
from collections import Counter

import pytest

from tests.hub.conftest import PASSWORD


def _attempt(
    username: str,
    password: str,
    address: str = "127.0.0.1",
    forwarded: str | None = None,
):
    from django.test import Client

    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return Client(REMOTE_ADDR=address).post(
        "/login/", {"username": username, "password": password}, **extra
    )


def _answer(response) -> str:
    if response.status_code == 302:
        return "logged in"
    if response.status_code == 429:
        return "refused"
    assert response.status_code == 200, response.status_code
    assert b"Please enter a correct" in response.content, response.content[:300]
    return "wrong password"


def _at_once(attempts: list[tuple]) -> list:
    """Run every attempt in its own thread, all released together; the responses."""
    from django.db import connections

    barrier = threading.Barrier(len(attempts))
    responses: list = [None] * len(attempts)

    def run(i: int, args: tuple) -> None:
        try:
            barrier.wait()
            responses[i] = _attempt(*args)
        except BaseException as exc:  # noqa: BLE001 (reported by the test below)
            responses[i] = exc
        finally:
            connections.close_all()  # this thread's connection

    threads = [
        threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    errors = [r for r in responses if isinstance(r, BaseException)]
    assert not errors, errors
    return responses


def test_module_examples(hub):
    from lacompare.hub.returns import login_limits

    assert doctest.testmod(login_limits).failed == 0


def test_thirty_wrong_passwords_at_once_get_five_answers(make_user):
    make_user("leeds-ias")
    responses = _at_once([("leeds-ias", f"wrong-{i}") for i in range(30)])
    answers = Counter(_answer(r) for r in responses)
    assert answers == {"wrong password": 5, "refused": 25}, answers
    refused = next(r for r in responses if r.status_code == 429)
    assert (
        b"Too many failed logins for this account from your address. "
        b"Try again in 15 minutes." in refused.content
    )
    assert 890 <= int(refused["Retry-After"]) <= 900
    # The right password is refused too now, from this address only.
    assert _answer(_attempt("leeds-ias", PASSWORD)) == "refused"
    assert _answer(_attempt("leeds-ias", PASSWORD, "10.0.0.9")) == "logged in"


def test_password_spraying_meets_the_address_ceiling(make_user):
    from django.conf import settings

    ceiling = settings.LOGIN_ADDRESS_ATTEMPTS
    users = [make_user(f"user-{i}").username for i in range(ceiling * 2)]
    responses = _at_once([(u, "Winter2025!") for u in users])
    answers = Counter(_answer(r) for r in responses)
    assert answers == {"wrong password": ceiling, "refused": ceiling}, answers
    refused = next(r for r in responses if r.status_code == 429)
    assert b"Too many failed logins from your address. Try again in" in refused.content
    # Every account is closed to this address, even with the right password...
    assert _answer(_attempt(users[-1], PASSWORD)) == "refused"
    # ...and open from another; a forged X-Forwarded-For does not make one.
    assert _answer(_attempt(users[-1], PASSWORD, forwarded="10.9.9.9")) == "refused"
    assert _answer(_attempt(users[-1], PASSWORD, "10.0.0.9")) == "logged in"


def test_forwarded_address_is_used_behind_a_proxy(make_user):
    from django.test import override_settings

    make_user("leeds-ias")
    with override_settings(LOGIN_PROXIES=1, LOGIN_ATTEMPTS=2):
        # Through one proxy (REMOTE_ADDR 10.0.0.1) from two clients.
        for _ in range(2):
            assert (
                _answer(
                    _attempt("leeds-ias", "wrong", "10.0.0.1", "6.6.6.6, 192.0.2.7")
                )
                == "wrong password"
            )
        assert (
            _answer(_attempt("leeds-ias", PASSWORD, "10.0.0.1", "192.0.2.7"))
            == "refused"
        )
        assert (
            _answer(_attempt("leeds-ias", PASSWORD, "10.0.0.1", "192.0.2.8"))
            == "logged in"
        )


def test_a_right_password_is_not_counted_and_the_wait_ends(make_user):
    from django.test import override_settings

    from lacompare.hub.returns.models import LoginFailure

    make_user("leeds-ias")
    with override_settings(LOGIN_ATTEMPTS=2, LOGIN_WINDOW_SECONDS=2):
        for _ in range(5):
            assert _answer(_attempt("leeds-ias", PASSWORD)) == "logged in"
        assert LoginFailure.objects.count() == 0
        responses = _at_once([("leeds-ias", "wrong")] * 6)
        assert Counter(_answer(r) for r in responses)["wrong password"] == 2
        refused = _attempt("leeds-ias", PASSWORD)
        assert _answer(refused) == "refused"
        assert (
            b"Try again in 2 seconds." in refused.content
            or b"Try again in 1 second." in refused.content
        )
        time.sleep(int(refused["Retry-After"]) + 0.2)
        assert _answer(_attempt("leeds-ias", PASSWORD)) == "logged in"


@pytest.mark.parametrize("missing", ["username", "password"])
def test_a_blank_field_is_not_a_failure(make_user, missing):
    from lacompare.hub.returns.models import LoginFailure

    make_user("leeds-ias")
    data = {"username": "leeds-ias", "password": "x"}
    data[missing] = ""
    from django.test import Client

    r = Client().post("/login/", data)
    assert r.status_code == 200 and LoginFailure.objects.count() == 0


def test_against_the_real_server(make_user, hub):
    """30 concurrent wrong passwords over HTTP to gunicorn (2 processes, 4 threads
    each), as in the report: at most 5 are checked."""
    pytest.importorskip("gunicorn")
    httpx = pytest.importorskip("httpx")
    from tests.hub.test_server_kill import _free_port, _kill, _start

    make_user("leeds-ias")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(hub, port)
    barrier = threading.Barrier(30)
    codes: list = []

    def guess(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/login/")
            barrier.wait()
            r = client.post(
                "/login/",
                data={
                    "username": "leeds-ias",
                    "password": f"wrong-{i}",
                    "csrfmiddlewaretoken": client.cookies["csrftoken"],
                },
            )
            codes.append(
                429
                if r.status_code == 429
                else (
                    "wrong" if b"Please enter a correct" in r.content else r.status_code
                )
            )

    try:
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        _kill(proc)
    assert Counter(codes) == {"wrong": 5, 429: 25}, Counter(codes)
