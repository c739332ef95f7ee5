"""Account and contact pages. Each view parses its input, calls a selector or a service,
and renders.

A missing record and one the user may not read both answer 404; one they may read but
not change answers 403 on the change pages.
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
from trellis.access.services import record_unshare
from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.customers import selectors, services
from trellis.customers.forms import (
    AccountFilterForm,
    AccountForm,
    AccountShareForm,
    AssignForm,
    ContactFilterForm,
    ContactForm,
    RecordAssignForm,
    ShareForm,
    UnshareForm,
)
from trellis.customers.models import Account, Contact
from trellis.web.forms import add_service_error
from trellis.web.pagination import keyset_page

PER_PAGE = 25
CHILDREN_SHOWN = 20
CONTACTS_SHOWN = 20
RESULTS_TARGET = "account-results"
CONTACT_RESULTS_TARGET = "contact-results"


def _account_or_404(request: HttpRequest, pk: int) -> Account:
    try:
        return selectors.account_get(request.user, pk)
    except NotFound:
        raise Http404(_("No such account.")) from None


def _may_create(user: Any) -> bool:
    # `create` is asked of a record not yet saved; depth does not matter for it.
    return can(user, "create", Account(owner_user=user, owning_unit_id=user.unit_id))


@login_required
@require_http_methods(["GET", "HEAD"])
def account_list(request: HttpRequest) -> HttpResponse:
    """Accounts the user can see: search, filters, sort, keyset pages. An htmx request
    aimed at the results swaps just the table (live search)."""
    partial = bool(
        request.htmx
        and request.htmx.target == RESULTS_TARGET
        and not request.htmx.history_restore_request
    )
    form = AccountFilterForm(request.GET, actor=request.user, with_options=not partial)
    page = keyset_page(
        selectors.account_list(request.user, **form.filters()),
        order=form.order(),
        cursor=request.GET.get("cursor"),
        per_page=PER_PAGE,
    )
    context = {"form": form, "page": page, "results_target": RESULTS_TARGET}
    if partial:
        response = render(request, "customers/_account_results.html", context)
    else:
        context["may_create"] = _may_create(request.user)
        response = render(request, "customers/account_list.html", context)
    # The same URL answers a whole page or a fragment; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _render_detail(
    request: HttpRequest,
    account: Account,
    *,
    assign_form: AssignForm | None = None,
    share_form: AccountShareForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may = {action: can(user, action, account) for action in ("write", "assign", "share")}
    may["create_contact"] = _may_create_contact(user)
    parent = account.parent if account.parent_id and can(user, "read", account.parent) else None
    children = list(
        selectors.account_list(user, parent_id=account.pk).order_by("name", "pk")[
            : CHILDREN_SHOWN + 1
        ]
    )
    contacts = list(
        selectors.contact_list(user, account_id=account.pk).order_by(
            "last_name", "first_name", "pk"
        )[: CONTACTS_SHOWN + 1]
    )
    context = {
        "account": account,
        "parent": parent,
        "children": children[:CHILDREN_SHOWN],
        "more_children": len(children) > CHILDREN_SHOWN,
        "contacts": contacts[:CONTACTS_SHOWN],
        "more_contacts": len(contacts) > CONTACTS_SHOWN,
        "shares": record_shares(account),
        "may": may,
        "assign_form": assign_form or (AssignForm() if may["assign"] else None),
        "share_form": share_form or (AccountShareForm() if may["share"] else None),
    }
    return render(request, "customers/account_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, parent and children the user may see, and who can see it and why."""
    return _render_detail(request, _account_or_404(request, pk))


