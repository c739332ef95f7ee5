"""Writes to activities, attendees and notes. Each checks access, runs in one transaction
and is audited.

Attending an activity shares it with the attendee (read), through
`access.services.record_share`, in the same transaction: everyone still reads activities
only through `access.visible`, and `explain` names the share as the reason.

Scheduling (`activity_schedule`) for a team or a unit:
- tasks and e-mails become ONE ACTIVITY PER PERSON, each owned by that person, so each
  completes their own and it counts in their own numbers;
- calls and meetings become ONE SHARED ACTIVITY with every person as an attendee (owned
  by the team for a team, by the organizer for a unit, since a unit owns no records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from trellis.access import can
from trellis.access.models import SecurableModel
from trellis.access.selectors import record_shares
from trellis.access.services import owner_fields, record_share, record_unshare, require
from trellis.activities.models import (
    TIMED_KINDS,
    Activity,
    ActivityAttendee,
    ActivityKind,
    ActivityPriority,
    ActivityStatus,
    AttendeeResponse,
    Note,
)
from trellis.activities.records import NOT_REGARDABLE, check_moment, record_for
from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trellis.core.fields import diff, snapshot
from trellis.org.models import BusinessUnit, Team, TeamMembership, User
from trellis.org.services import check_version

ACTIVITY_FIELDS = (
    "kind",
    "subject",
    "description",
    "start_at",
    "end_at",
    "due_at",
    "all_day",
    "status",
    "priority",
    "location",
    "reminder_at",
)
DATETIME_FIELDS = ("start_at", "end_at", "due_at", "reminder_at")
# How long a call or meeting lasts when no end is given.
DEFAULT_LENGTH = {
    ActivityKind.CALL: dt.timedelta(minutes=30),
    ActivityKind.MEETING: dt.timedelta(hours=1),
}
# A schedule for a team or a unit reaches at most this many people.
MAX_SCHEDULED_PEOPLE = 500
MAX_NOTE_LENGTH = 20_000


def _choice(field: str, value: Any, choices: Any) -> None:
    if value not in choices.values:
        raise InvalidInput.field(field, f"must be one of {', '.join(choices.values)}")


def _apply(activity: Activity, fields: dict[str, Any], *, creating: bool) -> None:
    """Write `fields` onto `activity` and check the whole result, naming the bad field."""
    unknown = set(fields) - set(ACTIVITY_FIELDS)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    if not creating and "kind" in fields and fields["kind"] != activity.kind:
        raise InvalidInput.field("kind", "cannot change; create a new activity instead")
    for key, value in fields.items():
        if key in DATETIME_FIELDS and value is not None:
            if not isinstance(value, dt.datetime):
                raise InvalidInput.field(key, "must be an ISO 8601 date-time")
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            check_moment(key, value)
        if key in ("description", "location"):
            value = value or ""
        if key == "all_day" and not isinstance(value, bool):
            raise InvalidInput.field(key, "must be true or false")
        setattr(activity, key, value)
    _choice("kind", activity.kind, ActivityKind)
    _choice("status", activity.status, ActivityStatus)
    _choice("priority", activity.priority, ActivityPriority)
    activity.subject = (activity.subject or "").strip()
    if not activity.subject:
        raise InvalidInput.field("subject", "must not be empty")
    for key in ("subject", "location"):
        limit = Activity._meta.get_field(key).max_length
        if len(getattr(activity, key)) > limit:
            raise InvalidInput.field(key, f"must be at most {limit} characters")
    if activity.kind in TIMED_KINDS:
        if activity.due_at is not None:
            raise InvalidInput.field(
                "due_at", "calls and meetings have start_at/end_at, not due_at"
            )
        if activity.start_at is None:
            raise InvalidInput.field("start_at", "calls and meetings need a start time")
        if activity.end_at is None:
            length = dt.timedelta(days=1) if activity.all_day else DEFAULT_LENGTH[activity.kind]
            activity.end_at = activity.start_at + length
        if activity.end_at < activity.start_at:
            raise InvalidInput.field("end_at", "must not be before start_at")
    else:
        for key in ("start_at", "end_at"):
            if getattr(activity, key) is not None:
                raise InvalidInput.field(key, "tasks and e-mails have due_at, not start_at/end_at")
    if activity.status == ActivityStatus.COMPLETED:
        activity.completed_at = activity.completed_at or timezone.now()
    else:
        activity.completed_at = None


def _set_regarding(actor: User, activity: Activity, regarding: SecurableModel | None) -> None:
    """Link the activity to a record; needs read on that record (else 404 naming it)."""
    if regarding is None:
        activity.regarding_type, activity.regarding_id = None, None
        return
    entity = getattr(regarding, "access_entity", "")
    if not isinstance(regarding, SecurableModel) or entity in NOT_REGARDABLE:
        raise InvalidInput.field("regarding_type", "an activity can only regard a customer record")
    if regarding.pk is None or not can(actor, "read", regarding):
        message = f"{entity} {regarding.pk} not found"
        raise NotFound(message, [("regarding_id", message)])
    activity.regarding_type = ContentType.objects.get_for_model(regarding)
    activity.regarding_id = regarding.pk


def _touch(activity: Activity, actor: User) -> None:
    activity.version += 1
    activity.modified_at = timezone.now()
    activity.modified_by = actor


def _check_owner(actor: User, activity: Activity) -> None:
    """Creating needs the create right; an owner other than the actor needs assign."""
    if not can(actor, "create", activity):
        raise Forbidden("you may not create activities")
    if activity.owner_user_id != actor.pk and not can(actor, "assign", activity):
        field = "owner_team_id" if activity.owner_team_id else "owner_user_id"
        raise Forbidden(
            "you may not create activities owned by someone else",
            [(field, "you lack assign rights for this owner")],
        )


def _new(
    actor: User,
    *,
    owner_user: User | None,
    owner_team: Team | None,
    regarding: SecurableModel | None,
    fields: dict[str, Any],
) -> Activity:
    activity = Activity(
        **owner_fields(owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    _apply(activity, fields, creating=True)
    _check_owner(actor, activity)
    _set_regarding(actor, activity, regarding)
    activity.save()
    audit_record(actor, "create", activity, changes=snapshot(activity))
    return activity


@transaction.atomic
def activity_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    regarding: SecurableModel | None = None,
    attendees: Iterable[User] = (),
    **fields: Any,
) -> Activity:
    """Create an activity owned by the actor unless another owner is given (needs assign).
    `regarding` needs read on that record; each attendee gets the activity shared (read)."""
    routed = owner_user is None and owner_team is None
    if routed:
        owner_user = actor
    activity = _new(
        actor, owner_user=owner_user, owner_team=owner_team, regarding=regarding, fields=fields
    )
    if routed:
        # No owner given: a marketing task (a task regarding a campaign) goes through the
        # routing rules; other activities stay with the creator.
        from trellis.routing.services import route_new

        route_new(actor, activity)
    for user in _distinct(attendees):
        _attend(actor, activity, user)
    return activity


@transaction.atomic
def activity_update(
    actor: User,
    *,
    activity: Activity,
    version: int | None = None,
    regarding: SecurableModel | None | Any = ...,
    **fields: Any,
) -> Activity:
    """Change an activity's fields (needs write). `version` guards against lost updates."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "write", activity)
    check_version(activity, version)
    before = snapshot(activity)
    _apply(activity, fields, creating=False)
    if regarding is not ...:
        _set_regarding(actor, activity, regarding)
    _touch(activity, actor)
    activity.save()
    audit_record(actor, "update", activity, changes=diff(before, snapshot(activity)))
    return activity


