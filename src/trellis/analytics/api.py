"""REST API of the dashboards: /api/v1/analytics/... (JSON, and CSV with `format=csv`)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from trellis.analytics import selectors
from trellis.api.common import ERRORS, Input, Page, paginate
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
