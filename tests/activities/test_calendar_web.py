"""The calendar page's creating, dragging, scheduling and reminders, as people who must
see different things."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from tests.activities.conftest import make_activity
from trellis.activities.models import Activity
from trellis.notifications.models import Notification

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
# A fixed Wednesday in the future, so the slots asked for are in the grid.
WEDNESDAY = dt.date(2031, 1, 8)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def week_page(client, day: dt.date = WEDNESDAY, **query):
    return client.get("/calendar/", {"view": "week", "date": day.isoformat(), **query})


def slot(response, day: dt.date, time: str) -> list[str]:
    """Subjects in the week view's hour slot of `day` at `time` ("10:00")."""
    [row] = [row for row in response.context["hour_rows"] if row["time"] == time]
    [cell] = [cell for cell in row["cells"] if cell["date"] == day]
    return [item.subject for item in cell["items"]]


def all_day(response, day: dt.date) -> list[str]:
    [cell] = [cell for cell in response.context["all_day"] if cell["date"] == day]
    return [item.subject for item in cell["items"]]


def move(client, activity, **data):
    return client.post(
        f"/activities/{activity.pk}/reschedule/",
        {"version": activity.version, **data},
        HTTP_ACCEPT="application/json",
    )


# The grid.


def test_week_rows_place_timed_activities_by_hour_and_all_day_ones_on_top(browser, people):
    make_activity(people.rep, kind="meeting", subject="Stand-up", start_at=at(WEDNESDAY, 10, 30))
    make_activity(people.rep, subject="Offer due", due_at=at(WEDNESDAY, 15))
    make_activity(
        people.rep,
        kind="meeting",
        subject="Fair",
        start_at=at(WEDNESDAY, 0),
        end_at=at(WEDNESDAY, 0) + DAY,
        all_day=True,
    )

    response = week_page(browser(people.rep))

    times = [row["time"] for row in response.context["hour_rows"]]
    assert times[0] == "07:00" and times[-1] == "20:00"
    assert slot(response, WEDNESDAY, "10:00") == ["Stand-up"]
    assert slot(response, WEDNESDAY, "15:00") == ["Offer due"]
    assert all_day(response, WEDNESDAY) == ["Fair"]


def test_the_hour_rows_grow_for_an_activity_outside_the_day(browser, people):
    make_activity(people.rep, kind="call", subject="Late call", start_at=at(WEDNESDAY, 22))

    response = browser(people.rep).get("/calendar/", {"view": "day", "date": "2031-01-08"})

    assert response.context["hour_rows"][-1]["time"] == "22:00"
    assert slot(response, WEDNESDAY, "22:00") == ["Late call"]


def test_each_slot_offers_a_new_activity_prefilled_for_it(browser, people):
    month = browser(people.rep).get("/calendar/", {"view": "month", "date": "2031-01-08"})
    week = week_page(browser(people.rep))

    assertContains(month, "start=2031-01-08T09%3A00")
    assertContains(week, "start=2031-01-08T14%3A00")
    assertContains(week, 'aria-label="New activity on Jan. 8, 2031 at 2 p.m."')


def test_the_create_form_opened_from_a_slot_has_the_times_filled_in(browser, people):
    response = browser(people.rep).get("/activities/new/", {"start": "2031-01-08T14:00"})

    initial = response.context["form"].initial
    assert initial["start_at"] == dt.datetime(2031, 1, 8, 14, 0)
    assert initial["end_at"] == dt.datetime(2031, 1, 8, 14, 30)
    assert initial["due_at"] == dt.datetime(2031, 1, 8, 14, 0)


def test_saving_from_a_slot_goes_back_to_the_calendar_at_that_date(browser, people):
    back = "/calendar/?view=week&scope=me&date=2031-01-01"
    response = browser(people.rep).post(
        "/activities/new/?" + "start=2031-01-08T14:00&next=" + back.replace("&", "%26"),
        {"kind": "call", "subject": "Call Garuda", "priority": "normal",
         "start_at": "2031-01-08T14:00", "end_at": "2031-01-08T14:30"},
    )  # fmt: skip

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/calendar/"
    assert parse_qs(target.query) == {"view": ["week"], "scope": ["me"], "date": ["2031-01-08"]}
    assert Activity.objects.get().start_at == at(WEDNESDAY, 14)


