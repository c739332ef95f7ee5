"""Writes of the routing app: rules, queues, routing records, manual/bulk assignment and
taking work from a queue. Each runs in one transaction and is audited.

Permissions:

* Rules and queues need the `manage_routing` privilege; a rule or queue may only target
  teams (and users) in units the privilege reaches.
* Routing a new record is a *system* decision: the routed owner does not need the
  creator's assign rights (the rules were set up by someone with `manage_routing`). The
  assignment is still made through `access.services.record_assign`, so the owning unit
  and the audit trail stay right, with the creator as the acting user.
* Manual and bulk assignment need `assign` on each record, like the plain assign action,
  and store a decision with the reason given.
* Taking the next item of a queue needs active membership of the queue's team; the taker
  becomes the owner even without assign rights (that is what the queue is for).

Concurrency (DESIGN.md: no item gets two owners, no agent goes over capacity):

* Taking from a queue locks the taker's user row first (so one person's takes run one
  after another and the capacity check sees their earlier takes), then the first waiting
  item with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent takers get
  different items. On SQLite the IMMEDIATE transaction serializes writers.
* Routing to a person locks the round-robin rule row (when the strategy is round robin)
  and then the chosen person's row, recounts their load and decides again when they have
  just filled up. Rows are always locked in that order: rule, then user, then item.
* Routing a batch (`route_records`) locks the round-robin rules and then every candidate
  in id order once per chunk, so the loads kept in memory stay exact while the chunk is
  decided; the chunk's writes are then set-based (see `_route_batch`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField, Q, Value
from django.utils import timezone

from trellis.access.engine import visible
from trellis.access.models import SecurableModel
from trellis.access.services import record_assign, records_announce, records_assign_bulk
from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TrellisError
from trellis.core.fields import diff, snapshot
from trellis.notifications.services import notify
from trellis.org.models import Team, TeamKind, TeamMembership, User, UserSkill
from trellis.org.selectors import has_privilege, privilege_covers_unit
from trellis.org.services import check_version
from trellis.routing.engine import OPERATORS, Candidate, Condition, Decision, Pool, RuleSpec
from trellis.routing.engine import decide as decide_pure
from trellis.routing.entities import ENTITIES, entity_of, loads_for, queue_key, routable
from trellis.routing.models import (
    AssignmentDecision,
    AssignmentRule,
    DecisionKind,
    Queue,
    QueueItem,
    Strategy,
)

PRIVILEGE = "manage_routing"
TEAM_STRATEGIES = (Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED, Strategy.SKILL_MATCH)
# Strategies that respect capacity, so the chosen person is locked and re-counted.
CAPACITY_STRATEGIES = (*TEAM_STRATEGIES, Strategy.QUEUE)
MAX_BULK = 500


# Permissions --------------------------------------------------------------------------------


def require_manager(actor: Any) -> None:
    """Forbidden unless `actor` holds manage_routing at some depth."""
    if not has_privilege(actor, PRIVILEGE):
        raise Forbidden(f"this needs the {PRIVILEGE} privilege")


def is_member(user: Any, team: Team) -> bool:
    """An active member of `team` (an expired membership gives nothing)."""
    now = timezone.now()
    return TeamMembership.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), team=team, user_id=user.pk
    ).exists()


def _covers(actor: Any, team: Team | None, field: str) -> None:
    if team is not None and not privilege_covers_unit(actor, PRIVILEGE, team.unit):
        raise Forbidden(
            f"your {PRIVILEGE} privilege does not reach team {team.name}",
            [(field, "outside the units you manage")],
        )


# Rule validation ---------------------------------------------------------------------------


def _entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise InvalidInput.field("entity", f"must be one of {', '.join(ENTITIES)}")
    return entity


def clean_conditions(entity: str, conditions: Any) -> list[dict[str, Any]]:
    """Check a rule's conditions: known fields of the entity, known operators, values of
    the right shape. Errors name `conditions[i].field|op|value`."""
    if not isinstance(conditions, list | tuple):
        raise InvalidInput.field("conditions", "must be a list of {field, op, value}")
    facts = routable(entity).facts
    out = []
    for i, raw in enumerate(conditions):
        where = f"conditions[{i}]"
        if not isinstance(raw, Mapping):
            raise InvalidInput.field(where, "must be an object with field, op and value")
        name, op, value = raw.get("field"), raw.get("op", "eq"), raw.get("value")
        if name not in facts:
            raise InvalidInput.field(
                f"{where}.field",
                f"unknown field {name!r} for {entity}s; use one of {', '.join(facts)}",
            )
        if op not in OPERATORS:
            raise InvalidInput.field(
                f"{where}.op", f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}"
            )
        if op in ("in", "not_in"):
            if not isinstance(value, list | tuple) or not value:
                raise InvalidInput.field(f"{where}.value", f"{op} needs a non-empty list")
            value = [str(item) for item in value]
        elif op in ("is_empty", "is_set"):
            value = None
        elif value is None or isinstance(value, list | dict) or str(value) == "":
            raise InvalidInput.field(f"{where}.value", f"{op} needs a text or number value")
        else:
            value = str(value)
        out.append({"field": name, "op": op, "value": value})
    return out


def clean_skills(skills: Any) -> list[dict[str, Any]]:
    if not isinstance(skills, list | tuple):
        raise InvalidInput.field("skills", "must be a list of {skill, min_level}")
    out = []
    for i, raw in enumerate(skills):
        name = str((raw or {}).get("skill") or "").strip() if isinstance(raw, Mapping) else ""
        if not name:
            raise InvalidInput.field(f"skills[{i}].skill", "name the skill")
        level = raw.get("min_level", 1)
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise InvalidInput.field(f"skills[{i}].min_level", "must be a whole number 1-5")
        out.append({"skill": name, "min_level": level})
    return out


def _check_target(
    entity: str,
    strategy: str,
    target_user: User | None,
    target_team: Team | None,
    target_queue: Queue | None,
    skills: list,
) -> None:
    if strategy not in Strategy.values:
        raise InvalidInput.field("strategy", f"must be one of {', '.join(Strategy.values)}")
    if strategy == Strategy.FIXED:
        if (target_user is None) == (target_team is None):
            raise InvalidInput.field(
                "target_user_id", "a fixed rule names exactly one target user or target team"
            )
        if target_queue is not None:
            raise InvalidInput.field("target_queue_id", "a fixed rule has no queue")
    elif strategy == Strategy.QUEUE:
        if target_queue is None:
            raise InvalidInput.field("target_queue_id", "a queue rule names its queue")
        if target_user is not None or target_team is not None:
            raise InvalidInput.field("target_team_id", "a queue rule targets only its queue")
    else:
        if target_team is None:
            raise InvalidInput.field("target_team_id", f"a {strategy} rule needs a target team")
        if target_user is not None:
            raise InvalidInput.field("target_user_id", f"a {strategy} rule targets a team")
    if target_user is not None and not target_user.is_active:
        raise InvalidInput.field("target_user_id", f"{target_user.username} is deactivated")
    if target_team is not None:
        if target_team.kind != TeamKind.OWNER:
            raise InvalidInput.field("target_team_id", "only owner teams receive work")
        if strategy in TEAM_STRATEGIES and not target_team.memberships.exists():
            raise InvalidInput.field("target_team_id", f"team {target_team.name} has no members")
    if target_queue is not None and target_queue.entity != entity:
        raise InvalidInput.field(
            "target_queue_id", f"queue {target_queue.name} holds {target_queue.entity}s"
        )
    if strategy == Strategy.SKILL_MATCH and not skills:
        raise InvalidInput.field("skills", "a skill_match rule names at least one skill")
    if strategy != Strategy.SKILL_MATCH and skills:
        raise InvalidInput.field("skills", "only skill_match rules use skills")


def _clean_name(name: Any) -> str:
    text = str(name or "").strip()
    if not text:
        raise InvalidInput.field("name", "must not be empty")
    if len(text) > 120:
        raise InvalidInput.field("name", "must be at most 120 characters")
    return text


# Rules -------------------------------------------------------------------------------------


RULE_FIELDS = (
    "name",
    "description",
    "enabled",
    "position",
    "conditions",
    "strategy",
    "target_user",
    "target_team",
    "target_queue",
    "skills",
)


@transaction.atomic
def rule_create(
    actor: User,
    *,
    entity: str,
    name: str,
    strategy: str,
    conditions: Sequence[Mapping[str, Any]] = (),
    target_user: User | None = None,
    target_team: Team | None = None,
    target_queue: Queue | None = None,
    skills: Sequence[Mapping[str, Any]] = (),
    enabled: bool = True,
    position: int | None = None,
    description: str = "",
) -> AssignmentRule:
    """Add a rule to `entity`'s rule set (at the end unless `position` is given); it is
    validated before it is saved."""
    require_manager(actor)
    _entity(entity)
    clean = clean_conditions(entity, list(conditions))
    skill_list = clean_skills(list(skills))
    _check_target(entity, strategy, target_user, target_team, target_queue, skill_list)
    _covers(actor, target_team, "target_team_id")
    _covers(actor, target_queue.team if target_queue else None, "target_queue_id")
    if target_user is not None and not privilege_covers_unit(actor, PRIVILEGE, target_user.unit):
        raise Forbidden("the target user is outside the units you manage", [("target_user_id", "")])
    last = AssignmentRule.objects.filter(entity=entity).order_by("-position").first()
    end = (last.position + 1) if last else 0
    rule = AssignmentRule.objects.create(
        entity=entity,
        name=_clean_name(name),
        strategy=strategy,
        conditions=clean,
        target_user=target_user,
        target_team=target_team,
        target_queue=target_queue,
        skills=skill_list,
        enabled=enabled,
        position=end,
        description=description or "",
    )
    if position is not None and position != end:
        _move_rule(rule, position)
    audit_record(actor, "create", rule, entity="assignment_rule", changes=snapshot(rule))
    return rule


def _move_rule(rule: AssignmentRule, position: int) -> None:
    """Put `rule` at `position` (0-based) in its entity's order and renumber the rest."""
    if position < 0:
        raise InvalidInput.field("position", "must be 0 or more")
    ordered = [
        r
        for r in AssignmentRule.objects.select_for_update()
        .filter(entity=rule.entity)
        .order_by("position", "id")
        if r.pk != rule.pk
    ]
    ordered.insert(min(position, len(ordered)), rule)
    for index, item in enumerate(ordered):
        if item.position != index or item.pk == rule.pk:
            AssignmentRule.objects.filter(pk=item.pk).update(position=index)
    rule.position = ordered.index(rule)


