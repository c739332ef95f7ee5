"""Writes of the sales app. Each checks access, runs in one transaction, bumps the
version and is audited in the same transaction.

Linking a record to another (an opportunity to its account, contact or campaign; a
campaign or opportunity to a product line) needs read on the other record: one the
actor cannot read answers NotFound naming the field, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from trellis.access import can
from trellis.access.models import SecurableModel
from trellis.access.services import owner_fields, require
from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trellis.core.fields import diff, snapshot
from trellis.customers.models import Account, Contact
from trellis.customers.services import account_create, contact_create, normalize_phone
from trellis.org.models import Team, TeamKind, User
from trellis.org.services import check_version
from trellis.sales.models import (
    CLOSED_STAGES,
    DEFAULT_PROBABILITY,
    OPEN_LEAD_STATUSES,
    Campaign,
    CampaignStatus,
    CampaignType,
    Lead,
    LeadRating,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityStageChange,
    Product,
    ProductLine,
    SalesTarget,
    Stage,
)
from trellis.sales.selectors import (
    may_edit_catalog,
    may_read_catalog,
    may_set_target,
)

# Money columns hold 16 digits with 2 decimals: anything from 10^14 up does not fit.
MONEY_LIMIT = Decimal("1e14")

# Field validation -----------------------------------------------------------------------


def _money(out: dict[str, Any], name: str, *, nullable: bool) -> None:
    if name not in out:
        return
    raw = out[name]
    if raw in (None, ""):
        if not nullable:
            raise InvalidInput.field(name, "must be a decimal number")
        out[name] = None
        return
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput.field(name, "must be a decimal number") from None
    if not value.is_finite() or value < 0 or value >= MONEY_LIMIT:
        raise InvalidInput.field(name, "must be between 0 and 10^14")
    out[name] = value.quantize(Decimal("0.01"))


def _choice(out: dict[str, Any], name: str, choices: type[models.TextChoices]) -> None:
    if name in out and out[name] not in choices.values:
        raise InvalidInput.field(name, f"must be one of {', '.join(choices.values)}")


def _clean(
    model: type[models.Model], allowed: tuple[str, ...], fields: dict[str, Any], creating: bool
) -> dict[str, Any]:
    """Checks every model shares: known fields, a name, currency codes, text lengths."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    for required in ("name", "code"):
        if required in allowed and (creating or required in out):
            value = (out.get(required) or "").strip()
            if not value:
                raise InvalidInput.field(required, "must not be empty")
            out[required] = value
    if "currency" in out:
        currency = (out["currency"] or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput.field("currency", "must be a three-letter ISO 4217 code")
        out["currency"] = currency
    for key, value in out.items():
        if value is None and key in ("description", "close_reason", "external_id"):
            out[key] = value = ""
        limit = getattr(model._meta.get_field(key), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise InvalidInput.field(key, f"must be at most {limit} characters")
    return out


def _check_dates(start: dt.date | None, end: dt.date | None, start_field: str, end_field: str):
    if start is not None and end is not None and end < start:
        raise InvalidInput.field(end_field, f"must not be before {start_field}")


@contextmanager
def _unique(field: str, message: str) -> Iterator[None]:
    """A unique-constraint race (two requests with the same code) answers 409."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise Conflict.field(field, message) from None


def _touch(record: models.Model, actor: User) -> None:
    record.version += 1
    record.modified_at = timezone.now()
    if hasattr(record, "modified_by"):
        record.modified_by = actor


def _owner(actor: User, owner_user: User | None, owner_team: Team | None) -> dict[str, Any]:
    if owner_user is None and owner_team is None:
        owner_user = actor
    return owner_fields(owner_user, owner_team)


def _check_create(actor: User, record: SecurableModel, label: str) -> None:
    """`create` on the entity, and `assign` when the new record is someone else's."""
    if not can(actor, "create", record):
        raise Forbidden(f"you may not create {label}")
    if record.owner_user_id != actor.pk and not can(actor, "assign", record):
        field = "owner_team_id" if record.owner_team_id else "owner_user_id"
        raise Forbidden(
            f"you may not create {label} owned by someone else",
            [(field, "you lack assign rights for this owner")],
        )


def _linked(actor: User, record: SecurableModel | None, field: str) -> None:
    """Linking to `record` needs read on it."""
    if record is not None and not can(actor, "read", record):
        raise NotFound.field(field, f"{record.access_entity} {record.pk} not found")


def _linked_line(actor: User, line: ProductLine | None) -> None:
    if line is not None and not may_read_catalog(actor):
        raise NotFound.field("product_line_id", f"product line {line.pk} not found")


def _delete(actor: User, record: models.Model, entity: str, fields: dict[str, Any]) -> None:
    pk = record.pk
    record.delete()
    audit_record(
        actor, "delete", None, entity=entity, object_id=pk, object_repr=str(record), changes=fields
    )


# Product lines --------------------------------------------------------------------------

PRODUCT_LINE_FIELDS = ("name", "code", "description", "active")


def _require_catalog_editor(actor: User) -> None:
    if not may_read_catalog(actor):
        raise NotFound("product line not found")
    if not may_edit_catalog(actor):
        raise Forbidden("changing product lines needs write on products at org depth")


@transaction.atomic
def product_line_create(actor: User, **fields: Any) -> ProductLine:
    """Add a product line (needs write on products at org depth)."""
    _require_catalog_editor(actor)
    line = ProductLine(**_clean(ProductLine, PRODUCT_LINE_FIELDS, fields, creating=True))
    with _unique("code", f"a product line with code {line.code!r} exists"):
        line.save()
    audit_record(actor, "create", line, entity="product_line", changes=snapshot(line))
    return line


@transaction.atomic
def product_line_update(
    actor: User, *, product_line: ProductLine, version: int | None = None, **fields: Any
) -> ProductLine:
    _require_catalog_editor(actor)
    line = ProductLine.objects.select_for_update().get(pk=product_line.pk)
    check_version(line, version)
    before = snapshot(line)
    for key, value in _clean(ProductLine, PRODUCT_LINE_FIELDS, fields, creating=False).items():
        setattr(line, key, value)
    line.version += 1
    line.modified_at = timezone.now()
    with _unique("code", f"a product line with code {line.code!r} exists"):
        line.save()
    audit_record(actor, "update", line, entity="product_line", changes=diff(before, snapshot(line)))
    return line


@transaction.atomic
def product_line_delete(actor: User, *, product_line: ProductLine) -> None:
    """Remove a product line; refused (409) while products belong to it. Campaigns and
    opportunities naming it keep existing without a line."""
    _require_catalog_editor(actor)
    if Product.objects.filter(product_line=product_line).exists():
        raise Conflict.field("product_line_id", "products still belong to this line")
    _delete(actor, product_line, "product_line", snapshot(product_line))


# Products -------------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "code", "description", "list_price", "currency", "active")


def _clean_product(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    out = _clean(Product, PRODUCT_FIELDS, fields, creating)
    _money(out, "list_price", nullable=False)
    return out


@transaction.atomic
def product_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    product_line: ProductLine | None = None,
    **fields: Any,
) -> Product:
    """Add a product to the catalog, owned by the actor unless another owner is given."""
    product = Product(
        **_clean_product(fields, creating=True),
        product_line=product_line,
        **_owner(actor, owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    _check_create(actor, product, "products")
    _linked_line(actor, product_line)
    with _unique("code", f"a product with code {product.code!r} exists"):
        product.save()
    audit_record(actor, "create", product, changes=snapshot(product))
    return product


@transaction.atomic
def product_update(
    actor: User,
    *,
    product: Product,
    version: int | None = None,
    product_line: ProductLine | None | Any = ...,
    **fields: Any,
) -> Product:
    """Change a product (needs write). `version` guards against lost updates."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    require(actor, "write", product)
    check_version(product, version)
    before = snapshot(product)
    for key, value in _clean_product(fields, creating=False).items():
        setattr(product, key, value)
    if product_line is not ...:
        _linked_line(actor, product_line)
        product.product_line = product_line
    _touch(product, actor)
    with _unique("code", f"a product with code {product.code!r} exists"):
        product.save()
    audit_record(actor, "update", product, changes=diff(before, snapshot(product)))
    return product


@transaction.atomic
def product_delete(actor: User, *, product: Product) -> None:
    require(actor, "delete", product)
    _delete(actor, product, "product", snapshot(product))


# Campaigns ------------------------------------------------------------------------------

CAMPAIGN_FIELDS = (
    "name",
    "type",
    "status",
    "budget",
    "actual_cost",
    "expected_revenue",
    "currency",
    "start_date",
    "end_date",
    "description",
)


def _clean_campaign(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    out = _clean(Campaign, CAMPAIGN_FIELDS, fields, creating)
    _choice(out, "type", CampaignType)
    _choice(out, "status", CampaignStatus)
    for name in ("budget", "actual_cost", "expected_revenue"):
        _money(out, name, nullable=True)
    return out


@transaction.atomic
def campaign_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    product_line: ProductLine | None = None,
    **fields: Any,
) -> Campaign:
    """Plan a campaign, owned by the actor unless another owner is given."""
    campaign = Campaign(
        **_clean_campaign(fields, creating=True),
        product_line=product_line,
        **_owner(actor, owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    _check_create(actor, campaign, "campaigns")
    _check_dates(campaign.start_date, campaign.end_date, "start_date", "end_date")
    _linked_line(actor, product_line)
    campaign.save()
    audit_record(actor, "create", campaign, changes=snapshot(campaign))
    return campaign


@transaction.atomic
def campaign_update(
    actor: User,
    *,
    campaign: Campaign,
    version: int | None = None,
    product_line: ProductLine | None | Any = ...,
    **fields: Any,
) -> Campaign:
    """Change a campaign (needs write). `version` guards against lost updates."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    require(actor, "write", campaign)
    check_version(campaign, version)
    before = snapshot(campaign)
    for key, value in _clean_campaign(fields, creating=False).items():
        setattr(campaign, key, value)
    if campaign.start_date and campaign.end_date and campaign.end_date < campaign.start_date:
        # Name the end that was sent: that is the one to correct.
        if "start_date" in fields and "end_date" not in fields:
            raise InvalidInput.field("start_date", "must not be after end_date")
        raise InvalidInput.field("end_date", "must not be before start_date")
    if product_line is not ...:
        _linked_line(actor, product_line)
        campaign.product_line = product_line
    _touch(campaign, actor)
    campaign.save()
    audit_record(actor, "update", campaign, changes=diff(before, snapshot(campaign)))
    return campaign


@transaction.atomic
def campaign_delete(actor: User, *, campaign: Campaign) -> None:
    """Remove a campaign; its opportunities stay, without a campaign."""
    require(actor, "delete", campaign)
    _delete(actor, campaign, "campaign", snapshot(campaign))


# Opportunities --------------------------------------------------------------------------

OPPORTUNITY_FIELDS = (
    "name",
    "stage",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "close_reason",
    "description",
    "external_id",
)


def _clean_opportunity(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    out = _clean(Opportunity, OPPORTUNITY_FIELDS, fields, creating)
    _choice(out, "stage", Stage)
    _money(out, "amount", nullable=False)
    if "probability" in out and out["probability"] is not None:
        try:
            probability = int(out["probability"])
        except (TypeError, ValueError):
            raise InvalidInput.field("probability", "must be a whole number") from None
        if not 0 <= probability <= 100:
            raise InvalidInput.field("probability", "must be between 0 and 100")
        out["probability"] = probability
    return out


def _check_probability(opportunity: Opportunity, given: int | None) -> None:
    """A closed opportunity's probability follows from the outcome: won 100, lost 0."""
    if opportunity.stage in CLOSED_STAGES:
        expected = DEFAULT_PROBABILITY[opportunity.stage]
        if given is not None and given != expected:
            raise InvalidInput.field(
                "probability", f"a {opportunity.stage} opportunity has probability {expected}"
            )
        opportunity.probability = expected


def opportunity_clean(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated opportunity fields, as `opportunity_create`/`opportunity_update` clean
    them (for callers that build records themselves, such as an import)."""
    return _clean_opportunity(fields, creating)


def opportunity_check_probability(opportunity: Opportunity, given: int | None) -> None:
    """Refuse a probability that contradicts a closed outcome (won 100, lost 0) and set
    the closed one's, as the opportunity services do."""
    _check_probability(opportunity, given)


def _check_links(
    actor: User,
    *,
    account: Account | None,
    contact: Contact | None,
    campaign: Campaign | None,
    product_line: ProductLine | None,
) -> None:
    _linked(actor, account, "account_id")
    _linked(actor, contact, "contact_id")
    _linked(actor, campaign, "campaign_id")
    _linked_line(actor, product_line)


def _check_contact_of(account: Account, contact: Contact | None) -> None:
    if contact is not None and contact.account_id not in (None, account.pk):
        raise InvalidInput.field("contact_id", "the contact works for another account")


def _record_stage(opportunity: Opportunity, from_stage: str, actor: User) -> None:
    OpportunityStageChange.objects.create(
        opportunity=opportunity,
        from_stage=from_stage,
        to_stage=opportunity.stage,
        changed_by=actor if getattr(actor, "pk", None) else None,
        changed_at=opportunity.modified_at,
        amount=opportunity.amount,
        currency=opportunity.currency,
        probability=opportunity.probability,
    )


@transaction.atomic
def opportunity_create(
    actor: User,
    *,
    account: Account,
    contact: Contact | None = None,
    campaign: Campaign | None = None,
    product_line: ProductLine | None = None,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    closed_at: dt.datetime | None = None,
    lead: Lead | None = None,
    **fields: Any,
) -> Opportunity:
    """Open an opportunity on an account the actor can read, owned by the actor unless
    another owner is given. Without a probability it gets the stage's default. Created
    won or lost, it is closed now (or at `closed_at`, for history moved in). `lead` is
    the lead it was qualified from (set by `lead_qualify`, which checked it)."""
    if account is None:
        raise InvalidInput.field("account_id", "an opportunity needs an account")
    data = _clean_opportunity(fields, creating=True)
    given = data.pop("probability", None)
    opportunity = Opportunity(
        **data,
        account=account,
        contact=contact,
        campaign=campaign,
        product_line=product_line,
        lead=lead,
        **_owner(actor, owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    opportunity.probability = given if given is not None else DEFAULT_PROBABILITY[opportunity.stage]
    _check_create(actor, opportunity, "opportunities")
    _check_links(
        actor, account=account, contact=contact, campaign=campaign, product_line=product_line
    )
    _check_contact_of(account, contact)
    _check_probability(opportunity, given)
    if opportunity.is_closed:
        opportunity.closed_at = closed_at or opportunity.created_at
    opportunity.save()
    _record_stage(opportunity, "", actor)
    audit_record(actor, "create", opportunity, changes=snapshot(opportunity))
    return opportunity


@transaction.atomic
def opportunity_update(
    actor: User,
    *,
    opportunity: Opportunity,
    version: int | None = None,
    account: Account | Any = ...,
    contact: Contact | None | Any = ...,
    campaign: Campaign | None | Any = ...,
    product_line: ProductLine | None | Any = ...,
    **fields: Any,
) -> Opportunity:
    """Change an opportunity (needs write; new links need read on what they name).

    A stage change is kept in the stage history; entering an open stage without a
    probability gives the stage's default; entering won or lost closes it (probability
    100 or 0) and going back to an open stage re-opens it (`closed_at` and the close
    reason are cleared)."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    require(actor, "write", opportunity)
    check_version(opportunity, version)
    before = snapshot(opportunity)
    old_stage = opportunity.stage
    data = _clean_opportunity(fields, creating=False)
    given = data.pop("probability", None)
    for key, value in data.items():
        setattr(opportunity, key, value)
    if account is None:
        raise InvalidInput.field("account_id", "an opportunity needs an account")
    # Only new links are checked: an unchanged one may name what the actor cannot see.
    _check_links(
        actor,
        account=None if account is ... else account,
        contact=None if contact is ... else contact,
        campaign=None if campaign is ... else campaign,
        product_line=None if product_line is ... else product_line,
    )
    for name, value in (
        ("account", account),
        ("contact", contact),
        ("campaign", campaign),
        ("product_line", product_line),
    ):
        if value is not ...:
            setattr(opportunity, name, value)
    if account is not ... or contact is not ...:
        _check_contact_of(opportunity.account, opportunity.contact)
    _touch(opportunity, actor)
    stage_changed = opportunity.stage != old_stage
    if given is not None:
        opportunity.probability = given
    elif stage_changed or "probability" in fields:
        # A new stage without a probability, or a probability sent as null: the default.
        opportunity.probability = DEFAULT_PROBABILITY[opportunity.stage]
    _check_probability(opportunity, given)
    if stage_changed and opportunity.is_closed:
        opportunity.closed_at = opportunity.modified_at
    elif stage_changed and old_stage in CLOSED_STAGES:
        opportunity.closed_at = None
        if "close_reason" not in data:
            opportunity.close_reason = ""
    opportunity.save()
    if stage_changed:
        _record_stage(opportunity, old_stage, actor)
    audit_record(actor, "update", opportunity, changes=diff(before, snapshot(opportunity)))
    return opportunity


@transaction.atomic
def opportunity_close(
    actor: User,
    *,
    opportunity: Opportunity,
    outcome: str,
    reason: str = "",
    version: int | None = None,
) -> Opportunity:
    """Close an open opportunity as won (probability 100) or lost (0), with a reason.
    Needs write. A closed one answers 409: re-open it (PATCH an open stage) first."""
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    require(actor, "write", opportunity)
    check_version(opportunity, version)
    if outcome not in CLOSED_STAGES:
        raise InvalidInput.field("outcome", f"must be one of {', '.join(CLOSED_STAGES)}")
    reason = (reason or "").strip()
    limit = Opportunity._meta.get_field("close_reason").max_length
    if len(reason) > limit:
        raise InvalidInput.field("reason", f"must be at most {limit} characters")
    if opportunity.is_closed:
        raise Conflict.field("outcome", f"the opportunity is already {opportunity.stage}")
    before = snapshot(opportunity)
    old_stage = opportunity.stage
    opportunity.stage = outcome
    opportunity.probability = DEFAULT_PROBABILITY[outcome]
    opportunity.close_reason = reason
    _touch(opportunity, actor)
    opportunity.closed_at = opportunity.modified_at
    opportunity.save()
    _record_stage(opportunity, old_stage, actor)
    audit_record(actor, "close", opportunity, changes=diff(before, snapshot(opportunity)))
    return opportunity


@transaction.atomic
def opportunity_delete(actor: User, *, opportunity: Opportunity) -> None:
    """Remove an opportunity with its stage history (the audit trail keeps it)."""
    require(actor, "delete", opportunity)
    _delete(actor, opportunity, "opportunity", snapshot(opportunity))


# Sales targets --------------------------------------------------------------------------

TARGET_FIELDS = ("period_start", "period_end", "amount", "currency", "description")


def _principal(user: User | None, team: Team | None) -> tuple[User | None, Team | None]:
    if (user is None) == (team is None):
        raise InvalidInput(
            "give exactly one of user_id and team_id", [("user_id", "give this or team_id")]
        )
    if team is not None and team.kind != TeamKind.OWNER:
        raise InvalidInput.field("team_id", "targets are set for owner teams")
    if user is not None and user.unit_id is None:
        raise InvalidInput.field("user_id", f"{user.username} has no unit")
    return user, team


def _require_target_setter(actor: User, target: SalesTarget) -> None:
    principal = target.user if target.user_id else target.team
    own = target.user_id == actor.pk
    if not may_set_target(actor, principal.unit, own=own):
        field = "user_id" if target.user_id else "team_id"
        raise Forbidden(
            "setting this target needs view_reports and opportunity assign rights, or "
            "manage_org, covering their unit (nobody else sets their own target)",
            [(field, "you may not set targets for them")],
        )


def _clean_target(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    out = _clean(SalesTarget, TARGET_FIELDS, fields, creating)
    if creating:
        for name in ("period_start", "period_end", "amount"):
            if out.get(name) in (None, ""):
                raise InvalidInput.field(name, "is required")
    for name in ("period_start", "period_end"):
        if name in out and out[name] is None:
            raise InvalidInput.field(name, "is required")
    _money(out, "amount", nullable=False)
    return out


def _check_overlap(target: SalesTarget) -> None:
    others = SalesTarget.objects.filter(
        user_id=target.user_id,
        team_id=target.team_id,
        currency=target.currency,
        period_start__lte=target.period_end,
        period_end__gte=target.period_start,
    ).exclude(pk=target.pk)
    if others.exists():
        raise Conflict.field("period_start", "another target covers part of this period")


@transaction.atomic
def target_create(
    actor: User, *, user: User | None = None, team: Team | None = None, **fields: Any
) -> SalesTarget:
    """Set a target for a person or an owner team (rules on `SalesTarget`). Periods of
    one person's (or team's) targets in one currency do not overlap."""
    user, team = _principal(user, team)
    target = SalesTarget(
        **_clean_target(fields, creating=True),
        user=user,
        team=team,
        created_by=actor,
        modified_by=actor,
    )
    _require_target_setter(actor, target)
    _check_dates(target.period_start, target.period_end, "period_start", "period_end")
    _check_overlap(target)
    target.save()
    audit_record(actor, "create", target, entity="sales_target", changes=snapshot(target))
    return target


@transaction.atomic
def target_update(
    actor: User, *, target: SalesTarget, version: int | None = None, **fields: Any
) -> SalesTarget:
    target = SalesTarget.objects.select_for_update().get(pk=target.pk)
    _require_target_setter(actor, target)
    check_version(target, version)
    before = snapshot(target)
    for key, value in _clean_target(fields, creating=False).items():
        setattr(target, key, value)
    _check_dates(target.period_start, target.period_end, "period_start", "period_end")
    _check_overlap(target)
    _touch(target, actor)
    target.save()
    audit_record(
        actor, "update", target, entity="sales_target", changes=diff(before, snapshot(target))
    )
    return target


@transaction.atomic
def target_delete(actor: User, *, target: SalesTarget) -> None:
    _require_target_setter(actor, target)
    _delete(actor, target, "sales_target", snapshot(target))


# Leads ----------------------------------------------------------------------------------

LEAD_FIELDS = (
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "email",
    "phone",
    "source",
    "product_interest",
    "region",
    "country",
    "rating",
    "description",
    "external_id",
)
# Only when creating (history moved in from another CRM keeps where it stood); after
# that the status moves only through the actions below.
LEAD_CREATE_ONLY = ("status", "disqualify_reason", "first_contacted_at")
LEAD_TEXT = tuple(name for name in LEAD_FIELDS if name not in ("source", "rating"))


def _clean_lead(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    if not creating and "status" in fields:
        raise InvalidInput.field(
            "status", "change it with the contacted, disqualify, reopen or qualify actions"
        )
    allowed = LEAD_FIELDS + LEAD_CREATE_ONLY if creating else LEAD_FIELDS
    unknown = set(fields) - set(allowed)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    for key in (*LEAD_TEXT, "disqualify_reason"):
        if key in out:
            value = out[key]
            if value is not None and not isinstance(value, str):
                raise InvalidInput.field(key, "must be text")
            out[key] = (value or "").strip()
    if (creating or "last_name" in out) and not out.get("last_name"):
        raise InvalidInput.field("last_name", "must not be empty")
    if out.get("email"):
        try:
            validate_email(out["email"])
        except ValidationError:
            raise InvalidInput.field(
                "email", f"{out['email']!r} is not a valid email address"
            ) from None
    if "country" in out:
        country = out["country"].upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise InvalidInput.field("country", "must be a two-letter ISO 3166 code")
        out["country"] = country
    if "source" in out and out["source"] in (None, ""):
        out["source"] = LeadSource.OTHER
    _choice(out, "source", LeadSource)
    if "rating" in out:
        out["rating"] = out["rating"] or ""
        if out["rating"] and out["rating"] not in LeadRating.values:
            raise InvalidInput.field("rating", f"must be one of {', '.join(LeadRating.values)}")
    if "status" in out:
        starts = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.DISQUALIFIED)
        if out["status"] not in starts:
            raise InvalidInput.field(
                "status",
                f"a lead starts as one of {', '.join(starts)} (qualify it to make it qualified)",
            )
    if "phone" in out and len(out["phone"]) > Lead._meta.get_field("phone_raw").max_length:
        raise InvalidInput.field("phone", "is too long for a phone number")
    for key, value in out.items():
        if key == "phone":
            continue
        limit = getattr(Lead._meta.get_field(key), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise InvalidInput.field(key, f"must be at most {limit} characters")
    return out


def _lead_phone(lead: Lead, raw: str) -> None:
    """Keep the phone as typed and in E.164. A number without a country code is read in
    the lead's country, else the owner's region when that is a country code."""
    lead.phone_raw = raw
    if not raw:
        lead.phone = ""
        return
    region = None
    candidates = [lead.country, lead.owner_user.region if lead.owner_user_id else ""]
    for candidate in candidates:
        code = (candidate or "").strip().upper()
        if code in phonenumbers.SUPPORTED_REGIONS:
            region = code
            break
    if region is None and not raw.startswith("+"):
        raise InvalidInput.field(
            "phone", "start the number with + and its country code, or give the lead a country"
        )
    lead.phone = normalize_phone(raw, region, "phone")


def lead_clean(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated lead fields, as `lead_create`/`lead_update` clean them (for callers
    that build records themselves, such as an import)."""
    return _clean_lead(fields, creating)


def lead_set_phone(lead: Lead, raw: str) -> None:
    """Set the lead's phone as typed and in E.164, as the lead services do (InvalidInput
    naming `phone` when it cannot be read)."""
    _lead_phone(lead, raw)


def _check_disqualify_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput.field("reason", "say why the lead is disqualified")
    limit = Lead._meta.get_field("disqualify_reason").max_length
    if len(reason) > limit:
        raise InvalidInput.field("reason", f"must be at most {limit} characters")
    return reason


def _leave_new(lead: Lead, now: dt.datetime) -> None:
    """The first time a lead leaves `new`, it has been contacted."""
    if lead.first_contacted_at is None:
        lead.first_contacted_at = now


def _locked_lead(actor: User, lead: Lead, version: int | None) -> Lead:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    require(actor, "write", lead)
    check_version(lead, version)
    return lead


def _require_open(lead: Lead, action: str) -> None:
    if lead.status not in OPEN_LEAD_STATUSES:
        raise Conflict.field("status", f"a {lead.status} lead cannot be {action}")


def _save_lead(actor: User, lead: Lead, action: str, before: dict[str, Any]) -> Lead:
    _touch(lead, actor)
    lead.save()
    audit_record(actor, action, lead, changes=diff(before, snapshot(lead)))
    return lead


@transaction.atomic
def lead_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    campaign: Campaign | None = None,
    product_line: ProductLine | None = None,
    **fields: Any,
) -> Lead:
    """Record a lead, owned by the actor unless another owner is given (needs assign).

    The phone is normalized to E.164 (the typed text kept in `phone_raw`); linking a
    campaign needs read on it. A lead starts `new` unless `status` says `contacted` or
    `disqualified` (with `disqualify_reason`), for history moved in; a lead that is
    past `new` has a `first_contacted_at` (now unless given)."""
    clean = _clean_lead(fields, creating=True)
    raw_phone = clean.pop("phone", "")
    lead = Lead(
        **clean,
        campaign=campaign,
        product_line=product_line,
        **_owner(actor, owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    _check_create(actor, lead, "leads")
    _linked(actor, campaign, "campaign_id")
    _linked_line(actor, product_line)
    if lead.status == LeadStatus.DISQUALIFIED:
        if not lead.disqualify_reason:
            raise InvalidInput.field("disqualify_reason", "say why the lead is disqualified")
    elif lead.disqualify_reason:
        raise InvalidInput.field("disqualify_reason", "only a disqualified lead has one")
    if lead.status != LeadStatus.NEW:
        _leave_new(lead, lead.created_at)
    _lead_phone(lead, raw_phone)
    lead.save()
    audit_record(actor, "create", lead, changes=snapshot(lead))
    if owner_user is None and owner_team is None:
        # No owner given: the routing rules decide (a system decision, see routing.services).
        from trellis.routing.services import route_new

        route_new(actor, lead)
    return lead


@transaction.atomic
def lead_update(
    actor: User,
    *,
    lead: Lead,
    version: int | None = None,
    campaign: Campaign | None | Any = ...,
    product_line: ProductLine | None | Any = ...,
    **fields: Any,
) -> Lead:
    """Change a lead's fields (needs write; a new campaign needs read on it). The status
    moves only through the actions. `version` guards against lost updates."""
    lead = _locked_lead(actor, lead, version)
    before = snapshot(lead)
    clean = _clean_lead(fields, creating=False)
    raw_phone = clean.pop("phone", None)
    for key, value in clean.items():
        setattr(lead, key, value)
    if campaign is not ... and campaign != lead.campaign:
        _linked(actor, campaign, "campaign_id")
        lead.campaign = campaign
    if product_line is not ...:
        _linked_line(actor, product_line)
        lead.product_line = product_line
    if raw_phone is not None:
        _lead_phone(lead, raw_phone)
    return _save_lead(actor, lead, "update", before)


@transaction.atomic
def lead_delete(actor: User, *, lead: Lead) -> None:
    """Remove a lead; what it was qualified into stays (the opportunity loses the link)."""
    require(actor, "delete", lead)
    _delete(actor, lead, "lead", snapshot(lead))


@transaction.atomic
def lead_mark_contacted(actor: User, *, lead: Lead, version: int | None = None) -> Lead:
    """Log that the lead was contacted: a `new` lead becomes `contacted`, and the first
    contact is stamped. Needs write; a qualified or disqualified lead answers 409."""
    lead = _locked_lead(actor, lead, version)
    _require_open(lead, "contacted")
    before = snapshot(lead)
    _leave_new(lead, timezone.now())
    lead.status = LeadStatus.CONTACTED
    return _save_lead(actor, lead, "contacted", before)


@transaction.atomic
def lead_disqualify(actor: User, *, lead: Lead, reason: str, version: int | None = None) -> Lead:
    """Disqualify an open lead, saying why (needs write). It can be reopened later."""
    lead = _locked_lead(actor, lead, version)
    reason = _check_disqualify_reason(reason)
    _require_open(lead, "disqualified")
    before = snapshot(lead)
    _leave_new(lead, timezone.now())
    lead.status = LeadStatus.DISQUALIFIED
    lead.disqualify_reason = reason
    return _save_lead(actor, lead, "disqualify", before)


@transaction.atomic
def lead_reopen(actor: User, *, lead: Lead, version: int | None = None) -> Lead:
    """Put a disqualified lead back to `new` (needs write); the reason is cleared from the
    lead and kept in its audit trail. Only disqualified leads reopen."""
    lead = _locked_lead(actor, lead, version)
    if lead.status != LeadStatus.DISQUALIFIED:
        raise Conflict.field(
            "status", f"only a disqualified lead reopens (this one is {lead.status})"
        )
    before = snapshot(lead)
    lead.status = LeadStatus.NEW
    lead.disqualify_reason = ""
    return _save_lead(actor, lead, "reopen", before)


def _opportunity_name(lead: Lead, account: Account, given: str | None) -> str:
    name = (given or "").strip()
    if not name:
        base = lead.company_name or account.name
        name = f"{base} – {lead.product_interest}" if lead.product_interest else base
    return name[: Opportunity._meta.get_field("name").max_length]


@transaction.atomic
def lead_qualify(
    actor: User,
    *,
    lead: Lead,
    account: Account | None = None,
    create_opportunity: bool = True,
    opportunity_name: str | None = None,
    amount: Any = None,
    currency: str | None = None,
    version: int | None = None,
) -> Lead:
    """Turn an open lead, in one transaction, into an account, a contact and (unless
    `create_opportunity` is False) an opportunity, all linked back to the lead, which
    becomes `qualified` for good. Anything refused rolls the whole of it back.

    `account` is an existing account to use (needs read on it; NotFound naming
    `account_id` otherwise); without it a new one is made from the lead's company name,
    region and country. The contact takes the person's name, title, email and phone.
    The opportunity starts in prospecting with the lead's campaign and product line
    (each carried over only when the actor may read it). Needs write on the lead; the
    account, contact and opportunity services check create rights themselves."""
    lead = _locked_lead(actor, lead, version)
    _require_open(lead, "qualified")
    before = snapshot(lead)
    if account is not None:
        _linked(actor, account, "account_id")
    elif not lead.company_name:
        raise InvalidInput.field(
            "account_id", "give an existing account, or set the lead's company name first"
        )
    else:
        account = account_create(
            actor, name=lead.company_name, region=lead.region, country=lead.country
        )
    contact = contact_create(
        actor,
        account=account,
        first_name=lead.first_name,
        last_name=lead.last_name,
        job_title=lead.job_title,
        email=lead.email,
        phone=lead.phone_raw or lead.phone,
        country=lead.country,
    )
    opportunity = None
    if create_opportunity:
        money: dict[str, Any] = {}
        if amount is not None:
            money["amount"] = amount
        if currency:
            money["currency"] = currency
        campaign = lead.campaign if lead.campaign_id and can(actor, "read", lead.campaign) else None
        line = lead.product_line if may_read_catalog(actor) else None
        opportunity = opportunity_create(
            actor,
            account=account,
            contact=contact,
            campaign=campaign,
            product_line=line,
            lead=lead,
            name=_opportunity_name(lead, account, opportunity_name),
            stage=Stage.PROSPECTING,
            **money,
        )
    now = timezone.now()
    _leave_new(lead, now)
    lead.status = LeadStatus.QUALIFIED
    lead.qualified_at = now
    lead.account, lead.contact, lead.opportunity = account, contact, opportunity
    return _save_lead(actor, lead, "qualify", before)
