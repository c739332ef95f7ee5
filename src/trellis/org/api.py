"""/api/v1 units, users, teams, roles (DESIGN.md, REST API conventions).

Units, users and teams need `manage_org` and are scoped to the units it reaches; roles need
`manage_roles` or `manage_org` to read. Anything outside the caller's reach answers 404,
ids inside request bodies included. Handlers stay thin: parse, call a service, return.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, AwareDatetime, ConfigDict, StringConstraints

from trellis.api.common import ERRORS, Input, Page, get_or_404, if_match, paginate
from trellis.core.errors import Forbidden
from trellis.org import selectors, services
from trellis.org.models import BusinessUnit, SecurityRole, Team, TeamMembership, User

router = Router(tags=["organization"])

MAX_INT = 2**31 - 1

JobClassName = Literal["front_office", "back_office", "commercial"]
UserTypeName = Literal["internal", "partner"]
TeamKindName = Literal["owner", "access"]
DepthName = Literal["none", "own", "unit", "subtree", "org"]

UnitName = Annotated[str, Field(min_length=1, max_length=120)]
RoleName = Annotated[str, Field(min_length=1, max_length=80)]
Username = Annotated[str, Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")]
Email = Annotated[str, Field(max_length=254)]
PersonName = Annotated[str, Field(max_length=150)]
Title = Annotated[str, Field(max_length=120)]
Phone = Annotated[str, Field(max_length=40)]
Region = Annotated[str, Field(max_length=60)]
LanguageCode = Annotated[str, Field(max_length=10)]
Languages = Annotated[list[LanguageCode], Field(max_length=50)]
Capacity = Annotated[int, Field(ge=0, le=MAX_INT)]
Password = Annotated[str, Field(min_length=1, max_length=4096)]
Description = Annotated[str, Field(max_length=10_000)]


def _in_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


# A moment with its time zone (a bare local time is ambiguous), storable in UTC.
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]

# Ids in query filters: bounded so a huge number answers 422, not a database overflow.
FilterId = Annotated[int, Field(ge=0, le=2**63 - 1)]


# Access ----------------------------------------------------------------------------------


def _require_privilege(request: HttpRequest, *privileges: str) -> None:
    """403 for a signed-in caller who holds none of `privileges` at any depth."""
    if not any(selectors.has_privilege(request.user, name) for name in privileges):
        raise Forbidden(f"this needs the {' or '.join(privileges)} privilege")


# Lookups are scoped to what the caller administers, so anything outside answers 404 like a
# missing id; with `field`, the 404 names the request-body field that carried the id.


def _units(request: HttpRequest) -> QuerySet[BusinessUnit]:
    return selectors.managed_units(request.user)


def _users(request: HttpRequest) -> QuerySet[User]:
    return selectors.managed_users(request.user).prefetch_related("skills__skill")


def _teams(request: HttpRequest) -> QuerySet[Team]:
    return selectors.managed_teams(request.user).prefetch_related("memberships")


def _roles(request: HttpRequest) -> QuerySet[SecurityRole]:
    return selectors.roles_for(request.user)


def _unit(request: HttpRequest, pk: int, field: str | None = None) -> BusinessUnit:
    return get_or_404(_units(request), pk, "unit", field)


def _user(request: HttpRequest, pk: int, field: str | None = None) -> User:
    return get_or_404(_users(request), pk, "user", field)


def _team(request: HttpRequest, pk: int) -> Team:
    return get_or_404(_teams(request), pk, "team")


def _role(request: HttpRequest, pk: int, field: str | None = None) -> SecurityRole:
    return get_or_404(_roles(request), pk, "role", field)


def _optional_unit(request: HttpRequest, pk: int | None, field: str) -> BusinessUnit | None:
    return None if pk is None else _unit(request, pk, field)


def _optional_user(request: HttpRequest, pk: int | None, field: str) -> User | None:
    return None if pk is None else _user(request, pk, field)


def _drop_nulls(data: dict[str, Any], *keep: str) -> dict[str, Any]:
    """PATCH bodies: null means "leave as is", except for the nullable fields in `keep`."""
    return {key: value for key, value in data.items() if value is not None or key in keep}


def _page(qs: QuerySet, filters: Schema, allowed: tuple[str, ...]) -> dict[str, Any]:
    return paginate(
        qs,
        limit=filters.limit,
        cursor=filters.cursor,
        order=filters.order,
        count=filters.count,
        allowed=allowed,
    )


class PageParams(Input):
    limit: int = 50
    cursor: str | None = None
    count: bool = False


class RoleRefIn(Input):
    role_id: int


# Business units --------------------------------------------------------------------------

UNIT_ORDER = ("path", "name", "depth", "created_at", "modified_at", "id")


class UnitOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str
    depth: int
    description: str
    version: int
    created_at: dt.datetime
    modified_at: dt.datetime


class UnitIn(Input):
    name: UnitName
    parent_id: int | None = None
    description: Description = ""


class UnitPatch(Input):
    name: UnitName | None = None
    parent_id: int | None = None
    description: Description | None = None


class UnitFilters(PageParams):
    order: str = "path"
    q: str = ""
    parent_id: FilterId | None = None
    within_id: FilterId | None = Field(None, description="only this unit and the units below it")


@router.get("/units", response={200: Page[UnitOut], **ERRORS})
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> dict:
    """Units the caller administers (manage_org), in tree order by default."""
    _require_privilege(request, "manage_org")
    qs = _units(request)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.parent_id is not None:
        qs = qs.filter(parent_id=filters.parent_id)
    if filters.within_id is not None:
        qs = qs.filter(path__startswith=_unit(request, filters.within_id, "within_id").path)
    return _page(qs, filters, UNIT_ORDER)


@router.post("/units", response={201: UnitOut, **ERRORS})
def create_unit(request: HttpRequest, payload: UnitIn) -> Status:
    _require_privilege(request, "manage_org")
    parent = _optional_unit(request, payload.parent_id, "parent_id")
    unit = services.unit_create(
        request.user, name=payload.name, parent=parent, description=payload.description
    )
    return Status(201, unit)


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS})
def read_unit(request: HttpRequest, unit_id: int) -> BusinessUnit:
    return _unit(request, unit_id)


@router.patch("/units/{unit_id}", response={200: UnitOut, **ERRORS})
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch) -> BusinessUnit:
    """Rename, re-describe or move (`parent_id`) a unit; a move carries its subtree.
    Send If-Match: <version>; a stale version answers 412."""
    unit = _unit(request, unit_id)
    data = _drop_nulls(payload.dict(exclude_unset=True), "parent_id")
    if "parent_id" in data:
        data["parent"] = _optional_unit(request, data.pop("parent_id"), "parent_id")
    return services.unit_update(request.user, unit=unit, version=if_match(request), **data)


@router.delete("/units/{unit_id}", response={204: None, **ERRORS})
def delete_unit(request: HttpRequest, unit_id: int) -> Status:
    """Only an empty unit (no child units, users, teams or owned records) can go; else 409."""
    services.unit_delete(request.user, unit=_unit(request, unit_id))
    return Status(204, None)


# Users -----------------------------------------------------------------------------------

USER_ORDER = ("username", "last_name", "email", "date_joined", "modified_at", "id")


class SkillOut(Schema):
    name: str
    level: int


class SkillItem(Input):
    # Stripped here so "Cement" and "Cement " name one skill, as the service stores them.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    level: Annotated[int, Field(ge=1, le=5)] = 1


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    title: str
    phone: str
    unit_id: int | None
    reports_to_id: int | None
    job_class: JobClassName
    user_type: UserTypeName
    capacity: int
    languages: list[str]
    region: str
    is_out_of_office: bool
    ui_language: str
    is_active: bool
    role_ids: list[int]
    skills: list[SkillOut]
    date_joined: dt.datetime
    last_login: dt.datetime | None
    modified_at: dt.datetime
    version: int

    @staticmethod
    def resolve_role_ids(obj: User) -> list[int]:
        return sorted(role.pk for role in obj.roles.all())

    @staticmethod
    def resolve_skills(obj: User) -> list[dict[str, Any]]:
        held = [{"name": item.skill.name, "level": item.level} for item in obj.skills.all()]
        return sorted(held, key=lambda item: item["name"])


class UserIn(Input):
    username: Username
    password: Password | None = None
    email: Email = ""
    first_name: PersonName = ""
    last_name: PersonName = ""
    title: Title = ""
    phone: Phone = ""
    unit_id: int
    reports_to_id: int | None = None
    job_class: JobClassName = "front_office"
    user_type: UserTypeName = "internal"
    capacity: Capacity = 20
    languages: Languages = []
    region: Region = ""
    is_out_of_office: bool = False
    ui_language: LanguageCode = ""
    is_active: bool = True
    role_ids: list[int] = []
    skills: list[SkillItem] = []


class UserPatch(Input):
    password: Password | None = None
    email: Email | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    title: Title | None = None
    phone: Phone | None = None
    unit_id: int | None = None
    reports_to_id: int | None = None
    job_class: JobClassName | None = None
    user_type: UserTypeName | None = None
    capacity: Capacity | None = None
    languages: Languages | None = None
    region: Region | None = None
    is_out_of_office: bool | None = None
    ui_language: LanguageCode | None = None
    is_active: bool | None = Field(None, description="false deactivates: sign-ins and tokens end")
    skills: list[SkillItem] | None = Field(None, description="replaces all of the user's skills")


class SelfPatch(Input):
    """What people may change about themselves; any other field is refused (422)."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    title: Title | None = None
    phone: Phone | None = None
    languages: Languages | None = None
    is_out_of_office: bool | None = None
    ui_language: LanguageCode | None = None


