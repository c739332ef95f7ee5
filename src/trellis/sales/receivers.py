"""Keeps opportunities in step with their accounts."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trellis.access import visible
from trellis.access.services import assign_all
from trellis.customers.services import share_args as _share_args
from trellis.customers.services import share_related, unshare_related
from trellis.customers.signals import account_shared, account_unshared, accounts_reassigned
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


@receiver(account_shared)
def _share_open_opportunities(
    sender: Any, *, actor: Any, account: Any, tally: Any, **kwargs: Any
) -> None:
    """A cascading account share shares the account's open opportunities as well."""
    opportunities = Opportunity.objects.filter(account=account, stage__in=OPEN_STAGES)
    share_related(actor, opportunities, **_share_args(kwargs), tally=tally)


@receiver(account_unshared)
def _unshare_opportunities(
    sender: Any, *, actor: Any, account: Any, tally: Any, **kwargs: Any
) -> None:
    """A cascading account unshare clears the same share from all its opportunities."""
    unshare_related(
        actor,
        Opportunity.objects.filter(account=account),
        user=kwargs["user"],
        team=kwargs["team"],
        tally=tally,
    )
