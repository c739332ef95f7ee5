"""Per-request access scope cache (like Sentry's request.access)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from trellis.access.engine import scope_cache


class AccessScopeMiddleware:
    """Computes each user's access scope at most once per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with scope_cache():
            return self.get_response(request)


def _supported(code: str) -> str | None:
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class UserLanguageMiddleware:
    """Speaks the signed-in user's chosen interface language (`ui_language`).

    Runs after LocaleMiddleware, which has already picked the session/cookie/browser
    language (or English); a saved per-user choice wins over all of those. A `?language=`
    on any page (used on the sign-in page before anyone is known) switches for this
    request and is remembered in the language cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API answers in English (clients match on its messages), and its own
        # `language` query parameters are filters, not a choice of interface language.
        if request.path_info.startswith("/api/"):
            return self.get_response(request)
        requested = _supported(request.GET.get("language", ""))
        user = getattr(request, "user", None)
        chosen = None
        if user is not None and user.is_authenticated and user.ui_language:
            chosen = _supported(user.ui_language)
        language = chosen or requested
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if requested and not chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                requested,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
