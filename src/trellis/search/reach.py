"""Which index entries a person can reach, from the copies of the access columns.

`reach(actor, model)` writes the caller's `trellis.access.scope.read_scope` (the one
statement of the access rules, the same `visible` is built from) against `SearchEntry`'s
copies of a record's owner, owning unit and unit path. It exists for speed only: with it
the database walks the caller's part of the index instead of every match in the
organization. It never decides what a person sees: each result is still checked against
`access.visible(...)` (selectors.search), so a copy that is out of step can hide a record,
never reveal one.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from trellis.access.engine import scope_for
from trellis.access.scope import read_scope
from trellis.search.models import UNIT_IDS_SQL, SearchEntry

Arm = tuple[str, list[Any]]  # an SQL condition on the entries, and its parameters


def reach(actor: Any, model: Any, action: str = "read") -> list[Arm] | None:
    """SQL conditions on `SearchEntry` whose union covers at least the entries of the
    records of `model` that `actor` may `action`, one per way of reaching a record (owned
    by them or their owner teams, in a unit, under a unit, shared, owned below them in the
    hierarchy); [] when the actor reaches nothing and None when they reach every record
    (nothing to narrow). Each is served by an index on its own, so a search asks them one
    by one instead of as one OR that the planner may misjudge.

    Building them costs about a millisecond per entity (the scope's subqueries are
    compiled), so within a request (`access.scope_cache`) they are kept with the caller's
    access scope and built once."""
    user_scope = scope_for(actor)
    if user_scope is None:
        return []
    kept = user_scope.__dict__.setdefault("_search_arms", {})
    key = (model._meta.label_lower, action)
    if key not in kept:
        kept[key] = _arms(actor, model, action, user_scope.below_count)
    return kept[key]


def _arms(actor: Any, model: Any, action: str, below_count: int) -> list[Arm] | None:
    scope = read_scope(actor, model, action)
    if scope.everything:
        return None
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    arms: list[Arm] = []
    if scope.owner_user_ids:
        arms.append(_in(f"{table}.owner_user_id", scope.owner_user_ids))
    if scope.owner_team_ids:
        arms.append(_in(f"{table}.owner_team_id", scope.owner_team_ids))
    units = {unit for unit in scope.unit_ids if unit is not None}
    if units:
        arms.append(_in(f"{table}.owning_unit_id", units))
    if None in scope.unit_ids:
        arms.append((f"{table}.owning_unit_id IS NULL", []))
    arms.extend(_under(f"{table}.unit_path", path) for path in scope.subtree_paths)
    if scope.share_q is not None:
        arms.append(_records(f"{table}.record_id", model, scope.share_q))
    # The hierarchy arm only when someone reports to the user: an empty arm still costs
    # a branch of the UNION.
    if scope.hierarchy_q is not None and below_count:
        arms.append(_records(f"{table}.record_id", model, scope.hierarchy_q))
    return arms


def _in(column: str, values: frozenset[int] | set[int]) -> Arm:
    ordered = sorted(values)
    if len(ordered) == 1:
        return f"{column} = %s", ordered
    return f"{column} IN ({', '.join(['%s'] * len(ordered))})", ordered


def _records(column: str, model: Any, condition: Any) -> Arm:
    """The entries of the records of `model` that meet `condition` (a rule that reaches
    records one by one: shares, hierarchy)."""
    sql, params = (
        model._default_manager.filter(condition).order_by().values("pk").query.sql_with_params()
    )
    return f"{column} IN ({sql})", list(params)


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
