"""Seeding a round: its services (matched to the authority registry), last year's
figures, the round and an empty return for each service, and the hub's users.

The ``lacompare hub create-round`` and ``add-user`` commands and the tests call
these (through :mod:`lacompare.hub.returns.workflow`, which re-exports them).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

from django.db import transaction

from lacompare.errors import InputError
from lacompare.hub import dates
from lacompare.hub.definition import (
    normalise_field_value,
    read_round_definition,
    validate_return,
)
from lacompare.hub.returns.models import (
    AuditEntry,
    Membership,
    Return,
    Round,
    Service,
)

__all__ = [
    "read_services",
    "create_round",
    "read_demo_previous",
    "read_last_round",
    "prefill_answers",
    "read_previous",
    "add_user",
    "find_service",
    "make_reviewer",
]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def _service_column(reader: csv.DictReader[str], path: Path) -> str:
    """The column that names the service: ``service``, else ``local_authority``."""
    for column in ("service", "local_authority"):
        if column in (reader.fieldnames or []):
            return column
    raise InputError(
        "needs a 'service' or 'local_authority' column", file=str(path), row=1
    )


def read_services(
    path: str | Path, *, as_of: str | None = None
) -> list[dict[str, Any]]:
    """Services from a CSV with a ``local_authority`` (or ``service``) column.

    Each name is matched to the registry as of ``as_of``; a service covering two
    authorities ('Cornwall (& Isle of Scilly)') gets both codes, the lead first.
    """
    from lacompare.geography import resolve_authority

    path = Path(path)
    out = []
    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        column = _service_column(reader, path)
        for i, row in enumerate(reader, start=2):
            name = (row.get(column) or "").strip()
            if not name:
                continue
            match = resolve_authority(name, as_of=as_of)
            if match is None or not getattr(match, "la_code", None):
                raise InputError(
                    f"no authority matches {name!r}",
                    file=str(path),
                    row=i,
                    column=column,
                )
            codes, names = [match.la_code], [match.la_name]
            note = getattr(match, "note", "") or ""
            if note.startswith("also covers "):
                other = resolve_authority(
                    note.removeprefix("also covers "), as_of=as_of
                )
                if other is not None and other.la_code:
                    codes.append(other.la_code)
                    names.append(other.la_name)
            code = row.get("code") or _slug(match.la_name)
            if code in seen:
                raise InputError(
                    f"service {code!r} appears twice",
                    file=str(path),
                    row=i,
                    column=column,
                )
            seen.add(code)
            out.append(
                {
                    "code": code,
                    "name": name,
                    "region": match.region or "",
                    "la_codes": codes,
                    "la_names": names,
                    "row": row,
                }
            )
    return out


def create_round(
    definition_path: str | Path | None,
    *,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    services: list[dict[str, Any]],
    previous: dict[str, dict[str, Any]] | None = None,
    time_zone: str = dates.DEFAULT_TIME_ZONE,
    previous_source: str = "the network's figures",
) -> Round:
    """Create a round (from its definition file) and a return per service.

    ``previous`` maps a service code to its figures the year before (the network's
    CSV, said as ``previous_source``); a service's accepted return in the last round
    (:func:`read_last_round`) overrides them figure by figure. Each return keeps
    them with where each came from, and starts with its earlier years' figures
    pre-filled from them (:func:`prefill_answers`; the history says so), still "not
    started". ``time_zone`` is the zone whose whole days the round's dates are (see
    :mod:`lacompare.hub.dates` for turning days into ``opens_at``/``closes_at``).
    """
    dates.zone(time_zone)
    definition = read_round_definition(definition_path)
    if closes_at <= opens_at:
        raise InputError("the round must close after it opens")
    previous = previous or {}
    with transaction.atomic():
        if Round.objects.filter(slug=definition.slug).exists():
            raise InputError(f"round {definition.slug!r} already exists")
        last, last_source = read_last_round(definition)
        round_ = Round.objects.create(
            slug=definition.slug,
            title=definition.title,
            period=definition.period,
            definition=definition.raw,
            opens_at=opens_at,
            closes_at=closes_at,
            time_zone=time_zone,
        )
        for s in services:
            service, _ = Service.objects.update_or_create(
                code=s["code"],
                defaults={
                    "name": s["name"],
                    "region": s["region"],
                    "la_codes": s["la_codes"],
                    "la_names": s["la_names"],
                },
            )
            prev = dict(previous.get(s["code"], {}))
            sources = dict.fromkeys(prev, previous_source)
            mine = last.get(s["code"], {})
            prev.update(mine)
            sources.update(dict.fromkeys(mine, last_source))
            values = prefill_answers(definition, prev)
            ret = Return.objects.create(
                round=round_,
                service=service,
                previous=prev,
                previous_sources=sources,
                values=values,
            )
            AuditEntry.objects.bulk_create(
                AuditEntry(
                    ret=ret,
                    username="system",
                    action="prefill",
                    field=name,
                    new=text,
                    reason=f"last year's return, from {sources[last_name]}",
                    version=0,
                )
                for name, text, last_name in (
                    (n, t, definition.field(n).last_year or n)
                    for n, t in values.items()
                )
            )
    return round_


def read_last_round(definition: Any) -> tuple[dict[str, dict[str, Any]], str]:
    """Each service's figures in its accepted return of the round before
    ``definition``'s (the latest round of an earlier period), by service code and
    under this round's field names; and where they came from, as the form says it.

    Only accepted returns count (a draft may be wrong); a figure of that round's
    form that this round does not ask is left out.
    """
    last = (
        Round.objects.filter(period__lt=definition.period)
        .order_by("-period", "-opens_at")
        .first()
    )
    if last is None:
        return {}, ""
    names = set(definition.names)
    old = last.read_definition()
    out: dict[str, dict[str, Any]] = {}
    for ret in last.returns.filter(status=Return.ACCEPTED).select_related("service"):
        values, _ = validate_return(old, ret.values, for_submit=False)
        out[ret.service.code] = {
            k: v for k, v in values.items() if k in names and v is not None
        }
    return out, f"your accepted return for {last.title}"


def prefill_answers(definition: Any, previous: dict[str, Any]) -> dict[str, str]:
    """The answers a new return starts with: each earlier year's figure (a field
    with ``last_year``) as the service gave it last year, in the form's terms.

    Examples
    --------
    >>> d = read_round_definition()
    >>> prefill_answers(d, {"casework_total": 1020.0, "funding_total": 5.0})
    {'casework_total_2019_20': '1020'}
    """
    out = {}
    for spec in definition.fields:
        value = previous.get(spec.last_year) if spec.last_year else None
        if value is not None:
            out[spec.name] = normalise_field_value(spec, value)[0]
    return out


def read_demo_previous(services: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Last year's figures for the SENDIAS round, from the demo's 2021 rows.

    The IASSN 2021 report gives 2020 funding per head and population per FTE; with
    the population they give 2020's total funding and FTE staff (the figures the
    year-on-year rules compare against).
    """
    from lacompare.cells import parse_cell

    out: dict[str, dict[str, Any]] = {}
    for s in services:
        row = s["row"]
        pop = parse_cell(row.get("pop_0_25")).value
        per_head = parse_cell(row.get("per_head_2020")).value
        per_fte = parse_cell(row.get("pop_per_fte_2020")).value
        prev: dict[str, Any] = {}
        if pop:
            prev["population_0_25"] = pop
            if per_head is not None:
                prev["funding_total"] = round(per_head * pop)
            if per_fte:
                prev["fte_staff"] = round(pop / per_fte, 2)
        out[s["code"]] = prev
    return out


