"""The bell in the header and the notifications page."""

from __future__ import annotations

from tests import factories
from tests.notifications.conftest import make_notification
from trellis.notifications.models import Notification

BELL = "/notifications/bell/"
PAGE = "/notifications/"


def test_every_page_has_the_bell_that_loads_its_count(browser, people):
    response = browser(people.rita).get("/")

    html = response.content.decode()
    assert 'id="notification-bell"' in html
    assert f'hx-get="{BELL}"' in html
    assert 'hx-trigger="load, every 60s"' in html


def test_the_bell_shows_each_persons_own_unread_count(browser, people):
    make_notification(people.rita)
    make_notification(people.rita)
    make_notification(people.rita, read_at="2026-01-01T00:00:00Z")
    make_notification(people.marco)

    rita = browser(people.rita).get(BELL).content.decode()
    marco = browser(people.marco).get(BELL).content.decode()

    assert '<span class="notification-count">2</span>' in rita
    assert '<span class="notification-count">1</span>' in marco


def test_the_bell_shows_no_count_when_all_is_read(browser, people):
    make_notification(people.rita, read_at="2026-01-01T00:00:00Z")

    html = browser(people.rita).get(BELL).content.decode()

    assert "notification-count" not in html


def test_the_refreshed_bell_keeps_polling_every_minute(browser, people):
    html = browser(people.rita).get(BELL).content.decode()

    assert 'hx-trigger="every 60s"' in html


def test_the_bell_costs_one_count_query(browser, people, django_assert_num_queries):
    client = browser(people.rita)
    client.get(BELL)  # warm the session

    # The session, the signed-in user, and the one COUNT on the inbox index.
    with django_assert_num_queries(3) as captured:
        client.get(BELL)

    assert "COUNT(*)" in captured.captured_queries[-1]["sql"]


def test_a_signed_out_bell_tells_htmx_to_stop_polling(client, people):
    response = client.get(BELL)

    assert response.status_code == 286


def test_the_page_lists_only_my_notifications(browser, people):
    make_notification(people.rita, title="For Rita")
    make_notification(people.marco, title="For Marco")

    html = browser(people.rita).get(PAGE).content.decode()

    assert "For Rita" in html
    assert "For Marco" not in html


def test_the_page_can_show_only_unread_ones(browser, people):
    make_notification(people.rita, title="Still new")
    make_notification(people.rita, title="Seen already", read_at="2026-01-01T00:00:00Z")

    html = browser(people.rita).get(PAGE, {"unread": "1"}).content.decode()

    assert "Still new" in html
    assert "Seen already" not in html


def test_marking_one_read_on_the_page(browser, people):
    notification = make_notification(people.rita)

    response = browser(people.rita).post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_cannot_be_marked_read(browser, people):
    notification = make_notification(people.marco)

    response = browser(people.rita).post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_all_read_on_the_page_leaves_others_alone(browser, people):
    make_notification(people.rita)
    marcos = make_notification(people.marco)

    browser(people.rita).post("/notifications/read-all/")

    assert not Notification.objects.filter(recipient=people.rita, read_at__isnull=True).exists()
    marcos.refresh_from_db()
    assert marcos.read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_the_record(browser, people):
    account = factories.account(people.rita)
    notification = make_notification(people.rita, url=f"/accounts/{account.pk}/")

    response = browser(people.rita).get(f"/notifications/{notification.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_someone_elses_notification_answers_404(browser, people):
    notification = make_notification(people.marco, url="/accounts/1/")

    response = browser(people.rita).get(f"/notifications/{notification.pk}/open/")

    assert response.status_code == 404


def test_a_link_to_another_site_is_not_followed(browser, people):
    notification = make_notification(people.rita, url="https://evil.example.com/")

    response = browser(people.rita).get(f"/notifications/{notification.pk}/open/")

    assert response["Location"] == PAGE


def test_the_record_page_still_decides_who_may_see_the_record(browser, people):
    account = factories.account(people.marco)
    notification = make_notification(people.rita, url=f"/accounts/{account.pk}/")

    opened = browser(people.rita).get(f"/notifications/{notification.pk}/open/", follow=True)

    assert opened.status_code == 404
