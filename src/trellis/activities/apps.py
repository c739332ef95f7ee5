from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "trellis.activities"
    label = "activities"

    def ready(self) -> None:
        from trellis.activities import receivers  # noqa: F401  (connects the signal handlers)