class UserFilters(PageParams):
    order: str = "username"
    q: str = ""
    unit_id: FilterId | None = None
    reports_to_id: FilterId | None = None
    job_class: JobClassName | None = None
    user_type: UserTypeName | None = None
    is_active: bool | None = None
    region: str | None = None
    role_id: FilterId | None = None
    team_id: FilterId | None = None


def _skills(items: list[dict[str, Any]]) -> dict[str, int]:
    return {item["name"]: item["level"] for item in items}


@router.get("/users", response={200: Page[UserOut], **ERRORS})
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> dict:
    """Users in the units the caller administers (manage_org)."""
    _require_privilege(request, "manage_org")
    qs = _users(request)
    exact = {
        "unit_id": filters.unit_id,
        "reports_to_id": filters.reports_to_id,
        "job_class": filters.job_class,
        "user_type": filters.user_type,
        "is_active": filters.is_active,
        "region": filters.region,
        "roles__id": filters.role_id,
        "memberships__team_id": filters.team_id,
    }
    qs = qs.filter(**{key: value for key, value in exact.items() if value is not None})
    if filters.q:
        qs = qs.filter(
            Q(username__icontains=filters.q)
            | Q(first_name__icontains=filters.q)
            | Q(last_name__icontains=filters.q)
            | Q(email__icontains=filters.q)
        )
    return _page(qs, filters, USER_ORDER)


