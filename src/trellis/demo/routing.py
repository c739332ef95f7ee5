"""Routing for the demo organization: team leaders, queues and a few assignment rules
that show every strategy (key accounts to their dedicated team, skill matching for
cloud problems, round robin for web leads, queues catching the rest).

The demo's records are bulk-created before the rules exist, so nothing is routed at
build time; new leads and cases created in the demo go through these rules."""

from __future__ import annotations

from typing import Any

from trellis.org.models import Team, User
from trellis.routing.models import AssignmentRule, Queue

LEADERS = {
    "Cloud Support": "service.apac",
    "Devices Support": "service.apac",
    "Key Account Service": "service.apac",
    "Jakarta Service Desk": "service.apac",
    "APAC Cloud Sales": "lead.jakarta",
    "APAC Devices Sales": "lead.jakarta",
    "Europe Cloud Sales": "lead.milan",
    "Americas Cloud Sales": "lead.newyork",
}


def build_routing(teams: dict[str, Team], users: dict[str, User]) -> dict[str, Any]:
    """Set team leaders and add the demo's queues and rules; returns what was made."""
    for name, username in LEADERS.items():
        if name in teams and username in users:
            Team.objects.filter(pk=teams[name].pk).update(leader=users[username])
    queues = {
        key: Queue.objects.create(name=name, entity=entity, team=teams[team], description=text)
        for key, name, entity, team, text in (
            ("cloud", "Cloud support", "case", "Cloud Support", "Cloud cases nobody took yet."),
            ("devices", "Devices support", "case", "Devices Support", "Devices cases."),
            ("key", "Key accounts", "case", "Key Account Service", "Overflow of key accounts."),
            ("leads", "Inbound leads", "lead", "APAC Cloud Sales", "Leads no rule placed."),
        )
        if team in teams
    }
    rules: list[dict[str, Any]] = [
        {
            "entity": "case",
            "name": "Key accounts to Key Account Service",
            "conditions": [{"field": "account_tier", "op": "eq", "value": "key"}],
            "strategy": "least_loaded",
            "target_team": teams.get("Key Account Service"),
            "target_queue": queues.get("key"),
        },
        {
            "entity": "case",
            "name": "Cloud problems need networking",
            "conditions": [
                {"field": "case_type", "op": "eq", "value": "problem"},
                {"field": "product", "op": "contains", "value": "cloud"},
            ],
            "strategy": "skill_match",
            "target_team": teams.get("Cloud Support"),
            "target_queue": queues.get("cloud"),
            "skills": [{"skill": "Cloud", "min_level": 2}, {"skill": "Networking", "min_level": 1}],
        },
        {
            "entity": "case",
            "name": "Devices cases wait in the devices queue",
            "conditions": [{"field": "product", "op": "contains", "value": "device"}],
            "strategy": "queue",
            "target_queue": queues.get("devices"),
        },
        {
            "entity": "case",
            "name": "Everything else: cloud support queue",
            "strategy": "queue",
            "target_queue": queues.get("cloud"),
        },
        {
            "entity": "lead",
            "name": "Web leads in turn to APAC Cloud Sales",
            "conditions": [{"field": "source", "op": "eq", "value": "web_form"}],
            "strategy": "round_robin",
            "target_team": teams.get("APAC Cloud Sales"),
        },
        {
            "entity": "lead",
            "name": "Other leads wait in the inbound queue",
            "strategy": "queue",
            "target_queue": queues.get("leads"),
        },
    ]
    made = 0
    for position, spec in enumerate(rules):
        if spec.get("target_team") is None and spec.get("target_queue") is None:
            continue
        AssignmentRule.objects.create(position=position, **spec)
        made += 1
    return {"queues": len(queues), "assignment rules": made}
