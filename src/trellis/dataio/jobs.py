"""Imports uploaded through the API or the web, as `ImportJob`s.

A file of at most `INLINE_ROWS` rows is imported during the request (the caller gets
the report at once, as before jobs existed). A longer one is stored on its job and
imported by the worker (`trellis worker`, the Django tasks queue) once the upload's
transaction commits; the job's counts follow the rows as they are read, so the page
and the API can show progress. Either way the job keeps the report, for its creator.

The import itself is `services.import_rows`, with the same rules, modes and report as
`trellis import` (the CLI runs in the foreground and prints its own progress).
"""

from __future__ import annotations

import io
import logging
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.core.errors import Forbidden, TrellisError
from trellis.dataio.entities import entity_spec
from trellis.dataio.files import format_of, read_table
from trellis.dataio.models import ImportJob, JobStatus
from trellis.dataio.services import BATCH_SIZE, ImportReport, column_mapping, import_rows
from trellis.org.models import User
from trellis.org.selectors import has_privilege

logger = logging.getLogger(__name__)

# Files with at most this many rows (below the header) are imported during the request.
INLINE_ROWS = 1000
# The worker writes the job's counts at most this often (seconds), between batches of
# BATCH_ROWS rows.
PROGRESS_SECONDS = 0.5
BATCH_ROWS = BATCH_SIZE
UNEXPECTED = "the import stopped on an unexpected error; the worker's log has the details"


def import_start(
    actor: User,
    *,
    entity: str,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    atomic: bool = False,
) -> ImportJob:
    """Check an uploaded file and start its import: at once when it is short (the job
    comes back done), else queued for the worker (it comes back queued).

    Raises Forbidden without the import privilege and InvalidInput (naming `entity`,
    `file` or `mapping`) for what would stop the whole import, before any job exists."""
    spec = entity_spec(entity)
    if not has_privilege(actor, "import"):
        raise Forbidden("you may not import: your roles lack the import privilege")
    headers, rows = read_table(io.BytesIO(data), format_of(filename))
    column_mapping(spec, headers, mapping)
    counted = sum(1 for _row in islice(rows, INLINE_ROWS + 1))
    inline = counted <= INLINE_ROWS
    now = timezone.now()
    job = ImportJob.objects.create(
        entity=spec.name,
        filename=filename[:255],
        content=b"" if inline else data,
        size=len(data),
        options={"mapping": mapping or {}, "dry_run": dry_run, "atomic": atomic},
        rows_total=counted if inline else None,
        status=JobStatus.RUNNING if inline else JobStatus.QUEUED,
        created_by=actor,
        created_at=now,
        started_at=now if inline else None,
    )
    if inline:
        _run(job, data, raise_errors=True)
    else:
        pk = job.pk
        transaction.on_commit(lambda: _enqueue(pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    from trellis.dataio.tasks import run_import_job

    run_import_job.enqueue(job_id)


def _claim(job_id: int) -> bool:
    """Mark a queued job running; False when another run has it (a task run twice)."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=timezone.now()
        )
    )


def import_job_run(job_id: int) -> str:
    """Run a queued job (the worker's task); returns the job's final status. A job that
    is gone, or already taken by another run, is left alone."""
    if not _claim(job_id):
        return "skipped"
    job = ImportJob.objects.select_related("created_by", "created_by__unit").get(pk=job_id)
    return _run(job, bytes(job.content))


def _run(job: ImportJob, data: bytes, *, raise_errors: bool = False) -> str:
    """Import `data` for the job and record the outcome on it. A bad file or missing
    rights fail the job with a message; with `raise_errors` (an import during the
    request) the TrellisError is raised too, for the caller to answer 4xx."""
    actor = job.created_by
    options = job.options or {}
    fmt = format_of(job.filename)
    seen = {"at": 0.0, "blank": 0}

    def progress(report: ImportReport) -> None:
        # While the rows stream, `skipped` counts the blank lines (at the end it counts
        # every row not written).
        seen["blank"] = report.skipped
        now = timezone.now().timestamp()
        if now - seen["at"] >= PROGRESS_SECONDS:
            seen["at"] = now
            ImportJob.objects.filter(pk=job.pk).update(**_counts(report, report.skipped))

    outcome: dict[str, Any] = {}
    failure: TrellisError | None = None
    try:
        if not actor.is_active:
            raise Forbidden("the user who uploaded the file is deactivated")
        if job.rows_total is None:
            _headers, rows = read_table(io.BytesIO(data), fmt)
            job.rows_total = sum(1 for _row in rows)
            ImportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
        headers, rows = read_table(io.BytesIO(data), fmt)
        report = import_rows(
            actor,
            entity=job.entity,
            headers=headers,
            rows=rows,
            mapping=options.get("mapping") or {},
            dry_run=bool(options.get("dry_run")),
            atomic=bool(options.get("atomic")),
            source=job.filename,
            batch_size=BATCH_ROWS,
            progress=progress,
        )
    except TrellisError as exc:
        outcome = {"status": JobStatus.FAILED, "error": _message(exc)}
        failure = exc
    except Exception:
        logger.exception("import job %s failed", job.pk)
        outcome = {"status": JobStatus.FAILED, "error": UNEXPECTED}
    else:
        outcome = {
            "status": JobStatus.DONE,
            **_counts(report, seen["blank"]),
            "created": report.created,
            "updated": report.updated,
            "report": {**report.as_dict(), "error_rows": report.error_rows},
        }
    outcome.update(content=b"", finished_at=timezone.now())
    ImportJob.objects.filter(pk=job.pk).update(**outcome)
    for name, value in outcome.items():
        setattr(job, name, value)
    if failure is not None and raise_errors:
        raise failure
    return str(job.status)


def _counts(report: ImportReport, blank: int) -> dict[str, int]:
    return {
        "rows_done": report.rows,
        "rows_bad": report.error_rows,
        "rows_good": max(0, report.rows - report.error_rows - blank),
    }


def _message(exc: TrellisError) -> str:
    if exc.errors:
        return "; ".join(
            f"{field}: {message}" if field else message for field, message in exc.errors
        )
    return exc.detail
