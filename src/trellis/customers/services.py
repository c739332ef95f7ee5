"""Writes to accounts. Each checks access, runs in one transaction and is audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.access import can
from trellis.access.services import owner_fields, record_assign, require
from trellis.audit.services import audit_record
from trellis.core.errors import Forbidden, InvalidInput, NotFound
from trellis.core.fields import diff, snapshot
from trellis.customers.models import Account, SizeSegment, Tier, segment_for
from trellis.org.models import Team, User
from trellis.org.services import check_version

# The largest value the employees column holds on every supported database.
MAX_EMPLOYEES = 2_147_483_647

ACCOUNT_FIELDS = (
    "name",
    "industry",
    "size_segment",
    "region",
    "tier",
    "annual_revenue",
    "currency",
    "employees",
    "website",
    "phone",
    "email",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "description",
    "external_id",
)


def _clean(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    if creating or "name" in out:
        name = (out.get("name") or "").strip()
        if not name:
            raise InvalidInput.field("name", "must not be empty")
        out["name"] = name
    if "tier" in out and out["tier"] not in Tier.values:
        raise InvalidInput.field("tier", f"must be one of {', '.join(Tier.values)}")
    if out.get("size_segment") and out["size_segment"] not in SizeSegment.values:
        raise InvalidInput.field("size_segment", f"must be one of {', '.join(SizeSegment.values)}")
    if out.get("annual_revenue") not in (None, ""):
        try:
            value = Decimal(str(out["annual_revenue"]))
        except InvalidOperation:
            raise InvalidInput.field("annual_revenue", "must be a decimal number") from None
        if not value.is_finite() or value < 0 or value >= Decimal("1e14"):
            raise InvalidInput.field("annual_revenue", "must be between 0 and 10^14")
        out["annual_revenue"] = value.quantize(Decimal("0.01"))
    elif "annual_revenue" in out:
        out["annual_revenue"] = None
    if "currency" in out:
        currency = (out["currency"] or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput.field("currency", "must be a three-letter ISO 4217 code")
        out["currency"] = currency
    if "country" in out:
        country = (out["country"] or "").upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise InvalidInput.field("country", "must be a two-letter ISO 3166 code")
        out["country"] = country
    for key, value in out.items():
        limit = getattr(Account._meta.get_field(key), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise InvalidInput.field(key, f"must be at most {limit} characters")
    if out.get("employees") is not None:
        if int(out["employees"]) < 0:
            raise InvalidInput.field("employees", "must be zero or more")
        if int(out["employees"]) > MAX_EMPLOYEES:
            raise InvalidInput.field("employees", f"must be at most {MAX_EMPLOYEES}")
        if not out.get("size_segment"):
            out["size_segment"] = segment_for(int(out["employees"]))
    return out


def _check_parent(actor: User, account: Account | None, parent: Account | None) -> None:
    """Linking to a parent needs read on the parent; the parent chain must not loop."""
    if parent is None:
        return
    if not can(actor, "read", parent):
        raise NotFound.field("parent_id", f"account {parent.pk} not found")
    if account is None:
        return
    node, seen = parent, set()
    while node is not None and node.pk not in seen:
        if node.pk == account.pk:
            raise InvalidInput.field("parent_id", "an account cannot be its own ancestor")
        seen.add(node.pk)
        node = node.parent


@transaction.atomic
def account_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    parent: Account | None = None,
    **fields: Any,
) -> Account:
    """Create an account owned by the actor unless another owner is given (needs assign)."""
    if owner_user is None and owner_team is None:
        owner_user = actor
    account = Account(
        **_clean(fields, creating=True),
        parent=parent,
        **owner_fields(owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    if not can(actor, "create", account):
        raise Forbidden("you may not create accounts")
    if owner_user != actor and not can(actor, "assign", account):
        field = "owner_team_id" if owner_team is not None else "owner_user_id"
        raise Forbidden(
            "you may not create accounts owned by someone else",
            [(field, "you lack assign rights for this owner")],
        )
    _check_parent(actor, None, parent)
    account.save()
    audit_record(actor, "create", account, changes=snapshot(account))
    return account


@transaction.atomic
def account_update(
    actor: User,
    *,
    account: Account,
    version: int | None = None,
    parent: Account | None | Any = ...,
    **fields: Any,
) -> Account:
    """Change an account's fields (needs write). `version` guards against lost updates."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    require(actor, "write", account)
    check_version(account, version)
    before = snapshot(account)
    for key, value in _clean(fields, creating=False).items():
        setattr(account, key, value)
    if parent is not ...:
        _check_parent(actor, account, parent)
        account.parent = parent
    account.version += 1
    account.modified_at = timezone.now()
    account.modified_by = actor
    account.save()
    audit_record(actor, "update", account, changes=diff(before, snapshot(account)))
    return account


@transaction.atomic
def account_delete(actor: User, *, account: Account) -> None:
    require(actor, "delete", account)
    before = snapshot(account)
    pk = account.pk
    account.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="account",
        object_id=pk,
        object_repr=before["name"],
        changes=before,
    )


@transaction.atomic
def account_assign(
    actor: User,
    *,
    account: Account,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    cascade: bool = False,
) -> Account:
    """Give the account a new owner. With `cascade`, its child accounts, their children and
    so on move with it, except those the actor may not assign (they keep their owner);
    later entities hook into the same option."""
    record_assign(actor, account, owner_user=owner_user, owner_team=owner_team)
    if cascade:
        seen, level = {account.pk}, [account.pk]
        while level:
            children = list(
                Account.objects.filter(parent_id__in=level).exclude(pk__in=seen).order_by("pk")
            )
            seen.update(child.pk for child in children)
            level = [child.pk for child in children]
            for child in children:
                if can(actor, "assign", child):
                    record_assign(
                        actor, child, owner_user=owner_user, owner_team=owner_team, check=False
                    )
    return account
