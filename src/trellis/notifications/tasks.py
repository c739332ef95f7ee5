"""Background tasks of the notifications app (run by `trellis worker`)."""

from __future__ import annotations

from django_tasks import task

from trellis.notifications.services import notification_email_send


@task()
def send_notification_email(notification_id: int) -> bool:
    """Send the e-mail copy of a notification (queued when its transaction commits)."""
    return notification_email_send(notification_id)
