"""Writes to the organization. Each service checks the actor's privileges, runs in one
transaction and appends an audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone

from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from trellis.core.fields import diff, snapshot
from trellis.org import closure, signals
from trellis.org.auth import tokens_revoke_all
from trellis.org.models import (
    AccessTeamTemplate,
    BusinessUnit,
    JobClass,
    SecurityRole,
    Skill,
    Team,
    TeamKind,
    TeamMembership,
    User,
    UserSkill,
    UserType,
)
from trellis.org.roles import ACTIONS, ENTITIES, ORG, validate_matrix
from trellis.org.selectors import privilege_covers_unit, privilege_depth, privilege_grants


def check_version(obj: Any, version: int | None) -> None:
    """Optimistic concurrency: refuse when the caller's version is not the stored one."""
    if version is not None and int(version) != obj.version:
        raise StaleVersion(
            f"{obj._meta.verbose_name} was changed by someone else (version is {obj.version}, "
            f"you sent {version}); reload and try again",
            [("version", f"stale: current version is {obj.version}")],
        )


def _touch(obj: Any) -> None:
    obj.version = (obj.version or 0) + 1
    obj.modified_at = timezone.now()


def _require_unit_admin(actor: User, unit: BusinessUnit | None) -> None:
    if not privilege_covers_unit(actor, "manage_org", unit):
        raise Forbidden("you may not manage this part of the organization (needs manage_org)")