@login_required
@require_http_methods(["GET", "HEAD"])
def account_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone who can reach the account and why. Its own request because it costs a few
    queries per person: the detail page fetches it with htmx when it scrolls into view
    (and links to it as a page without JavaScript)."""
    account = _account_or_404(request, pk)
    template = "customers/_access_panel.html" if request.htmx else "customers/account_access.html"
    context = {"account": account, "entity": "account", "access_rows": access_rows(account)}
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user):
        raise PermissionDenied
    form = AccountForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                account = services.account_create(request.user, **form.service_fields())
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("Account created."))
                return redirect("web:account_detail", pk=account.pk)
    return render(request, "customers/account_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(request, pk)
    if not can(request.user, "write", account):
        raise PermissionDenied
    title = account.name  # the form writes the edited values into `account`
    form = AccountForm(request.POST or None, instance=account, actor=request.user)
    status, stale = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.account_update(
                    request.user,
                    account=account,
                    version=form.cleaned_data["version"],
                    **form.service_fields(),
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
                stale = isinstance(exc, StaleVersion)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("web:account_detail", pk=account.pk)
    return render(
        request,
        "customers/account_form.html",
        {"form": form, "account_id": pk, "title": title, "stale": stale},
        status=status,
    )


def _after_change(request: HttpRequest, account: Account) -> HttpResponse:
    """Back to the account, or to the list when the change took it out of sight."""
    if can(request.user, "read", account):
        return redirect("web:account_detail", pk=account.pk)
    messages.info(request, _("You can no longer see this account."))
    return redirect("web:account_list")


@login_required
@require_POST
def account_assign(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(request, pk)
    form = AssignForm(request.POST)
    status = 400
    if form.is_valid():
        owner = form.cleaned_data["owner_user"]
        try:
            services.account_assign(
                request.user,
                account=account,
                owner_user=owner,
                cascade=form.cleaned_data["cascade"],
            )
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Assigned to %(name)s.") % {"name": owner})
            return _after_change(request, account)
    return _render_detail(request, account, assign_form=form, status=status)


@login_required
@require_POST
def account_share(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(request, pk)
    form = AccountShareForm(request.POST)
    status = 400
    if form.is_valid():
        person = form.cleaned_data["user"]
        try:
            services.account_share(
                request.user,
                account=account,
                user=person,
                rights=form.cleaned_data["rights"],
                cascade=form.cleaned_data["cascade"],
            )
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Shared with %(name)s.") % {"name": person})
            return redirect("web:account_detail", pk=account.pk)
    return _render_detail(request, account, share_form=form, status=status)


@login_required
@require_POST
def account_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(request, pk)
    form = UnshareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That share could not be found."))
        return redirect("web:account_detail", pk=account.pk)
    try:
        record_unshare(
            request.user,
            account,
            user=form.cleaned_data["user"],
            team=form.cleaned_data["team"],
        )
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Share removed."))
    return redirect("web:account_detail", pk=account.pk)


# Contacts.


def _contact_or_404(request: HttpRequest, pk: int) -> Contact:
    try:
        return selectors.contact_get(request.user, pk)
    except NotFound:
        raise Http404(_("No such contact.")) from None


def _may_create_contact(user: Any) -> bool:
    return can(user, "create", Contact(owner_user=user, owning_unit_id=user.unit_id))


@login_required
@require_http_methods(["GET", "HEAD"])
def contact_list(request: HttpRequest) -> HttpResponse:
    """Contacts the user can see: search (name, email, phone in any format, city), filters,
    sort, keyset pages. An htmx request aimed at the results swaps just the table."""
    partial = bool(
        request.htmx
        and request.htmx.target == CONTACT_RESULTS_TARGET
        and not request.htmx.history_restore_request
    )
    form = ContactFilterForm(request.GET, actor=request.user, with_options=not partial)
    page = keyset_page(
        selectors.contact_list(request.user, **form.filters()),
        order=form.order(),
        cursor=request.GET.get("cursor"),
        per_page=PER_PAGE,
    )
    context = {"form": form, "page": page, "results_target": CONTACT_RESULTS_TARGET}
    if partial:
        response = render(request, "customers/_contact_results.html", context)
    else:
        context["may_create"] = _may_create_contact(request.user)
        response = render(request, "customers/contact_list.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _render_contact(
    request: HttpRequest,
    contact: Contact,
    *,
    assign_form: RecordAssignForm | None = None,
    share_form: ShareForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may = {action: can(user, action, contact) for action in ("write", "assign", "share")}
    account = contact.account if contact.account_id and can(user, "read", contact.account) else None
    context = {
        "contact": contact,
        "account": account,
        "shares": record_shares(contact),
        "may": may,
        "assign_form": assign_form or (RecordAssignForm() if may["assign"] else None),
        "share_form": share_form or (ShareForm() if may["share"] else None),
    }
    return render(request, "customers/contact_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the account when the user may see it, shares and who can see it."""
    return _render_contact(request, _contact_or_404(request, pk))


