"""Writing notifications. Other apps call `notify` inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from trellis.notifications.models import Kind, Notification


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
    about was saved; sending the e-mail copy waits for the commit."""
    if recipient is None or not getattr(recipient, "is_active", False):
        return None
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
    transaction.on_commit(lambda: _after_commit(notification.pk))
    return notification


def _after_commit(notification_id: int) -> None:
    """Hook for the e-mail copy (filled in by the notifications work)."""
