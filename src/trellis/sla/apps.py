from django.apps import AppConfig

# How often each worker looks for breaches; the unique breach key makes overlaps harmless.
CHECK_SECONDS = 60


class SlaConfig(AppConfig):
    name = "trellis.sla"
    label = "sla"

    def ready(self) -> None:
        from trellis.core import periodic
        from trellis.sla import receivers  # noqa: F401  (connects the signal handlers)
        from trellis.sla.services import sla_check

        periodic.every(CHECK_SECONDS, "sla.check", sla_check)
