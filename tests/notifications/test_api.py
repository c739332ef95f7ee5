from __future__ import annotations

from tests.notifications.conftest import make_notification
from trellis.notifications.models import Kind, Notification

URL = "/api/v1/notifications"


def test_each_person_lists_only_their_own_notifications(api, people):
    make_notification(people.rita, title="For Rita")
    make_notification(people.marco, title="For Marco")

    rita = api(people.rita).get(URL).json()
    marco = api(people.marco).get(URL).json()

    assert [item["title"] for item in rita["items"]] == ["For Rita"]
    assert [item["title"] for item in marco["items"]] == ["For Marco"]


def test_the_list_is_newest_first(api, people):
    make_notification(people.rita, title="older", minutes_ago=30)
    make_notification(people.rita, title="newer", minutes_ago=5)

    items = api(people.rita).get(URL).json()["items"]

    assert [item["title"] for item in items] == ["newer", "older"]


def test_unread_true_leaves_out_read_notifications(api, people):
    make_notification(people.rita, title="unread")
    make_notification(people.rita, title="read", read_at="2026-01-01T00:00:00Z")

    items = api(people.rita).get(URL, {"unread": "true"}).json()["items"]

    assert [item["title"] for item in items] == ["unread"]


def test_kind_filters_the_list(api, people):
    make_notification(people.rita, title="a reminder", kind=Kind.REMINDER)
    make_notification(people.rita, title="an assignment", kind=Kind.ASSIGNMENT)

    items = api(people.rita).get(URL, {"kind": "reminder"}).json()["items"]

    assert [item["title"] for item in items] == ["a reminder"]


def test_an_unknown_kind_is_refused_naming_the_field(api, people):
    response = api(people.rita).get(URL, {"kind": "gossip"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"


def test_count_true_counts_only_the_callers_notifications(api, people):
    for _ in range(3):
        make_notification(people.rita)
    make_notification(people.marco)

    body = api(people.rita).get(URL, {"count": "true", "limit": 2}).json()

    assert body["count"] == 3
    assert len(body["items"]) == 2


def test_the_cursor_pages_through_the_rest(api, people):
    for minutes in (1, 2, 3):
        make_notification(people.rita, title=f"{minutes} min", minutes_ago=minutes)
    client = api(people.rita)

    first = client.get(URL, {"limit": 2}).json()
    second = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [item["title"] for item in second["items"]] == ["3 min"]
    assert second["next_cursor"] is None


def test_a_forged_cursor_is_bad_input(api, people):
    response = api(people.rita).get(URL, {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_a_limit_out_of_range_is_bad_input(api, people):
    response = api(people.rita).get(URL, {"limit": 0})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


def test_a_notification_about_a_record_names_it(api, people):
    make_notification(people.rita, entity="account", object_id=7, url="/accounts/7/")

    item = api(people.rita).get(URL).json()["items"][0]

    assert (item["record_type"], item["record_id"], item["url"]) == ("account", 7, "/accounts/7/")


def test_marking_one_read_sets_read_at(api, people):
    notification = make_notification(people.rita)

    response = api(people.rita).post(f"{URL}/{notification.pk}/read")

    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_someone_elses_notification_read_answers_404(api, people):
    notification = make_notification(people.marco)

    response = api(people.rita).post(f"{URL}/{notification.pk}/read")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_a_missing_notification_read_answers_404(api, people):
    response = api(people.rita).post(f"{URL}/{2**63 + 5}/read")

    assert response.status_code == 404


def test_read_all_marks_only_the_callers_notifications(api, people):
    make_notification(people.rita)
    make_notification(people.rita)
    marcos = make_notification(people.marco)

    response = api(people.rita).post(f"{URL}/read-all")

    assert response.json() == {"count": 2}
    assert not Notification.objects.filter(recipient=people.rita, read_at__isnull=True).exists()
    marcos.refresh_from_db()
    assert marcos.read_at is None


def test_unread_count_counts_the_callers_unread_notifications(api, people):
    make_notification(people.rita)
    make_notification(people.rita)
    make_notification(people.rita, read_at="2026-01-01T00:00:00Z")
    make_notification(people.marco)

    assert api(people.rita).get(f"{URL}/unread-count").json() == {"count": 2}
    assert api(people.marco).get(f"{URL}/unread-count").json() == {"count": 1}


def test_the_inbox_needs_authentication(client, people):
    response = client.get(URL)

    assert response.status_code == 401
