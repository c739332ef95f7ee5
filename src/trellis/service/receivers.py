"""Keeps cases in step with their accounts."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trellis.access import visible
from trellis.access.services import assign_all
from trellis.customers.signals import accounts_reassigned
from trellis.service.models import OPEN_STATUSES, Case


@receiver(accounts_reassigned)
def _carry_open_cases(
    sender: Any, *, actor: Any, account_ids: list[int], owner_user: Any, owner_team: Any, **_: Any
) -> None:
    """A cascading account assign carries the open cases the actor may assign."""
    cases = (
        visible(actor, Case, "assign")
        .filter(account_id__in=account_ids, status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    assign_all(actor, cases, owner_user=owner_user, owner_team=owner_team)
