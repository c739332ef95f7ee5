from __future__ import annotations

import pytest
from django.db import transaction

from tests import factories
from tests.notifications.conftest import make_notification
from trellis.audit.models import AuditEvent
from trellis.notifications.models import Kind, Notification
from trellis.notifications.services import (
    notification_email_send,
    notification_mark_all_read,
    notification_mark_read,
    notify,
)


class Boom(Exception):
    pass


def test_notify_leaves_a_notification_for_the_recipient(people):
    notification = notify(people.rita, kind=Kind.ESCALATION, title="Case overdue")

    assert Notification.objects.get() == notification
    assert (notification.recipient, notification.kind) == (people.rita, Kind.ESCALATION)


def test_notify_skips_a_deactivated_recipient(people):
    people.rita.is_active = False
    people.rita.save()

    assert notify(people.rita, title="Hello") is None
    assert not Notification.objects.exists()


def test_a_notification_about_a_record_links_to_its_page(people):
    account = factories.account(people.rita, name="PT Garuda")

    notification = notify(people.rita, title="About Garuda", record=account)

    assert notification.url == f"/accounts/{account.pk}/"
    assert (notification.entity, notification.object_id) == ("account", account.pk)


def test_the_email_copy_is_sent_after_the_commit(
    people, email_on, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notification = notify(people.rita, title="Case overdue", url="/cases/4/")
        assert mailoutbox == []

    assert [mail.to for mail in mailoutbox] == [["rita@example.com"]]
    assert mailoutbox[0].subject == "Case overdue"
    assert "https://crm.example.com/cases/4/" in mailoutbox[0].body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_no_email_is_sent_when_the_transaction_rolls_back(
    people, email_on, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        notify(people.rita, title="Case overdue")
        raise Boom

    assert callbacks == []
    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_no_email_is_sent_when_email_is_not_configured(
    people, email_on, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_ENABLED = False

    with django_capture_on_commit_callbacks(execute=True):
        notify(people.rita, title="Case overdue")

    assert mailoutbox == []


def test_no_email_is_sent_to_someone_without_an_address(
    people, email_on, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(people.manager, title="Case overdue")

    assert mailoutbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_the_email_copy_is_queued_as_a_task_for_the_worker(
    people, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.EMAIL_ENABLED = True

    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(people.rita, title="Case overdue")

    queued = DBTaskResult.objects.get()
    assert queued.task_path == "trellis.notifications.tasks.send_notification_email"
    assert queued.args_kwargs["args"] == [notification.pk]


def test_an_email_copy_is_sent_once_even_if_the_task_runs_twice(people, email_on, mailoutbox):
    notification = make_notification(people.rita)

    assert notification_email_send(notification.pk) is True
    assert notification_email_send(notification.pk) is False
    assert len(mailoutbox) == 1


def test_a_failed_email_can_be_sent_again(people, email_on, mailoutbox, monkeypatch):
    notification = make_notification(people.rita)

    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.send_mail", refuse)
    with pytest.raises(OSError):
        notification_email_send(notification.pk)
    notification.refresh_from_db()

    assert notification.emailed_at is None


def test_marking_read_is_audited(people):
    notification = make_notification(people.rita)

    notification_mark_read(people.rita, notification=notification)

    event = AuditEvent.objects.get()
    assert (event.action, event.entity, event.object_id) == (
        "read",
        "notification",
        notification.pk,
    )


def test_marking_read_again_changes_nothing(people):
    notification = make_notification(people.rita)
    notification_mark_read(people.rita, notification=notification)
    first = notification.read_at

    notification_mark_read(people.rita, notification=notification)

    assert notification.read_at == first
    assert AuditEvent.objects.count() == 1


def test_marking_all_read_returns_how_many_were_unread(people):
    make_notification(people.rita)
    make_notification(people.rita)

    assert notification_mark_all_read(people.rita) == 2
    assert notification_mark_all_read(people.rita) == 0
