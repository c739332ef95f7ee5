"""Jobs the worker runs on a clock: SLA checks, activity reminders, scheduled reports.

An app registers a job in its `AppConfig.ready()`:

    from trellis.core import periodic
    periodic.every(60, "sla.check", sla_check)

`trellis worker` calls `run_due()` between task batches. Several workers on several
machines may run the same job at about the same time, so every job must be idempotent
(lock its rows with `select_for_update(skip_locked=True)` or write under a unique key).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    seconds: float
    func: Callable[[], Any]
    last_run: float = field(default=0.0)


_JOBS: dict[str, Job] = {}


def every(seconds: float, name: str, func: Callable[[], Any]) -> None:
    """Run `func()` every `seconds` in each worker (registering a name again replaces it)."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    _JOBS[name] = Job(name=name, seconds=seconds, func=func)


def jobs() -> list[Job]:
    return sorted(_JOBS.values(), key=lambda job: job.name)


def _run(job: Job, now: float) -> bool:
    """Run one job; False (and the error logged) when it raised."""
    job.last_run = now
    try:
        job.func()
    except Exception:
        logger.exception("periodic job %s failed", job.name)
        return False
    return True


def run_due(now: float | None = None) -> list[str]:
    """Run every job whose interval has passed; return their names. A job that raises is
    logged and retried at its next interval, so one bad job cannot stop the others."""
    now = time.monotonic() if now is None else now
    ran = []
    for job in jobs():
        if job.last_run and now - job.last_run < job.seconds:
            continue
        _run(job, now)
        ran.append(job.name)
    return ran


def run_once(names: list[str] | None = None) -> dict[str, bool]:
    """Run the named jobs (all when None) now, whatever their interval, as `trellis tick`
    does for cron. Returns each job's name with whether it succeeded."""
    now = time.monotonic()
    chosen = [job for job in jobs() if names is None or job.name in names]
    return {job.name: _run(job, now) for job in chosen}