@transaction.atomic
def rule_update(
    actor: User, *, rule: AssignmentRule, version: int | None = None, **fields: Any
) -> AssignmentRule:
    """Change a rule (enable/disable, conditions, target, position...); the result is
    validated as a whole. `version` guards against lost updates."""
    require_manager(actor)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    check_version(rule, version)
    _covers(actor, rule.target_team, "target_team_id")
    before = snapshot(rule)
    position = fields.pop("position", None)
    if "name" in fields:
        rule.name = _clean_name(fields.pop("name"))
    if "conditions" in fields:
        rule.conditions = clean_conditions(rule.entity, fields.pop("conditions"))
    if "skills" in fields:
        rule.skills = clean_skills(fields.pop("skills"))
    for key, value in fields.items():
        setattr(rule, key, value if key != "description" else (value or ""))
    _check_target(
        rule.entity,
        rule.strategy,
        rule.target_user,
        rule.target_team,
        rule.target_queue,
        rule.skills,
    )
    _covers(actor, rule.target_team, "target_team_id")
    _covers(actor, rule.target_queue.team if rule.target_queue else None, "target_queue_id")
    rule.version += 1
    rule.modified_at = timezone.now()
    rule.save()
    if position is not None:
        _move_rule(rule, position)
    audit_record(
        actor, "update", rule, entity="assignment_rule", changes=diff(before, snapshot(rule))
    )
    return rule


