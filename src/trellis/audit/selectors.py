"""Reading the audit trail. Callers check access to the record before asking."""

from __future__ import annotations

from django.db.models import QuerySet

from trellis.audit.models import AuditEvent


def audit_events_for(entity: str, object_id: int) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(entity=entity, object_id=object_id).order_by("-at", "-id")
