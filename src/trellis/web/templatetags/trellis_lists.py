"""The list tools every record list shares: the bulk bar and the saved views menu."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.web.bulk import BulkForm
from trellis.web.portal import is_partner
from trellis.web.saved_views import SavedViewForm, clean_query, saved_view_list

register = template.Library()


@register.inclusion_tag("web/_bulk_bar.html", takes_context=True)
def bulk_bar(context: Any, list_name: str) -> dict[str, Any]:
    """The bulk action form of `list_name`; the row checkboxes point to it by id. None for
    partners: their portal has no bulk actions (web.portal)."""
    request = context["request"]
    form = BulkForm(initial={"next": request.get_full_path()})
    return {
        "form": form,
        "list_name": list_name,
        "csrf_token": context.get("csrf_token"),
        "partner": is_partner(request.user),
    }


@register.inclusion_tag("web/_saved_views.html", takes_context=True)
def saved_views(context: Any, list_name: str) -> dict[str, Any]:
    """The saved views the user may pick for `list_name`, and a form saving the current
    filters."""
    request = context["request"]
    query = clean_query(request.GET.urlencode())
    views = list(saved_view_list(request.user, list_name=list_name))
    return {
        "views": views,
        "current": next((view for view in views if view.query_string == query), None),
        "list_name": list_name,
        "user": request.user,
        "path": request.path,
        "form": SavedViewForm(initial={"query_string": query}),
        "csrf_token": context.get("csrf_token"),
    }
