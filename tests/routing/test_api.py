"""The routing REST API, as people who must see different things."""

from __future__ import annotations

import pytest

from tests import factories
from tests.routing.conftest import open_case, rule
from trellis.routing.models import AssignmentDecision, AssignmentRule, QueueItem
from trellis.service.models import Case
from trellis.service.services import case_create

pytestmark = pytest.mark.django_db


def _rule_body(people, **extra) -> dict:
    return {
        "entity": "case",
        "name": "Support",
        "strategy": "least_loaded",
        "target_team_id": people.team.pk,
        **extra,
    }


# Rules.


def test_a_routing_manager_creates_a_rule(api, people):
    response = api(people.manager).post("/api/v1/assignment-rules", _rule_body(people))
    assert response.status_code == 201, response.content
    assert response.json()["target_team_id"] == people.team.pk


def test_an_agent_may_not_list_or_create_rules(api, people):
    client = api(people.ana)
    assert client.get("/api/v1/assignment-rules").status_code == 403
    assert client.post("/api/v1/assignment-rules", _rule_body(people)).status_code == 403


def test_a_rule_on_an_unknown_field_answers_400_naming_it(api, people):
    body = _rule_body(people, conditions=[{"field": "colour", "op": "eq", "value": "red"}])
    response = api(people.manager).post("/api/v1/assignment-rules", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "conditions[0].field"


def test_a_rule_naming_a_missing_team_answers_404_naming_the_field(api, people):
    response = api(people.manager).post(
        "/api/v1/assignment-rules", _rule_body(people, target_team_id=999999)
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "target_team_id"


def test_a_rule_is_disabled_with_patch(api, people):
    made = rule(strategy="least_loaded", target_team=people.team)
    response = api(people.manager).patch(
        f"/api/v1/assignment-rules/{made.pk}", {"enabled": False}, headers={"If-Match": "1"}
    )
    assert response.status_code == 200, response.content
    assert AssignmentRule.objects.get(pk=made.pk).enabled is False


def test_a_stale_version_answers_412(api, people):
    made = rule(strategy="least_loaded", target_team=people.team, version=3)
    response = api(people.manager).patch(
        f"/api/v1/assignment-rules/{made.pk}", {"enabled": False}, headers={"If-Match": "1"}
    )
    assert response.status_code == 412


def test_rules_are_reordered(api, people):
    one = rule(strategy="fixed", target_user=people.ana)
    two = rule(strategy="fixed", target_user=people.budi)
    response = api(people.manager).post(
        "/api/v1/assignment-rules/reorder", {"entity": "case", "rule_ids": [two.pk, one.pk]}
    )
    assert response.status_code == 200, response.content
    listed = api(people.manager).get("/api/v1/assignment-rules", {"entity": "case"}).json()
    assert [item["id"] for item in listed["items"]] == [two.pk, one.pk]


def test_a_rule_is_deleted(api, people):
    made = rule(strategy="fixed", target_user=people.ana)
    assert api(people.manager).delete(f"/api/v1/assignment-rules/{made.pk}").status_code == 204
    assert not AssignmentRule.objects.exists()


def test_simulate_answers_the_distribution_without_saving(api, people):
    rule(strategy="round_robin", target_team=people.team)
    for _ in range(3):
        open_case(people.leader)
    response = api(people.manager).post("/api/v1/assignment-rules/simulate", {"entity": "case"})
    assert response.status_code == 200, response.content
    assert sorted(row["items"] for row in response.json()["per_user"]) == [1, 1, 1]
    assert set(Case.objects.values_list("owner_user", flat=True)) == {people.leader.pk}


def test_simulate_is_for_routing_managers_only(api, people):
    response = api(people.ana).post("/api/v1/assignment-rules/simulate", {"entity": "case"})
    assert response.status_code == 403


def test_simulate_reads_an_uploaded_csv(api, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rule(strategy="fixed", target_user=people.citra)
    client = api(people.manager)
    upload = SimpleUploadedFile("cases.csv", b"priority\nurgent\nlow\n", "text/csv")
    response = client.client.post(
        "/api/v1/assignment-rules/simulate-file",
        {"entity": "case", "file": upload},
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["per_user"][0]["items"] == 2


# Queues.


def test_a_member_sees_their_teams_queue_and_an_outsider_does_not(api, people, queue):
    assert [q["id"] for q in api(people.ana).get("/api/v1/queues").json()["items"]] == [queue.pk]
    assert api(people.milan).get("/api/v1/queues").json()["items"] == []
    assert api(people.milan).get(f"/api/v1/queues/{queue.pk}").status_code == 404


def test_a_manager_creates_a_queue(api, people):
    response = api(people.manager).post(
        "/api/v1/queues", {"name": "Cases", "entity": "case", "team_id": people.team.pk}
    )
    assert response.status_code == 201, response.content


def test_queue_items_come_next_first(api, people, queue):
    rule(strategy="queue", target_queue=queue)
    low = case_create(people.ana, subject="Low", priority="low")
    high = case_create(people.ana, subject="High", priority="high")
    items = api(people.budi).get(f"/api/v1/queues/{queue.pk}/items").json()["items"]
    assert [item["object_id"] for item in items] == [high.pk, low.pk]


def test_take_next_gives_a_member_the_next_case(api, people, queue):
    rule(strategy="queue", target_queue=queue)
    case = case_create(people.ana, subject="Waiting")
    response = api(people.budi).post(f"/api/v1/queues/{queue.pk}/take-next")
    assert response.status_code == 200, response.content
    assert response.json()["object_id"] == case.pk
    assert Case.objects.get(pk=case.pk).owner_user == people.budi


def test_take_next_on_an_empty_queue_answers_204(api, people, queue):
    assert api(people.budi).post(f"/api/v1/queues/{queue.pk}/take-next").status_code == 204


def test_a_manager_outside_the_team_may_not_take_next(api, people, queue):
    assert api(people.manager).post(f"/api/v1/queues/{queue.pk}/take-next").status_code == 403


def test_take_next_at_capacity_answers_409(api, people, queue):
    rule(strategy="queue", target_queue=queue)
    case_create(people.ana, subject="Waiting")
    for _ in range(3):
        open_case(people.budi)
    assert api(people.budi).post(f"/api/v1/queues/{queue.pk}/take-next").status_code == 409


# Decisions.


def test_case_assignments_say_why_it_went_to_someone(api, people):
    rule(name="Support", strategy="least_loaded", target_team=people.team)
    case = case_create(people.ana, subject="Why me?")
    response = api(people.manager).get(f"/api/v1/cases/{case.pk}/assignments")
    assert response.status_code == 200, response.content
    item = response.json()["items"][0]
    assert (item["rule_name"], item["chosen_user_id"]) == ("Support", case.owner_user_id)
    assert len(item["candidates"]) == 3


def test_case_assignments_are_404_for_someone_who_cannot_read_the_case(api, people):
    case = open_case(people.ana)
    assert api(people.milan).get(f"/api/v1/cases/{case.pk}/assignments").status_code == 404


def test_the_history_lists_only_decisions_about_readable_records(api, people):
    rule(strategy="fixed", target_user=people.ana)
    case_create(people.ana, subject="Jakarta")
    assert len(api(people.manager).get("/api/v1/assignments").json()["items"]) == 1
    assert api(people.milan).get("/api/v1/assignments").json()["items"] == []


def test_lead_assignments_answer_for_a_lead(api, people, org):
    marketer = factories.user("marketer", unit=org["jakarta"], roles=["Marketing Specialist"])
    rule("lead", strategy="fixed", target_user=people.sales)
    from trellis.sales.services import lead_create

    lead = lead_create(marketer, last_name="Santoso")
    response = api(people.sales).get(f"/api/v1/leads/{lead.pk}/assignments")
    assert response.status_code == 200, response.content
    assert response.json()["items"][0]["chosen_user_id"] == people.sales.pk


# Manual and bulk assignment.


def test_the_assign_action_keeps_a_reason(api, people):
    case = open_case(people.ana)
    response = api(people.manager).post(
        f"/api/v1/cases/{case.pk}/assign", {"owner_user_id": people.budi.pk, "reason": "sick"}
    )
    assert response.status_code == 200, response.content
    decision = AssignmentDecision.objects.get(object_id=case.pk)
    assert (decision.kind, decision.reason) == ("manual", "sick")


def test_bulk_assign_reports_per_id(api, people):
    mine = open_case(people.ana)
    hidden = open_case(people.milan)
    response = api(people.manager).post(
        "/api/v1/cases/assign",
        {"ids": [mine.pk, hidden.pk], "owner_user_id": people.citra.pk, "reason": "rebalance"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assigned"] == 1
    assert [row["status"] for row in body["results"]] == [200, 404]


def test_bulk_assign_by_an_agent_without_assign_rights_is_refused_per_id(api, people):
    other = open_case(people.budi)
    response = api(people.ana).post(
        "/api/v1/cases/assign", {"ids": [other.pk], "owner_user_id": people.ana.pk}
    )
    assert response.json()["results"][0]["status"] in (403, 404)
    assert Case.objects.get(pk=other.pk).owner_user == people.budi


def test_bulk_assign_without_an_owner_answers_400(api, people):
    case = open_case(people.ana)
    response = api(people.manager).post("/api/v1/cases/assign", {"ids": [case.pk]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "owner_user_id"


def test_routed_queue_items_are_not_shown_to_people_who_cannot_read_them(api, people, queue):
    rule(strategy="queue", target_queue=queue)
    case_create(people.ana, subject="Waiting")
    assert QueueItem.objects.count() == 1
    assert len(api(people.manager).get(f"/api/v1/queues/{queue.pk}/items").json()["items"]) == 1
