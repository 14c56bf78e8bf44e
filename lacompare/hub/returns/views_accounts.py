"""Setting a password from an invitation, and resetting a forgotten one: Django's
auth views with the hub's templates. Open without a login (the middleware lets
them through); links carry Django's one-time tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse_lazy

from lacompare.hub.returns import mail
from lacompare.hub.returns.accounts import invitation_tokens


class InviteSetPasswordView(auth_views.PasswordResetConfirmView):
    """The invitation's link: choose a password, then sign in."""

    template_name = "hub/invite_set_password.html"
    token_generator = invitation_tokens
    success_url = reverse_lazy("login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request,
            f"Your password is set. Sign in as {form.user.get_username()}.",
        )
        return response


class HubPasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email; says so in one line if the hub cannot mail."""

    template_name = "hub/password_reset.html"
    email_template_name = "hub/email/password_reset.txt"
    subject_template_name = "hub/email/password_reset_subject.txt"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["mail_problem"] = mail.mail_problem()
        context["contact"] = mail.contact()
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        problem = mail.mail_problem()
        if problem:
            messages.error(
                self.request,
                f"No reset link can be sent: {problem}. Ask the network to reset "
                f"your password ({mail.contact()}).",
            )
            return self.render_to_response(self.get_context_data(form=form))
        self.extra_email_context = {
            "hub_url": mail.hub_url(self.request),
            "contact": mail.contact(),
        }
        return super().form_valid(form)


class HubPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "hub/password_reset_done.html"


class HubPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "hub/password_reset_confirm.html"


class HubPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "hub/password_reset_complete.html"
