"""A user's access to one entity, split into the part decided by a record's owner and
owning unit and the part decided record by record (shares, hierarchy).

`read_scope(user, Model, action)` is the single statement of the rules of DESIGN.md (the
access model) that `visible` turns into SQL. Callers that keep data keyed by a record's
`owner_user`, `owner_team` and `owning_unit` (dashboard rollups, search index copies) use
the keyed part directly and ask the database only for the remainder:

    scope = read_scope(user, Opportunity)
    keyed = rows.filter(scope.keyed_q())               # rows keyed by the three columns
    rest = Opportunity.objects.filter(scope.remainder_only_q())   # small, per record

The two parts never overlap, and together they are exactly `visible(user, Model, action)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from trellis.access.engine import (
    _check_action,
    _entity,
    _hierarchy,
    _share_principal,
    scope_for,
)
from trellis.access.models import Share
from trellis.org.models import BusinessUnit, ManagerClosure
from trellis.org.roles import NONE, ORG, OWN, SUBTREE, UNIT

__all__ = ["ReadScope", "read_scope"]


@dataclass(frozen=True)
class ReadScope:
    """Which records of one entity a user may act on.

    - `everything`: every record (org depth or full access); the other fields are empty;
    - `owner_user_ids`, `owner_team_ids`: records owned by these users or teams;
    - `unit_ids`: records whose owning unit is one of these;
    - `subtree_paths`: records whose owning unit's path starts with one of these;
    - `share_q`, `hierarchy_q`: conditions on the record (rules 3 and 4) that reach
      records one by one; None when the rule gives nothing.
    `reach` estimates the share of the organization the keyed part covers (for choosing a
    query shape). A user who reaches nothing has every field empty and `everything` False.
    """

    everything: bool
    owner_user_ids: frozenset[int]
    owner_team_ids: frozenset[int]
    unit_ids: frozenset[int | None]
    subtree_paths: tuple[str, ...]
    share_q: Q | None
    hierarchy_q: Q | None
    reach: float = 0.0

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.keyed_parts() or self.record_parts())

    def keyed_parts(self, prefix: str = "") -> list[Q]:
        """One condition per way the keyed part reaches records, on the columns
        `owner_user_id`, `owner_team_id` and `owning_unit_id` (after `prefix`, for a
        relation); any model or rollup with those columns can be filtered with them.
        Subtrees are an `owning_unit_id` subquery on the unit paths."""
        parts: list[Q] = []
        if len(self.owner_user_ids) == 1:
            parts.append(Q(**{f"{prefix}owner_user_id": next(iter(self.owner_user_ids))}))
        elif self.owner_user_ids:
            parts.append(Q(**{f"{prefix}owner_user_id__in": sorted(self.owner_user_ids)}))
        if self.owner_team_ids:
            parts.append(Q(**{f"{prefix}owner_team_id__in": sorted(self.owner_team_ids)}))
        units = sorted(unit for unit in self.unit_ids if unit is not None)
        if len(units) == 1:
            parts.append(Q(**{f"{prefix}owning_unit_id": units[0]}))
        elif units:
            parts.append(Q(**{f"{prefix}owning_unit_id__in": units}))
        if None in self.unit_ids:
            # Unit depth for a user without a unit reaches records without one (as `can`).
            parts.append(Q(**{f"{prefix}owning_unit_id__isnull": True}))
        for path in self.subtree_paths:
            subtree = BusinessUnit.objects.filter(path__startswith=path).values("id")
            parts.append(Q(**{f"{prefix}owning_unit_id__in_subquery": subtree}))
        return parts

    def keyed_q(self, prefix: str = "") -> Q:
        """The keyed part as one condition (matches everything when `everything`; nothing
        when the keyed part is empty)."""
        if self.everything:
            return Q()
        parts = self.keyed_parts(prefix)
        if not parts:
            return Q(pk__in=[])
        condition = parts[0]
        for part in parts[1:]:
            condition |= part
        return condition

    def record_parts(self) -> list[Q]:
        return [q for q in (self.share_q, self.hierarchy_q) if q is not None]

    def remainder_only_q(self) -> Q | None:
        """Records reached only through shares or hierarchy, outside the keyed part; None
        when there are none to look for (then the keyed part is the whole answer)."""
        parts = self.record_parts()
        if self.everything or not parts:
            return None
        condition = parts[0]
        for part in parts[1:]:
            condition |= part
        keyed = self.keyed_parts()
        if not keyed:
            return condition
        covered = keyed[0]
        for part in keyed[1:]:
            covered |= part
        # Django's negation keeps NULL owners and units outside `covered`, as wanted.
        return condition & ~covered

    def subtree_unit_ids(self) -> set[int]:
        """Every unit id the unit and subtree parts cover (one small query)."""
        ids = {unit for unit in self.unit_ids if unit is not None}
        if self.subtree_paths:
            condition = Q()
            for path in self.subtree_paths:
                condition |= Q(path__startswith=path)
            ids.update(BusinessUnit.objects.filter(condition).values_list("id", flat=True))
        return ids


EMPTY = ReadScope(False, frozenset(), frozenset(), frozenset(), (), None, None)
EVERYTHING = ReadScope(True, frozenset(), frozenset(), frozenset(), (), None, None, 1.0)


def read_scope(user: Any, model: Any, action: str = "read") -> ReadScope:
    """`user`'s access to records of `model` for `action` (see `ReadScope`), from the same
    rules and the same per-request scope that `visible` uses."""
    _check_action(action)
    if action == "create":
        raise ValueError("read_scope() answers for existing records")
    entity = _entity(model)
    scope = scope_for(user)
    if scope is None:
        return EMPTY
    if scope.full_access_role:
        return EVERYTHING
    users: set[int] = set()
    teams: set[int] = set()
    units: set[int | None] = set()
    paths: set[str] = set()
    reach = 0.0
    # Rule 1 measures depth from the user (own: the user and their owner teams); rule 2
    # from each owner team (own: records of that team).
    anchors = [
        (scope.user_depth(entity, action), {scope.user_id}, set(scope.owner_team_ids), scope)
    ]
    for team in scope.owner_teams:
        anchors.append((scope.team_depth(team, entity, action), set(), {team.id}, team))
    for depth, own_users, own_teams, anchor in anchors:
        if depth >= ORG:
            return EVERYTHING
        if depth == NONE:
            continue
        if depth >= OWN:
            users |= own_users
            teams |= own_teams
        if depth == UNIT:
            units.add(anchor.unit_id)
            reach += 1 / scope.total_units
        elif depth == SUBTREE:
            paths.add(anchor.unit_path)
            reach += scope.subtree_units.get(anchor.unit_path, scope.total_units) / (
                scope.total_units
            )
    # A subtree inside another adds nothing.
    kept = tuple(sorted(p for p in paths if not any(p != o and p.startswith(o) for o in paths)))
    shares = (
        Share.objects.filter(
            _share_principal(scope), record_type=ContentType.objects.get_for_model(model)
        )
        .filter(**{f"can_{action}": True})
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .values("record_id")
    )
    hierarchy = None
    if _hierarchy(scope, model, action):
        below = ManagerClosure.objects.filter(ancestor_id=scope.user_id).values("descendant_id")
        hierarchy = Q(owner_user_id__in_subquery=below)
        reach += scope.below_count / scope.total_users
    return ReadScope(
        everything=False,
        owner_user_ids=frozenset(users),
        owner_team_ids=frozenset(teams),
        unit_ids=frozenset(units),
        subtree_paths=kept,
        share_q=Q(pk__in_subquery=shares),
        hierarchy_q=hierarchy,
        reach=reach,
    )
