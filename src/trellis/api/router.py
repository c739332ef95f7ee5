"""The REST API root: /api/v1 (DESIGN.md, REST API conventions).

Authentication is a bearer token or the browser session (with CSRF); partner users reach
only the partner portal's endpoints (trellis.web.portal). Domain errors,
validation errors and HTTP errors all answer {"detail", "errors": [{"field", "message"}]}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from trellis.core.errors import NotFound, TrellisError
from trellis.org.auth import token_user
from trellis.web.portal import check_api_call


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_user(token)
        if found is None:
            return None
        user, api_token = found
        request.user = user
        request.api_token = api_token
        check_api_call(request, user)
        return user


class ActiveSessionAuth(SessionAuth):
    """The browser session; deactivated users are already logged out by Django's backend."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a signed-in session there is nothing for CSRF to protect; checking it
        # anyway would answer a missing or bad bearer token with 403 instead of 401.
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(
                403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken"
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        check_api_call(request, user)
        return user


api = NinjaAPI(
    title="Trellis CRM",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), ActiveSessionAuth()],
    description="REST API of Trellis CRM. See DESIGN.md, REST API conventions.",
)


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[tuple[str, str]] | None = None
) -> HttpResponse:
    body = {"detail": detail, "errors": [{"field": f, "message": m} for f, m in errors or []]}
    return api.create_response(request, body, status=status)


@api.exception_handler(TrellisError)
def _trellis_error(request: HttpRequest, exc: TrellisError) -> HttpResponse:
    response = _error(request, exc.status, exc.detail, exc.errors)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for item in exc.errors:
        loc = [
            str(part)
            for part in item.get("loc", [])
            if part not in ("body", "query", "path", "header", "payload")
        ]
        errors.append((".".join(loc) or "body", item.get("msg", "invalid")))
    detail = "; ".join(f"{field}: {message}" for field, message in errors) or "invalid input"
    return _error(request, 422, detail, errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "authentication required: send Authorization: Bearer <token>")
    response["WWW-Authenticate"] = 'Bearer realm="trellis"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "not found")


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return _error(request, 404, "not found")


def _mount() -> None:
    from trellis.activities.api import router as activities_router
    from trellis.analytics.api import router as analytics_router
    from trellis.api.auth import router as auth_router
    from trellis.audit.api import router as audit_router
    from trellis.customers.api import router as customers_router
    from trellis.dataio.api import router as dataio_router
    from trellis.notifications.api import router as notifications_router
    from trellis.org.api import router as org_router
    from trellis.routing.api import router as routing_router
    from trellis.sales.api import router as sales_router
    from trellis.search.api import router as search_router
    from trellis.service.api import router as service_router
    from trellis.sla.api import router as sla_router

    api.add_router("/auth", auth_router)
    api.add_router("/", search_router)
    # Before sales/service: its /leads/assign and /cases/assign would otherwise be taken by
    # their /leads/{lead_id} and /cases/{case_id} patterns (405).
    api.add_router("/", routing_router)
    for router in (org_router, customers_router, sales_router, service_router, activities_router):
        api.add_router("/", router)
    api.add_router("/", audit_router)
    api.add_router("/", dataio_router)
    for router in (sla_router, notifications_router):
        api.add_router("/", router)
    api.add_router("/", analytics_router)


_fallback = Router()


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def _no_such_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Unknown API paths answer in the API's error shape, not with the web 404 page."""
    raise NotFound(f"there is no API endpoint at /api/v1/{rest}")


_mount()
# Added after every other router: it answers the paths none of them claimed.
api.add_router("/", _fallback)
