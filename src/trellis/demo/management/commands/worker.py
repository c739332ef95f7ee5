"""`trellis worker`: run background tasks (django-tasks-db's `db_worker`, same options)."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background-task worker: SLA timers, reminders, bulk jobs and scheduled "
        "reports queued in the database. Run one or more next to `trellis serve`."
    )
