"""Web pages of the notifications app: the bell in the header and the inbox page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from trellis.core.errors import NotFound
from trellis.notifications import selectors, services
from trellis.notifications.models import Notification
from trellis.web.pagination import keyset_page

PER_PAGE = 50
# htmx stops polling when an answer has this status: a signed-out tab stops asking.
HTMX_STOP_POLLING = 286


def _own_or_404(request: HttpRequest, pk: int) -> Notification:
    try:
        return selectors.notification_get(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.detail) from None


@never_cache
@require_http_methods(["GET", "HEAD"])
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell with the unread count, fetched by htmx when a page loads and every minute."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    context = {"bell_loaded": True, "unread": selectors.unread_count(request.user)}
    return render(request, "notifications/_bell.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, newest first (`?unread=1`: unread only)."""
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notification_list(request.user, unread=True if unread_only else None)
    page = keyset_page(qs, order="-created_at", cursor=request.GET.get("cursor"), per_page=PER_PAGE)
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "unread_only": unread_only},
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to what it is about; the record's page checks
    whether the person may still see it."""
    notification = _own_or_404(request, pk)
    services.notification_mark_read(request.user, notification=notification)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("web:notification_list")
    return HttpResponseRedirect(target)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own_or_404(request, pk)
    services.notification_mark_read(request.user, notification=notification)
    return redirect("web:notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(request.user)
    return redirect("web:notification_list")
