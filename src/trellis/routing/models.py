"""Models of the routing app: queues, assignment rules, queue items and decisions.

Records are named generically by (`entity`, `object_id`) — `entity` is the record's
`access_entity` ("lead", "case") — so routing never imports the apps whose records it
routes (see `trellis.routing.entities`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    LEAD = "lead", _("Lead")
    CASE = "case", _("Case")
    # Marketing tasks: activities of kind task regarding a campaign (see entities.py).
    ACTIVITY = "activity", _("Marketing task")


class Strategy(models.TextChoices):
    FIXED = "fixed", _("Fixed owner")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    SKILL_MATCH = "skill_match", _("Skill match")
    QUEUE = "queue", _("Queue")


class Queue(models.Model):
    """A list of work waiting for someone to pull it. Queued records are owned by the
    queue's owner `team`, so its members can see them; "take next" gives one to a member."""

    name = models.CharField(_("name"), max_length=120)
    entity = models.CharField(_("entity"), max_length=20, choices=Entity.choices)
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="queues"
    )
    description = models.TextField(_("description"), blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "name"], name="routing_queue_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentRule(models.Model):
    """One step of an entity's ordered rule set (lowest `position` first).

    `conditions` is a list of {"field", "op", "value"} that must all hold (an empty list
    matches everything: a default rule). The target is a user (`fixed`), an owner team
    (`round_robin`, `least_loaded`, `skill_match`; `fixed` to the team itself) or a queue
    (`queue`). A team rule may name an overflow `target_queue` for work nobody in the team
    can take now. `skills` is [{"skill": name, "min_level": 1-5}] for `skill_match`.
    `last_user` is the round-robin state (updated under a row lock)."""

    entity = models.CharField(_("entity"), max_length=20, choices=Entity.choices)
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("target user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_team = models.ForeignKey(
        "org.Team",
        verbose_name=_("target team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_queue = models.ForeignKey(
        Queue,
        verbose_name=_("target queue"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rules",
    )
    skills = models.JSONField(_("required skills"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True, default="")
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["entity", "position", "id"]
        indexes = [models.Index(fields=["entity", "enabled", "position"], name="routing_rule_idx")]

    def __str__(self) -> str:
        return self.name


class QueueItem(models.Model):
    """A record waiting in a queue. `queue_key` orders the queue (highest priority, then
    oldest); once taken, `taken_by`/`taken_at` say by whom and the row stays as history."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="items")
    entity = models.CharField(max_length=20, choices=Entity.choices)
    object_id = models.BigIntegerField()
    label = models.CharField(max_length=200, blank=True, default="")
    priority = models.CharField(max_length=10, blank=True, default="")
    queue_key = models.BigIntegerField(default=0)
    enqueued_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("queue item")
        verbose_name_plural = _("queue items")
        ordering = ["queue_key", "id"]
        constraints = [
            # A record waits in at most one queue at a time.
            models.UniqueConstraint(
                fields=["entity", "object_id"],
                condition=Q(taken_at__isnull=True),
                name="routing_queueitem_one_waiting",
            )
        ]
        indexes = [
            models.Index(
                fields=["queue", "queue_key", "id"],
                condition=Q(taken_at__isnull=True),
                name="routing_queueitem_next_idx",
            ),
            models.Index(fields=["entity", "object_id"], name="routing_queueitem_record_idx"),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.entity} {self.object_id}"


class DecisionKind(models.TextChoices):
    ROUTED = "routed", _("Routed by rules")
    MANUAL = "manual", _("Assigned by hand")
    BULK = "bulk", _("Bulk assignment")
    TAKEN = "taken", _("Taken from a queue")


class AssignmentDecision(models.Model):
    """Why a record went where it went: the rule, every candidate with its score, the
    choice and who (None: the system) decided when. Append-only."""

    entity = models.CharField(max_length=20, choices=Entity.choices)
    object_id = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=DecisionKind.choices)
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    rule_name = models.CharField(max_length=120, blank=True, default="")
    strategy = models.CharField(max_length=20, blank=True, default="")
    candidates = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    chosen_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("assignment decision")
        verbose_name_plural = _("assignment decisions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["entity", "object_id", "-created_at"], name="routing_decision_record_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_id}: {self.kind}"