@transaction.atomic
def rule_delete(actor: User, *, rule: AssignmentRule) -> None:
    """Remove a rule; its past decisions keep its name."""
    require_manager(actor)
    _covers(actor, rule.target_team, "target_team_id")
    before, pk = snapshot(rule), rule.pk
    rule.delete()
    audit_record(
        actor, "delete", None, entity="assignment_rule", object_id=pk,
        object_repr=before["name"], changes=before,
    )  # fmt: skip


@transaction.atomic
def rule_reorder(actor: User, *, entity: str, rule_ids: Sequence[int]) -> list[AssignmentRule]:
    """Set the order of `entity`'s rules: `rule_ids` must list every rule exactly once."""
    require_manager(actor)
    _entity(entity)
    rules = {r.pk: r for r in AssignmentRule.objects.select_for_update().filter(entity=entity)}
    if sorted(rule_ids) != sorted(rules) or len(set(rule_ids)) != len(rule_ids):
        raise InvalidInput.field("rule_ids", f"list each of the {entity} rules exactly once")
    before = {pk: rule.position for pk, rule in rules.items()}
    for index, pk in enumerate(rule_ids):
        if rules[pk].position != index:
            AssignmentRule.objects.filter(pk=pk).update(position=index)
        rules[pk].position = index
    audit_record(
        actor,
        "reorder",
        None,
        entity="assignment_rule",
        object_repr=f"{entity} rules",
        changes={"order": [sorted(before, key=lambda pk: before[pk]), list(rule_ids)]},
    )
    return [rules[pk] for pk in rule_ids]


# Queues ------------------------------------------------------------------------------------


def _check_queue_team(actor: User, team: Team | None) -> Team:
    if team is None:
        raise InvalidInput.field("team_id", "a queue belongs to an owner team")
    if team.kind != TeamKind.OWNER:
        raise InvalidInput.field("team_id", "only owner teams have queues")
    _covers(actor, team, "team_id")
    return team


@transaction.atomic
def queue_create(
    actor: User, *, name: str, entity: str, team: Team, description: str = ""
) -> Queue:
    """A new queue of `entity` records for `team`'s members to pull from."""
    require_manager(actor)
    _entity(entity)
    _check_queue_team(actor, team)
    name = _clean_name(name)
    if Queue.objects.filter(entity=entity, name=name).exists():
        raise Conflict.field("name", f"a {entity} queue named {name!r} exists")
    queue = Queue.objects.create(name=name, entity=entity, team=team, description=description)
    audit_record(actor, "create", queue, entity="queue", changes=snapshot(queue))
    return queue


@transaction.atomic
def queue_update(
    actor: User,
    *,
    queue: Queue,
    version: int | None = None,
    name: str | None = None,
    description: str | None = None,
    team: Team | None = None,
) -> Queue:
    """Rename a queue or give it to another team (waiting items move with it)."""
    require_manager(actor)
    queue = Queue.objects.select_for_update().get(pk=queue.pk)
    check_version(queue, version)
    _covers(actor, queue.team, "team_id")
    before = snapshot(queue)
    if name is not None:
        name = _clean_name(name)
        if Queue.objects.filter(entity=queue.entity, name=name).exclude(pk=queue.pk).exists():
            raise Conflict.field("name", f"a {queue.entity} queue named {name!r} exists")
        queue.name = name
    if description is not None:
        queue.description = description
    moved = team is not None and team.pk != queue.team_id
    if team is not None:
        queue.team = _check_queue_team(actor, team)
    queue.version += 1
    queue.modified_at = timezone.now()
    queue.save()
    if moved:
        spec = routable(queue.entity)
        waiting = queue.items.filter(taken_at__isnull=True).values("object_id")
        for record in spec.model._default_manager.filter(pk__in=waiting).order_by("pk"):
            record_assign(actor, record, owner_team=queue.team, check=False)
    audit_record(actor, "update", queue, entity="queue", changes=diff(before, snapshot(queue)))
    return queue


@transaction.atomic
def queue_delete(actor: User, *, queue: Queue) -> None:
    """Only a queue no rule uses and with nothing waiting can go (409 otherwise)."""
    require_manager(actor)
    _covers(actor, queue.team, "team_id")
    if queue.rules.exists():
        raise Conflict("rules still send work to this queue; change them first")
    if queue.items.filter(taken_at__isnull=True).exists():
        raise Conflict("items are waiting in this queue; take or reassign them first")
    before, pk = snapshot(queue), queue.pk
    queue.delete()
    audit_record(
        actor, "delete", None, entity="queue", object_id=pk, object_repr=before["name"],
        changes=before,
    )  # fmt: skip


# Facts, rules and candidates ---------------------------------------------------------------


