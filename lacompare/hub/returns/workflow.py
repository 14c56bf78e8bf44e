"""What the hub does to returns, in one place: who may see them, saving (with the
audit trail), submitting, reopening and accepting (each with its receipt), and
seeding a round. Reminders are in :mod:`.chasing`.

Views, ``lacompare hub`` commands and tests all call these functions, so the rules
(who may change what, what is recorded) cannot differ between the web form, an
upload and the command line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from lacompare.errors import InputError
from lacompare.hub import dates
from lacompare.hub.definition import (
    normalise_field_value,
    validate_return,
)
from lacompare.hub.returns import receipts
from lacompare.hub.returns.models import (
    AuditEntry,
    Extension,
    Membership,
    Receipt,
    Return,
    Round,
    Service,
)

# Seeding a round (services, last year's figures, users) has its own module;
# callers know its functions from here.
from lacompare.hub.returns.seeding import add_user as add_user
from lacompare.hub.returns.seeding import create_round as create_round
from lacompare.hub.returns.seeding import read_demo_previous as read_demo_previous
from lacompare.hub.returns.seeding import read_previous as read_previous
from lacompare.hub.returns.seeding import read_services as read_services
from lacompare.provenance import IssueLog

REVIEW_PERMISSION = "returns.review_returns"


class ReturnLocked(Exception):
    """The return cannot be changed now (submitted, accepted, or the round closed)."""


# --- who may see what ----------------------------------------------------------


def is_reviewer(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A network reviewer sees every return (the ``review_returns`` permission)."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.has_perm(REVIEW_PERMISSION))
    )


def service_of(user: AbstractBaseUser | AnonymousUser) -> Service | None:
    """The service a submitter belongs to (``None`` for reviewers and strangers)."""
    if not user.is_authenticated:
        return None
    try:
        return user.membership.service  # type: ignore[union-attr]
    except Membership.DoesNotExist:
        return None


def visible_returns(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Return]:
    """Every return ``user`` may read: all for a reviewer, their service's otherwise.

    This is the only place that decides; every view looks returns up through it.
    """
    base = Return.objects.select_related("round", "service")
    if is_reviewer(user):
        return base
    if not user.is_authenticated:
        return base.none()
    # One join rather than fetching the membership and then the service: this runs
    # on every request that names a return.
    return base.filter(service__members__user=user)


def return_for(user: AbstractBaseUser | AnonymousUser, pk: int) -> Return:
    """The return ``pk`` if ``user`` may read it; 404 otherwise (never 403: another
    service's return must not even be shown to exist)."""
    try:
        return visible_returns(user).get(pk=pk)
    except Return.DoesNotExist:
        raise Http404("no such return") from None


def can_edit(user: AbstractBaseUser | AnonymousUser, ret: Return) -> bool:
    """A submitter edits their own service's draft from the round's opening until
    its service's closing moment (the round's, or a later extension's)."""
    service = service_of(user)
    return (
        service is not None
        and service.pk == ret.service_id
        and ret.status == Return.DRAFT
        and ret.open_for_edits
    )


# --- changing a return ---------------------------------------------------------


@dataclass
class SaveResult:
    """A saved return, the fields that changed and its validation issues."""

    ret: Return
    changed: list[str]
    issues: IssueLog


def _audit(
    ret: Return,
    user: Any,
    action: str,
    *,
    field: str = "",
    old: str = "",
    new: str = "",
    reason: str = "",
) -> AuditEntry:
    return AuditEntry(
        ret=ret,
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "system",
        action=action,
        field=field,
        old=old,
        new=new,
        reason=reason,
        version=ret.version,
    )


def _check(ret: Return, *, for_submit: bool) -> IssueLog:
    definition = ret.round.read_definition()
    _, log = validate_return(
        definition,
        ret.values,
        previous=ret.previous,
        comments=ret.comments,
        for_submit=for_submit,
    )
    return log


def _locked_row(pk: int) -> Return:
    """The return's row, locked until the transaction ends (saves queue, never mix)."""
    try:
        return (
            Return.objects.select_for_update(of=("self",))
            .select_related("round", "service")
            .get(pk=pk)
        )
    except Return.DoesNotExist:
        raise Http404("no such return") from None


def normalised_answers(definition: Any, values: dict[str, Any]) -> dict[str, str]:
    """Every answer in the form's terms (:func:`normalise_field_value`), e.g. for
    showing a return saved before answers were normalised.

    Examples
    --------
    >>> from lacompare.hub.definition import read_round_definition
    >>> normalised_answers(read_round_definition(),
    ...                    {"delivery": "In-house", "funding_la": "£85,000", "x": 1})
    {'delivery': 'In-House', 'funding_la': '85000'}
    """
    names = set(definition.names)
    return {
        name: normalise_field_value(definition.field(name), raw)[0]
        for name, raw in values.items()
        if name in names
    }


def save_return(
    user: Any,
    pk: int,
    values: dict[str, Any],
    comments: dict[str, Any] | None = None,
    *,
    reason: str = "",
    action: str = "save",
    shown: dict[str, Any] | None = None,
) -> SaveResult:
    """Save what a submitter typed or uploaded into their draft, atomically.

    Parameters
    ----------
    user, pk
        Who saves, and the return.
    values, comments
        Field name to the answer (and to its comment). Fields not given are not
        touched. Answers are put in the form's terms first
        (:func:`~lacompare.hub.definition.normalise_field_value`: ``Yes`` becomes
        ``yes``, ``In-house`` ``In-House``, ``£85,000`` ``85000``), the same for an
        upload, a form POST and an autosave; one that matches no choice is kept as
        given and reported as an error, never dropped.
    reason, action
        Kept in the audit trail with each change.
    shown
        The answers (and comments, keyed ``comment:NAME``) as the page showed them
        when the user began editing. A field whose answer is still what was shown
        is left alone, whatever is stored now: the user did not touch it, so a page
        that could not show a stored answer, or a second tab with an older copy,
        cannot blank or undo it. ``None`` (an upload, a script) applies every field
        given.

    Returns
    -------
    SaveResult
        The return, the fields changed, and its issues. Each change is written to
        the audit trail (old → new, with the reason) in the same transaction as the
        values, so an acknowledged save is all in the database or none of it is.
        Errors do not stop a draft being saved, only submitted.
    """
    comments = comments or {}
    with transaction.atomic():
        ret = _locked_row(return_for(user, pk).pk)
        if not can_edit(user, ret):
            raise ReturnLocked(_locked_reason(ret))
        new_values, new_comments, entries = _apply_answers(
            ret, values, comments, shown=shown, reason=reason
        )
        if entries:
            ret.values, ret.comments = new_values, new_comments
            ret.version += 1
        log = _check(ret, for_submit=False)
        ret.errors = len(log.errors())
        ret.warnings = len(log) - ret.errors
        ret.save()
        AuditEntry.objects.bulk_create(
            [
                _audit(ret, user, action, field=f, old=o, new=n, reason=why)
                for f, o, n, why in entries
            ]
        )
    return SaveResult(ret, [e[0] for e in entries], log)


def _apply_answers(
    ret: Return,
    values: dict[str, Any],
    comments: dict[str, Any],
    *,
    shown: dict[str, Any] | None,
    reason: str,
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, str, str]]]:
    """The return's answers and comments with the given ones applied (each in the
    form's terms), and the changes as ``(field, old, new, reason)`` for the audit
    trail; a field still as the page showed it is left alone."""
    definition = ret.round.read_definition()
    names = set(definition.names)
    entries = []
    new_values, new_comments = dict(ret.values), dict(ret.comments)
    for store, given, prefix in (
        (new_values, values, ""),
        (new_comments, comments, "comment:"),
    ):
        for name, raw in given.items():
            if name not in names:
                continue
            if prefix:
                text = "" if raw is None else str(raw).strip()
                was = None if shown is None else shown.get(prefix + name)
                untouched = was is not None and str(was).strip() == text
            else:
                spec = definition.field(name)
                text = normalise_field_value(spec, raw)[0]
                was = None if shown is None else shown.get(name)
                untouched = (
                    was is not None and normalise_field_value(spec, was)[0] == text
                )
            if untouched:
                continue
            old = str(store.get(name, ""))
            if text != old:
                store[name] = text
                # The history keeps what was typed when normalising changed it.
                given_as = "" if raw is None else str(raw).strip()
                why = reason
                if given_as != text:
                    why = f"{reason}; given as {given_as!r}".lstrip("; ")
                entries.append((prefix + name, old, text, why))
    return new_values, new_comments, entries


