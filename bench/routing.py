"""Benchmark of routing (`trellis bench routing`).

Builds a support team of 500 agents (by default) with skills at different levels and
capacities, three `skill_match` rules (problems need networking, questions need product
knowledge, the rest general support), and 10,000 new cases; then routes every case
through the rules in one process with `route_records` (batches of 1,000, one transaction
each: decisions, audit events and owner changes written set-based, one notification per
new owner per batch), and reports:
  * cases routed per second,
  * to read that number on a busy machine: the decision alone (no database), the SQL
    statements per case and the round trip of one trivial statement,
  * the highest load against capacity (nobody may be over),
  * the spread of load among agents of equal skill (highest minus lowest; goal <= 1).

Run it on a database of its own (`make bench-routing`, `make bench-routing-pg`): each run
removes the previous run's bench team, rules and cases first.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict

from django.db import connection, transaction
from django.urls import reverse

from trellis.org.bootstrap import ensure_root_unit
from trellis.org.models import Skill, Team, TeamMembership, User, UserSkill
from trellis.routing.engine import decide
from trellis.routing.entities import entity_of
from trellis.routing.models import AssignmentDecision, AssignmentRule
from trellis.routing.services import build_pool, route_records, rule_specs
from trellis.service.models import Case

PREFIX = "bench-routing"
SKILLS = ("networking", "product", "support")
RULES = (
    ("problem", "networking", 3),
    ("question", "product", 2),
    (None, "support", 1),
)


def _clean() -> None:
    with transaction.atomic():
        cases = Case.objects.filter(subject__startswith=PREFIX)
        AssignmentDecision.objects.filter(entity="case", object_id__in=cases.values("pk")).delete()
        cases.delete()
        AssignmentRule.objects.filter(name__startswith=PREFIX).delete()
        Team.objects.filter(name__startswith=PREFIX).delete()
        User.objects.filter(username__startswith=PREFIX).delete()


def build(args: argparse.Namespace, out) -> tuple[User, list[User]]:
    rng = random.Random(args.seed)
    root = ensure_root_unit()
    with transaction.atomic():
        dispatcher = User.objects.create(username=f"{PREFIX}-dispatcher", unit=root)
        agents = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}-agent-{i:04d}",
                    unit=root,
                    capacity=args.capacity,
                    # A few are away: they must never receive work.
                    is_out_of_office=i % 50 == 49,
                )
                for i in range(args.agents)
            ]
        )
        agents = list(User.objects.filter(username__startswith=f"{PREFIX}-agent-").order_by("pk"))
        team = Team.objects.create(name=f"{PREFIX} support", unit=root)
        TeamMembership.objects.bulk_create(
            [TeamMembership(team=team, user=agent) for agent in agents]
        )
        skills = {name: Skill.objects.get_or_create(name=name)[0] for name in SKILLS}
        rows = []
        for i, agent in enumerate(agents):
            # Three levels per skill, so there are groups of agents with equal skill.
            for offset, name in enumerate(SKILLS):
                rows.append(UserSkill(user=agent, skill=skills[name], level=2 + (i + offset) % 3))
        UserSkill.objects.bulk_create(rows)
        for position, (case_type, skill, level) in enumerate(RULES):
            AssignmentRule.objects.create(
                entity="case",
                name=f"{PREFIX} {skill}",
                position=position,
                strategy="skill_match",
                target_team=team,
                conditions=(
                    [{"field": "case_type", "op": "eq", "value": case_type}] if case_type else []
                ),
                skills=[{"skill": skill, "min_level": level}],
            )
        types = ("problem", "question", "request", "feedback", "complaint")
        Case.objects.bulk_create(
            [
                Case(
                    subject=f"{PREFIX} case {i}",
                    type=rng.choice(types),
                    priority=rng.choice(("low", "normal", "normal", "high")),
                    owner_user=dispatcher,
                    owning_unit_id=root.pk,
                    created_by=dispatcher,
                )
                for i in range(args.cases)
            ],
            batch_size=2000,
        )
    out(f"built: {len(agents)} agents, {args.cases} cases, {len(RULES)} skill_match rules")
    return dispatcher, agents


def measure(args: argparse.Namespace, dispatcher: User, agents: list[User], out) -> dict:
    # Only the bench rules take part, so other rules in the database cannot change it.
    rules = [spec for spec in rule_specs("case") if spec.name.startswith(PREFIX)]
    cases = list(Case.objects.filter(subject__startswith=PREFIX).order_by("pk"))
    # The decision alone (no database), over a copy of the starting pool: what the
    # database round trips add on top of it is the rest of the routed rate.
    pool = build_pool(rules)
    facts = [entity_of(case).facts_of(case) for case in cases]
    started = time.perf_counter()
    for item in facts:
        decide(item, rules, pool)
    pure_rate = len(facts) / (time.perf_counter() - started)

    # What one trivial statement costs right now (the machine may be shared).
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for _ in range(500):
            cursor.execute("SELECT 1")
            cursor.fetchone()
        round_trip_ms = (time.perf_counter() - started) / 500 * 1000
    # Notifications link to the record's page: load the URL configuration now, as a
    # running server has, so its one-time import is not counted as routing.
    reverse("web:case_detail", args=[1])

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        route_records(dispatcher, cases, entity="case", rules=rules)
    elapsed = time.perf_counter() - started
    rate = len(cases) / elapsed

    loads = defaultdict(int)
    for owner_id in Case.objects.filter(
        subject__startswith=PREFIX, owner_user__isnull=False
    ).values_list("owner_user_id", flat=True):
        loads[owner_id] += 1
    levels = defaultdict(dict)
    for user_id, name, level in UserSkill.objects.filter(user__in=agents).values_list(
        "user_id", "skill__name", "level"
    ):
        levels[user_id][name] = level
    over = [a.username for a in agents if loads[a.pk] > a.capacity]
    away_with_work = [a.username for a in agents if a.is_out_of_office and loads[a.pk]]
    groups = defaultdict(list)
    for agent in agents:
        if not agent.is_out_of_office:
            groups[tuple(sorted(levels[agent.pk].items()))].append(loads[agent.pk])
    spread = max(max(group) - min(group) for group in groups.values())
    still_with_dispatcher = Case.objects.filter(
        subject__startswith=PREFIX, owner_user=dispatcher
    ).count()
    result = {
        "cases": len(cases),
        "agents": len(agents),
        "seconds": round(elapsed, 2),
        "cases_per_second": round(rate, 1),
        "decisions_per_second_without_database": round(pure_rate, 1),
        "statements": statements,
        "statements_per_case": round(statements / len(cases), 3),
        "select_1_round_trip_ms": round(round_trip_ms, 3),
        "max_load": max(loads[a.pk] for a in agents),
        "capacity": args.capacity,
        "agents_over_capacity": len(over),
        "away_agents_with_work": len(away_with_work),
        "equal_skill_groups": len(groups),
        "max_spread_in_equal_skill_group": spread,
        "not_routed": still_with_dispatcher,
    }
    out(
        f"routed {len(cases)} cases through skill_match over {len(agents)} agents in "
        f"{elapsed:.2f}s: {rate:.0f} cases/s (goal >= 500/s on PostgreSQL)"
    )
    out(f"the decision alone (no database): {pure_rate:.0f} decisions/s")
    out(
        f"SQL statements: {statements} ({statements / len(cases):.2f} per case); "
        f"one SELECT 1 round trip: {round_trip_ms:.3f} ms"
    )
    out(
        f"max load {result['max_load']} of capacity {args.capacity}; over capacity: {len(over)};"
        f" away agents given work: {len(away_with_work)}"
    )
    out(
        f"spread of load among agents of equal skill (max over {len(groups)} groups): "
        f"{spread} (goal <= 1); not routed: {still_with_dispatcher}"
    )
    return result


def run(argv: list[str], out=print) -> dict:
    parser = argparse.ArgumentParser(prog="trellis bench routing")
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--capacity", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    _clean()
    dispatcher, agents = build(args, out)
    return measure(args, dispatcher, agents, out)
