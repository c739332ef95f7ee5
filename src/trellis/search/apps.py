from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "trellis.search"
    label = "search"

    def ready(self) -> None:
        from trellis.search import receivers

        receivers.connect()