@router.post("/users", response={201: UserOut, **ERRORS})
def create_user(request: HttpRequest, payload: UserIn) -> Status:
    """Create a user; without a password they cannot sign in until one is set."""
    _require_privilege(request, "manage_org")
    data = payload.dict()
    unit = _unit(request, data.pop("unit_id"), "unit_id")
    reports_to = _optional_user(request, data.pop("reports_to_id"), "reports_to_id")
    roles = [_role(request, pk, "role_ids") for pk in data.pop("role_ids")]
    skills = _skills(data.pop("skills"))
    with transaction.atomic():
        user = services.user_create(
            request.user, unit=unit, reports_to=reports_to, roles=roles, **data
        )
        if skills:
            services.user_set_skills(request.user, user=user, skills=skills)
    return Status(201, user)


# Registered before /users/{user_id} so that "me" is not read as an id.
@router.get("/users/me", response={200: UserOut, **ERRORS})
def read_me(request: HttpRequest) -> User:
    """The signed-in user; needs no privilege."""
    return request.user


@router.patch("/users/me", response={200: UserOut, **ERRORS})
def update_me(request: HttpRequest, payload: SelfPatch) -> User:
    """Change your own contact details, languages and out-of-office flag (If-Match applies)."""
    data = _drop_nulls(payload.dict(exclude_unset=True))
    return services.user_update(request.user, user=request.user, version=if_match(request), **data)


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS})
def read_user(request: HttpRequest, user_id: int) -> User:
    return _user(request, user_id)


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS})
def update_user(request: HttpRequest, user_id: int, payload: UserPatch) -> User:
    """Change a user: details, unit, manager, password, skills; is_active=false deactivates.
    Send If-Match: <version>; a stale version answers 412."""
    user = _user(request, user_id)
    data = _drop_nulls(payload.dict(exclude_unset=True), "reports_to_id", "unit_id")
    if "unit_id" in data:
        data["unit"] = _optional_unit(request, data.pop("unit_id"), "unit_id")
    if "reports_to_id" in data:
        data["reports_to"] = _optional_user(request, data.pop("reports_to_id"), "reports_to_id")
    skills = data.pop("skills", None)
    with transaction.atomic():
        user = services.user_update(request.user, user=user, version=if_match(request), **data)
        if skills is not None:
            services.user_set_skills(request.user, user=user, skills=_skills(skills))
    return user