@contextmanager
def _unique(field: str, message: str) -> Iterator[None]:
    """Turn a unique-constraint race (two requests creating the same name) into a 409."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise Conflict.field(field, message) from None


def _require_name(name: str | None, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput.field(field, "must not be empty")
    return name


# Business units -------------------------------------------------------------------------


@transaction.atomic
def unit_create(
    actor: User, *, name: str, parent: BusinessUnit | None, description: str = ""
) -> BusinessUnit:
    """Create a unit under `parent`. A second root is refused."""
    name = _require_name(name)
    if parent is None:
        if BusinessUnit.objects.exists():
            raise InvalidInput.field("parent_id", "the organization already has a root unit")
        _require_unit_admin(actor, None)
    else:
        _require_unit_admin(actor, parent)
    if BusinessUnit.objects.filter(parent=parent, name=name).exists():
        raise Conflict.field("name", f"a unit named {name!r} already exists there")
    with _unique("name", f"a unit named {name!r} already exists there"):
        unit = BusinessUnit.objects.create(
            name=name,
            parent=parent,
            description=description,
            depth=parent.depth + 1 if parent else 0,
        )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_record(actor, "create", unit, entity="unit", changes=snapshot(unit))
    return unit


@transaction.atomic
def unit_update(
    actor: User,
    *,
    unit: BusinessUnit,
    version: int | None = None,
    name: str | None = None,
    description: str | None = None,
    parent: BusinessUnit | None | Any = ...,
) -> BusinessUnit:
    """Rename, re-describe or move a unit (a move carries its whole subtree)."""
    unit = BusinessUnit.objects.select_for_update().get(pk=unit.pk)
    _require_unit_admin(actor, unit)
    check_version(unit, version)
    before = snapshot(unit)
    if name is not None:
        name = _require_name(name)
        if (
            BusinessUnit.objects.filter(parent_id=unit.parent_id, name=name)
            .exclude(pk=unit.pk)
            .exists()
        ):
            raise Conflict.field("name", f"a unit named {name!r} already exists there")
        unit.name = name
    if description is not None:
        unit.description = description
    if parent is not ... and parent != unit.parent:
        _move(actor, unit, parent)
    _touch(unit)
    unit.save()
    audit_record(actor, "update", unit, entity="unit", changes=diff(before, snapshot(unit)))
    return unit


def _move(actor: User, unit: BusinessUnit, parent: BusinessUnit | None) -> None:
    if parent is None:
        raise InvalidInput.field("parent_id", "the root unit cannot be replaced by a move")
    if unit.parent_id is None:
        raise InvalidInput.field("parent_id", "the root unit cannot be moved")
    if parent.path.startswith(unit.path):
        raise InvalidInput.field("parent_id", "a unit cannot move under itself or its descendant")
    _require_unit_admin(actor, parent)
    old_path, new_path = unit.path, f"{parent.path}{unit.pk}/"
    delta = parent.depth + 1 - unit.depth
    BusinessUnit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
        depth=F("depth") + delta,
    )
    unit.refresh_from_db(fields=["path", "depth"])
    unit.parent = parent


@transaction.atomic
def unit_delete(actor: User, *, unit: BusinessUnit) -> None:
    """Delete an empty unit: no child units, users, teams or owned records."""
    _require_unit_admin(actor, unit)
    if unit.parent_id is None:
        raise Conflict("the root unit cannot be deleted")
    reasons = []
    if unit.children.exists():
        reasons.append(f"{unit.children.count()} child unit(s)")
    if unit.users.exists():
        reasons.append(f"{unit.users.count()} user(s)")
    if unit.teams.exists():
        reasons.append(f"{unit.teams.count()} team(s)")
    if reasons:
        raise Conflict(f"unit {unit.name!r} is not empty: it has {', '.join(reasons)}")
    before = snapshot(unit)
    pk = unit.pk
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError as exc:
        raise Conflict(
            f"unit {unit.name!r} still owns {len(exc.protected_objects)} record(s); "
            "reassign them first"
        ) from None
    audit_record(
        actor,
        "delete",
        None,
        entity="unit",
        object_id=pk,
        object_repr=before["name"],
        changes=before,
    )


# Users ------------------------------------------------------------------------------------

USER_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "job_class",
    "user_type",
    "capacity",
    "languages",
    "region",
    "is_out_of_office",
    "ui_language",
    "is_active",
)


# What people may change about themselves without manage_org.
SELF_FIELDS = {
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "languages",
    "is_out_of_office",
    "ui_language",
}


def _validate_user_fields(fields: Mapping[str, Any]) -> None:
    if "job_class" in fields and fields["job_class"] not in JobClass.values:
        raise InvalidInput.field("job_class", f"must be one of {', '.join(JobClass.values)}")
    if "user_type" in fields and fields["user_type"] not in UserType.values:
        raise InvalidInput.field("user_type", f"must be one of {', '.join(UserType.values)}")
    if "capacity" in fields and (fields["capacity"] is None or int(fields["capacity"]) < 0):
        raise InvalidInput.field("capacity", "must be zero or more")
    if "languages" in fields and not isinstance(fields["languages"], list):
        raise InvalidInput.field("languages", "must be a list of language codes")


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise InvalidInput(
            "password: " + " ".join(exc.messages),
            [("password", message) for message in exc.messages],
        ) from None
    user.set_password(password)


@transaction.atomic
def user_create(
    actor: User,
    *,
    username: str,
    unit: BusinessUnit,
    password: str | None = None,
    reports_to: User | None = None,
    roles: Iterable[SecurityRole] = (),
    **fields: Any,
) -> User:
    """Create a user in `unit`. Without a password the account cannot sign in until one is set."""
    username = _require_name(username, "username")
    if unit is None:
        raise InvalidInput.field("unit_id", "every user belongs to a unit")
    _require_unit_admin(actor, unit)
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    _validate_user_fields(fields)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict.field("username", f"{username!r} is taken")
    user = User(username=username, unit=unit, reports_to=reports_to, **fields)
    if password:
        _set_password(user, password)
    else:
        user.set_unusable_password()
    with _unique("username", f"{username!r} is taken"):
        user.save()
    closure.rebuild_for(user)
    audit_record(actor, "create", user, entity="user", changes=snapshot(user))
    for role in roles:
        user_grant_role(actor, user=user, role=role)
    return user


@transaction.atomic
def user_update(
    actor: User,
    *,
    user: User,
    version: int | None = None,
    unit: BusinessUnit | None | Any = ...,
    reports_to: User | None | Any = ...,
    password: str | None = None,
    **fields: Any,
) -> User:
    """Change a user. A new unit carries the owning unit of everything they own with it; a
    new manager updates the hierarchy closure; deactivation ends sessions and tokens."""
    user = User.objects.select_for_update().get(pk=user.pk)
    self_service = (
        actor.pk == user.pk and unit is ... and reports_to is ... and set(fields) <= SELF_FIELDS
    )
    if not self_service:
        _require_unit_admin(actor, user.unit)
    check_version(user, version)
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    _validate_user_fields(fields)
    if actor.pk == user.pk and fields.get("is_active") is False:
        raise InvalidInput.field("is_active", "you cannot deactivate yourself")
    before = snapshot(user)
    for key, value in fields.items():
        setattr(user, key, value)
    old_unit_id = user.unit_id
    if unit is not ... and unit is not None and unit.pk != old_unit_id:
        _require_unit_admin(actor, unit)
        user.unit = unit
    elif unit is None:
        raise InvalidInput.field("unit_id", "every user belongs to a unit")
    if reports_to is not ...:
        new_manager_id = reports_to.pk if reports_to else None
        if closure.would_cycle(user, new_manager_id):
            raise InvalidInput.field("reports_to_id", "this would make a reporting cycle")
        user.reports_to_id = new_manager_id
    if password:
        _set_password(user, password)
    _touch(user)
    user.save()
    if reports_to is not ... and before["reports_to_id"] != user.reports_to_id:
        closure.rebuild_for(user)
    if before["is_active"] and not user.is_active:
        tokens_revoke_all(actor, user=user)
    if user.unit_id != old_unit_id:
        signals.user_unit_changed.send(
            User, user=user, old_unit_id=old_unit_id, new_unit_id=user.unit_id
        )
    changes = diff(before, snapshot(user))
    changes.pop("password", None)
    audit_record(actor, "update", user, entity="user", changes=changes)
    return user


def user_set_language(actor: User, *, language: str) -> User:
    """Save the interface language the actor chose for themselves ("" = follow the browser).
    Goes through `user_update`, so it is one audited transaction like any other self-edit."""
    language = (language or "").strip().lower()
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise InvalidInput.field("language", f"{language!r} is not an available language")
    return user_update(actor, user=actor, ui_language=language)


@transaction.atomic
def user_delete(actor: User, *, user: User) -> None:
    """Delete a user who owns nothing; otherwise say so (deactivate them instead)."""
    _require_unit_admin(actor, user.unit)
    if user.pk == actor.pk:
        raise Conflict("you cannot delete yourself")
    before = snapshot(user)
    pk = user.pk
    reports = list(user.direct_reports.all())
    try:
        with transaction.atomic():
            user.delete()
    except ProtectedError as exc:
        raise Conflict(
            f"{user.username} still owns {len(exc.protected_objects)} record(s); reassign them "
            "or deactivate the user (is_active=false)"
        ) from None
    # Their reports now report to no one: their closure rows to the chain above must go too.
    for report in reports:
        report.reports_to_id = None
        closure.rebuild_for(report)
    audit_record(
        actor,
        "delete",
        None,
        entity="user",
        object_id=pk,
        object_repr=before["username"],
        changes=before,
    )


def _may_grant(actor: User, role: SecurityRole) -> bool:
    """Delegated administration: grant only roles you hold, unless you manage roles org-wide."""
    if privilege_depth(actor, "manage_roles") >= ORG:
        return True
    return actor.roles.filter(pk=role.pk).exists()


@transaction.atomic
def user_grant_role(actor: User, *, user: User, role: SecurityRole) -> None:
    _require_unit_admin(actor, user.unit)
    if not _may_grant(actor, role):
        raise Forbidden(f"you may only grant roles you hold yourself; you lack {role.name!r}")
    if user.roles.filter(pk=role.pk).exists():
        return
    user.roles.add(role)
    audit_record(actor, "grant", user, entity="user", changes={"role": [None, role.name]})


@transaction.atomic
def user_revoke_role(actor: User, *, user: User, role: SecurityRole) -> None:
    _require_unit_admin(actor, user.unit)
    if not _may_grant(actor, role):
        raise Forbidden(f"you may only revoke roles you hold yourself; you lack {role.name!r}")
    if not user.roles.filter(pk=role.pk).exists():
        raise NotFound.field("role_id", f"{user.username} does not hold {role.name!r}")
    user.roles.remove(role)
    audit_record(actor, "revoke", user, entity="user", changes={"role": [role.name, None]})


@transaction.atomic
def user_set_skills(actor: User, *, user: User, skills: Mapping[str, int]) -> None:
    """Replace a user's skills with `skills` (name -> level 1..5)."""
    _require_unit_admin(actor, user.unit)
    for name, level in skills.items():
        if not name.strip():
            raise InvalidInput.field("skills", "skill names must not be empty")
        if not 1 <= int(level) <= 5:
            raise InvalidInput.field("skills", f"{name}: level must be 1 to 5")
    before = {s.skill.name: s.level for s in user.skills.select_related("skill")}
    user.skills.all().delete()
    for name, level in skills.items():
        skill, _ = Skill.objects.get_or_create(name=name.strip())
        UserSkill.objects.create(user=user, skill=skill, level=int(level))
    audit_record(actor, "update", user, entity="user", changes={"skills": [before, dict(skills)]})


