"""The search page and the header's instant results (an htmx fragment)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from trellis.core.errors import InvalidInput
from trellis.search.selectors import MIN_QUERY, search

PAGE_LIMIT = 50
INSTANT_LIMIT = 8
INSTANT_TARGET = "global-search-results"


@login_required
@require_http_methods(["GET", "HEAD"])
def search_page(request: HttpRequest) -> HttpResponse:
    """Results for ?q=: the whole page, or (for the header box) just a short list."""
    q = request.GET.get("q", "").replace("\x00", "")
    instant = bool(request.htmx and request.htmx.target == INSTANT_TARGET)
    hits, error = [], ""
    if q.strip():
        try:
            hits = search(request.user, q, limit=INSTANT_LIMIT if instant else PAGE_LIMIT)
        except InvalidInput as exc:
            error = exc.errors[0][1] if exc.errors else exc.detail
    context = {"q": q, "hits": hits, "error": error, "min_query": MIN_QUERY, "instant": instant}
    template = "search/_results.html" if instant else "search/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