def rule_spec(rule: AssignmentRule) -> RuleSpec:
    """The engine's view of a stored rule."""
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        strategy=rule.strategy,
        conditions=tuple(
            Condition(c["field"], c.get("op", "eq"), c.get("value")) for c in rule.conditions
        ),
        target_user_id=rule.target_user_id,
        target_team_id=rule.target_team_id,
        target_queue_id=rule.target_queue_id,
        queue_team_id=rule.target_queue.team_id if rule.target_queue_id else None,
        skills=tuple((s["skill"], int(s.get("min_level", 1))) for s in rule.skills),
        last_user_id=rule.last_user_id,
    )


def rule_specs(entity: str, *, rule_ids: Iterable[int] | None = None) -> list[RuleSpec]:
    """The enabled rules of `entity` in order (or exactly `rule_ids`, enabled or not, in
    their stored order, for a simulation)."""
    qs = AssignmentRule.objects.filter(entity=entity).select_related("target_queue")
    qs = qs.filter(pk__in=list(rule_ids)) if rule_ids is not None else qs.filter(enabled=True)
    return [rule_spec(rule) for rule in qs.order_by("position", "id")]


def has_rules(entity: str) -> bool:
    return AssignmentRule.objects.filter(entity=entity, enabled=True).exists()


def build_pool(rules: Sequence[RuleSpec]) -> Pool:
    """Every person the rules may choose, with skills and current load (a fixed number of
    queries whatever the team sizes)."""
    team_ids = {r.target_team_id for r in rules} | {r.queue_team_id for r in rules}
    team_ids.discard(None)
    now = timezone.now()
    members: dict[int, list[int]] = {pk: [] for pk in team_ids}
    rows = (
        TeamMembership.objects.filter(team_id__in=team_ids)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("user_id")
        .values_list("team_id", "user_id")
    )
    for team_id, user_id in rows:
        members[team_id].append(user_id)
    user_ids = {pk for ids in members.values() for pk in ids}
    user_ids |= {r.target_user_id for r in rules if r.target_user_id}
    skills: dict[int, dict[str, int]] = {pk: {} for pk in user_ids}
    if any(r.skills for r in rules):
        for user_id, name, level in UserSkill.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "skill__name", "level"
        ):
            skills[user_id][name.lower()] = level
    loads = loads_for(user_ids)
    users = {
        pk: Candidate(pk, username, loads.get(pk, 0), capacity, active, away, skills[pk])
        for pk, username, capacity, active, away in User.objects.filter(
            pk__in=user_ids
        ).values_list("pk", "username", "capacity", "is_active", "is_out_of_office")
    }
    return Pool(users=users, members={pk: tuple(ids) for pk, ids in members.items()})


def facts_of(record: SecurableModel) -> dict[str, str]:
    """The facts rules test on `record` (see `trellis.routing.entities`)."""
    return entity_of(record).facts_of(record)


# Routing -----------------------------------------------------------------------------------


def _recheck(
    decision: Decision, record: Any, rules: list[RuleSpec], pool: Pool, locked: dict[int, User]
) -> Decision:
    """Under row locks, make sure the decision still holds (round-robin turn, capacity);
    decide again with fresh numbers when it does not. Locked users land in `locked`."""
    for _attempt in range(5):
        rule = decision.rule
        if rule is None or rule.strategy not in CAPACITY_STRATEGIES:
            return decision
        if rule.strategy == Strategy.ROUND_ROBIN:
            stored = AssignmentRule.objects.select_for_update().get(pk=rule.id)
            if stored.last_user_id != rule.last_user_id:
                index = next(i for i, r in enumerate(rules) if r.id == rule.id)
                rules[index] = replace(rule, last_user_id=stored.last_user_id)
                decision = decide_pure(facts_of(record), rules, pool)
                continue
        if decision.chosen_user_id is None:
            return decision
        user = User.objects.select_for_update().get(pk=decision.chosen_user_id)
        locked[user.pk] = user
        load = loads_for([user.pk], leaving_out=record)[user.pk]
        cached = pool.users.get(user.pk)
        if cached is not None and cached.load == load and user.capacity == cached.capacity:
            return decision
        pool.users[user.pk] = replace(
            cached or Candidate(user.pk, user.username, load, user.capacity),
            load=load,
            capacity=user.capacity,
            is_active=user.is_active,
            is_out_of_office=user.is_out_of_office,
        )
        if load < user.capacity and user.is_active and not user.is_out_of_office:
            return decision
        decision = decide_pure(facts_of(record), rules, pool)
    return decision


def _close_waiting(record: Any, *, taken_by: User | None) -> None:
    QueueItem.objects.filter(
        entity=record.access_entity, object_id=record.pk, taken_at__isnull=True
    ).update(taken_by=taken_by, taken_at=timezone.now())


def _escalate(decision: Decision, record: Any, team: Team | None) -> None:
    """Tell the team leader (or, without one, the members' manager) that urgent work
    found nobody available."""
    if team is None:
        return
    recipient = team.leader
    if recipient is None:
        member = (
            User.objects.filter(memberships__team=team, reports_to__isnull=False)
            .select_related("reports_to")
            .order_by("pk")
            .first()
        )
        recipient = member.reports_to if member else None
    spec = entity_of(record)
    try:
        from django.urls import reverse

        url = reverse(spec.url_name, args=[record.pk])
    except Exception:  # a deployment without the web pages still escalates
        url = ""
    notify(
        recipient,
        kind="escalation",
        title=f"Urgent {spec.entity} waiting: {record}"[:200],
        body=f"Nobody in {team.name} is available to take it. " + "; ".join(decision.reasons[-3:]),
        url=url,
        record=record,
    )


def _store(
    record: Any,
    decision: Decision,
    *,
    kind: str,
    actor: User | None,
    reason: str = "",
) -> AssignmentDecision:
    row = _decision_row(record, decision, kind=kind, actor=actor, reason=reason)
    row.save()
    return row


