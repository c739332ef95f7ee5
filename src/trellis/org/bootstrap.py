"""Creating what every installation starts with: the root unit and the built-in roles."""

from __future__ import annotations

from trellis.org.models import BusinessUnit, SecurityRole
from trellis.org.roles import BUILTIN_ROLES

ROOT_UNIT_NAME = "Head Office"


def ensure_root_unit(name: str = ROOT_UNIT_NAME) -> BusinessUnit:
    root = BusinessUnit.objects.filter(parent__isnull=True).first()
    if root is None:
        root = BusinessUnit.objects.create(name=name, path="", depth=0)
        root.path = f"/{root.pk}/"
        root.save(update_fields=["path"])
    return root


def ensure_builtin_roles() -> None:
    for name, (description, full_access, permissions, privileges) in BUILTIN_ROLES.items():
        SecurityRole.objects.update_or_create(
            name=name,
            defaults={
                "description": description,
                "is_builtin": True,
                "full_access": full_access,
                "permissions": permissions,
                "privileges": privileges,
            },
        )


def system_admin_role() -> SecurityRole:
    role = SecurityRole.objects.filter(full_access=True, is_builtin=True).first()
    if role is None:
        ensure_builtin_roles()
        role = SecurityRole.objects.get(full_access=True, is_builtin=True)
    return role
