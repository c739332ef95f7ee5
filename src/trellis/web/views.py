"""Shared pages: the start page, signing in and out, and the language picker. The start
page is the analytics dashboard of the user's role, or the partner home for partners."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from trellis.analytics import views as analytics_views
from trellis.core.errors import InvalidInput, Throttled
from trellis.org.auth import sign_in
from trellis.org.services import user_set_language
from trellis.web.forms import LoginForm
from trellis.web.selectors import partner_home


@login_required
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """The start page: a partner's own and shared records (web.portal), else the
    dashboard of the user's role."""
    if request.user.is_partner:
        return render(request, "web/partner_home.html", {"home": partner_home(request.user)})
    return analytics_views.dashboard(request)


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing in: a same-site `next`, else the start page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in through `sign_in`, which applies the failed-login throttle (429 when locked)."""
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next_url(request))
    form = LoginForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in(request, form.cleaned_data["username"], form.cleaned_data["password"])
        except Throttled as exc:
            user, status = None, 429
            retry_after = getattr(exc, "retry_after", None)
            minutes = max(1, math.ceil((retry_after or 60) / 60))
            form.add_error(
                None,
                ngettext(
                    "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
                    "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
            )
        else:
            if user is not None:
                login(request, user)
                return HttpResponseRedirect(_next_url(request))
            form.add_error(None, _("Wrong username or password."))
    response = render(
        request,
        "web/login.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's language picker: saved on the user when signed in, and in the language
    cookie either way (Django's set_language) so the sign-in page follows it too."""
    if request.user.is_authenticated:
        try:
            user_set_language(request.user, language=request.POST.get("language", ""))
        except InvalidInput:
            return HttpResponseBadRequest(_("Choose one of the offered languages."))
    return set_language(request)
