"""Activity reminders: the periodic job tells the owner and attendees once."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.notifications.conftest import make_activity
from trellis.activities.models import ActivityAttendee, ActivityStatus, AttendeeResponse
from trellis.core import periodic
from trellis.notifications.models import Kind, Notification, ReminderSent
from trellis.notifications.services import activity_reminders_send

NOW = timezone.now()
PAST = NOW - dt.timedelta(minutes=5)


def recipients() -> list[str]:
    return sorted(n.recipient.username for n in Notification.objects.select_related("recipient"))


def test_a_due_reminder_notifies_the_owner(people):
    activity = make_activity(people.rita, subject="Call Garuda", reminder_at=PAST)

    activity_reminders_send(NOW)

    notification = Notification.objects.get()
    assert notification.recipient == people.rita
    assert notification.kind == Kind.REMINDER
    assert "Call Garuda" in notification.title
    assert notification.url == f"/activities/{activity.pk}/"


def test_running_the_job_twice_reminds_once(people):
    make_activity(people.rita, reminder_at=PAST)

    first = activity_reminders_send(NOW)
    second = activity_reminders_send(NOW + dt.timedelta(minutes=1))

    assert (first, second) == (1, 0)
    assert Notification.objects.count() == 1


def test_a_reminder_in_the_future_waits(people):
    make_activity(people.rita, reminder_at=NOW + dt.timedelta(minutes=5))

    assert activity_reminders_send(NOW) == 0
    assert not Notification.objects.exists()


def test_completed_activities_are_not_reminded_of(people):
    make_activity(people.rita, reminder_at=PAST, status=ActivityStatus.COMPLETED)

    assert activity_reminders_send(NOW) == 0


def test_a_reminder_long_past_is_not_sent(people):
    make_activity(people.rita, reminder_at=NOW - dt.timedelta(days=3))

    assert activity_reminders_send(NOW) == 0


def test_attendees_are_reminded_too_except_those_who_declined(people, org):
    meeting = make_activity(people.rita, kind="meeting", reminder_at=PAST)
    declined = factories.user("declined", unit=org["jakarta"])
    ActivityAttendee.objects.create(activity=meeting, user=people.marco)
    ActivityAttendee.objects.create(activity=meeting, user=people.rita)
    ActivityAttendee.objects.create(
        activity=meeting, user=declined, response=AttendeeResponse.DECLINED
    )

    activity_reminders_send(NOW)

    assert recipients() == ["marco", "rita"]


def test_a_team_owned_activity_reminds_its_attendees(people, org):
    team = factories.team("Jakarta Sales", unit=org["jakarta"], members=(people.rita,))
    activity = make_activity(team, reminder_at=PAST)
    ActivityAttendee.objects.create(activity=activity, user=people.marco)

    activity_reminders_send(NOW)

    assert recipients() == ["marco"]


def test_a_moved_reminder_is_sent_again_at_its_new_time(people):
    activity = make_activity(people.rita, reminder_at=PAST)
    activity_reminders_send(NOW)
    activity.reminder_at = NOW + dt.timedelta(minutes=30)
    activity.save()

    activity_reminders_send(NOW + dt.timedelta(minutes=31))

    assert Notification.objects.count() == 2
    assert ReminderSent.objects.get().reminder_at == activity.reminder_at


def test_a_reminder_another_worker_sent_is_not_sent_again(people):
    activity = make_activity(people.rita, reminder_at=PAST)
    ReminderSent.objects.create(activity=activity, reminder_at=PAST, sent_at=NOW)

    assert activity_reminders_send(NOW) == 0
    assert not Notification.objects.exists()


def test_the_reminder_job_is_registered_every_minute():
    job = {job.name: job for job in periodic.jobs()}["activities.reminders"]

    assert job.seconds == 60
    assert job.func is activity_reminders_send


def test_trellis_tick_sends_due_reminders_once(people, capsys):
    make_activity(people.rita, reminder_at=PAST)

    call_command("tick", job=["activities.reminders"])
    call_command("tick", job=["activities.reminders"])

    assert Notification.objects.count() == 1
    assert "ran activities.reminders" in capsys.readouterr().out
