from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "trellis.analytics"
    label = "analytics"

    def ready(self) -> None:
        from trellis.analytics.services import reports_run_due
        from trellis.core import periodic

        # Each worker checks every minute; claiming with SKIP LOCKED keeps runs single.
        periodic.every(60, "analytics.reports", reports_run_due)
