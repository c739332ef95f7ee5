"""Reads of the sla app.

Policies and calendars are organization settings every signed-in person may read.
Breaches are about records, so they are listed only for records the reader may see
(`access.visible`), and a record's SLA view asks the record's own selector first (404 for
a record the reader cannot see).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from trellis.access import visible
from trellis.core.errors import NotFound
from trellis.org.selectors import has_privilege
from trellis.sales.models import Lead
from trellis.sales.selectors import lead_get
from trellis.service.models import Case
from trellis.service.selectors import case_get
from trellis.sla.models import (
    BreachEntity,
    BusinessCalendar,
    SlaEvent,
    SlaPolicy,
    SpeedToLeadPolicy,
)
from trellis.sla.timers import lead_due_at, policy_for_case, policy_for_lead

_MODELS: dict[str, Any] = {BreachEntity.CASE: Case, BreachEntity.LEAD: Lead}
# Ids beyond a 64-bit column name no row (and would overflow the database driver).
MAX_ID = 2**63 - 1


def _get(qs: QuerySet, pk: int, label: str) -> Any:
    found = qs.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(f"{label} {pk} not found")
    return found


def may_manage_sla(user: Any) -> bool:
    """Whether `user` may change policies and calendars (the manage_routing privilege)."""
    return has_privilege(user, "manage_routing")


def sla_policy_list(actor: Any, **filters: Any) -> QuerySet[SlaPolicy]:
    """SLA policies (any signed-in user may read them), filtered by exact field values."""
    wanted = {key: value for key, value in filters.items() if value is not None}
    return SlaPolicy.objects.filter(**wanted).select_related("calendar")


def sla_policy_get(actor: Any, pk: int) -> SlaPolicy:
    return _get(SlaPolicy.objects.select_related("calendar"), pk, "SLA policy")


def speed_to_lead_policy_list(actor: Any, **filters: Any) -> QuerySet[SpeedToLeadPolicy]:
    """Speed-to-lead policies (readable by any signed-in user)."""
    wanted = {key: value for key, value in filters.items() if value is not None}
    return SpeedToLeadPolicy.objects.filter(**wanted).select_related("calendar")


def speed_to_lead_policy_get(actor: Any, pk: int) -> SpeedToLeadPolicy:
    return _get(SpeedToLeadPolicy.objects.select_related("calendar"), pk, "speed-to-lead policy")


def business_calendar_list(actor: Any) -> QuerySet[BusinessCalendar]:
    """Business calendars (readable by any signed-in user)."""
    return BusinessCalendar.objects.all()


def business_calendar_get(actor: Any, pk: int) -> BusinessCalendar:
    return _get(BusinessCalendar.objects.all(), pk, "business calendar")


def sla_event_list(
    actor: Any,
    *,
    entity: str | None = None,
    kind: str | None = None,
    since: dt.datetime | None = None,
) -> QuerySet[SlaEvent]:
    """Breaches on records `actor` may read, newest first. The record ids come from
    `visible(...)` as subqueries, so this stays one query."""
    reachable = Q()
    for name, model in _MODELS.items():
        if entity in (None, name):
            reachable |= Q(entity=name, record_id__in=visible(actor, model).values("pk"))
    qs = SlaEvent.objects.filter(reachable) if reachable else SlaEvent.objects.none()
    if kind:
        qs = qs.filter(kind=kind)
    if since is not None:
        qs = qs.filter(breached_at__gte=since)
    return qs


def _events(entity: str, pk: int) -> list[SlaEvent]:
    return list(SlaEvent.objects.filter(entity=entity, record_id=pk).order_by("breached_at", "id"))


def _state(due: dt.datetime | None, done: dt.datetime | None, now: dt.datetime) -> str:
    """ "none" (no target), "met", "missed", "pending" or "overdue"."""
    if due is None:
        return "none"
    if done is not None:
        return "met" if done <= due else "missed"
    return "overdue" if due <= now else "pending"


def case_sla(actor: Any, case: Case | int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """A case's targets, how each stands and its breaches. NotFound when `actor` may not
    read the case."""
    if not isinstance(case, Case):
        if not 0 < case <= MAX_ID:
            raise NotFound(f"case {case} not found")
        case = case_get(actor, case)
    now = now or dt.datetime.now(dt.UTC)
    policy = policy_for_case(case.priority, case.type)
    return {
        "case_id": case.pk,
        "policy": policy,
        "first_response_due_at": case.first_response_due_at,
        "first_response_at": case.first_response_at,
        "first_response": _state(case.first_response_due_at, case.first_response_at, now),
        "resolve_due_at": case.resolve_due_at,
        "resolved_at": case.resolved_at,
        "resolution": _state(case.resolve_due_at, case.resolved_at, now),
        "breaches": _events(BreachEntity.CASE, case.pk),
    }


def lead_sla(actor: Any, lead: Lead | int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """A lead's speed-to-lead target, how it stands and its breach. NotFound when `actor`
    may not read the lead."""
    if not isinstance(lead, Lead):
        if not 0 < lead <= MAX_ID:
            raise NotFound(f"lead {lead} not found")
        lead = lead_get(actor, lead)
    now = now or dt.datetime.now(dt.UTC)
    policy = policy_for_lead(lead.source)
    due = lead_due_at(lead, policy) if policy else None
    return {
        "lead_id": lead.pk,
        "policy": policy,
        "first_contact_due_at": due,
        "first_contacted_at": lead.first_contacted_at,
        "first_contact": _state(due, lead.first_contacted_at, now),
        "breaches": _events(BreachEntity.LEAD, lead.pk),
    }