@login_required
@require_http_methods(["GET", "HEAD"])
def contact_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone who can reach the contact and why (fetched by the detail page with htmx)."""
    contact = _contact_or_404(request, pk)
    template = "customers/_access_panel.html" if request.htmx else "customers/contact_access.html"
    context = {"contact": contact, "entity": "contact", "access_rows": access_rows(contact)}
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    """A new contact; `?account=<id>` starts it linked to that account."""
    if not _may_create_contact(request.user):
        raise PermissionDenied
    initial = {}
    account_id = request.GET.get("account", "")
    if account_id.isdigit():
        initial["account"] = account_id
    form = ContactForm(request.POST or None, initial=initial, actor=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                contact = services.contact_create(request.user, **form.service_fields())
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("Contact created."))
                return redirect("web:contact_detail", pk=contact.pk)
    return render(request, "customers/contact_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_404(request, pk)
    if not can(request.user, "write", contact):
        raise PermissionDenied
    form = ContactForm(request.POST or None, instance=contact, actor=request.user)
    status, stale = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.contact_update(
                    request.user,
                    contact=contact,
                    version=form.cleaned_data["version"],
                    **form.service_fields(),
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
                stale = isinstance(exc, StaleVersion)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("web:contact_detail", pk=contact.pk)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "contact_id": pk, "title": str(contact), "stale": stale},
        status=status,
    )


def _after_contact_change(request: HttpRequest, contact: Contact) -> HttpResponse:
    """Back to the contact, or to the list when the change took it out of sight."""
    if can(request.user, "read", contact):
        return redirect("web:contact_detail", pk=contact.pk)
    messages.info(request, _("You can no longer see this contact."))
    return redirect("web:contact_list")


@login_required
@require_POST
def contact_assign(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_404(request, pk)
    form = RecordAssignForm(request.POST)
    status = 400
    if form.is_valid():
        owner = form.cleaned_data["owner_user"]
        try:
            services.contact_assign(request.user, contact=contact, owner_user=owner)
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Assigned to %(name)s.") % {"name": owner})
            return _after_contact_change(request, contact)
    return _render_contact(request, contact, assign_form=form, status=status)


@login_required
@require_POST
def contact_share(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_404(request, pk)
    form = ShareForm(request.POST)
    status = 400
    if form.is_valid():
        person = form.cleaned_data["user"]
        try:
            services.contact_share(
                request.user, contact=contact, user=person, rights=form.cleaned_data["rights"]
            )
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("Shared with %(name)s.") % {"name": person})
            return redirect("web:contact_detail", pk=contact.pk)
    return _render_contact(request, contact, share_form=form, status=status)


@login_required
@require_POST
def contact_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_404(request, pk)
    form = UnshareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That share could not be found."))
        return redirect("web:contact_detail", pk=contact.pk)
    try:
        record_unshare(
            request.user,
            contact,
            user=form.cleaned_data["user"],
            team=form.cleaned_data["team"],
        )
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Share removed."))
    return redirect("web:contact_detail", pk=contact.pk)
