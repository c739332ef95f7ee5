"""Dashboard pages: the home page (the dashboard of the viewer's role, with a switcher and
filters) and the drill-down list behind each figure."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trellis.access import can
from trellis.analytics import selectors, services
from trellis.analytics.forms import SavedReportForm
from trellis.core.errors import Forbidden, InvalidInput, NotFound, TrellisError
from trellis.org.roles import NONE
from trellis.org.selectors import privilege_depth
from trellis.web.forms import add_service_error
from trellis.web.pagination import keyset_page
from trellis.web.records import RecordPages
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
        parts.append(f"{number_format(record.amount, 2, force_grouping=True)} {record.currency}")
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


# Saved reports ------------------------------------------------------------------------


def _report_or_404(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.saved_report_get(request.user, pk)
    except NotFound:
        raise Http404("No such report.") from None


def _render_report(request: HttpRequest, report: Any, *, status: int = 200, **forms: Any):
    context = REPORT_PAGES.context(request, report, **forms)
    context.update(
        report=report,
        runs=list(selectors.report_run_list(request.user, report)[:10]),
        may_export=privilege_depth(request.user, "export") != NONE,
    )
    return render(request, "analytics/saved_report_detail.html", context, status=status)


REPORT_PAGES = RecordPages(
    entity="report", get=selectors.saved_report_get, render_detail=_render_report
)


@login_required
@require_http_methods(["GET", "HEAD"])
def report_list(request: HttpRequest) -> HttpResponse:
    """The viewer's own reports, then those shared with them or within their reach."""
    reports = selectors.saved_report_list(request.user).order_by("name", "pk")
    mine = [r for r in reports if r.owner_user_id == request.user.pk]
    others = [r for r in reports if r.owner_user_id != request.user.pk]
    return render(
        request,
        "analytics/saved_report_list.html",
        {
            "mine": mine,
            "others": others,
            "may_create": privilege_depth(request.user, "view_reports") != NONE,
        },
    )


def _report_form(request: HttpRequest, report: Any | None) -> HttpResponse:
    initial = SavedReportForm.initial_from(report) if report is not None else {}
    if report is None and request.method == "GET":
        # "Save as report" on the ad-hoc builder carries its definition here.
        initial = {
            key: request.GET.get(key)
            for key in ("entity", "group_by", "bucket", "date_field", "period")
            if request.GET.get(key)
        } | ({"measures": request.GET["measure"]} if request.GET.get("measure") else {})
    form = SavedReportForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if report is None:
                report = services.report_create(request.user, **form.service_fields())
            else:
                report = services.report_update(
                    request.user,
                    report=report,
                    version=int(request.POST.get("version") or report.version),
                    **form.service_fields(),
                )
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from exc
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Report saved."))
            return redirect("web:report_detail", pk=report.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "analytics/saved_report_form.html",
        {"form": form, "report": report},
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_create(request: HttpRequest) -> HttpResponse:
    if privilege_depth(request.user, "view_reports") == NONE:
        raise PermissionDenied
    return _report_form(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    if not can(request.user, "write", report):
        raise PermissionDenied
    return _report_form(request, report)


@login_required
@require_http_methods(["GET", "HEAD"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The definition, the latest stored results, run and export buttons, shares."""
    return _render_report(request, _report_or_404(request, pk))


@login_required
@require_POST
def report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    try:
        services.report_delete(request.user, report=report)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    messages.success(request, _("Report deleted."))
    return redirect("web:report_list")


@login_required
@require_POST
def report_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Run now over what the viewer reads, keep the result and show it."""
    report = _report_or_404(request, pk)
    try:
        run = services.report_run(request.user, report=report, store=True)
    except InvalidInput as exc:
        messages.error(request, exc.detail)
        return redirect("web:report_detail", pk=report.pk)
    return redirect("web:analytics_report_run", report.pk, run.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def report_run_detail(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    """One stored result (the link a scheduled delivery sends)."""
    try:
        run = selectors.report_run_get(request.user, pk, run_id)
    except NotFound:
        raise Http404("No such result.") from None
    return render(request, "analytics/saved_report_run.html", {"run": run, "report": run.report})


@login_required
@require_http_methods(["GET", "HEAD"])
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = _report_or_404(request, pk)
    try:
        content, content_type = services.report_export(request.user, report=report, fmt=fmt)
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except InvalidInput as exc:
        raise Http404(exc.detail) from exc
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="report-{report.pk}.{fmt}"'
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def appraisal_person(request: HttpRequest, user_id: int) -> HttpResponse:
    """One person's appraisal over the chosen period (`?format=csv` to take it away)."""
    try:
        filters = selectors.parse_filters(request.GET)
        figure = selectors.appraisal_person(request.user, user_id, filters)
    except NotFound:
        raise Http404("No such person.") from None
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except InvalidInput as exc:
        return render(request, "analytics/appraisal.html", {"error": exc}, status=400)
    if request.GET.get("format") == "csv":
        if privilege_depth(request.user, "export") == NONE:
            raise PermissionDenied
        columns = [{"key": key, "label": str(label)} for key, label in figure.columns]
        response = HttpResponse(
            services.result_csv(columns, figure.rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="appraisal-{user_id}.csv"'
        return response
    params = request.GET.copy()
    params["format"] = "csv"
    return render(
        request,
        "analytics/appraisal.html",
        {
            "figure": figure,
            "filters": filters,
            "periods": selectors.PERIODS,
            "params": request.GET,
            "csv_query": params.urlencode(),
            "may_export": privilege_depth(request.user, "export") != NONE,
        },
    )
