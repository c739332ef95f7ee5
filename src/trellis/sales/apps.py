from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "trellis.sales"
    label = "sales"

    def ready(self) -> None:
        from trellis.sales import receivers  # noqa: F401  (connects the signal handlers)
