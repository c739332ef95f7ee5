"""Per-request access scope cache (like Sentry's request.access)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from trellis.access.engine import scope_cache


class AccessScopeMiddleware:
    """Computes each user's access scope at most once per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with scope_cache():
            return self.get_response(request)
