"""Template context shared by every page: the navigation the user may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _


def _section(view_name: str) -> str:
    """The part of a url name that says which nav section it belongs to:
    "web:account_detail" and "web:account_list" are both in "web:account"."""
    return view_name.split("_", 1)[0]


# The sections in navigation order; one appears once its app has the page.
SECTIONS = [
    ("web:home", _("Home")),
    ("web:account_list", _("Accounts")),
    ("web:contact_list", _("Contacts")),
    ("web:lead_list", _("Leads")),
    ("web:opportunity_list", _("Opportunities")),
    ("web:case_list", _("Cases")),
    ("web:campaign_list", _("Campaigns")),
    ("web:calendar", _("Calendar")),
]

PRIVILEGED_SECTIONS = [
    ("view_reports", "web:report_list", _("Reports")),
    ("manage_routing", "web:routing_rules", _("Routing")),
    ("manage_routing", "web:sla_policy_list", _("Service levels")),
]
# The Admin area opens with any of these; its home page links to what each one allows.
ADMIN_PRIVILEGES = ("manage_org", "manage_roles", "manage_routing", "manage_settings")


def _exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def request_privileges(request: HttpRequest) -> set[str]:
    """The privileges the request's user holds at any depth, asked once per request (the
    navigation and the list's bulk bar both need them)."""
    from trellis.org.selectors import held_privileges

    if not hasattr(request, "_trellis_privileges"):
        request._trellis_privileges = held_privileges(request.user)  # type: ignore[attr-defined]
    return request._trellis_privileges  # type: ignore[attr-defined]


def _nav_items(request: HttpRequest, user: Any) -> list[tuple[str, Any]]:
    from trellis.web.portal import PARTNER_SECTIONS

    items = [(name, label) for name, label in SECTIONS if _exists(name)]
    if user.is_partner:
        # The partner portal: their records only, whatever a role would grant.
        return [(name, label) for name, label in items if name in PARTNER_SECTIONS]
    # Pages for holders of a privilege; code asks for privileges, never role names.
    held = request_privileges(request)
    for privilege, name, label in PRIVILEGED_SECTIONS:
        if _exists(name) and privilege in held:
            items.append((name, label))
    if _exists("web:admin_home") and held.intersection(ADMIN_PRIVILEGES):
        items.append(("web:admin_home", _("Admin")))
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`nav_items`: (url name, label) pairs; `nav_current`: the url name of the current one.

    Both are lazy, so fragments that show no navigation (htmx swaps) cost no queries."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_current": None}
    items = SimpleLazyObject(lambda: _nav_items(request, user))
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""

    def current() -> str | None:
        if not view_name:
            return None
        names = [name for name, _label in items]
        # The page itself when it is a section; else the section of the same prefix
        # ("web:case_queue" is in Cases).
        if view_name in names:
            return view_name
        return next((name for name in names if _section(name) == _section(view_name)), None)

    return {"nav_items": items, "nav_current": current}
