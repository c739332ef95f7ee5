"""Reads behind the shared pages (home). Record reads start from `visible`
through each app's selectors."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from trellis.access import visible
from trellis.access.models import Share
from trellis.customers.models import Account
from trellis.customers.selectors import account_list
from trellis.org.models import BusinessUnit, Team, TeamKind, User
from trellis.org.selectors import active_memberships
from trellis.sales.models import Lead, LeadStatus, Opportunity, Stage
from trellis.sales.selectors import lead_list, opportunity_list


@dataclass
class TeamRoles:
    team: str
    unit: str
    roles: list[str]


@dataclass
class HomeSummary:
    unit: BusinessUnit | None
    roles: list[str]
    teams: list[TeamRoles]
    accounts_visible: int
    accounts_owned: int


def home_summary(user: User) -> HomeSummary:
    """The start page's facts about `user`: unit, roles (own and via owner teams) and how
    many accounts they can see and own. Four queries, whatever the data size."""
    counts = account_list(user).aggregate(
        visible=Count("pk"), owned=Count("pk", filter=Q(owner_user_id=user.pk))
    )
    team_ids = active_memberships(user).filter(team__kind=TeamKind.OWNER).values("team_id")
    teams = Team.objects.filter(pk__in=team_ids).select_related("unit").prefetch_related("roles")
    return HomeSummary(
        unit=user.unit,
        roles=[role.name for role in user.roles.all()],
        teams=[
            TeamRoles(team.name, team.unit.name, [role.name for role in team.roles.all()])
            for team in teams
        ],
        accounts_visible=counts["visible"],
        accounts_owned=counts["owned"],
    )


# The partner portal's home page ---------------------------------------------------------

PARTNER_HOME_ROWS = 8


@dataclass
class PartnerHome:
    """What a partner's home page lists (web.portal): each list holds at most
    PARTNER_HOME_ROWS records, newest change first."""

    leads_by_status: list[dict]
    leads: list
    opportunities_by_stage: list[dict]
    opportunities: list
    shared_accounts: list
    shared_leads: list
    shared_opportunities: list


def shared_with(actor: User, model: type) -> QuerySet:
    """Records of `model` the actor may read that are shared with them or with one of
    their teams (an unexpired share; an access team counts, being a team)."""
    teams = active_memberships(actor).values("team_id")
    shares = (
        Share.objects.filter(record_type=ContentType.objects.get_for_model(model))
        .filter(Q(user_id=actor.pk) | Q(team_id__in=teams))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .values("record_id")
    )
    return visible(actor, model, "read").filter(pk__in=shares)


def partner_home(actor: User) -> PartnerHome:
    """A partner's own open leads (counted by status) and open opportunities (counted and
    summed by stage and currency), and what is shared with them. Every list starts from
    `visible`."""
    rows = PARTNER_HOME_ROWS
    my_leads = lead_list(actor, is_open=True).filter(owner_user_id=actor.pk)
    my_opportunities = opportunity_list(actor, is_open=True).filter(owner_user_id=actor.pk)
    statuses = dict(LeadStatus.choices)
    stages = dict(Stage.choices)
    stage_order = {value: index for index, value in enumerate(stages)}
    by_stage = sorted(
        my_opportunities.order_by()
        .values("stage", "currency")
        .annotate(count=Count("pk"), amount=Sum("amount")),
        key=lambda row: (stage_order.get(row["stage"], 99), row["currency"]),
    )
    return PartnerHome(
        leads_by_status=[
            {"status": row["status"], "label": statuses.get(row["status"]), "count": row["count"]}
            for row in my_leads.order_by("status").values("status").annotate(count=Count("pk"))
        ],
        leads=list(my_leads.order_by("-modified_at", "-pk")[:rows]),
        opportunities_by_stage=[{**row, "label": stages.get(row["stage"])} for row in by_stage],
        opportunities=list(my_opportunities.order_by("-modified_at", "-pk")[:rows]),
        shared_accounts=list(
            shared_with(actor, Account)
            .select_related("owner_user", "owner_team")
            .order_by("name", "pk")[:rows]
        ),
        shared_leads=list(
            shared_with(actor, Lead)
            .select_related("owner_user", "owner_team")
            .order_by("-modified_at", "-pk")[:rows]
        ),
        shared_opportunities=list(
            shared_with(actor, Opportunity)
            .select_related("owner_user", "owner_team", "account")
            .order_by("-modified_at", "-pk")[:rows]
        ),
    )
