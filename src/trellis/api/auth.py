"""/api/v1/auth: exchange a username and password for a bearer token; revoke it."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trellis.api.common import ErrorOut, Input
from trellis.core.errors import Forbidden, InvalidInput
from trellis.org.auth import sign_in, token_issue, token_revoke

router = Router(tags=["auth"])


class TokenIn(Input):
    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)
    name: str = Field("", max_length=80)


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime | None


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
)
def create_token(request: HttpRequest, payload: TokenIn) -> dict:
    """Sign in; answers 401 for wrong credentials and 429 after repeated failures."""
    user = sign_in(request, payload.username, payload.password)
    if user is None:
        return Status(401, {"detail": "wrong username or password", "errors": []})
    raw, token = token_issue(user, name=payload.name)
    return {"token": raw, "expires_at": token.expires_at}


@router.delete("/token", response={204: None, 400: ErrorOut, 401: ErrorOut})
def revoke_token(request: HttpRequest) -> Status:
    """Revoke the bearer token this request was made with."""
    token = getattr(request, "api_token", None)
    if token is None:
        raise InvalidInput("this request was not made with a bearer token")
    if token.user_id != request.user.pk:
        raise Forbidden("not your token")
    token_revoke(request.user, token=token)
    return Status(204, None)
