"""`trellis analytics_rebuild`: recreate the rollup triggers and refill the rollups."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from trellis.analytics import rollups
from trellis.analytics.models import CaseRollup, OpportunityRollup


class Command(BaseCommand):
    help = (
        "Recreate the dashboard rollup triggers for the current TIME_ZONE and refill the "
        "rollups from the records (after changing TIME_ZONE, or to check them)."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        rollups.install(rebuild=True)
        self.stdout.write(
            f"rollups rebuilt in {time.perf_counter() - started:.1f} s: "
            f"{OpportunityRollup.objects.count()} opportunity rows, "
            f"{CaseRollup.objects.count()} case rows"
        )
