"""Reads of activities, the calendar, notes and timelines. Every one starts from
`access.visible` (activities) or from `access.can` on the record a note is on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from trellis.access import can, visible
from trellis.access.models import SecurableModel
from trellis.activities.models import (
    Activity,
    ActivityAttendee,
    ActivityStatus,
    Note,
)
from trellis.activities.records import check_moment, content_type_for, record_for
from trellis.audit.selectors import audit_events_for
from trellis.core.errors import InvalidInput, NotFound
from trellis.org.models import BusinessUnit, Team, TeamMembership, User

ACTIVITY_FILTERS = (
    "kind",
    "status",
    "priority",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "regarding_id",
)
# The calendar answers for at most this long a window.
MAX_WINDOW = dt.timedelta(days=62)
CALENDAR_SCOPES = ("me", "team", "unit")
# How many of each kind of entry a timeline shows at most.
TIMELINE_LIMIT = 100


def _with_relations(qs: QuerySet) -> QuerySet:
    return qs.select_related("owner_user", "owner_team", "owning_unit").prefetch_related(
        Prefetch("attendees", queryset=ActivityAttendee.objects.select_related("user"))
    )


def _attending(user: Any) -> QuerySet:
    return ActivityAttendee.objects.filter(user_id=user.pk).values("activity_id")


def activity_list(
    actor: Any,
    *,
    q: str = "",
    mine: bool = False,
    overdue: bool = False,
    regarding_type: str | None = None,
    due_before: dt.datetime | None = None,
    due_after: dt.datetime | None = None,
    **filters: Any,
) -> QuerySet:
    """Activities `actor` may see, narrowed by exact-match filters.

    `mine`: owned by the actor or attended by them; `overdue`: open and past due (or past
    their end); `regarding_type` is an entity name ("account") and goes with
    `regarding_id`; `due_before`/`due_after` bound the due time (tasks, e-mails)."""
    qs = _with_relations(visible(actor, Activity, "read"))
    clean = {
        key: value
        for key, value in filters.items()
        if key in ACTIVITY_FILTERS and value not in (None, "")
    }
    if clean:
        qs = qs.filter(**clean)
    if regarding_type:
        qs = qs.filter(regarding_type=content_type_for(regarding_type, field="regarding_type"))
    if due_before is not None:
        check_moment("due_before", due_before)
        qs = qs.filter(due_at__lt=due_before)
    if due_after is not None:
        check_moment("due_after", due_after)
        qs = qs.filter(due_at__gte=due_after)
    if mine:
        qs = qs.filter(Q(owner_user_id=actor.pk) | Q(pk__in=_attending(actor)))
    if overdue:
        now = timezone.now()
        qs = qs.filter(status=ActivityStatus.OPEN).filter(
            Q(due_at__lt=now) | Q(due_at__isnull=True, end_at__lt=now)
        )
    if q:
        qs = qs.filter(Q(subject__icontains=q) | Q(location__icontains=q))
    return qs


def activity_get(actor: Any, pk: int) -> Activity:
    """One activity the actor may see; NotFound for a missing or invisible id alike."""
    activity = _with_relations(visible(actor, Activity, "read")).filter(pk=pk).first()
    if activity is None:
        raise NotFound(f"activity {pk} not found")
    return activity


def regarding_record(actor: Any, activity: Activity) -> SecurableModel | None:
    """The record the activity is about, when the actor may read it (else None)."""
    if activity.regarding_type_id is None or activity.regarding_id is None:
        return None
    record = record_for(activity.regarding_type_id, activity.regarding_id)
    return record if record is not None and can(actor, "read", record) else None


# The calendar.


def calendar_window(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Check a calendar window: end after start, at most MAX_WINDOW long."""
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    if timezone.is_naive(end):
        end = timezone.make_aware(end)
    check_moment("start", start)
    check_moment("end", end)
    if end <= start:
        raise InvalidInput.field("end", "must be after start")
    if end - start > MAX_WINDOW:
        raise InvalidInput.field("end", f"the window may span at most {MAX_WINDOW.days} days")
    return start, end


def _overlapping(qs: QuerySet, start: dt.datetime, end: dt.datetime) -> QuerySet:
    timed = Q(start_at__lt=end) & (
        Q(end_at__gt=start) | Q(end_at__isnull=True, start_at__gte=start)
    )
    dated = Q(start_at__isnull=True, due_at__gte=start, due_at__lt=end)
    return qs.filter(timed | dated)


