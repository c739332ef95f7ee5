"""In-app notifications: assignment, escalation, reminders, scheduled reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ASSIGNMENT = "assignment", _("Assignment")
    ESCALATION = "escalation", _("Escalation")
    REMINDER = "reminder", _("Reminder")
    REPORT = "report", _("Report")
    OTHER = "other", _("Other")


class Notification(models.Model):
    """One message to one person. `entity`/`object_id` name the record it is about (if
    any) so the bell can link to it; reading it still goes through the access rules."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, default="")
    url = models.CharField(_("link"), max_length=300, blank=True, default="")
    entity = models.CharField(max_length=40, blank=True, default="")
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderSent(models.Model):
    """The reminder of an activity that has been sent, one row per activity.

    The unique activity is what makes the reminder job safe under several workers: the
    worker that writes (or moves) this row sends the reminder, the others skip it. When
    the activity's `reminder_at` moves, the row moves with the next reminder sent."""

    activity = models.OneToOneField(
        "activities.Activity", on_delete=models.CASCADE, related_name="+"
    )
    reminder_at = models.DateTimeField()
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reminder for activity {self.activity_id} at {self.reminder_at}"
