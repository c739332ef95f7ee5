"""Saved views of the record lists: a name for a list's filters and sort.

A saved view is private to its owner; shared, it is offered to everyone who is in an
owner team with the owner. Only the owner deletes it. A view someone may not see
answers 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TrellisError
from trellis.org.models import TeamKind, TeamMembership, User
from trellis.org.selectors import active_memberships
from trellis.web.forms import TrellisFormMixin
from trellis.web.models import SavedView

# The lists that offer saved views, and their pages.
SAVED_VIEW_LISTS = {
    "leads": "web:lead_list",
    "opportunities": "web:opportunity_list",
    "cases": "web:case_list",
    "accounts": "web:account_list",
    "contacts": "web:contact_list",
}
# Never part of a saved view: where someone was in the pages, or a one-off value.
DROPPED_PARAMS = ("cursor", "csrfmiddlewaretoken")
MAX_QUERY = 2000


# Selectors -----------------------------------------------------------------------------


def _active(memberships: QuerySet) -> QuerySet:
    return memberships.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def saved_view_list(actor: User, *, list_name: str) -> QuerySet:
    """The saved views of `list_name` that `actor` may pick: their own, and those shared
    by someone in one of their owner teams."""
    teams = active_memberships(actor).filter(team__kind=TeamKind.OWNER).values("team_id")
    colleagues = _active(TeamMembership.objects.filter(team_id__in=teams)).values("user_id")
    return (
        SavedView.objects.filter(list_name=list_name)
        .filter(Q(owner=actor) | Q(shared_with_team=True, owner_id__in=colleagues))
        .select_related("owner")
        .order_by("name", "pk")
    )


def saved_view_get(actor: User, pk: int) -> SavedView:
    """A saved view `actor` may see (any list); NotFound otherwise."""
    view = SavedView.objects.filter(pk=pk).first()
    if view is None or not saved_view_list(actor, list_name=view.list_name).filter(pk=pk).exists():
        raise NotFound(f"saved view {pk} not found")
    return view


# Services ------------------------------------------------------------------------------


def clean_query(query_string: str) -> str:
    """The query string without the page cursor, in a stable form."""
    pairs = [
        (key, value)
        for key, value in parse_qsl(query_string or "", keep_blank_values=False)
        if key not in DROPPED_PARAMS
    ]
    return urlencode(pairs)


@transaction.atomic
def saved_view_create(
    actor: User,
    *,
    list_name: str,
    name: str,
    query_string: str = "",
    shared_with_team: bool = False,
) -> SavedView:
    """Save a list's filters and sort under a name (a name is the owner's once per
    list: saving it again answers 409)."""
    if list_name not in SAVED_VIEW_LISTS:
        raise InvalidInput.field("list_name", f"{list_name!r} has no saved views")
    name = (name or "").strip()
    if not name:
        raise InvalidInput.field("name", "give the view a name")
    if len(name) > SavedView._meta.get_field("name").max_length:
        raise InvalidInput.field("name", "must be at most 100 characters")
    query = clean_query(query_string)
    if len(query) > MAX_QUERY:
        raise InvalidInput.field("query_string", f"must be at most {MAX_QUERY} characters")
    if SavedView.objects.filter(owner=actor, list_name=list_name, name=name).exists():
        raise Conflict.field("name", "you already have a view with this name")
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                owner=actor,
                list_name=list_name,
                name=name,
                query_string=query,
                shared_with_team=bool(shared_with_team),
            )
    except IntegrityError:
        # Saved twice at the same moment: the second one lost the race.
        raise Conflict.field("name", "you already have a view with this name") from None
    audit_record(
        actor,
        "create",
        view,
        entity="saved_view",
        changes={"list_name": list_name, "name": name, "query_string": query},
    )
    return view


@transaction.atomic
def saved_view_delete(actor: User, *, saved_view: SavedView) -> None:
    """Delete a saved view; only its owner may (a team member who can pick it gets 403)."""
    if saved_view.owner_id != actor.pk:
        raise Forbidden("only the person who saved a view may delete it")
    audit_record(
        actor, "delete", saved_view, entity="saved_view", changes={"name": saved_view.name}
    )
    saved_view.delete()


# Views ---------------------------------------------------------------------------------


class SavedViewForm(TrellisFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Save these filters as"), max_length=100)
    shared_with_team = forms.BooleanField(label=gettext_lazy("Share with my team"), required=False)
    query_string = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "view")
        super().__init__(*args, **kwargs)


def _list_url(list_name: str, query: str = "") -> str:
    url = reverse(SAVED_VIEW_LISTS[list_name])
    return f"{url}?{query}" if query else url


@login_required
@require_POST
def saved_view_create_view(request: HttpRequest, list_name: str) -> HttpResponse:
    """Save the list's current filters and go to the saved view."""
    if list_name not in SAVED_VIEW_LISTS:
        raise Http404(_("No such list."))
    form = SavedViewForm(request.POST)
    query = form.data.get("view-query_string", "")
    if not form.is_valid():
        messages.error(request, _("Give the view a name (at most 100 characters)."))
        return redirect(_list_url(list_name, clean_query(query)))
    data = form.cleaned_data
    try:
        view = saved_view_create(
            request.user,
            list_name=list_name,
            name=data["name"],
            query_string=data["query_string"],
            shared_with_team=data["shared_with_team"],
        )
    except TrellisError as exc:
        messages.error(request, exc.errors[0][1] if exc.errors else exc.detail)
        return redirect(_list_url(list_name, clean_query(query)))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(_list_url(list_name, view.query_string))


@login_required
@require_POST
def saved_view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        view = saved_view_get(request.user, pk)
    except NotFound:
        raise Http404(_("No such view.")) from None
    list_name = view.list_name
    try:
        saved_view_delete(request.user, saved_view=view)
    except Forbidden:
        messages.error(request, _("Only the person who saved a view may delete it."))
        return redirect(_list_url(list_name, view.query_string))
    messages.success(request, _("View deleted."))
    return redirect(_list_url(list_name))


urlpatterns = [
    path("views/<slug:list_name>/save/", saved_view_create_view, name="saved_view_create"),
    path("views/<int:pk>/delete/", saved_view_delete_view, name="saved_view_delete"),
]
