"""The hub's email: who a service's mail goes to, the hub's link and the network's
contact that every email carries, and sending with a one-line reason when it
cannot be sent (no mail server configured, or the server refused or is down).

Reminders (:mod:`.chasing`), receipts (:mod:`.receipts`), invitations and password
resets (:mod:`.accounts`) all send through :func:`send_messages`.
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings

from lacompare.errors import InputError
from lacompare.hub.returns.models import Service

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class MailNotSent(InputError):
    """No mail was sent: the reason, in one line (the CLI exits 1, a page says it)."""


def mail_problem() -> str | None:
    """Why the hub cannot send mail as configured (SMTP with no host), or
    ``None`` if it can try."""
    if settings.EMAIL_BACKEND == SMTP_BACKEND and not settings.EMAIL_HOST:
        return (
            "no mail server is configured: set LACOMPARE_HUB_EMAIL_HOST (and "
            "LACOMPARE_HUB_EMAIL_PORT) to send email; nothing was sent"
        )
    return None


def send_messages(messages: list[Any]) -> None:
    """Send ``messages`` over one connection, or raise :class:`MailNotSent` saying
    why in one line (nothing configured, server down, refused); never anything
    else, so no page answers 500 for want of a mail server."""
    if not messages:
        return
    problem = mail_problem()
    if problem:
        raise MailNotSent(problem)
    from django.core.mail import get_connection

    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except (OSError, smtplib.SMTPException) as exc:
        where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise MailNotSent(
            f"the mail server at {where} did not take the email "
            f"({type(exc).__name__}{': ' + detail if detail else ''}); nothing was sent"
        ) from None


def hub_url(request: Any = None) -> str:
    """The hub's address for links in emails: ``LACOMPARE_HUB_URL``, else the
    address the page was opened at; from the command line without the setting, a
    :class:`MailNotSent` saying to set it."""
    base = getattr(settings, "HUB_URL", "")
    if base:
        return base.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    raise MailNotSent(
        "set LACOMPARE_HUB_URL to the hub's address (e.g. https://returns.example.org) "
        "so that emails can link to it; nothing was sent"
    )


def contact() -> str:
    """The network's contact named in every email (``LACOMPARE_HUB_CONTACT``, else
    the sender's address)."""
    return getattr(settings, "HUB_CONTACT", "") or settings.DEFAULT_FROM_EMAIL


def service_users(service: Service) -> list[Any]:
    """The active users of ``service`` who have an email address, by login name."""
    return sorted(
        (
            m.user
            for m in service.members.select_related("user")
            if m.user.is_active and m.user.email
        ),
        key=lambda u: u.username,
    )


def signature() -> str:
    """The closing lines of every email: the network's contact."""
    return f"\nQuestions? Contact the network: {contact()}\n"
