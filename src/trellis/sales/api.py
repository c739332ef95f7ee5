"""/api/v1 resources of the sales app: product-lines, products, campaigns, leads (with
the qualify, disqualify, reopen and contacted actions), opportunities (with their stage
history and the close action) and targets (DESIGN.md, REST API
conventions). Handlers stay thin: parse, call one service or selector, return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, field_validator

from trellis.api.common import (
    ERRORS,
    DateTime,
    Id,
    Input,
    Page,
    get_or_404,
    if_match,
    paginate,
)
from trellis.api.records import add_record_routes, body_team, body_user
from trellis.audit.api import add_history_route
from trellis.customers.models import Contact
from trellis.customers.selectors import account_list
from trellis.sales import selectors, services
from trellis.sales.models import Campaign, Lead, Opportunity, Product, ProductLine, SalesTarget

router = Router(tags=["sales"])

StageName = Literal["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
CampaignTypeName = Literal["email", "web", "event", "social", "partner", "advertising", "other"]
CampaignStatusName = Literal["planned", "active", "completed", "cancelled"]


class Paging(Input):
    limit: int = 50
    cursor: str | None = None
    order: str = "-modified_at"
    count: bool = False


def _page(filters: Input, allowed: tuple[str, ...]) -> tuple[dict, dict]:
    """(selector keyword arguments, paginate keyword arguments) from a filter schema."""
    params = filters.dict()
    paging = {key: params.pop(key) for key in ("limit", "cursor", "order", "count")}
    paging["allowed"] = allowed
    return params, paging


def _null_clears(value: str | None) -> str:
    return value or ""


class Owned(Schema):
    owner_user_id: int | None
    owner_team_id: int | None
    owning_unit_id: int
    created_by_id: int | None
    modified_by_id: int | None
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int


# Product lines --------------------------------------------------------------------------


class ProductLineOut(Schema):
    id: int
    name: str
    code: str
    description: str
    active: bool
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int


class ProductLineIn(Input):
    name: str
    code: str
    description: str = ""
    active: bool = True


class ProductLinePatch(Input):
    name: str | None = None
    code: str | None = None
    description: str | None = None
    active: bool | None = None

    _clear = field_validator("description")(_null_clears)


class ProductLineFilters(Paging):
    order: str = "name"
    q: str = ""
    active: bool | None = None


def _line(request: HttpRequest, pk: int | None) -> ProductLine | None:
    if pk is None:
        return None
    return get_or_404(
        lambda: selectors.product_line_list(request.user), pk, "product line", "product_line_id"
    )


@router.get("/product-lines", response={200: Page[ProductLineOut], **ERRORS})
def list_product_lines(request: HttpRequest, filters: Query[ProductLineFilters]) -> dict:
    """The product catalog's lines; every signed-in internal user reads them."""
    params, paging = _page(filters, ("name", "code", "created_at", "modified_at", "id"))
    return paginate(selectors.product_line_list(request.user, **params), **paging)


@router.post("/product-lines", response={201: ProductLineOut, **ERRORS})
def create_product_line(request: HttpRequest, payload: ProductLineIn) -> Status:
    """Needs write on products at org depth."""
    return Status(201, services.product_line_create(request.user, **payload.dict()))


@router.get("/product-lines/{product_line_id}", response={200: ProductLineOut, **ERRORS})
def read_product_line(request: HttpRequest, product_line_id: int) -> ProductLine:
    return get_or_404(selectors.product_line_list(request.user), product_line_id, "product line")


@router.patch("/product-lines/{product_line_id}", response={200: ProductLineOut, **ERRORS})
def update_product_line(
    request: HttpRequest, product_line_id: int, payload: ProductLinePatch
) -> ProductLine:
    """Send If-Match: <version>; a stale version answers 412."""
    line = get_or_404(selectors.product_line_list(request.user), product_line_id, "product line")
    return services.product_line_update(
        request.user,
        product_line=line,
        version=if_match(request),
        **payload.dict(exclude_unset=True),
    )


