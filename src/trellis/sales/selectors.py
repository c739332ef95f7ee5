"""Reads of the sales app. Securable records start from `access.visible`; product lines
and sales targets follow the rules stated on their models."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from trellis.access import can, scope_for, visible
from trellis.core.errors import NotFound
from trellis.org.models import BusinessUnit, TeamKind, TeamMembership, User
from trellis.org.roles import ORG, SUBTREE, UNIT
from trellis.org.selectors import active_memberships, privilege_covers_unit, privilege_grants
from trellis.sales.models import (
    CLOSED_STAGES,
    OPEN_LEAD_STATUSES,
    Campaign,
    Lead,
    Opportunity,
    OpportunityStageChange,
    Product,
    ProductLine,
    SalesTarget,
    Stage,
)


def _exact(filters: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if k in allowed and v not in (None, "")}


def linkable(actor: Any, model: type) -> QuerySet:
    """Records of another app's securable `model` the actor may link to (read on them),
    for resolving ids in request bodies and filling choices on forms."""
    return visible(actor, model, "read")


# Product lines --------------------------------------------------------------------------


def may_read_catalog(actor: Any) -> bool:
    """Every signed-in, active internal user reads the product lines."""
    return getattr(actor, "is_authenticated", False) and actor.is_active and not actor.is_partner


def may_edit_catalog(actor: Any) -> bool:
    """Product lines belong to the whole organization, so changing them needs `write` on
    products at org depth (from the actor's roles or an owner team's)."""
    scope = scope_for(actor)
    if scope is None:
        return False
    if scope.full_access_role:
        return True
    if scope.user_depth("product", "write") >= ORG:
        return True
    return any(scope.team_depth(team, "product", "write") >= ORG for team in scope.owner_teams)


PRODUCT_LINE_FILTERS = ("active",)


def product_line_list(actor: Any, *, q: str = "", **filters: Any) -> QuerySet:
    if not may_read_catalog(actor):
        return ProductLine.objects.none()
    qs = ProductLine.objects.all()
    clean = _exact(filters, PRODUCT_LINE_FILTERS)
    if clean:
        qs = qs.filter(**clean)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs


def product_line_get(actor: Any, pk: int) -> ProductLine:
    line = product_line_list(actor).filter(pk=pk).first()
    if line is None:
        raise NotFound(f"product line {pk} not found")
    return line


# Products -------------------------------------------------------------------------------

PRODUCT_FILTERS = (
    "product_line_id",
    "active",
    "currency",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
)


def product_list(actor: Any, *, q: str = "", action: str = "read", **filters: Any) -> QuerySet:
    """Products `actor` may see, narrowed by exact filters and a name/code search."""
    qs = visible(actor, Product, action).select_related("product_line")
    clean = _exact(filters, PRODUCT_FILTERS)
    if clean:
        qs = qs.filter(**clean)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs


def product_get(actor: Any, pk: int) -> Product:
    product = visible(actor, Product, "read").select_related("product_line").filter(pk=pk).first()
    if product is None:
        raise NotFound(f"product {pk} not found")
    return product


# Campaigns ------------------------------------------------------------------------------

CAMPAIGN_FILTERS = (
    "type",
    "status",
    "product_line_id",
    "currency",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
)


def campaign_list(actor: Any, *, q: str = "", action: str = "read", **filters: Any) -> QuerySet:
    """Campaigns `actor` may see, narrowed by exact filters and a name search."""
    qs = visible(actor, Campaign, action).select_related(
        "owner_user", "owner_team", "owning_unit", "product_line"
    )
    clean = _exact(filters, CAMPAIGN_FILTERS)
    if clean:
        qs = qs.filter(**clean)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def campaign_get(actor: Any, pk: int) -> Campaign:
    campaign = (
        visible(actor, Campaign, "read")
        .select_related("owner_user", "owner_team", "owning_unit", "product_line")
        .filter(pk=pk)
        .first()
    )
    if campaign is None:
        raise NotFound(f"campaign {pk} not found")
    return campaign


# Opportunities --------------------------------------------------------------------------

OPPORTUNITY_FILTERS = (
    "stage",
    "account_id",
    "contact_id",
    "campaign_id",
    "product_line_id",
    "currency",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "expected_close_date__gte",
    "expected_close_date__lte",
)


def opportunity_list(
    actor: Any,
    *,
    q: str = "",
    is_open: bool | None = None,
    action: str = "read",
    **filters: Any,
) -> QuerySet:
    """Opportunities `actor` may see, narrowed by exact filters, open/closed and a name
    search."""
    qs = visible(actor, Opportunity, action).select_related(
        "account", "owner_user", "owner_team", "owning_unit"
    )
    clean = _exact(filters, OPPORTUNITY_FILTERS)
    if clean:
        qs = qs.filter(**clean)
    if is_open is True:
        qs = qs.exclude(stage__in=CLOSED_STAGES)
    elif is_open is False:
        qs = qs.filter(stage__in=CLOSED_STAGES)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def opportunity_get(actor: Any, pk: int) -> Opportunity:
    opportunity = (
        visible(actor, Opportunity, "read")
        .select_related(
            "account",
            "contact",
            "campaign",
            "product_line",
            "owner_user",
            "owner_team",
            "owning_unit",
            "created_by",
            "modified_by",
        )
        .filter(pk=pk)
        .first()
    )
    if opportunity is None:
        raise NotFound(f"opportunity {pk} not found")
    return opportunity


def opportunity_stage_changes(actor: Any, opportunity: Opportunity) -> QuerySet:
    """The stage history of an opportunity the actor may read, oldest first."""
    if not can(actor, "read", opportunity):
        raise NotFound(f"opportunity {opportunity.pk} not found")
    return (
        OpportunityStageChange.objects.filter(opportunity=opportunity)
        .select_related("changed_by")
        .order_by("changed_at", "pk")
    )


# Leads ----------------------------------------------------------------------------------

LEAD_FILTERS = (
    "status",
    "source",
    "rating",
    "campaign_id",
    "product_line_id",
    "region",
    "country",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
)
# Fewer digits than this in a search are not taken for (part of) a phone number.
MIN_PHONE_DIGITS = 3


def _phone_digits(q: str) -> list[str]:
    """Digit strings to look for in E.164 numbers: "+62 21 555" -> ["6221555"]; a
    national "021 555" also without its trunk 0 -> ["021555", "21555"]."""
    digits = re.sub(r"\D", "", q)
    if len(digits) < MIN_PHONE_DIGITS or re.search(r"[^\d\s()+.\-/]", q):
        return []
    national = digits.lstrip("0")
    return (
        [digits, national] if national != digits and len(national) >= MIN_PHONE_DIGITS else [digits]
    )


def lead_search(q: str) -> Q:
    """Leads matching `q`: every word in the person's name, the company or the email
    (any part, any case), or the digits of `q` within the normalized phone."""
    words = q.split()
    if not words:
        return Q()
    condition = Q()
    for word in words:
        condition &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(company_name__icontains=word)
            | Q(email__icontains=word)
        )
    for digits in _phone_digits(q):
        condition |= Q(phone__contains=digits)
    return condition


def lead_list(
    actor: Any,
    *,
    q: str = "",
    is_open: bool | None = None,
    action: str = "read",
    **filters: Any,
) -> QuerySet:
    """Leads `actor` may see, narrowed by exact filters, open (new or contacted) or not,
    and a search over name, company, email and phone digits."""
    qs = visible(actor, Lead, action).select_related(
        "owner_user", "owner_team", "owning_unit", "campaign"
    )
    clean = _exact(filters, LEAD_FILTERS)
    if "country" in clean:
        clean["country"] = str(clean["country"]).upper()
    if "region" in clean:
        clean["region__iexact"] = clean.pop("region")
    if clean:
        qs = qs.filter(**clean)
    if is_open is True:
        qs = qs.filter(status__in=OPEN_LEAD_STATUSES)
    elif is_open is False:
        qs = qs.exclude(status__in=OPEN_LEAD_STATUSES)
    if q.strip():
        qs = qs.filter(lead_search(q.strip()))
    return qs


def lead_get(actor: Any, pk: int) -> Lead:
    """One lead the actor may see; NotFound for a missing or invisible id alike."""
    lead = (
        visible(actor, Lead, "read")
        .select_related(
            "owner_user",
            "owner_team",
            "owning_unit",
            "campaign",
            "product_line",
            "account",
            "contact",
            "opportunity",
            "created_by",
            "modified_by",
        )
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise NotFound(f"lead {pk} not found")
    return lead


# Sales targets --------------------------------------------------------------------------


def _unit_reach(actor: Any, privileges: tuple[str, ...]) -> Q | None:
    """Targets whose person or team sits in a unit the privileges reach; None for all."""
    condition = Q(pk__in=[])
    for privilege in privileges:
        for grant in privilege_grants(actor, privilege):
            if grant.depth >= ORG:
                return None
            if grant.depth == SUBTREE:
                condition |= Q(user__unit__path__startswith=grant.anchor_path) | Q(
                    team__unit__path__startswith=grant.anchor_path
                )
            elif grant.depth == UNIT:
                condition |= Q(user__unit_id=grant.anchor_unit_id) | Q(
                    team__unit_id=grant.anchor_unit_id
                )
    return condition


TARGET_FILTERS = ("user_id", "team_id", "currency", "period_start__gte", "period_end__lte")


def target_list(actor: Any, **filters: Any) -> QuerySet:
    """Targets `actor` may read (rules on `SalesTarget`): their own, their owner teams',
    and those of people and teams in units their `view_reports` or `manage_org` reach."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return SalesTarget.objects.none()
    qs = SalesTarget.objects.select_related("user", "team")
    reach = _unit_reach(actor, ("view_reports", "manage_org"))
    if reach is not None:
        teams = active_memberships(actor).filter(team__kind=TeamKind.OWNER).values("team_id")
        qs = qs.filter(Q(user_id=actor.pk) | Q(team_id__in=teams) | reach)
    clean = _exact(filters, TARGET_FILTERS)
    return qs.filter(**clean) if clean else qs


