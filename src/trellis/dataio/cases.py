"""Entity rules an import applies to each planned case beyond the service's field cleaning:
its status history, its service-level due times, its queue order and its number.

History moved in from another CRM keeps its dates, so service reports over the past
(first response and resolution times, satisfaction) are right from the first day:

* `status` (new, in_progress, waiting, resolved, closed; default new) with
  `first_response_at`, `resolved_at`, `closed_at`, `resolution` and `satisfaction`
  (1-5), as the case services would have left them:
  - a `new` case has none of them;
  - a case past `new` has a first response: when the file gives none, a resolved or
    closed case was answered when it was resolved (as resolving at once does), an open
    one at the import time;
  - a resolved or closed case has `resolved_at`: when the file gives none, its
    `closed_at` if given, else the import time; a closed case has `closed_at` (default
    its `resolved_at`); only they may carry a `resolution` and a `satisfaction`;
  - the dates never run backwards: created <= first response <= resolved <= closed,
    and a given `modified_at` is not before the last of them (by default it is that
    last date).
* Each new case gets its status history (`CaseStatusChange`): created as `new`, then
  the first response (to in_progress or waiting; straight to resolved when it came at
  the resolution), resolved (with the resolution as its note) and closed, each at its
  date, by the importer.
* Service levels: an open case gets its first-response and resolution due times from
  the SLA policy for its priority and type, counted from its `created_at`, as a new case
  does (so an open case imported already late is a breach the next SLA check
  escalates). A resolved or closed case keeps them empty: the targets of the past are
  not known, and no breach is invented for history.
* Ownership: the `owner` column (a user or an owner team) is kept; a row without one is
  owned by the importer (or the import's default owner). Imported cases are never
  routed: the assignment rules are for new work, not for history.
* Numbers: each new case gets its Trellis number ("CS-000123") from its id, as
  `case_create` gives it; the other CRM's number belongs in `external_id` (the dedupe key).

The history columns are read only when a row creates a case; a row that updates an
existing case may repeat the stored values but not change them (statuses move through
the case's own actions, which keep the history).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from trellis.core.errors import InvalidInput
from trellis.dataio.history import Plan, keep_history, not_before
from trellis.org.models import User
from trellis.service.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseStatusChange,
    Status,
    queue_key_for,
)
from trellis.service.services import case_check_satisfaction, case_number
from trellis.sla.timers import case_due_times, policy_for_case

CASE_HISTORY = (
    "status",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "resolution",
    "satisfaction",
)
# A new case's history steps: (from status, to status, when, note).
Step = tuple[str, str, dt.datetime, str]


def parse_status(value: str, name: str) -> str:
    """A status as written in a file ("In progress", "in-progress") as its stored value."""
    return "_".join(value.strip().lower().replace("-", " ").split())


def _import_time(plan: Plan) -> dt.datetime:
    # One moment for every row of an import, as the records' own timestamps have.
    return plan.memo.setdefault("now", timezone.now())


def _check_contact(case: Case) -> None:
    contact = case.contact if case.contact_id else None
    if contact is not None and contact.account_id not in (None, case.account_id):
        raise InvalidInput.field("contact_email", "the contact belongs to another account")


def _only_when(given: dict[str, Any], names: tuple[str, ...], status: str, who: str) -> None:
    for name in names:
        if given.get(name) not in (None, ""):
            raise InvalidInput.field(name, f"only {who} has one (this case is {status})")


def _due_times(plan: Plan, case: Case) -> None:
    key = ("sla policy", case.priority, case.type)
    if key not in plan.memo:
        plan.memo[key] = policy_for_case(case.priority, case.type)
    for name, value in case_due_times(case, plan.memo[key]).items():
        setattr(case, name, value)


def prepare_case(plan: Plan) -> list[Step] | None:
    """Status, dates, due times and queue order of a new case, and the status history to
    write (see the module docstring); None for an update."""
    case, history = plan.record, plan.history
    _check_contact(case)
    if not plan.creating:
        keep_history(plan, "case")
        return None
    status = history.get("status") or Status.NEW
    if status not in Status.values:
        raise InvalidInput.field("status", f"must be one of {', '.join(Status.values)}")
    created = case.created_at
    responded = history.get("first_response_at")
    resolved = history.get("resolved_at")
    closed = history.get("closed_at")
    resolution = (history.get("resolution") or "").strip()
    done = status in DONE_STATUSES
    if status == Status.NEW:
        _only_when(history, ("first_response_at",), status, "a case past new")
    if not done:
        _only_when(
            history,
            ("resolved_at", "resolution", "satisfaction"),
            status,
            "a resolved or closed case",
        )
    if status != Status.CLOSED:
        _only_when(history, ("closed_at",), status, "a closed case")
    now = _import_time(plan)
    if done:
        resolved = resolved or closed or now
        closed = (closed or resolved) if status == Status.CLOSED else None
        responded = responded or resolved
    elif status != Status.NEW:
        responded = responded or now
    not_before(resolved, created, "resolved_at", "created_at")
    not_before(responded, created, "first_response_at", "created_at")
    not_before(resolved, responded or created, "resolved_at", "first_response_at")
    not_before(closed, resolved or created, "closed_at", "resolved_at")
    latest = max(when for when in (created, responded, resolved, closed) if when is not None)
    if not plan.modified_given:
        case.modified_at = latest
    elif case.modified_at < latest:
        last = "closed_at" if latest == closed else "resolved_at" if latest == resolved else ""
        raise InvalidInput.field("modified_at", f"must not be before {last or 'first_response_at'}")
    case.status = status
    case.first_response_at, case.resolved_at, case.closed_at = responded, resolved, closed
    case.resolution = resolution
    case.satisfaction = case_check_satisfaction(case, history.get("satisfaction"))
    case.queue_key = queue_key_for(case.priority, created)
    if status in OPEN_STATUSES:
        _due_times(plan, case)
    return _steps(case, status)


def _steps(case: Case, status: str) -> list[Step]:
    steps: list[Step] = [("", Status.NEW, case.created_at, "")]
    if status == Status.NEW:
        return steps
    if status in (Status.IN_PROGRESS, Status.WAITING):
        steps.append((Status.NEW, status, case.first_response_at, ""))
        return steps
    previous = Status.NEW
    if case.first_response_at < case.resolved_at:
        steps.append((Status.NEW, Status.IN_PROGRESS, case.first_response_at, ""))
        previous = Status.IN_PROGRESS
    steps.append((previous, Status.RESOLVED, case.resolved_at, case.resolution))
    if status == Status.CLOSED:
        steps.append((Status.RESOLVED, Status.CLOSED, case.closed_at, ""))
    return steps


def record_case_history(actor: User, planned: list[tuple[Any, Any]]) -> list[Any]:
    """Number the cases just inserted (an UPDATE, as `case_create` numbers from the id)
    and build their status-history rows (returned, not saved)."""
    cases = [case for case, _steps in planned]
    for case in cases:
        case.number = case_number(case.pk)
    Case.objects.bulk_update(cases, ["number"], batch_size=500)
    return [
        CaseStatusChange(
            case_id=case.pk,
            from_status=from_status,
            to_status=to_status,
            changed_by_id=actor.pk,
            changed_at=when,
            note=note,
        )
        for case, steps in planned
        for from_status, to_status, when, note in steps or ()
    ]
