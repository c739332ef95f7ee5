"""Service-level pages: SLA policies, speed-to-lead policies and business calendars, for
people who hold manage_routing. Each view parses its form, calls one service and renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.sla import selectors, services
from trellis.sla.forms import BusinessCalendarForm, SlaPolicyForm, SpeedToLeadPolicyForm
from trellis.web.forms import add_service_error


@dataclass(frozen=True)
class Kind:
    """One kind of setting the pages edit, and the services that change it."""

    slug: str
    title: Any
    new_title: Any
    form: type
    get: Callable[[Any, int], Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    keyword: str


KINDS = {
    "sla_policy": Kind(
        "sla_policy",
        gettext_lazy("SLA policy"),
        gettext_lazy("New SLA policy"),
        SlaPolicyForm,
        selectors.sla_policy_get,
        services.sla_policy_create,
        services.sla_policy_update,
        services.sla_policy_delete,
        "policy",
    ),
    "speed_to_lead": Kind(
        "speed_to_lead",
        gettext_lazy("Speed-to-lead policy"),
        gettext_lazy("New speed-to-lead policy"),
        SpeedToLeadPolicyForm,
        selectors.speed_to_lead_policy_get,
        services.speed_to_lead_policy_create,
        services.speed_to_lead_policy_update,
        services.speed_to_lead_policy_delete,
        "policy",
    ),
    "business_calendar": Kind(
        "business_calendar",
        gettext_lazy("Business calendar"),
        gettext_lazy("New business calendar"),
        BusinessCalendarForm,
        selectors.business_calendar_get,
        services.business_calendar_create,
        services.business_calendar_update,
        services.business_calendar_delete,
        "calendar",
    ),
}


def _require_manager(request: HttpRequest) -> None:
    if not selectors.may_manage_sla(request.user):
        raise PermissionDenied


def _get_or_404(request: HttpRequest, kind: Kind, pk: int) -> Any:
    try:
        return kind.get(request.user, pk)
    except NotFound:
        raise Http404(_("No such setting.")) from None


@login_required
@require_http_methods(["GET", "HEAD"])
def sla_policy_list(request: HttpRequest) -> HttpResponse:
    """Every SLA policy, speed-to-lead policy and business calendar."""
    _require_manager(request)
    context = {
        "sla_policies": selectors.sla_policy_list(request.user),
        "speed_policies": selectors.speed_to_lead_policy_list(request.user),
        "calendars": selectors.business_calendar_list(request.user),
    }
    return render(request, "sla/settings.html", context)


def _edit(request: HttpRequest, kind: Kind, pk: int | None) -> HttpResponse:
    _require_manager(request)
    obj = _get_or_404(request, kind, pk) if pk is not None else None
    form = kind.form(request.POST or None, instance=obj)
    status, stale = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if obj is None:
                    kind.create(request.user, **form.service_fields())
                else:
                    kind.update(
                        request.user,
                        **{kind.keyword: obj},
                        version=form.cleaned_data["version"],
                        **form.service_fields(),
                    )
            except TrellisError as exc:
                status = add_service_error(form, exc)
                stale = isinstance(exc, StaleVersion)
            else:
                messages.success(request, _("Saved."))
                return redirect("web:sla_policy_list")
    context = {"form": form, "kind": kind, "obj": obj, "stale": stale}
    return render(request, "sla/form.html", context, status=status)


def _delete(request: HttpRequest, kind: Kind, pk: int) -> HttpResponse:
    _require_manager(request)
    obj = _get_or_404(request, kind, pk)
    error, status = "", 200
    if request.method == "POST":
        try:
            kind.delete(request.user, **{kind.keyword: obj})
        except TrellisError as exc:
            error, status = exc.detail, exc.status
        else:
            messages.success(request, _("Deleted."))
            return redirect("web:sla_policy_list")
    context = {"kind": kind, "obj": obj, "error": error}
    return render(request, "sla/confirm_delete.html", context, status=status)


def _pages(slug: str) -> tuple[Callable[..., HttpResponse], ...]:
    kind = KINDS[slug]

    @login_required
    @require_http_methods(["GET", "HEAD", "POST"])
    def create(request: HttpRequest) -> HttpResponse:
        return _edit(request, kind, None)

    @login_required
    @require_http_methods(["GET", "HEAD", "POST"])
    def edit(request: HttpRequest, pk: int) -> HttpResponse:
        return _edit(request, kind, pk)

    @login_required
    @require_http_methods(["GET", "HEAD", "POST"])
    def delete(request: HttpRequest, pk: int) -> HttpResponse:
        return _delete(request, kind, pk)

    return create, edit, delete


sla_policy_create, sla_policy_edit, sla_policy_delete = _pages("sla_policy")
speed_to_lead_create, speed_to_lead_edit, speed_to_lead_delete = _pages("speed_to_lead")
business_calendar_create, business_calendar_edit, business_calendar_delete = _pages(
    "business_calendar"
)
