"""Notifications other apps' events lead to."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trellis.access.signals import record_assigned
from trellis.notifications.services import notify_assigned


@receiver(record_assigned)
def _tell_new_owner(
    sender: Any, *, actor: Any, records: list, owner_user: Any, owner_team: Any, **_: Any
) -> None:
    """The new owner user hears of records assigned to them (sent after the commit)."""
    notify_assigned(actor, records=records, owner_user=owner_user, owner_team=owner_team)
