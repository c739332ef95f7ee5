"""REST endpoints of the routing app (DESIGN.md, REST API conventions).

* `/assignment-rules` CRUD (manage_routing); `PATCH` with `enabled` turns a rule on or
  off, with `position` moves it; `POST /assignment-rules/reorder` sets the whole order.
* `POST /assignment-rules/simulate` (JSON) and `/assignment-rules/simulate-file` (a CSV
  upload, one column per fact) run rules without saving and answer the distribution.
* `/queues` CRUD (manage_routing; members of a queue's team see their queues),
  `GET /queues/{id}/items`, `POST /queues/{id}/take-next` (members only; 204 when empty).
* `GET /leads/{id}/assignments`, `/cases/{id}/assignments`,
  `/activities/{id}/assignments` (marketing tasks): the decisions about a record
  ("why did this go to X?"); 404 when the caller cannot read it.
* `POST /leads/assign`, `/cases/assign`: bulk assignment, answered per id.
* `GET /assignments`: decisions about every record the caller can read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from trellis.api.common import (
    ERRORS,
    MAX_ID,
    Id,
    Input,
    Page,
    get_or_404,
    if_match,
    paginate,
)
from trellis.api.records import body_team, body_user
from trellis.core.errors import InvalidInput
from trellis.routing import selectors, services
from trellis.routing.models import AssignmentRule, Queue

router = Router(tags=["routing"])

EntityName = Literal["lead", "case", "activity"]
StrategyName = Literal["fixed", "round_robin", "least_loaded", "skill_match", "queue"]
Name = Field(..., min_length=1, max_length=120)


# Schemas -----------------------------------------------------------------------------------


class RuleOut(Schema):
    id: int
    entity: str
    name: str
    position: int
    enabled: bool
    conditions: list[dict[str, Any]]
    strategy: str
    target_user_id: int | None
    target_team_id: int | None
    target_queue_id: int | None
    skills: list[dict[str, Any]]
    description: str
    version: int
    created_at: dt.datetime
    modified_at: dt.datetime


class RuleIn(Input):
    entity: EntityName
    name: str = Name
    strategy: StrategyName
    conditions: list[dict[str, Any]] = []
    target_user_id: Id | None = None
    target_team_id: Id | None = None
    target_queue_id: Id | None = None
    skills: list[dict[str, Any]] = []
    enabled: bool = True
    position: int | None = Field(None, ge=0, le=100000)
    description: str = Field("", max_length=2000)


class RulePatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    strategy: StrategyName | None = None
    conditions: list[dict[str, Any]] | None = None
    target_user_id: Id | None = None
    target_team_id: Id | None = None
    target_queue_id: Id | None = None
    skills: list[dict[str, Any]] | None = None
    enabled: bool | None = None
    position: int | None = Field(None, ge=0, le=100000)
    description: str | None = Field(None, max_length=2000)


class RuleFilters(Input):
    entity: EntityName | None = None
    limit: int = 50
    cursor: str | None = None
    order: str = "position"


class ReorderIn(Input):
    entity: EntityName
    rule_ids: list[Id]


class SimulateIn(Input):
    entity: EntityName
    rule_ids: list[Id] | None = Field(
        None, description="rules to try, enabled or not (default: the enabled rules)"
    )
    limit: int = Field(2000, description="how many open records to route at most")


class PersonShare(Schema):
    user_id: int
    username: str
    items: int
    load_after: int | None
    capacity: int | None


class TeamShare(Schema):
    team_id: int
    name: str
    items: int


class QueueShare(Schema):
    queue_id: int
    name: str
    items: int


class RuleShare(Schema):
    rule: str
    items: int


class SimulationOut(Schema):
    total: int
    unrouted: int
    escalated: int
    per_user: list[PersonShare]
    per_team: list[TeamShare]
    per_queue: list[QueueShare]
    per_rule: list[RuleShare]


class QueueOut(Schema):
    id: int
    name: str
    entity: str
    team_id: int
    description: str
    waiting: int
    version: int
    created_at: dt.datetime
    modified_at: dt.datetime

    @staticmethod
    def resolve_waiting(obj: Queue) -> int:
        annotated = getattr(obj, "waiting", None)
        return (
            annotated if annotated is not None else obj.items.filter(taken_at__isnull=True).count()
        )


class QueueIn(Input):
    name: str = Name
    entity: EntityName
    team_id: Id
    description: str = Field("", max_length=2000)


class QueuePatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    team_id: Id | None = None
    description: str | None = Field(None, max_length=2000)


class PageIn(Input):
    limit: int = 50
    cursor: str | None = None


class QueueItemOut(Schema):
    id: int
    entity: str
    object_id: int
    label: str
    priority: str
    enqueued_at: dt.datetime


class TakenOut(Schema):
    entity: str
    object_id: int
    label: str
    owner_user_id: int


class DecisionOut(Schema):
    id: int
    entity: str
    object_id: int
    kind: str
    rule_id: int | None
    rule_name: str
    strategy: str
    candidates: list[dict[str, Any]]
    reasons: list[str]
    chosen_user_id: int | None
    chosen_team_id: int | None
    chosen_queue_id: int | None
    actor_id: int | None
    reason: str
    created_at: dt.datetime


class HistoryFilters(PageIn):
    entity: EntityName | None = None


class BulkAssignIn(Input):
    ids: list[Id] = Field(..., min_length=1, max_length=services.MAX_BULK)
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    reason: str = Field("", max_length=1000)


class BulkResult(Schema):
    id: int
    ok: bool
    status: int
    detail: str


class BulkAssignOut(Schema):
    results: list[BulkResult]
    assigned: int


# Helpers -----------------------------------------------------------------------------------


def _queue_ref(pk: int | None, field: str) -> Queue | None:
    if pk is None:
        return None
    return get_or_404(Queue.objects.select_related("team"), pk, "queue", field)


def _rule_targets(data: dict[str, Any]) -> dict[str, Any]:
    """Turn the *_id fields of a rule body into the objects they name (404 naming the
    field when one does not exist)."""
    out = dict(data)
    if "target_user_id" in out:
        out["target_user"] = body_user(out.pop("target_user_id"), "target_user_id")
    if "target_team_id" in out:
        out["target_team"] = body_team(out.pop("target_team_id"), "target_team_id")
    if "target_queue_id" in out:
        out["target_queue"] = _queue_ref(out.pop("target_queue_id"), "target_queue_id")
    return out


# Rules -------------------------------------------------------------------------------------


@router.get("/assignment-rules", response={200: Page[RuleOut], **ERRORS})
def list_rules(request: HttpRequest, filters: Query[RuleFilters]) -> dict:
    """The rules in order (needs manage_routing)."""
    qs = selectors.rule_list(request.user, entity=filters.entity)
    return paginate(
        qs,
        limit=filters.limit,
        cursor=filters.cursor,
        order=filters.order,
        allowed=("position", "name", "modified_at", "id"),
    )


@router.post("/assignment-rules", response={201: RuleOut, **ERRORS})
def create_rule(request: HttpRequest, payload: RuleIn) -> Status:
    """Add a rule (validated: known fields and operators, a target fitting the strategy)."""
    selectors.rule_list(request.user)  # 403 before looking up ids for a non-manager
    rule = services.rule_create(request.user, **_rule_targets(payload.dict()))
    return Status(201, rule)


@router.post("/assignment-rules/reorder", response={200: list[RuleOut], **ERRORS})
def reorder_rules(request: HttpRequest, payload: ReorderIn) -> list[AssignmentRule]:
    """Set the order of an entity's rules (list every rule id once)."""
    return services.rule_reorder(request.user, entity=payload.entity, rule_ids=payload.rule_ids)


