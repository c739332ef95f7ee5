"""Activities (tasks, calls, meetings, e-mails), their attendees, and notes on records."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trellis.access.models import SecurableModel


class ActivityKind(models.TextChoices):
    TASK = "task", _("Task")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")


# Calls and meetings happen at a time (start_at..end_at); tasks and e-mails are due by one.
TIMED_KINDS = (ActivityKind.CALL, ActivityKind.MEETING)


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ActivityPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class AttendeeResponse(models.TextChoices):
    NONE = "none", _("No answer yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Activity(SecurableModel):
    """Something to do or that happened with a customer: a task, call, meeting or e-mail.

    It may be "regarding" one securable record (an account, contact, lead, opportunity,
    case, ...), stored as content type + id so every app's records can be named."""

    access_entity = "activity"
    hierarchy_visibility = True

    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    start_at = models.DateTimeField(_("starts"), null=True, blank=True)
    end_at = models.DateTimeField(_("ends"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=ActivityPriority.choices,
        default=ActivityPriority.NORMAL,
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True, default="")
    regarding_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    regarding_id = models.BigIntegerField(null=True, blank=True)
    reminder_at = models.DateTimeField(_("reminder"), null=True, blank=True)

    class Meta(SecurableModel.Meta):
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-modified_at", "-id"]
        indexes = [
            *SecurableModel.Meta.indexes,
            models.Index(fields=["regarding_type", "regarding_id"], name="activity_regarding_idx"),
            models.Index(fields=["start_at"], name="activity_start_idx"),
            models.Index(fields=["due_at"], name="activity_due_idx"),
            models.Index(fields=["owner_user", "status", "due_at"], name="activity_todo_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def when(self):
        """The moment the activity sits at on a calendar (None when it has no date)."""
        return self.start_at or self.due_at

    @property
    def is_overdue(self) -> bool:
        if self.status != ActivityStatus.OPEN:
            return False
        moment = self.due_at or self.end_at or self.start_at
        return moment is not None and moment < timezone.now()


class ActivityAttendee(models.Model):
    """A person taking part in an activity. Attending shares the activity with them (read)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attending"
    )
    response = models.CharField(
        _("response"),
        max_length=10,
        choices=AttendeeResponse.choices,
        default=AttendeeResponse.NONE,
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["activity", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="activities_attendee_unique")
        ]
        indexes = [models.Index(fields=["user", "activity"], name="activity_attendee_user_idx")]


class Note(models.Model):
    """A short text on a record. Readable by whoever can read the record; changed or
    deleted only by its author, and only while they can still read the record."""

    regarding_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    regarding_id = models.BigIntegerField()
    body = models.TextField(_("note"))
    pinned = models.BooleanField(_("pinned"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["regarding_type", "regarding_id", "-created_at"], name="note_regarding_idx"
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]
