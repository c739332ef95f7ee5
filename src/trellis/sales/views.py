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
from trellis.access.selectors import access_rows, record_shares
from trellis.access.services import record_assign, record_share, record_unshare
from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.customers.models import Contact
from trellis.sales import selectors, services
from trellis.sales.forms import (
    AssignForm,
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
    ShareForm,
    UnshareForm,
)
from trellis.sales.models import Campaign, Lead, LeadStatus, Opportunity
from trellis.web.forms import add_service_error
from trellis.web.pagination import keyset_page

PER_PAGE = 25
STAGES_SHOWN = 50


# Shared by the record pages -------------------------------------------------------------


def _get_or_404(get: Callable[[Any, int], Any], request: HttpRequest, pk: int) -> Any:
    try:
        return get(request.user, pk)
    except NotFound:
        raise Http404(_("No such record.")) from None


def _may_create(user: Any, model: type[SecurableModel]) -> bool:
    # `create` is asked of a record not yet saved; depth does not matter for it.
    return can(user, "create", model(owner_user=user, owning_unit_id=user.unit_id))


def _list_page(
    request: HttpRequest,
    *,
    qs: Any,
    form: Any,
    template: str,
    results_template: str,
    results_target: str,
    extra: dict[str, Any],
) -> HttpResponse:
    """A list with filters and keyset pages; an htmx request aimed at the results swaps
    just the table."""
    partial = bool(
        request.htmx
        and request.htmx.target == results_target
        and not request.htmx.history_restore_request
    )
    page = keyset_page(qs, order=form.order(), cursor=request.GET.get("cursor"), per_page=PER_PAGE)
    context = {"form": form, "page": page, "results_target": results_target, **extra}
    response = render(request, results_template if partial else template, context)
    # The same URL answers a whole page or a fragment; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _record_context(request: HttpRequest, record: SecurableModel, **forms: Any) -> dict:
    user = request.user
    may = {action: can(user, action, record) for action in ("write", "delete", "assign", "share")}
    return {
        "record": record,
        "shares": record_shares(record),
        "may": may,
        "assign_form": forms.get("assign_form") or (AssignForm() if may["assign"] else None),
        "share_form": forms.get("share_form") or (ShareForm() if may["share"] else None),
    }


def _access(request: HttpRequest, record: SecurableModel, urls: dict[str, str]) -> HttpResponse:
    """Everyone who can reach the record and why; a fragment for htmx, else a page."""
    template = "sales/_access_panel.html" if request.htmx else "sales/record_access.html"
    context = {"record": record, "access_rows": access_rows(record), "urls": urls}
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _after_change(request: HttpRequest, record: SecurableModel, urls: dict[str, str]):
    """Back to the record, or to the list when the change took it out of sight."""
    if can(request.user, "read", record):
        return redirect(urls["detail"], pk=record.pk)
    messages.info(request, _("You can no longer see this record."))
    return redirect(urls["list"])


def _assign(request, record, urls, render_detail) -> HttpResponse:
    form = AssignForm(request.POST)
    status = 400
    if form.is_valid():
        owner = form.cleaned_data["owner_user"]
        try:
            record_assign(request.user, record, owner_user=owner)
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Assigned to %(name)s.") % {"name": owner})
            return _after_change(request, record, urls)
    return render_detail(request, record, assign_form=form, status=status)


def _share(request, record, urls, render_detail) -> HttpResponse:
    form = ShareForm(request.POST)
    status = 400
    if form.is_valid():
        person = form.cleaned_data["user"]
        try:
            record_share(request.user, record, user=person, rights=form.cleaned_data["rights"])
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Shared with %(name)s.") % {"name": person})
            return redirect(urls["detail"], pk=record.pk)
    return render_detail(request, record, share_form=form, status=status)


def _unshare(request, record, urls) -> HttpResponse:
    form = UnshareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That share could not be found."))
        return redirect(urls["detail"], pk=record.pk)
    try:
        record_unshare(
            request.user, record, user=form.cleaned_data["user"], team=form.cleaned_data["team"]
        )
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Share removed."))
    return redirect(urls["detail"], pk=record.pk)


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    save: Callable[[], SecurableModel],
    urls: dict[str, str],
    template: str,
    context: dict[str, Any],
    done: str,
) -> HttpResponse:
    """Show `form`; on a valid POST call `save` and go to the record."""
    status, stale = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                record = save()
            except TrellisError as exc:
                status = add_service_error(form, exc)
                stale = isinstance(exc, StaleVersion)
            else:
                messages.success(request, done)
                return redirect(urls["detail"], pk=record.pk)
    return render(
        request, template, {"form": form, "stale": stale, "urls": urls, **context}, status=status
    )


