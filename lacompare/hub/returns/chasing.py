"""Chasing returns: every service of a round with its status, filtered and sorted,
the return rate per region, a CSV of it, and reminders to the services of one
status, each logged per service (who sent it, when, to whom).

A service with no one to email is never skipped silently: it is listed as "no one
to remind" in the result, on the page and in the log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone

from lacompare.errors import InputError
from lacompare.formatting import format_value
from lacompare.hub import dates
from lacompare.hub.returns import mail
from lacompare.hub.returns.models import AuditEntry, Reminder, Return, Round

#: The statuses a coordinator filters by (a service can be in more than one:
#: ``late`` and ``no-user`` go with a return's own state).
STATUSES = {
    "no-user": "no user",
    "not-started": "not started",
    "draft": "draft",
    "late": "late",
    "submitted": "submitted",
    "accepted": "accepted",
    "outstanding": "not submitted",
}
#: The statuses reminders may go to (a submitted return needs no reminder).
REMIND_STATUSES = ("outstanding", "not-started", "draft", "late")
SORTS = ("service", "region", "status", "updated", "reminded")


@dataclass
class ChaseRow:
    """One service's line on the chasing page."""

    ret: Return
    users: list[Any]
    last_reminder: Reminder | None = None
    reminders: int = 0

    @property
    def state(self) -> str:
        """``not-started``, ``draft``, ``submitted`` or ``accepted``."""
        if self.ret.status != Return.DRAFT:
            return self.ret.status
        return "draft" if self.ret.started else "not-started"

    @property
    def statuses(self) -> set[str]:
        out = {self.state}
        if not self.users:
            out.add("no-user")
        if self.ret.late:
            out.add("late")
        if self.ret.status == Return.DRAFT:
            out.add("outstanding")
        return out

    @property
    def status_text(self) -> str:
        text = STATUSES[self.state].capitalize()
        return text + (" (late)" if self.ret.late else "")

    @property
    def logins(self) -> str:
        return ", ".join(u.username for u in self.users)


def check_status(status: str, allowed: tuple[str, ...] | None = None) -> str:
    """``status`` if it is one of ``allowed`` (default: every status), else an
    :class:`InputError` listing them."""
    allowed = allowed or tuple(STATUSES)
    if status not in allowed:
        raise InputError(f"no status {status!r} (choose from {', '.join(allowed)})")
    return status


def chase_rows(round_: Round) -> list[ChaseRow]:
    """Every service of ``round_``, with its users and its last reminder."""
    returns = list(
        round_.returns.select_related("service", "round").order_by("service__name")
    )
    users: dict[int, list[Any]] = {r.service_id: [] for r in returns}
    from lacompare.hub.returns.models import Membership

    for m in Membership.objects.filter(service__returns__round=round_).select_related(
        "user"
    ):
        if m.user.is_active and m.user.email and m.service_id in users:
            users[m.service_id].append(m.user)
    rows = {
        r.service_id: ChaseRow(r, sorted(users[r.service_id], key=_login))
        for r in returns
    }
    for reminder in Reminder.objects.filter(round=round_).order_by("at", "id"):
        row = rows.get(reminder.service_id)
        if row is not None:
            row.last_reminder = reminder
            row.reminders += 1
    return list(rows.values())


def _login(user: Any) -> str:
    return user.username


def filter_rows(rows: list[ChaseRow], status: str = "") -> list[ChaseRow]:
    """The rows in ``status`` (every row when it is empty)."""
    if not status:
        return rows
    check_status(status)
    return [r for r in rows if status in r.statuses]


def sort_rows(rows: list[ChaseRow], sort: str = "service") -> list[ChaseRow]:
    """Rows sorted by a column of :data:`SORTS`; ``-column`` sorts descending."""
    key_name = sort.lstrip("-") or "service"
    if key_name not in SORTS:
        raise InputError(f"no sort {sort!r} (choose from {', '.join(SORTS)})")
    order = list(STATUSES)
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    keys = {
        "service": lambda r: r.ret.service.name.lower(),
        "region": lambda r: (r.ret.service.region, r.ret.service.name.lower()),
        "status": lambda r: (order.index(r.state), not r.ret.late, r.ret.service.name),
        "updated": lambda r: r.ret.updated_at if r.ret.started else never,
        "reminded": lambda r: r.last_reminder.at if r.last_reminder else never,
    }
    return sorted(rows, key=keys[key_name], reverse=sort.startswith("-"))


@dataclass
class RegionRate:
    """How many of a region's services have returned (submitted or accepted)."""

    region: str
    returned: int
    services: int

    @property
    def text(self) -> str:
        """``x of N (p%)``, the percentage through lacompare.formatting."""
        share = self.returned / self.services if self.services else None
        pct = format_value(share, "proportion", 0) if share is not None else "–"
        return f"{self.returned} of {self.services} ({pct})"


def region_rates(rows: list[ChaseRow]) -> list[RegionRate]:
    """The return rate of each region, by name, then England's (every service)."""
    by_region: dict[str, RegionRate] = {}
    for r in rows:
        region = r.ret.service.region or "(no region)"
        rate = by_region.setdefault(region, RegionRate(region, 0, 0))
        rate.services += 1
        rate.returned += r.ret.status != Return.DRAFT
    out = [by_region[k] for k in sorted(by_region)]
    out.append(
        RegionRate(
            "All services",
            sum(x.returned for x in out),
            sum(x.services for x in out),
        )
    )
    return out


