"""Limits on failed logins: per account and address, and per address across accounts.

Two ceilings in a sliding window (``LOGIN_WINDOW_SECONDS``):

- ``LOGIN_ATTEMPTS`` failed logins for one user name from one address (guessing one
  account's password);
- ``LOGIN_ADDRESS_ATTEMPTS`` failed logins from one address, whatever the user name
  (trying a few common passwords on many accounts: password spraying).

They hold under concurrency. An attempt is *reserved* before the password is checked:
under a PostgreSQL advisory lock on the client address, the recent failures are
counted and, if under both ceilings, a :class:`LoginFailure` row is written for this
attempt; the lock is released at commit, before the (slow, Argon2) password check.
A correct password deletes its row again; a wrong one leaves it counted. So however
many requests arrive at once, at most the ceiling of them get as far as checking a
password: counting after the check (as before) let 30 concurrent guesses through 19
times against a limit of 5.

The client address is ``REMOTE_ADDR``. ``X-Forwarded-For`` is read only when
``LOGIN_PROXIES`` says how many reverse proxies in front of the hub append to it;
otherwise anyone could name any address in it and step around the ceilings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from lacompare.hub.returns.models import LoginFailure

#: First key of the advisory locks taken here (PostgreSQL's two-key form), so they
#: cannot collide with locks taken for anything else ('LCLG').
LOCK_CLASS = 0x4C434C47


@dataclass(frozen=True)
class Refused:
    """A login refused before the password was checked.

    ``scope`` is ``"account"`` (this user name from this address) or ``"address"``
    (this address, across accounts); ``wait_seconds`` is when a new attempt will be
    let through.
    """

    scope: str
    wait_seconds: int


def client_address(meta: dict[str, Any], proxies: int | None = None) -> str:
    """The client's address: ``REMOTE_ADDR``, or ``X-Forwarded-For`` behind proxies.

    Parameters
    ----------
    meta
        The request's ``META``.
    proxies
        Reverse proxies in front of the hub that each append the address they were
        called from to ``X-Forwarded-For`` (default: ``settings.LOGIN_PROXIES``).
        With ``n`` of them the client is the ``n``-th entry from the right; entries
        further left were written by the client and are not trusted.

    Examples
    --------
    >>> meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 5.6.7.8"}
    >>> client_address(meta, 0), client_address(meta, 1), client_address(meta, 2)
    ('10.0.0.2', '5.6.7.8', '1.2.3.4')
    >>> client_address({"REMOTE_ADDR": "10.0.0.2"}, 1)
    '10.0.0.2'
    """
    if proxies is None:
        proxies = int(getattr(settings, "LOGIN_PROXIES", 0))
    address = str(meta.get("REMOTE_ADDR", ""))
    if proxies > 0:
        forwarded = [
            a.strip()
            for a in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")
            if a.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return address[:64]


def wait_text(seconds: int) -> str:
    """How long to wait, as a person reads it.

    Examples
    --------
    >>> wait_text(40), wait_text(60), wait_text(61), wait_text(900)
    ('40 seconds', '1 minute', '2 minutes', '15 minutes')
    """
    if seconds < 60:
        return f"{max(seconds, 1)} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _wait(recent: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    # ``recent`` is newest first: once the limit-th newest leaves the window, fewer
    # than ``limit`` failures are left in it.
    return max(1, math.ceil((recent[limit - 1] + window - now).total_seconds()))


def reserve_attempt(username: str, address: str) -> int | Refused:
    """Count this attempt as a failure before its password is checked, or refuse it.

    Returns the id of the :class:`LoginFailure` row written for the attempt (give it
    to :func:`release_attempt` when the password was right), or :class:`Refused`.
    """
    window = timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)
    per_account = int(settings.LOGIN_ATTEMPTS)
    per_address = int(settings.LOGIN_ADDRESS_ATTEMPTS)
    with transaction.atomic():
        # One lock per address serialises the count and the insert for every
        # attempt that both ceilings count (they share the address); held only for
        # these statements, not while the password is checked.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_CLASS, address]
            )
        now = timezone.now()
        since = now - window
        recent = LoginFailure.objects.filter(address=address, at__gte=since)
        mine = list(
            recent.filter(username=username)
            .order_by("-at")
            .values_list("at", flat=True)[:per_account]
        )
        if len(mine) >= per_account:
            return Refused("account", _wait(mine, per_account, window, now))
        everyone = list(
            recent.order_by("-at").values_list("at", flat=True)[:per_address]
        )
        if len(everyone) >= per_address:
            return Refused("address", _wait(everyone, per_address, window, now))
        # Failures older than the window count for nothing: keep the table small.
        LoginFailure.objects.filter(address=address, at__lt=since).delete()
        return LoginFailure.objects.create(
            username=username, address=address, at=now
        ).pk


def release_attempt(reservation: int) -> None:
    """The password was right: this attempt is not a failure."""
    LoginFailure.objects.filter(pk=reservation).delete()