def test_a_next_that_is_not_the_calendar_is_ignored(browser, people):
    response = browser(people.rep).post(
        "/activities/new/?next=https://example.com/",
        {"kind": "task", "subject": "Prepare", "priority": "normal", "due_at": "2031-01-08T10:00"},
    )
    assertRedirects(response, f"/activities/{Activity.objects.get().pk}/")


def test_items_are_draggable_only_where_the_reader_may_change_them(browser, people):
    mine = make_activity(people.rep, subject="Mine", due_at=at(WEDNESDAY, 10))
    theirs = make_activity(people.colleague, subject="Colleague's", due_at=at(WEDNESDAY, 11))

    response = week_page(browser(people.rep), scope="unit")

    assertContains(response, f'data-reschedule-url="/activities/{mine.pk}/reschedule/"')
    assertContains(response, "Colleague&#x27;s")
    assertNotContains(response, f"/activities/{theirs.pk}/reschedule/")


def test_items_with_a_reminder_show_a_bell(browser, people):
    make_activity(
        people.rep, subject="Reminded", due_at=at(WEDNESDAY, 10), reminder_at=at(WEDNESDAY, 9)
    )
    make_activity(people.rep, subject="Quiet", due_at=at(WEDNESDAY, 11))

    response = week_page(browser(people.rep))

    assertContains(response, 'class="cal-bell"', count=1)


def test_team_calendars_differ_for_a_member_and_an_outsider(browser, org, people):
    team = factories.team("Jakarta sellers", unit=org["jakarta"], members=(people.rep,))
    make_activity(team, kind="meeting", subject="Team review", start_at=at(WEDNESDAY, 9))
    make_activity(people.milan_rep, subject="Milan task", due_at=at(WEDNESDAY, 9))

    member = week_page(browser(people.rep), scope="team", team=team.pk)
    outsider = week_page(browser(people.milan_rep), scope="team", team=team.pk)

    assert member.context["scope"] == "team"
    assert slot(member, WEDNESDAY, "09:00") == ["Team review"]
    assert outsider.context["scope"] == "me"
    assert slot(outsider, WEDNESDAY, "09:00") == ["Milan task"]


def test_unit_calendars_differ_for_two_units(browser, people):
    make_activity(people.colleague, subject="Jakarta task", due_at=at(WEDNESDAY, 9))
    make_activity(people.milan_rep, subject="Milan task", due_at=at(WEDNESDAY, 9))

    jakarta = week_page(browser(people.rep), scope="unit")
    milan = week_page(browser(people.milan_rep), scope="unit")

    assert slot(jakarta, WEDNESDAY, "09:00") == ["Jakarta task"]
    assert slot(milan, WEDNESDAY, "09:00") == ["Milan task"]


# Dragging: the reschedule endpoint.


def test_dropping_a_meeting_on_an_hour_slot_keeps_its_length_and_reminder(browser, people):
    meeting = make_activity(
        people.rep,
        kind="meeting",
        subject="Review",
        start_at=at(WEDNESDAY, 10),
        end_at=at(WEDNESDAY, 11, 30),
        reminder_at=at(WEDNESDAY, 9, 45),
    )

    response = move(browser(people.rep), meeting, date="2031-01-10", time="15:00")

    assert response.status_code == 200, response.content
    meeting.refresh_from_db()
    assert (meeting.start_at, meeting.end_at) == (
        at(WEDNESDAY + 2 * DAY, 15),
        at(WEDNESDAY + 2 * DAY, 16, 30),
    )
    assert meeting.reminder_at == at(WEDNESDAY + 2 * DAY, 14, 45)
    assert response.json()["version"] == meeting.version == 2


