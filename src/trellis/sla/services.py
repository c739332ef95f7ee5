"""Writes of the sla app: business calendars and policies (needs `manage_routing`), and the
check the worker runs to find breaches and escalate them.

Policy writes check the privilege, run in one transaction, bump `version` and are audited.
The check is system work (no actor): each breach is handled in its own transaction with
the record locked and the breach written under a unique key, so several workers running
at once escalate a breach exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterator
from functools import cache
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Model, QuerySet
from django.urls import reverse
from django.utils import timezone

from trellis.access.services import record_assign
from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput
from trellis.notifications.services import notify
from trellis.org.models import Team, TeamKind, User
from trellis.org.selectors import active_memberships, has_privilege
from trellis.org.services import check_version
from trellis.sales.models import Lead, LeadSource, LeadStatus
from trellis.service.models import OPEN_STATUSES, Case, CaseType, Priority, queue_key_for
from trellis.sla.hours import NoWorkingTime
from trellis.sla.models import (
    BreachEntity,
    BreachKind,
    BusinessCalendar,
    NotifyWhom,
    ReassignTo,
    SlaEvent,
    SlaPolicy,
    SpeedToLeadPolicy,
)
from trellis.sla.timers import lead_due_at, policy_for_case

logger = logging.getLogger(__name__)

PRIVILEGE = "manage_routing"
# Five years of minutes: far past any real target, and inside every integer column.
MAX_MINUTES = 5 * 366 * 24 * 60
MAX_HOURS = 366 * 24
# Breaches handled per kind in one run; the next run takes the rest.
BATCH = 500
# One step up the priority ladder; urgent stays urgent.
RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


# Validation shared by the policy services.


def _require_manage(actor: User) -> None:
    if not has_privilege(actor, PRIVILEGE):
        raise Forbidden(f"changing service levels needs the {PRIVILEGE} privilege")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _name(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput.field("name", "must not be empty")
    if len(text) > 120:
        raise InvalidInput.field("name", "must be at most 120 characters")
    return text


def _choice(field: str, value: Any, choices: Any, *, blank: bool = False) -> str:
    allowed = list(choices.values)
    if blank and value in ("", None):
        return ""
    if value not in allowed:
        raise InvalidInput.field(field, f"must be one of {', '.join(allowed)}")
    return value


def _whole(field: str, value: Any, low: int, high: int, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.field(field, "must be a whole number")
    if not low <= value <= high:
        raise InvalidInput.field(field, f"must be from {low} to {high}")
    return value


def _notify_list(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput.field("notify", "must be a list")
    allowed = list(NotifyWhom.values)
    for item in value:
        if item not in allowed:
            raise InvalidInput.field("notify", f"each entry must be one of {', '.join(allowed)}")
    return [item for item in allowed if item in value]


def _clean_calendar(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    known = {"name", "time_zone", "weekdays", "start_time", "end_time", "holidays"}
    unknown = set(fields) - known
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    missing = [
        name for name in ("name", "start_time", "end_time") if creating and not fields.get(name)
    ]
    if missing:
        raise InvalidInput.field(missing[0], "is required")
    out = dict(fields)
    if "name" in out:
        out["name"] = _name(out["name"])
    if "time_zone" in out and out["time_zone"] not in _time_zones():
        raise InvalidInput.field("time_zone", "must be an IANA time zone such as Asia/Jakarta")
    if "weekdays" in out:
        days = out["weekdays"]
        if (
            not isinstance(days, list | tuple)
            or not days
            or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days)
        ):
            raise InvalidInput.field("weekdays", "must list working days, 0 (Monday) to 6 (Sunday)")
        out["weekdays"] = sorted(set(days))
    for name in ("start_time", "end_time"):
        if name in out and not isinstance(out[name], dt.time):
            raise InvalidInput.field(name, "must be a time of day such as 09:00")
        if name in out and out[name].tzinfo is not None:
            raise InvalidInput.field(name, "is a local time in the calendar's time zone")
    if "holidays" in out:
        days = out["holidays"] or []
        if not isinstance(days, list | tuple):
            raise InvalidInput.field("holidays", "must be a list of dates")
        parsed = set()
        for day in days:
            try:
                parsed.add(day if isinstance(day, dt.date) else dt.date.fromisoformat(day))
            except (TypeError, ValueError):
                raise InvalidInput.field(
                    "holidays", f"{day!r} is not a date (YYYY-MM-DD)"
                ) from None
        out["holidays"] = [day.isoformat() for day in sorted(parsed)]
    return out


def _check_hours(calendar: BusinessCalendar) -> None:
    if calendar.end_time <= calendar.start_time:
        raise InvalidInput.field("end_time", "must be after the start of the working day")


def _clean_escalation(out: dict[str, Any]) -> None:
    if "reassign_to" in out:
        out["reassign_to"] = _choice("reassign_to", out["reassign_to"], ReassignTo)
    if "notify" in out:
        out["notify"] = _notify_list(out["notify"])
    for name in ("business_hours", "is_active", "raise_priority"):
        if name in out and not isinstance(out[name], bool):
            raise InvalidInput.field(name, "must be true or false")
    calendar = out.get("calendar")
    if calendar is not None and not isinstance(calendar, BusinessCalendar):
        raise InvalidInput.field("calendar_id", "must be a business calendar")


def _check_calendar_needed(policy: SlaPolicy | SpeedToLeadPolicy) -> None:
    if policy.business_hours and policy.calendar_id is None:
        raise InvalidInput.field("calendar_id", "counting business hours needs a business calendar")


SLA_FIELDS = {
    "name",
    "priority",
    "case_type",
    "first_response_minutes",
    "resolution_minutes",
    "business_hours",
    "calendar",
    "reassign_to",
    "raise_priority",
    "notify",
    "is_active",
}
SPEED_FIELDS = {
    "name",
    "source",
    "hours",
    "business_hours",
    "calendar",
    "reassign_to",
    "notify",
    "is_active",
}


def _clean_sla(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    unknown = set(fields) - SLA_FIELDS
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    if creating or "name" in out:
        out["name"] = _name(out.get("name"))
    if creating or "priority" in out:
        out["priority"] = _choice("priority", out.get("priority"), Priority)
    if "case_type" in out:
        out["case_type"] = _choice("case_type", out["case_type"], CaseType, blank=True)
    for name in ("first_response_minutes", "resolution_minutes"):
        if name in out:
            out[name] = _whole(name, out[name], 1, MAX_MINUTES, optional=True)
    _clean_escalation(out)
    return out


def _clean_speed(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    unknown = set(fields) - SPEED_FIELDS
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    if creating or "name" in out:
        out["name"] = _name(out.get("name"))
    if "source" in out:
        out["source"] = _choice("source", out["source"], LeadSource, blank=True)
    if creating or "hours" in out:
        out["hours"] = _whole("hours", out.get("hours"), 1, MAX_HOURS)
    _clean_escalation(out)
    return out


def _check_sla_policy(policy: SlaPolicy) -> None:
    if policy.first_response_minutes is None and policy.resolution_minutes is None:
        raise InvalidInput.field(
            "first_response_minutes", "give a first-response or a resolution target (or both)"
        )
    _check_calendar_needed(policy)
    if not policy.is_active:
        return
    clash = (
        SlaPolicy.objects.filter(
            is_active=True, priority=policy.priority, case_type=policy.case_type
        )
        .exclude(pk=policy.pk)
        .first()
    )
    if clash is not None:
        scope = f"{policy.priority} {policy.case_type or 'cases of any type'}"
        raise Conflict.field("priority", f"the active policy {clash.name!r} already covers {scope}")


def _check_speed_policy(policy: SpeedToLeadPolicy) -> None:
    _check_calendar_needed(policy)
    if not policy.is_active:
        return
    clash = (
        SpeedToLeadPolicy.objects.filter(is_active=True, source=policy.source)
        .exclude(pk=policy.pk)
        .first()
    )
    if clash is not None:
        scope = f"leads from {policy.source}" if policy.source else "leads from any source"
        raise Conflict.field("source", f"the active policy {clash.name!r} already covers {scope}")


def _snapshot(obj: Model) -> dict[str, Any]:
    """Concrete fields, JSON-ready (times of day as "HH:MM:SS")."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(value, dt.datetime | dt.date | dt.time):
            value = value.isoformat()
        out[field.attname] = value
    return out


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    skip = {"modified_at", "version"}
    return {k: [before.get(k), v] for k, v in after.items() if k not in skip and before.get(k) != v}


