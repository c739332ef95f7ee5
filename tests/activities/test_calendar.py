"""The calendar: windows and scopes, as a selector, an API and a page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.activities.conftest import NOW, make_activity
from trellis.activities import selectors
from trellis.activities.models import ActivityAttendee
from trellis.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar"
DAY = dt.timedelta(days=1)


def subjects(items) -> list[str]:
    return sorted(item.subject for item in items)


def api_subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["subject"] for item in response.json()["items"])


@pytest.fixture
def week(people):
    """Activities around now for several people."""
    make_activity(people.rep, kind="meeting", subject="Rep meeting", start_at=NOW + DAY)
    make_activity(people.rep, subject="Rep task", due_at=NOW + 2 * DAY)
    make_activity(people.rep, subject="Rep next month", due_at=NOW + 40 * DAY)
    make_activity(people.colleague, subject="Colleague task", due_at=NOW + DAY)
    make_activity(people.milan_rep, subject="Milan task", due_at=NOW + DAY)
    guest = make_activity(people.milan_rep, kind="call", subject="Milan call", start_at=NOW + DAY)
    ActivityAttendee.objects.create(activity=guest, user=people.rep)
    return guest


def test_my_calendar_holds_what_i_own_in_the_window(people, week):
    items = selectors.calendar_items(people.rep, start=NOW, end=NOW + 7 * DAY)
    assert subjects(items) == ["Rep meeting", "Rep task"]


def test_attended_activities_appear_once_they_are_visible(people, week, api):
    from trellis.access.services import record_share

    record_share(people.milan_rep, week, user=people.rep)
    items = selectors.calendar_items(people.rep, start=NOW, end=NOW + 7 * DAY)
    assert subjects(items) == ["Milan call", "Rep meeting", "Rep task"]


def test_a_meeting_overlapping_the_window_start_is_included(people):
    make_activity(
        people.rep,
        kind="meeting",
        subject="Long workshop",
        start_at=NOW - DAY,
        end_at=NOW + DAY,
    )
    items = selectors.calendar_items(people.rep, start=NOW, end=NOW + DAY)
    assert subjects(items) == ["Long workshop"]


def test_the_unit_calendar_shows_the_unit_but_only_what_is_visible(org, people, week):
    rep_view = selectors.calendar_items(people.rep, start=NOW, end=NOW + 7 * DAY, scope="unit")
    assert subjects(rep_view) == ["Colleague task", "Rep meeting", "Rep task"]
    peek = selectors.calendar_items(
        people.rep, start=NOW, end=NOW + 7 * DAY, scope="unit", unit=org["milan"]
    )
    assert subjects(peek) == []


def test_a_manager_sees_the_subtree_calendar(org, people, week):
    items = selectors.calendar_items(
        people.manager, start=NOW, end=NOW + 7 * DAY, scope="unit", unit=org["asia"]
    )
    assert subjects(items) == ["Colleague task", "Rep meeting", "Rep task"]


def test_the_team_calendar_covers_members(org, people, week):
    team = factories.team("Duo", unit=org["jakarta"], members=(people.colleague,))
    items = selectors.calendar_items(
        people.manager, start=NOW, end=NOW + 7 * DAY, scope="team", team=team
    )
    assert subjects(items) == ["Colleague task"]


def test_windows_are_checked(people):
    with pytest.raises(InvalidInput):
        selectors.calendar_items(people.rep, start=NOW, end=NOW)
    with pytest.raises(InvalidInput):
        selectors.calendar_items(people.rep, start=NOW, end=NOW + 63 * DAY)
    with pytest.raises(InvalidInput):
        selectors.calendar_items(people.rep, start=NOW, end=NOW + DAY, scope="team")


def test_the_calendar_api_answers_for_me(api, people, week):
    query = {"start": NOW.isoformat(), "end": (NOW + 7 * DAY).isoformat()}
    assert api_subjects(api(people.rep).get(URL, query)) == ["Rep meeting", "Rep task"]
    assert api_subjects(api(people.milan_rep).get(URL, query)) == ["Milan call", "Milan task"]


def test_the_calendar_api_refuses_bad_windows_naming_the_field(api, people):
    client = api(people.rep)
    too_long = client.get(URL, {"start": NOW.isoformat(), "end": (NOW + 90 * DAY).isoformat()})
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "end"
    missing = client.get(URL, {"start": NOW.isoformat()})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "end"
    bad_scope = client.get(
        URL, {"start": NOW.isoformat(), "end": (NOW + DAY).isoformat(), "scope": "world"}
    )
    assert bad_scope.json()["errors"][0]["field"] == "scope"
    no_team = client.get(
        URL, {"start": NOW.isoformat(), "end": (NOW + DAY).isoformat(), "scope": "team"}
    )
    assert no_team.status_code == 400
    assert no_team.json()["errors"][0]["field"] == "team_id"


@pytest.mark.parametrize("view", ["month", "week", "day"])
def test_the_calendar_page_renders_each_view(browser, people, view):
    make_activity(people.rep, subject="Today thing", due_at=NOW + dt.timedelta(minutes=1))
    make_activity(people.milan_rep, subject="Milan thing", due_at=NOW + dt.timedelta(minutes=1))
    response = browser(people.rep).get("/calendar/", {"view": view})
    assert response.status_code == 200
    assert b"Milan thing" not in response.content
    milan = browser(people.milan_rep).get("/calendar/", {"view": view})
    assert b"Today thing" not in milan.content


def test_the_calendar_page_links_to_activities_and_navigates(browser, people):
    activity = make_activity(people.rep, subject="Linked", due_at=NOW + dt.timedelta(minutes=1))
    response = browser(people.rep).get(
        "/calendar/", {"view": "day", "date": NOW.date().isoformat()}
    )
    assert f"/activities/{activity.pk}/".encode() in response.content
    assert b'rel="prev"' in response.content and b'rel="next"' in response.content


def test_the_calendar_page_ignores_bad_parameters(browser, people):
    client = browser(people.rep)
    response = client.get(
        "/calendar/", {"view": "year", "date": "never", "scope": "team", "team": "x", "unit": "0"}
    )
    assert response.status_code == 200
    assert client.get("/calendar/", {"date": "9999-12-31"}).status_code == 200
    assert client.get("/calendar/", {"date": "0001-01-01", "view": "week"}).status_code == 200
    assert client.get("/calendar/", {"scope": "unit", "unit": str(2**70)}).status_code == 200
