"""Reading notifications. A notification belongs to its recipient alone, so every read
starts from the caller's own inbox (they are not securable records with owners and
shares; `access.visible` does not apply). Records they link to are checked when opened."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from trellis.core.errors import NotFound
from trellis.notifications.models import Notification

MAX_ID = 2**63 - 1


def notification_list(
    actor: Any, *, unread: bool | None = None, kind: str | None = None
) -> QuerySet[Notification]:
    """The actor's own notifications, newest first; `unread=True` only unread ones,
    `unread=False` only read ones; `kind` one kind."""
    qs = Notification.objects.filter(recipient_id=actor.pk)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def notification_get(actor: Any, pk: int) -> Notification:
    """One of the actor's own notifications; someone else's answers like a missing one."""
    found = None
    if 0 < pk <= MAX_ID:
        found = Notification.objects.filter(recipient_id=actor.pk, pk=pk).first()
    if found is None:
        raise NotFound(f"notification {pk} not found")
    return found


def unread_count(actor: Any) -> int:
    """How many of the actor's notifications are unread: one COUNT on the inbox index."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).count()
