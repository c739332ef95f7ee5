"""Reading the audit trail. Callers check access to the record before asking for its
history; the security log checks the caller's privileges itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from trellis.audit.models import AuditEvent
from trellis.core.errors import Forbidden
from trellis.org.selectors import has_privilege

# Events that change who may reach what: the organization's units, people, teams (and
# their members), roles, and on records their owner, shares and access-team members.
SECURITY_ENTITIES = ("unit", "user", "team", "role")
SECURITY_ACTIONS = ("assign", "share", "unshare", "grant", "revoke", "member_add", "member_remove")
# Either privilege lets a person read the security log.
SECURITY_PRIVILEGES = ("manage_org", "manage_roles")


def audit_events_for(entity: str, object_id: int) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(entity=entity, object_id=object_id).order_by("-at", "-id")


def may_read_security_log(actor: Any) -> bool:
    return any(has_privilege(actor, privilege) for privilege in SECURITY_PRIVILEGES)


def security_events(
    actor: Any,
    *,
    entity: str | None = None,
    object_id: int | None = None,
    action: str | None = None,
    actor_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Security changes (SECURITY_ENTITIES and SECURITY_ACTIONS), newest first, filtered.

    Needs manage_org or manage_roles (at any depth: the log is one for the whole
    organization); anyone else gets Forbidden. `since` is inclusive, `until` exclusive."""
    if not may_read_security_log(actor):
        raise Forbidden("you may not read the security log (needs manage_org or manage_roles)")
    events = AuditEvent.objects.filter(
        Q(entity__in=SECURITY_ENTITIES) | Q(action__in=SECURITY_ACTIONS)
    )
    if entity:
        events = events.filter(entity=entity)
    if object_id is not None:
        events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action=action)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.order_by("-at", "-id")