# Teams ------------------------------------------------------------------------------------


@transaction.atomic
def team_create(
    actor: User,
    *,
    name: str,
    unit: BusinessUnit,
    kind: str = TeamKind.OWNER,
    description: str = "",
    roles: Iterable[SecurityRole] = (),
    leader: User | None = None,
) -> Team:
    name = _require_name(name)
    if kind != TeamKind.OWNER:
        raise InvalidInput.field(
            "kind", "only owner teams are created here; access teams belong to a record"
        )
    if unit is None:
        raise InvalidInput.field("unit_id", "a team belongs to a unit")
    _require_unit_admin(actor, unit)
    if Team.objects.filter(kind=TeamKind.OWNER, unit=unit, name=name).exists():
        raise Conflict.field("name", f"a team named {name!r} already exists in {unit.name}")
    with _unique("name", f"a team named {name!r} already exists in {unit.name}"):
        team = Team.objects.create(
            name=name, unit=unit, kind=kind, description=description, leader=_leader(leader)
        )
    audit_record(actor, "create", team, entity="team", changes=snapshot(team))
    for role in roles:
        team_grant_role(actor, team=team, role=role)
    return team


def _leader(leader: User | None) -> User | None:
    """A team leader must be an active person (routing and SLA escalate to them)."""
    if leader is not None and not leader.is_active:
        raise InvalidInput.field("leader_id", f"{leader.username} is deactivated")
    return leader


