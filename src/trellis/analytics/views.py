"""Dashboard pages: the home page (the dashboard of the viewer's role, with a switcher and
filters) and the drill-down list behind each figure."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from trellis.analytics import selectors
from trellis.core.errors import Forbidden, InvalidInput
from trellis.web.pagination import keyset_page
from trellis.web.selectors import home_summary

PER_PAGE = 50


def _link(name: str, pk: int) -> str | None:
    try:
        return reverse(f"web:{name}_detail", args=[pk])
    except NoReverseMatch:
        return None


def _decorate(board: selectors.Dashboard) -> None:
    """Give each row the link to the records behind it (or to the record it is)."""
    query = board.filters.query()
    for figure in board.figures:
        for row in figure.rows:
            drill = row.get("_drill")
            record = row.get("_record")
            if drill:
                criteria = {k: v for k, v in drill.items() if k != "figure"}
                url = reverse("web:analytics_records", args=[board.kind, drill["figure"]])
                row["_href"] = f"{url}?{urlencode(query | criteria)}"
            elif record:
                row["_href"] = _link(*record)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The home page: the dashboard chosen with `?dashboard=` or the viewer's default."""
    kinds = selectors.dashboards_for(request.user)
    kind = request.GET.get("dashboard") or kinds[0]
    context: dict[str, Any] = {
        "kinds": [(k, selectors.DASHBOARDS[k]) for k in kinds],
        "kind": kind,
        "personal": kind in selectors.PERSONAL,
        "params": request.GET,
        "summary": home_summary(request.user),
        "periods": selectors.PERIODS,
        **selectors.filter_choices(request.user),
    }
    try:
        filters = selectors.parse_filters(request.GET)
        board = selectors.dashboard(request.user, kind, filters)
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "analytics/dashboard.html", context, status=400)
    _decorate(board)
    context.update(
        board=board,
        filters=filters,
        query=urlencode(filters.query()),
        api_path=f"/api/v1/analytics/dashboards/{kind}",
    )
    return render(request, "analytics/dashboard.html", context)


def _summary(record: Any) -> str:
    """A few words about a drilled record beside its name."""
    parts = []
    for name in ("stage", "status", "priority", "kind"):
        if hasattr(record, f"get_{name}_display"):
            parts.append(str(getattr(record, f"get_{name}_display")()))
    if getattr(record, "amount", None) is not None and hasattr(record, "currency"):
        parts.append(f"{record.amount:,.2f} {record.currency}")
    return " · ".join(parts)


@login_required
def records(request: HttpRequest, kind: str, figure: str) -> HttpResponse:
    """The records behind one figure row, newest first, only those the viewer may read."""
    try:
        filters = selectors.parse_filters(request.GET)
        qs = selectors.drill(request.user, kind, figure, filters, request.GET)
    except InvalidInput as exc:
        if any(field in ("figure", "dashboard") for field, _message in exc.errors):
            raise Http404(exc.detail) from exc
        return render(request, "analytics/records.html", {"error": exc}, status=400)
    page = keyset_page(qs, order="-created_at", cursor=request.GET.get("cursor"), per_page=PER_PAGE)
    entity = qs.model.access_entity
    rows = [
        {
            "record": record,
            "href": _link(entity, record.pk),
            "summary": _summary(record),
            "owner": record.owner_user or record.owner_team,
        }
        for record in page.items
    ]
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "analytics/records.html",
        {
            "rows": rows,
            "page": page,
            "entity": qs.model._meta.verbose_name_plural,
            "kind": kind,
            "filters": filters,
            "back": f"{reverse('web:home')}?{urlencode({'dashboard': kind} | filters.query())}",
            "params": params.urlencode(),
        },
    )


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The report builder: pick an entity, groups, measures and a time bucket; see the
    result drawn and as a table, and take it as CSV or JSON."""
    context: dict[str, Any] = {
        "entities": selectors.REPORT_ENTITIES,
        "ops": selectors.REPORT_OPS,
        "buckets": selectors.BUCKETS,
        "periods": selectors.PERIODS,
        "params": request.GET,
        "group_by": request.GET.getlist("group_by"),
        "measures": request.GET.getlist("measure"),
    }
    if not request.GET.get("entity"):
        return render(request, "analytics/report.html", context)
    try:
        figure = selectors.report(request.user, request.GET)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "analytics/report.html", context, status=400)
    context.update(figure=figure, query=request.GET.urlencode())
    return render(request, "analytics/report.html", context)
