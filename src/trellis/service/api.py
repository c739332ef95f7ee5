"""/api/v1/cases (DESIGN.md, REST API conventions). Handlers stay thin: parse, call one
service or selector, return."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from trellis.access import visible
from trellis.api.common import (
    ERRORS,
    Id,
    Input,
    Page,
    get_or_404,
    if_match,
    paginate,
)
from trellis.api.records import add_record_routes, body_team, body_user
from trellis.core.errors import InvalidInput
from trellis.customers.models import Account, Contact
from trellis.service import services
from trellis.service.models import Case
from trellis.service.selectors import case_get, case_history, case_list

router = Router(tags=["cases"])

# `priority` is the queue order: urgent first, then oldest (one indexed column, queue_key).
ORDER_FIELDS = ("priority", "created_at", "modified_at", "number", "id")
ORDER_COLUMNS = {"priority": "queue_key"}

CaseTypeIn = Literal["question", "problem", "complaint", "feedback", "request"]
PriorityIn = Literal["low", "normal", "high", "urgent"]
ChannelIn = Literal["phone", "email", "web", "chat", "visit"]
StatusIn = Literal["new", "in_progress", "waiting", "resolved", "closed"]
Satisfaction = Annotated[int, Field(ge=1, le=5)]


class CaseOut(Schema):
    id: int
    number: str | None
    subject: str
    description: str
    account_id: int | None
    contact_id: int | None
    type: str
    priority: str
    channel: str
    product_name: str
    product_id: int | None
    status: str
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution: str
    satisfaction: int | None
    first_response_due_at: dt.datetime | None
    resolve_due_at: dt.datetime | None
    external_id: str
    owner_user_id: int | None
    owner_team_id: int | None
    owning_unit_id: int
    created_by_id: int | None
    modified_by_id: int | None
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int


class CaseIn(Input):
    subject: str
    description: str = ""
    account_id: Id | None = None
    contact_id: Id | None = None
    type: CaseTypeIn = "question"
    priority: PriorityIn = "normal"
    channel: ChannelIn = "email"
    product_name: str = ""
    product_id: Id | None = None
    external_id: str = ""
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None


class CasePatch(Input):
    """Only the fields sent change. null clears a text field or a link; subject, type,
    priority and channel cannot be cleared. `status` moves an open case to `in_progress` or
    `waiting`; resolve, close and reopen are actions."""

    subject: str | None = None
    description: str | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    type: CaseTypeIn | None = None
    priority: PriorityIn | None = None
    channel: ChannelIn | None = None
    product_name: str | None = None
    product_id: Id | None = None
    external_id: str | None = None
    status: StatusIn | None = None
    resolution: str | None = None
    satisfaction: Satisfaction | None = None

    @field_validator("description", "product_name", "external_id")
    @classmethod
    def _null_clears(cls, value: str | None) -> str:
        return value or ""


class ResolveIn(Input):
    resolution: str


class CloseIn(Input):
    satisfaction: Satisfaction | None = None


class ReopenIn(Input):
    reason: str


class StatusChangeOut(Schema):
    id: int
    from_status: str
    to_status: str
    changed_by_id: int | None
    changed_at: dt.datetime
    note: str


class CaseFilters(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-modified_at"
    count: bool = False
    q: str = ""
    status: StatusIn | None = None
    priority: PriorityIn | None = None
    type: CaseTypeIn | None = None
    channel: ChannelIn | None = None
    open: bool | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None


def _account(request: HttpRequest, pk: int | None) -> Account | None:
    if pk is None:
        return None
    return get_or_404(lambda: visible(request.user, Account), pk, "account", "account_id")


def _contact(request: HttpRequest, pk: int | None) -> Contact | None:
    if pk is None:
        return None
    return get_or_404(lambda: visible(request.user, Contact), pk, "contact", "contact_id")


def _order_column(order: str) -> str:
    name = order.lstrip("-")
    if name not in ORDER_FIELDS:
        raise InvalidInput.field(
            "order", f"must be one of {', '.join(ORDER_FIELDS)} (prefix - to sort descending)"
        )
    return order.replace(name, ORDER_COLUMNS.get(name, name), 1)


@router.get("/cases", response={200: Page[CaseOut], **ERRORS})
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict:
    """Cases the caller may read, newest change first by default; `order=priority` is the
    queue (urgent first, then oldest); `open=true` leaves out resolved and closed ones."""
    params = filters.dict()
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    paging["order"] = _order_column(paging["order"])
    allowed = tuple(ORDER_COLUMNS.get(name, name) for name in ORDER_FIELDS)
    return paginate(case_list(request.user, **params), allowed=allowed, **paging)


@router.post("/cases", response={201: CaseOut, **ERRORS})
def create_case(request: HttpRequest, payload: CaseIn) -> Status:
    """Open a case (status new); it is numbered CS-000123 from its id."""
    data = payload.dict()
    case = services.case_create(
        request.user,
        owner_user=body_user(data.pop("owner_user_id"), "owner_user_id"),
        owner_team=body_team(data.pop("owner_team_id"), "owner_team_id"),
        account=_account(request, data.pop("account_id")),
        contact=_contact(request, data.pop("contact_id")),
        **data,
    )
    return Status(201, case)


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def read_case(request: HttpRequest, case_id: int) -> Case:
    return case_get(request.user, case_id)


@router.patch("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def update_case(request: HttpRequest, case_id: int, payload: CasePatch) -> Case:
    """Send If-Match: <version>; a stale version answers 412. A status move the case's
    status does not allow answers 409."""
    case = case_get(request.user, case_id)
    data = payload.dict(exclude_unset=True)
    for field in ("subject", "type", "priority", "channel", "status", "resolution"):
        if field in data and data[field] is None:
            raise InvalidInput.field(field, "cannot be cleared")
    if "account_id" in data:
        data["account"] = _account(request, data.pop("account_id"))
    if "contact_id" in data:
        data["contact"] = _contact(request, data.pop("contact_id"))
    return services.case_update(request.user, case=case, version=if_match(request), **data)


@router.delete("/cases/{case_id}", response={204: None, **ERRORS})
def delete_case(request: HttpRequest, case_id: int) -> Status:
    services.case_delete(request.user, case=case_get(request.user, case_id))
    return Status(204, None)


@router.post("/cases/{case_id}/resolve", response={200: CaseOut, **ERRORS})
def resolve_case(request: HttpRequest, case_id: int, payload: ResolveIn) -> Case:
    """Resolve an open case with what was done (409 when it is already resolved or closed)."""
    return services.case_resolve(
        request.user,
        case=case_get(request.user, case_id),
        resolution=payload.resolution,
        version=if_match(request),
    )


@router.post("/cases/{case_id}/close", response={200: CaseOut, **ERRORS})
def close_case(request: HttpRequest, case_id: int, payload: CloseIn) -> Case:
    """Close a resolved case, optionally with the customer's satisfaction (1-5)."""
    return services.case_close(
        request.user,
        case=case_get(request.user, case_id),
        satisfaction=payload.satisfaction,
        version=if_match(request),
    )


@router.post("/cases/{case_id}/reopen", response={200: CaseOut, **ERRORS})
def reopen_case(request: HttpRequest, case_id: int, payload: ReopenIn) -> Case:
    """Take a resolved or closed case back to in_progress, with the reason."""
    return services.case_reopen(
        request.user,
        case=case_get(request.user, case_id),
        reason=payload.reason,
        version=if_match(request),
    )


@router.get("/cases/{case_id}/history", response={200: list[StatusChangeOut], **ERRORS})
def read_case_history(request: HttpRequest, case_id: int) -> Any:
    """Every status change of the case, oldest first (the first is its creation)."""
    case = case_get(request.user, case_id)
    return list(case_history(request.user, case))


def _assign(actor: Any, *, record: Case, **kwargs: Any) -> Case:
    return services.case_assign(actor, case=record, **kwargs)


add_record_routes(
    router, resource="cases", entity="case", get=case_get, out=CaseOut, assign=_assign
)
