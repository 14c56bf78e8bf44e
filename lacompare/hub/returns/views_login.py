"""The hub's login (with failed-login ceilings), logout, its script and the
benchmark's reference page."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from lacompare.hub.returns import login_limits
from lacompare.hub.returns.login_limits import client_address


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
