"""REST API of the dashboards: /api/v1/analytics/... (JSON, and CSV with `format=csv`)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from trellis.analytics import selectors, services
from trellis.api.common import ERRORS, Input, Page, if_match, paginate
from trellis.api.records import add_record_routes, body_team, body_user
from trellis.core.errors import InvalidInput

router = Router(tags=["analytics"])


class DashboardQuery(Input):
    period: str | None = None
    start: str | None = None
    end: str | None = None
    unit_id: str | None = None
    team_id: str | None = None
    owner_user_id: str | None = None
    hours: str | None = None
    format: str = "json"


class DrillQuery(DashboardQuery):
    stage: str | None = None
    status: str | None = None
    priority: str | None = None
    type: str | None = None
    source: str | None = None
    product: str | None = None
    owner: str | None = None
    team: str | None = None
    campaign: str | None = None
    account: str | None = None
    job_class: str | None = None
    activity_kind: str | None = None
    unit: str | None = None
    limit: int = 50
    cursor: str | None = None


class DashboardRef(Schema):
    kind: str
    title: str


class DashboardList(Schema):
    items: list[DashboardRef]
    default: str


class RecordOut(Schema):
    id: int
    entity: str
    label: str
    owner_user_id: int | None
    owner_team_id: int | None
    owning_unit_id: int
    created_at: Any


def _plain(value: Any) -> Any:
    """JSON-ready: money and other decimals as strings (REST conventions)."""
    if isinstance(value, Decimal):
        return str(value)
    return value


def _drill_path(kind: str, drill: dict[str, Any] | None) -> dict[str, Any] | None:
    if not drill:
        return None
    criteria = {k: str(v) for k, v in drill.items() if k != "figure"}
    return {
        "figure": drill["figure"],
        "criteria": criteria,
        "path": f"/api/v1/analytics/dashboards/{kind}/records/{drill['figure']}",
    }


def figure_json(kind: str, figure: selectors.Figure) -> dict[str, Any]:
    keys = [key for key, _label in figure.columns]
    rows = []
    for row in figure.rows:
        out = {key: _plain(row.get(key)) for key in keys}
        if row.get("_drill"):
            out["drill"] = _drill_path(kind, row["_drill"])
        if row.get("_record"):
            entity, pk = row["_record"]
            out["record"] = {"entity": entity, "id": pk}
        rows.append(out)
    return {
        "key": figure.key,
        "title": str(figure.title),
        "chart": figure.chart,
        "columns": [{"key": key, "label": str(label)} for key, label in figure.columns],
        "label": figure.label,
        "values": figure.values,
        "note": str(figure.note),
        "rows": rows,
    }


def dashboard_csv(board: selectors.Dashboard) -> str:
    """One long table: figure, row label, column, value (every figure fits this shape)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "title", "row", "column", "value"])
    for figure in board.figures:
        for row in figure.rows:
            for key, label in figure.columns:
                if key == figure.label:
                    continue
                value = row.get(key)
                writer.writerow(
                    [
                        figure.key,
                        str(figure.title),
                        row.get(figure.label),
                        str(label) or key,
                        "" if value is None else _plain(value),
                    ]
                )
    return out.getvalue()


def _format(value: str) -> str:
    if value not in ("json", "csv"):
        raise InvalidInput.field("format", "must be json or csv")
    return value


def _filters(query: DashboardQuery) -> selectors.Filters:
    return selectors.parse_filters(query.dict(exclude_none=True))


@router.get("/analytics/dashboards", response={200: DashboardList, **ERRORS})
def list_dashboards(request: HttpRequest) -> dict:
    """The dashboards the caller's roles lead to, the default first."""
    kinds = selectors.dashboards_for(request.auth)
    return {
        "items": [{"kind": k, "title": str(selectors.DASHBOARDS[k])} for k in kinds],
        "default": kinds[0],
    }