def _save_new(actor: User, obj: Model) -> Model:
    obj.created_at = obj.modified_at = timezone.now()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        # Another write made a clashing active policy between the check and the insert.
        raise Conflict("another active policy covers the same records") from None
    audit_record(actor, "create", obj, changes=_snapshot(obj))
    return obj


def _save_changed(actor: User, obj: Model, before: dict[str, Any]) -> Model:
    obj.version += 1
    obj.modified_at = timezone.now()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict("another active policy covers the same records") from None
    audit_record(actor, "update", obj, changes=_changes(before, _snapshot(obj)))
    return obj


def _locked(model: type[Model], obj: Model, version: int | None) -> Any:
    locked = model.objects.select_for_update().get(pk=obj.pk)
    check_version(locked, version)
    return locked


def _delete(actor: User, obj: Model) -> None:
    before = _snapshot(obj)
    pk = obj.pk
    obj.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity=obj._meta.model_name,
        object_id=pk,
        object_repr=str(obj),
        changes=before,
    )


# Business calendars.


@transaction.atomic
def business_calendar_create(actor: User, **fields: Any) -> BusinessCalendar:
    """Add a business calendar (needs manage_routing)."""
    _require_manage(actor)
    calendar = BusinessCalendar(**_clean_calendar(fields, creating=True))
    _check_hours(calendar)
    if BusinessCalendar.objects.filter(name=calendar.name).exists():
        raise Conflict.field("name", f"a calendar named {calendar.name!r} exists")
    if not calendar.weekdays:
        raise InvalidInput.field("weekdays", "must list working days, 0 (Monday) to 6 (Sunday)")
    return _save_new(actor, calendar)


