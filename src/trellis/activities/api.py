"""/api/v1 resources of the activities app: activities (with attendees and scheduling),
the calendar, notes and record timelines (DESIGN.md, REST API conventions). Handlers stay
thin: parse, call one service or selector, return."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from trellis.access.models import SecurableModel
from trellis.activities import selectors, services
from trellis.activities.models import Activity, Note
from trellis.activities.records import entity_of_type, readable_record
from trellis.activities.selectors import TimelineEntry, activity_get, activity_list
from trellis.api.common import (
    ERRORS,
    DateTime,
    Id,
    Input,
    Page,
    get_or_404,
    if_match,
    paginate,
)
from trellis.api.records import add_record_routes, body_team, body_user
from trellis.audit.api import add_history_route
from trellis.core.errors import InvalidInput
from trellis.org.models import BusinessUnit, User

router = Router(tags=["activities"])

ORDER_FIELDS = ("modified_at", "created_at", "subject", "id")
NOTE_ORDER_FIELDS = ("created_at", "id")

Kind = Literal["task", "call", "meeting", "email"]
Status_ = Literal["open", "completed", "cancelled"]
Priority = Literal["low", "normal", "high", "urgent"]
Response = Literal["none", "accepted", "declined"]


class AttendeeOut(Schema):
    user_id: int
    response: str


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    description: str
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    due_at: dt.datetime | None
    all_day: bool
    status: str
    priority: str
    completed_at: dt.datetime | None
    location: str
    regarding_type: str | None
    regarding_id: int | None
    reminder_at: dt.datetime | None
    attendees: list[AttendeeOut]
    owner_user_id: int | None
    owner_team_id: int | None
    owning_unit_id: int
    created_by_id: int | None
    modified_by_id: int | None
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int

    @staticmethod
    def resolve_regarding_type(obj: Activity) -> str | None:
        return entity_of_type(obj.regarding_type_id)

    @staticmethod
    def resolve_attendees(obj: Activity) -> list[dict[str, Any]]:
        return [{"user_id": a.user_id, "response": a.response} for a in obj.attendees.all()]


class ActivityIn(Input):
    kind: Kind
    subject: str
    description: str = ""
    start_at: DateTime | None = None
    end_at: DateTime | None = None
    due_at: DateTime | None = None
    all_day: bool = False
    status: Status_ = "open"
    priority: Priority = "normal"
    location: str = ""
    regarding_type: str | None = None
    regarding_id: Id | None = None
    reminder_at: DateTime | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    attendee_ids: list[Id] = []


class ActivityPatch(Input):
    """Only the fields sent change. null clears description, location, times and the
    regarding record; the kind of an activity does not change."""

    subject: str | None = None
    description: str | None = None
    start_at: DateTime | None = None
    end_at: DateTime | None = None
    due_at: DateTime | None = None
    all_day: bool | None = None
    status: Status_ | None = None
    priority: Priority | None = None
    location: str | None = None
    regarding_type: str | None = None
    regarding_id: Id | None = None
    reminder_at: DateTime | None = None

    @field_validator("description", "location")
    @classmethod
    def _null_clears(cls, value: str | None) -> str:
        return value or ""


class ActivityFilters(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-modified_at"
    count: bool = False
    q: str = ""
    mine: bool = False
    overdue: bool = False
    kind: Kind | None = None
    status: Status_ | None = None
    priority: Priority | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None
    regarding_type: str | None = None
    regarding_id: Id | None = None
    due_before: DateTime | None = None
    due_after: DateTime | None = None


class ScheduleIn(Input):
    kind: Kind
    subject: str
    description: str = ""
    start_at: DateTime | None = None
    end_at: DateTime | None = None
    due_at: DateTime | None = None
    all_day: bool = False
    priority: Priority = "normal"
    location: str = ""
    regarding_type: str | None = None
    regarding_id: Id | None = None
    reminder_at: DateTime | None = None
    for_user_id: Id | None = None
    for_team_id: Id | None = None
    for_unit_id: Id | None = None


class ActivitiesOut(Schema):
    items: list[ActivityOut]


class AttendeeIn(Input):
    user_id: Id


class RespondIn(Input):
    response: Response


class CalendarQuery(Input):
    start: DateTime
    end: DateTime
    scope: Literal["me", "team", "unit"] = "me"
    team_id: Id | None = None
    unit_id: Id | None = None


class NoteOut(Schema):
    id: int
    record_type: str | None
    record_id: int
    body: str
    pinned: bool
    created_by_id: int | None
    created_at: dt.datetime
    modified_at: dt.datetime

    @staticmethod
    def resolve_record_type(obj: Note) -> str | None:
        return entity_of_type(obj.regarding_type_id)

    @staticmethod
    def resolve_record_id(obj: Note) -> int:
        return obj.regarding_id


class RecordQuery(Input):
    record_type: str
    record_id: Id


class NoteFilters(RecordQuery):
    limit: int = 50
    cursor: str | None = None
    order: str = "-created_at"
    count: bool = False


class NoteIn(Input):
    record_type: str
    record_id: Id
    body: str
    pinned: bool = False


class NotePatch(Input):
    body: str | None = None
    pinned: bool | None = None


class TimelineQuery(RecordQuery):
    limit: int = 50


class TimelineItemOut(Schema):
    type: str
    id: int
    at: dt.datetime
    summary: str
    actor_id: int | None
    data: dict[str, Any]


class TimelineOut(Schema):
    items: list[TimelineItemOut]


def _regarding(request: HttpRequest, entity: str | None, pk: int | None) -> SecurableModel | None:
    """The record named by regarding_type + regarding_id, when the caller may read it."""
    if entity is None and pk is None:
        return None
    if entity is None:
        raise InvalidInput.field("regarding_type", "give it together with regarding_id")
    if pk is None:
        raise InvalidInput.field("regarding_id", "give it together with regarding_type")
    return readable_record(
        request.user, entity, pk, type_field="regarding_type", id_field="regarding_id"
    )


def _record(request: HttpRequest, entity: str, pk: int) -> SecurableModel:
    return readable_record(request.user, entity, pk)


# Activities.


@router.get("/activities", response={200: Page[ActivityOut], **ERRORS})
def list_activities(request: HttpRequest, filters: Query[ActivityFilters]) -> dict:
    """Activities the caller may read, newest change first by default. `mine=true`: owned
    or attended by the caller; `overdue=true`: open and past due."""
    params = filters.dict()
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    return paginate(activity_list(request.user, **params), allowed=ORDER_FIELDS, **paging)


@router.post("/activities", response={201: ActivityOut, **ERRORS})
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status:
    data = payload.dict()
    owner_user = body_user(data.pop("owner_user_id"), "owner_user_id")
    owner_team = body_team(data.pop("owner_team_id"), "owner_team_id")
    regarding = _regarding(request, data.pop("regarding_type"), data.pop("regarding_id"))
    attendees = [body_user(pk, "attendee_ids") for pk in data.pop("attendee_ids")]
    activity = services.activity_create(
        request.user,
        owner_user=owner_user,
        owner_team=owner_team,
        regarding=regarding,
        attendees=attendees,
        **data,
    )
    return Status(201, activity)


@router.post("/activities/schedule", response={201: ActivitiesOut, **ERRORS})
def schedule_activity(request: HttpRequest, payload: ScheduleIn) -> Status:
    """Schedule for a person (one activity they own), an owner team or a unit's people:
    tasks and e-mails make one activity per person, calls and meetings one shared
    activity with everyone attending."""
    data = payload.dict()
    unit_id = data.pop("for_unit_id")
    created = services.activity_schedule(
        request.user,
        for_user=body_user(data.pop("for_user_id"), "for_user_id"),
        for_team=body_team(data.pop("for_team_id"), "for_team_id"),
        for_unit=(
            get_or_404(BusinessUnit.objects.all(), unit_id, "unit", "for_unit_id")
            if unit_id
            else None
        ),
        regarding=_regarding(request, data.pop("regarding_type"), data.pop("regarding_id")),
        **data,
    )
    return Status(201, {"items": created})


@router.get("/activities/{activity_id}", response={200: ActivityOut, **ERRORS})
def read_activity(request: HttpRequest, activity_id: int) -> Activity:
    return activity_get(request.user, activity_id)


@router.patch("/activities/{activity_id}", response={200: ActivityOut, **ERRORS})
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityPatch) -> Activity:
    """Send If-Match: <version>; a stale version answers 412."""
    activity = activity_get(request.user, activity_id)
    data = payload.dict(exclude_unset=True)
    extra: dict[str, Any] = {}
    if "regarding_type" in data or "regarding_id" in data:
        entity = data.pop("regarding_type", entity_of_type(activity.regarding_type_id))
        pk = data.pop("regarding_id", activity.regarding_id)
        extra["regarding"] = _regarding(request, entity, pk)
    return services.activity_update(
        request.user, activity=activity, version=if_match(request), **data, **extra
    )


@router.delete("/activities/{activity_id}", response={204: None, **ERRORS})
def delete_activity(request: HttpRequest, activity_id: int) -> Status:
    services.activity_delete(request.user, activity=activity_get(request.user, activity_id))
    return Status(204, None)


@router.post("/activities/{activity_id}/complete", response={200: ActivityOut, **ERRORS})
def complete_activity(request: HttpRequest, activity_id: int) -> Activity:
    """Mark an open activity done; 409 when it is not open. If-Match is honoured."""
    activity = activity_get(request.user, activity_id)
    return services.activity_complete(request.user, activity=activity, version=if_match(request))


@router.post("/activities/{activity_id}/cancel", response={200: ActivityOut, **ERRORS})
def cancel_activity(request: HttpRequest, activity_id: int) -> Activity:
    """Call off an open activity; 409 when it is not open. If-Match is honoured."""
    activity = activity_get(request.user, activity_id)
    return services.activity_cancel(request.user, activity=activity, version=if_match(request))


@router.post("/activities/{activity_id}/attendees", response={201: AttendeeOut, **ERRORS})
def add_attendee(request: HttpRequest, activity_id: int, payload: AttendeeIn) -> Status:
    """Invite a person; the activity is shared with them (read). Needs write and share."""
    activity = activity_get(request.user, activity_id)
    attendee = services.attendee_add(
        request.user, activity=activity, user=body_user(payload.user_id, "user_id")
    )
    return Status(201, attendee)


@router.delete("/activities/{activity_id}/attendees/{user_id}", response={204: None, **ERRORS})
def remove_attendee(request: HttpRequest, activity_id: int, user_id: int) -> Status:
    activity = activity_get(request.user, activity_id)
    user = get_or_404(User.objects.all(), user_id, "user", "user_id")
    services.attendee_remove(request.user, activity=activity, user=user)
    return Status(204, None)


@router.post("/activities/{activity_id}/respond", response={200: AttendeeOut, **ERRORS})
def respond_to_activity(request: HttpRequest, activity_id: int, payload: RespondIn) -> Any:
    """An attendee accepts or declines."""
    activity = activity_get(request.user, activity_id)
    return services.attendee_respond(request.user, activity=activity, response=payload.response)


add_record_routes(
    router, resource="activities", entity="activity", get=activity_get, out=ActivityOut
)
add_history_route(router, resource="activities", entity="activity", get=activity_get)


# The calendar.


@router.get("/calendar", response={200: ActivitiesOut, **ERRORS})
def calendar(request: HttpRequest, query: Query[CalendarQuery]) -> dict:
    """Activities overlapping [start, end) (at most 62 days) for me (owned or attended), a
    team (`team_id`) or a unit and the units below it (`unit_id`, default: mine)."""
    team = body_team(query.team_id, "team_id")
    unit = (
        get_or_404(BusinessUnit.objects.all(), query.unit_id, "unit", "unit_id")
        if query.unit_id
        else None
    )
    items = selectors.calendar_items(
        request.user, start=query.start, end=query.end, scope=query.scope, team=team, unit=unit
    )
    return {"items": list(items)}


# Notes.


@router.get("/notes", response={200: Page[NoteOut], **ERRORS})
def list_notes(request: HttpRequest, filters: Query[NoteFilters]) -> dict:
    """Notes on one record (`record_type` is the entity name: account, contact, ...)."""
    record = _record(request, filters.record_type, filters.record_id)
    return paginate(
        selectors.notes_for(request.user, record),
        limit=filters.limit,
        cursor=filters.cursor,
        order=filters.order,
        count=filters.count,
        allowed=NOTE_ORDER_FIELDS,
    )


@router.post("/notes", response={201: NoteOut, **ERRORS})
def create_note(request: HttpRequest, payload: NoteIn) -> Status:
    record = _record(request, payload.record_type, payload.record_id)
    note = services.note_create(
        request.user, record=record, body=payload.body, pinned=payload.pinned
    )
    return Status(201, note)


@router.patch("/notes/{note_id}", response={200: NoteOut, **ERRORS})
def update_note(request: HttpRequest, note_id: int, payload: NotePatch) -> Note:
    """Only the author may change a note, while they can read its record."""
    note = selectors.note_get(request.user, note_id)
    return services.note_update(request.user, note=note, **payload.dict(exclude_unset=True))


@router.delete("/notes/{note_id}", response={204: None, **ERRORS})
def delete_note(request: HttpRequest, note_id: int) -> Status:
    services.note_delete(request.user, note=selectors.note_get(request.user, note_id))
    return Status(204, None)


# Timelines.


def _timeline_item(entry: TimelineEntry) -> dict[str, Any]:
    obj = entry.obj
    if entry.type == "note":
        return {
            "type": "note",
            "id": obj.pk,
            "at": entry.at,
            "summary": obj.body[:200],
            "actor_id": obj.created_by_id,
            "data": {"body": obj.body, "pinned": obj.pinned},
        }
    if entry.type == "activity":
        return {
            "type": "activity",
            "id": obj.pk,
            "at": entry.at,
            "summary": obj.subject,
            "actor_id": obj.owner_user_id,
            "data": {"kind": obj.kind, "status": obj.status, "priority": obj.priority},
        }
    return {
        "type": "event",
        "id": obj.pk,
        "at": entry.at,
        "summary": f"{obj.actor_repr} {obj.action}",
        "actor_id": obj.actor_id,
        "data": {"action": obj.action, "changes": obj.changes},
    }


@router.get("/timeline", response={200: TimelineOut, **ERRORS})
def record_timeline(request: HttpRequest, query: Query[TimelineQuery]) -> dict:
    """Notes, activities regarding the record and its audit events, newest first."""
    if not 1 <= query.limit <= selectors.TIMELINE_LIMIT:
        raise InvalidInput.field("limit", f"must be between 1 and {selectors.TIMELINE_LIMIT}")
    record = _record(request, query.record_type, query.record_id)
    entries = selectors.timeline(request.user, record, limit=query.limit)
    return {"items": [_timeline_item(entry) for entry in entries]}
