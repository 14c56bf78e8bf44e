"""The hub's pages. Each looks a return up with ``return_for`` (404 for anyone who may
not see it) and changes it only through :mod:`lacompare.hub.returns.workflow`."""

from __future__ import annotations

import io
import json
from importlib.resources import files
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lacompare.cells import CsvSafeWriter
from lacompare.errors import InputError
from lacompare.hub.returns import login_limits, workflow
from lacompare.hub.returns.login_limits import client_address
from lacompare.hub.returns.models import Return, Round
from lacompare.hub.returns_file import (
    locate_issues,
    read_return_upload,
    write_return_template,
)

# --- login ---------------------------------------------------------------------


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Django's login form, with the failed-login ceilings of
    :mod:`lacompare.hub.returns.login_limits` (per account and address, and per
    address), which hold however many attempts arrive at once."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": "Too many failed logins for this account from your address. "
        "Try again in %(wait)s.",
        "address_limited": "Too many failed logins from your address. "
        "Try again in %(wait)s.",
    }

    #: Seconds to wait when the attempt was refused (for the Retry-After header).
    retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip().lower()
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a field is missing: no password was tried
        address = client_address(self.request.META if self.request else {})
        outcome = login_limits.reserve_attempt(username, address)
        if isinstance(outcome, login_limits.Refused):
            self.retry_after = outcome.wait_seconds
            code = "rate_limited" if outcome.scope == "account" else "address_limited"
            raise ValidationError(
                self.error_messages[code],
                code=code,
                params={"wait": login_limits.wait_text(outcome.wait_seconds)},
            )
        # A wrong password (or an inactive account) raises here and leaves the
        # reserved attempt counted as a failure.
        cleaned = super().clean()
        login_limits.release_attempt(outcome)
        return cleaned