def _locked_reason(ret: Return) -> str:
    if ret.status == Return.SUBMITTED:
        return "this return has been submitted; ask the network to reopen it"
    if ret.status == Return.ACCEPTED:
        return "this return has been accepted; ask the network to reopen it"
    if timezone.now() > ret.closes_at:
        closed = ret.closes_at.astimezone(dates.zone(ret.round.time_zone))
        return (
            f"the round closed for {ret.service.name} on {closed:%d %B %Y}; "
            "ask the network for an extension to add or change a late return"
        )
    if timezone.now() < ret.round.opens_at:
        return "the round is not open yet"
    return "you cannot change this return"


def submit_return(
    user: Any, pk: int, *, base_url: str | None = None
) -> tuple[Return, IssueLog]:
    """Submit (and lock) a draft if it has no errors; otherwise leave it a draft.

    Submitted, the return's ``receipt`` is its :class:`~.models.Receipt` (reference
    and copy as submitted), emailed to the service's users with links to
    ``base_url`` (default ``LACOMPARE_HUB_URL``).
    """
    with transaction.atomic():
        ret = _locked_row(return_for(user, pk).pk)
        if not can_edit(user, ret):
            raise ReturnLocked(_locked_reason(ret))
        log = _check(ret, for_submit=True)
        ret.errors = len(log.errors())
        ret.warnings = len(log) - ret.errors
        if ret.errors:
            ret.save(update_fields=["errors", "warnings", "updated_at"])
            return ret, log
        ret.status = Return.SUBMITTED
        ret.submitted_at = timezone.now()
        ret.version += 1
        ret.save()
        _audit(
            ret, user, "submit", field="status", old=Return.DRAFT, new=Return.SUBMITTED
        ).save()
        receipt = receipts.record_receipt(ret, Receipt.SUBMIT, user)
    ret.receipt = receipts.deliver(receipt, base_url)
    return ret, log