@router.post("/assignment-rules/simulate", response={200: SimulationOut, **ERRORS})
def simulate_rules(request: HttpRequest, payload: SimulateIn) -> dict:
    """Route the open records you can see through the rules without saving anything."""
    return services.simulate(
        request.user, entity=payload.entity, rule_ids=payload.rule_ids, limit=payload.limit
    )


@router.post("/assignment-rules/simulate-file", response={200: SimulationOut, **ERRORS})
def simulate_file(
    request: HttpRequest,
    entity: Form[EntityName],
    file: File[UploadedFile],
    rule_ids: Form[str] = "",
) -> dict:
    """Route the rows of a CSV file (one column per fact, e.g. case_type, priority)
    through the rules without saving anything."""
    try:
        ids = [int(part) for part in rule_ids.replace(" ", "").split(",") if part] or None
    except ValueError:
        raise InvalidInput.field("rule_ids", "comma-separated rule ids") from None
    if ids and not all(1 <= pk <= MAX_ID for pk in ids):
        raise InvalidInput.field("rule_ids", "not a rule id")
    if file.size and file.size > 5 * 1024 * 1024:
        raise InvalidInput.field("file", "at most 5 MB")
    return services.simulate(request.user, entity=entity, rule_ids=ids, csv_content=file.read())


