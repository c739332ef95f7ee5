"""The routing decision as a pure function: `decide(facts, rules, pool) -> Decision`.

Nothing here touches the database, so the same code routes a new record, simulates a
rule change over thousands of records and is tested with plain values.

How a decision is made:

* Rules are tried in order (lowest position first). A rule matches when all its
  conditions hold for the item's facts; the reasons say which condition failed.
* A matching rule applies its strategy to its target:
  - `fixed`: the target user (unless deactivated or out of office), or the target team
    itself as owner. Capacity is not checked: a fixed owner is a deliberate choice.
  - `round_robin`: the available members of the team in id order, starting after the
    member who got the previous item (`last_user_id`).
  - `least_loaded`: the available member with the lowest load ÷ capacity (then lowest
    load, then id).
  - `skill_match`: members holding every required skill at the minimum level; the best
    match (the sum of their levels in the required skills) first, then least loaded.
  - `queue`: no owner; the item waits in the target queue.
  "Available" means active, not out of office and under capacity (load < capacity).
* Urgent items (priority "urgent") are given at once to an available member: a `queue`
  rule for an urgent item first tries the least-loaded available member of the queue's
  team. When nobody is available, the item waits in the rule's queue (a team rule's
  overflow `target_queue`) at the top, or else stays with the team, and the decision
  says `escalate` so the team leader is told.
* A team rule with nobody available and no overflow queue falls through to the next
  rule (a non-urgent item); a rule with no conditions at the end is the default.
* When no rule decides, the decision chooses nothing (the caller keeps the current owner).

Only the best `STORED_CANDIDATES` candidates are kept in a decision, with the count of
the rest, so a 500-person team does not make every decision row enormous.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OPERATORS = ("eq", "ne", "in", "not_in", "contains", "is_empty", "is_set")
STORED_CANDIDATES = 20


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None

    def holds(self, facts: Mapping[str, str]) -> bool:
        actual = (facts.get(self.field) or "").lower()
        if self.op == "is_empty":
            return actual == ""
        if self.op == "is_set":
            return actual != ""
        if self.op in ("in", "not_in"):
            found = actual in {str(item).lower() for item in self.value or ()}
            return found if self.op == "in" else not found
        expected = str(self.value if self.value is not None else "").lower()
        if self.op == "eq":
            return actual == expected
        if self.op == "ne":
            return actual != expected
        return expected in actual  # contains

    def describe(self) -> str:
        if self.op in ("is_empty", "is_set"):
            return f"{self.field} {self.op}"
        return f"{self.field} {self.op} {self.value!r}"


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    name: str
    strategy: str
    conditions: tuple[Condition, ...] = ()
    target_user_id: int | None = None
    target_team_id: int | None = None
    target_queue_id: int | None = None
    # The team of the target queue (queued items are owned by it).
    queue_team_id: int | None = None
    skills: tuple[tuple[str, int], ...] = ()
    last_user_id: int | None = None


@dataclass(frozen=True)
class Candidate:
    user_id: int
    username: str
    load: int
    capacity: int
    is_active: bool = True
    is_out_of_office: bool = False
    skills: Mapping[str, int] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.load / self.capacity if self.capacity else float("inf")

    @property
    def available(self) -> bool:
        return self.is_active and not self.is_out_of_office and self.load < self.capacity

    def why_not(self) -> str:
        if not self.is_active:
            return "deactivated"
        if self.is_out_of_office:
            return "out of office"
        if self.load >= self.capacity:
            return f"at capacity ({self.load}/{self.capacity})"
        return ""


@dataclass
class Pool:
    """The people rules may choose from: candidates by user id and team members by team."""

    users: dict[int, Candidate] = field(default_factory=dict)
    members: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # Who qualifies for a skill rule, worked out once per pool: skills do not change
    # while a pool is in use, only loads do.
    qualified: dict[Any, tuple[list[tuple[int, int]], dict[int, str]]] = field(
        default_factory=dict, repr=False
    )

    def team(self, team_id: int | None) -> list[Candidate]:
        return [self.users[pk] for pk in self.members.get(team_id, ()) if pk in self.users]


@dataclass
class Decision:
    rule: RuleSpec | None = None
    strategy: str = ""
    candidates: list[dict[str, Any]] = field(default_factory=list)
    chosen_user_id: int | None = None
    chosen_team_id: int | None = None
    chosen_queue_id: int | None = None
    reasons: list[str] = field(default_factory=list)
    escalate: bool = False
    # Why a candidate was left out, when it is not plain availability (e.g. a skill).
    notes: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def decided(self) -> bool:
        return bool(self.chosen_user_id or self.chosen_team_id or self.chosen_queue_id)


def _row(candidate: Candidate, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": candidate.user_id,
        "username": candidate.username,
        "load": candidate.load,
        "capacity": candidate.capacity,
        "ratio": round(candidate.ratio, 4) if candidate.capacity else None,
        "available": candidate.available,
        **extra,
    }


def _ranked_rows(
    ranked: Sequence[Candidate],
    others: Sequence[Candidate],
    out: Decision,
    total: int,
    **scores: Any,
) -> None:
    """Keep the best `STORED_CANDIDATES` rows: the ranked ones first, then those left out
    (with why), and say how many more there were."""
    rows = []
    for i, candidate in enumerate(ranked[:STORED_CANDIDATES]):
        extra = {key: value(candidate) for key, value in scores.items()}
        rows.append(_row(candidate, rank=i + 1, **extra))
    room = STORED_CANDIDATES - len(rows)
    for candidate in others[: max(room, 0)]:
        rows.append(_row(candidate, note=_note(candidate, out)))
    hidden = total - len(rows)
    if hidden > 0:
        out.reasons.append(f"{hidden} more candidates not listed")
    out.candidates = rows


def _note(candidate: Candidate, out: Decision) -> str:
    return out.notes.get(candidate.user_id) or candidate.why_not()


def _least_loaded_key(candidate: Candidate) -> tuple[float, int, int]:
    return (candidate.ratio, candidate.load, candidate.user_id)


def _pick_least_loaded(rule: RuleSpec, people: list[Candidate], out: Decision) -> Candidate | None:
    ready = [c for c in people if c.available]
    ranked = heapq.nsmallest(STORED_CANDIDATES, ready, key=_least_loaded_key)
    others = [c for c in people if not c.available]
    _ranked_rows(ranked, others, out, len(people), score=lambda c: round(c.ratio, 4))
    out.reasons.append(f"{len(ready)} of {len(people)} team members available")
    return ranked[0] if ranked else None


def _pick_round_robin(rule: RuleSpec, people: list[Candidate], out: Decision) -> Candidate | None:
    ordered = sorted(people, key=lambda c: c.user_id)
    ready = [c for c in ordered if c.available]
    last = rule.last_user_id
    after = [c for c in ready if last is not None and c.user_id > last]
    turn = after + ready[: len(ready) - len(after)]
    _ranked_rows(turn, [c for c in ordered if not c.available], out, len(people))
    if last is not None:
        out.reasons.append(f"previous item went to user {last}")
    return turn[0] if turn else None


def _qualify(rule: RuleSpec, people: list[Candidate]) -> tuple[list[tuple[int, int]], dict]:
    """(user id, skill score) of the people holding every required skill at the
    minimum level, and why each of the others does not."""
    needs = [(skill.lower(), minimum) for skill, minimum in rule.skills]
    qualified, notes = [], {}
    for candidate in people:
        total = 0
        for skill, minimum in needs:
            level = candidate.skills.get(skill, 0)
            if level < minimum:
                notes[candidate.user_id] = f"{skill} level {level} < {minimum}"
                break
            total += level
        else:
            qualified.append((candidate.user_id, total))
    return qualified, notes


def _pick_skill_match(
    rule: RuleSpec, people: list[Candidate], out: Decision, pool: Pool
) -> Candidate | None:
    key = (rule.id, rule.target_team_id, rule.skills)
    if key not in pool.qualified:
        pool.qualified[key] = _qualify(rule, people)
    qualified, notes = pool.qualified[key]
    out.notes = notes
    users = pool.users
    scored = []
    for user_id, total in qualified:
        candidate = users[user_id]
        if candidate.available:
            scored.append((-total, candidate.ratio, candidate.load, user_id))
    best = heapq.nsmallest(STORED_CANDIDATES, scored)
    skill_of = {item[3]: -item[0] for item in best}
    if len(best) < STORED_CANDIDATES:
        others = [c for c in people if c.user_id in notes or not c.available]
    else:
        others = []
    _ranked_rows(
        [users[item[3]] for item in best],
        others,
        out,
        len(people),
        skill_score=lambda c: skill_of[c.user_id],
        score=lambda c: round(c.ratio, 4),
    )
    wanted = ", ".join(f"{skill} >= {level}" for skill, level in rule.skills) or "none"
    out.reasons.append(
        f"required skills: {wanted}; {len(scored)} of {len(people)} qualified and available"
    )
    return users[best[0][3]] if best else None


_PICKERS = {
    "least_loaded": _pick_least_loaded,
    "round_robin": _pick_round_robin,
}


def _apply(rule: RuleSpec, facts: Mapping[str, str], pool: Pool, urgent: bool) -> Decision | None:
    out = Decision(rule=rule, strategy=rule.strategy)
    if rule.strategy == "fixed":
        if rule.target_user_id is not None:
            person = pool.users.get(rule.target_user_id)
            if person is None or not person.is_active or person.is_out_of_office:
                why = person.why_not() if person else "unknown user"
                out.reasons.append(f"fixed owner {rule.target_user_id} cannot take work ({why})")
                return None
            out.candidates = [_row(person, score=1, rank=1)]
            out.chosen_user_id = person.user_id
            out.reasons.append(f"fixed owner {person.username}")
            return out
        out.chosen_team_id = rule.target_team_id
        out.reasons.append(f"fixed owner team {rule.target_team_id}")
        return out
    if rule.strategy == "queue":
        if urgent:
            chosen = _pick_least_loaded(rule, pool.team(rule.queue_team_id), out)
            if chosen is not None:
                out.chosen_user_id = chosen.user_id
                out.reasons.append(f"urgent: given at once to {chosen.username} (least loaded)")
                return out
            out.escalate = True
            out.reasons.append("urgent, but nobody in the queue's team is available")
        out.chosen_queue_id = rule.target_queue_id
        out.chosen_team_id = rule.queue_team_id
        out.reasons.append(f"waits in queue {rule.target_queue_id}")
        return out
    people = pool.team(rule.target_team_id)
    if rule.strategy == "skill_match":
        chosen = _pick_skill_match(rule, people, out, pool)
    else:
        chosen = _PICKERS[rule.strategy](rule, people, out)
    if chosen is not None:
        out.chosen_user_id = chosen.user_id
        out.reasons.append(f"{rule.strategy}: chose {chosen.username}")
        return out
    out.reasons.append("nobody in the team is available")
    if rule.target_queue_id is not None:
        out.chosen_queue_id = rule.target_queue_id
        out.chosen_team_id = rule.queue_team_id
        out.escalate = urgent
        out.reasons.append(f"waits in overflow queue {rule.target_queue_id}")
        return out
    if urgent:
        out.chosen_team_id = rule.target_team_id
        out.escalate = True
        out.reasons.append("urgent: stays with the team and the team leader is told")
        return out
    return None


def decide(facts: Mapping[str, str], rules: Sequence[RuleSpec], pool: Pool) -> Decision:
    """Route one item: the first rule whose conditions hold and that finds a target wins.

    `facts` are the item's fact strings (see `trellis.routing.entities`), `rules` the
    enabled rules in order, `pool` the candidates with their current loads."""
    reasons: list[str] = []
    urgent = (facts.get("priority") or "").lower() == "urgent"
    for rule in rules:
        failed = next((c for c in rule.conditions if not c.holds(facts)), None)
        if failed is not None:
            reasons.append(
                f"rule {rule.name!r}: {failed.describe()} does not hold "
                f"({failed.field} is {facts.get(failed.field) or 'empty'!r})"
            )
            continue
        decision = _apply(rule, facts, pool, urgent)
        if decision is None:
            reasons.append(f"rule {rule.name!r} matched but found nobody; falls through")
            continue
        matched = ", ".join(c.describe() for c in rule.conditions) or "no conditions (default)"
        decision.reasons = [*reasons, f"rule {rule.name!r} matched: {matched}", *decision.reasons]
        return decision
    return Decision(reasons=[*reasons, "no rule decided; the owner stays as it is"])
