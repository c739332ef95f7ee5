"""Reads behind the shared pages (home). Record reads start from `visible`
through each app's selectors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from trellis.customers.selectors import account_list
from trellis.org.models import BusinessUnit, Team, TeamKind, User
from trellis.org.selectors import active_memberships


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
