"""Notes and record timelines follow the access to the record they are on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from tests import factories
from tests.activities.conftest import NOW, make_activity
from trellis.activities import selectors, services
from trellis.activities.models import Note
from trellis.audit.models import AuditEvent
from trellis.core.errors import NotFound

pytestmark = pytest.mark.django_db

NOTES = "/api/v1/notes"
TIMELINE = "/api/v1/timeline"


@pytest.fixture
def account(people):
    return factories.account(people.rep, name="Garuda")


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def test_a_note_is_readable_by_whoever_can_read_the_record(api, people, account):
    created = api(people.rep).post(
        NOTES, {"record_type": "account", "record_id": account.pk, "body": "Likes tea"}
    )
    assert created.status_code == 201, created.content
    assert created.json()["record_type"] == "account"
    query = {"record_type": "account", "record_id": account.pk}
    colleague = api(people.colleague).get(NOTES, query)
    assert [item["body"] for item in colleague.json()["items"]] == ["Likes tea"]
    assert api(people.milan_rep).get(NOTES, query).status_code == 404


def test_notes_on_an_invisible_record_cannot_be_added(api, people, account):
    response = api(people.milan_rep).post(
        NOTES, {"record_type": "account", "record_id": account.pk, "body": "Snooping"}
    )
    assert response.status_code == 404
    assert error_fields(response) == ["record_id"]
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"record_type": "spaceship", "record_id": 1, "body": "x"}, "record_type"),
        ({"record_type": "account", "body": "x"}, "record_id"),
        ({"record_type": "account", "record_id": 2**64, "body": "x"}, "record_id"),
        ({"record_type": "account", "record_id": "ACCOUNT", "body": "   "}, "record_id"),
    ],
)
def test_bad_note_input_names_the_field(api, people, account, payload, field):
    response = api(people.rep).post(NOTES, payload)
    assert 400 <= response.status_code < 500
    assert field in error_fields(response)


def test_an_empty_note_body_is_refused(api, people, account):
    response = api(people.rep).post(
        NOTES, {"record_type": "account", "record_id": account.pk, "body": "  "}
    )
    assert response.status_code == 400
    assert error_fields(response) == ["body"]


def test_only_the_author_may_delete_a_note(api, people, account):
    note = services.note_create(people.rep, record=account, body="Mine")
    assert api(people.colleague).delete(f"{NOTES}/{note.pk}").status_code == 403
    assert api(people.milan_rep).delete(f"{NOTES}/{note.pk}").status_code == 404
    assert api(people.rep).delete(f"{NOTES}/{note.pk}").status_code == 204
    assert not Note.objects.exists()
    assert AuditEvent.objects.filter(entity="note", action="delete").exists()


def test_an_author_who_can_no_longer_read_the_record_cannot_change_their_note(
    api, people, org, account
):
    note = services.note_create(people.colleague, record=account, body="From a colleague")
    people.colleague.unit = org["milan"]
    people.colleague.save()
    client = api(people.colleague)
    assert client.patch(f"{NOTES}/{note.pk}", {"body": "Edited"}).status_code == 404
    assert client.delete(f"{NOTES}/{note.pk}").status_code == 404


def test_the_author_pins_a_note(api, people, account):
    note = services.note_create(people.rep, record=account, body="Key fact")
    response = api(people.rep).patch(f"{NOTES}/{note.pk}", {"pinned": True})
    assert response.status_code == 200
    assert response.json()["pinned"] is True


def test_the_timeline_merges_notes_activities_and_audit_events_newest_first(people, account):
    ct = ContentType.objects.get_for_model(account)
    AuditEvent.objects.create(
        actor=people.rep,
        action="update",
        entity="account",
        object_id=account.pk,
        changes={"tier": ["standard", "key"]},
    )
    make_activity(
        people.rep,
        subject="Call Garuda",
        regarding_type=ct,
        regarding_id=account.pk,
        due_at=NOW - dt.timedelta(days=1),
    )
    services.note_create(people.rep, record=account, body="Newest")
    entries = selectors.timeline(people.rep, account)
    assert [entry.type for entry in entries][:1] == ["note"]
    assert {entry.type for entry in entries} == {"note", "activity", "event"}
    assert [entry.at for entry in entries] == sorted((e.at for e in entries), reverse=True)


def test_the_timeline_shows_only_activities_the_reader_may_see(people, account):
    ct = ContentType.objects.get_for_model(account)
    make_activity(people.rep, subject="Jakarta call", regarding_type=ct, regarding_id=account.pk)
    make_activity(
        people.milan_rep, subject="Milan call", regarding_type=ct, regarding_id=account.pk
    )
    subjects = [
        e.obj.subject for e in selectors.timeline(people.rep, account) if e.type == "activity"
    ]
    assert subjects == ["Jakarta call"]


def test_the_timeline_of_an_invisible_record_is_not_found(people, account):
    with pytest.raises(NotFound):
        selectors.timeline(people.milan_rep, account)


def test_the_timeline_api_follows_the_record(api, people, account):
    services.note_create(people.rep, record=account, body="Hello")
    query = {"record_type": "account", "record_id": account.pk}
    response = api(people.colleague).get(TIMELINE, query)
    assert response.status_code == 200
    assert [item["type"] for item in response.json()["items"]] == ["note"]
    assert api(people.milan_rep).get(TIMELINE, query).status_code == 404
    assert error_fields(api(people.rep).get(TIMELINE, {**query, "limit": 0})) == ["limit"]
    assert error_fields(api(people.rep).get(TIMELINE, {**query, "record_type": "x"})) == [
        "record_type"
    ]


def test_the_timeline_page_and_fragment(browser, people, account):
    services.note_create(people.rep, record=account, body="Visible note")
    page = browser(people.colleague).get(f"/timeline/account/{account.pk}/")
    assert page.status_code == 200
    assert b"Visible note" in page.content
    fragment = browser(people.colleague).get(
        f"/timeline/account/{account.pk}/", HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in fragment.content
    assert b"Visible note" in fragment.content
    assert browser(people.milan_rep).get(f"/timeline/account/{account.pk}/").status_code == 404
    assert browser(people.rep).get(f"/timeline/spaceship/{account.pk}/").status_code == 404


def test_adding_a_note_from_the_timeline_form(browser, people, account):
    client = browser(people.colleague)
    response = client.post(f"/timeline/account/{account.pk}/", {"body": "Met at fair"})
    assert response.status_code == 302
    assert Note.objects.get().created_by == people.colleague
    empty = client.post(f"/timeline/account/{account.pk}/", {"body": ""})
    assert empty.status_code == 400
    denied = browser(people.milan_rep).post(f"/timeline/account/{account.pk}/", {"body": "x"})
    assert denied.status_code == 404
    assert Note.objects.count() == 1


def test_deleting_a_note_from_the_page(browser, people, account):
    note = services.note_create(people.rep, record=account, body="Bye")
    assert browser(people.colleague).post(f"/notes/{note.pk}/delete/").status_code == 403
    response = browser(people.rep).post(f"/notes/{note.pk}/delete/")
    assert response.status_code == 302
    assert not Note.objects.exists()


def test_deleting_a_record_takes_its_notes_and_unlinks_its_activities(people, account):
    ct = ContentType.objects.get_for_model(account)
    services.note_create(people.rep, record=account, body="Gone soon")
    activity = make_activity(people.rep, regarding_type=ct, regarding_id=account.pk)
    account.delete()
    activity.refresh_from_db()
    assert not Note.objects.exists()
    assert (activity.regarding_type_id, activity.regarding_id) == (None, None)
