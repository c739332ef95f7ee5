"""/api/v1/accounts and /api/v1/contacts (DESIGN.md, REST API conventions). Handlers stay
thin: parse, call one service or selector, return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from trellis.api.common import (
    ERRORS,
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
from trellis.api.records import add_record_routes, body_team, body_user, share_out
from trellis.audit.api import add_history_route
from trellis.customers import services
from trellis.customers.models import Account, Contact
from trellis.customers.selectors import account_get, account_list, contact_get, contact_list

router = Router(tags=["accounts"])
contacts_router = Router(tags=["contacts"])

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
    owner_user = body_user(data.pop("owner_user_id"), "owner_user_id")
    owner_team = body_team(data.pop("owner_team_id"), "owner_team_id")
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


class AccountShareIn(ShareIn):
    """With `cascade`, the account's contacts and open opportunities, cases and
    activities are shared too (those you may share; the rest are counted as skipped)."""

    cascade: bool = False


class AccountShareOut(ShareOut):
    children_shared: int = 0
    children_skipped: int = 0


class AccountUnshareIn(UnshareIn):
    """With `cascade`, the same share is removed from the account's related records."""

    cascade: bool = False


class AccountUnshareOut(Schema):
    children_unshared: int
    children_skipped: int


def _assign(actor: Any, *, record: Account, **kwargs: Any) -> Account:
    return services.account_assign(actor, account=record, **kwargs)


def _share(actor: Any, *, record: Account, **kwargs: Any) -> services.AccountShareResult:
    return services.account_share(actor, account=record, **kwargs)


def _present_share(result: services.AccountShareResult) -> dict[str, Any]:
    return {
        **share_out(result.share),
        "children_shared": result.children_shared,
        "children_skipped": result.children_skipped,
    }


def _unshare(actor: Any, *, record: Account, cascade: bool = False, **who: Any) -> dict | None:
    """204 as on every record without `cascade`; with it, 200 and what the cascade did."""
    result = services.account_unshare(actor, account=record, cascade=cascade, **who)
    if not cascade:
        return None
    return {
        "children_unshared": result.children_unshared,
        "children_skipped": result.children_skipped,
    }


add_record_routes(
    router,
    resource="accounts",
    entity="account",
    get=account_get,
    out=AccountOut,
    assign=_assign,
    share=_share,
    share_in=AccountShareIn,
    share_response=AccountShareOut,
    present_share=_present_share,
    unshare=_unshare,
    unshare_in=AccountUnshareIn,
    unshare_response=AccountUnshareOut,
)
add_history_route(router, resource="accounts", entity="account", get=account_get)


# Contacts (their own router, so the OpenAPI document files them under "contacts").

CONTACT_ORDER_FIELDS = ("last_name", "first_name", "created_at", "modified_at", "id")


class ContactOut(Schema):
    id: int
    account_id: int | None
    first_name: str
    last_name: str
    job_title: str
    email: str
    other_emails: list[str]
    phone: str
    phone_raw: str
    mobile: str
    mobile_raw: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    preferred_language: str
    consent_email: bool
    consent_phone: bool
    consent_sms: bool
    consent_updated_at: dt.datetime | None
    is_active: bool
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


class ContactIn(Input):
    """Phones may be typed in any format; without a +country code they are read in the
    contact's country, else the account's, else the owner's region."""

    last_name: str
    first_name: str = ""
    account_id: Id | None = None
    job_title: str = ""
    email: str = ""
    other_emails: list[str] = []
    phone: str = ""
    mobile: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    preferred_language: str = ""
    consent_email: bool = False
    consent_phone: bool = False
    consent_sms: bool = False
    is_active: bool = True
    description: str = ""
    external_id: str = ""
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None


CONTACT_CLEARABLE = (
    "first_name",
    "job_title",
    "email",
    "phone",
    "mobile",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "preferred_language",
    "description",
    "external_id",
)


