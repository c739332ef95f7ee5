from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "trellis.service"
    label = "service"

    def ready(self) -> None:
        from trellis.service import receivers  # noqa: F401  (connects the signal handlers)