@transaction.atomic
def business_calendar_update(
    actor: User, *, calendar: BusinessCalendar, version: int | None = None, **fields: Any
) -> BusinessCalendar:
    """Change a calendar; `version` guards against lost updates. Due times already set on
    cases stay as they were computed."""
    _require_manage(actor)
    calendar = _locked(BusinessCalendar, calendar, version)
    before = _snapshot(calendar)
    for key, value in _clean_calendar(fields, creating=False).items():
        setattr(calendar, key, value)
    _check_hours(calendar)
    if BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk).exists():
        raise Conflict.field("name", f"a calendar named {calendar.name!r} exists")
    return _save_changed(actor, calendar, before)


@transaction.atomic
def business_calendar_delete(actor: User, *, calendar: BusinessCalendar) -> None:
    """Delete a calendar no policy uses (409 while one does)."""
    _require_manage(actor)
    used = [
        policy.name
        for model in (SlaPolicy, SpeedToLeadPolicy)
        for policy in model.objects.filter(calendar=calendar)
    ]
    if used:
        raise Conflict.field("calendar", f"used by {', '.join(sorted(used))}; change them first")
    _delete(actor, calendar)


# SLA policies.


@transaction.atomic
def sla_policy_create(actor: User, **fields: Any) -> SlaPolicy:
    """Add an SLA policy (needs manage_routing). Cases opened from now on get its targets."""
    _require_manage(actor)
    policy = SlaPolicy(**_clean_sla(fields, creating=True))
    _check_sla_policy(policy)
    return _save_new(actor, policy)


