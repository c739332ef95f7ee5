"""The access engine: `visible`, `can` and `explain` (DESIGN.md, the access model).

A user's reach is first computed into a small `Scope` (unit, owner teams, all teams, role
depths). `visible` turns the scope into one SQL filter; `can`/`explain` evaluate the same
five rules against one record in Python, so the two always agree (a property test checks).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from trellis.access import sql  # noqa: F401  (registers the in_subquery lookup)
from trellis.access.models import RIGHTS, SecurableModel, Share
from trellis.org.models import (
    BusinessUnit,
    ManagerClosure,
    SecurityRole,
    Team,
    TeamKind,
    TeamMembership,
    User,
)
from trellis.org.roles import DEPTH_NAMES, DEPTHS, NONE, ORG, OWN, SUBTREE, UNIT

ACTIONS = ("create",) + RIGHTS
# Unit paths look like "/1/4/"; this never prefixes one (for users without a unit).
NO_PATH = "/-/"


@dataclass(frozen=True)
class Grant:
    """One reason an access holds. `source` is one of: role, team_role, share, team_share,
    access_team, hierarchy, system_administrator."""

    source: str
    action: str
    detail: str
    role: str | None = None
    depth: str | None = None
    team: str | None = None
    team_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "action": self.action,
            "detail": self.detail,
            "role": self.role,
            "depth": self.depth,
            "team": self.team,
            "team_id": self.team_id,
        }


@dataclass
class RoleScope:
    name: str
    depths: dict[tuple[str, str], int]


@dataclass
class TeamScope:
    id: int
    name: str
    unit_id: int
    unit_path: str
    roles: list[RoleScope]


@dataclass
class Scope:
    """What a user may reach, computed once per request."""

    user_id: int
    unit_id: int | None
    unit_path: str
    is_partner: bool
    full_access_role: str | None
    roles: list[RoleScope]
    owner_teams: list[TeamScope]
    unit_paths: dict[int, str] = field(default_factory=dict)
    # Sizes that let `visible` pick a query shape: units under each anchor path, all units,
    # people below the user in the hierarchy, all people.
    subtree_units: dict[str, int] = field(default_factory=dict)
    total_units: int = 1
    below_count: int = 0
    total_users: int = 1

    @property
    def owner_team_ids(self) -> tuple[int, ...]:
        return tuple(team.id for team in self.owner_teams)

    def cap(self, depth: int) -> int:
        """Partners never get more than `own` from roles."""
        return min(depth, OWN) if self.is_partner else depth

    def role_depth(self, role: RoleScope, entity: str, action: str) -> int:
        return self.cap(role.depths.get((entity, action), NONE))

    def user_depth(self, entity: str, action: str) -> int:
        return max((self.role_depth(r, entity, action) for r in self.roles), default=NONE)

    def team_depth(self, team: TeamScope, entity: str, action: str) -> int:
        return max((self.role_depth(r, entity, action) for r in team.roles), default=NONE)

    def path_of(self, unit_id: int) -> str:
        if unit_id not in self.unit_paths:
            self.unit_paths[unit_id] = (
                BusinessUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
                or NO_PATH
            )
        return self.unit_paths[unit_id]


_scope_cache: contextvars.ContextVar[dict[int, Scope] | None] = contextvars.ContextVar(
    "trellis_access_scope_cache", default=None
)


@contextlib.contextmanager
def scope_cache() -> Iterator[None]:
    """Within this block each user's scope is computed once (the middleware wraps requests)."""
    token = _scope_cache.set({})
    try:
        yield
    finally:
        _scope_cache.reset(token)


def _role_scope(role: SecurityRole) -> RoleScope:
    depths: dict[tuple[str, str], int] = {}
    for entity, actions in (role.permissions or {}).items():
        for action, depth in actions.items():
            depths[(entity, action)] = DEPTHS.get(depth, NONE)
    return RoleScope(role.name, depths)