@router.get("/assignment-rules/{rule_id}", response={200: RuleOut, **ERRORS})
def read_rule(request: HttpRequest, rule_id: int) -> AssignmentRule:
    return selectors.rule_get(request.user, rule_id)


@router.patch("/assignment-rules/{rule_id}", response={200: RuleOut, **ERRORS})
def update_rule(request: HttpRequest, rule_id: int, payload: RulePatch) -> AssignmentRule:
    """Change a rule; `enabled` switches it on or off. Send If-Match: <version>."""
    rule = selectors.rule_get(request.user, rule_id)
    data = _rule_targets(payload.dict(exclude_unset=True))
    for key in ("name", "strategy", "conditions", "skills", "enabled"):
        if key in data and data[key] is None:
            raise InvalidInput.field(key, "must not be null")
    return services.rule_update(request.user, rule=rule, version=if_match(request), **data)


@router.delete("/assignment-rules/{rule_id}", response={204: None, **ERRORS})
def delete_rule(request: HttpRequest, rule_id: int) -> Status:
    services.rule_delete(request.user, rule=selectors.rule_get(request.user, rule_id))
    return Status(204, None)


# Queues ------------------------------------------------------------------------------------


@router.get("/queues", response={200: Page[QueueOut], **ERRORS})
def list_queues(request: HttpRequest, filters: Query[PageIn]) -> dict:
    """Every queue for routing managers; your teams' queues otherwise."""
    qs = selectors.queue_list(request.user)
    return paginate(qs, limit=filters.limit, cursor=filters.cursor, order="name", allowed=("name",))


@router.post("/queues", response={201: QueueOut, **ERRORS})
def create_queue(request: HttpRequest, payload: QueueIn) -> Status:
    services.require_manager(request.user)
    queue = services.queue_create(
        request.user,
        name=payload.name,
        entity=payload.entity,
        team=body_team(payload.team_id, "team_id"),
        description=payload.description,
    )
    return Status(201, queue)


@router.get("/queues/{queue_id}", response={200: QueueOut, **ERRORS})
def read_queue(request: HttpRequest, queue_id: int) -> Queue:
    return selectors.queue_get(request.user, queue_id)


@router.patch("/queues/{queue_id}", response={200: QueueOut, **ERRORS})
def update_queue(request: HttpRequest, queue_id: int, payload: QueuePatch) -> Queue:
    """Rename a queue or hand it to another team. Send If-Match: <version>."""
    queue = selectors.queue_get(request.user, queue_id)
    data = payload.dict(exclude_unset=True)
    team_id = data.pop("team_id", None)
    team = body_team(team_id, "team_id") if team_id is not None else None
    return services.queue_update(
        request.user, queue=queue, version=if_match(request), team=team, **data
    )


@router.delete("/queues/{queue_id}", response={204: None, **ERRORS})
def delete_queue(request: HttpRequest, queue_id: int) -> Status:
    services.queue_delete(request.user, queue=selectors.queue_get(request.user, queue_id))
    return Status(204, None)