@transaction.atomic
def sla_policy_update(
    actor: User, *, policy: SlaPolicy, version: int | None = None, **fields: Any
) -> SlaPolicy:
    """Change an SLA policy; `version` guards against lost updates. Cases keep the due
    times they were given until their priority or type changes."""
    _require_manage(actor)
    policy = _locked(SlaPolicy, policy, version)
    before = _snapshot(policy)
    for key, value in _clean_sla(fields, creating=False).items():
        setattr(policy, key, value)
    _check_sla_policy(policy)
    return _save_changed(actor, policy, before)


@transaction.atomic
def sla_policy_delete(actor: User, *, policy: SlaPolicy) -> None:
    """Delete an SLA policy; breaches already recorded stay."""
    _require_manage(actor)
    _delete(actor, policy)


# Speed-to-lead policies.


@transaction.atomic
def speed_to_lead_policy_create(actor: User, **fields: Any) -> SpeedToLeadPolicy:
    """Add a speed-to-lead policy (needs manage_routing). It applies to leads created from
    now on."""
    _require_manage(actor)
    policy = SpeedToLeadPolicy(**_clean_speed(fields, creating=True))
    _check_speed_policy(policy)
    return _save_new(actor, policy)


@transaction.atomic
def speed_to_lead_policy_update(
    actor: User, *, policy: SpeedToLeadPolicy, version: int | None = None, **fields: Any
) -> SpeedToLeadPolicy:
    """Change a speed-to-lead policy; `version` guards against lost updates."""
    _require_manage(actor)
    policy = _locked(SpeedToLeadPolicy, policy, version)
    before = _snapshot(policy)
    for key, value in _clean_speed(fields, creating=False).items():
        setattr(policy, key, value)
    _check_speed_policy(policy)
    return _save_changed(actor, policy, before)


@transaction.atomic
def speed_to_lead_policy_delete(actor: User, *, policy: SpeedToLeadPolicy) -> None:
    """Delete a speed-to-lead policy; breaches already recorded stay."""
    _require_manage(actor)
    _delete(actor, policy)


# Escalation targets.


def team_leader_of(record: Case | Lead) -> User | None:
    """The leader of the record's owner team, or of the first owner team (by id) its owner
    belongs to that has a leader other than the owner."""
    if record.owner_team_id:
        return record.owner_team.leader
    team_ids = (
        active_memberships(record.owner_user).filter(team__kind=TeamKind.OWNER).values("team_id")
    )
    team = (
        Team.objects.filter(pk__in=team_ids, leader__isnull=False)
        .exclude(leader_id=record.owner_user_id)
        .select_related("leader")
        .order_by("pk")
        .first()
    )
    return team.leader if team else None


def manager_of(record: Case | Lead) -> User | None:
    """The owner's manager (`reports_to`); for a team-owned record, its team leader."""
    if record.owner_team_id:
        return record.owner_team.leader
    return record.owner_user.reports_to


def _recipient(record: Case | Lead, whom: str) -> User | None:
    if whom == NotifyWhom.OWNER:
        return record.owner_user if record.owner_user_id else record.owner_team.leader
    if whom == NotifyWhom.MANAGER:
        return manager_of(record)
    return team_leader_of(record)


# The check.


def _lock(qs: QuerySet) -> QuerySet:
    # Another worker holding the row is handling it: skip it rather than wait.
    return qs.select_for_update(skip_locked=True)


def _already(entity: str, kind: str) -> QuerySet:
    return SlaEvent.objects.filter(entity=entity, kind=kind).values("record_id")


