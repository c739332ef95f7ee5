"""/api/v1 endpoints of the sla app (DESIGN.md, REST API conventions): business calendars,
SLA and speed-to-lead policies (anyone signed in reads them; writes need manage_routing),
breaches on records the caller may read, and the SLA view of one case or lead."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from trellis.api.common import ERRORS, DateTime, Id, Input, Page, get_or_404, if_match, paginate
from trellis.core.errors import InvalidInput
from trellis.sla import selectors, services
from trellis.sla.models import BusinessCalendar

router = Router(tags=["sla"])

PriorityIn = Literal["low", "normal", "high", "urgent"]
CaseTypeIn = Literal["", "question", "problem", "complaint", "feedback", "request"]
SourceIn = Literal["", "web_form", "email_campaign", "event", "referral", "partner", "other"]
ReassignIn = Literal["none", "team_leader", "manager"]
NotifyIn = Literal["owner", "manager", "team_leader"]
EntityIn = Literal["case", "lead"]
KindIn = Literal["first_response", "resolution", "speed_to_lead"]
Minutes = Annotated[int, Field(ge=1, le=services.MAX_MINUTES)]
Hours = Annotated[int, Field(ge=1, le=services.MAX_HOURS)]
Weekday = Annotated[int, Field(ge=0, le=6)]

LIST_ORDER = ("name", "modified_at", "id")


class Paging(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "name"
    count: bool = False


# Business calendars.


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    weekdays: list[int]
    start_time: dt.time
    end_time: dt.time
    holidays: list[dt.date]
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int


class CalendarIn(Input):
    name: str
    time_zone: str = "UTC"
    weekdays: list[Weekday] = [0, 1, 2, 3, 4]
    start_time: dt.time
    end_time: dt.time
    holidays: list[dt.date] = []


class CalendarPatch(Input):
    name: str | None = None
    time_zone: str | None = None
    weekdays: list[Weekday] | None = None
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    holidays: list[dt.date] | None = None


def _no_nulls(data: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in data and data[name] is None:
            raise InvalidInput.field(name, "cannot be cleared")


@router.get("/business-calendars", response={200: Page[CalendarOut], **ERRORS})
def list_calendars(request: HttpRequest, paging: Query[Paging]) -> dict:
    """Business calendars: working weekdays (0 = Monday), hours and holidays."""
    return paginate(
        selectors.business_calendar_list(request.user), allowed=LIST_ORDER, **paging.dict()
    )


@router.post("/business-calendars", response={201: CalendarOut, **ERRORS})
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Status:
    """Add a calendar (needs manage_routing)."""
    return Status(201, services.business_calendar_create(request.user, **payload.dict()))


@router.get("/business-calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def read_calendar(request: HttpRequest, calendar_id: int) -> BusinessCalendar:
    return selectors.business_calendar_get(request.user, calendar_id)


@router.patch("/business-calendars/{calendar_id}", response={200: CalendarOut, **ERRORS})
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPatch) -> Any:
    """Send If-Match: <version>; a stale version answers 412."""
    data = payload.dict(exclude_unset=True)
    _no_nulls(data, "name", "time_zone", "weekdays", "start_time", "end_time")
    if data.get("holidays", ...) is None:
        data["holidays"] = []
    return services.business_calendar_update(
        request.user,
        calendar=selectors.business_calendar_get(request.user, calendar_id),
        version=if_match(request),
        **data,
    )


@router.delete("/business-calendars/{calendar_id}", response={204: None, **ERRORS})
def delete_calendar(request: HttpRequest, calendar_id: int) -> Status:
    """Delete a calendar no policy uses (409 while one does)."""
    calendar = selectors.business_calendar_get(request.user, calendar_id)
    services.business_calendar_delete(request.user, calendar=calendar)
    return Status(204, None)


def _calendar(request: HttpRequest, data: dict[str, Any]) -> None:
    """Turn a body's `calendar_id` into the calendar (404 naming the field)."""
    if "calendar_id" in data:
        pk = data.pop("calendar_id")
        data["calendar"] = (
            None
            if pk is None
            else get_or_404(
                selectors.business_calendar_list(request.user), pk, "calendar", "calendar_id"
            )
        )


# SLA policies.