def test_dropping_a_task_on_a_day_keeps_its_time_of_day(browser, people):
    task = make_activity(people.rep, subject="Offer", due_at=at(WEDNESDAY, 16, 15))

    response = move(browser(people.rep), task, date="2031-01-06")

    assert response.status_code == 200
    task.refresh_from_db()
    assert task.due_at == at(dt.date(2031, 1, 6), 16, 15)


def test_moving_without_write_access_is_403_and_changes_nothing(browser, people):
    task = make_activity(people.colleague, subject="Theirs", due_at=at(WEDNESDAY, 10))

    response = move(browser(people.rep), task, date="2031-01-09", time="10:00")

    assert response.status_code == 403
    assert response.json()["detail"] == "You may not change this activity."
    task.refresh_from_db()
    assert task.due_at == at(WEDNESDAY, 10)


def test_moving_an_invisible_activity_is_404(browser, people):
    task = make_activity(people.milan_rep, subject="Milan", due_at=at(WEDNESDAY, 10))

    response = move(browser(people.rep), task, date="2031-01-09")

    assert response.status_code == 404


def test_moving_with_a_stale_version_is_409(browser, people):
    task = make_activity(people.rep, subject="Offer", due_at=at(WEDNESDAY, 10))
    Activity.objects.filter(pk=task.pk).update(version=2)

    response = move(browser(people.rep), task, date="2031-01-09")

    assert response.status_code == 409
    assert "changed this activity meanwhile" in response.json()["detail"]
    assert Activity.objects.get(pk=task.pk).due_at == at(WEDNESDAY, 10)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "2031-02-30"}, "date"),
        ({"date": "tomorrow"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"date": "2031-01-09", "time": "25:00"}, "time"),
    ],
)
def test_moving_to_a_bad_date_is_400_naming_the_field(browser, people, data, field):
    task = make_activity(people.rep, subject="Offer", due_at=at(WEDNESDAY, 10))

    response = move(browser(people.rep), task, **data)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert Activity.objects.get(pk=task.pk).due_at == at(WEDNESDAY, 10)


def test_the_move_to_form_on_the_activity_page_works_without_javascript(browser, people):
    task = make_activity(people.rep, subject="Offer", due_at=at(WEDNESDAY, 10))
    client = browser(people.rep)
    assertContains(client.get(f"/activities/{task.pk}/"), 'name="date" required value="2031-01-08"')

    response = client.post(
        f"/activities/{task.pk}/reschedule/",
        {"version": 1, "date": "2031-01-09", "time": "08:30"},
        follow=True,
    )

    assert response.redirect_chain == [(f"/activities/{task.pk}/", 302)]
    assertContains(response, "Offer moved to")
    assert Activity.objects.get(pk=task.pk).due_at == at(WEDNESDAY + DAY, 8, 30)


def test_the_move_to_form_is_not_offered_to_a_reader_who_may_not_change_it(browser, people):
    task = make_activity(people.colleague, subject="Theirs", due_at=at(WEDNESDAY, 10))

    response = browser(people.rep).get(f"/activities/{task.pk}/")

    assert response.status_code == 200
    assertNotContains(response, "/reschedule/")


# Scheduling for a person, a team or a unit.


def schedule(client, **data):
    fields = {"priority": "normal", "subject": "Planning", **data}
    return client.post("/calendar/schedule/", fields, follow=True)


def test_a_manager_schedules_a_meeting_for_a_team_shown_as_one_shared_meeting(browser, org, people):
    team = factories.team(
        "Jakarta sellers", unit=org["jakarta"], members=(people.rep, people.colleague)
    )

    response = schedule(
        browser(people.manager),
        target="team",
        for_team=team.pk,
        kind="meeting",
        start_at="2031-01-08T10:00",
    )

    assertContains(response, "One shared meeting with 2 attendees.")
    [meeting] = Activity.objects.all()
    assert meeting.owner_team == team
    assert response.redirect_chain[-1][0].startswith("/calendar/?view=week&scope=team")