def unscoped_overdue_cases(now: dt.datetime, kind: str) -> QuerySet:
    """Open cases whose `kind` target has passed and has no breach yet (system work: no
    access filter)."""
    qs = Case.objects.filter(status__in=OPEN_STATUSES)
    if kind == BreachKind.FIRST_RESPONSE:
        qs = qs.filter(first_response_at__isnull=True, first_response_due_at__lte=now)
    else:
        qs = qs.filter(resolved_at__isnull=True, resolve_due_at__lte=now)
    return qs.exclude(pk__in=_already(BreachEntity.CASE, kind))


def unscoped_late_leads(now: dt.datetime) -> Iterator[tuple[int, SpeedToLeadPolicy]]:
    """(lead id, policy) for new leads never contacted whose policy's wall-clock bound has
    passed; the exact (business-hours) due time is checked per lead."""
    policies = list(SpeedToLeadPolicy.objects.filter(is_active=True).select_related("calendar"))
    sourced = [policy.source for policy in policies if policy.source]
    for policy in policies:
        qs = Lead.objects.filter(
            status=LeadStatus.NEW,
            first_contacted_at__isnull=True,
            created_at__gte=policy.created_at,
            # Working time runs no faster than the clock, so this bound never misses one.
            created_at__lte=now - dt.timedelta(hours=policy.hours),
        ).exclude(pk__in=_already(BreachEntity.LEAD, BreachKind.SPEED_TO_LEAD))
        qs = qs.filter(source=policy.source) if policy.source else qs.exclude(source__in=sourced)
        for pk in qs.order_by("pk").values_list("pk", flat=True)[:BATCH]:
            yield pk, policy


def _record_breach(
    entity: str, record: Any, kind: str, due_at: Any, policy: Any
) -> SlaEvent | None:
    """Write the breach under its unique key; None when another worker already did."""
    if SlaEvent.objects.filter(entity=entity, record_id=record.pk, kind=kind).exists():
        return None
    try:
        with transaction.atomic():
            return SlaEvent.objects.create(
                entity=entity,
                record_id=record.pk,
                kind=kind,
                due_at=due_at,
                policy_name=policy.name if policy else "",
                breached_at=timezone.now(),
            )
    except IntegrityError:
        return None


def _reassign(record: Case | Lead, how: str, actions: dict[str, Any]) -> User | None:
    if how == ReassignTo.NONE:
        return None
    target = team_leader_of(record) if how == ReassignTo.TEAM_LEADER else manager_of(record)
    if target is None or not target.is_active or target.unit_id is None:
        actions["skipped"].append(f"reassign: the owner has no active {how.replace('_', ' ')}")
        return None
    if target.pk == record.owner_user_id:
        actions["skipped"].append(f"reassign: the {how.replace('_', ' ')} already owns it")
        return None
    record_assign(None, record, owner_user=target, check=False)
    actions["reassigned_to"] = target.pk
    return target


def _raise_priority(case: Case, actions: dict[str, Any]) -> dict[str, list[Any]]:
    new = RAISED.get(case.priority, case.priority)
    if new == case.priority:
        actions["skipped"].append(f"raise priority: already {case.priority}")
        return {}
    # An UPDATE (not save): the due times the case was promised stay, so the raise cannot
    # make a second target late at once and escalate the same lateness twice.
    Case.objects.filter(pk=case.pk).update(
        priority=new,
        queue_key=queue_key_for(new, case.created_at),
        version=F("version") + 1,
        modified_at=timezone.now(),
    )
    actions["priority"] = [case.priority, new]
    return {"priority": [case.priority, new]}


def _recipients(record: Case | Lead, whom: list[str], actions: dict[str, Any]) -> list[User]:
    people: list[User] = []
    for name in whom:
        person = _recipient(record, name)
        if person is None:
            actions["skipped"].append(f"notify: no {name.replace('_', ' ')}")
        elif person not in people:
            people.append(person)
    return people


