"""Writing audit events. Called by other apps' services inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from trellis.audit.models import AuditEvent


def entity_of(obj: models.Model) -> str:
    return getattr(obj, "access_entity", None) or obj._meta.model_name


def audit_record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    entity: str | None = None,
    object_id: int | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    """Append one audit event. `actor` may be None for system work (migrations, workers)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=(getattr(actor, "username", "") or "system")[:150],
        action=action,
        entity=entity or (entity_of(obj) if obj is not None else ""),
        object_id=object_id if object_id is not None else getattr(obj, "pk", None),
        object_repr=(object_repr if object_repr is not None else str(obj or ""))[:200],
        changes=changes or {},
    )
