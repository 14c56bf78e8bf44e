"""The hub's URLs. Every URL that names a return takes its id and looks the return
up through :func:`lacompare.hub.returns.workflow.return_for` (the access check)."""

from django.contrib import admin
from django.urls import path

from lacompare.hub.returns import (
    views,
    views_accounts,
    views_chasing,
    views_login,
    views_network,
    views_receipts,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views_login.HubLoginView.as_view(), name="login"),
    path("logout/", views_login.logout_view, name="logout"),
    path("hub.js", views_login.hub_js, name="hub-js"),
    path("whoami", views_login.whoami, name="whoami"),
    path(
        "password-reset/",
        views_accounts.HubPasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password-reset/sent",
        views_accounts.HubPasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views_accounts.HubPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done",
        views_accounts.HubPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "invite/<uidb64>/<token>/",
        views_accounts.InviteSetPasswordView.as_view(),
        name="invite",
    ),
    path("returns/<int:pk>/", views.return_page, name="return"),
    path("returns/<int:pk>/autosave", views.autosave, name="autosave"),
    path("returns/<int:pk>/submit", views.submit, name="submit"),
    path("returns/<int:pk>/upload", views.upload, name="upload"),
    path("returns/<int:pk>/template.<str:fmt>", views.template, name="template"),
    path("returns/<int:pk>/history", views.history, name="history"),
    path("returns/<int:pk>/reopen", views.reopen, name="reopen"),
    path("returns/<int:pk>/accept", views.accept, name="accept"),
    path("returns/<int:pk>/extend", views.extend, name="extend"),
    path("returns/<int:pk>/copy/<int:version>", views_receipts.copy, name="copy"),
    path(
        "returns/<int:pk>/copy/<int:version>.pdf",
        views_receipts.copy_pdf,
        name="copy-pdf",
    ),
    path("returns/<int:pk>/profile", views_network.profile, name="profile"),
    path("returns/<int:pk>/profile.csv", views_network.profile_csv, name="profile-csv"),
    path("rounds/<slug:slug>/", views_network.dashboard, name="dashboard"),
    path("rounds/<slug:slug>/chase", views_chasing.chase, name="chase"),
    path("rounds/<slug:slug>/chase.csv", views_chasing.chase_csv, name="chase-csv"),
    path("rounds/<slug:slug>/remind", views_chasing.remind, name="remind"),
    path("rounds/<slug:slug>/dates", views_network.round_dates, name="round-dates"),
    path("admin/", admin.site.urls),
]
