"""Service levels for the demo organization: one office calendar, SLA policies for every
priority (and a stricter one for complaints), speed-to-lead policies, due times on the
demo's cases, and the breaches those cases already show.

The demo's records are bulk-created (no signals), so their due times are filled here.
Breaches found at build time are recorded without escalating: the demo's owners stay as
they were generated, and the worker will not escalate them again later."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trellis.service.models import OPEN_STATUSES, Case
from trellis.sla.models import (
    BreachEntity,
    BreachKind,
    BusinessCalendar,
    SlaEvent,
    SlaPolicy,
    SpeedToLeadPolicy,
)
from trellis.sla.timers import case_due_times, policy_for_case

DAY = 9 * 60  # one working day of the office calendar, in minutes

# name, priority, case type, first response, resolution (minutes), business hours,
# reassign to, raise priority, notify
SLA_POLICIES: tuple[tuple[Any, ...], ...] = (
    (
        "Urgent cases",
        "urgent",
        "",
        30,
        4 * 60,
        False,
        "team_leader",
        False,
        ["owner", "team_leader"],
    ),
    ("High-priority cases", "high", "", 60, DAY, True, "none", True, ["owner", "team_leader"]),
    ("Normal cases", "normal", "", 4 * 60, 3 * DAY, True, "none", True, ["owner"]),
    (
        "Complaints",
        "normal",
        "complaint",
        2 * 60,
        DAY,
        True,
        "manager",
        False,
        ["owner", "manager"],
    ),
    ("Low-priority cases", "low", "", DAY, 10 * DAY, True, "none", False, ["owner"]),
)
# name, source, hours, business hours, reassign to, notify
SPEED_TO_LEAD: tuple[tuple[Any, ...], ...] = (
    ("New leads within a working day", "", 9, True, "none", ["owner"]),
    (
        "Web-form leads within 2 hours",
        "web_form",
        2,
        False,
        "team_leader",
        ["owner", "team_leader"],
    ),
)
HOLIDAYS_2026 = (
    "2026-01-01",
    "2026-03-19",
    "2026-04-03",
    "2026-05-01",
    "2026-05-14",
    "2026-06-01",
    "2026-08-17",
    "2026-12-25",
)


def build_sla(now: dt.datetime) -> dict[str, int]:
    """Create the demo's service levels (inside the demo's transaction); returns counts."""
    office = BusinessCalendar.objects.create(
        name="Office hours (Jakarta)",
        time_zone="Asia/Jakarta",
        weekdays=[0, 1, 2, 3, 4],
        start_time=dt.time(8),
        end_time=dt.time(17),
        holidays=list(HOLIDAYS_2026),
        created_at=now,
        modified_at=now,
    )
    for name, priority, case_type, first, resolve, hours, reassign, raise_, notify in SLA_POLICIES:
        SlaPolicy.objects.create(
            name=name,
            priority=priority,
            case_type=case_type,
            first_response_minutes=first,
            resolution_minutes=resolve,
            business_hours=hours,
            calendar=office if hours else None,
            reassign_to=reassign,
            raise_priority=raise_,
            notify=notify,
            created_at=now,
            modified_at=now,
        )
    for name, source, hours_, business, reassign, notify in SPEED_TO_LEAD:
        SpeedToLeadPolicy.objects.create(
            name=name,
            source=source,
            hours=hours_,
            business_hours=business,
            calendar=office if business else None,
            reassign_to=reassign,
            notify=notify,
            created_at=now,
            modified_at=now,
        )
    return {"sla_policies": len(SLA_POLICIES), "breaches": _fill_cases(now)}


def _fill_cases(now: dt.datetime) -> int:
    cases = list(
        Case.objects.only(
            "pk", "priority", "type", "created_at", "status", "first_response_at", "resolved_at"
        ).order_by("pk")
    )
    policies: dict[tuple[str, str], Any] = {}
    breaches = []
    for case in cases:
        key = (case.priority, case.type)
        if key not in policies:
            policies[key] = policy_for_case(*key)
        due = case_due_times(case, policies[key])
        case.first_response_due_at = due["first_response_due_at"]
        case.resolve_due_at = due["resolve_due_at"]
        if case.status not in OPEN_STATUSES:
            continue
        late = (
            (BreachKind.FIRST_RESPONSE, case.first_response_due_at, case.first_response_at),
            (BreachKind.RESOLUTION, case.resolve_due_at, case.resolved_at),
        )
        for kind, due_at, done in late:
            if due_at is not None and done is None and due_at <= now:
                breaches.append(
                    SlaEvent(
                        entity=BreachEntity.CASE,
                        record_id=case.pk,
                        kind=kind,
                        policy_name=policies[key].name,
                        due_at=due_at,
                        breached_at=due_at,
                        actions={"skipped": ["recorded by the demo generator"]},
                    )
                )
    Case.objects.bulk_update(cases, ["first_response_due_at", "resolve_due_at"], batch_size=500)
    SlaEvent.objects.bulk_create(breaches, batch_size=500)
    return len(breaches)
