"""Case pages. Each view parses its input, calls a selector or a service, and renders.

A missing case and one the user may not read both answer 404; one they may read but not
change answers 403 on the change pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trellis.access import can
from trellis.access.selectors import access_rows, record_shares
from trellis.access.services import record_share, record_unshare
from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.service import selectors, services
from trellis.service.forms import (
    AssignForm,
    CaseFilterForm,
    CaseForm,
    CloseForm,
    ReopenForm,
    ResolveForm,
    ShareForm,
    StatusForm,
    UnshareForm,
)
from trellis.service.models import DONE_STATUSES, Case, Status
from trellis.web.forms import add_service_error
from trellis.web.pagination import keyset_page

PER_PAGE = 25
RESULTS_TARGET = "case-results"


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    try:
        return selectors.case_get(request.user, pk, links=True)
    except NotFound:
        raise Http404(_("No such case.")) from None


def _may_create(user: Any) -> bool:
    # `create` is asked of a record not yet saved; depth does not matter for it.
    return can(user, "create", Case(owner_user=user, owning_unit_id=user.unit_id))


@login_required
@require_http_methods(["GET", "HEAD"])
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases the user can see: search, filters, sort (the queue order too), keyset pages.
    An htmx request aimed at the results swaps just the table (live search)."""
    partial = bool(
        request.htmx
        and request.htmx.target == RESULTS_TARGET
        and not request.htmx.history_restore_request
    )
    form = CaseFilterForm(request.GET, actor=request.user)
    qs = selectors.with_visible_links(
        request.user, selectors.case_list(request.user, **form.filters())
    )
    page = keyset_page(qs, order=form.order(), cursor=request.GET.get("cursor"), per_page=PER_PAGE)
    context = {"form": form, "page": page, "results_target": RESULTS_TARGET}
    if partial:
        response = render(request, "service/_case_results.html", context)
    else:
        context["may_create"] = _may_create(request.user)
        response = render(request, "service/case_list.html", context)
    # The same URL answers a whole page or a fragment; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _render_detail(
    request: HttpRequest,
    case: Case,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may = {action: can(user, action, case) for action in ("write", "delete", "assign", "share")}
    forms = forms or {}
    moves = case.next_statuses if may["write"] else ()
    context = {
        "case": case,
        "account": case.account if case.account_visible else None,
        "contact": case.contact if case.contact_visible else None,
        "history": selectors.case_history(user, case),
        "shares": record_shares(case),
        "may": may,
        "may_start": Status.IN_PROGRESS in moves and case.status not in DONE_STATUSES,
        "may_wait": Status.WAITING in moves,
        "resolve_form": forms.get("resolve")
        or (ResolveForm() if Status.RESOLVED in moves else None),
        "close_form": forms.get("close") or (CloseForm() if Status.CLOSED in moves else None),
        "reopen_form": forms.get("reopen")
        or (ReopenForm() if case.status in DONE_STATUSES and moves else None),
        "assign_form": forms.get("assign") or (AssignForm() if may["assign"] else None),
        "share_form": forms.get("share") or (ShareForm() if may["share"] else None),
    }
    return render(request, "service/case_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the links the user may see, status actions, history and access."""
    return _render_detail(request, _case_or_404(request, pk))


@login_required
@require_http_methods(["GET", "HEAD"])
def case_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone who can reach the case and why (fetched by the detail page with htmx)."""
    case = _case_or_404(request, pk)
    template = "service/_access_panel.html" if request.htmx else "service/case_access.html"
    response = render(request, template, {"case": case, "access_rows": access_rows(case)})
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user):
        raise PermissionDenied
    form = CaseForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                case = services.case_create(request.user, **form.service_fields())
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect("web:case_detail", pk=case.pk)
    return render(request, "service/case_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not can(request.user, "write", case):
        raise PermissionDenied
    title = str(case)  # the form writes the edited values into `case`
    form = CaseForm(request.POST or None, instance=case, actor=request.user)
    status, stale = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.case_update(
                    request.user,
                    case=case,
                    version=form.cleaned_data["version"],
                    **form.service_fields(),
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
                stale = isinstance(exc, StaleVersion)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("web:case_detail", pk=case.pk)
    return render(
        request,
        "service/case_form.html",
        {"form": form, "case_id": pk, "title": title, "stale": stale},
        status=status,
    )


def _status_action(
    request: HttpRequest, pk: int, form_class: type, key: str, act: Any, done: str
) -> HttpResponse:
    """Run one status action from its form; on refusal show the detail page with the error."""
    case = _case_or_404(request, pk)
    form = form_class(request.POST)
    status = 400
    if form.is_valid():
        try:
            act(case, form.cleaned_data)
        except TrellisError as exc:
            if exc.status == 403:
                raise PermissionDenied from exc
            status = add_service_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("web:case_detail", pk=case.pk)
    return _render_detail(request, case, forms={key: form}, status=status)


@login_required
@require_POST
def case_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Start work on the case or set it waiting (the buttons on the detail page)."""
    case = _case_or_404(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That status change is not possible."))
        return redirect("web:case_detail", pk=case.pk)
    try:
        services.case_set_status(request.user, case=case, status=form.cleaned_data["status"])
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Status changed."))
    return redirect("web:case_detail", pk=case.pk)


@login_required
@require_POST
def case_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(
        request,
        pk,
        ResolveForm,
        "resolve",
        lambda case, data: services.case_resolve(
            request.user, case=case, resolution=data["resolution"]
        ),
        _("Case resolved."),
    )


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(
        request,
        pk,
        CloseForm,
        "close",
        lambda case, data: services.case_close(
            request.user, case=case, satisfaction=data["satisfaction"]
        ),
        _("Case closed."),
    )


@login_required
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_action(
        request,
        pk,
        ReopenForm,
        "reopen",
        lambda case, data: services.case_reopen(request.user, case=case, reason=data["reason"]),
        _("Case reopened."),
    )


def _after_change(request: HttpRequest, case: Case) -> HttpResponse:
    """Back to the case, or to the list when the change took it out of sight."""
    if can(request.user, "read", case):
        return redirect("web:case_detail", pk=case.pk)
    messages.info(request, _("You can no longer see this case."))
    return redirect("web:case_list")


@login_required
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = AssignForm(request.POST)
    status = 400
    if form.is_valid():
        owner = form.cleaned_data["owner_user"]
        try:
            services.case_assign(request.user, case=case, owner_user=owner)
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Assigned to %(name)s.") % {"name": owner})
            return _after_change(request, case)
    return _render_detail(request, case, forms={"assign": form}, status=status)


@login_required
@require_POST
def case_share(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = ShareForm(request.POST)
    status = 400
    if form.is_valid():
        person = form.cleaned_data["user"]
        try:
            record_share(request.user, case, user=person, rights=form.cleaned_data["rights"])
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Shared with %(name)s.") % {"name": person})
            return redirect("web:case_detail", pk=case.pk)
    return _render_detail(request, case, forms={"share": form}, status=status)


@login_required
@require_POST
def case_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = UnshareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That share could not be found."))
        return redirect("web:case_detail", pk=case.pk)
    try:
        record_unshare(
            request.user, case, user=form.cleaned_data["user"], team=form.cleaned_data["team"]
        )
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Share removed."))
    return redirect("web:case_detail", pk=case.pk)
