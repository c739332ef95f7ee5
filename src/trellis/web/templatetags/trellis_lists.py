"""The list tools every record list shares: the bulk bar and the saved views menu."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.web.bulk import BulkForm, bulk_list, offered_actions
from trellis.web.context import request_privileges
from trellis.web.portal import is_partner
from trellis.web.saved_views import SavedViewForm, clean_query, saved_view_list

register = template.Library()


@register.inclusion_tag("web/_bulk_bar.html", takes_context=True)
def bulk_bar(context: Any, list_name: str) -> dict[str, Any]:
    """The bulk action form of `list_name`, offering the actions the user's roles allow
    (`offered_actions`); the row checkboxes point to it by id. None for partners (their
    portal has no bulk actions, web.portal) or when no action is allowed."""
    request = context["request"]
    actions = offered_actions(request.user, bulk_list(list_name), request_privileges(request))
    form = BulkForm(initial={"next": request.get_full_path()}, actions=actions)
    return {
        "form": form,
        "list_name": list_name,
        "csrf_token": context.get("csrf_token"),
        # Partners' portal has no bulk actions; others see the bar when it has one.
        "hidden": is_partner(request.user) or not actions,
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
