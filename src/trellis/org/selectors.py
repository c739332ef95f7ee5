"""Reads of the organization: privileges, and the units/users/teams an admin may manage."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from trellis.org.models import BusinessUnit, SecurityRole, Team, TeamKind, User
from trellis.org.roles import DEPTHS, NONE, ORG, OWN, PRIVILEGES, SUBTREE, UNIT


@dataclass(frozen=True)
class PrivilegeGrant:
    """A privilege held at `depth`, measured from `anchor_path` (the user's or team's unit)."""

    depth: int
    anchor_unit_id: int | None
    anchor_path: str
    role_name: str


def active_memberships(user: User) -> QuerySet:
    now = timezone.now()
    return user.memberships.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def privilege_grants(user: User, privilege: str) -> list[PrivilegeGrant]:
    """Every role (the user's own and their owner teams') granting `privilege`, with depth."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    grants: list[PrivilegeGrant] = []
    unit_path = user.unit.path if user.unit_id else ""
    cap = OWN if user.is_partner else ORG
    for role in user.roles.all():
        depth = ORG if role.full_access else DEPTHS.get(role.privileges.get(privilege, "none"), 0)
        if depth > NONE:
            grants.append(PrivilegeGrant(min(depth, cap), user.unit_id, unit_path, role.name))
    team_ids = active_memberships(user).filter(team__kind=TeamKind.OWNER).values("team_id")
    for team in (
        Team.objects.filter(pk__in=team_ids).select_related("unit").prefetch_related("roles")
    ):
        for role in team.roles.all():
            depth = ORG if role.full_access else DEPTHS.get(role.privileges.get(privilege, "none"))
            if depth and depth > NONE:
                grants.append(
                    PrivilegeGrant(min(depth, cap), team.unit_id, team.unit.path, role.name)
                )
    return grants


def held_privileges(user: User) -> set[str]:
    """Every privilege `user` holds at any depth (own roles and owner teams'): one query,
    for pages that ask about several privileges at once (the navigation)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    team_ids = active_memberships(user).filter(team__kind=TeamKind.OWNER).values("team_id")
    team_roles = Team.roles.through.objects.filter(team_id__in=team_ids).values("securityrole_id")
    roles = SecurityRole.objects.filter(
        Q(pk__in=user.roles.values("pk")) | Q(pk__in=team_roles)
    ).only("full_access", "privileges")
    held: set[str] = set()
    for role in roles:
        if role.full_access:
            return set(PRIVILEGES)
        held |= {p for p, depth in role.privileges.items() if DEPTHS.get(depth, NONE) > NONE}
    return held


def has_privilege(user: User, privilege: str) -> bool:
    return bool(privilege_grants(user, privilege))


def privilege_depth(user: User, privilege: str) -> int:
    return max((grant.depth for grant in privilege_grants(user, privilege)), default=NONE)


def _covers(grant: PrivilegeGrant, unit: BusinessUnit) -> bool:
    if grant.depth >= ORG:
        return True
    if grant.depth == SUBTREE:
        return unit.path.startswith(grant.anchor_path)
    if grant.depth == UNIT:
        return unit.pk == grant.anchor_unit_id
    return False


def privilege_covers_unit(user: User, privilege: str, unit: BusinessUnit | None) -> bool:
    """True when `user` holds `privilege` at a depth reaching `unit` (None: needs org)."""
    grants = privilege_grants(user, privilege)
    if unit is None:
        return any(grant.depth >= ORG for grant in grants)
    return any(_covers(grant, unit) for grant in grants)


def _unit_filter(user: User, privilege: str, field: str) -> Q | None:
    """A Q on `field` (a path to BusinessUnit) for the units `privilege` reaches; None = all."""
    condition = Q(pk__in=[])
    for grant in privilege_grants(user, privilege):
        if grant.depth >= ORG:
            return None
        if grant.depth == SUBTREE:
            condition |= Q(**{f"{field}path__startswith": grant.anchor_path})
        elif grant.depth == UNIT:
            condition |= Q(**{f"{field}id": grant.anchor_unit_id})
    return condition


def managed_units(user: User) -> QuerySet[BusinessUnit]:
    """Units `user` may administer through `manage_org`."""
    condition = _unit_filter(user, "manage_org", "")
    qs = BusinessUnit.objects.all()
    return qs if condition is None else qs.filter(condition)


def managed_users(user: User) -> QuerySet[User]:
    condition = _unit_filter(user, "manage_org", "unit__")
    qs = User.objects.select_related("unit", "reports_to").prefetch_related("roles")
    return qs if condition is None else qs.filter(condition)


def managed_teams(user: User) -> QuerySet[Team]:
    condition = _unit_filter(user, "manage_org", "unit__")
    qs = Team.objects.select_related("unit").prefetch_related("roles")
    return qs if condition is None else qs.filter(condition)


def roles_for(user: User) -> QuerySet[SecurityRole]:
    """Roles are readable by anyone who manages the organization or the roles."""
    if has_privilege(user, "manage_roles") or has_privilege(user, "manage_org"):
        return SecurityRole.objects.all()
    return SecurityRole.objects.none()


def subtree_of(unit: BusinessUnit) -> QuerySet[BusinessUnit]:
    return BusinessUnit.objects.filter(path__startswith=unit.path)


@dataclass
class UnitNode:
    """A managed unit in tree order: `level` is its depth below the top managed unit."""

    unit: BusinessUnit
    level: int
    users: list[User] = field(default_factory=list)


def managed_unit_tree(user: User) -> list[UnitNode]:
    """The units `user` administers (manage_org) in tree order, siblings by name, each with
    its people. Three queries: units, users, and the users' roles."""
    units = list(managed_units(user))
    nodes = {unit.pk: UnitNode(unit, 0) for unit in units}
    children: dict[int | None, list[BusinessUnit]] = {}
    for unit in units:
        # A unit whose parent is not managed is a top of the admin's forest.
        parent = unit.parent_id if unit.parent_id in nodes else None
        children.setdefault(parent, []).append(unit)
    ordered: list[UnitNode] = []
    stack = [(unit, 0) for unit in _by_name(children.get(None, []), reverse=True)]
    while stack:
        unit, level = stack.pop()
        nodes[unit.pk].level = level
        ordered.append(nodes[unit.pk])
        stack.extend((child, level + 1) for child in _by_name(children.get(unit.pk, []), True))
    for person in managed_users(user).order_by("last_name", "first_name", "username"):
        if person.unit_id in nodes:
            nodes[person.unit_id].users.append(person)
    return ordered


def _by_name(units: list[BusinessUnit], reverse: bool = False) -> list[BusinessUnit]:
    return sorted(units, key=lambda unit: (unit.name.lower(), unit.pk), reverse=reverse)
