"""Account and contact pages. Each view parses its input, calls a selector or a service,
and renders.

A missing record and one the user may not read both answer 404; one they may read but
not change answers 403 on the change pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from trellis.access import can
from trellis.customers import selectors, services
from trellis.customers.forms import (
    AccountFilterForm,
    AccountForm,
    AccountShareForm,
    AssignForm,
    ContactFilterForm,
    ContactForm,
)
from trellis.customers.models import Account, Contact
from trellis.web.records import RecordPages, form_page, list_page, wants_results_only

PER_PAGE = 25
CHILDREN_SHOWN = 20
CONTACTS_SHOWN = 20
RESULTS_TARGET = "account-results"
CONTACT_RESULTS_TARGET = "contact-results"


def _account_or_404(request: HttpRequest, pk: int) -> Account:
    return ACCOUNT_PAGES.get_or_404(request, pk)


def _may_create(user: Any) -> bool:
    # `create` is asked of a record not yet saved; depth does not matter for it.
    return can(user, "create", Account(owner_user=user, owning_unit_id=user.unit_id))


@login_required
@require_http_methods(["GET", "HEAD"])
def account_list(request: HttpRequest) -> HttpResponse:
    """Accounts the user can see: search, filters, sort, keyset pages. An htmx request
    aimed at the results swaps just the table (live search)."""
    # The drop-down options are needed only when the whole page is drawn.
    with_options = not wants_results_only(request, RESULTS_TARGET)
    form = AccountFilterForm(request.GET, actor=request.user, with_options=with_options)
    return list_page(
        request,
        qs=selectors.account_list(request.user, **form.filters()),
        form=form,
        template="customers/account_list.html",
        results_template="customers/_account_results.html",
        results_target=RESULTS_TARGET,
        extra=lambda: {"may_create": _may_create(request.user)},
        per_page=PER_PAGE,
    )


def _render_detail(
    request: HttpRequest, account: Account, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = ACCOUNT_PAGES.context(request, account, **forms)
    context["may"]["create_contact"] = _may_create_contact(user)
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
    context.update(
        {
            "account": account,
            "parent": parent,
            "children": children[:CHILDREN_SHOWN],
            "more_children": len(children) > CHILDREN_SHOWN,
            "contacts": contacts[:CONTACTS_SHOWN],
            "more_contacts": len(contacts) > CONTACTS_SHOWN,
        }
    )
    return render(request, "customers/account_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, parent and children the user may see, and who can see it and why."""
    return _render_detail(request, _account_or_404(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user):
        raise PermissionDenied
    form = AccountForm(request.POST or None, actor=request.user)
    return form_page(
        request,
        form=form,
        save=lambda: services.account_create(request.user, **form.service_fields()),
        detail="web:account_detail",
        template="customers/account_form.html",
        context={},
        done=_("Account created."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_or_404(request, pk)
    if not can(request.user, "write", account):
        raise PermissionDenied
    title = account.name  # the form writes the edited values into `account`
    form = AccountForm(request.POST or None, instance=account, actor=request.user)
    return form_page(
        request,
        form=form,
        save=lambda: services.account_update(
            request.user,
            account=account,
            version=form.cleaned_data["version"],
            **form.service_fields(),
        ),
        detail="web:account_detail",
        template="customers/account_form.html",
        context={"account_id": pk, "title": title},
        done=_("Changes saved."),
    )


def _account_assign(actor: Any, account: Account, *, owner_user: Any, cascade: bool) -> None:
    services.account_assign(actor, account=account, owner_user=owner_user, cascade=cascade)


def _account_share(
    actor: Any, account: Account, *, user: Any, rights: list[str], cascade: bool
) -> str | None:
    result = services.account_share(
        actor, account=account, user=user, rights=rights, cascade=cascade
    )
    if not cascade:
        return None
    return _cascade_note(
        ngettext(
            "Also shared %(count)d related record.",
            "Also shared %(count)d related records.",
            result.children_shared,
        )
        % {"count": result.children_shared},
        result.children_skipped,
    )


def _account_unshare(
    actor: Any, account: Account, *, user: Any, team: Any, cascade: bool
) -> str | None:
    result = services.account_unshare(actor, account=account, user=user, team=team, cascade=cascade)
    if not cascade:
        return None
    return _cascade_note(
        ngettext(
            "Also removed from %(count)d related record.",
            "Also removed from %(count)d related records.",
            result.children_unshared,
        )
        % {"count": result.children_unshared},
        result.children_skipped,
    )


def _cascade_note(done: str, skipped: int) -> str:
    if not skipped:
        return done
    left = ngettext(
        "%(count)d you may not share was skipped.",
        "%(count)d you may not share were skipped.",
        skipped,
    ) % {"count": skipped}
    return f"{done} {left}"


ACCOUNT_PAGES = RecordPages(
    entity="account",
    get=selectors.account_get,
    render_detail=_render_detail,
    assign_form=AssignForm,
    share_form=AccountShareForm,
    assign=_account_assign,
    share=_account_share,
    unshare=_account_unshare,
    cascade_unshare=True,
)


# Contacts.


def _contact_or_404(request: HttpRequest, pk: int) -> Contact:
    return CONTACT_PAGES.get_or_404(request, pk)


def _may_create_contact(user: Any) -> bool:
    return can(user, "create", Contact(owner_user=user, owning_unit_id=user.unit_id))


@login_required
@require_http_methods(["GET", "HEAD"])
def contact_list(request: HttpRequest) -> HttpResponse:
    """Contacts the user can see: search (name, email, phone in any format, city), filters,
    sort, keyset pages. An htmx request aimed at the results swaps just the table."""
    with_options = not wants_results_only(request, CONTACT_RESULTS_TARGET)
    form = ContactFilterForm(request.GET, actor=request.user, with_options=with_options)
    return list_page(
        request,
        qs=selectors.contact_list(request.user, **form.filters()),
        form=form,
        template="customers/contact_list.html",
        results_template="customers/_contact_results.html",
        results_target=CONTACT_RESULTS_TARGET,
        extra=lambda: {"may_create": _may_create_contact(request.user)},
        per_page=PER_PAGE,
    )


def _render_contact(
    request: HttpRequest, contact: Contact, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    context = CONTACT_PAGES.context(request, contact, **forms)
    account = contact.account if contact.account_id and can(user, "read", contact.account) else None
    context.update({"contact": contact, "account": account})
    return render(request, "customers/contact_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Key fields, the account when the user may see it, shares and who can see it."""
    return _render_contact(request, _contact_or_404(request, pk))


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
    return form_page(
        request,
        form=form,
        save=lambda: services.contact_create(request.user, **form.service_fields()),
        detail="web:contact_detail",
        template="customers/contact_form.html",
        context={},
        done=_("Contact created."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_404(request, pk)
    if not can(request.user, "write", contact):
        raise PermissionDenied
    title = str(contact)  # the form writes the edited values into `contact`
    form = ContactForm(request.POST or None, instance=contact, actor=request.user)
    return form_page(
        request,
        form=form,
        save=lambda: services.contact_update(
            request.user,
            contact=contact,
            version=form.cleaned_data["version"],
            **form.service_fields(),
        ),
        detail="web:contact_detail",
        template="customers/contact_form.html",
        context={"contact_id": pk, "title": title},
        done=_("Changes saved."),
    )


def _contact_assign(actor: Any, contact: Contact, *, owner_user: Any) -> None:
    services.contact_assign(actor, contact=contact, owner_user=owner_user)


def _contact_share(actor: Any, contact: Contact, *, user: Any, rights: list[str]) -> None:
    services.contact_share(actor, contact=contact, user=user, rights=rights)


CONTACT_PAGES = RecordPages(
    entity="contact",
    get=selectors.contact_get,
    render_detail=_render_contact,
    assign=_contact_assign,
    share=_contact_share,
)