@router.get("/queues/{queue_id}/items", response={200: Page[QueueItemOut], **ERRORS})
def queue_items(request: HttpRequest, queue_id: int, filters: Query[PageIn]) -> dict:
    """What waits in the queue, next first (only records you can read)."""
    queue = selectors.queue_get(request.user, queue_id)
    qs = selectors.queue_items(request.user, queue)
    return paginate(
        qs, limit=filters.limit, cursor=filters.cursor, order="queue_key", allowed=("queue_key",)
    )


@router.post("/queues/{queue_id}/take-next", response={200: TakenOut, 204: None, **ERRORS})
def take_next(request: HttpRequest, queue_id: int) -> Any:
    """Take the next item (highest priority, then oldest); 204 when nothing waits,
    409 when you are at capacity."""
    queue = selectors.queue_get(request.user, queue_id)
    record = services.queue_take_next(request.user, queue=queue)
    if record is None:
        return Status(204, None)
    return {
        "entity": record.access_entity,
        "object_id": record.pk,
        "label": str(record)[:200],
        "owner_user_id": record.owner_user_id,
    }


# Decisions and assignment ------------------------------------------------------------------


@router.get("/assignments", response={200: Page[DecisionOut], **ERRORS})
def assignment_history(request: HttpRequest, filters: Query[HistoryFilters]) -> dict:
    """Routing decisions about the records you can read, newest first."""
    qs = selectors.decision_history(request.user, entity=filters.entity)
    return paginate(
        qs, limit=filters.limit, cursor=filters.cursor, order="-created_at",
        allowed=("created_at",),
    )  # fmt: skip


def _decisions(request: HttpRequest, entity: str, pk: int, filters: PageIn) -> dict:
    record = selectors.record_for(request.user, entity, pk)
    qs = selectors.record_decisions(request.user, record)
    return paginate(
        qs, limit=filters.limit, cursor=filters.cursor, order="-created_at",
        allowed=("created_at",),
    )  # fmt: skip


@router.get("/leads/{lead_id}/assignments", response={200: Page[DecisionOut], **ERRORS})
def lead_assignments(request: HttpRequest, lead_id: int, filters: Query[PageIn]) -> dict:
    """Why the lead went where it went: every decision, newest first."""
    return _decisions(request, "lead", lead_id, filters)


@router.get("/cases/{case_id}/assignments", response={200: Page[DecisionOut], **ERRORS})
def case_assignments(request: HttpRequest, case_id: int, filters: Query[PageIn]) -> dict:
    """Why the case went where it went: every decision, newest first."""
    return _decisions(request, "case", case_id, filters)


@router.get("/activities/{activity_id}/assignments", response={200: Page[DecisionOut], **ERRORS})
def activity_assignments(request: HttpRequest, activity_id: int, filters: Query[PageIn]) -> dict:
    """Why the marketing task went where it went: every decision, newest first."""
    return _decisions(request, "activity", activity_id, filters)


def _bulk(request: HttpRequest, entity: str, payload: BulkAssignIn) -> dict:
    results = services.assign_bulk(
        request.user,
        entity=entity,
        ids=payload.ids,
        owner_user=body_user(payload.owner_user_id, "owner_user_id"),
        owner_team=body_team(payload.owner_team_id, "owner_team_id"),
        reason=payload.reason,
    )
    return {"results": results, "assigned": sum(1 for row in results if row["ok"])}


@router.post("/leads/assign", response={200: BulkAssignOut, **ERRORS})
def bulk_assign_leads(request: HttpRequest, payload: BulkAssignIn) -> dict:
    """Assign the selected leads to one owner, with a reason; answered per id."""
    return _bulk(request, "lead", payload)


@router.post("/cases/assign", response={200: BulkAssignOut, **ERRORS})
def bulk_assign_cases(request: HttpRequest, payload: BulkAssignIn) -> dict:
    """Assign the selected cases to one owner, with a reason; answered per id."""
    return _bulk(request, "case", payload)
