"""Routing campaigns' marketing tasks: tasks regarding a campaign go through the
`activity` rules (conditions on the campaign and the task's priority)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests import factories
from tests.routing.conftest import rule
from trellis.activities.models import Activity
from trellis.activities.services import activity_create
from trellis.audit.models import AuditEvent
from trellis.routing import services
from trellis.routing.entities import loads_for
from trellis.routing.models import AssignmentDecision
from trellis.sales.models import Campaign, ProductLine

pytestmark = pytest.mark.django_db

MARKETER = "Marketing Specialist"


@pytest.fixture
def marketing(org):
    """A Jakarta marketing team (mia, nadia, oka), the marketer who plans the campaigns,
    a routing manager over Asia-Pacific and a Milan marketer outside all of it."""
    mia = factories.user("mia", unit=org["jakarta"], roles=[MARKETER], capacity=5)
    nadia = factories.user("nadia", unit=org["jakarta"], roles=[MARKETER], capacity=5)
    oka = factories.user("oka", unit=org["jakarta"], roles=[MARKETER], capacity=5)
    planner = factories.user("planner", unit=org["jakarta"], roles=[MARKETER])
    line = ProductLine.objects.create(name="Routers", code="RTR")
    return SimpleNamespace(
        mia=mia,
        nadia=nadia,
        oka=oka,
        planner=planner,
        team=factories.team("Jakarta Marketing", unit=org["jakarta"], members=(mia, nadia, oka)),
        manager=factories.user("manager", unit=org["asia"], roles=["Service Manager"]),
        milan=factories.user("milan", unit=org["milan"], roles=[MARKETER]),
        email=_campaign(planner, "Newsletter", type="email", product_line=line),
        event=_campaign(planner, "Trade fair", type="event"),
    )


def _campaign(owner, name: str, **fields) -> Campaign:
    return Campaign.objects.create(
        name=name, status="active", owner_user=owner, owning_unit_id=owner.unit_id, **fields
    )


def _task(actor, campaign, **fields) -> Activity:
    return activity_create(
        actor, kind="task", subject=fields.pop("subject", "Write copy"), regarding=campaign,
        **fields,
    )  # fmt: skip


def _open_task(owner, campaign) -> Activity:
    """An open marketing task already owned by `owner` (counts as their load)."""
    return Activity.objects.create(
        kind="task",
        subject="Earlier task",
        owner_user=owner,
        owning_unit_id=owner.unit_id,
        regarding_type=ContentType.objects.get_for_model(Campaign),
        regarding_id=campaign.pk,
    )


def _channel_is(value: str) -> list[dict]:
    return [{"field": "channel", "op": "eq", "value": value}]


# The create hook.


def test_a_task_whose_campaign_channel_matches_goes_to_the_marketing_team(marketing):
    rule("activity", strategy="fixed", target_team=marketing.team, conditions=_channel_is("email"))
    task = _task(marketing.planner, marketing.email)
    assert Activity.objects.get(pk=task.pk).owner_team == marketing.team


def test_least_loaded_gives_the_task_to_the_least_busy_marketer(marketing):
    rule("activity", strategy="least_loaded", target_team=marketing.team)
    _open_task(marketing.mia, marketing.email)
    _open_task(marketing.nadia, marketing.event)
    task = _task(marketing.planner, marketing.email)
    assert Activity.objects.get(pk=task.pk).owner_user == marketing.oka


def test_a_task_no_rule_matches_falls_through_to_the_next_rule(marketing):
    rule("activity", strategy="fixed", target_team=marketing.team, conditions=_channel_is("event"))
    second = rule("activity", strategy="fixed", target_user=marketing.nadia)
    task = _task(marketing.planner, marketing.email)
    assert Activity.objects.get(pk=task.pk).owner_user == marketing.nadia
    assert AssignmentDecision.objects.get(entity="activity", object_id=task.pk).rule == second


def test_a_task_matching_no_rule_stays_with_its_creator(marketing):
    rule("activity", strategy="fixed", target_team=marketing.team, conditions=_channel_is("event"))
    task = _task(marketing.planner, marketing.email)
    assert Activity.objects.get(pk=task.pk).owner_user == marketing.planner


def test_a_rule_can_test_the_campaign_product_line_and_the_task_priority(marketing):
    rule(
        "activity",
        strategy="fixed",
        target_user=marketing.mia,
        conditions=[
            {"field": "product_line", "op": "eq", "value": "RTR"},
            {"field": "priority", "op": "eq", "value": "high"},
        ],
    )
    urgent = _task(marketing.planner, marketing.email, priority="high")
    ordinary = _task(marketing.planner, marketing.email, priority="normal")
    assert Activity.objects.get(pk=urgent.pk).owner_user == marketing.mia
    assert Activity.objects.get(pk=ordinary.pk).owner_user == marketing.planner


def test_the_decision_explains_who_was_considered_and_why(marketing):
    made = rule("activity", name="Marketing", strategy="least_loaded", target_team=marketing.team)
    task = _task(marketing.planner, marketing.email)
    decision = AssignmentDecision.objects.get(entity="activity", object_id=task.pk)
    assert decision.rule == made
    assert decision.chosen_user_id == Activity.objects.get(pk=task.pk).owner_user_id
    assert {row["username"] for row in decision.candidates} == {"mia", "nadia", "oka"}
    assert decision.reasons


def test_routing_a_task_is_audited_as_an_assignment(marketing):
    rule("activity", strategy="fixed", target_user=marketing.oka)
    task = _task(marketing.planner, marketing.email)
    assert AuditEvent.objects.filter(entity="activity", action="assign", object_id=task.pk).exists()


def test_a_task_with_an_explicit_owner_is_not_routed(marketing):
    rule("activity", strategy="fixed", target_user=marketing.oka)
    task = _task(marketing.planner, marketing.email, owner_user=marketing.planner)
    assert Activity.objects.get(pk=task.pk).owner_user == marketing.planner
    assert not AssignmentDecision.objects.exists()


def test_a_call_about_a_campaign_is_not_routed(marketing):
    rule("activity", strategy="fixed", target_user=marketing.oka)
    call = activity_create(
        marketing.planner,
        kind="call",
        subject="Call the venue",
        regarding=marketing.event,
        start_at=timezone.now() + dt.timedelta(days=1),
    )
    assert Activity.objects.get(pk=call.pk).owner_user == marketing.planner


def test_a_task_regarding_no_campaign_is_not_routed(marketing):
    rule("activity", strategy="fixed", target_user=marketing.oka)
    task = activity_create(marketing.planner, kind="task", subject="Tidy the desk")
    assert Activity.objects.get(pk=task.pk).owner_user == marketing.planner


def test_other_open_activities_are_no_load(marketing):
    Activity.objects.create(
        kind="task", subject="Private errand", owner_user=marketing.mia,
        owning_unit_id=marketing.mia.unit_id,
    )  # fmt: skip
    assert loads_for([marketing.mia.pk]) == {marketing.mia.pk: 0}


def test_a_batch_of_tasks_is_spread_evenly_over_the_team(marketing):
    rule("activity", strategy="least_loaded", target_team=marketing.team)
    tasks = [_open_task(marketing.planner, marketing.email) for _ in range(6)]
    routed = services.route_records(marketing.planner, tasks, entity="activity")
    owners = list(Activity.objects.filter(pk__in=[t.pk for t in tasks]).values_list(
        "owner_user__username", flat=True))  # fmt: skip
    assert routed == 6
    assert sorted(owners) == ["mia", "mia", "nadia", "nadia", "oka", "oka"]


# Rules for marketing tasks.


def test_a_manager_creates_a_marketing_task_rule_on_the_campaign_channel(api, marketing):
    response = api(marketing.manager).post(
        "/api/v1/assignment-rules",
        {
            "entity": "activity",
            "name": "E-mail campaigns",
            "strategy": "round_robin",
            "target_team_id": marketing.team.pk,
            "conditions": _channel_is("email"),
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["entity"] == "activity"


def test_a_marketing_task_rule_on_a_case_field_names_the_field(api, marketing):
    response = api(marketing.manager).post(
        "/api/v1/assignment-rules",
        {
            "entity": "activity",
            "name": "Wrong",
            "strategy": "fixed",
            "target_team_id": marketing.team.pk,
            "conditions": [{"field": "case_type", "op": "eq", "value": "problem"}],
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "conditions[0].field"


def test_the_rules_page_offers_marketing_tasks(browser, marketing):
    page = browser(marketing.manager).get("/routing/rules/new/")
    assert page.status_code == 200
    assert 'value="activity"' in page.content.decode()


# Reading the decisions.


def test_activity_assignments_say_why_the_task_went_to_someone(api, marketing):
    rule("activity", name="Marketing", strategy="least_loaded", target_team=marketing.team)
    task = _task(marketing.planner, marketing.email)
    response = api(marketing.planner).get(f"/api/v1/activities/{task.pk}/assignments")
    assert response.status_code == 200, response.content
    item = response.json()["items"][0]
    assert item["rule_name"] == "Marketing"
    assert item["chosen_user_id"] == Activity.objects.get(pk=task.pk).owner_user_id


def test_activity_assignments_are_404_for_someone_who_cannot_read_the_task(api, marketing):
    rule("activity", strategy="fixed", target_user=marketing.oka)
    task = _task(marketing.planner, marketing.email)
    response = api(marketing.milan).get(f"/api/v1/activities/{task.pk}/assignments")
    assert response.status_code == 404


def test_two_marketers_see_different_assignment_histories(api, marketing):
    rule("activity", strategy="fixed", target_user=marketing.oka)
    _task(marketing.planner, marketing.email)
    jakarta = api(marketing.mia).get("/api/v1/assignments?entity=activity").json()["items"]
    milan = api(marketing.milan).get("/api/v1/assignments?entity=activity").json()["items"]
    assert [item["chosen_user_id"] for item in jakarta] == [marketing.oka.pk]
    assert milan == []
