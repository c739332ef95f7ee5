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
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trellis.access import can
from trellis.core.errors import NotFound, TrellisError
from trellis.routing import selectors as routing_selectors
from trellis.routing import services as routing_services
from trellis.routing.models import Entity
from trellis.service import selectors, services
from trellis.service.forms import (
    CaseFilterForm,
    CaseForm,
    CloseForm,
    ReopenForm,
    ResolveForm,
    StatusForm,
)
from trellis.service.models import DONE_STATUSES, Case, Status
from trellis.web.forms import add_service_error
from trellis.web.records import RecordPages, form_page, list_page

PER_PAGE = 25
# Waiting cases listed for the chosen queue (the count above says how many wait in all).
QUEUE_SHOWN = 100
RESULTS_TARGET = "case-results"


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    return CASE_PAGES.get_or_404(request, pk)


def _may_create(user: Any) -> bool:
    # `create` is asked of a record not yet saved; depth does not matter for it.
    return can(user, "create", Case(owner_user=user, owning_unit_id=user.unit_id))


@login_required
@require_http_methods(["GET", "HEAD"])
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases the user can see: search, filters, sort (the queue order too), keyset pages.
    An htmx request aimed at the results swaps just the table (live search)."""
    form = CaseFilterForm(request.GET, actor=request.user)
    return list_page(
        request,
        qs=selectors.with_visible_links(
            request.user, selectors.case_list(request.user, **form.filters())
        ),
        form=form,
        template="service/case_list.html",
        results_template="service/_case_results.html",
        results_target=RESULTS_TARGET,
        extra=lambda: {"may_create": _may_create(request.user)},
        per_page=PER_PAGE,
    )


def _render_detail(
    request: HttpRequest, case: Case, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = CASE_PAGES.context(request, case, **forms)
    moves = case.next_statuses if context["may"]["write"] else ()
    context.update(
        {
            "case": case,
            "account": case.account if case.account_visible else None,
            "contact": case.contact if case.contact_visible else None,
            "history": selectors.case_history(user, case),
            "may_start": Status.IN_PROGRESS in moves and case.status not in DONE_STATUSES,
            "may_wait": Status.WAITING in moves,
            "resolve_form": forms.get("resolve_form")
            or (ResolveForm() if Status.RESOLVED in moves else None),
            "close_form": forms.get("close_form")
            or (CloseForm() if Status.CLOSED in moves else None),
            "reopen_form": forms.get("reopen_form")
            or (ReopenForm() if case.status in DONE_STATUSES and moves else None),
        }
    )
    return render(request, "service/case_detail.html", context, status=status)


def _case_get(actor: Any, pk: int) -> Case:
    return selectors.case_get(actor, pk, links=True)


def _case_assign(actor: Any, case: Case, *, owner_user: Any) -> None:
    services.case_assign(actor, case=case, owner_user=owner_user)


CASE_PAGES = RecordPages(
    entity="case", get=_case_get, render_detail=_render_detail, assign=_case_assign
)


@login_required
@require_http_methods(["GET", "HEAD"])
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the links the user may see, status actions, history and access."""
    return _render_detail(request, _case_or_404(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user):
        raise PermissionDenied
    form = CaseForm(request.POST or None, actor=request.user)
    return form_page(
        request,
        form=form,
        save=lambda: services.case_create(request.user, **form.service_fields()),
        detail="web:case_detail",
        template="service/case_form.html",
        context={},
        done=lambda case: _("Case %(number)s opened.") % {"number": case.number},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not can(request.user, "write", case):
        raise PermissionDenied
    title = str(case)  # the form writes the edited values into `case`
    form = CaseForm(request.POST or None, instance=case, actor=request.user)
    return form_page(
        request,
        form=form,
        save=lambda: services.case_update(
            request.user, case=case, version=form.cleaned_data["version"], **form.service_fields()
        ),
        detail="web:case_detail",
        template="service/case_form.html",
        context={"case_id": pk, "title": title},
        done=_("Changes saved."),
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
    return _render_detail(request, case, status=status, **{f"{key}_form": form})


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


# The queue view: routing's case queues, seen from the Cases section.


def _case_queues(user: Any) -> list[Any]:
    """The case queues `user` may work or manage (routing decides which), with counts."""
    return list(routing_selectors.queue_list(user).filter(entity=Entity.CASE))


@login_required
@require_http_methods(["GET", "HEAD"])
def case_queue(request: HttpRequest) -> HttpResponse:
    """The case queues of the user's teams (every queue for routing managers) with how
    many cases wait in each; the chosen queue's waiting cases in "take next" order, with
    their service-level due times, and a "Take next" button for its members."""
    queues = _case_queues(request.user)
    chosen = request.GET.get("queue", "")
    selected = next((q for q in queues if str(q.pk) == chosen), queues[0] if queues else None)
    rows = [
        {"queue": queue, "may_take": routing_services.is_member(request.user, queue.team)}
        for queue in queues
    ]
    waiting = selectors.queue_cases(request.user, selected, limit=QUEUE_SHOWN) if selected else []
    context = {
        "rows": rows,
        "selected": selected,
        "waiting": waiting,
        "shown": QUEUE_SHOWN,
        "may_manage": routing_selectors.may_manage(request.user),
    }
    return render(request, "service/case_queue.html", context)


@login_required
@require_POST
def case_queue_take_next(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the queue's next case (routing's `queue_take_next`) and open it. An empty
    queue or a full capacity comes back to the queue page with a message."""
    try:
        queue = routing_selectors.queue_get(request.user, pk)
    except NotFound:
        raise Http404(_("No such queue.")) from None
    if queue.entity != Entity.CASE:
        raise Http404(_("No such queue."))
    back = f"{reverse('web:case_queue')}?queue={queue.pk}"
    try:
        case = routing_services.queue_take_next(request.user, queue=queue)
    except TrellisError as exc:
        if exc.status == 409:
            messages.warning(
                request,
                _(
                    "You already hold as many open items as your capacity allows (%(capacity)s). "
                    "Resolve or hand over one before taking the next."
                )
                % {"capacity": request.user.capacity},
            )
        elif exc.status == 403:
            messages.error(
                request,
                _("Only members of %(team)s take cases from this queue.")
                % {"team": queue.team.name},
            )
        else:
            messages.error(request, exc.detail)
        return redirect(back)
    if case is None:
        messages.info(request, _("Nothing is waiting in %(queue)s.") % {"queue": queue.name})
        return redirect(back)
    messages.success(request, _("%(case)s is yours now.") % {"case": case})
    return redirect("web:case_detail", pk=case.pk)