# Opportunities --------------------------------------------------------------------------

OPPORTUNITY_URLS = {
    "list": "web:opportunity_list",
    "detail": "web:opportunity_detail",
    "edit": "web:opportunity_edit",
    "access": "web:opportunity_access",
    "assign": "web:opportunity_assign",
    "share": "web:opportunity_share",
    "unshare": "web:opportunity_unshare",
}


def _opportunity(request: HttpRequest, pk: int) -> Opportunity:
    return _get_or_404(selectors.opportunity_get, request, pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def opportunity_list(request: HttpRequest) -> HttpResponse:
    """Opportunities the user can see: search, stage and open/closed filters, sort,
    keyset pages."""
    form = OpportunityFilterForm(request.GET, actor=request.user)
    return _list_page(
        request,
        qs=selectors.opportunity_list(request.user, **form.filters()),
        form=form,
        template="sales/opportunity_list.html",
        results_template="sales/_opportunity_results.html",
        results_target="opportunity-results",
        extra={"may_create": _may_create(request.user, Opportunity)},
    )


def _render_opportunity(
    request: HttpRequest, opportunity: Opportunity, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = _record_context(request, opportunity, **forms)
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
            "urls": OPPORTUNITY_URLS,
            "close_form": forms.get("close_form")
            or (CloseForm() if may_write and not opportunity.is_closed else None),
        }
    )
    return render(request, "sales/opportunity_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, linked records the user may see, the stage history, and who can see
    it and why."""
    return _render_opportunity(request, _opportunity(request, pk))


@login_required
@require_http_methods(["GET", "HEAD"])
def opportunity_access(request: HttpRequest, pk: int) -> HttpResponse:
    return _access(request, _opportunity(request, pk), OPPORTUNITY_URLS)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user, Opportunity):
        raise PermissionDenied
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = request.GET["account"]
    form = OpportunityForm(request.POST or None, initial=initial, actor=request.user)
    return _form_page(
        request,
        form=form,
        save=lambda: services.opportunity_create(request.user, **form.service_fields()),
        urls=OPPORTUNITY_URLS,
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
    return _form_page(
        request,
        form=form,
        save=lambda: services.opportunity_update(
            request.user,
            opportunity=opportunity,
            version=form.cleaned_data["version"],
            **form.service_fields(),
        ),
        urls=OPPORTUNITY_URLS,
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


@login_required
@require_POST
def opportunity_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _assign(request, _opportunity(request, pk), OPPORTUNITY_URLS, _render_opportunity)


@login_required
@require_POST
def opportunity_share(request: HttpRequest, pk: int) -> HttpResponse:
    return _share(request, _opportunity(request, pk), OPPORTUNITY_URLS, _render_opportunity)


@login_required
@require_POST
def opportunity_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    return _unshare(request, _opportunity(request, pk), OPPORTUNITY_URLS)


# Leads ----------------------------------------------------------------------------------

LEAD_URLS = {
    "list": "web:lead_list",
    "detail": "web:lead_detail",
    "edit": "web:lead_edit",
    "access": "web:lead_access",
    "assign": "web:lead_assign",
    "share": "web:lead_share",
    "unshare": "web:lead_unshare",
}


def _lead(request: HttpRequest, pk: int) -> Lead:
    return _get_or_404(selectors.lead_get, request, pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def lead_list(request: HttpRequest) -> HttpResponse:
    """Leads the user can see: live search, status, source and rating filters, sort,
    keyset pages."""
    form = LeadFilterForm(request.GET, actor=request.user)
    return _list_page(
        request,
        qs=selectors.lead_list(request.user, **form.filters()),
        form=form,
        template="sales/lead_list.html",
        results_template="sales/_lead_results.html",
        results_target="lead-results",
        extra={"may_create": _may_create(request.user, Lead)},
    )


def _render_lead(
    request: HttpRequest, lead: Lead, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = _record_context(request, lead, **forms)
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
            "urls": LEAD_URLS,
            "may_contact": workable,
            "may_reopen": context["may"]["write"] and lead.status == LeadStatus.DISQUALIFIED,
            "qualify_form": forms.get("qualify_form")
            or (QualifyForm(actor=user) if may_qualify else None),
            "disqualify_form": forms.get("disqualify_form")
            or (DisqualifyForm() if workable else None),
        }
    )
    return render(request, "sales/lead_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the actions the user may take, what the lead became (as far as they
    may see it), who can see it and why, and its timeline."""
    return _render_lead(request, _lead(request, pk))


@login_required
@require_http_methods(["GET", "HEAD"])
def lead_access(request: HttpRequest, pk: int) -> HttpResponse:
    return _access(request, _lead(request, pk), LEAD_URLS)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user, Lead):
        raise PermissionDenied
    initial = {}
    if request.GET.get("campaign", "").isdigit():
        initial["campaign"] = request.GET["campaign"]
    form = LeadForm(request.POST or None, initial=initial, actor=request.user)
    return _form_page(
        request,
        form=form,
        save=lambda: services.lead_create(request.user, **form.service_fields()),
        urls=LEAD_URLS,
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
    return _form_page(
        request,
        form=form,
        save=lambda: services.lead_update(
            request.user, lead=lead, version=form.cleaned_data["version"], **form.service_fields()
        ),
        urls=LEAD_URLS,
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


@login_required
@require_POST
def lead_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _assign(request, _lead(request, pk), LEAD_URLS, _render_lead)


@login_required
@require_POST
def lead_share(request: HttpRequest, pk: int) -> HttpResponse:
    return _share(request, _lead(request, pk), LEAD_URLS, _render_lead)


@login_required
@require_POST
def lead_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    return _unshare(request, _lead(request, pk), LEAD_URLS)


# Campaigns ------------------------------------------------------------------------------

CAMPAIGN_URLS = {
    "list": "web:campaign_list",
    "detail": "web:campaign_detail",
    "edit": "web:campaign_edit",
    "access": "web:campaign_access",
    "assign": "web:campaign_assign",
    "share": "web:campaign_share",
    "unshare": "web:campaign_unshare",
}


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return _get_or_404(selectors.campaign_get, request, pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns the user can see: search, type and status filters, sort, keyset pages."""
    form = CampaignFilterForm(request.GET, actor=request.user)
    return _list_page(
        request,
        qs=selectors.campaign_list(request.user, **form.filters()),
        form=form,
        template="sales/campaign_list.html",
        results_template="sales/_campaign_results.html",
        results_target="campaign-results",
        extra={"may_create": _may_create(request.user, Campaign)},
    )


def _render_campaign(
    request: HttpRequest, campaign: Campaign, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = _record_context(request, campaign, **forms)
    opportunities = list(
        selectors.opportunity_list(request.user, campaign_id=campaign.pk).order_by("-modified_at")[
            :20
        ]
    )
    context.update({"campaign": campaign, "opportunities": opportunities, "urls": CAMPAIGN_URLS})
    return render(request, "sales/campaign_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the opportunities from the campaign the user may see, and who can see
    it and why."""
    return _render_campaign(request, _campaign(request, pk))


@login_required
@require_http_methods(["GET", "HEAD"])
def campaign_access(request: HttpRequest, pk: int) -> HttpResponse:
    return _access(request, _campaign(request, pk), CAMPAIGN_URLS)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user, Campaign):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, actor=request.user)
    return _form_page(
        request,
        form=form,
        save=lambda: services.campaign_create(request.user, **form.service_fields()),
        urls=CAMPAIGN_URLS,
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
    return _form_page(
        request,
        form=form,
        save=lambda: services.campaign_update(
            request.user,
            campaign=campaign,
            version=form.cleaned_data["version"],
            **form.service_fields(),
        ),
        urls=CAMPAIGN_URLS,
        template="sales/campaign_form.html",
        context={"record_id": pk, "title": title},
        done=_("Changes saved."),
    )


@login_required
@require_POST
def campaign_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _assign(request, _campaign(request, pk), CAMPAIGN_URLS, _render_campaign)


@login_required
@require_POST
def campaign_share(request: HttpRequest, pk: int) -> HttpResponse:
    return _share(request, _campaign(request, pk), CAMPAIGN_URLS, _render_campaign)


@login_required
@require_POST
def campaign_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    return _unshare(request, _campaign(request, pk), CAMPAIGN_URLS)


# Products -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def product_list(request: HttpRequest) -> HttpResponse:
    """The products the user can see (active ones unless asked), by line and name."""
    form = ProductFilterForm(request.GET, actor=request.user)
    return _list_page(
        request,
        qs=selectors.product_list(request.user, **form.filters()),
        form=form,
        template="sales/product_list.html",
        results_template="sales/_product_results.html",
        results_target="product-results",
        extra={},
    )
