"""The hub's tests run on a real PostgreSQL server (never SQLite).

The server is the one in ``LACOMPARE_HUB_DATABASE_URL`` (default: what
``.ci/start-postgres`` creates). Each test session makes a fresh database there and
drops it at the end. In CI (``CI`` set) an unreachable server fails the tests;
elsewhere they skip, saying how to start one. Django is configured here, inside a
session fixture, only when a hub test runs: nothing leaks into other tests' modules.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

# Playwright's sync API (the browser tests, earlier in the same session) leaves an
# event loop on the main thread; Django's async-safety check would then refuse the ORM
# in these synchronous tests. Django documents this switch for exactly that case.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple-42"
SECRET_KEY = "tests-only-" + "k" * 50
HUB_TABLES = (
    "returns_auditentry",
    "returns_receipt",
    "returns_reminder",
    "returns_extension",
    "returns_publication",
    "returns_return",
    "returns_round",
    "returns_membership",
    "returns_service",
    "returns_loginfailure",
    "auth_user",
    "django_session",
)


def _base_url() -> str:
    from lacompare.hub.settings import DEFAULT_DATABASE_URL

    return os.environ.get("LACOMPARE_HUB_DATABASE_URL") or DEFAULT_DATABASE_URL


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


@pytest.fixture(scope="session")
def hub_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database with the hub's tables; yields its URL."""
    pytest.importorskip("django", reason="the hub needs Django (pip install '.[hub]')")
    psycopg = pytest.importorskip("psycopg", reason="the hub needs psycopg")
    base = _base_url()
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = (
            f"PostgreSQL is not reachable at {_redacted(base)} "
            f"({str(exc).strip().splitlines()[0]}); start it with "
            "`sudo .ci/start-postgres` and set LACOMPARE_HUB_DATABASE_URL"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"lacompare_hub_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(base, name)

    import django
    from django.conf import settings

    from lacompare.hub import settings as hub_settings

    if settings.configured:
        pytest.skip("Django was configured by something else in this session")
    values = hub_settings.settings_dict()
    values.update(
        DATABASES={"default": hub_settings.read_database_url(url)},
        SECRET_KEY=SECRET_KEY,
        DEBUG=False,
    )
    settings.configure(**values)
    django.setup()
    # pytest-django (if installed) blocks database access outside its own fixtures;
    # these tests manage their own database, so lift the block for the session.
    blocker = None
    try:
        blocker = request.getfixturevalue("django_db_blocker")
    except pytest.FixtureLookupError:
        pass
    if blocker is not None:
        blocker.unblock()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment, teardown_test_environment

    # Template rendering instrumented (response.context), mail kept in memory unless
    # a test sends to its SMTP sink.
    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    try:
        yield url
    finally:
        from django.db import connections

        teardown_test_environment()
        connections.close_all()
        if blocker is not None:
            blocker.restore()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def hub(hub_database: str) -> Iterator[str]:
    """An empty hub (every table of services, rounds, returns and users cleared)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(HUB_TABLES)} RESTART IDENTITY CASCADE")
    yield hub_database


@pytest.fixture(scope="session")
def password_hash(hub_database: str) -> str:
    """One Argon2 hash of PASSWORD, reused for every test user (hashing is slow)."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def demo_services(limit: int | None = None) -> list[dict[str, Any]]:
    """The 149 services of the IASSN 2021 report (the packaged demo list)."""
    from lacompare.demo import demo_data_path
    from lacompare.hub.returns.workflow import read_services

    rows = read_services(demo_data_path(), as_of="2021-03-31")
    return rows[:limit] if limit else rows


@pytest.fixture
def make_round(hub: str):
    """Create the SENDIAS round for some services (default: open now)."""
    from django.utils import timezone

    from lacompare.hub.returns.workflow import create_round, read_demo_previous

    def _make(services: list[dict[str, Any]] | None = None, *, open_now: bool = True):
        services = services if services is not None else demo_services(6)
        now = timezone.now()
        opens = now - dt.timedelta(days=1) if open_now else now - dt.timedelta(days=30)
        closes = now + dt.timedelta(days=30) if open_now else now - dt.timedelta(days=1)
        return create_round(
            None,
            opens_at=opens,
            closes_at=closes,
            services=services,
            previous=read_demo_previous(services),
        )

    return _make


@pytest.fixture
def make_user(hub: str, password_hash: str):
    """A submitter for a service code, or a reviewer (``reviewer=True``)."""
    from django.contrib.auth.models import Group, Permission, User

    from lacompare.hub.returns.models import Membership, Service

    def _make(
        username: str,
        service: str | None = None,
        *,
        reviewer: bool = False,
        email: str = "",
    ) -> Any:
        user = User.objects.create(
            username=username,
            password=password_hash,
            email=email or f"{username}@example.org",
        )
        if service:
            Membership.objects.create(
                user=user, service=Service.objects.get(code=service)
            )
        if reviewer:
            group, _ = Group.objects.get_or_create(name="network reviewers")
            group.permissions.add(Permission.objects.get(codename="review_returns"))
            user.groups.add(group)
        return user

    return _make


@pytest.fixture
def leeds(make_round, make_user):
    """A round of Leeds and York, and Leeds's service staff logged in: (client,
    Leeds's return). Modules that need the round and user instead define their own."""
    from django.test import Client

    from lacompare.hub.returns.models import Return

    make_round([s for s in demo_services() if s["code"] in ("leeds", "york")])
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("leeds-ias", "leeds"))
    return client, Return.objects.get(service__code="leeds")


