"""The hub's tables: services and their users, rounds, returns and the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Service(models.Model):
    """A member service (e.g. one SENDIAS service), tied to one or more authorities."""

    code = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=80, blank=True)
    #: ONS codes of the authorities it serves, the lead authority first.
    la_codes = models.JSONField(default=list)
    la_names = models.JSONField(default=list)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """Ties a login to the one service whose returns it may see and edit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="members"
    )

    def __str__(self) -> str:
        return f"{self.user} → {self.service}"


class Round(models.Model):
    """A collection round: its form (the definition TOML, parsed) and dates."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    period = models.CharField(max_length=20)
    definition = models.JSONField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    #: The zone whose whole days the dates are (00:00 opening, 23:59:59 closing).
    time_zone = models.CharField(max_length=64, default="Europe/London")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at"]
        permissions = [("review_returns", "Can see, reopen and accept every return")]

    def __str__(self) -> str:
        return self.title

    def read_definition(self) -> Any:
        from lacompare.hub.definition import read_round_definition

        cached = getattr(self, "_definition", None)
        if cached is None:
            cached = read_round_definition(data=self.definition)
            self._definition = cached
        return cached

    @property
    def is_open(self) -> bool:
        return self.opens_at <= timezone.now() <= self.closes_at


class Return(models.Model):
    """One service's return for one round: what it typed, as typed, and its state."""

    DRAFT, SUBMITTED, ACCEPTED = "draft", "submitted", "accepted"
    STATUSES = [(DRAFT, "Draft"), (SUBMITTED, "Submitted"), (ACCEPTED, "Accepted")]

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="returns")
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="returns"
    )
    status = models.CharField(max_length=12, choices=STATUSES, default=DRAFT)
    #: Bumped by every change; the published figures record which version they are.
    version = models.PositiveIntegerField(default=0)
    #: Field name -> the text the service gave (kept as given; parsed on checking).
    values = models.JSONField(default=dict, blank=True)
    comments = models.JSONField(default=dict, blank=True)
    #: The service's figures the year before (parsed numbers), for change rules.
    previous = models.JSONField(default=dict, blank=True)
    #: Field name -> where last year's figure came from (the last round's accepted
    #: return, or the network's CSV), shown beside it on the form.
    previous_sources = models.JSONField(default=dict, blank=True)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    published_values = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "service"], name="one_return_per_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} — {self.round}"

    @property
    def locked(self) -> bool:
        return self.status != self.DRAFT

    @property
    def started(self) -> bool:
        return self.version > 0

    @property
    def extension(self) -> Extension | None:
        """The service's extension for this round, if the network gave one."""
        cached = getattr(self, "_extension", False)
        if cached is False:
            cached = Extension.objects.filter(
                round_id=self.round_id, service_id=self.service_id
            ).first()
            self._extension = cached
        return cached

    @property
    def closes_at(self) -> Any:
        """When this service's return closes: the round's date, or its extension's
        if that is later."""
        ext = self.extension
        if ext is not None and ext.closes_at > self.round.closes_at:
            return ext.closes_at
        return self.round.closes_at

    @property
    def open_for_edits(self) -> bool:
        """Between the round's opening and this service's closing moment."""
        return self.round.opens_at <= timezone.now() <= self.closes_at

    @property
    def overdue(self) -> bool:
        """A draft past its service's closing moment."""
        return self.status == self.DRAFT and timezone.now() > self.closes_at

    @property
    def submitted_late(self) -> bool:
        """Submitted after the round's closing date (with an extension or not):
        what the publication calls late."""
        return (
            self.status != self.DRAFT
            and self.submitted_at is not None
            and self.submitted_at > self.round.closes_at
        )

    @property
    def late(self) -> bool:
        """Past the round's closing date: a draft still open, or submitted after."""
        if self.status == self.DRAFT:
            return timezone.now() > self.round.closes_at
        return self.submitted_late


class Extension(models.Model):
    """A later closing date for one service in one round: who gave it and why.

    Given by a reviewer (page, ``lacompare hub extend``), or by reopening a return
    after the round's closing date. One per service and round; giving another
    replaces it (each is kept in the return's history).
    """

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="extensions"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="extensions"
    )
    closes_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL
    )
    #: The user name as it was, kept if the account is deleted.
    granted_by_name = models.CharField(max_length=150)
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "service"], name="one_extension_per_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} — {self.round} until {self.closes_at:%Y-%m-%d}"


class AuditEntry(models.Model):
    """One change to a return: who, when, what (old → new) and why."""

    ret = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="audit")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL
    )
    #: The user name as it was, kept if the account is deleted.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=20)
    field = models.CharField(max_length=120, blank=True)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    version = models.PositiveIntegerField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.field}"


class LoginFailure(models.Model):
    """A failed login (or one being checked), counted per user name and address and
    per address to slow guessing (:mod:`lacompare.hub.returns.login_limits`)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # Every count is of one address's recent failures.
        indexes = [models.Index(fields=["address", "at"], name="loginfailure_addr_at")]


class Publication(models.Model):
    """A round published into a lacompare store: which load holds which versions."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="publications"
    )
    at = models.DateTimeField(default=timezone.now)
    store = models.CharField(max_length=500)
    file = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    source_id = models.IntegerField()
    returns = models.PositiveIntegerField()
    #: Return id -> version published.
    versions = models.JSONField(default=dict)


class Reminder(models.Model):
    """One reminder to one service: when, who sent it, to whom, for which status.

    A service with no one to email is recorded too (``sent_to`` empty, ``outcome``
    ``no one to remind``), so the coordinator sees it was not reached.
    """

    SENT, NO_ONE = "sent", "no one to remind"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reminders")
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="reminders"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL
    )
    #: The sender's user name as it was ("command line" from ``hub remind``).
    sent_by_name = models.CharField(max_length=150)
    #: Login names and addresses reached, e.g. "leeds-ias <ias@leeds.example>".
    sent_to = models.JSONField(default=list)
    #: The status chosen (e.g. ``not-started``) and the service's at the time.
    chosen = models.CharField(max_length=20)
    status = models.CharField(max_length=30)
    outcome = models.CharField(max_length=20, default=SENT)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.service} {self.outcome}"


class Receipt(models.Model):
    """A receipt for submitting, accepting or reopening a return: its reference,
    the copy of the return as submitted, and to whom it was emailed."""

    SUBMIT, ACCEPT, REOPEN = "submit", "accept", "reopen"

    ret = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="receipts")
    action = models.CharField(max_length=10)
    #: ROUND-SERVICE-N: N is the version submitted (accept and reopen quote it).
    reference = models.CharField(max_length=200, db_index=True)
    #: The version as submitted; the copy below is that version's answers.
    version = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    username = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    values = models.JSONField(default=dict)
    comments = models.JSONField(default=dict)
    emailed_to = models.JSONField(default=list)
    #: Why the email was not sent ("" when it was, or there was no one to send to).
    mail_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.action}"