class EscalationOut(Schema):
    id: int
    name: str
    business_hours: bool
    calendar_id: int | None
    reassign_to: str
    notify: list[str]
    is_active: bool
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int


class SlaPolicyOut(EscalationOut):
    priority: str
    case_type: str
    first_response_minutes: int | None
    resolution_minutes: int | None
    raise_priority: bool


class SlaPolicyIn(Input):
    name: str
    priority: PriorityIn
    case_type: CaseTypeIn = ""
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    business_hours: bool = False
    calendar_id: Id | None = None
    reassign_to: ReassignIn = "none"
    raise_priority: bool = False
    notify: list[NotifyIn] = []
    is_active: bool = True


class SlaPolicyPatch(Input):
    """Only the fields sent change; null clears a target or the calendar."""

    name: str | None = None
    priority: PriorityIn | None = None
    case_type: CaseTypeIn | None = None
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    business_hours: bool | None = None
    calendar_id: Id | None = None
    reassign_to: ReassignIn | None = None
    raise_priority: bool | None = None
    notify: list[NotifyIn] | None = None
    is_active: bool | None = None


class SlaPolicyFilters(Paging):
    priority: PriorityIn | None = None
    case_type: CaseTypeIn | None = None
    is_active: bool | None = None


_ESCALATION_REQUIRED = ("name", "business_hours", "reassign_to", "is_active")


@router.get("/sla-policies", response={200: Page[SlaPolicyOut], **ERRORS})
def list_sla_policies(request: HttpRequest, filters: Query[SlaPolicyFilters]) -> dict:
    """SLA policies: first-response and resolution targets per priority (and case type)."""
    params = filters.dict()
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    qs = selectors.sla_policy_list(request.user, **params)
    return paginate(qs, allowed=(*LIST_ORDER, "priority"), **paging)


@router.post("/sla-policies", response={201: SlaPolicyOut, **ERRORS})
def create_sla_policy(request: HttpRequest, payload: SlaPolicyIn) -> Status:
    """Add a policy (needs manage_routing); 409 when an active one covers the same
    priority and case type."""
    data = payload.dict()
    _calendar(request, data)
    return Status(201, services.sla_policy_create(request.user, **data))


@router.get("/sla-policies/{policy_id}", response={200: SlaPolicyOut, **ERRORS})
def read_sla_policy(request: HttpRequest, policy_id: int) -> Any:
    return selectors.sla_policy_get(request.user, policy_id)


@router.patch("/sla-policies/{policy_id}", response={200: SlaPolicyOut, **ERRORS})
def update_sla_policy(request: HttpRequest, policy_id: int, payload: SlaPolicyPatch) -> Any:
    """Send If-Match: <version>; a stale version answers 412."""
    data = payload.dict(exclude_unset=True)
    _no_nulls(data, *_ESCALATION_REQUIRED, "priority", "case_type", "raise_priority", "notify")
    _calendar(request, data)
    return services.sla_policy_update(
        request.user,
        policy=selectors.sla_policy_get(request.user, policy_id),
        version=if_match(request),
        **data,
    )


@router.delete("/sla-policies/{policy_id}", response={204: None, **ERRORS})
def delete_sla_policy(request: HttpRequest, policy_id: int) -> Status:
    policy = selectors.sla_policy_get(request.user, policy_id)
    services.sla_policy_delete(request.user, policy=policy)
    return Status(204, None)


# Speed-to-lead policies.


class SpeedToLeadOut(EscalationOut):
    source: str
    hours: int


class SpeedToLeadIn(Input):
    name: str
    source: SourceIn = ""
    hours: Hours
    business_hours: bool = False
    calendar_id: Id | None = None
    reassign_to: ReassignIn = "none"
    notify: list[NotifyIn] = []
    is_active: bool = True


class SpeedToLeadPatch(Input):
    name: str | None = None
    source: SourceIn | None = None
    hours: Hours | None = None
    business_hours: bool | None = None
    calendar_id: Id | None = None
    reassign_to: ReassignIn | None = None
    notify: list[NotifyIn] | None = None
    is_active: bool | None = None


class SpeedToLeadFilters(Paging):
    source: SourceIn | None = None
    is_active: bool | None = None


