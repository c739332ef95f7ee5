"""/api/v1/notifications: the caller's own inbox (DESIGN.md, REST API conventions).

Handlers stay thin: parse, call one service or selector, return."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from trellis.api.common import ERRORS, Input, Page, paginate
from trellis.notifications import selectors, services
from trellis.notifications.models import Notification

router = Router(tags=["notifications"])

KindIn = Literal["assignment", "escalation", "reminder", "report", "other"]


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    record_type: str | None
    record_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed_at: dt.datetime | None

    @staticmethod
    def resolve_record_type(obj: Notification) -> str | None:
        return obj.entity or None

    @staticmethod
    def resolve_record_id(obj: Notification) -> int | None:
        return obj.object_id


class NotificationFilters(Input):
    limit: int = 50
    cursor: str | None = None
    count: bool = False
    unread: bool | None = None
    kind: KindIn | None = None


class CountOut(Schema):
    count: int


@router.get("/notifications", response={200: Page[NotificationOut], **ERRORS})
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> dict:
    """The caller's own notifications, newest first. `unread=true` for unread ones only."""
    qs = selectors.notification_list(request.user, unread=filters.unread, kind=filters.kind)
    return paginate(
        qs,
        limit=filters.limit,
        cursor=filters.cursor,
        order="-created_at",
        allowed=("created_at",),
        count=filters.count,
    )


@router.get("/notifications/unread-count", response={200: CountOut, **ERRORS})
def unread_count(request: HttpRequest) -> dict:
    """How many of the caller's notifications are unread (what the bell shows)."""
    return {"count": selectors.unread_count(request.user)}


@router.post("/notifications/read-all", response={200: CountOut, **ERRORS})
def read_all(request: HttpRequest) -> dict:
    """Mark all the caller's notifications read; `count` says how many were unread."""
    return {"count": services.notification_mark_all_read(request.user)}


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def read_one(request: HttpRequest, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read; someone else's answers 404."""
    notification = selectors.notification_get(request.user, notification_id)
    return services.notification_mark_read(request.user, notification=notification)