def _set_status(
    user: Any, pk: int, new: str, *, allowed: tuple[str, ...], reason: str, action: str
) -> Return:
    if not is_reviewer(user):
        raise Http404("no such return")
    with transaction.atomic():
        ret = _locked_row(pk)
        if ret.status not in allowed:
            raise ReturnLocked(f"a {ret.status} return cannot be {action}ed")
        old = ret.status
        ret.status = new
        ret.version += 1
        if new == Return.ACCEPTED:
            ret.accepted_at = timezone.now()
        if new == Return.DRAFT:
            ret.submitted_at = None
            ret.accepted_at = None
        ret.save()
        _audit(
            ret, user, action, field="status", old=old, new=new, reason=reason
        ).save()
    return ret


def reopen_return(
    user: Any,
    pk: int,
    reason: str,
    *,
    until: dt.date | None = None,
    base_url: str | None = None,
) -> Return:
    """A reviewer reopens a submitted or accepted return (a reason is required).

    Reopened after the service's closing moment (or with ``until``), the service is
    given an extension to the end of ``until`` (default: seven days from today, in
    the round's time zone) with the same reason, so it really can change the
    return; resubmitted, it is published as late.
    """
    if not reason.strip():
        raise InputError("say why the return is reopened")
    with transaction.atomic():
        ret = _set_status(
            user,
            pk,
            Return.DRAFT,
            allowed=(Return.SUBMITTED, Return.ACCEPTED),
            reason=reason.strip(),
            action="reopen",
        )
        tz = ret.round.time_zone
        if until is None and timezone.now() > ret.closes_at:
            until = dt.datetime.now(dates.zone(tz)).date() + dt.timedelta(days=7)
        if until is not None:
            grant_extension(user, ret.round, ret.service, until, reason.strip())
        receipt = receipts.record_receipt(ret, Receipt.REOPEN, user, reason.strip())
    ret = Return.objects.select_related("round", "service").get(pk=ret.pk)
    receipt.ret = ret
    ret.receipt = receipts.deliver(receipt, base_url)
    return ret


