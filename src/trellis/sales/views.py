"""Sales pages: leads, opportunities, campaigns and the product list. Each view parses its
input, calls a selector or a service, and renders.

A missing record and one the user may not read both answer 404; one they may read but
not change answers 403 on the change pages.
"""

from __future__ import annotations

from collections.abc import Callable
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
from trellis.access.models import SecurableModel
from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.customers.models import Contact
from trellis.org.selectors import has_privilege
from trellis.sales import selectors, services
from trellis.sales.forms import (
    CampaignFilterForm,
    CampaignForm,
    CloseForm,
    DisqualifyForm,
    LeadFilterForm,
    LeadForm,
    OpportunityFilterForm,
    OpportunityForm,
    ProductFilterForm,
    QualifyForm,
    TargetFilterForm,
    TargetForm,
)
from trellis.sales.models import Campaign, Lead, LeadStatus, Opportunity, SalesTarget
from trellis.web.forms import add_service_error
from trellis.web.pagination import keyset_page
from trellis.web.records import RecordPages, form_page, list_page, wants_results_only

PER_PAGE = 25
STAGES_SHOWN = 50
CAMPAIGN_RECORDS_SHOWN = 20
TARGET_RESULTS_TARGET = "target-results"


# Shared by the record pages -------------------------------------------------------------


def _may_create(user: Any, model: type[SecurableModel]) -> bool:
    # `create` is asked of a record not yet saved; depth does not matter for it.
    return can(user, "create", model(owner_user=user, owning_unit_id=user.unit_id))


def _record_form(
    request: HttpRequest, *, pages: RecordPages, context: dict[str, Any], **kwargs: Any
) -> HttpResponse:
    """A create or edit page of a record in `pages`; on success, its detail page."""
    return form_page(
        request,
        detail=pages.url_names["detail"],
        context={"urls": pages.url_names, **context},
        **kwargs,
    )


# Opportunities --------------------------------------------------------------------------