class HubLoginView(LoginView):
    template_name = "hub/login.html"
    authentication_form = RateLimitedAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        wait = getattr(form, "retry_after", None)
        if wait is not None:
            # 429 with Retry-After: scripts are told to slow down in HTTP's words.
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@require_GET
def hub_js(request: HttpRequest) -> HttpResponse:
    text = (
        files("lacompare.hub.returns").joinpath("static", "hub.js").read_text("utf-8")
    )
    response = HttpResponse(text, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "max-age=300"
    return response


@require_GET
def whoami(request: HttpRequest) -> HttpResponse:
    """A trivial page (the user's name): the benchmark's reference request."""
    return HttpResponse(request.user.get_username(), content_type="text/plain")


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


class ReturnForm(forms.Form):
    """The round's fields as text boxes (kept as typed), a comment for each, a reason.

    Messages come from :func:`lacompare.hub.definition.validate_return`, the same
    function that checks an upload.
    """

    def __init__(self, definition: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        given = self.data if self.is_bound else self.initial
        for f in definition.fields:
            label = f"{f.label} ({f.unit})" if f.unit else f.label
            if f.type in ("choice", "flag"):
                options = (
                    [(c, c) for c in f.choices]
                    if f.type == "choice"
                    else [("yes", "Yes"), ("no", "No")]
                )
                current = str(given.get(f.name) or "")
                if current and current not in dict(options):
                    # An answer that matches no choice (saved before answers were
                    # normalised, or refused by it) is shown as it is, so the page
                    # never displays "—" for it and a full-form save keeps it.
                    options.append((current, f"{current} (not one of the choices)"))
                widget: forms.Widget = forms.Select(choices=[("", "—"), *options])
            else:
                widget = forms.TextInput(
                    attrs={"inputmode": "decimal"} if f.numeric else {}
                )
            self.fields[f.name] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                widget=widget,
                help_text=f.help,
            )
            self.fields[f"comment__{f.name}"] = forms.CharField(
                label="Comment",
                required=False,
                max_length=2000,
                widget=forms.TextInput(attrs={"class": "comment"}),
            )
        self.fields["reason"] = forms.CharField(
            label="Reason for the change (kept in the history)",
            required=False,
            max_length=2000,
        )
        #: The answers as this page showed them (JSON): the server leaves alone
        #: every field still showing them (see ``workflow.save_return``).
        self.fields["shown"] = forms.CharField(
            required=False, widget=forms.HiddenInput(attrs={"id": "shown"})
        )

    def clean_shown(self) -> dict[str, str] | None:
        text = self.cleaned_data.get("shown") or ""
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            raise ValidationError("the page's copy of the answers is damaged") from None
        if not isinstance(data, dict):
            raise ValidationError("the page's copy of the answers is damaged")
        return {str(k): "" if v is None else str(v) for k, v in data.items()}

    def split(self) -> tuple[dict[str, str], dict[str, str]]:
        data = self.cleaned_data
        names = self.definition.names
        return (
            {n: data.get(n, "") for n in names if n in self.data},
            {
                n: data.get(f"comment__{n}", "")
                for n in names
                if f"comment__{n}" in self.data
            },
        )

    def show_issues(self, issues: Any) -> None:
        for issue in issues:
            name = issue.column if issue.column in self.fields else None
            if issue.severity == "error":
                self.add_error(name, issue.message)


def _shown(values: dict[str, Any], comments: dict[str, Any]) -> str:
    """The answers a page shows, as the JSON its ``shown`` field carries."""
    data = {k: str(v) for k, v in values.items()}
    data.update({f"comment:{k}": str(v) for k, v in comments.items()})
    return json.dumps(data, sort_keys=True)


def _initial(ret: Return) -> dict[str, str]:
    # Answers in the form's terms, so a select shows 'yes' for a stored 'Yes'.
    values = workflow.normalised_answers(ret.round.read_definition(), ret.values)
    data: dict[str, str] = dict(values)
    data.update({f"comment__{k}": v for k, v in ret.comments.items()})
    data["shown"] = _shown(values, ret.comments)
    return data


def _posted_page(definition: Any, post: Any) -> dict[str, str]:
    """What a page re-shown after a POST holds: the posted answers, and those as the
    new ``shown`` (they are what the user now sees)."""
    data = {k: post.get(k, "") for k in post}
    values = {n: data[n] for n in definition.names if n in data}
    comments = {
        n: data[f"comment__{n}"] for n in definition.names if f"comment__{n}" in data
    }
    data["shown"] = _shown(values, comments)
    return data


def _rows(form: ReturnForm, issues: Any) -> list[dict[str, Any]]:
    warnings: dict[str, list[str]] = {}
    for issue in issues:
        if issue.severity != "error":
            warnings.setdefault(issue.column or "", []).append(issue.message)
    return [
        {
            "field": form[f.name],
            "comment": form[f"comment__{f.name}"],
            "warnings": warnings.get(f.name, []),
        }
        for f in form.definition.fields
    ]


def return_page(request: HttpRequest, pk: int) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    definition = ret.round.read_definition()
    editable = workflow.can_edit(request.user, ret)
    if request.method == "POST":
        form = ReturnForm(definition, request.POST)
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
            form = ReturnForm(definition, data=_posted_page(definition, request.POST))
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
        form = ReturnForm(definition, initial=_initial(ret))
        issues = workflow._check(ret, for_submit=False)
        if ret.values:
            bound = ReturnForm(definition, data=_initial(ret))
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
            "rows": _rows(form, issues),
            "editable": editable,
            "reviewer": workflow.is_reviewer(request.user),
            "max_upload": settings.HUB_MAX_UPLOAD_BYTES,
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
        ret, issues = workflow.submit_return(request.user, pk)
    except workflow.ReturnLocked as exc:
        messages.error(request, str(exc))
        return redirect("return", pk=pk)
    if ret.status == Return.SUBMITTED:
        messages.success(
            request,
            "Submitted: the return is locked. Ask the network "
            "if you need to change it.",
        )
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


def _day(text: str, what: str, tz: str) -> Any:
    """A day from a form's date box (YYYY-MM-DD; ``today``/``+N`` also work)."""
    import datetime as dt

    from lacompare.hub import dates

    today = dt.datetime.now(dates.zone(tz)).date()
    return dates.parse_day(text, what, today=today)


@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    ret = workflow.return_for(request.user, pk)
    try:
        until_text = request.POST.get("until", "").strip()
        until = (
            _day(until_text, "Open until", ret.round.time_zone) if until_text else None
        )
        ret = workflow.reopen_return(
            request.user, pk, request.POST.get("reason", ""), until=until
        )
        when = timezone.localtime(ret.closes_at, dates_zone(ret))
        messages.success(
            request,
            f"Reopened: {ret.service.name} can change its return until "
            f"{when:%d %B %Y %H:%M}.",
        )
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
        day = _day(request.POST.get("until", ""), "Extend until", ret.round.time_zone)
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
        workflow.accept_return(request.user, pk, request.POST.get("reason", ""))
        messages.success(request, "Accepted: it will be in the published report.")
    except workflow.ReturnLocked as exc:
        messages.error(request, str(exc))
    return redirect("return", pk=pk)


def _profile_or_404(request: HttpRequest, pk: int) -> tuple[Return, list[Any]]:
    from lacompare.hub.returns.publishing import read_profile

    ret = workflow.return_for(request.user, pk)
    if ret.published_values is None:
        raise Http404("not published yet")
    return ret, read_profile(ret)


@require_GET
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    ret, rows = _profile_or_404(request, pk)
    return render(request, "hub/profile.html", {"ret": ret, "rows": rows})


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
                opens=_day(opens, "Opens", round_.time_zone) if opens else None,
                closes=_day(closes, "Closes", round_.time_zone) if closes else None,
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


@require_POST
def remind(request: HttpRequest, slug: str) -> HttpResponse:
    round_ = _reviewer_round(request, slug)
    sent = workflow.send_reminders(round_, user=request.user)
    messages.success(request, f"Sent {len(sent)} reminder(s).")
    return redirect("dashboard", slug=slug)
