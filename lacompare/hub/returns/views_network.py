"""The pages a published return's service and the network see: the benchmark
profile (page and CSV), the round's progress dashboard and its dates (chasing
and reminders are in :mod:`.views_chasing`).

Each looks a return up with ``return_for`` and a round through the reviewer
check, 404 for anyone who may not see it.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lacompare.cells import CsvSafeWriter
from lacompare.errors import InputError
from lacompare.hub.returns import workflow
from lacompare.hub.returns.forms import parse_form_day
from lacompare.hub.returns.models import Return, Round

# --- a service's benchmark profile ----------------------------------------------


def _profile_or_404(request: HttpRequest, pk: int) -> tuple[Return, list[Any]]:
    from lacompare.hub.returns.publishing import read_profile

    ret = workflow.return_for(request.user, pk)
    if ret.published_values is None:
        raise Http404("not published yet")
    return ret, read_profile(ret)


@require_GET
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    ret, rows = _profile_or_404(request, pk)
    from lacompare.hub.returns.publishing import profile_key, read_casework_profile

    return render(
        request,
        "hub/profile.html",
        {
            "ret": ret,
            "rows": rows,
            "missing_key": profile_key(),
            "casework": read_casework_profile(ret),
        },
    )


@require_GET
def profile_csv(request: HttpRequest, pk: int) -> HttpResponse:
    ret, rows = _profile_or_404(request, pk)
    buffer = io.StringIO()
    # Labels and units come from the round definition, the region from the
    # service: all text that a spreadsheet must not run.
    writer = CsvSafeWriter(buffer)
    writer.writerow(
        [
            "measure",
            "label",
            "unit",
            "value",
            "region",
            "region_median",
            "region_n",
            "england_median",
            "england_n",
            "rank_in_england",
            "rank_order",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.measure,
                r.label,
                r.unit,
                _num(r.value),
                ret.service.region,
                _num(r.region_median),
                r.region_n,
                _num(r.england_median),
                r.england_n,
                "" if r.rank is None else r.rank,
                "" if r.rank is None else r.rank_order,
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="{ret.round.slug}-{ret.service.code}-profile.csv"'
    )
    return response


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


# --- the network's pages -----------------------------------------------------------


def _reviewer_round(request: HttpRequest, slug: str) -> Round:
    if not workflow.is_reviewer(request.user):
        raise Http404("no such round")
    return get_object_or_404(Round, slug=slug)


@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    round_ = _reviewer_round(request, slug)
    returns = list(round_.returns.select_related("service").order_by("service__name"))
    counts = {
        "services": len(returns),
        "submitted": sum(r.status != Return.DRAFT for r in returns),
        "accepted": sum(r.status == Return.ACCEPTED for r in returns),
        "late": sum(r.late for r in returns),
        "extended": round_.extensions.count(),
        "not_started": sum(not r.started for r in returns),
        "with_problems": sum(bool(r.errors or r.warnings) for r in returns),
    }
    return render(
        request,
        "hub/dashboard.html",
        {"round": round_, "returns": returns, "counts": counts, "now": timezone.now()},
    )


def round_dates(request: HttpRequest, slug: str) -> HttpResponse:
    """The coordinator's page for a round's opening and closing days (whole days
    in the round's time zone) and its extensions."""
    round_ = _reviewer_round(request, slug)
    from lacompare.hub import dates

    if request.method == "POST":
        try:
            opens = request.POST.get("opens", "").strip()
            closes = request.POST.get("closes", "").strip()
            round_ = workflow.set_round_dates(
                round_,
                opens=parse_form_day(opens, "Opens", round_.time_zone)
                if opens
                else None,
                closes=parse_form_day(closes, "Closes", round_.time_zone)
                if closes
                else None,
            )
            messages.success(request, "Saved the round's dates.")
            return redirect("round-dates", slug=slug)
        except InputError as exc:
            messages.error(request, str(exc))
            status = 400
    elif request.method == "GET":
        status = 200
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    tz = round_.time_zone
    return render(
        request,
        "hub/round_dates.html",
        {
            "round": round_,
            "opens": dates.day_of(round_.opens_at, tz),
            "closes": dates.day_of(round_.closes_at, tz),
            "extensions": round_.extensions.select_related("service").order_by(
                "service__name"
            ),
        },
        status=status,
    )