def calendar_items(
    actor: Any,
    *,
    start: dt.datetime,
    end: dt.datetime,
    scope: str = "me",
    team: Team | None = None,
    unit: BusinessUnit | None = None,
) -> QuerySet:
    """Activities overlapping [start, end) the actor may see, ordered by when they are.

    - "me": owned by the actor (or an owner team of theirs) or attended by them;
    - "team": owned by the team or one of its members, or attended by a member;
    - "unit": owned in the unit or a unit below it (the actor's own unit by default).
    Whatever the scope, only activities `visible` to the actor appear."""
    start, end = calendar_window(start, end)
    if scope not in CALENDAR_SCOPES:
        raise InvalidInput.field("scope", f"must be one of {', '.join(CALENDAR_SCOPES)}")
    qs = _with_relations(visible(actor, Activity, "read"))
    if scope == "me":
        teams = TeamMembership.objects.filter(user_id=actor.pk).values("team_id")
        qs = qs.filter(
            Q(owner_user_id=actor.pk) | Q(owner_team_id__in=teams) | Q(pk__in=_attending(actor))
        )
    elif scope == "team":
        if team is None:
            raise InvalidInput.field("team_id", "give the team whose calendar to show")
        members = TeamMembership.objects.filter(team=team).values("user_id")
        attending = ActivityAttendee.objects.filter(user_id__in=members).values("activity_id")
        qs = qs.filter(Q(owner_team=team) | Q(owner_user_id__in=members) | Q(pk__in=attending))
    else:
        unit = unit or (actor.unit if actor.unit_id else None)
        if unit is None:
            raise InvalidInput.field("unit_id", "give the unit whose calendar to show")
        subtree = BusinessUnit.objects.filter(path__startswith=unit.path).values("id")
        qs = qs.filter(owning_unit_id__in=subtree)
    return (
        _overlapping(qs, start, end)
        .annotate(calendar_at=Coalesce("start_at", "due_at"))
        .order_by("calendar_at", "pk")
    )


# Notes and timelines.


def _require_read(actor: Any, record: SecurableModel) -> None:
    if record.pk is None or not can(actor, "read", record):
        message = f"{record.access_entity} {record.pk} not found"
        raise NotFound(message, [("record_id", message)])


def notes_for(actor: Any, record: SecurableModel) -> QuerySet:
    """Notes on a record the actor may read (else NotFound), pinned first, newest first."""
    _require_read(actor, record)
    return Note.objects.filter(
        regarding_type=ContentType.objects.get_for_model(record), regarding_id=record.pk
    ).select_related("created_by")


def note_get(actor: Any, pk: int) -> Note:
    """One note on a record the actor may read; NotFound otherwise (missing alike)."""
    note = Note.objects.select_related("created_by").filter(pk=pk).first() if pk else None
    record = record_for(note.regarding_type_id, note.regarding_id) if note else None
    if note is None or record is None or not can(actor, "read", record):
        raise NotFound(f"note {pk} not found")
    return note


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a record's history: `type` is "note", "activity" or "event"."""

    type: str
    at: dt.datetime
    obj: Any

    @property
    def id(self) -> int:
        return self.obj.pk


def _activity_moment(activity: Activity) -> dt.datetime:
    return activity.completed_at or activity.start_at or activity.due_at or activity.created_at


def timeline(actor: Any, record: SecurableModel, *, limit: int = TIMELINE_LIMIT) -> list:
    """Notes on `record`, activities regarding it that the actor may see, and its audit
    events (stage/status changes, assignments, shares, ...), newest first. Partners get
    the notes only.

    Asks `access.can(actor, "read", record)` first: NotFound when they may not read it."""
    _require_read(actor, record)
    ct = ContentType.objects.get_for_model(record)
    notes = list(notes_for(actor, record).order_by("-created_at", "-id")[:limit])
    if getattr(actor, "is_partner", False):
        # The partner portal (web.portal): no activity pages, and the audit trail names
        # internal staff and raw field changes, so partners get the notes only.
        return [TimelineEntry("note", note.created_at, note) for note in notes]
    activities = list(
        visible(actor, Activity, "read")
        .filter(regarding_type=ct, regarding_id=record.pk)
        .select_related("owner_user", "owner_team")
        .order_by("-modified_at", "-id")[:limit]
    )
    events = list(audit_events_for(record.access_entity, record.pk).select_related("actor")[:limit])
    entries = (
        [TimelineEntry("note", note.created_at, note) for note in notes]
        + [TimelineEntry("activity", _activity_moment(a), a) for a in activities]
        + [TimelineEntry("event", event.at, event) for event in events]
    )
    entries.sort(key=lambda entry: (entry.at, entry.id), reverse=True)
    return entries[:limit]


def schedulable_teams(actor: User) -> QuerySet:
    """Owner teams offered in the calendar's team picker: the actor's own teams."""
    return Team.objects.filter(
        kind="owner", pk__in=TeamMembership.objects.filter(user_id=actor.pk).values("team_id")
    ).order_by("name")


def writable_ids(actor: User, ids: list[int]) -> set[int]:
    """Which of these activities `actor` may change (one query), e.g. to let the
    calendar offer dragging only where a move would be allowed."""
    if not ids:
        return set()
    return set(visible(actor, Activity, "write").filter(pk__in=ids).values_list("pk", flat=True))
