"""Keeps opportunities in step with their accounts."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trellis.access import visible
from trellis.access.services import assign_all
from trellis.customers.signals import accounts_reassigned
from trellis.sales.models import OPEN_STAGES, Opportunity


@receiver(accounts_reassigned)
def _carry_open_opportunities(
    sender: Any, *, actor: Any, account_ids: list[int], owner_user: Any, owner_team: Any, **_: Any
) -> None:
    """A cascading account assign carries the open opportunities the actor may assign."""
    opportunities = (
        visible(actor, Opportunity, "assign")
        .filter(account_id__in=account_ids, stage__in=OPEN_STAGES)
        .order_by("pk")
    )
    assign_all(actor, opportunities, owner_user=owner_user, owner_team=owner_team)
