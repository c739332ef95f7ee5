"""Writing notifications. Other apps call `notify` inside their own transaction."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trellis.activities.models import Activity, ActivityStatus, AttendeeResponse
from trellis.audit.services import audit_record
from trellis.notifications.models import Kind, Notification, ReminderSent

logger = logging.getLogger(__name__)

# A reminder more than this late is not sent: after downtime (or on the first start of a
# worker over old data) people should not get a flood of reminders for the distant past.
REMINDER_GRACE = dt.timedelta(days=1)
# Reminders sent per run; the rest wait for the next run a minute later.
REMINDER_BATCH = 500


def record_url(record: models.Model) -> str:
    """The web page of `record` ("" when its app has no detail page). The page itself
    decides whether the person opening it may see the record."""
    entity = getattr(record, "access_entity", None) or record._meta.model_name
    try:
        return reverse(f"web:{entity}_detail", args=[record.pk])
    except NoReverseMatch:
        return ""


def notify(
    recipient: Any,
    *,
    kind: str = Kind.OTHER,
    title: str,
    body: str = "",
    url: str = "",
    record: models.Model | None = None,
) -> Notification | None:
    """Leave a notification for `recipient` (nothing for an inactive user or no one).

    It is written in the caller's transaction, so it exists only if the work it tells
    about was saved; the e-mail copy (when e-mail is configured and the recipient has an
    address) is queued only once that transaction commits. A notification about a
    `record` links to the record's page unless `url` says otherwise."""
    if recipient is None or not getattr(recipient, "is_active", False):
        return None
    if record is not None and not url:
        url = record_url(record)
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        title=title[:200],
        body=body,
        url=url[:300],
        entity=(getattr(record, "access_entity", None) or record._meta.model_name)
        if record is not None
        else "",
        object_id=getattr(record, "pk", None),
        created_at=timezone.now(),
    )
    if settings.EMAIL_ENABLED and getattr(recipient, "email", ""):
        transaction.on_commit(lambda: _after_commit(notification.pk), robust=True)
    return notification


def _after_commit(notification_id: int) -> None:
    """Queue the e-mail copy; the worker sends it (a slow mail server never slows a save)."""
    from trellis.notifications.tasks import send_notification_email

    send_notification_email.enqueue(notification_id)


def notification_email_send(notification_id: int) -> bool:
    """Send the e-mail copy of one notification, once. Returns whether it was sent.

    `emailed_at` is claimed before sending, so a task that runs twice sends one e-mail;
    when the mail server fails, the claim is released and the error re-raised (the task
    is marked failed)."""
    from django.core.mail import send_mail

    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=now
    )
    if not claimed:
        return False
    lines = [notification.body] if notification.body else []
    if notification.url:
        lines.append(f"{settings.SITE_URL}{notification.url}")
    try:
        send_mail(
            subject=notification.title,
            message="\n\n".join(lines) or notification.title,
            from_email=None,
            recipient_list=[recipient.email],
        )
    except Exception:
        Notification.objects.filter(pk=notification_id, emailed_at=now).update(emailed_at=None)
        raise
    return True


def notification_mark_read(actor: Any, *, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (reading it again changes nothing).
    The caller fetched it through `notification_get`, so it is the actor's."""
    with transaction.atomic():
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            audit_record(actor, "read", notification)
        return notification


def notification_mark_all_read(actor: Any) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    with transaction.atomic():
        changed = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            audit_record(
                actor,
                "read_all",
                entity="notification",
                object_repr=f"{changed} notifications",
                changes={"read": [0, changed]},
            )
        return changed


def notify_assigned(
    actor: Any, *, records: list[models.Model], owner_user: Any, owner_team: Any = None
) -> Notification | None:
    """Tell the new owner user about records assigned to them: one notification naming
    the record, or one summary for a cascade of many. Nothing for team owners (a team has
    no inbox) nor for people assigning to themselves."""
    if owner_user is None or not records:
        return None
    if getattr(actor, "pk", None) is not None and actor.pk == owner_user.pk:
        return None
    by = str(actor) if getattr(actor, "pk", None) else _("Trellis")
    if len(records) == 1:
        record = records[0]
        entity = getattr(record, "access_entity", None) or record._meta.model_name
        return notify(
            owner_user,
            kind=Kind.ASSIGNMENT,
            title=_("%(by)s assigned %(entity)s “%(record)s” to you")
            % {"by": by, "entity": entity, "record": record},
            record=record,
        )
    plural = str(records[0]._meta.verbose_name_plural)
    names = ", ".join(str(record) for record in records[:5])
    more = len(records) - 5
    body = names + (_(" and %(more)d more") % {"more": more} if more > 0 else "")
    return notify(
        owner_user,
        kind=Kind.ASSIGNMENT,
        title=_("%(by)s assigned %(count)d %(entities)s to you")
        % {"by": by, "count": len(records), "entities": plural},
        body=body,
    )


def _due_reminders(now: dt.datetime) -> models.QuerySet:
    """Open activities whose reminder time has come and whose reminder for that time was
    not sent yet (system work: the job reads across the organization, unscoped)."""
    already_sent = ReminderSent.objects.filter(
        activity_id=OuterRef("pk"), reminder_at=OuterRef("reminder_at")
    )
    return (
        Activity.objects.filter(
            status=ActivityStatus.OPEN,
            reminder_at__lte=now,
            reminder_at__gt=now - REMINDER_GRACE,
        )
        .filter(~Exists(already_sent))
        .select_related("owner_user")
        .order_by("reminder_at", "pk")
    )


def _claim_reminder(activity: Activity, now: dt.datetime) -> bool:
    """Record that this activity's reminder is being sent; False when another worker
    already did. Moves the row when the activity's reminder time changed since."""
    moved = (
        ReminderSent.objects.filter(activity_id=activity.pk)
        .filter(~Q(reminder_at=activity.reminder_at))
        .update(reminder_at=activity.reminder_at, sent_at=now)
    )
    if moved:
        return True
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                activity=activity, reminder_at=activity.reminder_at, sent_at=now
            )
    except IntegrityError:
        return False
    return True


def _reminder_recipients(activity: Activity) -> list[Any]:
    """The owner (when a user) and the attendees who have not declined, each once."""
    people = [activity.owner_user] if activity.owner_user_id else []
    for attendee in activity.attendees.select_related("user"):
        if attendee.response != AttendeeResponse.DECLINED:
            people.append(attendee.user)
    unique = {person.pk: person for person in people}
    return list(unique.values())


def activity_reminders_send(now: dt.datetime | None = None) -> int:
    """Send the reminders that are due: each open activity's owner and attendees hear once
    when its `reminder_at` passes. Safe to run in several workers at once (the unique
    `ReminderSent` row decides who sends). Returns how many activities were reminded of."""
    now = now or timezone.now()
    sent = 0
    for activity in _due_reminders(now)[:REMINDER_BATCH]:
        with transaction.atomic():
            if not _claim_reminder(activity, now):
                continue
            for person in _reminder_recipients(activity):
                notify(
                    person,
                    kind=Kind.REMINDER,
                    title=_("Reminder: %(subject)s") % {"subject": activity.subject},
                    body=_reminder_body(activity),
                    record=activity,
                )
            audit_record(
                None,
                "remind",
                activity,
                changes={"reminder_at": [None, activity.reminder_at.isoformat()]},
            )
        sent += 1
    return sent


def _reminder_body(activity: Activity) -> str:
    when = activity.when
    if when is None:
        return activity.get_kind_display()
    moment = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    return f"{activity.get_kind_display()} · {moment}"