def grant_extension(
    user: Any, round_: Round, service: Service, until: dt.date, reason: str
) -> Extension:
    """Give ``service`` until the end of ``until`` (the round's time zone) to change
    its return; replaces an earlier extension, and the return's history says so.

    A reason is required; a day before today is refused (it would extend nothing).
    """
    # ``user`` None is the command line (the coordinator on the server).
    if user is not None and not is_reviewer(user):
        raise Http404("no such round")
    if not reason.strip():
        raise InputError("say why the extension is given")
    tz = round_.time_zone
    if until < dt.datetime.now(dates.zone(tz)).date():
        raise InputError(f"the extension's day {until} has passed")
    closes = dates.closing_moment(until, tz)
    with transaction.atomic():
        ret = _locked_row(Return.objects.get(round=round_, service=service).pk)
        old = ret.extension
        ext, _ = Extension.objects.update_or_create(
            round=round_,
            service=service,
            defaults={
                "closes_at": closes,
                "granted_by": user if getattr(user, "pk", None) else None,
                "granted_by_name": getattr(user, "username", "") or "command line",
                "reason": reason.strip(),
                "at": timezone.now(),
            },
        )
        _audit(
            ret,
            user,
            "extend",
            field="closes",
            old="" if old is None else f"{dates.day_of(old.closes_at, tz)}",
            new=f"{until}",
            reason=reason.strip(),
        ).save()
    return ext


def set_round_dates(
    round_: Round | str,
    *,
    opens: dt.date | None = None,
    closes: dt.date | None = None,
    time_zone: str | None = None,
) -> Round:
    """Move a round's opening and closing days (whole days in its time zone: opens
    at 00:00 of ``opens``, closes at 23:59:59 of ``closes``). A day not given is
    kept; extensions stay as given.
    """
    with transaction.atomic():
        slug = round_.slug if isinstance(round_, Round) else round_
        try:
            r = Round.objects.select_for_update().get(slug=slug)
        except Round.DoesNotExist:
            known = ", ".join(Round.objects.values_list("slug", flat=True)) or "none"
            raise InputError(f"no round {slug!r} (rounds: {known})") from None
        tz = time_zone or r.time_zone
        dates.zone(tz)
        opens = opens or dates.day_of(r.opens_at, r.time_zone)
        closes = closes or dates.day_of(r.closes_at, r.time_zone)
        r.opens_at, r.closes_at = dates.round_moments(opens, closes, tz)
        r.time_zone = tz
        r.save(update_fields=["opens_at", "closes_at", "time_zone"])
    return r


def accept_return(
    user: Any, pk: int, reason: str = "", *, base_url: str | None = None
) -> Return:
    """A reviewer accepts a submitted return: it will be published. Its
    ``receipt`` quotes the reference of the version submitted."""
    with transaction.atomic():
        ret = _set_status(
            user,
            pk,
            Return.ACCEPTED,
            allowed=(Return.SUBMITTED,),
            reason=reason,
            action="accept",
        )
        receipt = receipts.record_receipt(ret, Receipt.ACCEPT, user, reason)
    ret.receipt = receipts.deliver(receipt, base_url)
    return ret
