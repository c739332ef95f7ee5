"""Routing records for real: the create hook, decisions, queues, manual and bulk assignment."""

from __future__ import annotations

import pytest

from tests import factories
from tests.routing.conftest import open_case, rule, skill
from trellis.audit.models import AuditEvent
from trellis.core.errors import Conflict, Forbidden, InvalidInput
from trellis.notifications.models import Notification
from trellis.routing import services
from trellis.routing.models import AssignmentDecision, AssignmentRule, QueueItem
from trellis.sales.services import lead_create
from trellis.service.models import Case
from trellis.service.services import case_create, case_resolve

pytestmark = pytest.mark.django_db


# The create hook.


def test_a_case_created_without_rules_stays_with_its_creator(people):
    case = case_create(people.ana, subject="Printer jam")
    assert case.owner_user == people.ana
    assert not AssignmentDecision.objects.exists()


def test_a_case_created_without_an_owner_is_routed_by_the_rules(people):
    rule(strategy="least_loaded", target_team=people.team)
    open_case(people.budi)
    open_case(people.citra)
    case = case_create(people.budi, subject="Printer jam")
    assert Case.objects.get(pk=case.pk).owner_user == people.ana


def test_a_case_created_with_an_explicit_owner_is_not_routed(people):
    rule(strategy="fixed", target_user=people.citra)
    case = case_create(people.ana, subject="Mine", owner_user=people.ana)
    assert case.owner_user == people.ana


def test_routing_stores_the_rule_the_candidates_and_the_choice(people):
    made = rule(name="Support", strategy="least_loaded", target_team=people.team)
    case = case_create(people.ana, subject="Question")
    decision = AssignmentDecision.objects.get(entity="case", object_id=case.pk)
    assert decision.rule == made
    assert decision.chosen_user_id == case.owner_user_id
    assert {row["username"] for row in decision.candidates} == {"ana", "budi", "citra"}
    assert decision.actor is None


def test_routing_moves_the_owning_unit_and_writes_an_audit_event(people, org):
    other = factories.user("shanghai_agent", unit=org["shanghai"])
    rule(strategy="fixed", target_user=other)
    case = case_create(people.ana, subject="Question")
    assert case.owning_unit == org["shanghai"]
    assert AuditEvent.objects.filter(action="assign", object_id=case.pk).exists()


def test_a_lead_created_without_an_owner_is_routed_by_the_lead_rules(people, org):
    marketer = factories.user("marketer", unit=org["jakarta"], roles=["Marketing Specialist"])
    rule("lead", strategy="fixed", target_user=people.sales)
    lead = lead_create(marketer, last_name="Santoso")
    assert lead.owner_user == people.sales


def test_key_account_cases_go_to_the_key_account_team(people, org):
    key_team = factories.team("Key Accounts", unit=org["jakarta"], members=(people.citra,))
    rule(
        strategy="least_loaded",
        target_team=key_team,
        conditions=[{"field": "account_tier", "op": "eq", "value": "key"}],
    )
    rule(strategy="least_loaded", target_team=people.team)
    key = factories.account(people.ana, tier="key")
    small = factories.account(people.ana, tier="standard")
    assert case_create(people.ana, subject="Big", account=key).owner_user == people.citra
    assert case_create(people.ana, subject="Small", account=small).owner_user != people.citra


def test_round_robin_hands_out_cases_in_turn(people):
    rule(strategy="round_robin", target_team=people.team)
    owners = [case_create(people.ana, subject=f"Case {i}").owner_user for i in range(4)]
    assert [u.username for u in owners] == ["ana", "budi", "citra", "ana"]


def test_least_loaded_never_takes_anyone_over_capacity(people):
    rule(strategy="least_loaded", target_team=people.team)
    rule(strategy="fixed", target_team=people.team)
    for _ in range(12):
        case_create(people.ana, subject="Work")
    for agent in (people.ana, people.budi, people.citra):
        assert Case.objects.filter(owner_user=agent).count() == 3
    assert Case.objects.filter(owner_team=people.team).count() == 3


def test_resolved_cases_do_not_count_as_load(people):
    rule(strategy="least_loaded", target_team=people.team)
    for _ in range(3):
        open_case(people.ana, status="resolved")
    open_case(people.budi)
    open_case(people.citra)
    assert case_create(people.budi, subject="New").owner_user == people.ana


def test_skill_match_routes_to_the_person_with_the_required_skill(people):
    skill(people.budi, "Networking", 4)
    skill(people.ana, "Networking", 1)
    rule(
        strategy="skill_match",
        target_team=people.team,
        skills=[{"skill": "Networking", "min_level": 3}],
    )
    assert case_create(people.ana, subject="VPN down").owner_user == people.budi


