"""The coordinator's chasing page: every service of a round with its status
(filter and sort), the return rate per region, the reminder log, a CSV of the
list, and the button that emails a reminder to the services of one status.

Reviewers only (404 for anyone else, as for every network page).
"""

from __future__ import annotations

import pandas as pd
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lacompare.cells import write_csv_safe
from lacompare.errors import InputError
from lacompare.hub.returns import chasing, mail, workflow
from lacompare.hub.returns.models import Reminder, Round


def _reviewer_round(request: HttpRequest, slug: str) -> Round:
    from django.http import Http404

    if not workflow.is_reviewer(request.user):
        raise Http404("no such round")
    return get_object_or_404(Round, slug=slug)


def _chosen(request: HttpRequest) -> tuple[str, str]:
    """The status filter and sort asked for; an unknown one is refused (400)."""
    status = request.GET.get("status", "").strip()
    sort = request.GET.get("sort", "service").strip() or "service"
    if status:
        chasing.check_status(status)
    chasing.sort_rows([], sort)
    return status, sort


@require_GET
def chase(request: HttpRequest, slug: str) -> HttpResponse:
    round_ = _reviewer_round(request, slug)
    try:
        status, sort = _chosen(request)
    except InputError as exc:
        messages.error(request, str(exc))
        return redirect("chase", slug=slug)
    every = chasing.chase_rows(round_)
    rows = chasing.sort_rows(chasing.filter_rows(every, status), sort)
    counts = {s: len(chasing.filter_rows(every, s)) for s in chasing.STATUSES}
    return render(
        request,
        "hub/chase.html",
        {
            "round": round_,
            "rows": rows,
            "every": len(every),
            "status": status,
            "sort": sort,
            "statuses": [(s, t, counts[s]) for s, t in chasing.STATUSES.items()],
            "remind_statuses": [
                (s, chasing.STATUSES[s], counts[s]) for s in chasing.REMIND_STATUSES
            ],
            "remind_default": status if status in chasing.REMIND_STATUSES else "",
            "sorts": _sort_links(status, sort),
            "rates": chasing.region_rates(every),
            "log": Reminder.objects.filter(round=round_).select_related("service")[
                :200
            ],
            "mail_problem": mail.mail_problem(),
        },
    )


def _sort_links(status: str, sort: str) -> dict[str, str]:
    """Each sortable column's query string: ascending, or descending when the
    page is already sorted by it ascending."""
    out = {}
    for column in chasing.SORTS:
        order = f"-{column}" if sort == column else column
        out[column] = f"?status={status}&sort={order}" if status else f"?sort={order}"
    return out


@require_GET
def chase_csv(request: HttpRequest, slug: str) -> HttpResponse:
    round_ = _reviewer_round(request, slug)
    try:
        status, sort = _chosen(request)
    except InputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    rows = chasing.sort_rows(
        chasing.filter_rows(chasing.chase_rows(round_), status), sort
    )
    frame = pd.DataFrame(
        chasing.chase_table(rows, round_.time_zone), columns=CSV_COLUMNS
    )
    response = HttpResponse(
        write_csv_safe(frame, lineterminator="\n"), content_type="text/csv"
    )
    name = f"{round_.slug}-{status or 'all'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


CSV_COLUMNS = [
    "service_code",
    "service",
    "region",
    "status",
    "late",
    "users",
    "errors",
    "last_change",
    "submitted",
    "reminders",
    "last_reminded",
    "last_reminded_by",
    "last_reminder_to",
]


@require_POST
def remind(request: HttpRequest, slug: str) -> HttpResponse:
    round_ = _reviewer_round(request, slug)
    status = request.POST.get("status", "").strip() or "outstanding"
    try:
        result = chasing.send_reminders(
            round_, status, user=request.user, base_url=mail.hub_url(request)
        )
        (messages.warning if result.no_one else messages.success)(
            request, result.summary()
        )
    except InputError as exc:  # MailNotSent too: one line, never a 500
        messages.error(request, f"No reminders were sent: {exc}")
    if status not in chasing.STATUSES:
        return redirect("chase", slug=slug)
    return redirect(reverse("chase", args=[slug]) + f"?status={status}")
