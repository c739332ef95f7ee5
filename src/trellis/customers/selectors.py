"""Reads of accounts. Every one starts from `access.visible`."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from trellis.access import visible
from trellis.core.errors import NotFound
from trellis.customers.models import Account

ACCOUNT_FILTERS = (
    "industry",
    "size_segment",
    "region",
    "tier",
    "country",
    "city",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "parent_id",
)


def account_list(actor: Any, *, q: str = "", action: str = "read", **filters: Any) -> QuerySet:
    """Accounts `actor` may see, narrowed by exact-match filters and a name/city search."""
    qs = visible(actor, Account, action).select_related("owner_user", "owner_team", "owning_unit")
    clean = {
        key: value
        for key, value in filters.items()
        if key in ACCOUNT_FILTERS and value not in (None, "")
    }
    if clean:
        qs = qs.filter(**clean)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(city__icontains=q) | Q(email__icontains=q))
    return qs


def account_get(actor: Any, pk: int) -> Account:
    """One account the actor may see; NotFound for a missing or invisible id alike."""
    account = (
        visible(actor, Account, "read")
        .select_related("owner_user", "owner_team", "owning_unit", "parent")
        .filter(pk=pk)
        .first()
    )
    if account is None:
        raise NotFound(f"account {pk} not found")
    return account
