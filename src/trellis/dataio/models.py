"""Import jobs: an import uploaded through the API or the web, run by the worker when the
file is long, with its progress and its report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class ImportJob(models.Model):
    """One import of one file. Only its creator sees it (`dataio.selectors`).

    The file is kept in `content` until the job has run (the worker may run on another
    machine than the web process that received it), then emptied. The counts follow the
    rows as they are read: `rows_done` of `rows_total`, `rows_bad` of them reported;
    `report` is the full report once done (`ImportReport.as_dict()` plus the bad-row
    count), `error` why a failed job stopped."""

    entity = models.CharField(_("records"), max_length=40)
    filename = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(default=b"", editable=False)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    options = models.JSONField(default=dict, blank=True)  # mapping, dry_run, atomic
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    rows_good = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_at = models.DateTimeField(_("uploaded"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_mine_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.filename}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        """How far the job is, 0-100 (by rows read; 100 once finished)."""
        if self.finished:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
