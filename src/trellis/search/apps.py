from django.apps import AppConfig

# How often the worker checks whether the index table needs reordering (one cheap query
# on the planner's statistics; see `search.layout`).
LAYOUT_SECONDS = 15 * 60


class SearchConfig(AppConfig):
    name = "trellis.search"
    label = "search"

    def ready(self) -> None:
        from trellis.core import periodic
        from trellis.search import layout, receivers

        receivers.connect()
        periodic.every(LAYOUT_SECONDS, "search.layout", layout.maintain)
