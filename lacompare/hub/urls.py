"""The hub's URLs. Every URL that names a return takes its id and looks the return
up through :func:`lacompare.hub.returns.workflow.return_for` (the access check)."""

from django.contrib import admin
from django.urls import path

from lacompare.hub.returns import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.HubLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("hub.js", views.hub_js, name="hub-js"),
    path("whoami", views.whoami, name="whoami"),
    path("returns/<int:pk>/", views.return_page, name="return"),
    path("returns/<int:pk>/autosave", views.autosave, name="autosave"),
    path("returns/<int:pk>/submit", views.submit, name="submit"),
    path("returns/<int:pk>/upload", views.upload, name="upload"),
    path("returns/<int:pk>/template.<str:fmt>", views.template, name="template"),
    path("returns/<int:pk>/history", views.history, name="history"),
    path("returns/<int:pk>/reopen", views.reopen, name="reopen"),
    path("returns/<int:pk>/accept", views.accept, name="accept"),
    path("returns/<int:pk>/extend", views.extend, name="extend"),
    path("returns/<int:pk>/profile", views.profile, name="profile"),
    path("returns/<int:pk>/profile.csv", views.profile_csv, name="profile-csv"),
    path("rounds/<slug:slug>/", views.dashboard, name="dashboard"),
    path("rounds/<slug:slug>/remind", views.remind, name="remind"),
    path("rounds/<slug:slug>/dates", views.round_dates, name="round-dates"),
    path("admin/", admin.site.urls),
]