def full_answers(
    service: dict[str, Any] | None = None, **changes: Any
) -> dict[str, str]:
    """A complete, valid return (as typed), close to last year's figures."""
    answers = {
        "population_0_25": "100000",
        "funding_la": "150000",
        "funding_social_care": "20000",
        "funding_health": "25000",
        "funding_other": "5000",
        "funding_total": "200000",
        "fte_staff": "4.5",
        "volunteers": "3",
        "helpline_enquiries": "1200",
        "casework_information": "300",
        "casework_advice": "200",
        "casework_support": "100",
        "casework_total": "600",
        "tribunal_cases": "12",
        "delivery": "In-House",
        "joint_health_and_social_care": "no",
        "joint_health_only": "yes",
        "joint_social_care_only": "no",
    }
    answers.update({k: str(v) for k, v in changes.items()})
    return answers


def matching_previous(answers: dict[str, str]) -> dict[str, float]:
    """Last year's figures equal to this year's (no change rule fires)."""
    return {
        "population_0_25": float(answers["population_0_25"]),
        "funding_total": float(answers["funding_total"]),
        "fte_staff": float(answers["fte_staff"]),
    }


class SmtpSink:
    """An SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, parsed."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        self.received: list[tuple[list[str], str]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                sink.received.append(
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

    def messages(self, count: int | None = None, wait: float = 5.0) -> list[Any]:
        """The emails received (as ``email.message.EmailMessage``), waiting up to
        ``wait`` seconds for ``count`` of them."""
        import email
        import time
        from email import policy

        deadline = time.monotonic() + wait
        while count is not None and len(self.received) < count:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return [
            email.message_from_string(raw, policy=policy.default)
            for _, raw in self.received
        ]

    def recipients(self) -> set[str]:
        return {to for tos, _ in self.received for to in tos}


@pytest.fixture
def smtp_sink(hub: str) -> Iterator[SmtpSink]:
    """A real SMTP server the hub sends to (``LACOMPARE_HUB_URL`` is
    ``http://testserver``, the test client's host; the contact is set)."""
    pytest.importorskip("aiosmtpd", reason="the SMTP sink needs aiosmtpd")
    from django.test import override_settings

    sink = SmtpSink()
    sink.controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
            HUB_URL="http://testserver",
            HUB_CONTACT="Sam Lee, returns@network.example, 020 7946 0000",
        ):
            yield sink
    finally:
        sink.controller.stop()


@pytest.fixture
def no_mail_server(hub: str) -> Iterator[None]:
    """The hub as deployed without LACOMPARE_HUB_EMAIL_HOST."""
    from django.test import override_settings

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="",
        HUB_URL="http://testserver",
    ):
        yield


# The browser tests' fixtures (Playwright driving Debian's chromium against the hub
# under gunicorn); only the tests that ask for them use them.


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """pytest-playwright's launch options: Debian's chromium, headless, offline."""
    from chromium import LAUNCH_ARGS

    return LAUNCH_ARGS


@pytest.fixture
def chromium_available() -> None:
    from chromium import require_browser

    require_browser(
        "playwright", "pytest_playwright", "gunicorn", install="lacompare[hub,test]"
    )


@pytest.fixture
def hub_server(hub):
    """The hub under gunicorn on a free port of 127.0.0.1, on the test database."""
    from tests.hub.test_server_kill import _free_port, _kill, _start

    port = _free_port()
    proc = _start(hub, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _kill(proc)
