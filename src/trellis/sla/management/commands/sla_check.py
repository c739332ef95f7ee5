"""`trellis sla_check`: look for SLA breaches once and escalate them (the worker does the
same every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.sla.services import sla_check


class Command(BaseCommand):
    help = "Record and escalate SLA and speed-to-lead breaches once."

    def handle(self, *args: Any, **options: Any) -> None:
        events = sla_check()
        for event in events:
            self.stdout.write(f"{event.entity} {event.record_id}: {event.kind} breached")
        self.stdout.write(self.style.SUCCESS(f"{len(events)} breach(es) recorded"))
