"""/api/v1/accounts (DESIGN.md, REST API conventions). Handlers stay thin: parse, call one
service or selector, return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from trellis.access.models import Share
from trellis.access.selectors import access_rows, record_shares
from trellis.access.services import (
    access_team_member_add,
    access_team_member_remove,
    record_share,
    record_unshare,
)
from trellis.api.common import (
    AccessMemberIn,
    AccessOut,
    AssignIn,
    ErrorOut,
    Id,
    Input,
    Page,
    ShareIn,
    ShareOut,
    UnshareIn,
    get_or_404,
    if_match,
    paginate,
)
from trellis.customers import services
from trellis.customers.models import Account
from trellis.customers.selectors import account_get, account_list
from trellis.org.models import AccessTeamTemplate, Team, User

router = Router(tags=["accounts"])

ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    412: ErrorOut,
    422: ErrorOut,
}
ORDER_FIELDS = ("name", "created_at", "modified_at", "id")


class AccountOut(Schema):
    id: int
    name: str
    parent_id: int | None
    industry: str
    size_segment: str
    region: str
    tier: str
    annual_revenue: Decimal | None
    currency: str
    employees: int | None
    website: str
    phone: str
    email: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    description: str
    external_id: str
    owner_user_id: int | None
    owner_team_id: int | None
    owning_unit_id: int
    created_by_id: int | None
    modified_by_id: int | None
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int


class AccountIn(Input):
    name: str
    parent_id: Id | None = None
    industry: str = ""
    size_segment: str = ""
    region: str = ""
    tier: Literal["key", "standard"] = "standard"
    annual_revenue: Decimal | None = None
    currency: str = "USD"
    employees: int | None = None
    website: str = ""
    phone: str = ""
    email: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    description: str = ""
    external_id: str = ""
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None


# Text fields a PATCH may clear with null (the columns keep "" for "none").
CLEARABLE = (
    "industry",
    "size_segment",
    "region",
    "website",
    "phone",
    "email",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "description",
    "external_id",
)


class AccountPatch(Input):
    """Only the fields sent change. null clears a text field; name, tier and currency
    cannot be cleared."""

    name: str | None = None
    parent_id: Id | None = None
    industry: str | None = None
    size_segment: str | None = None
    region: str | None = None
    tier: Literal["key", "standard"] | None = None
    annual_revenue: Decimal | None = None
    currency: str | None = None
    employees: int | None = None
    website: str | None = None
    phone: str | None = None
    email: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    description: str | None = None
    external_id: str | None = None

    @field_validator(*CLEARABLE)
    @classmethod
    def _null_clears(cls, value: str | None) -> str:
        return value or ""


class AccountFilters(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-modified_at"
    count: bool = False
    q: str = ""
    industry: str | None = None
    size_segment: Literal["small", "medium", "large", "enterprise"] | None = None
    region: str | None = None
    tier: Literal["key", "standard"] | None = None
    country: str | None = None
    city: str | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None
    parent_id: Id | None = None


def _user(pk: int | None, field: str) -> User | None:
    if pk is None:
        return None
    return get_or_404(User.objects.filter(is_active=True), pk, "user", field)


def _team(pk: int | None, field: str) -> Team | None:
    if pk is None:
        return None
    return get_or_404(Team.objects.all(), pk, "team", field)


def _parent(request: HttpRequest, pk: int | None) -> Account | None:
    if pk is None:
        return None
    return get_or_404(lambda: account_list(request.user), pk, "account", "parent_id")


@router.get("/accounts", response={200: Page[AccountOut], **ERRORS})
def list_accounts(request: HttpRequest, filters: Query[AccountFilters]) -> dict:
    """Accounts the caller may read, newest change first by default."""
    params = filters.dict()
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    qs = account_list(request.user, **params)
    return paginate(qs, allowed=ORDER_FIELDS, **paging)


@router.post("/accounts", response={201: AccountOut, **ERRORS})
def create_account(request: HttpRequest, payload: AccountIn) -> Status:
    data = payload.dict()
    owner_user = _user(data.pop("owner_user_id"), "owner_user_id")
    owner_team = _team(data.pop("owner_team_id"), "owner_team_id")
    parent = _parent(request, data.pop("parent_id"))
    account = services.account_create(
        request.user, owner_user=owner_user, owner_team=owner_team, parent=parent, **data
    )
    return Status(201, account)


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def read_account(request: HttpRequest, account_id: int) -> Account:
    return account_get(request.user, account_id)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def update_account(request: HttpRequest, account_id: int, payload: AccountPatch) -> Account:
    """Send If-Match: <version>; a stale version answers 412."""
    account = account_get(request.user, account_id)
    data = payload.dict(exclude_unset=True)
    extra = {}
    if "parent_id" in data:
        extra["parent"] = _parent(request, data.pop("parent_id"))
    return services.account_update(
        request.user, account=account, version=if_match(request), **data, **extra
    )


@router.delete("/accounts/{account_id}", response={204: None, **ERRORS})
def delete_account(request: HttpRequest, account_id: int) -> Status:
    services.account_delete(request.user, account=account_get(request.user, account_id))
    return Status(204, None)


@router.post("/accounts/{account_id}/assign", response={200: AccountOut, **ERRORS})
def assign_account(request: HttpRequest, account_id: int, payload: AssignIn) -> Account:
    account = account_get(request.user, account_id)
    return services.account_assign(
        request.user,
        account=account,
        owner_user=_user(payload.owner_user_id, "owner_user_id"),
        owner_team=_team(payload.owner_team_id, "owner_team_id"),
        cascade=payload.cascade,
    )


def _share_out(share: Share) -> dict:
    return {
        "id": share.pk,
        "user_id": share.user_id,
        "team_id": share.team_id,
        "rights": share.rights,
        "expires_at": share.expires_at,
    }


@router.post("/accounts/{account_id}/share", response={200: ShareOut, **ERRORS})
def share_account(request: HttpRequest, account_id: int, payload: ShareIn) -> dict:
    account = account_get(request.user, account_id)
    share = record_share(
        request.user,
        account,
        user=_user(payload.user_id, "user_id"),
        team=_team(payload.team_id, "team_id"),
        rights=payload.rights,
        expires_at=payload.expires_at,
    )
    return _share_out(share)


@router.post("/accounts/{account_id}/unshare", response={204: None, **ERRORS})
def unshare_account(request: HttpRequest, account_id: int, payload: UnshareIn) -> Status:
    account = account_get(request.user, account_id)
    record_unshare(
        request.user,
        account,
        user=_user(payload.user_id, "user_id"),
        team=_team(payload.team_id, "team_id"),
    )
    return Status(204, None)


@router.get("/accounts/{account_id}/access", response={200: AccessOut, **ERRORS})
def account_access(request: HttpRequest, account_id: int) -> dict:
    """Who can do what on the account, and why."""
    account = account_get(request.user, account_id)
    shares = record_shares(account)
    return {"items": access_rows(account), "shares": [_share_out(s) for s in shares]}


@router.post("/accounts/{account_id}/access-team", response={204: None, **ERRORS})
def add_access_team_member(
    request: HttpRequest, account_id: int, payload: AccessMemberIn
) -> Status:
    """Add a person to the account's access team (rights from the template)."""
    account = account_get(request.user, account_id)
    template = (
        get_or_404(AccessTeamTemplate.objects.all(), payload.template_id, "template", "template_id")
        if payload.template_id
        else None
    )
    access_team_member_add(
        request.user,
        account,
        user=_user(payload.user_id, "user_id"),
        template=template,
        expires_at=payload.expires_at,
    )
    return Status(204, None)


@router.delete("/accounts/{account_id}/access-team/{user_id}", response={204: None, **ERRORS})
def remove_access_team_member(request: HttpRequest, account_id: int, user_id: int) -> Status:
    account = account_get(request.user, account_id)
    access_team_member_remove(
        request.user, account, user=get_or_404(User.objects.all(), user_id, "user")
    )
    return Status(204, None)
