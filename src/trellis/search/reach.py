"""Which index entries a person can reach, from the copies of the access columns.

`reach(actor, model)` is the access rules of `trellis.access` (DESIGN.md) written against
`SearchEntry`'s copies of a record's owner and owning unit, built from the same
`scope_for(actor)` that `visible` uses. It exists for speed only: with it the database
walks the caller's part of the index instead of every match in the organization. It
never decides what a person sees: each result is still checked against
`access.visible(...)` (selectors.search), so a copy that is out of step can hide
a record, never reveal one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from trellis.access.engine import hierarchy_applies, scope_for
from trellis.access.models import RIGHTS, Share
from trellis.org.models import ManagerClosure, TeamMembership
from trellis.org.roles import ORG, OWN, SUBTREE, UNIT
from trellis.search.models import UNIT_IDS_SQL, SearchEntry

Arm = tuple[str, list[Any]]  # an SQL condition on the entries, and its parameters


def reach(actor: Any, model: Any, action: str = "read") -> list[Arm] | None:
    """SQL conditions on `SearchEntry` whose union covers at least the entries of the
    records of `model` that `actor` may `action`, one per way of reaching a record (owned
    by them or their owner teams, in a unit, under a unit, shared, owned below them in the
    hierarchy); [] when the actor reaches nothing and None when they reach every record
    (nothing to narrow). Each is served by an index on its own, so a search asks them one
    by one instead of as one OR that the planner may misjudge."""
    scope = scope_for(actor)
    if scope is None:
        return []
    if scope.full_access_role:
        return None
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    entity = model.access_entity
    owned: list[Arm] = [(f"{table}.owner_user_id = %s", [scope.user_id])]
    if scope.owner_team_ids:
        owned.append(_in(f"{table}.owner_team_id", scope.owner_team_ids))
    anchors = [(scope.user_depth(entity, action), owned, scope.unit_id, scope.unit_path)]
    anchors += [
        (
            scope.team_depth(team, entity, action),
            [(f"{table}.owner_team_id = %s", [team.id])],
            team.unit_id,
            team.unit_path,
        )
        for team in scope.owner_teams
    ]
    arms: list[Arm] = []
    for depth, own, unit_id, unit_path in anchors:
        if depth >= ORG:
            return None
        if depth >= OWN:
            arms.extend(own)
        if depth == UNIT:
            arms.append((f"{table}.owning_unit_id = %s", [unit_id]))
        elif depth == SUBTREE:
            arms.append(_under(f"{table}.unit_path", unit_path))
    arms.append(_shared(f"{table}.record_id", scope, model, action))
    # `below_count` is how many people report (directly or not) to the user.
    if not scope.is_partner and hierarchy_applies(model, action) and scope.below_count:
        below, params = (
            ManagerClosure.objects.filter(ancestor_id=scope.user_id)
            .values("descendant_id")
            .query.sql_with_params()
        )
        arms.append((f"{table}.owner_user_id IN ({below})", list(params)))
    # An owner team's arm can repeat the user's own; asking it twice finds nothing new.
    unique: dict[str, Arm] = {}
    for sql, params in arms:
        unique.setdefault(sql + repr(params), (sql, params))
    return list(unique.values())


def _in(column: str, values: tuple[int, ...]) -> Arm:
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _under(column: str, unit_path: str) -> Arm:
    """The entries owned in the unit with path `unit_path` or below it. PostgreSQL asks
    whether the path's list of unit ids holds the unit's id: one key of the GIN index over
    (unit ids, text trigrams), so the narrowing and the text match are one index scan.
    Elsewhere it is a range of paths (every path ends with "/", and "0" sorts right after
    "/"), served by a B-tree on the path."""
    if connection.vendor == "postgresql":
        unit_id = unit_path.rstrip("/").rsplit("/", 1)[-1]
        return f"{UNIT_IDS_SQL.format(column)} @> ARRAY[%s]::text[]", [unit_id]
    # The unary + keeps SQLite from driving the search by the path index (a subtree holds
    # far more entries than a text match): the FTS match drives, the path filters.
    return f"(+{column} >= %s AND +{column} < %s)", [unit_path, unit_path[:-1] + "0"]


def _shared(column: str, scope: Any, model: Any, action: str) -> Arm:
    """The records of `model` shared with the user, or with a team (owner or access) they
    are an active member of, with the right to `action`, unexpired (DESIGN.md rule 3).
    Written out rather than compiled by the ORM: it is built on every search."""
    if action not in RIGHTS:
        raise ValueError(f"unknown action {action!r}")
    q = connection.ops.quote_name
    share, member = q(Share._meta.db_table), q(TeamMembership._meta.db_table)
    now = timezone.now()
    sql = (
        f"{column} IN (SELECT s.record_id FROM {share} s WHERE s.record_type_id = %s"
        f" AND s.{q('can_' + action)} AND (s.expires_at IS NULL OR s.expires_at > %s)"
        f" AND (s.user_id = %s OR s.team_id IN (SELECT m.team_id FROM {member} m"
        " WHERE m.user_id = %s AND (m.expires_at IS NULL OR m.expires_at > %s))))"
    )
    record_type = ContentType.objects.get_for_model(model).pk
    return sql, [record_type, now, scope.user_id, scope.user_id, now]