def test_a_queue_rule_leaves_the_case_with_the_team_and_queues_it(people, queue):
    rule(strategy="queue", target_queue=queue)
    case = case_create(people.ana, subject="Later")
    assert case.owner_team == people.team
    assert QueueItem.objects.get(object_id=case.pk, taken_at__isnull=True).queue == queue


def test_an_urgent_case_goes_at_once_to_an_available_member(people, queue):
    rule(strategy="queue", target_queue=queue)
    case = case_create(people.ana, subject="Down!", priority="urgent")
    assert case.owner_user is not None
    assert not QueueItem.objects.filter(object_id=case.pk).exists()


def test_an_urgent_case_with_nobody_available_waits_on_top_and_the_leader_is_told(people, queue):
    for agent in (people.ana, people.budi, people.citra):
        for _ in range(3):
            open_case(agent)
    rule(strategy="queue", target_queue=queue)
    normal = case_create(people.ana, subject="Whenever")
    urgent = case_create(people.ana, subject="Down!", priority="urgent")
    waiting = list(QueueItem.objects.filter(queue=queue).values_list("object_id", flat=True))
    assert waiting == [urgent.pk, normal.pk]
    note = Notification.objects.get(recipient=people.leader)
    assert note.kind == "escalation"


def test_without_a_leader_the_members_manager_is_told(people, queue, org):
    boss = factories.user("boss", unit=org["jakarta"])
    people.team.leader = None
    people.team.save()
    people.ana.reports_to = boss
    people.ana.save()
    for agent in (people.ana, people.budi, people.citra):
        for _ in range(3):
            open_case(agent)
    rule(strategy="queue", target_queue=queue)
    case_create(people.ana, subject="Down!", priority="urgent")
    assert Notification.objects.filter(recipient=boss, kind="escalation").exists()


def test_no_matching_rule_leaves_the_creator_as_owner(people):
    rule(strategy="fixed", target_user=people.citra, conditions=[
        {"field": "priority", "op": "eq", "value": "urgent"}
    ])  # fmt: skip
    case = case_create(people.ana, subject="Normal")
    assert case.owner_user == people.ana
    assert "no rule decided" in AssignmentDecision.objects.get(object_id=case.pk).reasons[-1]


def test_disabled_rules_are_not_used(people):
    rule(strategy="fixed", target_user=people.citra, enabled=False)
    assert case_create(people.ana, subject="Normal").owner_user == people.ana


# Validation.


def test_a_rule_on_an_unknown_field_is_refused_naming_the_field(people):
    with pytest.raises(InvalidInput) as error:
        services.rule_create(
            people.manager, entity="case", name="Bad", strategy="fixed",
            target_user=people.ana, conditions=[{"field": "colour", "op": "eq", "value": "x"}],
        )  # fmt: skip
    assert error.value.errors[0][0] == "conditions[0].field"


def test_a_rule_with_a_bad_operator_is_refused(people):
    with pytest.raises(InvalidInput) as error:
        services.rule_create(
            people.manager, entity="case", name="Bad", strategy="fixed",
            target_user=people.ana, conditions=[{"field": "priority", "op": "~", "value": "x"}],
        )  # fmt: skip
    assert error.value.errors[0][0] == "conditions[0].op"


def test_a_team_rule_for_an_empty_team_is_refused(people, org):
    empty = factories.team("Empty", unit=org["jakarta"])
    with pytest.raises(InvalidInput) as error:
        services.rule_create(
            people.manager, entity="case", name="Empty", strategy="least_loaded", target_team=empty
        )
    assert error.value.errors[0][0] == "target_team_id"


def test_a_skill_match_rule_needs_skills(people):
    with pytest.raises(InvalidInput) as error:
        services.rule_create(
            people.manager, entity="case", name="S", strategy="skill_match", target_team=people.team
        )
    assert error.value.errors[0][0] == "skills"


def test_managing_rules_needs_the_manage_routing_privilege(people):
    with pytest.raises(Forbidden):
        services.rule_create(
            people.ana, entity="case", name="Mine", strategy="fixed", target_user=people.ana
        )


def test_a_manager_cannot_target_a_team_outside_their_units(people, org):
    milan_team = factories.team("Milan", unit=org["milan"], members=(people.milan,))
    with pytest.raises(Forbidden):
        services.rule_create(
            people.manager, entity="case", name="Milan", strategy="fixed", target_team=milan_team
        )


def test_a_new_rule_can_be_put_first(people):
    first = rule(strategy="fixed", target_user=people.ana)
    made = services.rule_create(
        people.manager, entity="case", name="Top", strategy="fixed",
        target_user=people.budi, position=0,
    )  # fmt: skip
    order = list(AssignmentRule.objects.order_by("position").values_list("pk", flat=True))
    assert order == [made.pk, first.pk]


