"""Signing in: password checks with a failed-attempt throttle, and hashed API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from trellis.audit.services import audit_record
from trellis.core.errors import InvalidInput, Throttled
from trellis.org.models import ApiToken, LoginThrottle, User

TOKEN_PREFIX = "trl_"


def _client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "unknown"
    return request.META.get("REMOTE_ADDR") or "unknown"


def _throttle_keys(request: HttpRequest | None, username: str) -> list[tuple[str, int]]:
    """(key, limit) pairs: one per username, and a looser one per client address."""
    limit = settings.LOGIN_FAILURE_LIMIT
    # Cut to fit LoginThrottle.key: no stored username is longer than 150 characters.
    return [
        (f"user:{username.strip().lower()[:150]}", limit),
        (f"addr:{_client_address(request)[:150]}", limit * 5),
    ]


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)


def check_throttle(request: HttpRequest | None, username: str) -> None:
    """Raise Throttled while too many recent failures stand against this name or address."""
    for key, limit in _throttle_keys(request, username):
        row = LoginThrottle.objects.filter(key=key, window_start__gt=_window_start()).first()
        if row is not None and row.failures >= limit:
            wait = int((row.window_start - _window_start()).total_seconds()) + 1
            error = Throttled(f"too many failed sign-in attempts; try again in {wait} seconds")
            error.retry_after = wait  # the API sends it as the Retry-After header
            raise error


def _record_failure(request: HttpRequest | None, username: str) -> None:
    for key, _limit in _throttle_keys(request, username):
        with transaction.atomic():
            row, created = LoginThrottle.objects.get_or_create(key=key)
            if not created and row.window_start <= _window_start():
                row.failures, row.window_start = 1, timezone.now()
                row.save()
            elif not created:
                LoginThrottle.objects.filter(pk=row.pk).update(failures=F("failures") + 1)
            else:
                LoginThrottle.objects.filter(pk=row.pk).update(failures=1)


def sign_in(request: HttpRequest | None, username: str, password: str) -> User | None:
    """The user for these credentials, or None. Raises Throttled when locked for now.

    Deactivated users never authenticate (Django's ModelBackend refuses them)."""
    username = username or ""
    if "\x00" in username:  # PostgreSQL cannot compare text holding NUL
        raise InvalidInput.field("username", "must not contain NUL characters")
    check_throttle(request, username)
    user = authenticate(request, username=username, password=password or "")
    if user is None:
        _record_failure(request, username)
        return None
    LoginThrottle.objects.filter(key=_throttle_keys(request, username)[0][0]).delete()
    return user


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_issue(user: User, *, name: str = "") -> tuple[str, ApiToken]:
    """A new bearer token for `user`. The raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    token = ApiToken.objects.create(
        user=user, key_hash=_hash(raw), prefix=raw[:12], name=name[:80], expires_at=expires
    )
    audit_record(user, "token_issue", user, entity="user", changes={"token": [None, raw[:12]]})
    return raw, token


def token_user(raw: str) -> tuple[User, ApiToken] | None:
    """The active user behind a live token, or None (unknown, revoked, expired, deactivated)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


@transaction.atomic
def token_revoke(actor: User, *, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise InvalidInput.field("token", "you may revoke only your own tokens here")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    audit_record(
        actor, "token_revoke", actor, entity="user", changes={"token": [token.prefix, None]}
    )


@transaction.atomic
def tokens_revoke_all(actor: User, *, user: User) -> int:
    """Revoke every live token of `user` (used when an admin locks an account)."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(actor, "token_revoke", user, entity="user", changes={"tokens": [count, 0]})
    return count
