"""Receipts: when a return is submitted, accepted or reopened, a reference number,
an email to the service's users, and a printable copy of the return as submitted
(an HTML page, and a PDF through WeasyPrint when the ``pdf`` extra is installed).

The reference is ``ROUND-SERVICE-N``, N the version submitted: accepting or
reopening that version quotes the same reference, so a service can match the
network's decision to what it sent. The copy is kept with the submit receipt, so
it stays what was submitted whatever changes after a reopen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from lacompare.formatting import format_number
from lacompare.hub import dates
from lacompare.hub.definition import parse_field_value
from lacompare.hub.returns import mail
from lacompare.hub.returns.models import AuditEntry, Receipt, Return

WHAT = {
    Receipt.SUBMIT: "submitted",
    Receipt.ACCEPT: "accepted",
    Receipt.REOPEN: "reopened",
}


def reference(ret: Return, version: int) -> str:
    """``ROUND-SERVICE-N`` in capitals, e.g. ``SENDIAS-2021-LEEDS-5``."""
    return f"{ret.round.slug}-{ret.service.code}-{version}".upper()


def _submitted(ret: Return) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The version last submitted and its answers: from its submit receipt, else
    (a return submitted before receipts) its audit entry and the answers now (a
    submitted return is locked, so they are the ones submitted)."""
    last = ret.receipts.filter(action=Receipt.SUBMIT).order_by("-at", "-id").first()
    if last is not None:
        return last.version, last.values, last.comments
    entry = ret.audit.filter(action="submit").order_by("-at", "-id").first()
    version = entry.version if entry is not None else ret.version
    return version, dict(ret.values), dict(ret.comments)


def record_receipt(ret: Return, action: str, user: Any, reason: str = "") -> Receipt:
    """Record the receipt for ``action`` on ``ret`` (call it in the transaction
    that changes the return, after the change)."""
    if action == Receipt.SUBMIT:
        version, values, comments = ret.version, dict(ret.values), dict(ret.comments)
    else:
        version, values, comments = _submitted(ret)
    return Receipt.objects.create(
        ret=ret,
        action=action,
        reference=reference(ret, version),
        version=version,
        username=getattr(user, "username", "") or "command line",
        reason=reason,
        values=values,
        comments=comments,
    )


def copy_url(receipt: Receipt, base: str = "", fmt: str = "") -> str:
    """The printable copy's address (``fmt="pdf"`` for the PDF)."""
    name = "copy-pdf" if fmt == "pdf" else "copy"
    return base + reverse(name, args=[receipt.ret_id, receipt.version])


def receipt_body(receipt: Receipt, base: str) -> str:
    """The receipt email's text."""
    ret = receipt.ret
    zone = dates.zone(ret.round.time_zone)
    when = receipt.at.astimezone(zone)
    who = "the network" if receipt.action != Receipt.SUBMIT else receipt.username
    body = (
        f"{ret.service.name}'s return for {ret.round.title} was "
        f"{WHAT[receipt.action]} by {who} on {when:%d %B %Y at %H:%M}.\n\n"
        f"Reference: {receipt.reference}\n"
    )
    if receipt.action == Receipt.SUBMIT:
        body += "It is locked now; ask the network if you need to change it.\n"
    elif receipt.action == Receipt.ACCEPT:
        body += "It will be in the network's published report.\n"
    else:
        closes = ret.closes_at.astimezone(zone)
        body += (
            f"Reason: {receipt.reason}\n\nYou can change it and submit it again "
            f"until {closes:%d %B %Y at %H:%M}.\n"
        )
    if base:
        body += (
            f"\nThe return: {base + reverse('return', args=[ret.pk])}\n"
            f"A copy as submitted (to print or keep): {copy_url(receipt, base)}\n"
        )
    else:
        body += "\nSign in to the hub to see the return and a copy as submitted.\n"
    return body + mail.signature()


