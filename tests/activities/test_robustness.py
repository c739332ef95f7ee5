"""Odd input never answers 500: huge ids and dates at the ends of the calendar."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BIG = 2**70


def test_huge_ids_in_paths_answer_4xx(api, people):
    client = api(people.rep)
    assert client.get(f"/api/v1/activities/{BIG}").status_code < 500
    assert client.get(f"/api/v1/activities/{BIG}/access").status_code < 500
    assert client.post(f"/api/v1/activities/{BIG}/complete").status_code < 500
    assert client.delete(f"/api/v1/activities/1/attendees/{BIG}").status_code < 500
    assert client.delete(f"/api/v1/notes/{BIG}").status_code < 500
    assert client.patch(f"/api/v1/notes/{BIG}", {"body": "x"}).status_code < 500


def test_naive_calendar_times_are_read_in_the_server_time_zone(api, people):
    response = api(people.rep).get(
        "/api/v1/calendar", {"start": "2030-01-01T00:00", "end": "2030-01-05"}
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "task", "due_at": "9999-12-31T23:59:59+14:00"}, "due_at"),
        ({"kind": "meeting", "start_at": "9999-12-31T23:30:00"}, "start_at"),
        ({"kind": "task", "reminder_at": "0001-01-01T00:00:00+14:00"}, "reminder_at"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_400_naming_the_field(api, people, payload, field):
    response = api(people.rep).post("/api/v1/activities", {"subject": "x", **payload})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/calendar", {"start": "0001-01-01T00:00:00+14:00", "end": "0001-01-05"}, "start"),
        ("/api/v1/activities", {"due_before": "0001-01-01T00:00:00+14:00"}, "due_before"),
        ("/api/v1/activities", {"due_after": "9999-12-31T23:59:59-14:00"}, "due_after"),
    ],
)
def test_extreme_dates_in_queries_are_400_naming_the_field(api, people, path, query, field):
    response = api(people.rep).get(path, query)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field
