"""Shared pieces of the REST API: errors, cursor pagination, If-Match, id lookups."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, Field, field_validator

from trellis.core.errors import InvalidInput, NotFound

T = TypeVar("T")

# Ids are positive 64-bit integers; larger numbers cannot name a row (and would overflow
# the database driver), so they are refused with the field named.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# An ISO 8601 date-time; one without an offset is read in the server's time zone.
DateTime = Annotated[dt.datetime, AfterValidator(_aware)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


class Input(Schema):
    """Base of request schemas (bodies and query strings). PostgreSQL cannot store or
    compare text with NUL characters, so they are refused here with the field named."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


# The error answers every endpoint may give, for the OpenAPI description.
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    412: ErrorOut,
    422: ErrorOut,
}


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    count: int | None = None


class ShareIn(Input):
    user_id: Id | None = None
    team_id: Id | None = None
    rights: list[str] = ["read"]
    expires_at: DateTime | None = None


class UnshareIn(Input):
    user_id: Id | None = None
    team_id: Id | None = None


class AssignIn(Input):
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    cascade: bool = False


class AccessMemberIn(Input):
    user_id: Id
    template_id: Id | None = None
    expires_at: DateTime | None = None


class GrantOut(Schema):
    source: str
    action: str
    detail: str
    role: str | None = None
    depth: str | None = None
    team: str | None = None
    team_id: int | None = None


class AccessRowOut(Schema):
    user_id: int
    username: str
    name: str
    unit: str | None = None
    rights: list[str]
    grants: list[GrantOut]


class ShareOut(Schema):
    id: int
    user_id: int | None = None
    team_id: int | None = None
    rights: list[str]
    expires_at: dt.datetime | None = None


class AccessOut(Schema):
    items: list[AccessRowOut]
    shares: list[ShareOut]


MAX_LIMIT = 200


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    raw = json.dumps([value, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, field: models.Field) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        value, pk = field.to_python(value), int(pk)
    except Exception:
        value, pk = None, 0
    # A forged cursor must not reach the query: None cannot be compared, ids must fit the
    # column and PostgreSQL refuses text with NUL characters.
    if value is None or not 0 < pk <= MAX_ID or _has_nul(value):
        raise InvalidInput.field("cursor", "not a cursor this list gave out")
    return value, pk


def paginate(
    qs: QuerySet,
    *,
    limit: int,
    cursor: str | None,
    order: str,
    allowed: tuple[str, ...],
    count: bool = False,
) -> dict[str, Any]:
    """Keyset pagination over `qs` ordered by `order` (one of `allowed`, '-' for descending),
    with the primary key breaking ties. Returns {"items", "next_cursor", "count"}."""
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_LIMIT}")
    name = order.lstrip("-")
    if name not in allowed:
        raise InvalidInput.field(
            "order", f"must be one of {', '.join(allowed)} (prefix - to sort descending)"
        )
    descending = order.startswith("-")
    total = qs.count() if count else None
    ordering = [f"-{name}", "-pk"] if descending else [name, "pk"]
    if name in ("id", "pk"):
        ordering = ordering[:1]
    qs = qs.order_by(*ordering)
    if cursor:
        field = qs.model._meta.get_field("id" if name == "pk" else name)
        value, pk = _decode(cursor, field)
        op = "lt" if descending else "gt"
        if name in ("id", "pk"):
            qs = qs.filter(**{f"pk__{op}": pk})
        else:
            qs = qs.filter(Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"pk__{op}": pk}))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(getattr(last, "id" if name == "pk" else name), last.pk)
    return {"items": rows, "next_cursor": next_cursor, "count": total}


def if_match(request: HttpRequest) -> int | None:
    """The version in the If-Match header (None when absent); 400 when unreadable."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() in ("", "*"):
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError:
        raise InvalidInput.field("If-Match", "must be the record's integer version") from None


def get_or_404(
    qs: QuerySet | Callable[[], QuerySet], pk: int, label: str, field: str | None = None
) -> Any:
    """The row with id `pk` from `qs` (already scoped to what the caller may see), else 404.

    With `field`, the error names the request field that carried the id."""
    if callable(qs):
        qs = qs()
    obj = qs.filter(pk=pk).first() if pk is not None and 0 < pk <= MAX_ID else None
    if obj is None:
        message = f"{label} {pk} not found"
        if field:
            raise NotFound(message, [(field, message)])
        raise NotFound(message)
    return obj
