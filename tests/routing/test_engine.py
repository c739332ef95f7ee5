"""The pure routing decision: rules, strategies, urgency, fall-through."""

from __future__ import annotations

from trellis.routing.engine import Candidate, Condition, Pool, RuleSpec, decide


def person(pk: int, load: int = 0, capacity: int = 10, **kw) -> Candidate:
    return Candidate(pk, f"user{pk}", load, capacity, **kw)


def pool(*people: Candidate, team: int = 1) -> Pool:
    return Pool(
        users={p.user_id: p for p in people}, members={team: tuple(p.user_id for p in people)}
    )


def test_the_first_rule_whose_conditions_hold_decides():
    rules = [
        RuleSpec(1, "urgent", "fixed", (Condition("priority", "eq", "urgent"),), target_user_id=1),
        RuleSpec(2, "default", "fixed", (), target_user_id=2),
    ]
    decision = decide({"priority": "normal"}, rules, pool(person(1), person(2)))
    assert decision.chosen_user_id == 2
    assert decision.rule.name == "default"


def test_the_reasons_name_the_condition_that_failed():
    rules = [
        RuleSpec(1, "key", "fixed", (Condition("account_tier", "eq", "key"),), target_user_id=1)
    ]
    decision = decide({"account_tier": "standard"}, rules, pool(person(1)))
    assert not decision.decided
    assert "account_tier eq 'key' does not hold" in decision.reasons[0]


def test_in_conditions_compare_without_case():
    condition = Condition("region", "in", ["APAC", "emea"])
    assert condition.holds({"region": "apac"})
    assert not condition.holds({"region": "americas"})


def test_least_loaded_picks_the_lowest_share_of_capacity():
    people = pool(person(1, load=5, capacity=10), person(2, load=3, capacity=4), person(3, load=1))
    decision = decide({}, [RuleSpec(1, "ll", "least_loaded", target_team_id=1)], people)
    assert decision.chosen_user_id == 3
    assert [row["user_id"] for row in decision.candidates] == [3, 1, 2]


def test_out_of_office_deactivated_and_full_people_never_receive_work():
    people = pool(
        person(1, is_out_of_office=True),
        person(2, is_active=False),
        person(3, load=10, capacity=10),
        person(4, load=9, capacity=10),
    )
    decision = decide({}, [RuleSpec(1, "ll", "least_loaded", target_team_id=1)], people)
    assert decision.chosen_user_id == 4


def test_round_robin_gives_the_turn_to_the_member_after_the_last_one():
    people = pool(person(1), person(2), person(3))
    rule = RuleSpec(1, "rr", "round_robin", target_team_id=1, last_user_id=2)
    assert decide({}, [rule], people).chosen_user_id == 3


def test_round_robin_wraps_around_to_the_first_member():
    people = pool(person(1), person(2), person(3))
    rule = RuleSpec(1, "rr", "round_robin", target_team_id=1, last_user_id=3)
    assert decide({}, [rule], people).chosen_user_id == 1


def test_skill_match_prefers_the_best_match_then_the_least_loaded():
    people = pool(
        person(1, load=0, skills={"networking": 2}),
        person(2, load=4, skills={"networking": 5}),
        person(3, load=2, skills={"networking": 5}),
    )
    rule = RuleSpec(1, "net", "skill_match", target_team_id=1, skills=(("Networking", 2),))
    assert decide({}, [rule], people).chosen_user_id == 3


def test_skill_match_skips_people_below_the_minimum_level():
    people = pool(person(1, skills={"networking": 1}), person(2, skills={"networking": 3}))
    rule = RuleSpec(1, "net", "skill_match", target_team_id=1, skills=(("networking", 3),))
    decision = decide({}, [rule], people)
    assert decision.chosen_user_id == 2
    assert any("networking level 1 < 3" in row.get("note", "") for row in decision.candidates)


def test_a_team_rule_with_nobody_available_falls_through_to_the_next_rule():
    people = pool(person(1, load=10, capacity=10))
    rules = [
        RuleSpec(1, "team", "least_loaded", target_team_id=1),
        RuleSpec(2, "default", "queue", target_queue_id=7, queue_team_id=1),
    ]
    decision = decide({}, rules, people)
    assert decision.chosen_queue_id == 7
    assert any("falls through" in reason for reason in decision.reasons)


def test_an_urgent_item_in_a_queue_rule_goes_at_once_to_an_available_member():
    people = pool(person(1, load=2), person(2, load=1))
    rule = RuleSpec(1, "q", "queue", target_queue_id=7, queue_team_id=1)
    decision = decide({"priority": "urgent"}, [rule], people)
    assert decision.chosen_user_id == 2
    assert decision.chosen_queue_id is None


def test_an_urgent_item_with_nobody_available_waits_and_escalates():
    people = pool(person(1, load=3, capacity=3))
    rule = RuleSpec(1, "q", "queue", target_queue_id=7, queue_team_id=1)
    decision = decide({"priority": "urgent"}, [rule], people)
    assert decision.chosen_queue_id == 7
    assert decision.escalate


def test_a_normal_item_in_a_queue_rule_waits_without_escalating():
    rule = RuleSpec(1, "q", "queue", target_queue_id=7, queue_team_id=1)
    decision = decide({"priority": "normal"}, [rule], pool(person(1)))
    assert decision.chosen_queue_id == 7
    assert decision.chosen_user_id is None
    assert not decision.escalate


def test_a_fixed_rule_to_someone_out_of_office_falls_through():
    rules = [
        RuleSpec(1, "fixed", "fixed", target_user_id=1),
        RuleSpec(2, "team", "fixed", target_team_id=1),
    ]
    decision = decide({}, rules, pool(person(1, is_out_of_office=True)))
    assert decision.chosen_user_id is None
    assert decision.chosen_team_id == 1


def test_only_the_best_candidates_are_kept_in_a_decision():
    people = pool(*[person(pk) for pk in range(1, 60)])
    decision = decide({}, [RuleSpec(1, "ll", "least_loaded", target_team_id=1)], people)
    assert len(decision.candidates) == 20
    assert any("39 more candidates" in reason for reason in decision.reasons)
