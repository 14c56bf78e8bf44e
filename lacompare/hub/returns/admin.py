"""The network's admin: services, users' services, rounds; returns and the audit trail
are read-only here (changes go through the hub's pages, which record them)."""

from django.contrib import admin

from lacompare.hub.returns.models import (
    AuditEntry,
    Membership,
    Publication,
    Return,
    Round,
    Service,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "region")
    search_fields = ("name", "code")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "service")
    autocomplete_fields = ("service",)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "opens_at", "closes_at", "published_at")
    readonly_fields = ("definition", "published_at")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # noqa: ARG002
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ARG002
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ARG002
        return False


@admin.register(Return)
class ReturnAdmin(ReadOnly):
    list_display = (
        "service",
        "round",
        "status",
        "version",
        "errors",
        "warnings",
        "updated_at",
    )
    list_filter = ("round", "status")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ("at", "username", "action", "field", "old", "new", "reason")
    list_filter = ("action",)


@admin.register(Publication)
class PublicationAdmin(ReadOnly):
    list_display = ("round", "at", "store", "source_id", "returns")
