"""The pages every securable record has besides its own detail page: who can see it and
why (the access panel), assign, share and unshare; and the list and form page helpers
every record type's views use.

One set of views serves accounts, contacts, leads, opportunities, campaigns and cases; a
`RecordPages` tells them how to find the entity's records, which forms and services to use
and how to draw its detail page again when a form has errors. Each app's urls.py lists
`pages.urls("<resource>")`, so the URLs and their names stay the app's own.

A record the user may not read answers 404; one they may read but not share answers 403
on unshare (assign and share show the service's refusal on the form).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trellis.access import can
from trellis.access.models import SecurableModel
from trellis.access.selectors import access_rows, record_shares
from trellis.access.services import record_assign, record_share, record_unshare
from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.web.forms import RecordAssignForm, RecordShareForm, UnshareForm, add_service_error
from trellis.web.pagination import keyset_page

# What the record page lets a person do; `may` in every record template.
RECORD_ACTIONS = ("write", "delete", "assign", "share")


def _assign(actor: Any, record: SecurableModel, *, owner_user: Any, **_: Any) -> None:
    record_assign(actor, record, owner_user=owner_user)


def _share(actor: Any, record: SecurableModel, *, user: Any, rights: list[str], **_: Any) -> None:
    record_share(actor, record, user=user, rights=rights)


def _unshare(actor: Any, record: SecurableModel, *, user: Any, team: Any, **_: Any) -> None:
    record_unshare(actor, record, user=user, team=team)


@dataclass(frozen=True)
class RecordPages:
    """How the shared record views reach one entity.

    `get(actor, pk)` returns a record the actor may read or raises NotFound.
    `render_detail(request, record, *, status=200, **forms)` draws the detail page, with
    a bound `assign_form` or `share_form` when one has errors. `assign`, `share` and
    `unshare` are called with the actor, the record and the form's cleaned data; they may
    return a sentence to add to the success message (what a cascade did)."""

    entity: str
    get: Callable[[Any, int], SecurableModel]
    render_detail: Callable[..., HttpResponse]
    assign_form: type[forms.Form] = RecordAssignForm
    share_form: type[forms.Form] = RecordShareForm
    assign: Callable[..., str | None] = _assign
    share: Callable[..., str | None] = _share
    unshare: Callable[..., str | None] = _unshare
    # Offer "remove here and from related records" next to each share.
    cascade_unshare: bool = False

    @property
    def url_names(self) -> dict[str, str]:
        names = ("list", "detail", "edit", "access", "assign", "share", "unshare")
        return {name: f"web:{self.entity}_{name}" for name in names}

    def get_or_404(self, request: HttpRequest, pk: int) -> SecurableModel:
        try:
            return self.get(request.user, pk)
        except NotFound:
            raise Http404(_("No such record.")) from None

    def context(self, request: HttpRequest, record: SecurableModel, **forms: Any) -> dict:
        """What the shared side panel and access loader need, for the detail page."""
        user = request.user
        may = {action: can(user, action, record) for action in RECORD_ACTIONS}
        return {
            "record": record,
            "noun": record._meta.verbose_name,
            "urls": self.url_names,
            "shares": record_shares(record),
            "may": may,
            "cascade_unshare": self.cascade_unshare,
            "assign_form": forms.get("assign_form")
            or (self.assign_form() if may["assign"] else None),
            "share_form": forms.get("share_form") or (self.share_form() if may["share"] else None),
        }

    def urls(self, resource: str) -> list[URLPattern]:
        """The access, assign, share and unshare URLs under `<resource>/<pk>/`."""
        views = {
            "access": record_access,
            "assign": record_assign_view,
            "share": record_share_view,
            "unshare": record_unshare_view,
        }
        return [
            path(
                f"{resource}/<int:pk>/{action}/",
                view,
                {"pages": self},
                name=f"{self.entity}_{action}",
            )
            for action, view in views.items()
        ]


def _after_change(request: HttpRequest, pages: RecordPages, record: SecurableModel) -> HttpResponse:
    """Back to the record, or to the list when the change took it out of sight."""
    if can(request.user, "read", record):
        return redirect(pages.url_names["detail"], pk=record.pk)
    messages.info(request, _("You can no longer see this record."))
    return redirect(pages.url_names["list"])


def _success(request: HttpRequest, message: str, note: str | None) -> None:
    messages.success(request, f"{message} {note}" if note else message)


@login_required
@require_http_methods(["GET", "HEAD"])
def record_access(request: HttpRequest, pk: int, *, pages: RecordPages) -> HttpResponse:
    """Everyone who can reach the record and why. Its own request because it costs a few
    queries per person: the detail page fetches it with htmx when it scrolls into view
    (and links to it as a page without JavaScript)."""
    record = pages.get_or_404(request, pk)
    template = "web/_record_access_panel.html" if request.htmx else "web/record_access.html"
    context = {
        "record": record,
        "noun": record._meta.verbose_name,
        "plural": record._meta.verbose_name_plural,
        "urls": pages.url_names,
        "access_rows": access_rows(record),
    }
    response = render(request, template, context)
    # The same URL answers a whole page or a fragment; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def record_assign_view(request: HttpRequest, pk: int, *, pages: RecordPages) -> HttpResponse:
    """Give the record a new owner; the form shows a refusal."""
    record = pages.get_or_404(request, pk)
    form = pages.assign_form(request.POST)
    status = 400
    if form.is_valid():
        owner = form.cleaned_data["owner_user"]
        try:
            note = pages.assign(request.user, record, **form.cleaned_data)
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            _success(request, _("Assigned to %(name)s.") % {"name": owner}, note)
            return _after_change(request, pages, record)
    return pages.render_detail(request, record, assign_form=form, status=status)


@login_required
@require_POST
def record_share_view(request: HttpRequest, pk: int, *, pages: RecordPages) -> HttpResponse:
    """Share the record with a person; the form shows a refusal."""
    record = pages.get_or_404(request, pk)
    form = pages.share_form(request.POST)
    status = 400
    if form.is_valid():
        person = form.cleaned_data["user"]
        try:
            note = pages.share(request.user, record, **form.cleaned_data)
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            _success(request, _("Shared with %(name)s.") % {"name": person}, note)
            return redirect(pages.url_names["detail"], pk=record.pk)
    return pages.render_detail(request, record, share_form=form, status=status)


@login_required
@require_POST
def record_unshare_view(request: HttpRequest, pk: int, *, pages: RecordPages) -> HttpResponse:
    """Remove a share (a Remove button on the detail page); a refusal is a message."""
    record = pages.get_or_404(request, pk)
    form = UnshareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That share could not be found."))
        return redirect(pages.url_names["detail"], pk=record.pk)
    try:
        note = pages.unshare(request.user, record, **form.cleaned_data)
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        _success(request, _("Share removed."), note)
    return redirect(pages.url_names["detail"], pk=record.pk)


# The list and form pages every record type has ---------------------------------------


def wants_results_only(request: HttpRequest, results_target: str) -> bool:
    """True for an htmx request aimed at a list's results (live search, pager): it gets
    just the results fragment."""
    return bool(
        request.htmx
        and request.htmx.target == results_target
        and not request.htmx.history_restore_request
    )


def list_page(
    request: HttpRequest,
    *,
    qs: Any,
    form: Any,
    template: str,
    results_template: str,
    results_target: str,
    extra: Callable[[], dict[str, Any]] | None = None,
    per_page: int = 25,
) -> HttpResponse:
    """A list with filters and keyset pages ordered by `form.order()`. An htmx request
    aimed at the results swaps just the table; `extra()` adds what only the whole page
    needs (the New button)."""
    partial = wants_results_only(request, results_target)
    page = keyset_page(qs, order=form.order(), cursor=request.GET.get("cursor"), per_page=per_page)
    context = {"form": form, "page": page, "results_target": results_target}
    if not partial and extra is not None:
        context.update(extra())
    response = render(request, results_template if partial else template, context)
    # The same URL answers a whole page or a fragment; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def form_page(
    request: HttpRequest,
    *,
    form: Any,
    save: Callable[[], SecurableModel],
    detail: str,
    template: str,
    context: dict[str, Any],
    done: str | Callable[[Any], str],
) -> HttpResponse:
    """Show `form`; on a valid POST call `save` and go to the saved record's `detail`
    page with the `done` message (a text, or a function of the record). A refusal shows
    on the form with its status; a stale version says so."""
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
                messages.success(request, done(record) if callable(done) else done)
                return redirect(detail, pk=record.pk)
    return render(request, template, {"form": form, "stale": stale, **context}, status=status)
