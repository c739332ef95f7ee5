"""Reads of the routing app. Records (queue items, decisions) are only shown for records
the caller can read: every such list is filtered through `access.visible`."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from trellis.access.engine import visible
from trellis.access.models import SecurableModel
from trellis.core.errors import NotFound
from trellis.org.models import TeamMembership, User
from trellis.org.selectors import has_privilege
from trellis.routing.entities import ENTITIES, routable
from trellis.routing.models import AssignmentDecision, AssignmentRule, Queue, QueueItem
from trellis.routing.services import PRIVILEGE, require_manager


def may_manage(actor: Any) -> bool:
    """Whether `actor` may see and change rules and queues (manage_routing)."""
    return has_privilege(actor, PRIVILEGE)


def rule_list(actor: User, *, entity: str | None = None) -> QuerySet[AssignmentRule]:
    """Rules in their order (needs manage_routing)."""
    require_manager(actor)
    qs = AssignmentRule.objects.select_related("target_user", "target_team", "target_queue")
    if entity:
        qs = qs.filter(entity=entity)
    return qs.order_by("entity", "position", "id")


def rule_get(actor: User, pk: int) -> AssignmentRule:
    require_manager(actor)
    rule = rule_list(actor).filter(pk=pk).first() if pk else None
    if rule is None:
        raise NotFound(f"assignment rule {pk} not found")
    return rule


def _member_team_ids(actor: User) -> QuerySet:
    now = timezone.now()
    return TeamMembership.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), user_id=actor.pk
    ).values("team_id")


def queue_list(actor: User) -> QuerySet[Queue]:
    """All queues for routing managers; the queues of one's own teams for everyone else."""
    waiting = Count("items", filter=Q(items__taken_at__isnull=True))
    qs = Queue.objects.select_related("team").annotate(waiting=waiting)
    if may_manage(actor):
        return qs
    return qs.filter(team_id__in=_member_team_ids(actor))


def queue_get(actor: User, pk: int) -> Queue:
    """A queue the actor may see (a manager, or a member of its team); else 404."""
    queue = queue_list(actor).filter(pk=pk).first() if pk else None
    if queue is None:
        raise NotFound(f"queue {pk} not found")
    return queue


def queue_items(actor: User, queue: Queue) -> QuerySet[QueueItem]:
    """The items waiting in `queue` (next first) whose records the actor can read."""
    model = routable(queue.entity).model
    return (
        queue.items.filter(taken_at__isnull=True)
        .filter(object_id__in=visible(actor, model).values("pk"))
        .order_by("queue_key", "id")
    )


def record_decisions(actor: User, record: SecurableModel) -> QuerySet[AssignmentDecision]:
    """Every decision about `record`, newest first. The caller fetched `record` through
    its entity's selector, so it is one they may read."""
    return AssignmentDecision.objects.filter(
        entity=record.access_entity, object_id=record.pk
    ).select_related("rule", "chosen_user", "chosen_team", "chosen_queue", "actor")


def decision_history(actor: User, *, entity: str | None = None) -> QuerySet[AssignmentDecision]:
    """Decisions about records the actor can read, newest first."""
    parts = Q()
    for name, spec in ENTITIES.items():
        if entity and name != entity:
            continue
        parts |= Q(entity=name, object_id__in=visible(actor, spec.model).values("pk"))
    return (
        AssignmentDecision.objects.filter(parts)
        .select_related("rule", "chosen_user", "chosen_team", "chosen_queue", "actor")
        .order_by("-created_at", "-id")
    )


def record_for(actor: User, entity: str, pk: int) -> SecurableModel:
    """A routable record the actor may read; 404 otherwise."""
    spec = ENTITIES.get(entity)
    record = visible(actor, spec.model).filter(pk=pk).first() if spec and pk else None
    if record is None:
        raise NotFound(f"{entity} {pk} not found")
    return record
