"""Background tasks of the dataio app (run by `trellis worker`)."""

from __future__ import annotations

from django_tasks import task

from trellis.dataio.jobs import import_job_run


@task()
def run_import_job(job_id: int) -> str:
    """Import the file of a queued import job (queued when its upload commits)."""
    return import_job_run(job_id)
