"""`trellis worker`: run background tasks (django-tasks-db's `db_worker`, same options),
and between batches of tasks the periodic jobs (`trellis.core.periodic`)."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from trellis.core import periodic

logger = logging.getLogger("django_tasks_db")

# Tasks run before the clock is looked at again, so a busy queue cannot starve the
# periodic jobs (an SLA check waits at most this many tasks).
BATCH_SIZE = 50


class ClockedWorker(db_worker.Worker):
    """db_worker's worker with a clock: it runs the due periodic jobs, then up to
    BATCH_SIZE queued tasks, then (when the queue was empty) sleeps `interval`.

    The upstream loop has no hook between tasks, so this loop replaces it; claiming a task
    and running it are still the upstream's own steps (`ready().get_locked()`, `claim`,
    `run_task`)."""

    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        if self.startup_delay and self.interval:
            # Several workers started together should not all hit the database at once.
            time.sleep(random.random())  # noqa: S311
        while self.running:
            self.tick()
            ran, queue_empty = self.run_batch()
            if self.batch and queue_empty:
                logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Ran the maximum of %d tasks - exiting.", self._run_tasks)
                return
            if self.running and not ran:
                time.sleep(self.interval)

    def tick(self) -> list[str]:
        """Run the periodic jobs that are due (each job guards its own failures)."""
        close_old_connections()
        # Counted as a running task, so a first Ctrl+C or SIGTERM lets the jobs finish
        # instead of exiting in the middle of one.
        self.running_task = True
        try:
            ran = periodic.run_due()
        finally:
            self.running_task = False
        close_old_connections()
        return ran

    def run_batch(self) -> tuple[int, bool]:
        """Run up to BATCH_SIZE ready tasks. Returns (tasks run, whether the queue was
        seen empty); a locked SQLite database counts as neither."""
        ran = 0
        while self.running and ran < BATCH_SIZE:
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                break
            close_old_connections()
            try:
                task_result = self.claim_next()
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                # Another process holds the write lock; try again after the sleep.
                return ran, False
            if task_result is None:
                return ran, True
            self.run_task(task_result)
            ran += 1
        return ran, False

    def claim_next(self) -> Any:
        """Lock and claim the next ready task for this worker (None when there is none)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        return task_result


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background-task worker: SLA timers, reminders, bulk jobs and scheduled "
        "reports queued in the database, and the periodic jobs between batches of tasks. "
        "Run one or more next to `trellis serve`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # The upstream command builds its `Worker` by name from its module; pointing that
        # name at ClockedWorker for this call keeps every option and signal the same.
        upstream = db_worker.Worker
        db_worker.Worker = ClockedWorker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = upstream
