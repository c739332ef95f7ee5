"""Plain helpers to build organizations and records in tests (no service checks)."""

from __future__ import annotations

import itertools
from typing import Any

from trellis.customers.models import Account
from trellis.org.bootstrap import ensure_root_unit
from trellis.org.closure import rebuild_for
from trellis.org.models import BusinessUnit, SecurityRole, Team, TeamMembership, User

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def root() -> BusinessUnit:
    return ensure_root_unit()


def unit(name: str | None = None, parent: BusinessUnit | None = None) -> BusinessUnit:
    parent = parent or root()
    made = BusinessUnit.objects.create(
        name=name or f"Unit {next(_seq)}", parent=parent, depth=parent.depth + 1
    )
    made.path = f"{parent.path}{made.pk}/"
    made.save(update_fields=["path"])
    return made


def role(name: str) -> SecurityRole:
    return SecurityRole.objects.get(name=name)


def custom_role(
    permissions: dict | None = None, privileges: dict | None = None, **kw: Any
) -> SecurityRole:
    return SecurityRole.objects.create(
        name=kw.pop("name", f"Role {next(_seq)}"),
        permissions=permissions or {},
        privileges=privileges or {},
        **kw,
    )


def user(
    username: str | None = None,
    *,
    unit: BusinessUnit | None = None,
    roles: tuple[str, ...] | list = (),
    reports_to: User | None = None,
    password: str | None = PASSWORD,
    **fields: Any,
) -> User:
    made = User(
        username=username or f"user{next(_seq)}",
        unit=unit or root(),
        reports_to=reports_to,
        **fields,
    )
    made.set_password(password) if password else made.set_unusable_password()
    made.save()
    for name in roles:
        made.roles.add(role(name) if isinstance(name, str) else name)
    rebuild_for(made)
    return made


def team(
    name: str | None = None,
    *,
    unit: BusinessUnit | None = None,
    members: tuple[User, ...] = (),
    roles: tuple[str, ...] = (),
) -> Team:
    made = Team.objects.create(name=name or f"Team {next(_seq)}", unit=unit or root())
    for member in members:
        TeamMembership.objects.create(team=made, user=member)
    for name_ in roles:
        made.roles.add(role(name_) if isinstance(name_, str) else name_)
    return made


def account(owner: User | Team, **fields: Any) -> Account:
    if isinstance(owner, Team):
        owner_fields = {"owner_team": owner, "owning_unit_id": owner.unit_id}
    else:
        owner_fields = {"owner_user": owner, "owning_unit_id": owner.unit_id}
    return Account.objects.create(
        name=fields.pop("name", f"Account {next(_seq)}"), **owner_fields, **fields
    )