class ContactPatch(Input):
    """Only the fields sent change. null clears a text field (and other_emails); last_name
    and the flags cannot be cleared. `account_id: null` unlinks the account."""

    last_name: str | None = None
    first_name: str | None = None
    account_id: Id | None = None
    job_title: str | None = None
    email: str | None = None
    other_emails: list[str] | None = None
    phone: str | None = None
    mobile: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    preferred_language: str | None = None
    consent_email: bool | None = None
    consent_phone: bool | None = None
    consent_sms: bool | None = None
    is_active: bool | None = None
    description: str | None = None
    external_id: str | None = None

    @field_validator(*CONTACT_CLEARABLE)
    @classmethod
    def _null_clears(cls, value: str | None) -> str:
        return value or ""

    @field_validator("other_emails")
    @classmethod
    def _null_empties(cls, value: list[str] | None) -> list[str]:
        return value or []


class ContactFilters(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-modified_at"
    count: bool = False
    q: str = ""
    account_id: Id | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None
    country: str | None = None
    city: str | None = None
    is_active: bool | None = None


class AccountContactFilters(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-modified_at"
    count: bool = False
    q: str = ""
    is_active: bool | None = None


def _account(request: HttpRequest, pk: int | None) -> Account | None:
    if pk is None:
        return None
    return get_or_404(lambda: account_list(request.user), pk, "account", "account_id")


def _contact_page(request: HttpRequest, params: dict[str, Any]) -> dict:
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    qs = contact_list(request.user, **params)
    return paginate(qs, allowed=CONTACT_ORDER_FIELDS, **paging)


@contacts_router.get("/contacts", response={200: Page[ContactOut], **ERRORS})
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]) -> dict:
    """Contacts the caller may read. `q` finds any part of a name, email or city, or a
    phone number typed in any format."""
    return _contact_page(request, filters.dict())


@contacts_router.get("/accounts/{account_id}/contacts", response={200: Page[ContactOut], **ERRORS})
def list_account_contacts(
    request: HttpRequest, account_id: int, filters: Query[AccountContactFilters]
) -> dict:
    """The account's contacts the caller may read (404 when the account is not visible)."""
    account = account_get(request.user, account_id)
    return _contact_page(request, {**filters.dict(), "account_id": account.pk})


@contacts_router.post("/contacts", response={201: ContactOut, **ERRORS})
def create_contact(request: HttpRequest, payload: ContactIn) -> Status:
    data = payload.dict()
    owner_user = body_user(data.pop("owner_user_id"), "owner_user_id")
    owner_team = body_team(data.pop("owner_team_id"), "owner_team_id")
    account = _account(request, data.pop("account_id"))
    contact = services.contact_create(
        request.user, owner_user=owner_user, owner_team=owner_team, account=account, **data
    )
    return Status(201, contact)


@contacts_router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def read_contact(request: HttpRequest, contact_id: int) -> Contact:
    return contact_get(request.user, contact_id)


@contacts_router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Contact:
    """Send If-Match: <version>; a stale version answers 412."""
    contact = contact_get(request.user, contact_id)
    data = payload.dict(exclude_unset=True)
    extra = {}
    if "account_id" in data:
        extra["account"] = _account(request, data.pop("account_id"))
    return services.contact_update(
        request.user, contact=contact, version=if_match(request), **data, **extra
    )


@contacts_router.delete("/contacts/{contact_id}", response={204: None, **ERRORS})
def delete_contact(request: HttpRequest, contact_id: int) -> Status:
    services.contact_delete(request.user, contact=contact_get(request.user, contact_id))
    return Status(204, None)


def _contact_assign(actor: Any, *, record: Contact, **kwargs: Any) -> Contact:
    return services.contact_assign(actor, contact=record, **kwargs)


add_record_routes(
    contacts_router,
    resource="contacts",
    entity="contact",
    get=contact_get,
    out=ContactOut,
    assign=_contact_assign,
)
add_history_route(contacts_router, resource="contacts", entity="contact", get=contact_get)

router.add_router("", contacts_router)