def test_reordering_needs_every_rule_once(people):
    one = rule(strategy="fixed", target_user=people.ana)
    rule(strategy="fixed", target_user=people.budi)
    with pytest.raises(InvalidInput):
        services.rule_reorder(people.manager, entity="case", rule_ids=[one.pk])


# Taking from a queue.


def test_take_next_gives_the_highest_priority_then_the_oldest(people, queue):
    rule(strategy="queue", target_queue=queue)
    case_create(people.ana, subject="Old normal")
    high = case_create(people.ana, subject="High", priority="high")
    taken = services.queue_take_next(people.budi, queue=queue)
    assert taken.pk == high.pk
    assert Case.objects.get(pk=high.pk).owner_user == people.budi


def test_take_next_refuses_someone_at_capacity(people, queue):
    rule(strategy="queue", target_queue=queue)
    case_create(people.ana, subject="Waiting")
    for _ in range(3):
        open_case(people.budi)
    with pytest.raises(Conflict):
        services.queue_take_next(people.budi, queue=queue)


def test_take_next_is_only_for_members_of_the_queue_team(people, queue):
    with pytest.raises(Forbidden):
        services.queue_take_next(people.milan, queue=queue)


def test_take_next_on_an_empty_queue_gives_nothing(people, queue):
    assert services.queue_take_next(people.ana, queue=queue) is None


def test_take_next_skips_items_resolved_while_waiting(people, queue):
    rule(strategy="queue", target_queue=queue)
    done = case_create(people.ana, subject="Done")
    later = case_create(people.ana, subject="Later")
    case_resolve(people.manager, case=done, resolution="fixed by phone")
    assert services.queue_take_next(people.ana, queue=queue).pk == later.pk


# Manual and bulk assignment.


def test_manual_assignment_keeps_the_reason(people):
    case = open_case(people.ana)
    services.assignment_make(people.manager, record=case, owner_user=people.budi, reason="holiday")
    decision = AssignmentDecision.objects.get(object_id=case.pk)
    assert (decision.kind, decision.reason, decision.actor) == ("manual", "holiday", people.manager)


def test_manual_assignment_takes_the_record_out_of_its_queue(people, queue):
    rule(strategy="queue", target_queue=queue)
    case = case_create(people.ana, subject="Waiting")
    services.assignment_make(people.manager, record=case, owner_user=people.budi)
    assert not QueueItem.objects.filter(object_id=case.pk, taken_at__isnull=True).exists()


def test_bulk_assignment_reports_each_id(people):
    mine = open_case(people.ana)
    milan_case = open_case(people.milan)
    results = services.assign_bulk(
        people.manager, entity="case", ids=[mine.pk, milan_case.pk], owner_user=people.citra
    )
    assert [(row["id"], row["ok"], row["status"]) for row in results] == [
        (mine.pk, True, 200),
        (milan_case.pk, False, 404),
    ]
    assert Case.objects.get(pk=mine.pk).owner_user == people.citra
    assert Case.objects.get(pk=milan_case.pk).owner_user == people.milan


# Simulation.


def test_simulation_shows_the_spread_and_writes_nothing(people):
    rule(strategy="round_robin", target_team=people.team)
    for _ in range(6):
        open_case(people.leader)
    before = AuditEvent.objects.count()
    result = services.simulate(people.manager, entity="case")
    assert result["total"] == 6
    assert {row["username"]: row["items"] for row in result["per_user"]} == {
        "ana": 2,
        "budi": 2,
        "citra": 2,
    }
    assert AuditEvent.objects.count() == before
    assert not AssignmentDecision.objects.exists()
    assert set(Case.objects.values_list("owner_user", flat=True)) == {people.leader.pk}


def test_simulation_can_try_a_disabled_rule(people):
    off = rule(strategy="fixed", target_user=people.citra, enabled=False)
    open_case(people.leader)
    result = services.simulate(people.manager, entity="case", rule_ids=[off.pk])
    assert result["per_user"][0]["username"] == "citra"


def test_simulation_reads_an_uploaded_file(people):
    rule(
        strategy="fixed",
        target_user=people.citra,
        conditions=[{"field": "priority", "op": "eq", "value": "urgent"}],
    )
    content = "priority,case_type\nurgent,problem\nlow,question\n"
    result = services.simulate(people.manager, entity="case", csv_content=content)
    assert (result["total"], result["unrouted"]) == (2, 1)


def test_simulation_refuses_a_file_with_unknown_columns(people):
    with pytest.raises(InvalidInput) as error:
        services.simulate(people.manager, entity="case", csv_content="colour\nred\n")
    assert error.value.errors[0][0] == "file"
