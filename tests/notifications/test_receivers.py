"""Assignment notifications: `record_assigned` (sent after the commit) tells the new owner."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests import factories
from trellis.access.services import assign_all, record_assign
from trellis.customers.models import Account
from trellis.notifications.models import Kind, Notification


class Boom(Exception):
    pass


def assign_url(account: Account) -> str:
    return f"/api/v1/accounts/{account.pk}/assign"


def test_assigning_through_the_api_notifies_the_new_owner(
    api, people, django_capture_on_commit_callbacks
):
    account = factories.account(people.manager, name="PT Garuda")

    with django_capture_on_commit_callbacks(execute=True):
        response = api(people.manager).post(assign_url(account), {"owner_user_id": people.rita.pk})

    assert response.status_code == 200, response.content
    notification = Notification.objects.get()
    assert notification.recipient == people.rita
    assert notification.kind == Kind.ASSIGNMENT
    assert "PT Garuda" in notification.title
    assert notification.url == f"/accounts/{account.pk}/"


def test_the_new_owner_sees_the_assignment_in_their_inbox_and_others_do_not(
    api, people, django_capture_on_commit_callbacks
):
    account = factories.account(people.manager)
    with django_capture_on_commit_callbacks(execute=True):
        api(people.manager).post(assign_url(account), {"owner_user_id": people.rita.pk})

    rita = api(people.rita).get("/api/v1/notifications").json()["items"]
    manager = api(people.manager).get("/api/v1/notifications").json()["items"]

    assert [item["kind"] for item in rita] == ["assignment"]
    assert manager == []


def test_assigning_a_record_to_yourself_notifies_no_one(
    api, people, django_capture_on_commit_callbacks
):
    account = factories.account(people.rita)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(people.manager).post(
            assign_url(account), {"owner_user_id": people.manager.pk}
        )

    assert response.status_code == 200, response.content
    assert not Notification.objects.exists()


def test_assigning_a_record_to_a_team_notifies_no_one(
    api, org, people, django_capture_on_commit_callbacks
):
    team = factories.team("Jakarta Sales", unit=org["jakarta"], members=(people.rita,))
    account = factories.account(people.manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(people.manager).post(assign_url(account), {"owner_team_id": team.pk})

    assert response.status_code == 200, response.content
    assert not Notification.objects.exists()


def test_a_refused_assignment_notifies_no_one(api, people, django_capture_on_commit_callbacks):
    account = factories.account(people.marco)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(people.rita).post(assign_url(account), {"owner_user_id": people.rita.pk})

    assert response.status_code == 404
    assert not Notification.objects.exists()


def test_no_notification_waits_for_a_rolled_back_assignment(
    people, django_capture_on_commit_callbacks
):
    account = factories.account(people.manager)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        record_assign(people.manager, account, owner_user=people.rita)
        raise Boom

    assert callbacks == []
    assert not Notification.objects.exists()


def test_the_notification_is_written_only_after_the_commit(
    people, django_capture_on_commit_callbacks
):
    account = factories.account(people.manager)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_assign(people.manager, account, owner_user=people.rita)
    assert not Notification.objects.exists()

    for callback in callbacks:
        callback()
    assert Notification.objects.filter(recipient=people.rita).count() == 1


def test_reassigning_to_the_same_owner_notifies_no_one(people, django_capture_on_commit_callbacks):
    account = factories.account(people.rita)

    with django_capture_on_commit_callbacks(execute=True):
        record_assign(people.manager, account, owner_user=people.rita)

    assert not Notification.objects.exists()


def test_a_cascade_tells_the_new_owner_once_with_a_summary(
    people, django_capture_on_commit_callbacks
):
    accounts = [factories.account(people.manager, name=f"Branch {n}") for n in range(7)]

    with django_capture_on_commit_callbacks(execute=True):
        moved = assign_all(people.manager, accounts, owner_user=people.rita)

    assert moved == 7
    notification = Notification.objects.get()
    assert notification.recipient == people.rita
    assert "7 accounts" in notification.title
    assert "Branch 0" in notification.body
    assert "2 more" in notification.body


def test_a_cascade_of_one_record_names_that_record(people, django_capture_on_commit_callbacks):
    account = factories.account(people.manager, name="PT Garuda")

    with django_capture_on_commit_callbacks(execute=True):
        assign_all(people.manager, [account], owner_user=people.rita)

    notification = Notification.objects.get()
    assert "PT Garuda" in notification.title
    assert notification.object_id == account.pk