@router.get("/analytics/dashboards/{kind}", response={200: dict, **ERRORS})
def get_dashboard(request: HttpRequest, kind: str, query: Query[DashboardQuery]) -> Any:
    """Every figure of one dashboard over what the caller may read; `format=csv` answers
    the same figures as CSV."""
    fmt = _format(query.format)
    board = selectors.dashboard(request.auth, kind, _filters(query))
    if fmt == "csv":
        return _csv_response(board, f"dashboard-{kind}")
    return {
        "kind": board.kind,
        "title": str(board.title),
        "filters": board.filters.as_dict(),
        "figures": [figure_json(kind, figure) for figure in board.figures],
    }


@router.get(
    "/analytics/dashboards/{kind}/records/{figure}", response={200: Page[RecordOut], **ERRORS}
)
def drill_down(request: HttpRequest, kind: str, figure: str, query: Query[DrillQuery]) -> dict:
    """The records behind a figure's row (only records the caller may read)."""
    params = query.dict(exclude_none=True)
    qs = selectors.drill(request.auth, kind, figure, _filters(query), params)
    page = paginate(
        qs, limit=query.limit, cursor=query.cursor, order="-created_at", allowed=("created_at",)
    )
    entity = qs.model.access_entity
    page["items"] = [
        {
            "id": record.pk,
            "entity": entity,
            "label": str(record),
            "owner_user_id": record.owner_user_id,
            "owner_team_id": record.owner_team_id,
            "owning_unit_id": record.owning_unit_id,
            "created_at": record.created_at,
        }
        for record in page["items"]
    ]
    return page


class ReportQuery(DashboardQuery):
    entity: str = ""
    group_by: list[str] = []
    measure: list[str] = []
    bucket: str | None = None
    date_field: str | None = None


