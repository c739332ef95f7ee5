"""What a security-role edit would change: per holder and entity, the records they read now
and the records they would read with the edited matrix.

Only the access engine can say what a role grants, so the preview lives here; the org
app's admin pages (web-layer code) call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from trellis.access.engine import scope_cache, visible
from trellis.access.receivers import securable_models
from trellis.org.models import SecurityRole, TeamKind, User
from trellis.org.roles import ENTITIES

# Each holder costs a scope and one count per entity, twice; past this many the preview
# would make an admin wait, so it says how many it left out instead.
PREVIEW_USER_LIMIT = 50


@dataclass
class HolderChange:
    """One holder's readable-record counts per entity, now and with the edited role."""

    user: User
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> list[tuple[str, int, int, int]]:
        """(entity, now, after, after - now) for the entities whose count changes."""
        return [
            (
                entity,
                self.before[entity],
                self.after[entity],
                self.after[entity] - self.before[entity],
            )
            for entity in self.before
            if self.after[entity] != self.before[entity]
        ]


@dataclass
class RolePreview:
    holders: list[HolderChange]
    total_holders: int
    limit: int

    @property
    def has_changes(self) -> bool:
        return any(holder.rows for holder in self.holders)

    @property
    def left_out(self) -> int:
        return max(0, self.total_holders - len(self.holders))


def role_holders(role: SecurityRole) -> QuerySet[User]:
    """Active users holding `role` directly or through an owner team they belong to now."""
    now = timezone.now()
    through_team = Q(
        memberships__team__kind=TeamKind.OWNER,
        memberships__team__roles=role,
    ) & (Q(memberships__expires_at__isnull=True) | Q(memberships__expires_at__gt=now))
    ids = User.objects.filter(Q(roles=role) | through_team).values("pk")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


def _read_depth(permissions: Mapping[str, Mapping[str, str]] | None, entity: str) -> str:
    return ((permissions or {}).get(entity) or {}).get("read", "none")


def _entity_models() -> dict[str, list[type]]:
    models: dict[str, list[type]] = {}
    for model in securable_models():
        if model.access_entity in ENTITIES:
            models.setdefault(model.access_entity, []).append(model)
    return models


def _readable_counts(users: list[User], models: dict[str, list[type]]) -> list[dict[str, int]]:
    # A fresh scope cache: scopes computed earlier in this request must not be reused,
    # and scopes computed here must not leak out of the preview.
    with scope_cache():
        return [
            {
                entity: sum(visible(user, model, "read").count() for model in entity_models)
                for entity, entity_models in models.items()
            }
            for user in users
        ]


def role_change_preview(
    role: SecurityRole,
    *,
    permissions: Mapping[str, Mapping[str, str]],
    privileges: Mapping[str, str],
    limit: int = PREVIEW_USER_LIMIT,
) -> RolePreview:
    """Count, for up to `limit` holders of `role`, the records of each entity they may read
    now and with `permissions`/`privileges` in place of the role's. The edited matrix is
    written inside a transaction that is always rolled back, so nothing changes."""
    holders = role_holders(role)
    total = holders.count()
    users = list(holders[:limit])
    # Readable records depend only on read depths: entities whose read depth the edit
    # leaves alone cannot change, so they are not counted at all.
    models = {
        entity: entity_models
        for entity, entity_models in _entity_models().items()
        if _read_depth(role.permissions, entity) != _read_depth(permissions, entity)
    }
    if not models:
        return RolePreview(
            holders=[HolderChange(user) for user in users], total_holders=total, limit=limit
        )
    before = _readable_counts(users, models)
    with transaction.atomic():
        SecurityRole.objects.filter(pk=role.pk).update(
            permissions=dict(permissions), privileges=dict(privileges)
        )
        after = _readable_counts(users, models)
        transaction.set_rollback(True)
    changes = [
        HolderChange(user, counts_before, counts_after)
        for user, counts_before, counts_after in zip(users, before, after, strict=True)
    ]
    return RolePreview(holders=changes, total_holders=total, limit=limit)
