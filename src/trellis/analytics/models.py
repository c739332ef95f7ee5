"""Saved reports (issue 5, part 2) and the dashboard rollups. Dashboard figures are
computed on request over what the viewer may read (see `selectors`); the most costly ones
read counts kept per owner, owning unit and dimension (`OpportunityRollup`, `CaseRollup`,
kept exact by database triggers, see `rollups` and `totals`). A saved report is a
securable record, so it is owned, read and shared through the normal rules; each run (on
demand or on its schedule) may keep its result as a `ReportRun`."""

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
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
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
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report} @ {self.created_at:%Y-%m-%d %H:%M}"


# Rollups ------------------------------------------------------------------------------
# Counts and sums of opportunities and cases keyed by the columns that decide access
# (owner user, owner team, owning unit; 0 stands for "none") and the dimensions the
# dashboards group and filter by. Database triggers (trellis.analytics.rollups) keep them
# exact in the same transaction as every write; `trellis analytics_rebuild` rebuilds them.
# `month` is the local calendar month (yyyymm) of the date a figure filters on, 0 when the
# figure is a snapshot of now (open pipeline, open cases).


class OpportunityRollup(models.Model):
    """Opportunities per owner, owning unit, stage and month closed (0: not closed)."""

    owner_user_id = models.IntegerField()
    owner_team_id = models.IntegerField()
    owning_unit_id = models.IntegerField()
    stage = models.CharField(max_length=20)
    month = models.IntegerField()
    n = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    weighted = models.DecimalField(max_digits=28, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_user_id", "owner_team_id", "owning_unit_id", "stage", "month"],
                name="analytics_opp_rollup_key",
            )
        ]
        indexes = [
            models.Index(fields=["month", "owning_unit_id"], name="analytics_opp_rollup_month"),
            # One per access key, so a reader's "owner OR team OR unit" is a BitmapOr.
            models.Index(fields=["owning_unit_id", "month"], name="analytics_opp_rollup_unit"),
            models.Index(fields=["owner_team_id", "month"], name="analytics_opp_rollup_team"),
        ]


class CaseFact(models.TextChoices):
    OPEN = "open", "open"  # open now, by priority
    DONE = "done", "done"  # resolved (or resolved and closed), by priority and month resolved
    NEW = "new", "new"  # every case, by type, product (feedback types) and month created
    RATED = "rated", "rated"  # resolved with a satisfaction score, by day resolved (yyyymmdd)


class CaseRollup(models.Model):
    """Cases per fact, owner, owning unit, priority/type/product and month. Durations are
    summed in microseconds from the case's creation."""

    fact = models.CharField(max_length=5, choices=CaseFact.choices)
    owner_user_id = models.IntegerField()
    owner_team_id = models.IntegerField()
    owning_unit_id = models.IntegerField()
    priority = models.CharField(max_length=20)
    type = models.CharField(max_length=20)
    product = models.CharField(max_length=200)
    month = models.IntegerField()
    n = models.BigIntegerField(default=0)
    breached = models.BigIntegerField(default=0)
    first_response_n = models.BigIntegerField(default=0)
    first_response_us = models.BigIntegerField(default=0)
    resolution_us = models.BigIntegerField(default=0)
    satisfaction_n = models.BigIntegerField(default=0)
    satisfaction_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "fact",
                    "owner_user_id",
                    "owner_team_id",
                    "owning_unit_id",
                    "priority",
                    "type",
                    "product",
                    "month",
                ],
                name="analytics_case_rollup_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["fact", "month", "owning_unit_id"], name="analytics_case_rollup_month"
            ),
            # One per access key, so a reader's "owner OR team OR unit" is a BitmapOr.
            models.Index(
                fields=["fact", "owning_unit_id", "month"], name="analytics_case_rollup_unit"
            ),
            models.Index(
                fields=["fact", "owner_team_id", "month"], name="analytics_case_rollup_team"
            ),
        ]


class LeadRollup(models.Model):
    """Leads per owner, owning unit, campaign (0: none), source, status and local month
    created."""

    owner_user_id = models.IntegerField()
    owner_team_id = models.IntegerField()
    owning_unit_id = models.IntegerField()
    campaign_id = models.IntegerField()
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    month = models.IntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "owner_user_id",
                    "owner_team_id",
                    "owning_unit_id",
                    "campaign_id",
                    "source",
                    "status",
                    "month",
                ],
                name="analytics_lead_rollup_key",
            )
        ]
        indexes = [
            models.Index(fields=["month", "owning_unit_id"], name="analytics_lead_rollup_month"),
            models.Index(fields=["owning_unit_id", "month"], name="analytics_lead_rollup_unit"),
            models.Index(fields=["owner_team_id", "month"], name="analytics_lead_rollup_team"),
        ]


class RollupState(models.Model):
    """One row: the time zone the rollups' months were computed in. A dashboard reads
    rollups only when it matches `settings.TIME_ZONE` (else it counts raw records)."""

    time_zone = models.CharField(max_length=64)
    rebuilt_at = models.DateTimeField(null=True)
