"""Invitations: a new user gets an email with a one-time link to set their own
password (Django's token generator, with its own salt and lifetime, so an
invitation link and a password-reset link are never interchangeable).

The link works once: setting the password changes what the token is made from.
Password resets are Django's own views (:mod:`.views_accounts`).
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path
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


# --- bulk set-up: import-users ----------------------------------------------------

#: The columns of a users file (``service`` by code or name); ``username`` is
#: optional (default: the email address, which users remember).
USER_COLUMNS = ("service", "name", "email")


@dataclass(frozen=True)
class UserRow:
    """One row of a users file, as read (``row`` counts the header as row 1)."""

    row: int
    service: str
    name: str
    email: str
    username: str


@dataclass
class ImportResult:
    """What :func:`import_users` did: who was invited (login name, email, service)
    and who was left alone (row, login name, why)."""

    invited: list[tuple[str, str, str]] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)


def read_user_rows(path: Path) -> list[UserRow]:
    """The rows of a users CSV (columns ``service``, ``name``, ``email``, and
    optionally ``username``; headers in any case, Excel's UTF-8 BOM allowed).

    Blank rows are skipped; a missing column or an unreadable file is an
    :class:`InputError` naming the file.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "users.csv"
    >>> _ = p.write_text("Service,Name,Email\\nleeds,Sam Lee,Sam@Leeds.example\\n")
    >>> read_user_rows(p)[0].username
    'sam@leeds.example'
    """
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it ({exc})", file=name) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    missing = [c for c in USER_COLUMNS if c not in headers]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (the columns are service, name, "
            "email; username is optional)",
            file=name,
            row=1,
        )
    rows = []
    for raw in reader:
        n = reader.line_num  # the file's line: blank lines count, as in Excel
        cell = {k: (raw.get(h) or "").strip() for k, h in headers.items()}
        if not any(cell.values()):
            continue
        email = cell["email"].lower()
        rows.append(
            UserRow(
                row=n,
                service=cell["service"],
                name=cell["name"],
                email=email,
                username=cell.get("username", "") or email,
            )
        )
    return rows


def _services_by_key() -> tuple[dict[str, Any], list[str]]:
    from lacompare.hub.returns.models import Service

    services = list(Service.objects.order_by("code"))
    keys: dict[str, Any] = {}
    for s in services:
        keys.setdefault(s.name.casefold(), s)
    for s in services:
        keys[s.code.casefold()] = s  # a code wins over another service's name
    return keys, [s.code for s in services]


def service_for(text: str) -> Any:
    """The service a user typed (its code or its name, in any case); an
    :class:`InputError` that lists every service code otherwise.

    Examples
    --------
    >>> service_for("Leedz")  # doctest: +SKIP
    InputError: no service 'Leedz' (did you mean leeds?); the codes are: ...
    """
    keys, codes = _services_by_key()
    service = keys.get(text.strip().casefold())
    if service is None:
        listed = ", ".join(codes) if codes else "none: load the services first"
        raise InputError(f"{_unknown_service(text, keys)}; the codes are: {listed}")
    return service


def _unknown_service(text: str, keys: dict[str, Any]) -> str:
    close = difflib.get_close_matches(text.strip().casefold(), list(keys), n=1)
    hint = f" (did you mean {keys[close[0]].code}?)" if close else ""
    return f"no service {text!r}{hint}"


def _row_problems(rows: list[UserRow], file: str) -> list[str]:
    """Every problem of every row (not only the first), each naming its row."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    User = get_user_model()  # noqa: N806
    keys, codes = _services_by_key()
    problems, seen = [], {}
    for r in rows:
        where = f"{file}, row {r.row}"
        if not r.service:
            problems.append(f"{where}, column service: no service given")
        elif r.service.casefold() not in keys:
            problems.append(
                f"{where}, column service: {_unknown_service(r.service, keys)}"
            )
        try:
            validate_email(r.email)
        except ValidationError:
            problems.append(
                f"{where}, column email: {r.email!r} is not an email address"
            )
        if r.username in seen:
            problems.append(f"{where}: {r.username} is on row {seen[r.username]} too")
        seen.setdefault(r.username, r.row)
        user = User.objects.filter(username=r.username).first()
        service = keys.get(r.service.casefold())
        member = getattr(user, "membership", None) if user else None
        if member is not None and service is not None and member.service != service:
            problems.append(
                f"{where}: {r.username} already submits for {member.service.name}"
            )
    if any("column service" in p for p in problems):
        problems.append(f"the service codes are: {', '.join(codes) or 'none'}")
    return problems


def import_users(
    rows: list[UserRow], *, file: str = "users.csv", base_url: str | None = None
) -> ImportResult:
    """Create a user for each row, linked to its service, and email each an
    invitation to choose a password (:func:`invitation_body`).

    All or nothing: every row is checked first and any problem (an unknown
    service, listing the codes; a bad email; a login name twice) raises an
    :class:`InputError` naming each bad row, with nothing created; the users are
    created and the emails sent in one transaction, so a mail server that refuses
    them (:class:`mail.MailNotSent`) leaves no user behind either. A user who has
    set a password already is left alone (``skipped``); one invited before and not
    yet signed in is invited again.
    """
    from django.contrib.auth import get_user_model
    from django.core.mail import EmailMessage

    User = get_user_model()  # noqa: N806
    if not rows:
        raise InputError(
            "no users in the file (columns: service, name, email)", file=file
        )
    problems = _row_problems(rows, file)
    if problems:
        raise InputError(
            f"nothing was created; {len(problems)} problem(s):\n  "
            + "\n  ".join(problems)
        )
    problem = mail.mail_problem()
    if problem:
        raise mail.MailNotSent(problem)
    base = base_url or mail.hub_url()
    keys, _ = _services_by_key()
    result, messages = ImportResult(), []
    with transaction.atomic():
        for r in rows:
            service = keys[r.service.casefold()]
            user = User.objects.filter(username=r.username).first()
            if user is not None and user.has_usable_password():
                result.skipped.append((r.row, r.username, "has a password already"))
                continue
            first, _, last = (
                r.name.rpartition(" ") if " " in r.name else (r.name, "", "")
            )
            if user is None:
                user = User(username=r.username)
                user.set_unusable_password()
            user.email, user.first_name, user.last_name = (
                r.email,
                first[:150],
                last[:150],
            )
            user.save()
            _attach(user, service, False)
            messages.append(
                EmailMessage(
                    "Your account on the returns hub",
                    invitation_body(user, service, base),
                    to=[r.email],
                )
            )
            result.invited.append((r.username, r.email, service.name))
        mail.send_messages(messages)
    return result
