"""/api/v1/audit-events (the security log) and `/api/v1/<resource>/<id>/history` (one
record's audit trail), DESIGN.md REST API conventions.

The security log is for holders of manage_org or manage_roles; a record's history is
for whoever may read the record (anyone else gets 404, as for the record itself)."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from trellis.access import visible
from trellis.access.models import SecurableModel
from trellis.access.receivers import securable_models
from trellis.api.common import ERRORS, DateTime, Id, Input, Page, paginate
from trellis.audit.models import AuditEvent
from trellis.audit.selectors import audit_events_for, security_events

router = Router(tags=["audit"])

ORDER_FIELDS = ("at", "id")


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor: str
    action: str
    entity: str
    object_id: int | None
    object_repr: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(event: AuditEvent) -> str:
        return event.actor_repr


class HistoryParams(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-at"
    count: bool = False


class AuditEventFilters(HistoryParams):
    entity: str | None = None
    object_id: Id | None = None
    action: str | None = None
    actor_id: Id | None = None
    since: DateTime | None = None
    until: DateTime | None = None


def _hide_unreadable_records(actor: Any, events: list[AuditEvent]) -> None:
    """Blank the name of each record (an account, a lead...) the caller may not read: the
    log says that its owner or shares changed, never what it is called. One query per
    entity on the page."""
    models = {model.access_entity: model for model in securable_models()}
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.entity in models and event.object_id is not None:
            wanted.setdefault(event.entity, set()).add(event.object_id)
    readable = {
        entity: set(visible(actor, models[entity]).filter(pk__in=ids).values_list("pk", flat=True))
        for entity, ids in wanted.items()
    }
    for event in events:
        if event.entity in readable and event.object_id not in readable[event.entity]:
            event.object_repr = ""


@router.get(
    "/audit-events", response={200: Page[AuditEventOut], **ERRORS}, operation_id="audit_events"
)
def list_audit_events(request: HttpRequest, filters: Query[AuditEventFilters]) -> dict:
    """Security changes: units, users, teams and their members, roles and grants, and
    record owners, shares and access-team members. Needs manage_org or manage_roles."""
    events = security_events(
        request.user,
        entity=filters.entity,
        object_id=filters.object_id,
        action=filters.action,
        actor_id=filters.actor_id,
        since=filters.since,
        until=filters.until,
    )
    page = paginate(
        events,
        limit=filters.limit,
        cursor=filters.cursor,
        order=filters.order,
        allowed=ORDER_FIELDS,
        count=filters.count,
    )
    _hide_unreadable_records(request.user, page["items"])
    return page


def add_history_route(
    router: Router,
    *,
    resource: str,
    entity: str,
    get: Callable[[Any, int], SecurableModel],
) -> None:
    """Register `GET /{resource}/{id}/history`: the record's audit events, newest first,
    in cursor pages. `get(actor, id)` returns a record the actor may read or raises
    NotFound (404)."""

    id_name = f"{entity}_id"

    def record_history(request: HttpRequest, params: Query[HistoryParams], **ids: int) -> dict:
        record = get(request.user, ids[id_name])
        return paginate(
            audit_events_for(record.access_entity, record.pk),
            limit=params.limit,
            cursor=params.cursor,
            order=params.order,
            allowed=ORDER_FIELDS,
            count=params.count,
        )

    # The path names the id like every other route of the resource (`account_id`).
    record_history.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(id_name, inspect.Parameter.KEYWORD_ONLY, annotation=int),
            inspect.Parameter(
                "params", inspect.Parameter.KEYWORD_ONLY, annotation=Query[HistoryParams]
            ),
        ]
    )
    record_history.__doc__ = f"The audit trail of one {entity}: who changed what, and when."
    router.get(
        f"/{resource}/{{{id_name}}}/history",
        response={200: Page[AuditEventOut], **ERRORS},
        operation_id=f"{entity}_history",
    )(record_history)