@router.delete("/product-lines/{product_line_id}", response={204: None, **ERRORS})
def delete_product_line(request: HttpRequest, product_line_id: int) -> Status:
    """Refused with 409 while products belong to the line."""
    line = get_or_404(selectors.product_line_list(request.user), product_line_id, "product line")
    services.product_line_delete(request.user, product_line=line)
    return Status(204, None)


# Products -------------------------------------------------------------------------------


class ProductOut(Owned):
    id: int
    name: str
    code: str
    product_line_id: int | None
    description: str
    list_price: Decimal
    currency: str
    active: bool


class ProductIn(Input):
    name: str
    code: str
    product_line_id: Id | None = None
    description: str = ""
    list_price: Decimal = Decimal("0")
    currency: str = "USD"
    active: bool = True
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None


class ProductPatch(Input):
    name: str | None = None
    code: str | None = None
    product_line_id: Id | None = None
    description: str | None = None
    list_price: Decimal | None = None
    currency: str | None = None
    active: bool | None = None

    _clear = field_validator("description")(_null_clears)


class ProductFilters(Paging):
    order: str = "name"
    q: str = ""
    product_line_id: Id | None = None
    active: bool | None = None
    currency: str | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None


PRODUCT_ORDERS = ("name", "code", "list_price", "created_at", "modified_at", "id")


@router.get("/products", response={200: Page[ProductOut], **ERRORS})
def list_products(request: HttpRequest, filters: Query[ProductFilters]) -> dict:
    """Products the caller may read, by name by default."""
    params, paging = _page(filters, PRODUCT_ORDERS)
    return paginate(selectors.product_list(request.user, **params), **paging)


@router.post("/products", response={201: ProductOut, **ERRORS})
def create_product(request: HttpRequest, payload: ProductIn) -> Status:
    data = payload.dict()
    product = services.product_create(
        request.user,
        owner_user=body_user(data.pop("owner_user_id"), "owner_user_id"),
        owner_team=body_team(data.pop("owner_team_id"), "owner_team_id"),
        product_line=_line(request, data.pop("product_line_id")),
        **data,
    )
    return Status(201, product)


@router.get("/products/{product_id}", response={200: ProductOut, **ERRORS})
def read_product(request: HttpRequest, product_id: int) -> Product:
    return selectors.product_get(request.user, product_id)


@router.patch("/products/{product_id}", response={200: ProductOut, **ERRORS})
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> Product:
    """Send If-Match: <version>; a stale version answers 412."""
    product = selectors.product_get(request.user, product_id)
    data = payload.dict(exclude_unset=True)
    extra = {}
    if "product_line_id" in data:
        extra["product_line"] = _line(request, data.pop("product_line_id"))
    return services.product_update(
        request.user, product=product, version=if_match(request), **data, **extra
    )


@router.delete("/products/{product_id}", response={204: None, **ERRORS})
def delete_product(request: HttpRequest, product_id: int) -> Status:
    services.product_delete(request.user, product=selectors.product_get(request.user, product_id))
    return Status(204, None)


add_record_routes(
    router, resource="products", entity="product", get=selectors.product_get, out=ProductOut
)
add_history_route(router, resource="products", entity="product", get=selectors.product_get)


# Campaigns ------------------------------------------------------------------------------


class CampaignOut(Owned):
    id: int
    name: str
    type: str
    status: str
    budget: Decimal | None
    actual_cost: Decimal | None
    expected_revenue: Decimal | None
    currency: str
    start_date: dt.date | None
    end_date: dt.date | None
    product_line_id: int | None
    description: str


class CampaignIn(Input):
    name: str
    type: CampaignTypeName = "other"
    status: CampaignStatusName = "planned"
    budget: Decimal | None = None
    actual_cost: Decimal | None = None
    expected_revenue: Decimal | None = None
    currency: str = "USD"
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    product_line_id: Id | None = None
    description: str = ""
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None


class CampaignPatch(Input):
    """Only the fields sent change; null clears money, dates, the line and the text."""

    name: str | None = None
    type: CampaignTypeName | None = None
    status: CampaignStatusName | None = None
    budget: Decimal | None = None
    actual_cost: Decimal | None = None
    expected_revenue: Decimal | None = None
    currency: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    product_line_id: Id | None = None
    description: str | None = None

    _clear = field_validator("description")(_null_clears)


