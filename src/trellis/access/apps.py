from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "trellis.access"
    label = "access"

    def ready(self) -> None:
        from trellis.access import receivers  # noqa: F401