def _decision_row(
    record: Any, decision: Decision, *, kind: str, actor: User | None, reason: str = ""
) -> AssignmentDecision:
    """The decision as an unsaved row (a batch inserts its rows together)."""
    rule = decision.rule
    return AssignmentDecision(
        entity=record.access_entity,
        object_id=record.pk,
        kind=kind,
        rule_id=rule.id if rule else None,
        rule_name=rule.name if rule else "",
        strategy=decision.strategy,
        candidates=decision.candidates,
        reasons=decision.reasons,
        chosen_user_id=decision.chosen_user_id,
        chosen_team_id=decision.chosen_team_id if not decision.chosen_user_id else None,
        chosen_queue_id=decision.chosen_queue_id,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        created_at=timezone.now(),
    )


Moved = dict[tuple[type, Any, Any], list[SecurableModel]]


def _assign(
    actor: Any, record: Any, moved: Moved | None, *, user: User | None = None,
    team: Team | None = None,
) -> None:  # fmt: skip
    """record_assign without the access check (routing decides). In a batch, the new
    owners hear of their records once per batch (`moved`), not once per record."""
    record_assign(actor, record, owner_user=user, owner_team=team, check=False,
                  announce=moved is None)  # fmt: skip
    if moved is not None:
        moved.setdefault((type(record), user, team), []).append(record)


def _carry_out(
    actor: Any, record: Any, decision: Decision, locked: dict[int, User], moved: Moved | None
) -> None:
    """Make the owner change a decision asks for."""
    # Only a team-owned record can be waiting in a queue (queued work belongs to the team).
    was_team_owned = record.owner_team_id is not None
    if decision.chosen_user_id is not None:
        if record.owner_user_id != decision.chosen_user_id:
            owner = locked.get(decision.chosen_user_id) or User.objects.get(
                pk=decision.chosen_user_id
            )
            _assign(actor, record, moved, user=owner)
        if was_team_owned:
            _close_waiting(record, taken_by=None)
        return
    team = Team.objects.get(pk=decision.chosen_team_id) if decision.chosen_team_id else None
    if team is not None and record.owner_team_id != team.pk:
        _assign(actor, record, moved, team=team)
    if decision.chosen_queue_id is not None:
        if was_team_owned:
            _close_waiting(record, taken_by=None)
        spec = entity_of(record)
        priority = spec.facts_of(record).get("priority", "")
        QueueItem.objects.create(
            queue_id=decision.chosen_queue_id,
            entity=record.access_entity,
            object_id=record.pk,
            label=str(record)[:200],
            priority=priority,
            queue_key=queue_key(priority, getattr(record, "created_at", None)),
        )
    if decision.escalate:
        _escalate(decision, record, team)


def _route(
    actor: Any,
    record: Any,
    rules: list[RuleSpec],
    pool: Pool,
    moved: Moved | None,
    locked: dict[int, User] | None = None,
) -> AssignmentDecision:
    """Route one record. With `locked` (a batch that already holds every candidate's
    row lock and exact loads) the decision stands as made; otherwise it is re-checked
    under the locks it needs."""
    spec = entity_of(record)
    # The record itself is what is being routed: it is no load of its current owner.
    _count(pool, record, -1, spec)
    decision = decide_pure(spec.facts_of(record), rules, pool)
    if locked is None:
        locked = {}
        decision = _recheck(decision, record, rules, pool, locked)
    _carry_out(actor, record, decision, locked, moved)
    _count(pool, record, 1, spec)
    if decision.rule is not None and decision.rule.strategy == Strategy.ROUND_ROBIN:
        chosen = decision.chosen_user_id
        AssignmentRule.objects.filter(pk=decision.rule.id).update(last_user_id=chosen)
        # Later items of the same batch take the next turn.
        index = next(i for i, r in enumerate(rules) if r.id == decision.rule.id)
        rules[index] = replace(rules[index], last_user_id=chosen)
    return _store(record, decision, kind=DecisionKind.ROUTED, actor=None)


def route_record(
    actor: Any,
    record: SecurableModel,
    *,
    rules: list[RuleSpec] | None = None,
    pool: Pool | None = None,
) -> AssignmentDecision:
    """Route `record` through its entity's enabled rules and store the decision; the
    record gets the chosen owner (or waits in a queue) in the same transaction. When no
    rule decides, the owner stays as it is and the decision says so."""
    with transaction.atomic():
        rules = rule_specs(record.access_entity) if rules is None else rules
        pool = build_pool(rules) if pool is None else pool
        return _route(actor, record, rules, pool, None)


def _count(pool: Pool, record: Any, delta: int, spec: Any) -> None:
    """Keep the pool's loads in step with the record's owner (batches reuse the pool)."""
    pk = record.owner_user_id
    if spec.is_open(record) and pk in pool.users:
        pool.users[pk] = replace(pool.users[pk], load=max(pool.users[pk].load + delta, 0))


def _lock_pool(rules: list[RuleSpec], pool: Pool) -> dict[int, User]:
    """Lock the round-robin rules and every candidate (in id order, rules first), then
    refresh their state and loads: while the batch's transaction holds these locks,
    nobody else routes to or takes work for these people, so the pool stays exact."""
    turn = sorted(r.id for r in rules if r.strategy == Strategy.ROUND_ROBIN)
    if turn:
        last = dict(
            AssignmentRule.objects.select_for_update()
            .filter(pk__in=turn)
            .order_by("pk")
            .values_list("pk", "last_user_id")
        )
        for index, rule in enumerate(rules):
            if rule.id in last:
                rules[index] = replace(rule, last_user_id=last[rule.id])
    users = {
        user.pk: user
        for user in User.objects.select_for_update().filter(pk__in=list(pool.users)).order_by("pk")
    }
    loads = loads_for(users)
    for pk, user in users.items():
        pool.users[pk] = replace(
            pool.users[pk],
            load=loads[pk],
            capacity=user.capacity,
            is_active=user.is_active,
            is_out_of_office=user.is_out_of_office,
        )
    return users


