"""The record-level actions every securable resource shares (DESIGN.md, REST API):
`assign`, `share`, `unshare`, `access` and the access team, registered on a router once per
resource so each entity's api.py only states what is its own."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from trellis.access.models import SecurableModel, Share
from trellis.access.selectors import access_rows, record_shares
from trellis.access.services import (
    access_team_member_add,
    access_team_member_remove,
    record_assign,
    record_share,
    record_unshare,
)
from trellis.api.common import (
    ERRORS,
    AccessMemberIn,
    AccessOut,
    AssignIn,
    ShareIn,
    ShareOut,
    UnshareIn,
    get_or_404,
)
from trellis.org.models import AccessTeamTemplate, Team, User
from trellis.routing.entities import ENTITIES as ROUTED_ENTITIES
from trellis.routing.services import assignment_recorded


def body_user(pk: int | None, field: str) -> User | None:
    """An active user named by id in a request body; 404 naming `field` otherwise."""
    if pk is None:
        return None
    return get_or_404(User.objects.filter(is_active=True), pk, "user", field)


def body_team(pk: int | None, field: str) -> Team | None:
    if pk is None:
        return None
    return get_or_404(Team.objects.all(), pk, "team", field)


def share_out(share: Share) -> dict[str, Any]:
    return {
        "id": share.pk,
        "user_id": share.user_id,
        "team_id": share.team_id,
        "rights": share.rights,
        "expires_at": share.expires_at,
    }


AssignService = Callable[..., SecurableModel]


class AssignReasonIn(AssignIn):
    """The assign body plus why (kept with the routing decision of a lead or case)."""

    reason: str = Field("", max_length=1000)


def _default_assign(actor: Any, *, record: SecurableModel, cascade: bool, **owner: Any) -> Any:
    return record_assign(actor, record, **owner)


def _default_share(actor: Any, *, record: SecurableModel, **kwargs: Any) -> Share:
    return record_share(actor, record, **kwargs)


class _IdRenamingRouter:
    """Wraps a router so each registered view has its `record_id` renamed to `id_name`."""

    def __init__(self, router: Router, id_name: str) -> None:
        self.router, self.id_name = router, id_name

    def _method(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        decorate = getattr(self.router, method)(*args, **kwargs)
        return lambda view: decorate(_named_id(view, self.id_name))

    def get(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._method("get", *args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._method("post", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._method("delete", *args, **kwargs)


def _named_id(view: Callable[..., Any], id_name: str) -> Callable[..., Any]:
    """The view with its `record_id` path parameter published as `id_name` (e.g.
    `account_id`), so every resource's paths read alike in the OpenAPI document."""
    signature = inspect.signature(view)
    parameters = [
        param.replace(name=id_name) if param.name == "record_id" else param
        for param in signature.parameters.values()
    ]

    @functools.wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> Any:
        kwargs["record_id"] = kwargs.pop(id_name)
        return view(request, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper


def add_record_routes(
    router: Router,
    *,
    resource: str,
    entity: str,
    get: Callable[[Any, int], SecurableModel],
    out: type[Schema],
    assign: AssignService = _default_assign,
    share: Callable[..., Share] = _default_share,
    share_in: type[ShareIn] = ShareIn,
    share_response: type[Schema] = ShareOut,
    present_share: Callable[[Any], dict[str, Any]] = share_out,
    unshare: Callable[..., dict[str, Any] | None] | None = None,
    unshare_in: type[UnshareIn] = UnshareIn,
    unshare_response: type[Schema] | None = None,
) -> None:
    """Register the record actions for `/{resource}/{id}/...`.

    `get(actor, id)` returns a record the actor may read or raises NotFound; `assign` is
    called as `assign(actor, record=..., owner_user=..., owner_team=..., cascade=...)`;
    `share` as `share(actor, record=..., user=..., team=..., rights=..., expires_at=...)`
    plus the fields a resource's own `share_in` (a ShareIn subclass) adds, and its result
    is shown by `present_share` as `share_response`. A resource's own `unshare` is called
    as `unshare(actor, record=..., user=..., team=...)` plus its `unshare_in` fields; when
    it returns a dict the answer is 200 with that dict as `unshare_response`, else 204."""
    id_name = f"{entity}_id"
    path = f"/{resource}/{{{id_name}}}"
    routes = _IdRenamingRouter(router, id_name)

    @routes.post(f"{path}/assign", response={200: out, **ERRORS}, operation_id=f"{entity}_assign")
    def assign_record(request: HttpRequest, record_id: int, payload: AssignReasonIn) -> Any:
        """Give the record a new owner (a user or an owner team); needs assign. For
        routed records (leads, cases) the assignment and its `reason` are kept as a
        routing decision."""
        with transaction.atomic():
            record = assign(
                request.user,
                record=get(request.user, record_id),
                owner_user=body_user(payload.owner_user_id, "owner_user_id"),
                owner_team=body_team(payload.owner_team_id, "owner_team_id"),
                cascade=payload.cascade,
            )
            if entity in ROUTED_ENTITIES:
                assignment_recorded(request.user, record, reason=payload.reason.strip())
        return record

    def share_record(request: HttpRequest, record_id: int, payload: ShareIn) -> dict:
        """Share the record with a user or team; you pass on only rights you hold."""
        extra = payload.dict(exclude=set(ShareIn.model_fields))
        made = share(
            request.user,
            record=get(request.user, record_id),
            user=body_user(payload.user_id, "user_id"),
            team=body_team(payload.team_id, "team_id"),
            rights=payload.rights,
            expires_at=payload.expires_at,
            **extra,
        )
        return present_share(made)

    share_record.__annotations__["payload"] = share_in
    routes.post(
        f"{path}/share", response={200: share_response, **ERRORS}, operation_id=f"{entity}_share"
    )(share_record)

    def unshare_record(request: HttpRequest, record_id: int, payload: UnshareIn) -> Status:
        record = get(request.user, record_id)
        user = body_user(payload.user_id, "user_id")
        team = body_team(payload.team_id, "team_id")
        if unshare is None:
            record_unshare(request.user, record, user=user, team=team)
            return Status(204, None)
        extra = payload.dict(exclude=set(UnshareIn.model_fields))
        result = unshare(request.user, record=record, user=user, team=team, **extra)
        return Status(204, None) if result is None else Status(200, result)

    unshare_record.__annotations__["payload"] = unshare_in
    unshare_responses: dict[int, Any] = {204: None, **ERRORS}
    if unshare_response is not None:
        unshare_responses[200] = unshare_response
    routes.post(f"{path}/unshare", response=unshare_responses, operation_id=f"{entity}_unshare")(
        unshare_record
    )

    @routes.get(
        f"{path}/access", response={200: AccessOut, **ERRORS}, operation_id=f"{entity}_access"
    )
    def record_access(request: HttpRequest, record_id: int) -> dict:
        """Who can do what on the record, and why."""
        record = get(request.user, record_id)
        return {
            "items": access_rows(record),
            "shares": [share_out(share) for share in record_shares(record)],
        }

    @routes.post(
        f"{path}/access-team",
        response={204: None, **ERRORS},
        operation_id=f"{entity}_access_team_add",
    )
    def add_access_team_member(
        request: HttpRequest, record_id: int, payload: AccessMemberIn
    ) -> Status:
        """Add a person to the record's access team (rights from the template)."""
        record = get(request.user, record_id)
        template = (
            get_or_404(
                AccessTeamTemplate.objects.all(), payload.template_id, "template", "template_id"
            )
            if payload.template_id
            else None
        )
        access_team_member_add(
            request.user,
            record,
            user=body_user(payload.user_id, "user_id"),
            template=template,
            expires_at=payload.expires_at,
        )
        return Status(204, None)

    @routes.delete(
        f"{path}/access-team/{{user_id}}",
        response={204: None, **ERRORS},
        operation_id=f"{entity}_access_team_remove",
    )
    def remove_access_team_member(request: HttpRequest, record_id: int, user_id: int) -> Status:
        record = get(request.user, record_id)
        access_team_member_remove(
            request.user, record, user=get_or_404(User.objects.all(), user_id, "user")
        )
        return Status(204, None)
