"""Service levels: SLA policies for cases, speed-to-lead policies for leads, the business
calendars they may count in, and the breaches the worker found (`SlaEvent`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trellis.sales.models import LeadSource
from trellis.service.models import CaseType, Priority


class ReassignTo(models.TextChoices):
    NONE = "none", _("Nobody (keep the owner)")
    TEAM_LEADER = "team_leader", _("The owner's team leader")
    MANAGER = "manager", _("The owner's manager")


class NotifyWhom(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    TEAM_LEADER = "team_leader", _("Team leader")


class BreachEntity(models.TextChoices):
    CASE = "case", _("Case")
    LEAD = "lead", _("Lead")


class BreachKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    SPEED_TO_LEAD = "speed_to_lead", _("Speed to lead")


class BusinessCalendar(models.Model):
    """When the organization works: weekdays (0 = Monday) from `start_time` to `end_time`
    in `time_zone`, except the dates in `holidays` (ISO "YYYY-MM-DD" strings). A working
    day never runs past midnight; round-the-clock targets do not use business hours."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    weekdays = models.JSONField(_("working weekdays"), default=list)
    start_time = models.TimeField(_("start of the working day"))
    end_time = models.TimeField(_("end of the working day"))
    holidays = models.JSONField(_("holidays"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EscalationFields(models.Model):
    """What happens on a breach; shared by both kinds of policy."""

    reassign_to = models.CharField(
        _("reassign to"), max_length=20, choices=ReassignTo.choices, default=ReassignTo.NONE
    )
    # A list of NotifyWhom values; empty notifies nobody.
    notify = models.JSONField(_("notify"), default=list, blank=True)
    business_hours = models.BooleanField(_("count business hours only"), default=False)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class SlaPolicy(EscalationFields):
    """First-response and resolution targets for cases of one priority (and, when
    `case_type` is set, one type; a typed policy wins over the general one)."""

    name = models.CharField(_("name"), max_length=120)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    case_type = models.CharField(
        _("case type"), max_length=20, choices=CaseType.choices, blank=True, default=""
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), null=True, blank=True
    )
    raise_priority = models.BooleanField(_("raise the priority one step"), default=False)

    class Meta:
        ordering = ["priority", "case_type", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "case_type"],
                condition=Q(is_active=True),
                name="sla_one_active_policy_per_priority_type",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SpeedToLeadPolicy(EscalationFields):
    """A new lead must be contacted within `hours` of its creation (only leads from
    `source` when it is set; a sourced policy wins over the general one)."""

    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(
        _("lead source"), max_length=20, choices=LeadSource.choices, blank=True, default=""
    )
    hours = models.PositiveIntegerField(_("first contact within (hours)"))

    class Meta:
        ordering = ["source", "name"]
        verbose_name = _("speed-to-lead policy")
        verbose_name_plural = _("speed-to-lead policies")
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(is_active=True),
                name="sla_one_active_speed_to_lead_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SlaEvent(models.Model):
    """One breach of one target on one record. The unique key is what keeps several
    workers from escalating the same breach twice."""

    entity = models.CharField(max_length=10, choices=BreachEntity.choices)
    record_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=BreachKind.choices)
    policy_name = models.CharField(max_length=120, blank=True, default="")
    due_at = models.DateTimeField()
    breached_at = models.DateTimeField(default=timezone.now)
    # What the escalation did: {"reassigned_to": user id | None, "priority": [old, new],
    # "notified": [user ids], "skipped": [reasons]}.
    actions = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["-breached_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "record_id", "kind"], name="sla_event_once_per_record_kind"
            )
        ]
        indexes = [models.Index(fields=["entity", "-breached_at"], name="sla_event_breached_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.record_id} {self.kind}"