@transaction.atomic
def activity_reschedule(
    actor: User,
    *,
    activity: Activity,
    date: dt.date,
    time: dt.time | None = None,
    version: int | None = None,
) -> Activity:
    """Move an activity to `date`, at `time` or else at the time of day it had (local
    time). A call or meeting keeps its length (an all-day one given a time becomes a timed
    one of the default length); a task or e-mail moves its due time; a reminder keeps its
    distance to the activity. Needs write; `version` guards against lost updates."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "write", activity)
    check_version(activity, version)
    current = activity.start_at or activity.due_at
    if current is None:
        raise InvalidInput.field("date", "the activity has no date to move")
    at = time if time is not None else timezone.localtime(current).time()
    moment = timezone.make_aware(dt.datetime.combine(date, at.replace(tzinfo=None)))
    check_moment("date", moment)
    shift = moment - current
    fields: dict[str, Any] = {}
    if activity.kind in TIMED_KINDS:
        fields["start_at"] = moment
        if activity.all_day and time is not None:
            fields["all_day"] = False
            fields["end_at"] = moment + DEFAULT_LENGTH[activity.kind]
        elif activity.end_at is not None:
            fields["end_at"] = activity.end_at + shift
    else:
        fields["due_at"] = moment
    if activity.reminder_at is not None:
        fields["reminder_at"] = activity.reminder_at + shift
    before = snapshot(activity)
    _apply(activity, fields, creating=False)
    _touch(activity, actor)
    activity.save()
    audit_record(actor, "update", activity, changes=diff(before, snapshot(activity)))
    return activity


def _close(actor: User, activity: Activity, status: str, version: int | None) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    require(actor, "write", activity)
    check_version(activity, version)
    if activity.status != ActivityStatus.OPEN:
        raise Conflict(
            f"activity {activity.pk} is already {activity.status}",
            [("status", f"is {activity.status}, not open")],
        )
    before = snapshot(activity)
    activity.status = status
    activity.completed_at = timezone.now() if status == ActivityStatus.COMPLETED else None
    _touch(activity, actor)
    activity.save()
    action = "complete" if status == ActivityStatus.COMPLETED else "cancel"
    audit_record(actor, action, activity, changes=diff(before, snapshot(activity)))
    return activity


@transaction.atomic
def activity_complete(actor: User, *, activity: Activity, version: int | None = None) -> Activity:
    """Mark an open activity done (needs write); 409 when it is not open."""
    return _close(actor, activity, ActivityStatus.COMPLETED, version)


@transaction.atomic
def activity_cancel(actor: User, *, activity: Activity, version: int | None = None) -> Activity:
    """Call off an open activity (needs write); 409 when it is not open."""
    return _close(actor, activity, ActivityStatus.CANCELLED, version)


@transaction.atomic
def activity_delete(actor: User, *, activity: Activity) -> None:
    """Delete an activity (needs delete). Its shares and attendees go with it."""
    require(actor, "delete", activity)
    before = snapshot(activity)
    pk = activity.pk
    activity.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="activity",
        object_id=pk,
        object_repr=before["subject"],
        changes=before,
    )


# Attendees.


def _distinct(users: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        seen.setdefault(user.pk, user)
    return [seen[pk] for pk in sorted(seen)]


def _attend(actor: User, activity: Activity, user: User) -> ActivityAttendee:
    """Add one attendee and share the activity with them (read), unless they own it or
    it is already shared with them (a wider share is never narrowed)."""
    if not user.is_active:
        raise InvalidInput.field("user_id", f"{user.username} is deactivated")
    attendee, created = ActivityAttendee.objects.get_or_create(activity=activity, user=user)
    if not created:
        raise Conflict(
            f"{user.username} already attends this activity",
            [("user_id", "already an attendee")],
        )
    if user.pk != activity.owner_user_id and not record_shares(activity).filter(user=user).exists():
        record_share(actor, activity, user=user, rights=["read"])
    audit_record(actor, "attendee_add", activity, changes={"attendee": [None, user.username]})
    return attendee


def _require_attendee_rights(actor: User, activity: Activity) -> None:
    # Attending is a share, so changing who attends needs share as well as write.
    require(actor, "write", activity)
    require(actor, "share", activity)


@transaction.atomic
def attendee_add(actor: User, *, activity: Activity, user: User) -> ActivityAttendee:
    """Invite `user` to the activity (needs write and share); 409 when already invited."""
    _require_attendee_rights(actor, activity)
    return _attend(actor, activity, user)


@transaction.atomic
def attendee_remove(actor: User, *, activity: Activity, user: User) -> None:
    """Take `user` off the activity and withdraw the read share attending gave them (a
    share with more rights, given on purpose, stays)."""
    _require_attendee_rights(actor, activity)
    deleted, _ = ActivityAttendee.objects.filter(activity=activity, user=user).delete()
    if not deleted:
        raise NotFound.field("user_id", f"{user.username} does not attend this activity")
    share = record_shares(activity).filter(user=user).first()
    if share is not None and share.rights == ["read"]:
        record_unshare(actor, activity, user=user)
    audit_record(actor, "attendee_remove", activity, changes={"attendee": [user.username, None]})


@transaction.atomic
def attendee_respond(actor: User, *, activity: Activity, response: str) -> ActivityAttendee:
    """The actor accepts or declines an activity they attend."""
    require(actor, "read", activity)
    _choice("response", response, AttendeeResponse)
    attendee = ActivityAttendee.objects.filter(activity=activity, user=actor).first()
    if attendee is None:
        raise NotFound.field("response", "you do not attend this activity")
    before = attendee.response
    attendee.response = response
    attendee.save(update_fields=["response"])
    audit_record(
        actor,
        "attendee_respond",
        activity,
        changes={"response": [before, response], "attendee": [None, actor.username]},
    )
    return attendee


# Scheduling for a person, a team or a unit.


def _people_of_team(team: Team) -> list[User]:
    now = timezone.now()
    memberships = TeamMembership.objects.filter(team=team, user__is_active=True).exclude(
        expires_at__lte=now
    )
    return list(User.objects.filter(pk__in=memberships.values("user_id")).order_by("pk"))


def _people_of_unit(unit: BusinessUnit) -> list[User]:
    return list(User.objects.filter(unit=unit, is_active=True).order_by("pk"))


@transaction.atomic
def activity_schedule(
    actor: User,
    *,
    kind: str,
    for_user: User | None = None,
    for_team: Team | None = None,
    for_unit: BusinessUnit | None = None,
    regarding: SecurableModel | None = None,
    **fields: Any,
) -> list[Activity]:
    """A manager schedules an activity for a person, an owner team or a unit's people.

    - `for_user`: one activity owned by that person (needs assign covering it).
    - `for_team` / `for_unit`, tasks and e-mails: one activity per active member, each
      owned by them (needs assign covering every one, else nothing is created).
    - `for_team`, calls and meetings: one activity owned by the team, members attending.
    - `for_unit`, calls and meetings: one activity owned by the actor (the organizer),
      the unit's active people attending.
    Returns the activities created."""
    targets = [
        (name, value)
        for name, value in (
            ("for_user_id", for_user),
            ("for_team_id", for_team),
            ("for_unit_id", for_unit),
        )
        if value is not None
    ]
    if len(targets) != 1:
        raise InvalidInput(
            "give exactly one of for_user_id, for_team_id and for_unit_id",
            [("for_user_id", "give this, for_team_id or for_unit_id")],
        )
    field, _target = targets[0]
    _choice("kind", kind, ActivityKind)
    fields = {**fields, "kind": kind}
    if for_user is not None:
        return [activity_create(actor, owner_user=for_user, regarding=regarding, **fields)]
    people = _people_of_team(for_team) if for_team is not None else _people_of_unit(for_unit)
    if not people:
        raise InvalidInput.field(field, "has no active people to schedule for")
    if len(people) > MAX_SCHEDULED_PEOPLE:
        raise InvalidInput.field(
            field, f"reaches {len(people)} people; schedule for at most {MAX_SCHEDULED_PEOPLE}"
        )
    if kind in TIMED_KINDS:
        owner = {"owner_team": for_team} if for_team is not None else {"owner_user": actor}
        return [activity_create(actor, **owner, regarding=regarding, attendees=people, **fields)]
    created = []
    for person in people:
        try:
            created.append(activity_create(actor, owner_user=person, regarding=regarding, **fields))
        except Forbidden as exc:
            raise Forbidden(
                f"you may not schedule for {person.username}: {exc.detail}",
                [(field, f"you lack assign rights for {person.username}")],
            ) from None
        except InvalidInput as exc:
            if exc.errors and exc.errors[0][0] == "owner_user_id":
                raise InvalidInput.field(field, f"{person.username}: {exc.errors[0][1]}") from None
            raise
    return created


# Notes.


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidInput.field("body", "must not be empty")
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidInput.field("body", f"must be at most {MAX_NOTE_LENGTH} characters")
    return text


@transaction.atomic
def note_create(actor: User, *, record: SecurableModel, body: str, pinned: bool = False) -> Note:
    """Add a note to a record the actor may read (else 404 naming record_id)."""
    if record.pk is None or not can(actor, "read", record):
        message = f"{record.access_entity} {record.pk} not found"
        raise NotFound(message, [("record_id", message)])
    now = timezone.now()
    note = Note.objects.create(
        regarding_type=ContentType.objects.get_for_model(record),
        regarding_id=record.pk,
        body=_clean_body(body),
        pinned=bool(pinned),
        created_by=actor,
        created_at=now,
        modified_at=now,
    )
    audit_record(
        actor,
        "create",
        note,
        entity="note",
        changes={
            "record": [None, f"{record.access_entity}:{record.pk}"],
            "body": [None, note.body],
        },
    )
    return note


def _require_author(actor: User, note: Note) -> None:
    """Only the author changes a note, and only while they can still read its record."""
    record = record_for(note.regarding_type_id, note.regarding_id)
    if record is None or not can(actor, "read", record):
        raise NotFound(f"note {note.pk} not found")
    if note.created_by_id != actor.pk:
        raise Forbidden("only the author of a note may change or delete it")


@transaction.atomic
def note_update(
    actor: User, *, note: Note, body: str | None = None, pinned: bool | None = None
) -> Note:
    note = Note.objects.select_for_update().get(pk=note.pk)
    _require_author(actor, note)
    before = {"body": note.body, "pinned": note.pinned}
    if body is not None:
        note.body = _clean_body(body)
    if pinned is not None:
        note.pinned = bool(pinned)
    note.modified_at = timezone.now()
    note.save()
    after = {"body": note.body, "pinned": note.pinned}
    audit_record(actor, "update", note, entity="note", changes=diff(before, after))
    return note


@transaction.atomic
def note_delete(actor: User, *, note: Note) -> None:
    _require_author(actor, note)
    pk, body = note.pk, note.body
    note.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="note",
        object_id=pk,
        object_repr=body[:200],
        changes={"body": [body, None]},
    )
