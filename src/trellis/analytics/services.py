"""Writes of the analytics app: saved reports (create, update, delete, run) and the
periodic job that runs scheduled reports as their owners and delivers the results."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from trellis.access import can
from trellis.access.services import owner_fields, require
from trellis.analytics import selectors
from trellis.analytics.models import DeliverTo, ReportRun, SavedReport, Schedule
from trellis.audit.services import audit_record
from trellis.core.errors import Forbidden, InvalidInput, TrellisError
from trellis.core.fields import diff
from trellis.core.fields import snapshot as _record_snapshot
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.org.models import User
from trellis.org.roles import NONE
from trellis.org.selectors import privilege_depth
from trellis.org.services import check_version

logger = logging.getLogger(__name__)

DEFINITION_FIELDS = ("entity", "group_by", "measures", "bucket", "date_field", "filters")
REPORT_FIELDS = (
    "name",
    "description",
    *DEFINITION_FIELDS,
    "schedule",
    "schedule_time",
    "deliver_to",
)
RUN_KEEP = 20  # stored results kept per report; older ones are dropped


def snapshot(report: SavedReport) -> dict[str, Any]:
    """The audit snapshot, with the schedule time as text (JSON has no time type)."""
    out = _record_snapshot(report)
    out["schedule_time"] = report.schedule_time.isoformat(timespec="minutes")
    return out


def _require_reports(actor: User) -> None:
    if privilege_depth(actor, "view_reports") == NONE:
        raise Forbidden("saved reports need the view_reports privilege")


def _clean(report: SavedReport, fields: dict[str, Any]) -> None:
    """Copy `fields` onto `report`, checking each as the ad-hoc builder does."""
    unknown = set(fields) - set(REPORT_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput.field(name, "is not a report field")
    for key, value in fields.items():
        setattr(report, key, value)
    report.name = (report.name or "").strip()
    if not report.name:
        raise InvalidInput.field("name", "is required")
    if len(report.name) > 200:
        raise InvalidInput.field("name", "at most 200 characters")
    for name in ("group_by", "measures"):
        value = getattr(report, name)
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput.field(name, "must be a list of names")
        setattr(report, name, value)
    report.measures = report.measures or ["count"]
    spec = selectors.saved_report_spec(report)
    # Store the normalized definition (what the spec accepted), not the raw input.
    report.group_by, report.measures = list(spec.group_by), list(spec.measures)
    report.bucket, report.date_field = spec.bucket, spec.date_field
    if not isinstance(report.filters, dict):
        raise InvalidInput.field("filters", "must be an object")
    extra = set(report.filters) - set(selectors.FILTER_KEYS)
    if extra:
        raise InvalidInput.field("filters", f"unknown filter {sorted(extra)[0]!r}")
    report.filters = {k: str(v) for k, v in report.filters.items() if v not in (None, "")}
    selectors.parse_filters(report.filters)  # raises naming the bad filter
    if report.schedule not in Schedule.values:
        raise InvalidInput.field("schedule", f"must be one of {', '.join(Schedule.values)}")
    if report.deliver_to not in DeliverTo.values:
        raise InvalidInput.field("deliver_to", f"must be one of {', '.join(DeliverTo.values)}")
    if isinstance(report.schedule_time, str):
        try:
            report.schedule_time = dt.time.fromisoformat(report.schedule_time)
        except ValueError:
            raise InvalidInput.field("schedule_time", "must be a time such as 07:30") from None
    if not isinstance(report.schedule_time, dt.time):
        raise InvalidInput.field("schedule_time", "must be a time such as 07:30")


def next_run_at(report: SavedReport, after: dt.datetime) -> dt.datetime | None:
    """The first scheduled moment strictly after `after` (local time): daily at the time,
    weekly on Mondays, monthly on the 1st; None when the report is not scheduled."""
    if report.schedule == Schedule.NONE:
        return None
    local = timezone.localtime(after)
    day = local.date()
    while True:
        if report.schedule == Schedule.WEEKLY and day.weekday() != 0:
            day += dt.timedelta(days=7 - day.weekday())
        elif report.schedule == Schedule.MONTHLY and day.day != 1:
            year, month = divmod(day.month, 12)
            day = dt.date(day.year + year, month + 1, 1)
        candidate = timezone.make_aware(dt.datetime.combine(day, report.schedule_time))
        if candidate > after:
            return candidate
        day += dt.timedelta(days=1)


@transaction.atomic
def report_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Any = None,
    **fields: Any,
) -> SavedReport:
    """Save a report definition, owned by the actor unless another owner is given. Needs
    `view_reports` and create on reports."""
    _require_reports(actor)
    if owner_user is None and owner_team is None:
        owner_user = actor
    report = SavedReport(
        **owner_fields(owner_user, owner_team), created_by=actor, modified_by=actor
    )
    _clean(report, {"filters": {}, **fields})
    if not can(actor, "create", report):
        raise Forbidden("you may not create reports")
    if report.owner_user_id != actor.pk and not can(actor, "assign", report):
        raise Forbidden(
            "you may not create reports owned by someone else",
            [("owner_user_id", "you lack assign rights for this owner")],
        )
    report.next_run_at = next_run_at(report, timezone.now())
    report.save()
    audit_record(actor, "create", report, changes=snapshot(report))
    return report


@transaction.atomic
def report_update(
    actor: User, *, report: SavedReport, version: int | None = None, **fields: Any
) -> SavedReport:
    """Change a report (needs write on it and `view_reports`); `version` guards against
    lost updates. Changing the schedule recomputes the next run."""
    report = SavedReport.objects.select_for_update().get(pk=report.pk)
    require(actor, "write", report)
    _require_reports(actor)
    check_version(report, version)
    before = snapshot(report)
    _clean(report, fields)
    if {"schedule", "schedule_time"} & set(fields):
        report.next_run_at = next_run_at(report, timezone.now())
    report.version += 1
    report.modified_at = timezone.now()
    report.modified_by = actor
    report.save()
    audit_record(actor, "update", report, changes=diff(before, snapshot(report)))
    return report


@transaction.atomic
def report_delete(actor: User, *, report: SavedReport) -> None:
    """Remove a report and its stored results (needs delete on it)."""
    require(actor, "delete", report)
    pk, fields = report.pk, snapshot(report)
    report.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="report",
        object_id=pk,
        object_repr=str(report),
        changes=fields,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)


def result_csv(columns: list[dict[str, str]], rows: list[dict[str, Any]]) -> str:
    """A report result as CSV: a header of column labels, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column["label"] for column in columns])
    for row in rows:
        writer.writerow(["" if row.get(c["key"]) is None else row.get(c["key"]) for c in columns])
    return out.getvalue()


