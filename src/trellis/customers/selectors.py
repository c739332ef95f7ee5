"""Reads of accounts and contacts. Every one starts from `access.visible`."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from trellis.access import visible
from trellis.core.errors import NotFound
from trellis.customers.models import Account, Contact

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


CONTACT_FILTERS = (
    "account_id",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "country",
    "city",
    "is_active",
)
# Fewer digits than this in a search are not taken for (part of) a phone number.
MIN_PHONE_DIGITS = 3


def _phone_digits(q: str) -> list[str]:
    """Digit strings to look for in the E.164 numbers: "+62 21 555" -> ["6221555"];
    a national "021 555" also without its trunk 0 -> ["021555", "21555"]."""
    digits = re.sub(r"\D", "", q)
    if len(digits) < MIN_PHONE_DIGITS or re.search(r"[^\d\s()+.\-/]", q):
        return []
    out = [digits]
    national = digits.lstrip("0")
    if national != digits and len(national) >= MIN_PHONE_DIGITS:
        out.append(national)
    return out


def contact_search(q: str) -> Q:
    """Contacts matching `q`: every word in a name, email or city (any part, any case),
    or the digits of `q` within the normalized phone or mobile number."""
    words = q.split()
    if not words:
        return Q()
    text = Q()
    for word in words:
        text &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(city__icontains=word)
        )
    condition = text
    for digits in _phone_digits(q):
        condition |= Q(phone__contains=digits) | Q(mobile__contains=digits)
    return condition


def contact_list(actor: Any, *, q: str = "", action: str = "read", **filters: Any) -> QuerySet:
    """Contacts `actor` may see, narrowed by exact-match filters and a search.

    Each row carries `account_visible`: whether the actor may read its account, so a list
    shows an account's name only to those who may see it (in the same query)."""
    qs = (
        visible(actor, Contact, action)
        .select_related("owner_user", "owner_team", "owning_unit", "account")
        .annotate(
            account_visible=Exists(
                visible(actor, Account, "read").order_by().filter(pk=OuterRef("account_id"))
            )
        )
    )
    clean = {
        key: value
        for key, value in filters.items()
        if key in CONTACT_FILTERS and value not in (None, "")
    }
    if "country" in clean:
        clean["country"] = str(clean["country"]).upper()
    if "city" in clean:
        clean["city__iexact"] = clean.pop("city")
    if clean:
        qs = qs.filter(**clean)
    if q.strip():
        qs = qs.filter(contact_search(q.strip()))
    return qs


def contact_get(actor: Any, pk: int) -> Contact:
    """One contact the actor may see; NotFound for a missing or invisible id alike."""
    contact = (
        visible(actor, Contact, "read")
        .select_related("owner_user", "owner_team", "owning_unit", "account")
        .filter(pk=pk)
        .first()
    )
    if contact is None:
        raise NotFound(f"contact {pk} not found")
    return contact