def _csv_response(board: selectors.Dashboard, name: str) -> HttpResponse:
    response = HttpResponse(dashboard_csv(board), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@router.get("/analytics/report", response={200: dict, **ERRORS})
def run_report(request: HttpRequest, query: Query[ReportQuery]) -> Any:
    """An ad-hoc report: `entity`, up to two `group_by`, `measure` (count, sum:amount,
    avg:satisfaction, ...), an optional time `bucket` over `date_field`, and the dashboard
    filters. Needs the `view_reports` privilege; counts only records the caller may read."""
    fmt = _format(query.format)
    figure = selectors.report(request.auth, query.dict(exclude_none=True))
    board = selectors.Dashboard("report", figure.title, _filters(query), [figure])
    if fmt == "csv":
        return _csv_response(board, f"report-{query.entity}")
    return figure_json("report", figure) | {"filters": board.filters.as_dict()}


# Saved reports: /api/v1/reports -------------------------------------------------------


class SavedReportIn(Input):
    name: str
    description: str = ""
    entity: str
    group_by: list[str] = []
    measures: list[str] = ["count"]
    bucket: str = ""
    date_field: str = "created_at"
    filters: dict[str, Any] = {}
    schedule: str = "none"
    schedule_time: str = "07:00"
    deliver_to: str = "notification"
    owner_user_id: int | None = None
    owner_team_id: int | None = None


class SavedReportPatch(Input):
    name: str | None = None
    description: str | None = None
    entity: str | None = None
    group_by: list[str] | None = None
    measures: list[str] | None = None
    bucket: str | None = None
    date_field: str | None = None
    filters: dict[str, Any] | None = None
    schedule: str | None = None
    schedule_time: str | None = None
    deliver_to: str | None = None


class SavedReportOut(Schema):
    id: int
    name: str
    description: str
    entity: str
    group_by: list[str]
    measures: list[str]
    bucket: str
    date_field: str
    filters: dict[str, Any]
    schedule: str
    schedule_time: Any
    deliver_to: str
    next_run_at: Any
    last_run_at: Any
    owner_user_id: int | None
    owner_team_id: int | None
    owning_unit_id: int
    created_at: Any
    modified_at: Any
    version: int


class ReportListQuery(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "name"
    count: bool = False
    mine: bool = False


class Column(Schema):
    key: str
    label: str


class ReportRunOut(Schema):
    id: int | None
    report_id: int
    run_as_id: int | None
    scheduled: bool
    created_at: Any
    columns: list[Column]
    rows: list[dict[str, Any]]


class RunIn(Input):
    store: bool = False


@router.get("/reports", response={200: Page[SavedReportOut], **ERRORS})
def list_reports(request: HttpRequest, query: Query[ReportListQuery]) -> dict:
    """Saved reports the caller may read (own, shared with them, within their report
    depth); `mine=true` keeps only their own."""
    qs = selectors.saved_report_list(request.user)
    if query.mine:
        qs = qs.filter(owner_user_id=request.user.pk)
    return paginate(
        qs,
        limit=query.limit,
        cursor=query.cursor,
        order=query.order,
        count=query.count,
        allowed=("name", "modified_at", "created_at", "id"),
    )


@router.post("/reports", response={201: SavedReportOut, **ERRORS})
def create_report(request: HttpRequest, payload: SavedReportIn) -> Status:
    """Save a report definition (needs `view_reports`); the definition is checked like
    the ad-hoc builder's, and a `schedule` other than none sets `next_run_at`."""
    data = payload.dict()
    report = services.report_create(
        request.user,
        owner_user=body_user(data.pop("owner_user_id"), "owner_user_id"),
        owner_team=body_team(data.pop("owner_team_id"), "owner_team_id"),
        **data,
    )
    return Status(201, report)


@router.get("/reports/{report_id}", response={200: SavedReportOut, **ERRORS})
def get_report(request: HttpRequest, report_id: int) -> Any:
    return selectors.saved_report_get(request.user, report_id)


@router.patch("/reports/{report_id}", response={200: SavedReportOut, **ERRORS})
def update_report(request: HttpRequest, report_id: int, payload: SavedReportPatch) -> Any:
    """Send If-Match: <version>; a stale version answers 412."""
    data = payload.dict(exclude_unset=True)
    for name, value in data.items():
        if value is None:
            raise InvalidInput.field(name, "cannot be cleared")
    report = selectors.saved_report_get(request.user, report_id)
    return services.report_update(request.user, report=report, version=if_match(request), **data)


@router.delete("/reports/{report_id}", response={204: None, **ERRORS})
def delete_report(request: HttpRequest, report_id: int) -> Status:
    services.report_delete(request.user, report=selectors.saved_report_get(request.user, report_id))
    return Status(204, None)


def _run_out(run: Any) -> dict[str, Any]:
    return {
        "id": run.pk,
        "report_id": run.report_id,
        "run_as_id": run.run_as_id,
        "scheduled": run.scheduled,
        "created_at": run.created_at,
        "columns": run.columns,
        "rows": run.rows,
    }


@router.post("/reports/{report_id}/run", response={200: ReportRunOut, **ERRORS})
def run_saved_report(request: HttpRequest, report_id: int, payload: RunIn | None = None) -> dict:
    """Run the report over what the caller may read and answer its rows; `store=true`
    keeps the result (listed under `runs`)."""
    report = selectors.saved_report_get(request.user, report_id)
    store = bool(payload and payload.store)
    return _run_out(services.report_run(request.user, report=report, store=store))


@router.get("/reports/{report_id}/runs", response={200: list[ReportRunOut], **ERRORS})
def list_report_runs(request: HttpRequest, report_id: int) -> list:
    """Stored results (scheduled or kept runs), newest first."""
    report = selectors.saved_report_get(request.user, report_id)
    return [_run_out(run) for run in selectors.report_run_list(request.user, report)[:50]]


@router.get("/reports/{report_id}/runs/{run_id}", response={200: ReportRunOut, **ERRORS})
def get_report_run(request: HttpRequest, report_id: int, run_id: int) -> dict:
    return _run_out(selectors.report_run_get(request.user, report_id, run_id))


@router.get("/reports/{report_id}/export.{fmt}", response={200: None, **ERRORS})
def export_report(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    """The report's rows, run now over what the caller reads, as `csv` or `xlsx`; needs
    read on the report and the `export` privilege."""
    report = selectors.saved_report_get(request.user, report_id)
    content, content_type = services.report_export(request.user, report=report, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.{fmt}"'
    return response


add_record_routes(
    router,
    resource="reports",
    entity="report",
    get=selectors.saved_report_get,
    out=SavedReportOut,
)
