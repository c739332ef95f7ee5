"""Reads of cases. Every one starts from `access.visible`."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from trellis.access import visible
from trellis.core.errors import NotFound
from trellis.customers.models import Account, Contact
from trellis.service.models import DONE_STATUSES, Case, CaseStatusChange

CASE_FILTERS = (
    "status",
    "priority",
    "type",
    "channel",
    "account_id",
    "contact_id",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
)


def case_list(
    actor: Any,
    *,
    q: str = "",
    open: bool | None = None,  # noqa: A002 (the API's filter name)
    action: str = "read",
    **filters: Any,
) -> QuerySet[Case]:
    """Cases `actor` may see, narrowed by exact-match filters, `open` (True: not yet
    resolved or closed; False: resolved or closed) and a search on subject and number.
    Order by `queue_key` for the queue: urgent first, then oldest."""
    qs = visible(actor, Case, action).select_related("owner_user", "owner_team", "owning_unit")
    clean = {
        key: value
        for key, value in filters.items()
        if key in CASE_FILTERS and value not in (None, "")
    }
    if clean:
        qs = qs.filter(**clean)
    if open is True:
        qs = qs.exclude(status__in=DONE_STATUSES)
    elif open is False:
        qs = qs.filter(status__in=DONE_STATUSES)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(subject__icontains=q) | Q(number__icontains=q))
    return qs


def with_visible_links(actor: Any, qs: QuerySet[Case]) -> QuerySet[Case]:
    """Adds the linked account and contact, and whether `actor` may read each, in the same
    query: a page must not show the name of a record its reader cannot see."""
    return qs.select_related("account", "contact").annotate(
        account_visible=Exists(visible(actor, Account).filter(pk=OuterRef("account_id"))),
        contact_visible=Exists(visible(actor, Contact).filter(pk=OuterRef("contact_id"))),
    )


def case_get(actor: Any, pk: int, *, links: bool = False) -> Case:
    """One case the actor may see; NotFound for a missing or invisible id alike. With
    `links`, as `with_visible_links` gives it."""
    qs = visible(actor, Case, "read").select_related("owner_user", "owner_team", "owning_unit")
    if links:
        qs = with_visible_links(actor, qs)
    case = qs.filter(pk=pk).first()
    if case is None:
        raise NotFound(f"case {pk} not found")
    return case


def case_history(actor: Any, case: Case) -> QuerySet[CaseStatusChange]:
    """The status changes of a case the actor may read (callers got it from `case_get`),
    oldest first."""
    return (
        CaseStatusChange.objects.filter(case_id=case.pk)
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )


def queue_cases(actor: Any, queue: Any, *, limit: int = 100) -> list[tuple[Any, Case]]:
    """The cases waiting in a routing queue that `actor` can read, as (queue item, case)
    pairs in the order "take next" takes them (highest priority, then oldest). The order
    and the waiting rows are routing's (`routing.selectors.queue_items`)."""
    from trellis.routing.selectors import queue_items

    items = list(queue_items(actor, queue)[:limit])
    cases = case_list(actor).in_bulk([item.object_id for item in items])
    return [(item, cases[item.object_id]) for item in items if item.object_id in cases]