def read_previous(
    path: str | Path, definition: Any, services: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Last year's figures from a CSV: a ``service`` (or ``local_authority``) column
    naming the service as in the services list, and columns named as the fields."""
    from lacompare.hub.definition import parse_field_value

    path = Path(path)
    by_name = {s["name"].lower(): s["code"] for s in services}
    by_name.update({s["code"]: s["code"] for s in services})
    out: dict[str, dict[str, Any]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        column = _service_column(reader, path)
        for i, row in enumerate(reader, start=2):
            code = by_name.get((row.get(column) or "").strip().lower())
            if code is None:
                raise InputError(
                    f"{row.get(column)!r} is not a service of the round",
                    file=str(path),
                    row=i,
                    column=column,
                )
            prev: dict[str, Any] = {}
            for name in definition.names:
                if name in row:
                    value, problem = parse_field_value(
                        definition.field(name), row[name]
                    )
                    if problem:
                        raise InputError(problem, file=str(path), row=i, column=name)
                    if value is not None:
                        prev[name] = value
            out[code] = prev
    return out


def add_user(
    username: str,
    password: str,
    *,
    email: str = "",
    service_code: str | None = None,
    reviewer: bool = False,
) -> Any:
    """Create a submitter tied to a service, or a network reviewer.

    The password is checked against Django's validators and stored hashed (Argon2).
    """
    from django.contrib.auth import get_user_model, password_validation

    User = get_user_model()  # noqa: N806
    if User.objects.filter(username=username).exists():
        raise InputError(f"user {username!r} already exists")
    service = None
    if service_code:
        service = Service.objects.filter(code=service_code).first()
        if service is None:
            raise InputError(f"no service {service_code!r}")
    user = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user)
    except Exception as exc:  # ValidationError: one line with every reason
        raise InputError(
            "password: " + " ".join(getattr(exc, "messages", [str(exc)]))
        ) from None
    with transaction.atomic():
        user.set_password(password)
        user.save()
        if service is not None:
            Membership.objects.create(user=user, service=service)
        if reviewer:
            make_reviewer(user)
    return user


def find_service(code: str) -> Service:
    """The service with ``code``; an error lists the codes (and matches a name in
    any case: 'Leeds' finds leeds)."""
    service = (
        Service.objects.filter(code=code).first()
        or Service.objects.filter(code__iexact=code).first()
        or Service.objects.filter(name__iexact=code).first()
    )
    if service is None:
        codes = list(Service.objects.order_by("code").values_list("code", flat=True))
        shown = ", ".join(codes[:30]) + (
            f", … ({len(codes)} in all)" if len(codes) > 30 else ""
        )
        raise InputError(f"no service {code!r} (codes: {shown or 'none yet'})")
    return service


def make_reviewer(user: Any) -> None:
    """Put ``user`` in the network reviewers' group (may see every return)."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name="network reviewers")
    group.permissions.add(
        Permission.objects.get(
            codename="review_returns", content_type__app_label="returns"
        )
    )
    user.groups.add(group)