def _opportunity(request: HttpRequest, pk: int) -> Opportunity:
    return OPPORTUNITY_PAGES.get_or_404(request, pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def opportunity_list(request: HttpRequest) -> HttpResponse:
    """Opportunities the user can see: search, stage and open/closed filters, sort,
    keyset pages."""
    form = OpportunityFilterForm(request.GET, actor=request.user)
    return list_page(
        request,
        qs=selectors.opportunity_list(request.user, **form.filters()),
        form=form,
        template="sales/opportunity_list.html",
        results_template="sales/_opportunity_results.html",
        results_target="opportunity-results",
        extra=lambda: {"may_create": _may_create(request.user, Opportunity)},
    )


def _render_opportunity(
    request: HttpRequest, opportunity: Opportunity, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = OPPORTUNITY_PAGES.context(request, opportunity, **forms)
    linked = {
        name: getattr(opportunity, name)
        for name in ("account", "contact", "campaign")
        if getattr(opportunity, f"{name}_id") and can(user, "read", getattr(opportunity, name))
    }
    stages = list(selectors.opportunity_stage_changes(user, opportunity)[:STAGES_SHOWN])
    may_write = context["may"]["write"]
    context.update(
        {
            "opportunity": opportunity,
            "linked": linked,
            "stages": stages,
            "urls": OPPORTUNITY_PAGES.url_names,
            "close_form": forms.get("close_form")
            or (CloseForm() if may_write and not opportunity.is_closed else None),
        }
    )
    return render(request, "sales/opportunity_detail.html", context, status=status)


OPPORTUNITY_PAGES = RecordPages(
    entity="opportunity", get=selectors.opportunity_get, render_detail=_render_opportunity
)


@login_required
@require_http_methods(["GET", "HEAD"])
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, linked records the user may see, the stage history, and who can see
    it and why."""
    return _render_opportunity(request, _opportunity(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user, Opportunity):
        raise PermissionDenied
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = request.GET["account"]
    form = OpportunityForm(request.POST or None, initial=initial, actor=request.user)
    return _record_form(
        request,
        form=form,
        save=lambda: services.opportunity_create(request.user, **form.service_fields()),
        pages=OPPORTUNITY_PAGES,
        template="sales/opportunity_form.html",
        context={},
        done=_("Opportunity created."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk)
    if not can(request.user, "write", opportunity):
        raise PermissionDenied
    title = opportunity.name  # the form writes the edited values into the instance
    form = OpportunityForm(request.POST or None, instance=opportunity, actor=request.user)
    return _record_form(
        request,
        form=form,
        save=lambda: services.opportunity_update(
            request.user,
            opportunity=opportunity,
            version=form.cleaned_data["version"],
            **form.service_fields(),
        ),
        pages=OPPORTUNITY_PAGES,
        template="sales/opportunity_form.html",
        context={"record_id": pk, "title": title},
        done=_("Changes saved."),
    )


@login_required
@require_POST
def opportunity_close(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk)
    form = CloseForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.opportunity_close(
                request.user,
                opportunity=opportunity,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
            )
        except TrellisError as exc:
            if exc.status == 403:
                raise PermissionDenied from exc
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Opportunity closed."))
            return redirect("web:opportunity_detail", pk=pk)
    return _render_opportunity(request, opportunity, close_form=form, status=status)


# Leads ----------------------------------------------------------------------------------


def _lead(request: HttpRequest, pk: int) -> Lead:
    return LEAD_PAGES.get_or_404(request, pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def lead_list(request: HttpRequest) -> HttpResponse:
    """Leads the user can see: live search, status, source and rating filters, sort,
    keyset pages."""
    form = LeadFilterForm(request.GET, actor=request.user)
    return list_page(
        request,
        qs=selectors.lead_list(request.user, **form.filters()),
        form=form,
        template="sales/lead_list.html",
        results_template="sales/_lead_results.html",
        results_target="lead-results",
        extra=lambda: {"may_create": _may_create(request.user, Lead)},
    )


def _render_lead(
    request: HttpRequest, lead: Lead, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = LEAD_PAGES.context(request, lead, **forms)
    linked = {
        name: getattr(lead, name)
        for name in ("campaign", "account", "contact", "opportunity")
        if getattr(lead, f"{name}_id") and can(user, "read", getattr(lead, name))
    }
    workable = context["may"]["write"] and lead.is_open
    # Qualifying makes a contact (and usually an account and an opportunity): offered to
    # those who may create contacts; the services check the rest.
    may_qualify = workable and _may_create(user, Contact)
    context.update(
        {
            "lead": lead,
            "linked": linked,
            "urls": LEAD_PAGES.url_names,
            "may_contact": workable,
            "may_reopen": context["may"]["write"] and lead.status == LeadStatus.DISQUALIFIED,
            "qualify_form": forms.get("qualify_form")
            or (QualifyForm(actor=user) if may_qualify else None),
            "disqualify_form": forms.get("disqualify_form")
            or (DisqualifyForm() if workable else None),
        }
    )
    return render(request, "sales/lead_detail.html", context, status=status)


LEAD_PAGES = RecordPages(entity="lead", get=selectors.lead_get, render_detail=_render_lead)


@login_required
@require_http_methods(["GET", "HEAD"])
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the actions the user may take, what the lead became (as far as they
    may see it), who can see it and why, and its timeline."""
    return _render_lead(request, _lead(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user, Lead):
        raise PermissionDenied
    initial = {}
    if request.GET.get("campaign", "").isdigit():
        initial["campaign"] = request.GET["campaign"]
    form = LeadForm(request.POST or None, initial=initial, actor=request.user)
    return _record_form(
        request,
        form=form,
        save=lambda: services.lead_create(request.user, **form.service_fields()),
        pages=LEAD_PAGES,
        template="sales/lead_form.html",
        context={},
        done=_("Lead created."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    if not can(request.user, "write", lead):
        raise PermissionDenied
    title = lead.name
    form = LeadForm(request.POST or None, instance=lead, actor=request.user)
    return _record_form(
        request,
        form=form,
        save=lambda: services.lead_update(
            request.user, lead=lead, version=form.cleaned_data["version"], **form.service_fields()
        ),
        pages=LEAD_PAGES,
        template="sales/lead_form.html",
        context={"record_id": pk, "title": title},
        done=_("Changes saved."),
    )


def _lead_action(
    request: HttpRequest, lead: Lead, act: Callable[[], Any], done: str
) -> HttpResponse:
    """Run a status action that takes no input; a refusal is shown as a message."""
    try:
        act()
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("web:lead_detail", pk=lead.pk)


@login_required
@require_POST
def lead_contacted(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    return _lead_action(
        request,
        lead,
        lambda: services.lead_mark_contacted(request.user, lead=lead),
        _("Contact logged."),
    )


@login_required
@require_POST
def lead_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    return _lead_action(
        request, lead, lambda: services.lead_reopen(request.user, lead=lead), _("Lead reopened.")
    )


@login_required
@require_POST
def lead_disqualify(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    form = DisqualifyForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.lead_disqualify(request.user, lead=lead, reason=form.cleaned_data["reason"])
        except TrellisError as exc:
            if exc.status == 403:
                raise PermissionDenied from exc
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Lead disqualified."))
            return redirect("web:lead_detail", pk=pk)
    return _render_lead(request, lead, disqualify_form=form, status=status)


@login_required
@require_POST
def lead_qualify(request: HttpRequest, pk: int) -> HttpResponse:
    """Qualify into an account (new or existing), a contact and an opportunity."""
    lead = _lead(request, pk)
    form = QualifyForm(request.POST, actor=request.user)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.lead_qualify(
                request.user,
                lead=lead,
                account=data["account"],
                create_opportunity=data["create_opportunity"],
                opportunity_name=data["opportunity_name"],
                amount=data["amount"],
                currency=data["currency"],
            )
        except TrellisError as exc:
            if exc.status == 403:
                raise PermissionDenied from exc
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Lead qualified."))
            return redirect("web:lead_detail", pk=pk)
    return _render_lead(request, lead, qualify_form=form, status=status)


# Campaigns ------------------------------------------------------------------------------


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return CAMPAIGN_PAGES.get_or_404(request, pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns the user can see: search, type and status filters, sort, keyset pages."""
    form = CampaignFilterForm(request.GET, actor=request.user)
    return list_page(
        request,
        qs=selectors.campaign_list(request.user, **form.filters()),
        form=form,
        template="sales/campaign_list.html",
        results_template="sales/_campaign_results.html",
        results_target="campaign-results",
        extra=lambda: {"may_create": _may_create(request.user, Campaign)},
    )


def _render_campaign(
    request: HttpRequest, campaign: Campaign, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = CAMPAIGN_PAGES.context(request, campaign, **forms)
    leads = selectors.lead_list(user, campaign_id=campaign.pk)
    opportunities = selectors.opportunity_list(user, campaign_id=campaign.pk)
    context.update(
        {
            "campaign": campaign,
            "urls": CAMPAIGN_PAGES.url_names,
            # Counts and the newest few of what came from the campaign, as far as the
            # user may see; "show all" opens the list filtered to the campaign.
            "leads": list(leads.order_by("-modified_at", "-pk")[:CAMPAIGN_RECORDS_SHOWN]),
            "lead_count": leads.count(),
            "opportunities": list(
                opportunities.order_by("-modified_at", "-pk")[:CAMPAIGN_RECORDS_SHOWN]
            ),
            "opportunity_count": opportunities.count(),
        }
    )
    return render(request, "sales/campaign_detail.html", context, status=status)


CAMPAIGN_PAGES = RecordPages(
    entity="campaign", get=selectors.campaign_get, render_detail=_render_campaign
)


@login_required
@require_http_methods(["GET", "HEAD"])
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the opportunities from the campaign the user may see, and who can see
    it and why."""
    return _render_campaign(request, _campaign(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user, Campaign):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, actor=request.user)
    return _record_form(
        request,
        form=form,
        save=lambda: services.campaign_create(request.user, **form.service_fields()),
        pages=CAMPAIGN_PAGES,
        template="sales/campaign_form.html",
        context={},
        done=_("Campaign created."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    if not can(request.user, "write", campaign):
        raise PermissionDenied
    title = campaign.name
    form = CampaignForm(request.POST or None, instance=campaign, actor=request.user)
    return _record_form(
        request,
        form=form,
        save=lambda: services.campaign_update(
            request.user,
            campaign=campaign,
            version=form.cleaned_data["version"],
            **form.service_fields(),
        ),
        pages=CAMPAIGN_PAGES,
        template="sales/campaign_form.html",
        context={"record_id": pk, "title": title},
        done=_("Changes saved."),
    )


# Products -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def product_list(request: HttpRequest) -> HttpResponse:
    """The products the user can see (active ones unless asked), by line and name."""
    form = ProductFilterForm(request.GET, actor=request.user)
    return list_page(
        request,
        qs=selectors.product_list(request.user, **form.filters()),
        form=form,
        template="sales/product_list.html",
        results_template="sales/_product_results.html",
        results_target="product-results",
    )


# Sales targets --------------------------------------------------------------------------


def _target(request: HttpRequest, pk: int) -> SalesTarget:
    try:
        return selectors.target_get(request.user, pk)
    except NotFound:
        raise Http404(_("No such target.")) from None


def _may_change_target(user: Any, target: SalesTarget) -> bool:
    return selectors.may_set_target(
        user, selectors.target_unit(target), own=target.user_id == user.pk
    )


def _may_set_targets(user: Any) -> bool:
    # Setting a target needs manage_org, or view_reports with opportunity assign rights;
    # the service decides per person, this only decides whether to offer the button.
    return has_privilege(user, "manage_org") or has_privilege(user, "view_reports")


@login_required
@require_http_methods(["GET", "HEAD"])
def target_list(request: HttpRequest) -> HttpResponse:
    """The targets the user may read, filtered by person, team and period, each with what
    has been won towards it (over the opportunities the user may see)."""
    user = request.user
    form = TargetFilterForm(request.GET, actor=user)
    page = keyset_page(
        selectors.target_list(user, **form.filters()),
        order="-period_start",
        cursor=request.GET.get("cursor"),
        per_page=PER_PAGE,
    )
    won = selectors.target_won_amounts(user, page.items)
    rows = [
        {
            "target": target,
            "won": won[target.pk],
            "percent": round(won[target.pk] * 100 / target.amount) if target.amount else None,
            "may_change": _may_change_target(user, target),
        }
        for target in page.items
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "results_target": TARGET_RESULTS_TARGET,
        "may_create": _may_set_targets(user),
    }
    partial = wants_results_only(request, TARGET_RESULTS_TARGET)
    template = "sales/_target_results.html" if partial else "sales/target_list.html"
    response = render(request, template, context)
    # The same URL answers a whole page or a fragment; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _target_form_page(
    request: HttpRequest, form: TargetForm, save: Callable[[], Any], context: dict[str, Any]
) -> HttpResponse:
    status, stale = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                save()
            except TrellisError as exc:
                status = add_service_error(form, exc)
                stale = isinstance(exc, StaleVersion)
            else:
                messages.success(request, _("Target saved."))
                return redirect("web:target_list")
    context = {"form": form, "stale": stale, **context}
    return render(request, "sales/target_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def target_create(request: HttpRequest) -> HttpResponse:
    if not _may_set_targets(request.user):
        raise PermissionDenied
    form = TargetForm(request.POST or None, actor=request.user)
    return _target_form_page(
        request,
        form,
        lambda: services.target_create(request.user, **form.service_fields()),
        {},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = _target(request, pk)
    if not _may_change_target(request.user, target):
        raise PermissionDenied
    form = TargetForm(request.POST or None, instance=target, actor=request.user)
    return _target_form_page(
        request,
        form,
        lambda: services.target_update(
            request.user,
            target=target,
            version=form.cleaned_data["version"],
            **form.service_fields(),
        ),
        {"target": target},
    )


@login_required
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    target = _target(request, pk)
    try:
        services.target_delete(request.user, target=target)
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Target deleted."))
    return redirect("web:target_list")
