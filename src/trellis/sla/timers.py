"""Which policy applies to a record, and when its targets fall due.

Due times count from the record's creation. A case's are stored on it (and recomputed
when its priority or type changes); a lead's are computed by the check, since only leads
still waiting for a first contact need one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trellis.sla.hours import Calendar, NoWorkingTime, add_business_minutes
from trellis.sla.models import BusinessCalendar, SlaPolicy, SpeedToLeadPolicy


def calendar_of(calendar: BusinessCalendar) -> Calendar:
    return Calendar.build(
        time_zone=calendar.time_zone,
        weekdays=calendar.weekdays,
        start=calendar.start_time,
        end=calendar.end_time,
        holidays=calendar.holidays,
    )


def due_after(
    start: dt.datetime, minutes: int | None, policy: SlaPolicy | SpeedToLeadPolicy
) -> dt.datetime | None:
    """`minutes` after `start`, in working time when the policy counts business hours."""
    if minutes is None:
        return None
    if policy.business_hours and policy.calendar is not None:
        try:
            return add_business_minutes(start, minutes, calendar_of(policy.calendar))
        except NoWorkingTime:
            return None  # a calendar with no working time ahead sets no target
    return start + dt.timedelta(minutes=minutes)


def policy_for_case(priority: str, case_type: str) -> SlaPolicy | None:
    """The active policy for this priority: the one for this case type, else the general one."""
    candidates = SlaPolicy.objects.filter(
        is_active=True, priority=priority, case_type__in=(case_type, "")
    ).select_related("calendar")
    return max(candidates, key=lambda policy: policy.case_type != "", default=None)


def case_due_times(case: Any, policy: SlaPolicy | None = None) -> dict[str, dt.datetime | None]:
    """{"first_response_due_at", "resolve_due_at"} for `case` under its current policy."""
    if policy is None:
        policy = policy_for_case(case.priority, case.type)
    if policy is None or case.created_at is None:
        return {"first_response_due_at": None, "resolve_due_at": None}
    return {
        "first_response_due_at": due_after(case.created_at, policy.first_response_minutes, policy),
        "resolve_due_at": due_after(case.created_at, policy.resolution_minutes, policy),
    }


def policy_for_lead(source: str) -> SpeedToLeadPolicy | None:
    """The active speed-to-lead policy for leads from `source`, else the general one."""
    candidates = SpeedToLeadPolicy.objects.filter(
        is_active=True, source__in=(source, "")
    ).select_related("calendar")
    return max(candidates, key=lambda policy: policy.source != "", default=None)


def lead_due_at(lead: Any, policy: SpeedToLeadPolicy | None = None) -> dt.datetime | None:
    """When `lead` must have been contacted (None when no policy covers it or it was made
    before the policy: a new policy does not make old leads late at once)."""
    if policy is None:
        policy = policy_for_lead(lead.source)
    if policy is None or lead.created_at < policy.created_at:
        return None
    return due_after(lead.created_at, policy.hours * 60, policy)
