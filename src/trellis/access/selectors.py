"""Reads about access itself: who can reach a record, and why."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from trellis.access.engine import Grant, explain
from trellis.access.models import RIGHTS, SecurableModel, Share
from trellis.org.models import ManagerClosure, SecurityRole, User


def who_can(record: SecurableModel) -> list[tuple[User, dict[str, list[Grant]]]]:
    """Everyone with any right on `record`, each with the grants per action.

    Candidates are narrowed in SQL (owners, members of the owning/sharing teams, people in
    the owning unit's ancestors, holders of org-wide or full-access roles, sharees, the
    owner's managers); `explain` then decides for each, so the answer matches `can`."""
    entity = record.access_entity
    ct = ContentType.objects.get_for_model(record)
    path = record.owning_unit.path if record.owning_unit_id else ""
    ancestor_units = [int(part) for part in path.strip("/").split("/") if part]
    org_roles = [
        role.pk
        for role in SecurityRole.objects.all()
        if role.full_access
        or any(depth == "org" for depth in (role.permissions.get(entity) or {}).values())
    ]
    condition = (
        Q(unit_id__in=ancestor_units)
        | Q(memberships__team__unit_id__in=ancestor_units)
        | Q(roles__in=org_roles)
        | Q(memberships__team__roles__in=org_roles)
        | Q(shares__record_type=ct, shares__record_id=record.pk)
        | Q(
            memberships__team__shares__record_type=ct,
            memberships__team__shares__record_id=record.pk,
        )
    )
    if record.owner_user_id:
        condition |= Q(pk=record.owner_user_id) | Q(
            pk__in=ManagerClosure.objects.filter(descendant_id=record.owner_user_id).values(
                "ancestor_id"
            )
        )
    if record.owner_team_id:
        condition |= Q(memberships__team_id=record.owner_team_id)
    candidates = (
        User.objects.filter(is_active=True)
        .filter(pk__in=User.objects.filter(condition).values("pk"))
        .select_related("unit")
        .order_by("last_name", "first_name", "username")
    )
    out = []
    for person in candidates:
        grants = {action: explain(person, action, record) for action in RIGHTS}
        if any(grants.values()):
            out.append((person, grants))
    return out


def rights_summary(grants: dict[str, list[Grant]]) -> list[str]:
    return [action for action, reasons in grants.items() if reasons]


def access_rows(record: SecurableModel) -> list[dict[str, Any]]:
    """`who_can` as plain data for the API and the access panel."""
    return [
        {
            "user_id": person.pk,
            "username": person.username,
            "name": str(person),
            "unit": person.unit.name if person.unit_id else None,
            "rights": rights_summary(grants),
            "grants": [g.as_dict() for reasons in grants.values() for g in reasons],
        }
        for person, grants in who_can(record)
    ]


def record_shares(record: SecurableModel) -> QuerySet[Share]:
    """The shares on one record, with their user or team. (The caller has already checked
    that the viewer may read the record.)"""
    return (
        Share.objects.filter(
            record_type=ContentType.objects.get_for_model(record), record_id=record.pk
        )
        .select_related("user", "user__unit", "team")
        .order_by("pk")
    )
