"""The hub's pages for a return: the form, autosave, submit, upload, its template,
history, and the network's reopen, extend and accept. Each looks a return up with
``return_for`` (404 for anyone who may not see it) and changes it only through
:mod:`lacompare.hub.returns.workflow`.

The login pages are in :mod:`~lacompare.hub.returns.views_login`, the profile and
the network's round pages in :mod:`~lacompare.hub.returns.views_network`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lacompare.errors import InputError
from lacompare.hub.returns import mail, receipts, workflow
from lacompare.hub.returns.forms import (
    ReturnForm,
    initial_answers,
    parse_form_day,
    posted_answers,
)
from lacompare.hub.returns.models import Return, Round
from lacompare.hub.returns.views_fields import error_summary, field_groups
from lacompare.hub.returns_file import (
    locate_issues,
    read_return_upload,
    write_return_template,
)

# --- pages -----------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    reviewer = workflow.is_reviewer(request.user)
    context = {
        "reviewer": reviewer,
        "service": workflow.service_of(request.user),
        "returns": workflow.visible_returns(request.user).order_by(
            "-round__opens_at", "service__name"
        )[:50]
        if not reviewer
        else [],
        "rounds": Round.objects.all() if reviewer else [],
    }
    return render(request, "hub/home.html", context)


def return_page(request: HttpRequest, pk: int) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    definition = ret.round.read_definition()
    editable = workflow.can_edit(request.user, ret)
    if request.method == "POST":
        form = ReturnForm(definition, request.POST, ret=ret)
        if not editable:
            messages.error(request, workflow._locked_reason(ret))
            return redirect("return", pk=pk)
        if form.is_valid():
            values, comments = form.split()
            result = workflow.save_return(
                request.user,
                pk,
                values,
                comments,
                reason=form.cleaned_data.get("reason", ""),
                shown=form.cleaned_data.get("shown"),
            )
            ret, issues = result.ret, result.issues
            form = ReturnForm(
                definition, data=posted_answers(definition, request.POST), ret=ret
            )
            form.is_valid()
            form.show_issues(issues)
            messages.success(
                request,
                f"Saved (version {ret.version})."
                + (
                    f" {ret.errors} problem(s) to fix before submitting."
                    if ret.errors
                    else ""
                ),
            )
            status = 200
        else:
            issues, status = [], 400
    elif request.method == "GET":
        form = ReturnForm(definition, initial=initial_answers(ret), ret=ret)
        issues = workflow._check(ret, for_submit=False)
        if ret.values:
            bound = ReturnForm(definition, data=initial_answers(ret), ret=ret)
            bound.is_valid()
            bound.show_issues(issues)
            form = bound
        status = 200
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "hub/return.html",
        {
            "ret": ret,
            "form": form,
            "groups": field_groups(form, issues),
            "error_summary": error_summary(form),
            "editable": editable,
            "reviewer": workflow.is_reviewer(request.user),
            "max_upload": settings.HUB_MAX_UPLOAD_BYTES,
            "reopened": receipts.last_reopen(ret),
            "receipts": ret.receipts.order_by("-at", "-id"),
        },
        status=status,
    )


@require_POST
def autosave(request: HttpRequest, pk: int) -> JsonResponse:
    ret = workflow.return_for(request.user, pk)
    form = ReturnForm(ret.round.read_definition(), request.POST)
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    values, comments = form.split()
    try:
        result = workflow.save_return(
            request.user,
            pk,
            values,
            comments,
            action="autosave",
            shown=form.cleaned_data.get("shown"),
        )
    except workflow.ReturnLocked as exc:
        return JsonResponse({"saved": False, "error": str(exc)}, status=409)
    return JsonResponse(
        {
            "saved": True,
            "version": result.ret.version,
            "changed": result.changed,
            "at": timezone.localtime(result.ret.updated_at).strftime("%H:%M:%S"),
            "issues": [
                {"field": i.column, "message": i.message, "severity": i.severity}
                for i in result.issues
            ],
        }
    )


@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ret, issues = workflow.submit_return(
            request.user, pk, base_url=mail.hub_url(request)
        )
    except workflow.ReturnLocked as exc:
        messages.error(request, str(exc))
        return redirect("return", pk=pk)
    if ret.status == Return.SUBMITTED:
        messages.success(
            request,
            "Submitted: the return is locked. Ask the network "
            "if you need to change it.",
        )
        messages.info(request, receipts.screen_message(ret.receipt))
    else:
        for issue in issues.errors():
            messages.error(request, issue.message)
        messages.error(request, "Not submitted: fix the problems above first.")
    return redirect("return", pk=pk)


@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    if not workflow.can_edit(request.user, ret):
        messages.error(request, workflow._locked_reason(ret))
        return redirect("return", pk=pk)
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, "Choose a file to upload.")
        return redirect("return", pk=pk)
    name = file.name or "upload"
    limit = settings.HUB_MAX_UPLOAD_BYTES
    try:
        if file.size > limit:
            raise InputError(
                f"the file is {file.size:,} bytes; the limit is {limit:,}", file=name
            )
        definition = ret.round.read_definition()
        got = read_return_upload(
            definition, file.read(limit + 1), name, max_bytes=limit
        )
        if got.round_slug and got.round_slug != ret.round.slug:
            raise InputError(
                f"this file is for round {got.round_slug!r}, not {ret.round.slug!r}",
                file=name,
                sheet=got.sheet,
                row=1,
            )
        if got.service_code != ret.service.code:
            raise InputError(
                f"this file is for service {got.service_code!r}, not "
                f"{ret.service.code!r}",
                file=name,
                sheet=got.sheet,
                row=2,
            )
    except InputError as exc:
        messages.error(request, f"Nothing was saved: {exc}")
        return redirect("return", pk=pk)
    result = workflow.save_return(
        request.user,
        pk,
        got.values,
        got.comments,
        reason=f"uploaded {name}",
        action="upload",
    )
    messages.success(
        request,
        f"Uploaded {name}: {len(result.changed)} change(s) "
        f"saved (version {result.ret.version}).",
    )
    for issue in locate_issues(result.issues, got, name):
        (messages.error if issue.severity == "error" else messages.warning)(
            request, str(issue)
        )
    return redirect("return", pk=pk)


@require_GET
def template(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    if fmt not in ("xlsx", "csv"):
        raise Http404("no such format")
    data = write_return_template(
        ret.round.read_definition(),
        ret.service.code,
        ret.service.name,
        fmt=fmt,
        values=ret.values,
        comments=ret.comments,
    )
    kind = (
        "text/csv"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = (
        f'attachment; filename="{ret.round.slug}-{ret.service.code}.{fmt}"'
    )
    return response


@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    return render(
        request,
        "hub/history.html",
        {"ret": ret, "entries": ret.audit.order_by("-at", "-id")},
    )


@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    try:
        until_text = request.POST.get("until", "").strip()
        until = (
            parse_form_day(until_text, "Open until", ret.round.time_zone)
            if until_text
            else None
        )
        ret = workflow.reopen_return(
            request.user,
            pk,
            request.POST.get("reason", ""),
            until=until,
            base_url=mail.hub_url(request),
        )
        when = timezone.localtime(ret.closes_at, dates_zone(ret))
        messages.success(
            request,
            f"Reopened: {ret.service.name} can change its return until "
            f"{when:%d %B %Y %H:%M}.",
        )
        messages.info(request, receipts.screen_message(ret.receipt))
    except (InputError, workflow.ReturnLocked) as exc:
        messages.error(request, str(exc))
    return redirect("return", pk=pk)


def dates_zone(ret_or_round: Any) -> Any:
    """The time zone a return's or round's dates are shown in."""
    from lacompare.hub import dates

    round_ = getattr(ret_or_round, "round", ret_or_round)
    return dates.zone(round_.time_zone)


@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    if not workflow.is_reviewer(request.user):
        raise Http404("no such return")
    try:
        day = parse_form_day(
            request.POST.get("until", ""), "Extend until", ret.round.time_zone
        )
        workflow.grant_extension(
            request.user, ret.round, ret.service, day, request.POST.get("reason", "")
        )
        messages.success(
            request,
            f"Extended: {ret.service.name} can change its return until "
            f"{day:%d %B %Y} 23:59:59.",
        )
    except InputError as exc:
        messages.error(request, str(exc))
    return redirect("return", pk=pk)


@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    workflow.return_for(request.user, pk)
    try:
        ret = workflow.accept_return(
            request.user,
            pk,
            request.POST.get("reason", ""),
            base_url=mail.hub_url(request),
        )
        messages.success(
            request,
            "Accepted: it will be in the published report.",
        )
        messages.info(request, receipts.screen_message(ret.receipt))
    except workflow.ReturnLocked as exc:
        messages.error(request, str(exc))
    return redirect("return", pk=pk)
