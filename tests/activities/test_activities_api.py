"""The activities API (/api/v1/activities) as people who must see different things."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.activities.conftest import NOW, make_activity
from trellis.access import can
from trellis.access.models import Share
from trellis.activities.models import Activity, ActivityAttendee
from trellis.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/activities"


def url(activity, suffix: str = "") -> str:
    return f"{URL}/{activity.pk}{suffix}"


def subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["subject"] for item in response.json()["items"])


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def iso(value: dt.datetime) -> str:
    return value.isoformat()


MEETING = {
    "kind": "meeting",
    "subject": "Quarterly review",
    "start_at": iso(NOW + dt.timedelta(days=2)),
    "end_at": iso(NOW + dt.timedelta(days=2, hours=1)),
    "location": "Jakarta office",
}


# Listing.


def test_a_rep_lists_the_activities_of_their_unit(api, people, activities):
    make_activity(people.colleague, subject="Colleague task")
    assert subjects(api(people.rep).get(URL)) == ["Call back Garuda", "Colleague task"]


def test_a_rep_in_another_unit_lists_a_different_set(api, people, activities):
    assert subjects(api(people.milan_rep).get(URL)) == ["Send Moda proposal"]


def test_a_manager_lists_the_activities_of_their_subtree(api, people, activities):
    assert subjects(api(people.manager).get(URL)) == ["Call back Garuda", "Visit Silk factory"]


def test_mine_lists_owned_and_attended_activities_only(api, people, activities):
    make_activity(people.colleague, subject="Colleague task")
    meeting = make_activity(people.milan_rep, kind="meeting", subject="Milan meeting")
    ActivityAttendee.objects.create(activity=meeting, user=people.rep)
    Share.objects.create(
        record_type_id=__import__("django.contrib.contenttypes.models", fromlist=["ContentType"])
        .ContentType.objects.get_for_model(Activity)
        .pk,
        record_id=meeting.pk,
        user=people.rep,
    )
    response = api(people.rep).get(URL, {"mine": "true"})
    assert subjects(response) == ["Call back Garuda", "Milan meeting"]


def test_filters_narrow_by_kind_status_and_due(api, people):
    make_activity(people.rep, subject="Soon", due_at=NOW + dt.timedelta(hours=2))
    make_activity(people.rep, subject="Later", due_at=NOW + dt.timedelta(days=10))
    make_activity(people.rep, subject="Done", status="completed")
    make_activity(people.rep, kind="call", subject="A call")
    client = api(people.rep)
    assert subjects(client.get(URL, {"kind": "call"})) == ["A call"]
    assert subjects(client.get(URL, {"status": "completed"})) == ["Done"]
    assert subjects(client.get(URL, {"due_before": iso(NOW + dt.timedelta(hours=3))})) == ["Soon"]
    assert subjects(client.get(URL, {"due_after": iso(NOW + dt.timedelta(days=5))})) == ["Later"]


def test_overdue_lists_open_activities_past_their_due_time(api, people):
    make_activity(people.rep, subject="Late", due_at=NOW - dt.timedelta(days=1))
    make_activity(
        people.rep, subject="Late but done", due_at=NOW - dt.timedelta(days=1), status="completed"
    )
    make_activity(people.rep, subject="Not yet")
    assert subjects(api(people.rep).get(URL, {"overdue": "true"})) == ["Late"]


def test_filter_by_regarding_record(api, people):
    account = factories.account(people.rep, name="Garuda")
    ct = ContentType.objects.get_for_model(account)
    make_activity(people.rep, subject="About Garuda", regarding_type=ct, regarding_id=account.pk)
    make_activity(people.rep, subject="Unrelated")
    response = api(people.rep).get(URL, {"regarding_type": "account", "regarding_id": account.pk})
    assert subjects(response) == ["About Garuda"]


def test_an_unknown_regarding_type_filter_is_a_400_naming_it(api, people):
    response = api(people.rep).get(URL, {"regarding_type": "spaceship"})
    assert response.status_code == 400
    assert error_fields(response) == ["regarding_type"]


def test_count_and_cursor_pages(api, people):
    for number in range(5):
        make_activity(people.rep, subject=f"Task {number}")
    client = api(people.rep)
    first = client.get(URL, {"limit": 3, "count": "true", "order": "subject"})
    assert first.json()["count"] == 5
    assert [item["subject"] for item in first.json()["items"]] == ["Task 0", "Task 1", "Task 2"]
    second = client.get(
        URL, {"limit": 3, "order": "subject", "cursor": first.json()["next_cursor"]}
    )
    assert [item["subject"] for item in second.json()["items"]] == ["Task 3", "Task 4"]
    assert second.json()["next_cursor"] is None


def test_bad_list_parameters_are_4xx_naming_the_field(api, people):
    client = api(people.rep)
    assert error_fields(client.get(URL, {"order": "password"})) == ["order"]
    assert error_fields(client.get(URL, {"limit": 0})) == ["limit"]
    assert error_fields(client.get(URL, {"cursor": "garbage"})) == ["cursor"]
    assert error_fields(client.get(URL, {"kind": "party"})) == ["kind"]
    assert error_fields(client.get(URL, {"due_before": "soon"})) == ["due_before"]


def test_the_list_query_count_does_not_grow_with_rows(api, people):
    client = api(people.rep)
    for _ in range(2):
        meeting = make_activity(people.rep, kind="meeting")
        ActivityAttendee.objects.create(activity=meeting, user=people.colleague)
    client.get(URL)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(8):
        meeting = make_activity(people.rep, kind="meeting")
        ActivityAttendee.objects.create(activity=meeting, user=people.colleague)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.json()["items"]) == 10
    assert len(many) == len(few)


# Reading one.


def test_reading_a_visible_activity_returns_it(api, people, activities):
    response = api(people.manager).get(url(activities.rep))
    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "Call back Garuda"
    assert body["owner_user_id"] == people.rep.pk
    assert body["kind"] == "task"
    assert body["status"] == "open"
    assert body["attendees"] == []
    assert body["version"] == 1


def test_reading_an_invisible_activity_answers_404_like_a_missing_one(api, people, activities):
    client = api(people.milan_rep)
    invisible = client.get(url(activities.rep))
    missing = client.get(f"{URL}/{activities.rep.pk + 1000}")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json()["detail"] == f"activity {activities.rep.pk} not found"


def test_every_action_on_an_invisible_activity_answers_404(api, people, activities):
    client = api(people.milan_rep)
    target = activities.rep
    assert client.patch(url(target), {"subject": "X"}).status_code == 404
    assert client.delete(url(target)).status_code == 404
    assert client.post(url(target, "/complete")).status_code == 404
    assert client.post(url(target, "/cancel")).status_code == 404
    assert (
        client.post(url(target, "/attendees"), {"user_id": people.milan_rep.pk}).status_code == 404
    )
    assert client.post(url(target, "/share"), {"user_id": people.milan_rep.pk}).status_code == 404
    assert client.get(url(target, "/access")).status_code == 404
    target.refresh_from_db()
    assert target.subject == "Call back Garuda"


# Creating.


def test_creating_a_meeting_makes_the_caller_its_owner(api, people):
    response = api(people.rep).post(URL, MEETING)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_user_id"] == people.rep.pk
    assert body["owning_unit_id"] == people.rep.unit_id
    assert body["status"] == "open"
    assert body["end_at"] is not None


def test_a_call_without_an_end_lasts_half_an_hour(api, people):
    start = NOW + dt.timedelta(days=1)
    response = api(people.rep).post(
        URL, {"kind": "call", "subject": "Ring", "start_at": iso(start)}
    )
    assert response.status_code == 201
    assert dt.datetime.fromisoformat(response.json()["end_at"]) == start + dt.timedelta(minutes=30)


def test_creating_writes_an_audit_event(api, people):
    response = api(people.rep).post(URL, MEETING)
    event = AuditEvent.objects.get(entity="activity", object_id=response.json()["id"])
    assert event.action == "create"
    assert event.actor == people.rep
    assert event.changes["subject"] == "Quarterly review"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "party", "subject": "x"}, "kind"),
        ({"kind": "task", "subject": "  "}, "subject"),
        ({"kind": "task", "subject": "x" * 201}, "subject"),
        ({"kind": "meeting", "subject": "x"}, "start_at"),
        (
            {
                "kind": "meeting",
                "subject": "x",
                "start_at": iso(NOW),
                "end_at": iso(NOW - dt.timedelta(hours=1)),
            },
            "end_at",
        ),
        ({"kind": "task", "subject": "x", "start_at": iso(NOW)}, "start_at"),
        ({"kind": "call", "subject": "x", "start_at": iso(NOW), "due_at": iso(NOW)}, "due_at"),
        ({"kind": "task", "subject": "x", "due_at": "tomorrow"}, "due_at"),
        ({"kind": "task", "subject": "x", "priority": "meh"}, "priority"),
        ({"kind": "task", "subject": "x", "status": "maybe"}, "status"),
        ({"kind": "task", "subject": "x", "regarding_type": "account"}, "regarding_id"),
        ({"kind": "task", "subject": "x", "regarding_id": 1}, "regarding_type"),
        (
            {"kind": "task", "subject": "x", "regarding_type": "ufo", "regarding_id": 1},
            "regarding_type",
        ),
        (
            {"kind": "task", "subject": "x", "regarding_type": "activity", "regarding_id": 1},
            "regarding_type",
        ),
        (
            {"kind": "task", "subject": "x", "regarding_type": "account", "regarding_id": 2**64},
            "regarding_id",
        ),
        ({"kind": "task", "subject": "x", "owner_user_id": 999999}, "owner_user_id"),
        ({"kind": "task", "subject": "x", "attendee_ids": [999999]}, "attendee_ids"),
        ({"kind": "task", "subject": "x\x00"}, "subject"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api, people, payload, field):
    response = api(people.rep).post(URL, payload)
    assert 400 <= response.status_code < 500, response.content
    assert field in error_fields(response)
    assert not Activity.objects.exists()


def test_regarding_a_visible_record_links_it(api, people):
    account = factories.account(people.colleague, name="Colleague account")
    payload = {
        "kind": "task",
        "subject": "x",
        "regarding_type": "account",
        "regarding_id": account.pk,
    }
    response = api(people.rep).post(URL, payload)
    assert response.status_code == 201
    assert response.json()["regarding_type"] == "account"
    assert response.json()["regarding_id"] == account.pk


def test_regarding_an_invisible_record_answers_404_naming_regarding_id(api, people):
    account = factories.account(people.milan_rep, name="Milan account")
    payload = {
        "kind": "task",
        "subject": "x",
        "regarding_type": "account",
        "regarding_id": account.pk,
    }
    response = api(people.rep).post(URL, payload)
    missing = api(people.rep).post(URL, {**payload, "regarding_id": account.pk + 1000})
    assert response.status_code == missing.status_code == 404
    assert error_fields(response) == error_fields(missing) == ["regarding_id"]
    assert not Activity.objects.exists()


def test_creating_for_someone_else_needs_assign(api, people):
    payload = {"kind": "task", "subject": "x", "owner_user_id": people.colleague.pk}
    assert api(people.rep).post(URL, payload).status_code == 403
    response = api(people.manager).post(URL, payload)
    assert response.status_code == 201
    assert response.json()["owner_user_id"] == people.colleague.pk


# Attendees.


def test_an_attendee_can_read_but_not_edit(api, people):
    response = api(people.rep).post(URL, {**MEETING, "attendee_ids": [people.milan_rep.pk]})
    assert response.status_code == 201, response.content
    activity = Activity.objects.get()
    guest = api(people.milan_rep)
    assert guest.get(url(activity)).status_code == 200
    assert subjects(guest.get(URL, {"mine": "true"})) == ["Quarterly review"]
    assert guest.patch(url(activity), {"subject": "Mine now"}).status_code == 403
    assert guest.post(url(activity, "/complete")).status_code == 403
    assert guest.delete(url(activity)).status_code == 403
    assert response.json()["attendees"] == [{"user_id": people.milan_rep.pk, "response": "none"}]


def test_attending_is_a_read_share_the_access_engine_explains(api, people):
    activity = make_activity(people.rep, kind="meeting")
    response = api(people.rep).post(url(activity, "/attendees"), {"user_id": people.milan_rep.pk})
    assert response.status_code == 201
    share = Share.objects.get(record_id=activity.pk, user=people.milan_rep)
    assert share.rights == ["read"]
    assert can(people.milan_rep, "read", activity)
    assert not can(people.milan_rep, "write", activity)


def test_adding_the_same_attendee_twice_is_a_409(api, people):
    activity = make_activity(people.rep, kind="meeting")
    client = api(people.rep)
    client.post(url(activity, "/attendees"), {"user_id": people.milan_rep.pk})
    response = client.post(url(activity, "/attendees"), {"user_id": people.milan_rep.pk})
    assert response.status_code == 409
    assert error_fields(response) == ["user_id"]


def test_removing_an_attendee_withdraws_their_read(api, people):
    activity = make_activity(people.rep, kind="meeting")
    client = api(people.rep)
    client.post(url(activity, "/attendees"), {"user_id": people.milan_rep.pk})
    response = client.delete(url(activity, f"/attendees/{people.milan_rep.pk}"))
    assert response.status_code == 204
    assert api(people.milan_rep).get(url(activity)).status_code == 404
    again = client.delete(url(activity, f"/attendees/{people.milan_rep.pk}"))
    assert again.status_code == 404
    assert error_fields(again) == ["user_id"]


def test_an_attendee_cannot_invite_others(api, people):
    activity = make_activity(people.rep, kind="meeting")
    api(people.rep).post(url(activity, "/attendees"), {"user_id": people.milan_rep.pk})
    response = api(people.milan_rep).post(
        url(activity, "/attendees"), {"user_id": people.milan_rep.pk}
    )
    assert response.status_code == 403


def test_an_attendee_accepts(api, people):
    activity = make_activity(people.rep, kind="meeting")
    api(people.rep).post(url(activity, "/attendees"), {"user_id": people.milan_rep.pk})
    response = api(people.milan_rep).post(url(activity, "/respond"), {"response": "accepted"})
    assert response.status_code == 200
    assert response.json() == {"user_id": people.milan_rep.pk, "response": "accepted"}
    bad = api(people.milan_rep).post(url(activity, "/respond"), {"response": "perhaps"})
    assert error_fields(bad) == ["response"]


def test_attendee_changes_are_audited(api, people):
    activity = make_activity(people.rep, kind="meeting")
    api(people.rep).post(url(activity, "/attendees"), {"user_id": people.milan_rep.pk})
    actions = set(
        AuditEvent.objects.filter(entity="activity", object_id=activity.pk).values_list(
            "action", flat=True
        )
    )
    assert {"attendee_add", "share"} <= actions


# Updating.


def test_patch_changes_only_the_fields_sent_and_bumps_the_version(api, people, activities):
    response = api(people.rep).patch(
        url(activities.rep), {"priority": "urgent"}, headers={"If-Match": "1"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "urgent"
    assert response.json()["subject"] == "Call back Garuda"
    assert response.json()["version"] == 2
    event = AuditEvent.objects.get(entity="activity", action="update")
    assert event.changes == {"priority": ["normal", "urgent"]}


def test_a_stale_if_match_answers_412(api, people, activities):
    client = api(people.rep)
    client.patch(url(activities.rep), {"priority": "high"}, headers={"If-Match": "1"})
    response = client.patch(url(activities.rep), {"priority": "low"}, headers={"If-Match": "1"})
    assert response.status_code == 412
    activities.rep.refresh_from_db()
    assert activities.rep.priority == "high"


def test_an_unreadable_if_match_answers_400_naming_it(api, people, activities):
    response = api(people.rep).patch(
        url(activities.rep), {"priority": "high"}, headers={"If-Match": "x"}
    )
    assert response.status_code == 400
    assert error_fields(response) == ["If-Match"]


def test_a_colleague_who_may_read_but_not_write_gets_403(api, people, activities):
    response = api(people.colleague).patch(url(activities.rep), {"subject": "Hijack"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": None}, "subject"),
        ({"all_day": None}, "all_day"),
        ({"status": None}, "status"),
        ({"start_at": iso(NOW)}, "start_at"),
        ({"regarding_type": "account", "regarding_id": 2**40}, "regarding_id"),
    ],
)
def test_bad_patches_are_refused_naming_the_field(api, people, activities, payload, field):
    response = api(people.rep).patch(url(activities.rep), payload)
    assert 400 <= response.status_code < 500, response.content
    assert field in error_fields(response)


def test_patch_status_completed_sets_completed_at_and_open_clears_it(api, people, activities):
    client = api(people.rep)
    done = client.patch(url(activities.rep), {"status": "completed"})
    assert done.json()["completed_at"] is not None
    reopened = client.patch(url(activities.rep), {"status": "open"})
    assert reopened.json()["completed_at"] is None


def test_patch_can_clear_the_regarding_record(api, people):
    account = factories.account(people.rep)
    activity = make_activity(
        people.rep,
        regarding_type=ContentType.objects.get_for_model(account),
        regarding_id=account.pk,
    )
    response = api(people.rep).patch(url(activity), {"regarding_type": None, "regarding_id": None})
    assert response.status_code == 200
    assert response.json()["regarding_type"] is None


# Actions.


def test_complete_then_complete_again_is_a_409(api, people, activities):
    client = api(people.rep)
    response = client.post(url(activities.rep, "/complete"))
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["completed_at"] is not None
    assert client.post(url(activities.rep, "/complete")).status_code == 409
    assert AuditEvent.objects.filter(entity="activity", action="complete").count() == 1


def test_cancel_sets_the_status(api, people, activities):
    response = api(people.rep).post(url(activities.rep, "/cancel"))
    assert response.json()["status"] == "cancelled"
    assert response.json()["completed_at"] is None


def test_complete_honours_if_match(api, people, activities):
    response = api(people.rep).post(url(activities.rep, "/complete"), headers={"If-Match": "7"})
    assert response.status_code == 412


def test_delete_removes_the_activity_and_is_audited(api, people, activities):
    response = api(people.rep).delete(url(activities.rep))
    assert response.status_code == 204
    assert not Activity.objects.filter(pk=activities.rep.pk).exists()
    assert AuditEvent.objects.filter(entity="activity", action="delete").exists()


def test_record_routes_share_and_access_work_for_activities(api, people, activities):
    client = api(people.rep)
    shared = client.post(url(activities.rep, "/share"), {"user_id": people.milan_rep.pk})
    assert shared.status_code == 200
    assert api(people.milan_rep).get(url(activities.rep)).status_code == 200
    access = client.get(url(activities.rep, "/access"))
    assert people.milan_rep.pk in [row["user_id"] for row in access.json()["items"]]


def test_assign_moves_the_activity_to_a_new_owner(api, people, activities):
    response = api(people.manager).post(
        url(activities.rep, "/assign"), {"owner_user_id": people.colleague.pk}
    )
    assert response.status_code == 200
    assert response.json()["owner_user_id"] == people.colleague.pk
