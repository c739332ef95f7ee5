"""The partner portal: what partner users (`user.is_partner`) may open, in one place.

Partners are external distributors and agents. The access engine already limits what
they see to what they own and what is shared with them (roles never give them more than
`own`); the portal also limits the interface, so they get a reduced app with the same
templates:

Web pages (checked by `PartnerPortalMiddleware`, keyed on url names)
  * allowed: the home page (the partner home, not the role dashboard), sign-in/out, the
    language switch, search, notifications; the account, lead and opportunity lists,
    their detail, create and edit pages and their own actions (qualify, disqualify,
    contacted, reopen, close, the pipeline); a record's timeline, saved views and list
    exports for those three lists only (the services still check rights and privileges).
  * everything else answers 403 with the normal page: contacts, cases, queues,
    campaigns, products, targets, activities and the calendar, dashboards and reports,
    routing, service levels, import, the admin area — whatever their roles say.
  * also 403: a record's "who can see this, and why" page, its assign, share and unshare
    actions and the lists' bulk actions (assign, share, export selected). The who-can
    list and the people pickers name internal staff; the partner role has no assign or
    share rights anyway. The lists show no bulk bar or row checkboxes to partners.

What record pages leave out for partners (templates ask `request.user.is_partner`)
  * the access panel (who can see the record and why) and the list of shares;
  * the routing "Assignment" box (rules, candidates with their loads and scores);
  * links to pages they may not open (contacts, campaigns, activities); the account
    page's contacts card; the pipeline's owner, team and unit filters (they list the
    organization's people, teams and units);
  * on the timeline: the audit trail (internal actors and raw field changes) and
    activities. Notes stay: they are how a partner and the owner talk about a record,
    and each note shows its author's name.
  The owner's name stays on the record: it is the partner's contact person.

REST API (checked by `check_api_call`, called by the API's authenticators, so both
bearer tokens and the browser session are covered)
  * allowed: `auth/token`, `users/me`, `search` (accounts and leads only: the search
    selector drops contacts for partners), `notifications...`, and `accounts`, `leads`,
    `opportunities`: the lists, one record, and its actions (assign, share, unshare,
    qualify, disqualify, reopen, contacted, close) and an opportunity's `stages`.
  * 403 `{"detail", "errors": []}` for everything else, including a record's `access`,
    `access-team`, `history`, `assignments`, `sla` and an account's `contacts`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from trellis.core.errors import Forbidden

# The main navigation a partner gets (url names, in the order of web.context.SECTIONS).
PARTNER_SECTIONS = frozenset(
    {"web:home", "web:account_list", "web:lead_list", "web:opportunity_list"}
)

# Web pages a partner may open, by url name (without the "web:" namespace).
PARTNER_PAGES = frozenset(
    {
        "home",
        "login",
        "logout",
        "language",
        "search",
        "notification_list",
        "notification_bell",
        "notification_read_all",
        "notification_open",
        "notification_read",
        "account_list",
        "account_create",
        "account_detail",
        "account_edit",
        "lead_list",
        "lead_create",
        "lead_detail",
        "lead_edit",
        "lead_qualify",
        "lead_disqualify",
        "lead_contacted",
        "lead_reopen",
        "opportunity_list",
        "opportunity_create",
        "opportunity_pipeline",
        "opportunity_pipeline_move",
        "opportunity_pipeline_close",
        "opportunity_detail",
        "opportunity_edit",
        "opportunity_close",
        "note_delete",
        "saved_view_delete",
    }
)
# Pages shared by every entity: allowed when the url's argument names a partner entity.
PARTNER_ENTITY_PAGES: dict[str, tuple[str, frozenset[str]]] = {
    "timeline": ("entity", frozenset({"account", "lead", "opportunity"})),
    "export_list": ("entity", frozenset({"accounts", "leads", "opportunities"})),
    "saved_view_create": ("list_name", frozenset({"accounts", "leads", "opportunities"})),
}

_API_PREFIX = "/api/v1/"
_PARTNER_API = re.compile(
    r"""^(?:
        auth/token
      | users/me
      | search
      | notifications(?:/.*)?
      | (?:accounts|leads|opportunities)
        (?:/\d+(?:/(?:assign|share|unshare|qualify|disqualify|reopen|contacted|close|stages))?)?
    )/?$""",
    re.VERBOSE,
)


def is_partner(user: Any) -> bool:
    """True for a signed-in partner user."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_partner", False))


def partner_may_open(url_name: str, kwargs: dict[str, Any] | None = None) -> bool:
    """Whether a partner may open the web page named `url_name` ("web:lead_detail")."""
    namespace, _, name = url_name.rpartition(":")
    if namespace != "web":
        return False
    if name in PARTNER_PAGES:
        return True
    if name in PARTNER_ENTITY_PAGES:
        argument, allowed = PARTNER_ENTITY_PAGES[name]
        return str((kwargs or {}).get(argument, "")) in allowed
    return False


def partner_may_call(path: str) -> bool:
    """Whether a partner may call the API endpoint at `path` ("/api/v1/leads/4/qualify")."""
    if not path.startswith(_API_PREFIX):
        return False
    return _PARTNER_API.match(path[len(_API_PREFIX) :]) is not None


def check_api_call(request: HttpRequest, user: Any) -> None:
    """Raise Forbidden (403 in the API's error shape) when a partner calls an endpoint
    outside the portal."""
    if is_partner(user) and not partner_may_call(request.path_info):
        raise Forbidden("partner users may not use this endpoint")


class PartnerPortalMiddleware:
    """Answers 403 (the normal page) when a partner opens a web page outside the portal.
    The API is checked by its authenticators (a bearer token is only known there)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        if request.path_info.startswith("/api/") or not is_partner(request.user):
            return
        match = request.resolver_match
        if match is None or not partner_may_open(match.view_name, view_kwargs):
            raise PermissionDenied("not part of the partner portal")