def route_records(
    actor: Any,
    records: Iterable[SecurableModel],
    *,
    entity: str,
    rules: list[RuleSpec] | None = None,
    chunk: int = 1000,
) -> int:
    """Route many records of one entity, loading the rules (the enabled ones unless
    given) and the candidates once. Records are routed `chunk` at a time, each chunk one
    transaction (a failure rolls back only its chunk); each new owner is told once, after
    the last chunk, of what the committed chunks gave them. Returns how many got an owner
    or a queue."""
    rules = rule_specs(entity) if rules is None else list(rules)
    pool = build_pool(rules)
    routed = 0
    batch: list[SecurableModel] = []
    moved: Moved = {}
    try:
        for record in [*records, None]:
            if record is not None:
                batch.append(record)
                if len(batch) < chunk:
                    continue
            if not batch:
                break
            with transaction.atomic():
                locked = _lock_pool(rules, pool)
                routed += _route_batch(actor, batch, rules, pool, locked, moved)
            batch = []
    finally:
        # Each new owner hears once of everything the committed chunks gave them (read
        # when the callback runs: inside an outer transaction, after the chunks' own).
        transaction.on_commit(
            lambda: records_announce(
                actor, [(model, items, user, team) for (model, user, team), items in moved.items()]
            )
        )
    return routed


def _route_batch(
    actor: Any,
    batch: list[SecurableModel],
    rules: list[RuleSpec],
    pool: Pool,
    locked: dict[int, User],
    moved: Moved,
) -> int:
    """Route a batch whose candidates are locked (`_lock_pool`): decide every record in
    memory, keeping the pool's loads in step, then write set-based: the owners through
    `records_assign_bulk` (a few UPDATEs, audit events together), queue items, decisions
    and round-robin turns each in one statement or a few. The moves are added to `moved`
    once the batch commits, for the caller to announce. Returns how many got an owner
    or a queue."""
    teams: dict[int, Team] = {}
    moves: list[tuple[Any, User | None, Team | None]] = []
    closing: dict[str, list[int]] = {}
    queued: list[QueueItem] = []
    rows: list[AssignmentDecision] = []
    turns: dict[int, int | None] = {}
    escalations: list[tuple[Decision, Any, Team | None]] = []
    routed = 0
    for record in batch:
        spec = entity_of(record)
        # The record itself is what is being routed: it is no load of its current owner.
        _count(pool, record, -1, spec)
        facts = spec.facts_of(record)
        decision = decide_pure(facts, rules, pool)
        # Only a team-owned record can be waiting in a queue (queued work is the team's).
        was_team_owned = record.owner_team_id is not None
        owner_after = record.owner_user_id
        if decision.chosen_user_id is not None:
            owner_after = decision.chosen_user_id
            if record.owner_user_id != owner_after:
                user = locked.get(owner_after) or User.objects.get(pk=owner_after)
                moves.append((record, user, None))
            if was_team_owned:
                closing.setdefault(record.access_entity, []).append(record.pk)
        elif decision.chosen_team_id is not None:
            owner_after = None
            team_id = decision.chosen_team_id
            if team_id not in teams:
                teams[team_id] = Team.objects.get(pk=team_id)
            team = teams[team_id]
            if record.owner_team_id != team.pk:
                moves.append((record, None, team))
            if decision.chosen_queue_id is not None:
                if was_team_owned:
                    closing.setdefault(record.access_entity, []).append(record.pk)
                priority = facts.get("priority", "")
                queued.append(
                    QueueItem(
                        queue_id=decision.chosen_queue_id,
                        entity=record.access_entity,
                        object_id=record.pk,
                        label=str(record)[:200],
                        priority=priority,
                        queue_key=queue_key(priority, getattr(record, "created_at", None)),
                    )
                )
            if decision.escalate:
                escalations.append((decision, record, team))
        if spec.is_open(record) and owner_after in pool.users:
            user = pool.users[owner_after]
            pool.users[owner_after] = replace(user, load=user.load + 1)
        if decision.rule is not None and decision.rule.strategy == Strategy.ROUND_ROBIN:
            # Later items of the same batch take the next turn.
            turns[decision.rule.id] = decision.chosen_user_id
            index = next(i for i, r in enumerate(rules) if r.id == decision.rule.id)
            rules[index] = replace(rules[index], last_user_id=decision.chosen_user_id)
        rows.append(_decision_row(record, decision, kind=DecisionKind.ROUTED, actor=None))
        routed += bool(decision.chosen_user_id or decision.chosen_team_id)
    records_assign_bulk(actor, moves, announce=False)

    def committed() -> None:
        for record, user, team in moves:
            moved.setdefault((type(record), user, team), []).append(record)

    # Only the moves of a committed batch are announced (a failed one rolls back).
    transaction.on_commit(committed)
    now = timezone.now()
    for entity, ids in closing.items():
        # Before the new queue items go in, so only the old waiting ones close.
        QueueItem.objects.filter(entity=entity, object_id__in=ids, taken_at__isnull=True).update(
            taken_by=None, taken_at=now
        )
    QueueItem.objects.bulk_create(queued, batch_size=500)
    for row in rows:
        # A value given as an expression makes PostgreSQL's bulk insert use plain VALUES
        # rows instead of UNNEST arrays, whose Python-side quoting of the candidates'
        # JSON costs more than the decision itself.
        row.created_at = Value(row.created_at, output_field=DateTimeField())
    AssignmentDecision.objects.bulk_create(rows, batch_size=500)
    for rule_id, user_id in sorted(turns.items()):
        AssignmentRule.objects.filter(pk=rule_id).update(last_user_id=user_id)
    for decision, record, team in escalations:
        _escalate(decision, record, team)
    return routed


