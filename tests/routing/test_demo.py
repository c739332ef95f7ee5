"""The demo organization's routing set-up."""

from __future__ import annotations

import pytest

from tests import factories
from trellis.demo.routing import build_routing
from trellis.routing.models import AssignmentRule, Queue
from trellis.routing.services import rule_specs

pytestmark = pytest.mark.django_db


def _teams(org) -> dict:
    names = ("Cloud Support", "Devices Support", "Key Account Service", "APAC Cloud Sales")
    member = factories.user("member", unit=org["jakarta"])
    return {name: factories.team(name, unit=org["jakarta"], members=(member,)) for name in names}


def test_the_demo_gets_queues_and_rules_for_leads_and_cases(org):
    summary = build_routing(_teams(org), {})
    assert summary == {"queues": 4, "assignment rules": 6}
    assert set(AssignmentRule.objects.values_list("entity", flat=True)) == {"lead", "case"}
    assert Queue.objects.count() == 4


def test_every_demo_rule_reads_as_a_valid_rule(org):
    build_routing(_teams(org), {})
    assert [spec.strategy for spec in rule_specs("case")] == [
        "least_loaded",
        "skill_match",
        "queue",
        "queue",
    ]


def test_demo_team_leaders_are_set(org):
    teams = _teams(org)
    boss = factories.user("service.apac", unit=org["asia"])
    build_routing(teams, {"service.apac": boss})
    teams["Cloud Support"].refresh_from_db()
    assert teams["Cloud Support"].leader == boss
