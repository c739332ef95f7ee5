"""The routing pages, as people who must see different things."""

from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tests.routing.conftest import open_case, rule
from trellis.routing.models import AssignmentRule, Queue
from trellis.service.models import Case
from trellis.service.services import case_create

pytestmark = pytest.mark.django_db


def test_a_routing_manager_sees_the_rules_in_order(browser, people):
    rule(name="Urgent first", strategy="fixed", target_user=people.ana)
    rule(name="Everything else", strategy="least_loaded", target_team=people.team)
    response = browser(people.manager).get("/routing/rules/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Urgent first") < body.index("Everything else")


def test_an_agent_may_not_open_the_rules_page(browser, people):
    assert browser(people.ana).get("/routing/rules/").status_code == 403


def test_a_manager_creates_a_rule_from_the_form(browser, people):
    response = browser(people.manager).post(
        "/routing/rules/new/",
        {
            "entity": "case",
            "name": "Urgent",
            "strategy": "least_loaded",
            "conditions": "priority eq urgent",
            "target_team": people.team.pk,
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content
    made = AssignmentRule.objects.get()
    assert made.conditions == [{"field": "priority", "op": "eq", "value": "urgent"}]


def test_a_rule_form_with_an_unknown_field_shows_the_error(browser, people):
    response = browser(people.manager).post(
        "/routing/rules/new/",
        {
            "entity": "case",
            "name": "Bad",
            "strategy": "least_loaded",
            "conditions": "colour eq red",
            "target_team": people.team.pk,
        },
    )
    assert response.status_code == 400
    assertContains(response, "unknown field", status_code=400)


def test_a_manager_disables_and_moves_rules(browser, people):
    first = rule(name="First", strategy="fixed", target_user=people.ana)
    second = rule(name="Second", strategy="fixed", target_user=people.budi)
    client = browser(people.manager)
    client.post(f"/routing/rules/{first.pk}/toggle/")
    client.post(f"/routing/rules/{second.pk}/move/", {"direction": "up"})
    assert AssignmentRule.objects.get(pk=first.pk).enabled is False
    order = list(AssignmentRule.objects.order_by("position").values_list("pk", flat=True))
    assert order == [second.pk, first.pk]


def test_the_simulation_page_shows_the_spread_and_saves_nothing(browser, people):
    rule(strategy="round_robin", target_team=people.team)
    for _ in range(3):
        open_case(people.leader)
    response = browser(people.manager).post("/routing/simulate/", {"entity": "case"})
    assert response.status_code == 200
    assertContains(response, "3 items, 0 not routed")
    assert set(Case.objects.values_list("owner_user", flat=True)) == {people.leader.pk}


def test_members_see_their_queue_and_outsiders_get_404(browser, people, queue):
    assertContains(browser(people.ana).get("/routing/queues/"), "Jakarta cases")
    assertNotContains(browser(people.milan).get("/routing/queues/"), "Jakarta cases")
    assert browser(people.milan).get(f"/routing/queues/{queue.pk}/").status_code == 404


def test_take_next_from_the_page_opens_the_case_taken(browser, people, queue):
    rule(strategy="queue", target_queue=queue)
    case = case_create(people.ana, subject="Waiting")
    response = browser(people.budi).post(f"/routing/queues/{queue.pk}/take-next/")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert Case.objects.get(pk=case.pk).owner_user == people.budi


def test_a_manager_adds_a_queue(browser, people):
    response = browser(people.manager).post(
        "/routing/queues/", {"name": "New", "entity": "lead", "team": people.team.pk}
    )
    assert response.status_code == 302
    assert Queue.objects.filter(name="New").exists()


def test_the_case_page_says_why_the_case_went_to_its_owner(browser, people):
    rule(name="Support rota", strategy="least_loaded", target_team=people.team)
    case = case_create(people.ana, subject="Why me?")
    response = browser(people.manager).get(f"/cases/{case.pk}/")
    assertContains(response, "Support rota")


def test_the_history_shows_only_decisions_about_readable_records(browser, people):
    rule(name="Support rota", strategy="least_loaded", target_team=people.team)
    case_create(people.ana, subject="Jakarta")
    assertContains(browser(people.manager).get("/routing/assignments/"), "Support rota")
    assertNotContains(browser(people.milan).get("/routing/assignments/"), "Support rota")
