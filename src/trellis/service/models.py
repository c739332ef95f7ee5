"""Service: cases (and, with the routing issue, queues and SLA policies)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trellis.access.models import SecurableModel


class CaseType(models.TextChoices):
    QUESTION = "question", _("Question")
    PROBLEM = "problem", _("Problem")
    COMPLAINT = "complaint", _("Complaint")
    FEEDBACK = "feedback", _("Feedback")
    REQUEST = "request", _("Request")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    CHAT = "chat", _("Chat")
    VISIT = "visit", _("Visit")


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Statuses in which a case still needs work (the queue, workload and SLA timers count these).
OPEN_STATUSES: tuple[str, ...] = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)
DONE_STATUSES: tuple[str, ...] = (Status.RESOLVED, Status.CLOSED)
# Case types that report on a product (the product manager's figures and their rollup).
FEEDBACK_TYPES: tuple[CaseType, ...] = (CaseType.COMPLAINT, CaseType.FEEDBACK, CaseType.PROBLEM)

# Where each status may go next. Resolving and closing have their own actions (they carry
# a resolution or a satisfaction score); going from resolved/closed back to in_progress is
# "reopen" and needs a reason.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED),
    Status.IN_PROGRESS: (Status.WAITING, Status.RESOLVED),
    Status.WAITING: (Status.IN_PROGRESS, Status.RESOLVED),
    Status.RESOLVED: (Status.CLOSED, Status.IN_PROGRESS),
    Status.CLOSED: (Status.IN_PROGRESS,),
}

# Lower ranks come first in the queue.
PRIORITY_RANK: dict[str, int] = {
    Priority.URGENT: 0,
    Priority.HIGH: 1,
    Priority.NORMAL: 2,
    Priority.LOW: 3,
}
# Microseconds since the epoch stay below this until the year 5138, so rank * SPAN plus the
# age never mixes ranks and the largest key (3 * 10**17 + ...) fits a signed 64-bit column.
_QUEUE_SPAN = 10**17
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def queue_key_for(priority: str, created_at: dt.datetime) -> int:
    """One sortable integer for "highest priority first, then oldest first"."""
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at)
    age = (created_at - _EPOCH) // dt.timedelta(microseconds=1)
    return PRIORITY_RANK.get(priority, PRIORITY_RANK[Priority.NORMAL]) * _QUEUE_SPAN + max(age, 0)


class Case(SecurableModel):
    """A customer's question, problem, complaint, feedback or request, worked to resolution.

    `number` ("CS-000123") is given by `case_create` from the id, inside the creating
    transaction; imports may bring their own numbers. `product_name` is free text and
    `product_id` a plain integer for now: the product catalog (sales app) is built at the
    same time, and the column becomes a foreign key to it in a later migration.
    `queue_key` is kept by `save()` so one indexed column orders the queue (urgent first,
    then oldest); `first_response_due_at` and `resolve_due_at` are filled by SLA policies
    (routing issue).
    """

    access_entity = "case"
    hierarchy_visibility = True

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    type = models.CharField(
        _("type"), max_length=20, choices=CaseType.choices, default=CaseType.QUESTION
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    product_name = models.CharField(_("product"), max_length=200, blank=True, default="")
    # Not a foreign key yet (see the class docstring).
    product_id = models.BigIntegerField(_("product id"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True, default="")
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    queue_key = models.BigIntegerField(default=0, editable=False)
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, default="", db_index=True
    )

    class Meta(SecurableModel.Meta):
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-modified_at", "-id"]
        constraints = [
            *SecurableModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5, status__in=DONE_STATUSES),
                name="service_case_satisfaction_1_to_5_when_done",
            ),
        ]
        indexes = [
            *SecurableModel.Meta.indexes,
            models.Index(fields=["status", "queue_key"], name="case_status_queue_idx"),
            models.Index(fields=["account", "status"], name="case_account_status_idx"),
            models.Index(fields=["contact"], name="case_contact_idx"),
            models.Index(fields=["-created_at", "-id"], name="case_created_idx"),
            # Dashboards count what was resolved in a period (trellis.analytics.totals).
            models.Index(fields=["resolved_at"], name="case_resolved_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}" if self.number else self.subject

    def save(self, *args, **kwargs) -> None:
        self.queue_key = queue_key_for(self.priority, self.created_at)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "queue_key" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "queue_key"]
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())


class CaseStatusChange(models.Model):
    """One move of a case from one status to another (the first row is its creation, from
    ""). `note` carries the resolution or the reason for reopening."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("case")
    )
    from_status = models.CharField(
        _("from status"), max_length=20, choices=Status.choices, blank=True, default=""
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["case", "changed_at"], name="case_status_change_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"