@router.get("/speed-to-lead-policies", response={200: Page[SpeedToLeadOut], **ERRORS})
def list_speed_to_lead_policies(request: HttpRequest, filters: Query[SpeedToLeadFilters]) -> dict:
    """Speed-to-lead policies: a new lead is contacted within `hours` of its creation."""
    params = filters.dict()
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    qs = selectors.speed_to_lead_policy_list(request.user, **params)
    return paginate(qs, allowed=LIST_ORDER, **paging)


@router.post("/speed-to-lead-policies", response={201: SpeedToLeadOut, **ERRORS})
def create_speed_to_lead_policy(request: HttpRequest, payload: SpeedToLeadIn) -> Status:
    """Add a policy (needs manage_routing); it covers leads created from now on."""
    data = payload.dict()
    _calendar(request, data)
    return Status(201, services.speed_to_lead_policy_create(request.user, **data))


@router.get("/speed-to-lead-policies/{policy_id}", response={200: SpeedToLeadOut, **ERRORS})
def read_speed_to_lead_policy(request: HttpRequest, policy_id: int) -> Any:
    return selectors.speed_to_lead_policy_get(request.user, policy_id)


@router.patch("/speed-to-lead-policies/{policy_id}", response={200: SpeedToLeadOut, **ERRORS})
def update_speed_to_lead_policy(
    request: HttpRequest, policy_id: int, payload: SpeedToLeadPatch
) -> Any:
    """Send If-Match: <version>; a stale version answers 412."""
    data = payload.dict(exclude_unset=True)
    _no_nulls(data, *_ESCALATION_REQUIRED, "source", "hours", "notify")
    _calendar(request, data)
    return services.speed_to_lead_policy_update(
        request.user,
        policy=selectors.speed_to_lead_policy_get(request.user, policy_id),
        version=if_match(request),
        **data,
    )


@router.delete("/speed-to-lead-policies/{policy_id}", response={204: None, **ERRORS})
def delete_speed_to_lead_policy(request: HttpRequest, policy_id: int) -> Status:
    policy = selectors.speed_to_lead_policy_get(request.user, policy_id)
    services.speed_to_lead_policy_delete(request.user, policy=policy)
    return Status(204, None)


# Breaches.


class SlaEventOut(Schema):
    id: int
    entity: str
    record_id: int
    kind: str
    policy_name: str
    due_at: dt.datetime
    breached_at: dt.datetime
    actions: dict[str, Any]


class SlaEventFilters(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-breached_at"
    count: bool = False
    entity: EntityIn | None = None
    kind: KindIn | None = None
    since: DateTime | None = None


@router.get("/sla-events", response={200: Page[SlaEventOut], **ERRORS})
def list_sla_events(request: HttpRequest, filters: Query[SlaEventFilters]) -> dict:
    """Breaches (and what their escalation did) on cases and leads the caller may read,
    newest first; `since` keeps those breached at or after a moment."""
    params = filters.dict()
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    qs = selectors.sla_event_list(request.user, **params)
    return paginate(qs, allowed=("breached_at", "due_at", "id"), **paging)


class CaseSlaOut(Schema):
    case_id: int
    policy_id: int | None
    policy_name: str | None
    first_response_due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    first_response: str
    resolve_due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolution: str
    breaches: list[SlaEventOut]


class LeadSlaOut(Schema):
    lead_id: int
    policy_id: int | None
    policy_name: str | None
    first_contact_due_at: dt.datetime | None
    first_contacted_at: dt.datetime | None
    first_contact: str
    breaches: list[SlaEventOut]


def _with_policy(view: dict[str, Any]) -> dict[str, Any]:
    policy = view.pop("policy")
    return {
        **view,
        "policy_id": getattr(policy, "pk", None),
        "policy_name": getattr(policy, "name", None),
    }


@router.get("/cases/{case_id}/sla", response={200: CaseSlaOut, **ERRORS})
def read_case_sla(request: HttpRequest, case_id: int) -> dict:
    """The case's targets ("none", "pending", "overdue", "met" or "missed") and breaches."""
    return _with_policy(selectors.case_sla(request.user, case_id))


@router.get("/leads/{lead_id}/sla", response={200: LeadSlaOut, **ERRORS})
def read_lead_sla(request: HttpRequest, lead_id: int) -> dict:
    """The lead's first-contact target and its breach, if any."""
    return _with_policy(selectors.lead_sla(request.user, lead_id))
