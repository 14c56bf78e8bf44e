"""Middleware: every page but the login page needs a login; security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

#: Pages an anonymous visitor may open: the login page and the script it loads,
#: and asking for a password reset.
PUBLIC_URL_NAMES = (
    "login",
    "hub-js",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
)
#: Paths below which a one-time link (invitation, reset) sets a password.
PUBLIC_PREFIXES = ("/reset/", "/invite/")

#: No inline script or style, nothing from elsewhere, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class LoginRequiredMiddleware:
    """Send anonymous visitors to the login page, whatever URL they try."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.public = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.public is None:
            self.public = {reverse(n) for n in PUBLIC_URL_NAMES}
        if (
            not request.user.is_authenticated
            and request.path not in self.public
            and not request.path.startswith(PUBLIC_PREFIXES)
        ):
            return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers Django 5.2 does not set itself: CSP, permissions, no caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Returns are confidential until published: never kept by shared caches.
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
