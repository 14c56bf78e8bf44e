"""Invitations: a new user gets an email with a one-time link to set their own
password (Django's token generator, with its own salt and lifetime, so an
invitation link and a password-reset link are never interchangeable).

The link works once: setting the password changes what the token is made from.
Password resets are Django's own views (:mod:`.views_accounts`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from lacompare.errors import InputError
from lacompare.hub.returns import mail
from lacompare.hub.returns.seeding import find_service, make_reviewer


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for invitation links: valid for ``LACOMPARE_HUB_INVITE_DAYS``."""

    key_salt = "lacompare.hub.returns.accounts.InvitationTokenGenerator"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(
                self._make_token_with_timestamp(user, ts, secret), token
            )
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - ts
        return age <= settings.HUB_INVITE_SECONDS


invitation_tokens = InvitationTokenGenerator()


def invitation_link(user: Any, base: str) -> str:
    """The one-time link with which ``user`` sets their password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_tokens.make_token(user)
    return base + reverse("invite", args=[uid, token])


def invitation_body(user: Any, service: Any, base: str) -> str:
    """The invitation's text: what for, the login name, the link, the contact."""
    days = settings.HUB_INVITE_SECONDS // 86400
    what = f"for {service.name}" if service is not None else "as a network reviewer"
    return (
        f"Dear colleague,\n\nYou have an account on the network's returns hub "
        f"{what}, where the annual return is filled in and submitted.\n\n"
        f"Your login name: {user.username}\n\n"
        f"Choose your password here (the link works once, for {days} days):\n"
        f"{invitation_link(user, base)}\n\n"
        f"Then sign in at {base + reverse('login')}\n" + mail.signature()
    )


def invite_user(
    username: str,
    email: str,
    *,
    service_code: str | None = None,
    reviewer: bool = False,
    base_url: str | None = None,
) -> Any:
    """Create a user without a password and email them an invitation to set one.

    A user who was invited but has not set a password yet is invited again (a new
    link; the old one still works until it expires). Nothing is created if the
    email cannot be sent (:class:`mail.MailNotSent`, one line).
    """
    from django.contrib.auth import get_user_model
    from django.core.mail import EmailMessage

    User = get_user_model()  # noqa: N806
    if bool(service_code) == reviewer:
        raise InputError("give either a service or reviewer")
    if not email or "@" not in email:
        raise InputError(f"an invitation needs an email address, not {email!r}")
    service = find_service(service_code) if service_code else None
    problem = mail.mail_problem()
    if problem:
        raise mail.MailNotSent(problem)
    base = base_url or mail.hub_url()
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is not None and user.has_usable_password():
            raise InputError(
                f"user {username!r} already has a password: they can reset it at "
                f"{base + reverse('password_reset')}"
            )
        if user is None:
            user = User(username=username, email=email)
            user.set_unusable_password()
            user.save()
        else:
            user.email = email
            user.save(update_fields=["email"])
        _attach(user, service, reviewer)
        mail.send_messages(
            [
                EmailMessage(
                    "Your account on the returns hub",
                    invitation_body(user, service, base),
                    to=[email],
                )
            ]
        )
    return user


def _attach(user: Any, service: Any, reviewer: bool) -> None:
    from lacompare.hub.returns.models import Membership

    if service is not None:
        Membership.objects.update_or_create(user=user, defaults={"service": service})
    if reviewer:
        make_reviewer(user)