@router.delete("/users/{user_id}", response={204: None, **ERRORS})
def delete_user(request: HttpRequest, user_id: int) -> Status:
    """Delete a user who owns nothing (409 otherwise: deactivate them instead)."""
    services.user_delete(request.user, user=_user(request, user_id))
    return Status(204, None)


@router.post("/users/{user_id}/grant", response={200: UserOut, **ERRORS})
def grant_user_role(request: HttpRequest, user_id: int, payload: RoleRefIn) -> User:
    """Give the user a security role; delegated admins may grant only roles they hold."""
    user = _user(request, user_id)
    services.user_grant_role(
        request.user, user=user, role=_role(request, payload.role_id, "role_id")
    )
    return _user(request, user_id)


@router.post("/users/{user_id}/revoke", response={200: UserOut, **ERRORS})
def revoke_user_role(request: HttpRequest, user_id: int, payload: RoleRefIn) -> User:
    user = _user(request, user_id)
    services.user_revoke_role(
        request.user, user=user, role=_role(request, payload.role_id, "role_id")
    )
    return _user(request, user_id)


# Teams -----------------------------------------------------------------------------------

TEAM_ORDER = ("name", "created_at", "modified_at", "id")


class MemberOut(Schema):
    user_id: int
    expires_at: dt.datetime | None
    added_at: dt.datetime


class TeamOut(Schema):
    id: int
    name: str
    kind: TeamKindName
    unit_id: int
    description: str
    role_ids: list[int]
    member_ids: list[int]
    members: list[MemberOut]
    leader_id: int | None = None
    version: int
    created_at: dt.datetime
    modified_at: dt.datetime

    @staticmethod
    def resolve_role_ids(obj: Team) -> list[int]:
        return sorted(role.pk for role in obj.roles.all())

    @staticmethod
    def resolve_members(obj: Team) -> list[TeamMembership]:
        """Current members only: an expired membership gives nothing any more."""
        active = [item for item in obj.memberships.all() if item.is_active]
        return sorted(active, key=lambda item: item.user_id)

    @staticmethod
    def resolve_member_ids(obj: Team) -> list[int]:
        return [item.user_id for item in TeamOut.resolve_members(obj)]