def _escalate(
    entity: str, record: Case | Lead, kind: str, event: SlaEvent, policy: Any
) -> dict[str, Any]:
    actions: dict[str, Any] = {"reassigned_to": None, "notified": [], "skipped": []}
    if policy is None:
        actions["skipped"].append("no active policy covers it any more")
        return actions
    label = BreachKind(kind).label
    name = record.number if entity == BreachEntity.CASE else str(record)
    # Who to tell is decided before the reassignment: the owner who missed it is told,
    # and so is whoever takes it over.
    recipients = _recipients(record, policy.notify, actions)
    changes: dict[str, list[Any]] = {"sla_breach": [None, kind]}
    owner_before = record.owner_user_id
    target = _reassign(record, policy.reassign_to, actions)
    if target is not None:
        changes["owner_user_id"] = [owner_before, target.pk]
        if target not in recipients:
            recipients.append(target)
    if entity == BreachEntity.CASE and getattr(policy, "raise_priority", False):
        changes.update(_raise_priority(record, actions))
    audit_record(None, "escalate", record, changes=changes)
    due = timezone.localtime(event.due_at).strftime("%Y-%m-%d %H:%M")
    for person in recipients:
        made = notify(
            person,
            kind="escalation",
            title=f"SLA breached: {name} ({label.lower()})",
            body=f"{label} was due {due} under {policy.name}.",
            url=reverse(f"web:{entity}_detail", args=[record.pk]),
            record=record,
        )
        if made is not None:
            actions["notified"].append(person.pk)
    return actions


def _finish(event: SlaEvent, actions: dict[str, Any]) -> SlaEvent:
    event.actions = actions
    event.save(update_fields=["actions"])
    return event


def _check_case(pk: int, kind: str, now: dt.datetime) -> SlaEvent | None:
    with transaction.atomic():
        case = _lock(unscoped_overdue_cases(now, kind).filter(pk=pk)).first()
        if case is None:
            return None  # handled meanwhile, or another worker holds it
        due = (
            case.first_response_due_at if kind == BreachKind.FIRST_RESPONSE else case.resolve_due_at
        )
        policy = policy_for_case(case.priority, case.type)
        event = _record_breach(BreachEntity.CASE, case, kind, due, policy)
        if event is None:
            return None
        return _finish(event, _escalate(BreachEntity.CASE, case, kind, event, policy))


def _check_lead(pk: int, policy: SpeedToLeadPolicy, now: dt.datetime) -> SlaEvent | None:
    with transaction.atomic():
        lead = _lock(
            Lead.objects.filter(pk=pk, status=LeadStatus.NEW, first_contacted_at__isnull=True)
        ).first()
        if lead is None:
            return None
        due = lead_due_at(lead, policy)
        if due is None or due > now:
            return None
        kind = BreachKind.SPEED_TO_LEAD
        event = _record_breach(BreachEntity.LEAD, lead, kind, due, policy)
        if event is None:
            return None
        return _finish(event, _escalate(BreachEntity.LEAD, lead, kind, event, policy))


def sla_check(*, now: dt.datetime | None = None) -> list[SlaEvent]:
    """Find overdue first responses, resolutions and lead contacts, record each breach once
    and escalate it as its policy says. Safe to run from several workers at once. Returns
    the breaches this run recorded."""
    now = now or timezone.now()
    found: list[SlaEvent] = []
    for kind in (BreachKind.FIRST_RESPONSE, BreachKind.RESOLUTION):
        ids = list(
            unscoped_overdue_cases(now, kind).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        for pk in ids:
            event = _safely(_check_case, pk, kind, now)
            if event is not None:
                found.append(event)
    for pk, policy in list(unscoped_late_leads(now)):
        event = _safely(_check_lead, pk, policy, now)
        if event is not None:
            found.append(event)
    return found


def _safely(check: Any, *args: Any) -> SlaEvent | None:
    # One record the escalation cannot handle (a calendar with no working time, an owner
    # in a bad state) must not stop the others; its transaction was rolled back.
    try:
        return check(*args)
    except (NoWorkingTime, InvalidInput, IntegrityError):
        logger.exception("SLA check failed for %s %s", check.__name__, args[0])
        return None
