"""Saved reports (issue 5, part 2). Dashboard figures keep no tables: they are computed on
request from the domain apps' records through `access.visible` (see `selectors`). A saved
report is a securable record, so it is owned, read and shared through the normal rules;
each run (on demand or on its schedule) may keep its result as a `ReportRun`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trellis.access.models import SecurableModel


class Schedule(models.TextChoices):
    NONE = "none", _("Not scheduled")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class DeliverTo(models.TextChoices):
    NOTIFICATION = "notification", _("Notification")
    EMAIL = "email", _("Notification and e-mail")


class SavedReport(SecurableModel):
    """A report definition: an entity, up to two group fields, measures, an optional time
    bucket over a date field, and the dashboard filters (period, unit, team, owner)."""

    access_entity = "report"
    hierarchy_visibility = False

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    entity = models.CharField(_("entity"), max_length=20)
    group_by = models.JSONField(_("group by"), default=list, blank=True)
    measures = models.JSONField(_("measures"), default=list, blank=True)
    bucket = models.CharField(_("time bucket"), max_length=10, blank=True, default="")
    date_field = models.CharField(_("date field"), max_length=40, default="created_at")
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    schedule = models.CharField(
        _("schedule"), max_length=10, choices=Schedule.choices, default=Schedule.NONE
    )
    schedule_time = models.TimeField(_("time of day"), default=dt.time(7, 0))
    deliver_to = models.CharField(
        _("deliver to"), max_length=15, choices=DeliverTo.choices, default=DeliverTo.NOTIFICATION
    )
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta(SecurableModel.Meta):
        ordering = ["name", "id"]
        indexes = [
            *SecurableModel.Meta.indexes,
            models.Index(fields=["next_run_at"], name="report_next_run_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ReportRun(models.Model):
    """One stored result of a saved report, computed over what `run_as` could read at
    `created_at`. Whoever may read the report may read its runs."""

    report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="runs")
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    columns = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    csv = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report} @ {self.created_at:%Y-%m-%d %H:%M}"