def scope_for(user: Any) -> Scope | None:
    """The user's scope, or None for anonymous and deactivated users (they reach nothing)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    cache = _scope_cache.get()
    if cache is not None and user.pk in cache:
        return cache[user.pk]
    now = timezone.now()
    roles = list(SecurityRole.objects.filter(users__id=user.pk))
    # Partners are capped at own depth, so a full-access role gives them nothing extra.
    full = None if user.is_partner else next((r.name for r in roles if r.full_access), None)
    # Only owner teams are loaded: access teams (one per record) are reached in SQL.
    memberships = list(
        TeamMembership.objects.filter(user_id=user.pk, team__kind=TeamKind.OWNER)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("team__unit")
    )
    owner_teams = [m.team for m in memberships]
    team_roles: dict[int, list[RoleScope]] = {team.pk: [] for team in owner_teams}
    if owner_teams:
        through = Team.roles.through.objects.filter(team_id__in=team_roles).select_related(
            "securityrole"
        )
        for row in through:
            team_roles[row.team_id].append(_role_scope(row.securityrole))
    unit_path = (
        BusinessUnit.objects.filter(pk=user.unit_id).values_list("path", flat=True).first()
        if user.unit_id
        else None
    ) or NO_PATH
    scope = Scope(
        user_id=user.pk,
        unit_id=user.unit_id,
        unit_path=unit_path,
        is_partner=user.is_partner,
        full_access_role=full,
        roles=[_role_scope(role) for role in roles],
        owner_teams=[
            TeamScope(t.pk, t.name, t.unit_id, t.unit.path, team_roles[t.pk]) for t in owner_teams
        ],
    )
    _measure_reach(scope)
    if cache is not None:
        cache[user.pk] = scope
    return scope


def _measure_reach(scope: Scope) -> None:
    """Two small aggregate queries: how many units each anchor's subtree holds and how many
    people report (directly or not) to the user."""
    paths = sorted({scope.unit_path} | {team.unit_path for team in scope.owner_teams})
    counts = BusinessUnit.objects.aggregate(
        total=Count("pk"),
        **{f"p{i}": Count("pk", filter=Q(path__startswith=path)) for i, path in enumerate(paths)},
    )
    scope.total_units = max(1, counts["total"])
    scope.subtree_units = {path: counts[f"p{i}"] for i, path in enumerate(paths)}
    below = ManagerClosure.objects.filter(ancestor_id=scope.user_id).values("descendant_id")
    people = User.objects.aggregate(total=Count("pk"), below=Count("pk", filter=Q(pk__in=below)))
    scope.below_count = people["below"]
    scope.total_users = max(1, people["total"])


def _entity(model: type[models.Model] | models.Model) -> str:
    entity = getattr(model, "access_entity", "")
    if not entity:
        raise TypeError(f"{model!r} is not a securable model")
    return entity


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")


def hierarchy_applies(model: type[SecurableModel] | SecurableModel, action: str) -> bool:
    if not getattr(model, "hierarchy_visibility", False):
        return False
    return action == "read" or (action == "write" and settings.HIERARCHY_WRITE)


def _hierarchy(scope: Scope, model: Any, action: str) -> bool:
    """Rule 4 for this user: partners see only what they own or is shared with them."""
    return not scope.is_partner and hierarchy_applies(model, action)


def _share_principal(scope: Scope) -> Q:
    """Shares to the user, or to any team (owner or access) they are an active member of."""
    teams = (
        TeamMembership.objects.filter(user_id=scope.user_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .values("team_id")
    )
    return Q(user_id=scope.user_id) | Q(team_id__in_subquery=teams)


# Below this share of the organization a user's visible set is gathered branch by branch
# (a UNION of index scans); above it, the table is walked in the requested order and
# filtered, which stops as soon as a page is full. See bench/access.py.
NARROW_SHARE = 0.01


def visible(user: Any, model: type[SecurableModel], action: str = "read") -> QuerySet:
    """Records of `model` on which `user` may do `action`, as one lazily evaluated query.

    The rules come from `read_scope` (trellis.access.scope), the one statement of them."""
    from trellis.access.scope import read_scope

    _check_action(action)
    if action == "create":
        raise ValueError("visible() answers for existing records; ask can(user, 'create', ...)")
    qs = model._default_manager.all()
    reach = read_scope(user, model, action)
    if reach.everything:
        return qs
    parts = reach.keyed_parts() + reach.record_parts()
    if not parts:
        return qs.none()
    if reach.reach <= NARROW_SHARE:
        branches = [model._default_manager.filter(part).order_by().values("pk") for part in parts]
        return qs.filter(pk__in=branches[0].union(*branches[1:], all=True))
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    if connection.vendor == "sqlite":
        # SQLite's planner answers a broad OR with a union of every branch's index and a
        # sort (seconds for an org-wide manager); as one opaque expression the table is
        # walked in the requested order and the walk stops once a page is full.
        opaque = Case(When(condition, then=Value(True)), default=Value(False))
        return qs.filter(ExpressionWrapper(opaque, output_field=BooleanField()))
    return qs.filter(condition)


def _covers(
    scope: Scope,
    depth: int,
    record: SecurableModel,
    owned: bool,
    unit_id: int | None,
    unit_path: str,
) -> bool:
    if depth >= ORG:
        return True
    if depth == NONE:
        return False
    if owned:
        return True
    if depth == UNIT:
        return record.owning_unit_id == unit_id
    if depth == SUBTREE:
        return record.owning_unit_id is not None and scope.path_of(
            record.owning_unit_id
        ).startswith(unit_path)
    return False


def _grants(
    user: Any, action: str, record: SecurableModel, first_only: bool, record_level: bool = True
) -> Iterator[Grant]:
    """Grants from the five rules; `record_level=False` stops after the role rules (1, 2, 5)."""
    _check_action(action)
    entity = _entity(record)
    scope = scope_for(user)
    if scope is None:
        return
    if scope.full_access_role:
        yield Grant(
            "system_administrator",
            action,
            f"holds {scope.full_access_role}",
            role=scope.full_access_role,
            depth="org",
        )
        if first_only:
            return
    owned_by_me = record.owner_user_id == scope.user_id or (
        record.owner_team_id is not None and record.owner_team_id in scope.owner_team_ids
    )
    for role in scope.roles:
        depth = scope.role_depth(role, entity, action)
        if (
            action == "create"
            and depth > NONE
            or action != "create"
            and _covers(scope, depth, record, owned_by_me, scope.unit_id, scope.unit_path)
        ):
            yield Grant(
                "role",
                action,
                f"role {role.name} grants {action} at {DEPTH_NAMES[depth]} depth",
                role=role.name,
                depth=DEPTH_NAMES[depth],
            )
            if first_only:
                return
    for team in scope.owner_teams:
        for role in team.roles:
            depth = scope.role_depth(role, entity, action)
            owned_by_team = record.owner_team_id == team.id
            if (
                action == "create"
                and depth > NONE
                or action != "create"
                and _covers(scope, depth, record, owned_by_team, team.unit_id, team.unit_path)
            ):
                yield Grant(
                    "team_role",
                    action,
                    f"team {team.name}'s role {role.name} grants {action} at "
                    f"{DEPTH_NAMES[depth]} depth",
                    role=role.name,
                    depth=DEPTH_NAMES[depth],
                    team=team.name,
                    team_id=team.id,
                )
                if first_only:
                    return
    if action == "create" or record.pk is None or not record_level:
        return
    principal = _share_principal(scope)
    shares = (
        Share.objects.filter(
            principal,
            record_type=ContentType.objects.get_for_model(record),
            record_id=record.pk,
            **{f"can_{action}": True},
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .select_related("team")
    )
    for share in shares:
        until = f" until {share.expires_at.isoformat()}" if share.expires_at else ""
        if share.user_id:
            grant = Grant("share", action, f"shared with them ({action}){until}")
        elif share.team.kind == TeamKind.ACCESS:
            grant = Grant(
                "access_team",
                action,
                f"member of the record's access team {share.team.name}{until}",
                team=share.team.name,
                team_id=share.team_id,
            )
        else:
            grant = Grant(
                "team_share",
                action,
                f"shared with their team {share.team.name}{until}",
                team=share.team.name,
                team_id=share.team_id,
            )
        yield grant
        if first_only:
            return
    if _hierarchy(scope, record, action) and record.owner_user_id:
        link = ManagerClosure.objects.filter(
            ancestor_id=scope.user_id, descendant_id=record.owner_user_id
        ).first()
        if link is not None:
            yield Grant(
                "hierarchy",
                action,
                f"manager of the owner ({link.depth} level(s) above in reports_to)",
            )


def can(user: Any, action: str, record: SecurableModel) -> bool:
    """May `user` do `action` on `record`? Agrees with `visible` for every stored record.

    Role rules are decided in Python from the scope; shares and hierarchy, when needed,
    take one EXISTS query."""
    if next(_grants(user, action, record, first_only=True, record_level=False), None):
        return True
    scope = scope_for(user)
    if scope is None or action == "create" or record.pk is None:
        return False
    return _record_level_exists(scope, record, action)


def _record_level_exists(scope: Scope, record: SecurableModel, action: str) -> bool:
    """Rules 3 and 4 for one record in a single small query. Written in SQL because it is
    the hot path of `can` and the ORM would spend longer composing it than the database
    spends answering; it asks exactly what `ReadScope.share_q` and `hierarchy_q` ask."""
    quote = connection.ops.quote_name
    now = timezone.now()
    share, member = Share._meta.db_table, TeamMembership._meta.db_table
    query = (
        f"SELECT 1 FROM {quote(share)} WHERE record_type_id = %s AND record_id = %s"
        f" AND {quote('can_' + action)} AND (expires_at IS NULL OR expires_at > %s)"
        f" AND (user_id = %s OR team_id IN (SELECT team_id FROM {quote(member)}"
        f" WHERE user_id = %s AND (expires_at IS NULL OR expires_at > %s)))"
    )
    params: list[Any] = [
        ContentType.objects.get_for_model(record).pk,
        record.pk,
        now,
        scope.user_id,
        scope.user_id,
        now,
    ]
    if _hierarchy(scope, record, action) and record.owner_user_id:
        query += (
            f" UNION ALL SELECT 1 FROM {quote(ManagerClosure._meta.db_table)}"
            " WHERE ancestor_id = %s AND descendant_id = %s"
        )
        params += [scope.user_id, record.owner_user_id]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({query})", params)
        return bool(cursor.fetchone()[0])


def explain(user: Any, action: str, record: SecurableModel) -> list[Grant]:
    """Every reason `user` may do `action` on `record`; empty when denied."""
    return list(_grants(user, action, record, first_only=False))
