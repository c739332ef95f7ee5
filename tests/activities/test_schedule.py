"""Scheduling for a person, a team or a unit (activity_schedule and its API)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.activities.conftest import NOW
from trellis.access import can
from trellis.activities import services
from trellis.activities.models import Activity
from trellis.core.errors import Forbidden, InvalidInput

pytestmark = pytest.mark.django_db

URL = "/api/v1/activities/schedule"
TASK = {"kind": "task", "subject": "Update forecasts", "due_at": NOW + dt.timedelta(days=3)}
MEETING = {
    "kind": "meeting",
    "subject": "Team stand-up",
    "start_at": NOW + dt.timedelta(days=1),
}


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


@pytest.fixture
def jakarta_team(org, people):
    return factories.team(
        "Jakarta sellers", unit=org["jakarta"], members=(people.rep, people.colleague)
    )


def test_a_manager_schedules_a_task_for_a_person_who_then_owns_it(people):
    [task] = services.activity_schedule(people.manager, for_user=people.rep, **TASK)
    assert task.owner_user == people.rep
    assert task.created_by == people.manager
    assert can(people.rep, "write", task)


def test_scheduling_for_someone_you_may_not_assign_is_refused(people):
    with pytest.raises(Forbidden):
        services.activity_schedule(people.rep, for_user=people.colleague, **TASK)
    with pytest.raises(Forbidden):
        services.activity_schedule(people.manager, for_user=people.milan_rep, **TASK)
    assert not Activity.objects.exists()


def test_a_team_task_makes_one_task_per_member(people, jakarta_team):
    created = services.activity_schedule(people.manager, for_team=jakarta_team, **TASK)
    assert sorted(a.owner_user.username for a in created) == ["colleague", "rep"]
    assert Activity.objects.count() == 2


def test_a_team_meeting_is_one_shared_activity_owned_by_the_team(people, jakarta_team):
    [meeting] = services.activity_schedule(people.manager, for_team=jakarta_team, **MEETING)
    assert meeting.owner_team == jakarta_team
    assert sorted(a.user.username for a in meeting.attendees.all()) == ["colleague", "rep"]
    assert can(people.rep, "read", meeting)
    assert can(people.colleague, "read", meeting)
    assert not can(people.milan_rep, "read", meeting)


def test_a_unit_task_makes_one_task_per_active_person_of_the_unit(org, people):
    factories.user("gone", unit=org["jakarta"], is_active=False)
    created = services.activity_schedule(people.manager, for_unit=org["jakarta"], **TASK)
    assert sorted(a.owner_user.username for a in created) == ["colleague", "rep"]


def test_a_unit_meeting_is_owned_by_the_organizer_with_the_unit_attending(org, people):
    [meeting] = services.activity_schedule(people.manager, for_unit=org["jakarta"], **MEETING)
    assert meeting.owner_user == people.manager
    assert sorted(a.user.username for a in meeting.attendees.all()) == ["colleague", "rep"]
    assert can(people.rep, "read", meeting)
    assert not can(people.rep, "write", meeting)


def test_a_unit_schedule_needs_assign_for_everyone_or_creates_nothing(org, people):
    with pytest.raises(Forbidden) as caught:
        services.activity_schedule(people.manager, for_unit=org["milan"], **TASK)
    assert caught.value.errors[0][0] == "for_unit_id"
    assert not Activity.objects.exists()


def test_exactly_one_target_is_needed(org, people, jakarta_team):
    with pytest.raises(InvalidInput):
        services.activity_schedule(people.manager, **TASK)
    with pytest.raises(InvalidInput):
        services.activity_schedule(
            people.manager, for_user=people.rep, for_team=jakarta_team, **TASK
        )


def test_the_schedule_api_answers_201_with_the_activities(api, people, jakarta_team):
    payload = {**TASK, "due_at": TASK["due_at"].isoformat(), "for_team_id": jakarta_team.pk}
    response = api(people.manager).post(URL, payload)
    assert response.status_code == 201, response.content
    assert sorted(item["owner_user_id"] for item in response.json()["items"]) == sorted(
        [people.rep.pk, people.colleague.pk]
    )


def test_the_schedule_api_refuses_bad_targets_naming_the_field(api, people, org):
    client = api(people.manager)
    task = {**TASK, "due_at": TASK["due_at"].isoformat()}
    assert error_fields(client.post(URL, {**task, "for_user_id": 999999})) == ["for_user_id"]
    assert error_fields(client.post(URL, {**task, "for_team_id": 999999})) == ["for_team_id"]
    assert error_fields(client.post(URL, {**task, "for_unit_id": 999999})) == ["for_unit_id"]
    assert error_fields(client.post(URL, task)) == ["for_user_id"]
    denied = client.post(URL, {**task, "for_user_id": people.milan_rep.pk})
    assert denied.status_code == 403
    assert not Activity.objects.exists()