class CampaignFilters(Paging):
    q: str = ""
    type: CampaignTypeName | None = None
    status: CampaignStatusName | None = None
    product_line_id: Id | None = None
    currency: str | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None


CAMPAIGN_ORDERS = ("name", "created_at", "modified_at", "id")


def _campaign(request: HttpRequest, pk: int | None) -> Campaign | None:
    if pk is None:
        return None
    return get_or_404(lambda: selectors.campaign_list(request.user), pk, "campaign", "campaign_id")


@router.get("/campaigns", response={200: Page[CampaignOut], **ERRORS})
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilters]) -> dict:
    """Campaigns the caller may read, newest change first by default."""
    params, paging = _page(filters, CAMPAIGN_ORDERS)
    return paginate(selectors.campaign_list(request.user, **params), **paging)


@router.post("/campaigns", response={201: CampaignOut, **ERRORS})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status:
    data = payload.dict()
    campaign = services.campaign_create(
        request.user,
        owner_user=body_user(data.pop("owner_user_id"), "owner_user_id"),
        owner_team=body_team(data.pop("owner_team_id"), "owner_team_id"),
        product_line=_line(request, data.pop("product_line_id")),
        **data,
    )
    return Status(201, campaign)


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS})
def read_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return selectors.campaign_get(request.user, campaign_id)


