"""Reads behind the shared pages (home, organization). Record reads start from `visible`
through each app's selectors."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from trellis.customers.selectors import account_list
from trellis.org.models import BusinessUnit, Team, TeamKind, User
from trellis.org.selectors import active_memberships, managed_units, managed_users


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


@dataclass
class UnitNode:
    unit: BusinessUnit
    level: int
    users: list[User] = field(default_factory=list)


def managed_unit_tree(user: User) -> list[UnitNode]:
    """The units `user` may administer in tree order (siblings by name), each with its
    people. Three queries: units, users, and the users' roles."""
    units = list(managed_units(user))
    nodes = {unit.pk: UnitNode(unit, 0) for unit in units}
    children: dict[int | None, list[BusinessUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in nodes else None
        children.setdefault(parent, []).append(unit)
    ordered: list[UnitNode] = []

    def walk(parent: int | None, level: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (u.name.lower(), u.pk)):
            nodes[unit.pk].level = level
            ordered.append(nodes[unit.pk])
            walk(unit.pk, level + 1)

    walk(None, 0)
    people = managed_users(user).order_by("last_name", "first_name", "username")
    for person in people:
        if person.unit_id in nodes:
            nodes[person.unit_id].users.append(person)
    return ordered
