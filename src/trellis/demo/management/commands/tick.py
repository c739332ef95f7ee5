"""`trellis tick`: run the periodic jobs once (for cron instead of a long-running worker)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trellis.core import periodic


class Command(BaseCommand):
    help = (
        "Run every periodic job (SLA checks, activity reminders, ...) once, then exit. "
        "For cron; `trellis worker` runs them on its own clock."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--job",
            action="append",
            default=[],
            metavar="NAME",
            help="Run only this job (repeatable). Without it, every registered job runs.",
        )
        parser.add_argument(
            "--list", action="store_true", dest="list_jobs", help="List the jobs and exit."
        )

    def handle(self, *args: Any, job: list[str], list_jobs: bool, **options: Any) -> None:
        if list_jobs:
            for registered in periodic.jobs():
                self.stdout.write(f"{registered.name}\tevery {registered.seconds:g}s")
            return
        known = {registered.name for registered in periodic.jobs()}
        unknown = sorted(set(job) - known)
        if unknown:
            raise CommandError(
                f"unknown job(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        results = periodic.run_once(names=job or None)
        for name, ok in results.items():
            self.stdout.write(f"ran {name}" if ok else f"failed {name} (see the log)")
        failed = sorted(name for name, ok in results.items() if not ok)
        if failed:
            # A non-zero exit lets cron (or its monitoring) notice.
            raise CommandError(f"job(s) failed: {', '.join(failed)}")