@router.patch("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS})
def update_campaign(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> Campaign:
    """Send If-Match: <version>; a stale version answers 412."""
    campaign = selectors.campaign_get(request.user, campaign_id)
    data = payload.dict(exclude_unset=True)
    extra = {}
    if "product_line_id" in data:
        extra["product_line"] = _line(request, data.pop("product_line_id"))
    return services.campaign_update(
        request.user, campaign=campaign, version=if_match(request), **data, **extra
    )


@router.delete("/campaigns/{campaign_id}", response={204: None, **ERRORS})
def delete_campaign(request: HttpRequest, campaign_id: int) -> Status:
    campaign = selectors.campaign_get(request.user, campaign_id)
    services.campaign_delete(request.user, campaign=campaign)
    return Status(204, None)


add_record_routes(
    router, resource="campaigns", entity="campaign", get=selectors.campaign_get, out=CampaignOut
)
add_history_route(router, resource="campaigns", entity="campaign", get=selectors.campaign_get)


# Opportunities --------------------------------------------------------------------------


class OpportunityOut(Owned):
    id: int
    name: str
    account_id: int
    contact_id: int | None
    product_line_id: int | None
    campaign_id: int | None
    stage: str
    amount: Decimal
    currency: str
    probability: int
    expected_close_date: dt.date | None
    close_reason: str
    closed_at: dt.datetime | None
    description: str
    external_id: str


class OpportunityIn(Input):
    name: str
    account_id: Id
    contact_id: Id | None = None
    product_line_id: Id | None = None
    campaign_id: Id | None = None
    stage: StageName = "prospecting"
    amount: Decimal = Decimal("0")
    currency: str = "USD"
    probability: int | None = None
    expected_close_date: dt.date | None = None
    close_reason: str = ""
    description: str = ""
    external_id: str = ""
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None


class OpportunityPatch(Input):
    """Only the fields sent change. null unlinks the contact, campaign or product line,
    clears the close date and the text fields, and resets the probability to the
    stage's default."""

    name: str | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    product_line_id: Id | None = None
    campaign_id: Id | None = None
    stage: StageName | None = None
    amount: Decimal | None = None
    currency: str | None = None
    probability: int | None = None
    expected_close_date: dt.date | None = None
    close_reason: str | None = None
    description: str | None = None
    external_id: str | None = None

    _clear = field_validator("close_reason", "description", "external_id")(_null_clears)


class OpportunityFilters(Paging):
    q: str = ""
    stage: StageName | None = None
    open: bool | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    campaign_id: Id | None = None
    product_line_id: Id | None = None
    currency: str | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None
    close_after: dt.date | None = None
    close_before: dt.date | None = None


OPPORTUNITY_ORDERS = ("name", "amount", "probability", "created_at", "modified_at", "id")


class StageChangeOut(Schema):
    id: int
    from_stage: str
    to_stage: str
    changed_by_id: int | None
    changed_at: dt.datetime
    amount: Decimal
    currency: str
    probability: int


class CloseIn(Input):
    outcome: Literal["won", "lost"]
    reason: str = ""


def _links(request: HttpRequest, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The linked records named by id in `data`, each one the caller may read (404 naming
    the field otherwise). With `partial`, only the ids sent are resolved."""
    actor = request.user
    lookups = {
        "account_id": ("account", lambda: account_list(actor), "account"),
        "contact_id": ("contact", lambda: selectors.linkable(actor, Contact), "contact"),
        "campaign_id": ("campaign", lambda: selectors.campaign_list(actor), "campaign"),
        "product_line_id": (
            "product_line",
            lambda: selectors.product_line_list(actor),
            "product line",
        ),
    }
    out: dict[str, Any] = {}
    for field, (name, qs, label) in lookups.items():
        if partial and field not in data:
            continue
        pk = data.pop(field, None)
        out[name] = None if pk is None else get_or_404(qs, pk, label, field)
    return out


@router.get("/opportunities", response={200: Page[OpportunityOut], **ERRORS})
def list_opportunities(request: HttpRequest, filters: Query[OpportunityFilters]) -> dict:
    """Opportunities the caller may read, newest change first by default. `open=true`
    leaves out won and lost ones; `close_after`/`close_before` bound the expected close
    date."""
    params, paging = _page(filters, OPPORTUNITY_ORDERS)
    params["is_open"] = params.pop("open")
    params["expected_close_date__gte"] = params.pop("close_after")
    params["expected_close_date__lte"] = params.pop("close_before")
    return paginate(selectors.opportunity_list(request.user, **params), **paging)


@router.post("/opportunities", response={201: OpportunityOut, **ERRORS})
def create_opportunity(request: HttpRequest, payload: OpportunityIn) -> Status:
    """Linking needs read on the account, contact, campaign; an invisible id answers 404
    naming the field."""
    data = payload.dict()
    owner_user = body_user(data.pop("owner_user_id"), "owner_user_id")
    owner_team = body_team(data.pop("owner_team_id"), "owner_team_id")
    links = _links(request, data, partial=False)
    opportunity = services.opportunity_create(
        request.user, owner_user=owner_user, owner_team=owner_team, **links, **data
    )
    return Status(201, opportunity)


@router.get("/opportunities/{opportunity_id}", response={200: OpportunityOut, **ERRORS})
def read_opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return selectors.opportunity_get(request.user, opportunity_id)


@router.patch("/opportunities/{opportunity_id}", response={200: OpportunityOut, **ERRORS})
def update_opportunity(
    request: HttpRequest, opportunity_id: int, payload: OpportunityPatch
) -> Opportunity:
    """Send If-Match: <version>; a stale version answers 412. A stage change is kept in
    the stage history; moving a won or lost opportunity to an open stage re-opens it."""
    opportunity = selectors.opportunity_get(request.user, opportunity_id)
    data = payload.dict(exclude_unset=True)
    links = _links(request, data, partial=True)
    return services.opportunity_update(
        request.user, opportunity=opportunity, version=if_match(request), **links, **data
    )


@router.delete("/opportunities/{opportunity_id}", response={204: None, **ERRORS})
def delete_opportunity(request: HttpRequest, opportunity_id: int) -> Status:
    opportunity = selectors.opportunity_get(request.user, opportunity_id)
    services.opportunity_delete(request.user, opportunity=opportunity)
    return Status(204, None)


@router.post("/opportunities/{opportunity_id}/close", response={200: OpportunityOut, **ERRORS})
def close_opportunity(request: HttpRequest, opportunity_id: int, payload: CloseIn) -> Opportunity:
    """Close as won (probability 100) or lost (0) with a reason; If-Match is honoured.
    Closing a closed opportunity answers 409."""
    opportunity = selectors.opportunity_get(request.user, opportunity_id)
    return services.opportunity_close(
        request.user,
        opportunity=opportunity,
        outcome=payload.outcome,
        reason=payload.reason,
        version=if_match(request),
    )


@router.get(
    "/opportunities/{opportunity_id}/stages", response={200: Page[StageChangeOut], **ERRORS}
)
def opportunity_stages(request: HttpRequest, opportunity_id: int) -> dict:
    """Every stage the opportunity went through, oldest first, with the amount then."""
    opportunity = selectors.opportunity_get(request.user, opportunity_id)
    items = list(selectors.opportunity_stage_changes(request.user, opportunity))
    return {"items": items, "next_cursor": None, "count": len(items)}


add_record_routes(
    router,
    resource="opportunities",
    entity="opportunity",
    get=selectors.opportunity_get,
    out=OpportunityOut,
)
add_history_route(
    router, resource="opportunities", entity="opportunity", get=selectors.opportunity_get
)


# Sales targets --------------------------------------------------------------------------


class TargetOut(Schema):
    id: int
    user_id: int | None
    team_id: int | None
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    currency: str
    description: str
    created_by_id: int | None
    modified_by_id: int | None
    created_at: dt.datetime
    modified_at: dt.datetime
    version: int


class TargetIn(Input):
    user_id: Id | None = None
    team_id: Id | None = None
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    currency: str = "USD"
    description: str = ""


class TargetPatch(Input):
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    description: str | None = None

    _clear = field_validator("description")(_null_clears)


class TargetFilters(Paging):
    order: str = "-period_start"
    user_id: Id | None = None
    team_id: Id | None = None
    currency: str | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None


TARGET_ORDERS = ("period_start", "period_end", "amount", "created_at", "modified_at", "id")


@router.get("/targets", response={200: Page[TargetOut], **ERRORS})
def list_targets(request: HttpRequest, filters: Query[TargetFilters]) -> dict:
    """Targets the caller may read: their own, their teams', and those of the people and
    teams their `view_reports` or `manage_org` reach. `period_from`/`period_to` keep
    targets lying inside those dates."""
    params, paging = _page(filters, TARGET_ORDERS)
    params["period_start__gte"] = params.pop("period_from")
    params["period_end__lte"] = params.pop("period_to")
    return paginate(selectors.target_list(request.user, **params), **paging)


@router.post("/targets", response={201: TargetOut, **ERRORS})
def create_target(request: HttpRequest, payload: TargetIn) -> Status:
    """For a person (`user_id`) or an owner team (`team_id`); see SalesTarget's rules."""
    data = payload.dict()
    target = services.target_create(
        request.user,
        user=body_user(data.pop("user_id"), "user_id"),
        team=body_team(data.pop("team_id"), "team_id"),
        **data,
    )
    return Status(201, target)


@router.get("/targets/{target_id}", response={200: TargetOut, **ERRORS})
def read_target(request: HttpRequest, target_id: int) -> SalesTarget:
    return selectors.target_get(request.user, target_id)


@router.patch("/targets/{target_id}", response={200: TargetOut, **ERRORS})
def update_target(request: HttpRequest, target_id: int, payload: TargetPatch) -> SalesTarget:
    """Send If-Match: <version>; a stale version answers 412."""
    target = selectors.target_get(request.user, target_id)
    return services.target_update(
        request.user, target=target, version=if_match(request), **payload.dict(exclude_unset=True)
    )


@router.delete("/targets/{target_id}", response={204: None, **ERRORS})
def delete_target(request: HttpRequest, target_id: int) -> Status:
    services.target_delete(request.user, target=selectors.target_get(request.user, target_id))
    return Status(204, None)


# Leads ----------------------------------------------------------------------------------

LeadSourceName = Literal["web_form", "email_campaign", "event", "referral", "partner", "other"]
LeadRatingName = Literal["hot", "warm", "cold", ""]
LeadStatusName = Literal["new", "contacted", "qualified", "disqualified"]


class LeadOut(Owned):
    id: int
    first_name: str
    last_name: str
    company_name: str
    job_title: str
    email: str
    phone: str
    phone_raw: str
    source: str
    campaign_id: int | None
    product_line_id: int | None
    product_interest: str
    region: str
    country: str
    rating: str
    status: str
    disqualify_reason: str
    first_contacted_at: dt.datetime | None
    qualified_at: dt.datetime | None
    description: str
    external_id: str
    account_id: int | None
    contact_id: int | None
    opportunity_id: int | None


class LeadIn(Input):
    """A new lead. `status` may say where a lead moved in from another CRM stood
    (`contacted`, or `disqualified` with `disqualify_reason`); it starts `new` otherwise."""

    first_name: str = ""
    last_name: str
    company_name: str = ""
    job_title: str = ""
    email: str = ""
    phone: str = ""
    source: LeadSourceName = "other"
    campaign_id: Id | None = None
    product_line_id: Id | None = None
    product_interest: str = ""
    region: str = ""
    country: str = ""
    rating: LeadRatingName = ""
    status: Literal["new", "contacted", "disqualified"] = "new"
    disqualify_reason: str = ""
    first_contacted_at: DateTime | None = None
    description: str = ""
    external_id: str = ""
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None


class LeadPatch(Input):
    """Only the fields sent change; null unlinks the campaign or product line and clears
    the text. The status moves only through the actions, so sending it (or any field not
    listed) is refused."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    job_title: str | None = None
    email: str | None = None
    phone: str | None = None
    source: LeadSourceName | None = None
    campaign_id: Id | None = None
    product_line_id: Id | None = None
    product_interest: str | None = None
    region: str | None = None
    country: str | None = None
    rating: LeadRatingName | None = None
    description: str | None = None
    external_id: str | None = None

    _clear = field_validator(
        "first_name",
        "company_name",
        "job_title",
        "email",
        "phone",
        "product_interest",
        "region",
        "country",
        "rating",
        "description",
        "external_id",
    )(_null_clears)


class LeadFilters(Paging):
    q: str = ""
    status: LeadStatusName | None = None
    open: bool | None = None
    source: LeadSourceName | None = None
    rating: Literal["hot", "warm", "cold"] | None = None
    campaign_id: Id | None = None
    product_line_id: Id | None = None
    region: str | None = None
    country: str | None = None
    owner_user_id: Id | None = None
    owner_team_id: Id | None = None
    owning_unit_id: Id | None = None


class CampaignLeadFilters(Paging):
    q: str = ""
    status: LeadStatusName | None = None
    open: bool | None = None


LEAD_ORDERS = ("last_name", "company_name", "created_at", "modified_at", "id")


class QualifyIn(Input):
    """`account_id`: an existing account to use (else one is made from the company
    name). `create_opportunity` false makes only the account and the contact."""

    account_id: Id | None = None
    create_opportunity: bool = True
    opportunity_name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


class QualifyOut(Schema):
    lead: LeadOut
    account_id: int
    contact_id: int
    opportunity_id: int | None


class DisqualifyIn(Input):
    reason: str


def _lead_links(request: HttpRequest, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The campaign and product line named in `data`, each one the caller may read."""
    out: dict[str, Any] = {}
    if not partial or "campaign_id" in data:
        out["campaign"] = _campaign(request, data.pop("campaign_id", None))
    if not partial or "product_line_id" in data:
        out["product_line"] = _line(request, data.pop("product_line_id", None))
    return out


@router.get("/leads", response={200: Page[LeadOut], **ERRORS})
def list_leads(request: HttpRequest, filters: Query[LeadFilters]) -> dict:
    """Leads the caller may read, newest change first by default. `open=true` keeps new
    and contacted ones; `q` searches names, company, email and phone digits."""
    params, paging = _page(filters, LEAD_ORDERS)
    params["is_open"] = params.pop("open")
    return paginate(selectors.lead_list(request.user, **params), **paging)


@router.post("/leads", response={201: LeadOut, **ERRORS})
def create_lead(request: HttpRequest, payload: LeadIn) -> Status:
    """Linking a campaign needs read on it; an invisible id answers 404 naming the field."""
    data = payload.dict()
    owner_user = body_user(data.pop("owner_user_id"), "owner_user_id")
    owner_team = body_team(data.pop("owner_team_id"), "owner_team_id")
    links = _lead_links(request, data, partial=False)
    lead = services.lead_create(
        request.user, owner_user=owner_user, owner_team=owner_team, **links, **data
    )
    return Status(201, lead)


@router.get("/leads/{lead_id}", response={200: LeadOut, **ERRORS})
def read_lead(request: HttpRequest, lead_id: int) -> Lead:
    return selectors.lead_get(request.user, lead_id)


@router.patch("/leads/{lead_id}", response={200: LeadOut, **ERRORS})
def update_lead(request: HttpRequest, lead_id: int, payload: LeadPatch) -> Lead:
    """Send If-Match: <version>; a stale version answers 412."""
    lead = selectors.lead_get(request.user, lead_id)
    data = payload.dict(exclude_unset=True)
    links = _lead_links(request, data, partial=True)
    return services.lead_update(request.user, lead=lead, version=if_match(request), **links, **data)


@router.delete("/leads/{lead_id}", response={204: None, **ERRORS})
def delete_lead(request: HttpRequest, lead_id: int) -> Status:
    services.lead_delete(request.user, lead=selectors.lead_get(request.user, lead_id))
    return Status(204, None)


@router.post("/leads/{lead_id}/qualify", response={200: QualifyOut, **ERRORS})
def qualify_lead(request: HttpRequest, lead_id: int, payload: QualifyIn) -> dict:
    """In one transaction: an account (the one named, or a new one from the company), a
    contact and an opportunity (unless `create_opportunity` is false), linked back to
    the lead, which becomes qualified. If-Match is honoured; a lead that is not new or
    contacted answers 409."""
    lead = selectors.lead_get(request.user, lead_id)
    account = None
    if payload.account_id is not None:
        account = get_or_404(
            lambda: account_list(request.user), payload.account_id, "account", "account_id"
        )
    lead = services.lead_qualify(
        request.user,
        lead=lead,
        account=account,
        create_opportunity=payload.create_opportunity,
        opportunity_name=payload.opportunity_name,
        amount=payload.amount,
        currency=payload.currency,
        version=if_match(request),
    )
    return {
        "lead": lead,
        "account_id": lead.account_id,
        "contact_id": lead.contact_id,
        "opportunity_id": lead.opportunity_id,
    }


@router.post("/leads/{lead_id}/disqualify", response={200: LeadOut, **ERRORS})
def disqualify_lead(request: HttpRequest, lead_id: int, payload: DisqualifyIn) -> Lead:
    """A reason is required; If-Match is honoured."""
    return services.lead_disqualify(
        request.user,
        lead=selectors.lead_get(request.user, lead_id),
        reason=payload.reason,
        version=if_match(request),
    )


@router.post("/leads/{lead_id}/reopen", response={200: LeadOut, **ERRORS})
def reopen_lead(request: HttpRequest, lead_id: int) -> Lead:
    """A disqualified lead goes back to new; any other answers 409."""
    return services.lead_reopen(
        request.user, lead=selectors.lead_get(request.user, lead_id), version=if_match(request)
    )


@router.post("/leads/{lead_id}/contacted", response={200: LeadOut, **ERRORS})
def lead_contacted(request: HttpRequest, lead_id: int) -> Lead:
    """Log a contact: a new lead becomes contacted and the first contact is stamped."""
    return services.lead_mark_contacted(
        request.user, lead=selectors.lead_get(request.user, lead_id), version=if_match(request)
    )


add_record_routes(router, resource="leads", entity="lead", get=selectors.lead_get, out=LeadOut)
add_history_route(router, resource="leads", entity="lead", get=selectors.lead_get)


@router.get("/campaigns/{campaign_id}/leads", response={200: Page[LeadOut], **ERRORS})
def campaign_leads(
    request: HttpRequest, campaign_id: int, filters: Query[CampaignLeadFilters]
) -> dict:
    """The leads from a campaign the caller may read that they may read too."""
    campaign = selectors.campaign_get(request.user, campaign_id)
    params, paging = _page(filters, LEAD_ORDERS)
    params["is_open"] = params.pop("open")
    return paginate(selectors.lead_list(request.user, campaign_id=campaign.pk, **params), **paging)