def deliver(receipt: Receipt, base_url: str | None = None) -> Receipt:
    """Email the receipt to the service's users; record to whom, or why not (the
    action stands either way: the receipt is also on screen)."""
    from django.core.mail import EmailMessage

    ret = receipt.ret
    base = base_url or getattr(settings, "HUB_URL", "")
    users = mail.service_users(ret.service)
    subject = (
        f"Receipt {receipt.reference}: {ret.service.name}'s return "
        f"{WHAT[receipt.action]}"
    )
    body = receipt_body(receipt, base)
    messages = [EmailMessage(subject, body, to=[u.email]) for u in users]
    try:
        mail.send_messages(messages)
        receipt.emailed_to = [u.email for u in users]
    except mail.MailNotSent as exc:
        receipt.mail_error = str(exc)
    receipt.save(update_fields=["emailed_to", "mail_error"])
    return receipt


def screen_message(receipt: Receipt) -> str:
    """The line shown on screen after the action: reference, and where the email
    went (or why it did not)."""
    text = f"Reference {receipt.reference}."
    if receipt.emailed_to:
        text += f" A receipt was emailed to {', '.join(receipt.emailed_to)}."
    elif receipt.mail_error:
        text += f" No receipt was emailed: {receipt.mail_error}."
    else:
        text += " No receipt was emailed: the service has no user with an email."
    return text + " The copy as submitted is under Receipts on the return's page."


def last_reopen(ret: Return) -> AuditEntry | None:
    """The reopening that made this draft, if it is one (what to tell the service)."""
    if ret.status != Return.DRAFT:
        return None
    last = (
        ret.audit.filter(action__in=("submit", "accept", "reopen"))
        .order_by("-at", "-id")
        .first()
    )
    return last if last is not None and last.action == "reopen" else None


# --- the printable copy ------------------------------------------------------------


@dataclass
class CopyRow:
    label: str
    unit: str
    answer: str
    comment: str


def _answer_text(spec: Any, raw: Any) -> str:
    """An answer as printed: numbers grouped through lacompare.formatting, £ for
    money, Yes/No for a flag; one that does not parse, as given."""
    value, problem = parse_field_value(spec, raw)
    if problem or value is None:
        return "" if raw is None else str(raw)
    if spec.type == "flag":
        return "Yes" if value else "No"
    if spec.type in ("money", "integer", "number"):
        decimals = 0
        text = str(raw)
        if spec.type == "number" and "." in text:
            decimals = min(2, len(text.rsplit(".", 1)[1].strip()))
        printed = format_number(value, spec.unit or None, decimals)
        return f"£{printed}" if spec.type == "money" else printed
    return str(value)


def copy_rows(ret: Return, receipt: Receipt) -> list[CopyRow]:
    """Each question of the round with the answer and comment as submitted."""
    definition = ret.round.read_definition()
    return [
        CopyRow(
            spec.label,
            spec.unit,
            _answer_text(spec, receipt.values.get(spec.name)),
            str(receipt.comments.get(spec.name, "") or ""),
        )
        for spec in definition.fields
    ]


def submit_receipt(ret: Return, version: int) -> Receipt | None:
    """The submit receipt of ``version`` of ``ret`` (its copy), if there is one."""
    return (
        ret.receipts.filter(action=Receipt.SUBMIT, version=version)
        .order_by("-at", "-id")
        .first()
    )


def pdf_problem() -> str | None:
    """Why a PDF cannot be made here (no ``pdf`` extra), or ``None``."""
    from lacompare.errors import LacompareError
    from lacompare.report import require_weasyprint

    try:
        require_weasyprint()
    except LacompareError as exc:
        return str(exc)
    return None


def copy_pdf(html: str) -> bytes:
    """The printable copy as PDF bytes, by lacompare's PDF path (the ``pdf``
    extra); the page is self-contained, so nothing is fetched."""
    from lacompare.report import pdf_bytes

    return pdf_bytes(html)