def compute(actor: User, report: SavedReport) -> tuple[list[dict], list[dict]]:
    """(columns, rows) of `report` computed over what `actor` reads (no access check on
    the report itself: callers do that)."""
    figure = selectors.run_report(
        actor, selectors.saved_report_spec(report), selectors.parse_filters(report.filters)
    )
    columns = [{"key": key, "label": str(label)} for key, label in figure.columns]
    rows = [{c["key"]: _plain(row.get(c["key"])) for c in columns} for row in figure.rows]
    return columns, rows


@transaction.atomic
def report_run(actor: User, *, report: SavedReport, store: bool = False) -> ReportRun:
    """Run a saved report over what the *actor* may read. Needs read on the report (a
    report shared with someone may be run by them: the figures only count what they read
    themselves). With `store` the result is kept as a `ReportRun` (and audited);
    otherwise an unsaved `ReportRun` carries it."""
    require(actor, "read", report)
    columns, rows = compute(actor, report)
    run = ReportRun(report=report, run_as=actor, columns=columns, rows=rows)
    if store:
        run.csv = result_csv(columns, rows)
        run.save()
        _prune(report)
        audit_record(actor, "run", report, changes={"run_id": run.pk, "rows": len(rows)})
    return run


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_export(actor: User, *, report: SavedReport, fmt: str) -> tuple[bytes, str]:
    """The report run now over what the actor reads, as CSV or XLSX bytes with their
    content type. Needs read on the report and the `export` privilege; audited."""
    if fmt not in EXPORT_TYPES:
        raise InvalidInput.field("format", "must be csv or xlsx")
    require(actor, "read", report)
    if privilege_depth(actor, "export") == NONE:
        raise Forbidden("exporting needs the export privilege")
    columns, rows = compute(actor, report)
    if fmt == "csv":
        content = result_csv(columns, rows).encode("utf-8")
    else:
        from trellis.dataio.files import write_xlsx

        target = io.BytesIO()
        write_xlsx(
            [c["label"] for c in columns],
            ([row.get(c["key"]) for c in columns] for row in rows),
            target,
        )
        content = target.getvalue()
    with transaction.atomic():
        audit_record(actor, "export", report, changes={"format": fmt, "rows": len(rows)})
    return content, EXPORT_TYPES[fmt]


def _prune(report: SavedReport) -> None:
    old = list(report.runs.order_by("-created_at", "-id").values_list("pk", flat=True)[RUN_KEEP:])
    if old:
        ReportRun.objects.filter(pk__in=old).delete()


def _run_as(report: SavedReport) -> User | None:
    """Scheduled runs act as the owner, so results follow the owner's access; a report
    owned by a team runs as the person who created it."""
    return report.owner_user if report.owner_user_id else report.created_by


def reports_run_due(now: dt.datetime | None = None) -> int:
    """Run every scheduled report whose time has come, each once, and tell its owner.

    Safe with several workers: each report is claimed with `SELECT ... FOR UPDATE SKIP
    LOCKED` and its `next_run_at` advanced in the same transaction as the run, so a
    report is delivered once per due time. Returns how many reports were run."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            report = (
                SavedReport.objects.select_for_update(skip_locked=True)
                .filter(next_run_at__lte=now)
                .exclude(schedule=Schedule.NONE)
                .order_by("next_run_at", "id")
                .first()
            )
            if report is None:
                return done
            report.next_run_at = next_run_at(report, now)
            report.last_run_at = now
            report.save(update_fields=["next_run_at", "last_run_at"])
            owner = _run_as(report)
            if owner is None or not owner.is_active:
                continue
            try:
                with transaction.atomic():
                    columns, rows = compute(owner, report)
            except TrellisError:
                # A definition that no longer holds (a deleted unit in its filters) must
                # not block the other reports; it is skipped until its next time.
                logger.exception("scheduled report %s could not run", report.pk)
                continue
            run = ReportRun.objects.create(
                report=report,
                run_as=owner,
                scheduled=True,
                columns=columns,
                rows=rows,
                csv=result_csv(columns, rows),
            )
            _prune(report)
            audit_record(None, "run", report, changes={"run_id": run.pk, "rows": len(rows)})
            notify(
                owner,
                kind=Kind.REPORT,
                title=f"Report “{report.name}” is ready ({len(rows)} rows)",
                body=result_csv(columns, rows[:20]),
                url=reverse("web:analytics_report_run", args=[report.pk, run.pk]),
                record=report,
            )
        done += 1