@transaction.atomic
def team_update(
    actor: User,
    *,
    team: Team,
    version: int | None = None,
    name: str | None = None,
    description: str | None = None,
    unit: BusinessUnit | None | Any = ...,
    leader: User | None | Any = ...,
) -> Team:
    """Rename or move a team, or name its leader (None: no leader); a new unit carries
    the owning unit of the team's records."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    _require_unit_admin(actor, team.unit)
    check_version(team, version)
    before = snapshot(team)
    if name is not None:
        team.name = _require_name(name)
    if description is not None:
        team.description = description
    if leader is not ...:
        team.leader = _leader(leader)
    old_unit_id = team.unit_id
    if unit is not ...:
        if unit is None:
            raise InvalidInput.field("unit_id", "a team belongs to a unit")
        _require_unit_admin(actor, unit)
        team.unit = unit
    _touch(team)
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:
        raise Conflict.field("name", f"a team named {team.name!r} already exists there") from None
    if team.unit_id != old_unit_id:
        signals.team_unit_changed.send(
            Team, team=team, old_unit_id=old_unit_id, new_unit_id=team.unit_id
        )
    audit_record(actor, "update", team, entity="team", changes=diff(before, snapshot(team)))
    return team


@transaction.atomic
def team_delete(actor: User, *, team: Team) -> None:
    _require_unit_admin(actor, team.unit)
    before = snapshot(team)
    pk = team.pk
    try:
        with transaction.atomic():
            team.delete()
    except ProtectedError as exc:
        raise Conflict(
            f"team {team.name!r} still owns {len(exc.protected_objects)} record(s); "
            "reassign them first"
        ) from None
    audit_record(
        actor,
        "delete",
        None,
        entity="team",
        object_id=pk,
        object_repr=before["name"],
        changes=before,
    )


@transaction.atomic
def team_member_add(
    actor: User,
    *,
    team: Team,
    user: User,
    expires_at: dt.datetime | None = None,
    check: bool = True,
) -> TeamMembership:
    """Add `user` to `team`, optionally until `expires_at` (then access ends by itself).

    `check=False` is for callers that checked rights themselves (record access teams)."""
    if check:
        _require_unit_admin(actor, team.unit)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput.field("expires_at", "must be in the future")
    membership, created = TeamMembership.objects.update_or_create(
        team=team, user=user, defaults={"expires_at": expires_at}
    )
    audit_record(
        actor,
        "member_add",
        team,
        entity="team",
        changes={
            "member": [None, user.username],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
        },
    )
    return membership


@transaction.atomic
def team_member_remove(actor: User, *, team: Team, user: User, check: bool = True) -> None:
    if check:
        _require_unit_admin(actor, team.unit)
    deleted, _ = TeamMembership.objects.filter(team=team, user=user).delete()
    if not deleted:
        raise NotFound.field("user_id", f"{user.username} is not a member of {team.name}")
    audit_record(
        actor, "member_remove", team, entity="team", changes={"member": [user.username, None]}
    )


@transaction.atomic
def team_grant_role(actor: User, *, team: Team, role: SecurityRole) -> None:
    _require_unit_admin(actor, team.unit)
    if team.kind != TeamKind.OWNER:
        raise InvalidInput.field("role_id", "only owner teams carry security roles")
    if not _may_grant(actor, role):
        raise Forbidden(f"you may only grant roles you hold yourself; you lack {role.name!r}")
    team.roles.add(role)
    audit_record(actor, "grant", team, entity="team", changes={"role": [None, role.name]})


@transaction.atomic
def team_revoke_role(actor: User, *, team: Team, role: SecurityRole) -> None:
    _require_unit_admin(actor, team.unit)
    if not _may_grant(actor, role):
        raise Forbidden(f"you may only revoke roles you hold yourself; you lack {role.name!r}")
    if not team.roles.filter(pk=role.pk).exists():
        raise NotFound.field("role_id", f"{team.name} does not hold {role.name!r}")
    team.roles.remove(role)
    audit_record(actor, "revoke", team, entity="team", changes={"role": [role.name, None]})


# Security roles ---------------------------------------------------------------------------


def _require_roles_admin(actor: User, org_wide: bool) -> None:
    grants = privilege_grants(actor, "manage_roles")
    if not grants or (org_wide and max(g.depth for g in grants) < ORG):
        raise Forbidden("you may not manage security roles (needs manage_roles)")


def _validated_matrix(permissions: Any, privileges: Any) -> None:
    errors = validate_matrix(permissions, privileges)
    if errors:
        raise InvalidInput("; ".join(f"{field}: {message}" for field, message in errors), errors)


@transaction.atomic
def role_create(
    actor: User,
    *,
    name: str,
    description: str = "",
    permissions: Mapping | None = None,
    privileges: Mapping | None = None,
) -> SecurityRole:
    _require_roles_admin(actor, org_wide=False)
    name = _require_name(name)
    permissions, privileges = dict(permissions or {}), dict(privileges or {})
    _validated_matrix(permissions, privileges)
    if SecurityRole.objects.filter(name__iexact=name).exists():
        raise Conflict.field("name", f"a role named {name!r} exists")
    with _unique("name", f"a role named {name!r} exists"):
        role = SecurityRole.objects.create(
            name=name, description=description, permissions=permissions, privileges=privileges
        )
    audit_record(actor, "create", role, entity="role", changes=snapshot(role))
    return role


@transaction.atomic
def role_copy(actor: User, *, role: SecurityRole, name: str) -> SecurityRole:
    """A new, editable role with the same matrix as `role`."""
    return role_create(
        actor,
        name=name,
        description=role.description,
        permissions=role.permissions,
        privileges=role.privileges,
    )


@transaction.atomic
def role_update(
    actor: User,
    *,
    role: SecurityRole,
    version: int | None = None,
    name: str | None = None,
    description: str | None = None,
    permissions: Mapping | None = None,
    privileges: Mapping | None = None,
) -> SecurityRole:
    """Edit a role. Changing its matrix changes, at once, what every holder may reach."""
    _require_roles_admin(actor, org_wide=True)
    role = SecurityRole.objects.select_for_update().get(pk=role.pk)
    check_version(role, version)
    if role.full_access and (permissions is not None or privileges is not None):
        raise InvalidInput.field("permissions", "the System Administrator role always has all")
    before = snapshot(role)
    if name is not None:
        name = _require_name(name)
        if SecurityRole.objects.filter(name__iexact=name).exclude(pk=role.pk).exists():
            raise Conflict.field("name", f"a role named {name!r} exists")
        role.name = name
    if description is not None:
        role.description = description
    new_permissions = dict(role.permissions)
    if permissions is not None:
        # Entities not named keep their rows; a named entity's actions are replaced.
        for entity, actions in permissions.items():
            new_permissions[entity] = actions
    new_privileges = dict(privileges) if privileges is not None else role.privileges
    _validated_matrix(new_permissions, new_privileges)
    role.permissions, role.privileges = new_permissions, new_privileges
    _touch(role)
    role.save()
    audit_record(actor, "update", role, entity="role", changes=diff(before, snapshot(role)))
    return role


@transaction.atomic
def role_delete(actor: User, *, role: SecurityRole) -> None:
    _require_roles_admin(actor, org_wide=True)
    if role.is_builtin:
        raise Conflict("built-in roles cannot be deleted; copy and edit them instead")
    held = role.users.count() + role.teams.count()
    if held:
        raise Conflict(f"role {role.name!r} is held by {held} user(s)/team(s); revoke it first")
    before = snapshot(role)
    pk = role.pk
    role.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="role",
        object_id=pk,
        object_repr=before["name"],
        changes=before,
    )


# Access-team templates --------------------------------------------------------------------

# The rights a template can give on its record: every action except `create` (that one is
# about new records, not an existing one).
TEMPLATE_RIGHTS: tuple[str, ...] = tuple(action for action in ACTIONS if action != "create")


def _validated_template(entity: str, rights: Iterable[str]) -> list[str]:
    if entity not in ENTITIES:
        raise InvalidInput.field("entity", f"unknown entity {entity!r}")
    rights = list(dict.fromkeys(rights))
    unknown = [right for right in rights if right not in TEMPLATE_RIGHTS]
    if unknown:
        raise InvalidInput.field("rights", f"unknown right {unknown[0]!r}")
    if "read" not in rights:
        # Members of an access team must at least see the record they are on.
        rights.insert(0, "read")
    return rights


@transaction.atomic
def template_create(
    actor: User, *, name: str, entity: str, rights: Iterable[str], description: str = ""
) -> AccessTeamTemplate:
    """Create an access-team template; templates are organization-wide (manage_roles, org)."""
    _require_roles_admin(actor, org_wide=True)
    name = _require_name(name)
    rights = _validated_template(entity, rights)
    if AccessTeamTemplate.objects.filter(name__iexact=name).exists():
        raise Conflict.field("name", f"a template named {name!r} exists")
    with _unique("name", f"a template named {name!r} exists"):
        template = AccessTeamTemplate.objects.create(
            name=name, entity=entity, rights=rights, description=description
        )
    audit_record(
        actor, "create", template, entity="access_team_template", changes=snapshot(template)
    )
    return template


@transaction.atomic
def template_update(
    actor: User,
    *,
    template: AccessTeamTemplate,
    name: str | None = None,
    entity: str | None = None,
    rights: Iterable[str] | None = None,
    description: str | None = None,
) -> AccessTeamTemplate:
    """Change a template; its rights apply at once to every access team made from it."""
    _require_roles_admin(actor, org_wide=True)
    template = AccessTeamTemplate.objects.select_for_update().get(pk=template.pk)
    before = snapshot(template)
    if name is not None:
        name = _require_name(name)
        if AccessTeamTemplate.objects.filter(name__iexact=name).exclude(pk=template.pk).exists():
            raise Conflict.field("name", f"a template named {name!r} exists")
        template.name = name
    new_entity = template.entity if entity is None else entity
    if new_entity != template.entity and template.teams.exists():
        raise Conflict.field("entity", "access teams already use this template; keep its entity")
    template.rights = _validated_template(new_entity, template.rights if rights is None else rights)
    template.entity = new_entity
    if description is not None:
        template.description = description
    with _unique("name", f"a template named {template.name!r} exists"):
        template.save()
    audit_record(
        actor,
        "update",
        template,
        entity="access_team_template",
        changes=diff(before, snapshot(template)),
    )
    return template


@transaction.atomic
def template_delete(actor: User, *, template: AccessTeamTemplate) -> None:
    """Delete a template no access team uses."""
    _require_roles_admin(actor, org_wide=True)
    used = template.teams.count()
    if used:
        raise Conflict(f"template {template.name!r} is used by {used} access team(s)")
    before = snapshot(template)
    pk = template.pk
    template.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="access_team_template",
        object_id=pk,
        object_repr=before["name"],
        changes=before,
    )