class TeamIn(Input):
    name: UnitName
    kind: TeamKindName = "owner"
    unit_id: int
    description: Description = ""
    role_ids: list[int] = []
    leader_id: int | None = None


class TeamPatch(Input):
    name: UnitName | None = None
    unit_id: int | None = None
    description: Description | None = None
    leader_id: int | None = Field(None, description="the team leader; null for none")


class TeamFilters(PageParams):
    order: str = "name"
    q: str = ""
    kind: TeamKindName | None = None
    unit_id: FilterId | None = None
    member_id: FilterId | None = None
    role_id: FilterId | None = None


class MemberIn(Input):
    user_id: int
    expires_at: Moment | None = Field(
        None, description="membership (and the access it gives) ends by itself then"
    )


@router.get("/teams", response={200: Page[TeamOut], **ERRORS})
def list_teams(request: HttpRequest, filters: Query[TeamFilters]) -> dict:
    """Teams in the units the caller administers (manage_org)."""
    _require_privilege(request, "manage_org")
    qs = _teams(request)
    exact = {
        "kind": filters.kind,
        "unit_id": filters.unit_id,
        "memberships__user_id": filters.member_id,
        "roles__id": filters.role_id,
    }
    qs = qs.filter(**{key: value for key, value in exact.items() if value is not None})
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return _page(qs, filters, TEAM_ORDER)


@router.post("/teams", response={201: TeamOut, **ERRORS})
def create_team(request: HttpRequest, payload: TeamIn) -> Status:
    """Create an owner team (access teams belong to records and are made there)."""
    _require_privilege(request, "manage_org")
    unit = _unit(request, payload.unit_id, "unit_id")
    roles = [_role(request, pk, "role_ids") for pk in payload.role_ids]
    team = services.team_create(
        request.user,
        name=payload.name,
        kind=payload.kind,
        unit=unit,
        description=payload.description,
        roles=roles,
        leader=_user(request, payload.leader_id, "leader_id") if payload.leader_id else None,
    )
    return Status(201, team)


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def read_team(request: HttpRequest, team_id: int) -> Team:
    return _team(request, team_id)