def route_new(actor: Any, record: SecurableModel) -> AssignmentDecision | None:
    """Called by lead_create/case_create/activity_create when no owner was given: route
    the record when routing handles it (for activities: a task regarding a campaign) and
    its entity has enabled rules (otherwise the creator keeps it, as before)."""
    spec = ENTITIES.get(record.access_entity)
    if spec is None or not spec.applies(record) or not has_rules(spec.entity):
        return None
    return route_record(actor, record)


# Manual, bulk -------------------------------------------------------------------------------


def _manual_decision(record: Any, *, kind: str) -> Decision:
    return Decision(
        strategy="manual",
        chosen_user_id=record.owner_user_id,
        chosen_team_id=record.owner_team_id,
        reasons=[f"{kind} assignment"],
    )


def assignment_recorded(
    actor: User, record: SecurableModel, *, reason: str = "", kind: str = DecisionKind.MANUAL
) -> AssignmentDecision:
    """Store the decision for an assignment just made by hand (the assign action calls
    this after the entity's assign service, in the same transaction)."""
    _close_waiting(record, taken_by=record.owner_user if record.owner_user_id else None)
    return _store(
        record, _manual_decision(record, kind=kind), kind=kind, actor=actor, reason=reason
    )


@transaction.atomic
def assignment_make(
    actor: User,
    *,
    record: SecurableModel,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    reason: str = "",
    kind: str = DecisionKind.MANUAL,
) -> AssignmentDecision:
    """Assign `record` by hand (needs assign on it) and store why."""
    record_assign(actor, record, owner_user=owner_user, owner_team=owner_team)
    return assignment_recorded(actor, record, reason=(reason or "").strip(), kind=kind)


def assign_bulk(
    actor: User,
    *,
    entity: str,
    ids: Sequence[int],
    owner_user: User | None = None,
    owner_team: Team | None = None,
    reason: str = "",
) -> list[dict[str, Any]]:
    """Assign each of `ids` to one owner; each record succeeds or fails on its own and the
    answer says which (a record the actor cannot read answers "not found")."""
    _entity(entity)
    if not ids:
        raise InvalidInput.field("ids", "give at least one id")
    if len(ids) > MAX_BULK:
        raise InvalidInput.field("ids", f"at most {MAX_BULK} at once")
    if (owner_user is None) == (owner_team is None):
        raise InvalidInput(
            "give exactly one of owner_user_id and owner_team_id",
            [("owner_user_id", "give this or owner_team_id")],
        )
    model = routable(entity).model
    found = {r.pk: r for r in visible(actor, model).filter(pk__in=list(ids))}
    results = []
    for pk in ids:
        record = found.get(pk)
        if record is None:
            results.append({"id": pk, "ok": False, "status": 404, "detail": f"{entity} not found"})
            continue
        try:
            assignment_make(
                actor,
                record=record,
                owner_user=owner_user,
                owner_team=owner_team,
                reason=reason,
                kind=DecisionKind.BULK,
            )
        except TrellisError as exc:
            results.append({"id": pk, "ok": False, "status": exc.status, "detail": exc.detail})
        else:
            results.append({"id": pk, "ok": True, "status": 200, "detail": "assigned"})
    return results


# Queues: take next ---------------------------------------------------------------------------


def require_queue_member(actor: User, queue: Queue) -> None:
    if not is_member(actor, queue.team):
        raise Forbidden(f"only members of {queue.team.name} take work from this queue")


def queue_take_next(actor: User, *, queue: Queue) -> SecurableModel | None:
    """Give the caller the queue's next item (highest priority, then oldest) and return
    the record; None when nothing is waiting. 409 when the caller is at capacity."""
    require_queue_member(actor, queue)
    spec = routable(queue.entity)
    model = spec.model
    with transaction.atomic():
        me = User.objects.select_for_update().get(pk=actor.pk)
        load = loads_for([me.pk])[me.pk]
        if load >= me.capacity:
            raise Conflict(f"you already hold {load} open items (your capacity is {me.capacity})")
        while True:
            waiting = QueueItem.objects.filter(queue=queue, taken_at__isnull=True).order_by(
                "queue_key", "id"
            )
            if connection.features.has_select_for_update_skip_locked:
                waiting = waiting.select_for_update(skip_locked=True)
            item = waiting.first()
            if item is None:
                return None
            record = model._default_manager.select_for_update().filter(pk=item.object_id).first()
            if record is None or not spec.is_open(record) or record.owner_team_id != queue.team_id:
                # Deleted, finished or given to someone while waiting: drop it and go on.
                item.taken_at = timezone.now()
                item.save(update_fields=["taken_at"])
                continue
            record_assign(actor, record, owner_user=me, check=False)
            item.taken_by, item.taken_at = me, timezone.now()
            item.save(update_fields=["taken_by", "taken_at"])
            decision = Decision(
                strategy="queue",
                chosen_user_id=me.pk,
                chosen_queue_id=queue.pk,
                candidates=[
                    {
                        "user_id": me.pk,
                        "username": me.username,
                        "load": load,
                        "capacity": me.capacity,
                        "ratio": round(load / me.capacity, 4),
                        "available": True,
                        "rank": 1,
                    }
                ],  # fmt: skip
                reasons=[f"{me.username} took the next item of queue {queue.name}"],
            )
            _store(record, decision, kind=DecisionKind.TAKEN, actor=me)
            return record


