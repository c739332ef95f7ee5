"""Keeps cases in step with their accounts."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from trellis.access import visible
from trellis.access.services import assign_all
from trellis.customers.services import share_args as _share_args
from trellis.customers.services import share_related, unshare_related
from trellis.customers.signals import account_shared, account_unshared, accounts_reassigned
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


@receiver(account_shared)
def _share_open_cases(sender: Any, *, actor: Any, account: Any, tally: Any, **kwargs: Any) -> None:
    """A cascading account share shares the account's open cases as well."""
    cases = Case.objects.filter(account=account, status__in=OPEN_STATUSES)
    share_related(actor, cases, **_share_args(kwargs), tally=tally)


@receiver(account_unshared)
def _unshare_cases(sender: Any, *, actor: Any, account: Any, tally: Any, **kwargs: Any) -> None:
    """A cascading account unshare clears the same share from all its cases."""
    unshare_related(
        actor,
        Case.objects.filter(account=account),
        user=kwargs["user"],
        team=kwargs["team"],
        tally=tally,
    )