@router.patch("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> Team:
    """Rename or move a team. Send If-Match: <version>; a stale version answers 412."""
    team = _team(request, team_id)
    data = _drop_nulls(payload.dict(exclude_unset=True), "unit_id", "leader_id")
    if "unit_id" in data:
        data["unit"] = _optional_unit(request, data.pop("unit_id"), "unit_id")
    if "leader_id" in data:
        leader_id = data.pop("leader_id")
        data["leader"] = _user(request, leader_id, "leader_id") if leader_id else None
    return services.team_update(request.user, team=team, version=if_match(request), **data)


@router.delete("/teams/{team_id}", response={204: None, **ERRORS})
def delete_team(request: HttpRequest, team_id: int) -> Status:
    services.team_delete(request.user, team=_team(request, team_id))
    return Status(204, None)


@router.post("/teams/{team_id}/members", response={201: MemberOut, **ERRORS})
def add_team_member(request: HttpRequest, team_id: int, payload: MemberIn) -> Status:
    """Add a member (or change an existing member's expiry)."""
    team = _team(request, team_id)
    membership = services.team_member_add(
        request.user,
        team=team,
        user=_user(request, payload.user_id, "user_id"),
        expires_at=payload.expires_at,
    )
    return Status(201, membership)


@router.delete("/teams/{team_id}/members/{user_id}", response={204: None, **ERRORS})
def remove_team_member(request: HttpRequest, team_id: int, user_id: int) -> Status:
    team = _team(request, team_id)
    services.team_member_remove(request.user, team=team, user=_user(request, user_id, "user_id"))
    return Status(204, None)


@router.post("/teams/{team_id}/grant", response={200: TeamOut, **ERRORS})
def grant_team_role(request: HttpRequest, team_id: int, payload: RoleRefIn) -> Team:
    """Give an owner team a security role; its members get it, measured from the team's unit."""
    team = _team(request, team_id)
    services.team_grant_role(
        request.user, team=team, role=_role(request, payload.role_id, "role_id")
    )
    return _team(request, team_id)


@router.post("/teams/{team_id}/revoke", response={200: TeamOut, **ERRORS})
def revoke_team_role(request: HttpRequest, team_id: int, payload: RoleRefIn) -> Team:
    team = _team(request, team_id)
    services.team_revoke_role(
        request.user, team=team, role=_role(request, payload.role_id, "role_id")
    )
    return _team(request, team_id)


# Security roles --------------------------------------------------------------------------

ROLE_ORDER = ("name", "created_at", "modified_at", "id")

Permissions = dict[str, dict[str, DepthName]]
Privileges = dict[str, DepthName]


class RoleOut(Schema):
    id: int
    name: str
    description: str
    is_builtin: bool
    full_access: bool
    permissions: dict[str, dict[str, str]]
    privileges: dict[str, str]
    version: int
    created_at: dt.datetime
    modified_at: dt.datetime


class RoleIn(Input):
    name: RoleName
    description: Description = ""
    permissions: Permissions = Field({}, description="entity -> {action: depth}")
    privileges: Privileges = Field({}, description="privilege -> depth")


class RolePatch(Input):
    name: RoleName | None = None
    description: Description | None = None
    permissions: Permissions | None = Field(
        None, description="entities named here get these actions; others keep theirs"
    )
    privileges: Privileges | None = Field(None, description="replaces all privileges")


class RoleCopyIn(Input):
    name: RoleName


class RoleFilters(PageParams):
    order: str = "name"
    q: str = ""
    is_builtin: bool | None = None


@router.get("/roles", response={200: Page[RoleOut], **ERRORS})
def list_roles(request: HttpRequest, filters: Query[RoleFilters]) -> dict:
    """Security roles (needs manage_roles or manage_org)."""
    _require_privilege(request, "manage_roles", "manage_org")
    qs = _roles(request)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.is_builtin is not None:
        qs = qs.filter(is_builtin=filters.is_builtin)
    return _page(qs, filters, ROLE_ORDER)


@router.post("/roles", response={201: RoleOut, **ERRORS})
def create_role(request: HttpRequest, payload: RoleIn) -> Status:
    return Status(201, services.role_create(request.user, **payload.dict()))


@router.get("/roles/{role_id}", response={200: RoleOut, **ERRORS})
def read_role(request: HttpRequest, role_id: int) -> SecurityRole:
    return _role(request, role_id)


@router.patch("/roles/{role_id}", response={200: RoleOut, **ERRORS})
def update_role(request: HttpRequest, role_id: int, payload: RolePatch) -> SecurityRole:
    """Edit a role (needs manage_roles across the organization); every holder is affected
    at once. Send If-Match: <version>; a stale version answers 412."""
    role = _role(request, role_id)
    data = _drop_nulls(payload.dict(exclude_unset=True))
    return services.role_update(request.user, role=role, version=if_match(request), **data)


@router.delete("/roles/{role_id}", response={204: None, **ERRORS})
def delete_role(request: HttpRequest, role_id: int) -> Status:
    """Built-in roles and roles someone holds cannot be deleted (409)."""
    services.role_delete(request.user, role=_role(request, role_id))
    return Status(204, None)


@router.post("/roles/{role_id}/copy", response={201: RoleOut, **ERRORS})
def copy_role(request: HttpRequest, role_id: int, payload: RoleCopyIn) -> Status:
    """A new, editable role with the same rights, e.g. to adapt a built-in one."""
    role = _role(request, role_id)
    return Status(201, services.role_copy(request.user, role=role, name=payload.name))