# Simulation ----------------------------------------------------------------------------------


MAX_SIMULATED = 20000


def _csv_facts(entity: str, content: bytes | str) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    except UnicodeDecodeError:
        raise InvalidInput.field("file", "not a UTF-8 CSV file") from None
    if "\x00" in text:
        raise InvalidInput.field("file", "not a CSV file (it holds NUL characters)")
    try:
        return _csv_rows(entity, text)
    except csv.Error as exc:
        raise InvalidInput.field("file", f"not a readable CSV file: {exc}") from None


def _csv_rows(entity: str, text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    facts = routable(entity).facts
    if not reader.fieldnames:
        raise InvalidInput.field("file", "the file is empty")
    unknown = [name for name in reader.fieldnames if name and name not in facts and name != "id"]
    if unknown:
        raise InvalidInput.field(
            "file", f"unknown column(s) {', '.join(unknown)}; use {', '.join(facts)}"
        )
    rows = []
    for row in reader:
        rows.append({name: (row.get(name) or "").strip() for name in facts})
        if len(rows) > MAX_SIMULATED:
            raise InvalidInput.field("file", f"at most {MAX_SIMULATED} rows")
    return rows


def simulate(
    actor: User,
    *,
    entity: str,
    rule_ids: Sequence[int] | None = None,
    extra_rules: Sequence[AssignmentRule] = (),
    csv_content: bytes | str | None = None,
    limit: int = 2000,
) -> dict[str, Any]:
    """Run rules over existing open records the actor can see (or the rows of a CSV file)
    without saving anything; answer how the work would be spread per person, team and
    queue. Loads grow as the simulation hands out items, like real routing would."""
    require_manager(actor)
    _entity(entity)
    if not 1 <= limit <= MAX_SIMULATED:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_SIMULATED}")
    rules = rule_specs(entity, rule_ids=rule_ids)
    if rule_ids is not None and len(rules) != len(set(rule_ids)):
        raise NotFound.field("rule_ids", "one of the rules does not exist")
    rules += [rule_spec(rule) for rule in extra_rules]
    pool = build_pool(rules)
    spec = routable(entity)
    if csv_content is not None:
        items = _csv_facts(entity, csv_content)
    else:
        records = (
            visible(actor, spec.model)
            .filter(spec.in_scope(), status__in=spec.open_statuses)
            .select_related(*spec.related)
            .order_by("pk")[:limit]
        )
        items = [spec.facts_of(record) for record in records]
    per_user: dict[int, int] = {}
    per_team: dict[int, int] = {}
    per_queue: dict[int, int] = {}
    per_rule: dict[str, int] = {}
    unrouted = escalated = 0
    for facts in items:
        decision = decide_pure(facts, rules, pool)
        if decision.rule is not None and decision.rule.strategy == Strategy.ROUND_ROBIN:
            index = next(i for i, r in enumerate(rules) if r.id == decision.rule.id)
            rules[index] = replace(rules[index], last_user_id=decision.chosen_user_id)
        escalated += decision.escalate
        if not decision.decided:
            unrouted += 1
            continue
        per_rule[decision.rule.name] = per_rule.get(decision.rule.name, 0) + 1
        if decision.chosen_user_id is not None:
            pk = decision.chosen_user_id
            per_user[pk] = per_user.get(pk, 0) + 1
            if pk in pool.users:
                pool.users[pk] = replace(pool.users[pk], load=pool.users[pk].load + 1)
        elif decision.chosen_queue_id is not None:
            per_queue[decision.chosen_queue_id] = per_queue.get(decision.chosen_queue_id, 0) + 1
        elif decision.chosen_team_id is not None:
            per_team[decision.chosen_team_id] = per_team.get(decision.chosen_team_id, 0) + 1
    return _distribution(pool, len(items), per_user, per_team, per_queue, per_rule,
                         unrouted, escalated)  # fmt: skip


def _distribution(
    pool: Pool,
    total: int,
    per_user: dict[int, int],
    per_team: dict[int, int],
    per_queue: dict[int, int],
    per_rule: dict[str, int],
    unrouted: int,
    escalated: int,
) -> dict[str, Any]:
    names = dict(User.objects.filter(pk__in=per_user).values_list("pk", "username"))
    teams = dict(
        Team.objects.filter(pk__in=set(per_team) | set(pool.members)).values_list("pk", "name")
    )
    queues = dict(Queue.objects.filter(pk__in=per_queue).values_list("pk", "name"))
    # Per team: the items given to its members (a person in two teams counts in both).
    team_totals = dict(per_team)
    for team_id, members in pool.members.items():
        given = sum(per_user.get(pk, 0) for pk in members)
        if given:
            team_totals[team_id] = team_totals.get(team_id, 0) + given
    return {
        "total": total,
        "unrouted": unrouted,
        "escalated": escalated,
        "per_user": [
            {
                "user_id": pk,
                "username": names.get(pk, ""),
                "items": n,
                "load_after": pool.users[pk].load if pk in pool.users else None,
                "capacity": pool.users[pk].capacity if pk in pool.users else None,
            }
            for pk, n in sorted(per_user.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "per_team": [
            {"team_id": pk, "name": teams.get(pk, ""), "items": n}
            for pk, n in sorted(team_totals.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "per_queue": [
            {"queue_id": pk, "name": queues.get(pk, ""), "items": n}
            for pk, n in sorted(per_queue.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "per_rule": [{"rule": k, "items": v} for k, v in sorted(per_rule.items())],
    }