def test_a_manager_schedules_a_task_for_a_unit_shown_as_one_per_person(browser, org, people):
    response = schedule(
        browser(people.manager),
        target="unit",
        for_unit=org["jakarta"].pk,
        kind="task",
        due_at="2031-01-08T10:00",
    )

    assertContains(response, "2 tasks created, one for each person.")
    owners = sorted(a.owner_user.username for a in Activity.objects.all())
    assert owners == ["colleague", "rep"]


def test_a_manager_schedules_for_one_person(browser, people):
    response = schedule(
        browser(people.manager),
        target="user",
        for_user=people.rep.pk,
        kind="call",
        start_at="2031-01-08T10:00",
    )

    assertContains(response, "Planning scheduled for")
    assert Activity.objects.get().owner_user == people.rep


def test_a_rep_may_not_schedule_for_a_colleague(browser, people):
    response = schedule(
        browser(people.rep),
        target="user",
        for_user=people.colleague.pk,
        kind="task",
        due_at="2031-01-08T10:00",
    )

    assert response.status_code == 403
    assert response.context["form"].errors
    assert not Activity.objects.exists()


def test_the_schedule_form_asks_for_whom(browser, people):
    response = schedule(
        browser(people.manager), target="team", kind="task", due_at="2031-01-08T10:00"
    )

    assert response.status_code == 400
    assert "for_team" in response.context["form"].errors


# Reminders.


def test_the_reminder_choice_sets_the_reminder_time_before_the_start(browser, people):
    browser(people.rep).post(
        "/activities/new/",
        {"kind": "meeting", "subject": "Review", "priority": "normal",
         "start_at": "2031-01-08T10:00", "reminder": "15"},
    )  # fmt: skip

    assert Activity.objects.get().reminder_at == at(WEDNESDAY, 9, 45)


def test_a_reminder_needs_a_time(browser, people):
    response = browser(people.rep).post(
        "/activities/new/",
        {"kind": "task", "subject": "Someday", "priority": "normal", "reminder": "60"},
    )

    assert response.status_code == 400
    assert "reminder" in response.context["form"].errors


def test_editing_shows_the_reminder_choice_it_matches(browser, people):
    task = make_activity(
        people.rep, subject="Offer", due_at=at(WEDNESDAY, 10), reminder_at=at(WEDNESDAY, 9)
    )
    odd = make_activity(
        people.rep, subject="Odd", due_at=at(WEDNESDAY, 10), reminder_at=at(WEDNESDAY, 9, 7)
    )
    client = browser(people.rep)

    assert client.get(f"/activities/{task.pk}/edit/").context["form"].initial["reminder"] == "60"
    kept = client.get(f"/activities/{odd.pk}/edit/")
    assert kept.context["form"].initial["reminder"] == "keep"
    assertContains(kept, "As set:")


def test_a_reminder_set_from_the_form_is_delivered_once_by_tick(browser, people):
    start = timezone.localtime(timezone.now() + dt.timedelta(minutes=10))
    browser(people.rep).post(
        "/activities/new/",
        {"kind": "call", "subject": "Call Garuda", "priority": "normal",
         "start_at": start.strftime("%Y-%m-%dT%H:%M"), "reminder": "15"},
    )  # fmt: skip
    assert Activity.objects.get().reminder_at < timezone.now()

    call_command("tick", job=["activities.reminders"])
    call_command("tick", job=["activities.reminders"])

    [notice] = Notification.objects.all()
    assert notice.recipient == people.rep
    assert notice.title == "Reminder: Call Garuda"


def test_the_week_page_costs_the_same_queries_for_one_item_or_many(browser, people):
    client = browser(people.rep)
    make_activity(people.rep, kind="meeting", subject="First", start_at=at(WEDNESDAY, 9))
    week_page(client)  # sessions, caches and content types warmed up
    with CaptureQueriesContext(connection) as one:
        week_page(client)
    for hour in range(10, 19):
        make_activity(
            people.rep, kind="meeting", subject=f"At {hour}", start_at=at(WEDNESDAY, hour)
        )
    with CaptureQueriesContext(connection) as many:
        response = week_page(client)

    assert len(slot(response, WEDNESDAY, "18:00")) == 1
    assert len(many) == len(one)
