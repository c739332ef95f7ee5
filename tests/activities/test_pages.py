"""Activity pages as people who must see different things."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from tests.activities.conftest import NOW, make_activity
from trellis.access.models import Share
from trellis.activities.models import Activity, ActivityAttendee

pytestmark = pytest.mark.django_db


def _subjects(response) -> list[str]:
    return sorted(activity.subject for activity in response.context["page"].items)


def test_the_list_shows_my_activities_by_default(browser, people, activities):
    make_activity(people.colleague, subject="Colleague task")
    response = browser(people.rep).get("/activities/")
    assert _subjects(response) == ["Call back Garuda"]
    everything = browser(people.rep).get("/activities/", {"scope": "all"})
    assert _subjects(everything) == ["Call back Garuda", "Colleague task"]


def test_two_reps_see_different_lists(browser, people, activities):
    assert _subjects(browser(people.milan_rep).get("/activities/", {"scope": "all"})) == [
        "Send Moda proposal"
    ]
    assertNotContains(browser(people.milan_rep).get("/activities/"), "Garuda")


def test_overdue_activities_are_highlighted_and_filterable(browser, people):
    make_activity(people.rep, subject="Late one", due_at=NOW - dt.timedelta(days=2))
    make_activity(people.rep, subject="On time")
    response = browser(people.rep).get("/activities/")
    assertContains(response, "Overdue")
    assert _subjects(browser(people.rep).get("/activities/", {"overdue": "on"})) == ["Late one"]


def test_the_list_ignores_bad_filter_values(browser, people, activities):
    response = browser(people.rep).get("/activities/", {"kind": "x", "cursor": "y", "status": "?"})
    assert response.status_code == 200


def test_detail_is_404_for_an_invisible_activity(browser, people, activities):
    assert browser(people.rep).get(f"/activities/{activities.rep.pk}/").status_code == 200
    assert browser(people.milan_rep).get(f"/activities/{activities.rep.pk}/").status_code == 404


def test_detail_links_the_regarding_record_only_when_readable(browser, people):
    from django.contrib.contenttypes.models import ContentType

    account = factories.account(people.rep, name="Garuda Steel")
    activity = make_activity(
        people.rep,
        kind="meeting",
        regarding_type=ContentType.objects.get_for_model(account),
        regarding_id=account.pk,
    )
    ActivityAttendee.objects.create(activity=activity, user=people.milan_rep)
    Share.objects.create(
        record_type=ContentType.objects.get_for_model(Activity),
        record_id=activity.pk,
        user=people.milan_rep,
    )
    assertContains(browser(people.rep).get(f"/activities/{activity.pk}/"), "Garuda Steel")
    guest_view = browser(people.milan_rep).get(f"/activities/{activity.pk}/")
    assert guest_view.status_code == 200
    assertNotContains(guest_view, "Garuda Steel")
    assertNotContains(guest_view, "Mark as done")


def test_creating_a_task_from_the_form(browser, people):
    response = browser(people.rep).post(
        "/activities/new/",
        {
            "kind": "task",
            "subject": "Prepare offer",
            "priority": "high",
            "due_at": "2030-01-02T10:00",
        },
    )
    activity = Activity.objects.get()
    assertRedirects(response, f"/activities/{activity.pk}/")
    assert activity.owner_user == people.rep
    assert activity.due_at is not None


def test_a_meeting_without_a_start_shows_the_error_on_the_field(browser, people):
    response = browser(people.rep).post(
        "/activities/new/", {"kind": "meeting", "subject": "Sync", "priority": "normal"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["start_at"]
    assert not Activity.objects.exists()


def test_regarding_an_invisible_record_from_the_form_is_an_error_on_the_field(browser, people):
    account = factories.account(people.milan_rep)
    response = browser(people.rep).post(
        "/activities/new/",
        {
            "kind": "task",
            "subject": "Snoop",
            "priority": "normal",
            "regarding_type": "account",
            "regarding_id": account.pk,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["regarding_id"]


def test_editing_keeps_the_version_and_refuses_a_stale_one(browser, people, activities):
    client = browser(people.rep)
    form = {
        "subject": "Renamed",
        "priority": "normal",
        "status": "open",
        "due_at": "2030-01-01T09:00",
    }
    ok = client.post(f"/activities/{activities.rep.pk}/edit/", {**form, "version": 1})
    assertRedirects(ok, f"/activities/{activities.rep.pk}/")
    stale = client.post(f"/activities/{activities.rep.pk}/edit/", {**form, "version": 1})
    assert stale.status_code == 412
    activities.rep.refresh_from_db()
    assert (activities.rep.subject, activities.rep.version) == ("Renamed", 2)


def test_an_attendee_may_not_open_the_edit_page(browser, people, activities):
    ActivityAttendee.objects.create(activity=activities.rep, user=people.colleague)
    assert browser(people.colleague).get(f"/activities/{activities.rep.pk}/").status_code == 200
    assert (
        browser(people.colleague).get(f"/activities/{activities.rep.pk}/edit/").status_code == 403
    )
    assert (
        browser(people.milan_rep).get(f"/activities/{activities.rep.pk}/edit/").status_code == 404
    )


def test_the_complete_button_marks_it_done(browser, people, activities):
    response = browser(people.rep).post(f"/activities/{activities.rep.pk}/complete/")
    assertRedirects(response, f"/activities/{activities.rep.pk}/")
    activities.rep.refresh_from_db()
    assert activities.rep.status == "completed"
    assert (
        browser(people.colleague).post(f"/activities/{activities.rep.pk}/complete/").status_code
        == 403
    )


def test_navigation_offers_the_calendar(browser, people):
    assertContains(browser(people.rep).get("/activities/"), 'href="/calendar/"')