def chase_table(rows: list[ChaseRow], tz: str) -> list[dict[str, Any]]:
    """The rows as the CSV export's records (text a spreadsheet must not run is
    neutralised by :func:`lacompare.cells.write_csv_safe` when written)."""
    zone = dates.zone(tz)

    def when(moment: Any) -> str:
        return "" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"

    out = []
    for r in rows:
        last = r.last_reminder
        out.append(
            {
                "service_code": r.ret.service.code,
                "service": r.ret.service.name,
                "region": r.ret.service.region,
                "status": STATUSES[r.state],
                "late": "yes" if r.ret.late else "no",
                "users": r.logins,
                "errors": r.ret.errors,
                "last_change": when(r.ret.updated_at) if r.ret.started else "",
                "submitted": when(r.ret.submitted_at),
                "reminders": r.reminders,
                "last_reminded": when(last.at) if last else "",
                "last_reminded_by": last.sent_by_name if last else "",
                "last_reminder_to": "; ".join(last.sent_to) if last else "",
            }
        )
    return out


# --- reminders -------------------------------------------------------------------


@dataclass
class ReminderResult:
    """What a round of reminders did: who was emailed and who had no one."""

    status: str
    sent: list[tuple[str, list[str]]] = field(default_factory=list)
    no_one: list[str] = field(default_factory=list)

    @property
    def addresses(self) -> list[str]:
        return [a for _, to in self.sent for a in to]

    def summary(self) -> str:
        """One line: how many services were emailed and which had no one."""
        text = (
            f"Sent {len(self.addresses)} reminder(s) to {len(self.sent)} "
            f"{STATUSES[self.status]} service(s)"
        )
        if self.no_one:
            names = ", ".join(self.no_one[:10]) + (
                " …" if len(self.no_one) > 10 else ""
            )
            text += f"; {len(self.no_one)} with no one to remind (no user): {names}"
        return text + "."


def reminder_body(ret: Return, user: Any, base: str) -> str:
    """The reminder's text for one user: the state, the closing date, the link to
    the return, their login name and the network's contact."""
    round_ = ret.round
    closes = ret.closes_at.astimezone(dates.zone(round_.time_zone))
    state = "not yet started" if not ret.started else "saved but not submitted"
    link = base + reverse("return", args=[ret.pk])
    body = (
        f"Dear colleague,\n\nYour service's return for {round_.title} "
        f"({ret.service.name}) is {state}. "
    )
    if timezone.now() > closes:
        body += (
            f"It closed on {closes:%d %B %Y}: ask the network for an extension "
            "to send a late return.\n"
        )
    else:
        body += (
            f"The round closes on {closes:%d %B %Y at %H:%M}; after that, ask the "
            "network for an extension.\n"
        )
    if ret.errors:
        body += f"\nIt has {ret.errors} problem(s) to fix before it can be submitted.\n"
    body += (
        f"\nFill it in here: {link}\nSign in with your login name: {user.username}\n"
        f"Forgotten your password? {base + reverse('password_reset')}\n"
    )
    return body + mail.signature()


def send_reminders(
    round_: Round,
    status: str = "outstanding",
    *,
    user: Any = None,
    base_url: str | None = None,
) -> ReminderResult:
    """Email a reminder to each user of each service in ``status`` and log it.

    Parameters
    ----------
    round_, status
        The round and one of :data:`REMIND_STATUSES`.
    user
        Who sends them (``None``: the command line).
    base_url
        The hub's address for the link (default :func:`mail.hub_url`).

    Returns
    -------
    ReminderResult
        The services emailed (and the addresses), and those with no one to remind
        (logged as such too). Raises :class:`mail.MailNotSent` (one line) if mail
        cannot be sent; then nothing is logged as sent.
    """
    check_status(status, REMIND_STATUSES)
    base = base_url or mail.hub_url()
    rows = filter_rows(chase_rows(round_), status)
    result = ReminderResult(status)
    messages, logs = [], []
    for row in rows:
        ret = row.ret
        if not row.users:
            result.no_one.append(ret.service.name)
            logs.append(_log(round_, row, user, status, [], Reminder.NO_ONE))
            continue
        to = [f"{u.username} <{u.email}>" for u in row.users]
        for u in row.users:
            messages.append(_message(ret, u, base))
        result.sent.append((ret.service.name, [u.email for u in row.users]))
        logs.append(_log(round_, row, user, status, to, Reminder.SENT))
    mail.send_messages(messages)
    Reminder.objects.bulk_create(logs)
    AuditEntry.objects.bulk_create(
        [_audit_reminder(row.ret, user, status) for row in rows if row.users]
    )
    return result


def _message(ret: Return, user: Any, base: str) -> Any:
    from django.core.mail import EmailMessage

    return EmailMessage(
        f"Reminder: {ret.round.title} — {ret.service.name}",
        reminder_body(ret, user, base),
        to=[user.email],
    )


def _log(
    round_: Round, row: ChaseRow, user: Any, chosen: str, to: list[str], outcome: str
) -> Reminder:
    return Reminder(
        round=round_,
        service=row.ret.service,
        sent_by=user if getattr(user, "pk", None) else None,
        sent_by_name=getattr(user, "username", "") or "command line",
        sent_to=to,
        chosen=chosen,
        status=row.status_text,
        outcome=outcome,
    )


def _audit_reminder(ret: Return, user: Any, status: str) -> AuditEntry:
    return AuditEntry(
        ret=ret,
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "command line",
        action="remind",
        reason=f"reminder to {STATUSES[status]} services",
        version=ret.version,
    )
