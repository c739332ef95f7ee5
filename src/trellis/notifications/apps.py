from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "trellis.notifications"
    label = "notifications"

    def ready(self) -> None:
        from trellis.core import periodic
        from trellis.notifications import receivers  # noqa: F401  (connects the receivers)
        from trellis.notifications.services import activity_reminders_send

        periodic.every(60, "activities.reminders", activity_reminders_send)
