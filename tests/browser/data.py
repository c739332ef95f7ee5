"""Records for the browser journeys, stored directly (no service checks, no routing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from trellis.activities.models import Activity
from trellis.customers.models import Account, Contact
from trellis.org.models import Team, User
from trellis.routing.entities import queue_key
from trellis.routing.models import Queue, QueueItem
from trellis.sales.models import Lead, Opportunity
from trellis.service.models import Case, CaseStatusChange
from trellis.service.services import case_number


def _owned(owner: User | Team) -> dict[str, Any]:
    if isinstance(owner, Team):
        return {"owner_team": owner, "owning_unit_id": owner.unit_id}
    return {"owner_user": owner, "owning_unit_id": owner.unit_id}


def lead(owner: User, first_name: str, last_name: str, **fields: Any) -> Lead:
    return Lead.objects.create(
        first_name=first_name, last_name=last_name, **_owned(owner), **fields
    )


def opportunity(owner: User, account: Account, name: str, amount: int, **fields: Any):
    return Opportunity.objects.create(
        name=name,
        account=account,
        amount=Decimal(amount),
        currency=fields.pop("currency", "USD"),
        **_owned(owner),
        **fields,
    )


def contact(owner: User, first_name: str, last_name: str, **fields: Any) -> Contact:
    return Contact.objects.create(
        first_name=first_name, last_name=last_name, **_owned(owner), **fields
    )


def case(owner: User | Team, subject: str, *, age: dt.timedelta | None = None, **fields: Any):
    """A numbered case with its creation history, created `age` ago."""
    created = timezone.now() - (age or dt.timedelta())
    made = Case.objects.create(subject=subject, created_at=created, **_owned(owner), **fields)
    made.number = case_number(made.pk)
    made.save(update_fields=["number"])
    CaseStatusChange.objects.create(case=made, from_status="", to_status=made.status)
    return made


def queued_case(queue: Queue, subject: str, priority: str, age: dt.timedelta) -> Case:
    """A case of the queue's team waiting in `queue` since it was made, `age` ago."""
    made = case(queue.team, subject, age=age, priority=priority)
    QueueItem.objects.create(
        queue=queue,
        entity="case",
        object_id=made.pk,
        label=str(made)[:200],
        priority=priority,
        queue_key=queue_key(priority, made.created_at),
        enqueued_at=made.created_at,
    )
    return made


def meeting_today(owner: User, subject: str, hour: int = 10) -> Activity:
    """A one-hour meeting of `owner` today at `hour` (local time)."""
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour)))
    return Activity.objects.create(
        kind="meeting",
        subject=subject,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        **_owned(owner),
    )