def target_get(actor: Any, pk: int) -> SalesTarget:
    target = target_list(actor).filter(pk=pk).first()
    if target is None:
        raise NotFound(f"target {pk} not found")
    return target


def may_set_target(actor: Any, unit: BusinessUnit | None, *, own: bool = False) -> bool:
    """May `actor` set a target for someone (or a team) in `unit`? `own` is True when the
    target is the actor's own. See `SalesTarget` for the rule."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active or unit is None:
        return False
    if privilege_covers_unit(actor, "manage_org", unit):
        return True
    if own:
        return False
    if not privilege_covers_unit(actor, "view_reports", unit):
        return False
    # `assign` on opportunities at a depth covering the unit: asked of a record that
    # belongs to nobody in particular, so only the depth counts.
    return can(actor, "assign", Opportunity(owning_unit_id=unit.pk))


def target_unit(target: SalesTarget) -> BusinessUnit | None:
    principal: User | Any = target.user if target.user_id else target.team
    return principal.unit if principal is not None else None


def target_won_amounts(actor: Any, targets: list[SalesTarget]) -> dict[int, Decimal]:
    """What each target's person (or owner team, with its current members) has won in
    the target's period and currency, counted over the opportunities `actor` may see, so
    nobody learns the size of deals hidden from them. One query for all the targets."""
    if not targets:
        return {}
    won = visible(actor, Opportunity).filter(stage=Stage.WON)
    now = timezone.now()
    sums = {}
    for target in targets:
        if target.user_id:
            owner = Q(owner_user_id=target.user_id)
        else:
            members = TeamMembership.objects.filter(
                Q(expires_at__isnull=True) | Q(expires_at__gt=now), team_id=target.team_id
            ).values("user_id")
            owner = Q(owner_team_id=target.team_id) | Q(owner_user_id__in=members)
        sums[f"t{target.pk}"] = Sum(
            "amount",
            filter=owner
            & Q(
                currency=target.currency,
                closed_at__date__gte=target.period_start,
                closed_at__date__lte=target.period_end,
            ),
            default=Decimal(0),
        )
    totals = won.aggregate(**sums)
    return {target.pk: totals[f"t{target.pk}"] for target in targets}
