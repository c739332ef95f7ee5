"""What can be imported and exported: per entity, its columns, their aliases and how a
cell becomes the value the entity's service expects.

Adding an entity means adding one `EntitySpec` to `ENTITIES`; the import engine and
the exports are generic over it. Entity rules the services apply beyond field cleaning
(phones, a lead's status history, an opportunity's stages) live in `dataio.history`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from trellis.access.models import SecurableModel
from trellis.core.errors import InvalidInput
from trellis.customers import selectors as customer_selectors
from trellis.customers import services as customer_services
from trellis.customers.models import Account, Contact
from trellis.dataio import cases, history
from trellis.sales import selectors as sales_selectors
from trellis.sales import services as sales_services
from trellis.sales.models import Campaign, Lead, Opportunity
from trellis.service import selectors as service_selectors
from trellis.service import services as service_services
from trellis.service.models import Case

# Columns every entity understands besides its own fields (history moved in from another
# CRM): who owns the record (a username or e-mail address) and when it was created or
# last changed.
COMMON_FIELDS = ("owner", "created_at", "modified_at")

COMMON_ALIASES = {
    "owner": "owner",
    "owner username": "owner",
    "owner email": "owner",
    "owner e mail": "owner",
    "record owner": "owner",
    "assigned to": "owner",
    "created": "created_at",
    "created at": "created_at",
    "created on": "created_at",
    "created date": "created_at",
    "date created": "created_at",
    "creation date": "created_at",
    "modified": "modified_at",
    "modified at": "modified_at",
    "modified on": "modified_at",
    "last modified": "modified_at",
    "last modified date": "modified_at",
    "updated at": "modified_at",
    "external id": "external_id",
    "external": "external_id",
    "crm id": "external_id",
    "e mail": "email",
    "email address": "email",
    "e mail address": "email",
    "mail": "email",
    "telephone": "phone",
    "phone number": "phone",
    "business phone": "phone",
    "work phone": "phone",
    "tel": "phone",
    "address": "street",
    "street address": "street",
    "address line 1": "street",
    "town": "city",
    "province": "state",
    "region state": "state",
    "zip": "postal_code",
    "zip code": "postal_code",
    "postcode": "postal_code",
    "country code": "country",
    "notes": "description",
}

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "on", "ya", "si", "sì", "是"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "tidak", "否"})


def header_key(text: str) -> str:
    """A column header as looked up: lower case, separators as single spaces."""
    return " ".join(re.sub(r"[_\-./:()]+", " ", text.strip().lower()).split())


def parse_bool(value: str, name: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidInput.field(name, f"{value!r} is not yes/no (use true or false)")


def parse_int(value: str, name: str) -> int:
    digits = value.replace(",", "").replace("_", "").replace(" ", "")
    try:
        return int(digits)
    except ValueError:
        try:
            number = float(digits)
        except ValueError:
            number = None
        if number is not None and number.is_integer():
            return int(number)
        raise InvalidInput.field(name, f"{value!r} is not a whole number") from None


def parse_money(value: str, name: str) -> str:
    """A money cell as the service reads it: thousands separators and spaces dropped."""
    return value.replace(",", "").replace("_", "").replace(" ", "")


def parse_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,\n]", value) if part.strip()]


def parse_when(value: str, name: str) -> dt.datetime:
    """An ISO 8601 date or date-time (a date is midnight, a naive time is the server's
    zone), not in the future; InvalidInput naming `name` otherwise."""
    text = value.strip().replace("/", "-")
    parsed = parse_datetime(text)
    if parsed is None:
        day = parse_date(text)
        if day is None:
            raise InvalidInput.field(
                name, f"{value!r} is not an ISO 8601 date or date-time (2021-03-04 10:00)"
            )
        parsed = dt.datetime.combine(day, dt.time())
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed > timezone.now():
        raise InvalidInput.field(name, "must not be in the future")
    return parsed


@dataclass(frozen=True)
class Link:
    """A foreign key filled from a file: the parent named by one of its columns (its name
    or e-mail in `by_name`, its external id in `by_external`). Parents are looked up among
    the records the importer may read, so linking needs read on the parent."""

    field: str  # the model's foreign key: "account"
    model: type[SecurableModel]
    by_name: str  # the file column holding the parent's name: "account"
    by_external: str = ""  # the file column holding its external id: "account_external_id"
    name_attr: str = "name"  # what `by_name` is compared with
    required: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(column for column in (self.by_name, self.by_external) if column)


@dataclass(frozen=True)
class EntitySpec:
    name: str  # the plural used in commands and URLs: "contacts"
    model: type[SecurableModel]
    # Fields the entity's service accepts, in export order.
    fields: tuple[str, ...]
    clean: Callable[..., dict[str, Any]]
    selector: Callable[..., QuerySet]
    # Parents filled from link columns ("account" for contacts), checked for read.
    links: tuple[Link, ...] = ()
    # Columns that find the existing record a row updates, in order of precedence.
    dedupe: tuple[str, ...] = ("external_id", "email")
    # Import-only history columns handled by `prepare` (a lead's status, stage dates).
    history: tuple[str, ...] = ()
    # Entity rules run on each planned record, after the owner and links are set:
    # prepare(plan) may raise InvalidInput and returns what `after_insert` needs.
    prepare: Callable[[history.Plan], Any] | None = None
    # Writes that follow the records' insert (the stage history), given (record, extra).
    after_insert: Callable[[Any, list[tuple[Any, Any]]], None] | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    parsers: dict[str, Callable[[str, str], Any]] = field(default_factory=dict)
    # Filters the export accepts (those the list selector accepts).
    filters: tuple[str, ...] = ()
    # Phones normalized to E.164 (the typed text kept in `<name>_raw`), as the service does.
    phone_fields: tuple[str, ...] = ()
    # Consent flags whose change stamps `consent_updated_at`.
    consent_fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model.access_entity

    @property
    def link_columns(self) -> tuple[str, ...]:
        return tuple(column for link in self.links for column in link.columns)

    @property
    def importable(self) -> tuple[str, ...]:
        return (*self.fields, *self.link_columns, *self.history, *COMMON_FIELDS)

    def field_for(self, header: str) -> str | None:
        """The field a column header names, or None when it names none."""
        key = header_key(header)
        by_name = {header_key(name): name for name in self.importable}
        if key in by_name:
            return by_name[key]
        target = self.aliases.get(key) or COMMON_ALIASES.get(key)
        return target if target in self.importable else None

    def parse(self, name: str, value: str) -> Any:
        parser = self.parsers.get(name)
        return parser(value, name) if parser else value


def _lower(value: str, name: str) -> str:
    return value.strip().lower()


def parse_day(value: str, name: str) -> dt.date:
    """An ISO 8601 date (a date-time gives its date); may be in the future."""
    text = value.strip().replace("/", "-")
    day = parse_date(text)
    if day is None:
        moment = parse_datetime(text)
        if moment is None:
            raise InvalidInput.field(name, f"{value!r} is not an ISO 8601 date (2021-03-04)")
        day = moment.date()
    return day


ACCOUNTS = EntitySpec(
    name="accounts",
    model=Account,
    fields=customer_services.ACCOUNT_FIELDS,
    clean=customer_services.clean_account_fields,
    selector=customer_selectors.account_list,
    aliases={
        "account": "name",
        "account name": "name",
        "company": "name",
        "company name": "name",
        "organization": "name",
        "organisation": "name",
        "sector": "industry",
        "segment": "size_segment",
        "size": "size_segment",
        "revenue": "annual_revenue",
        "annual revenue": "annual_revenue",
        "employee count": "employees",
        "number of employees": "employees",
        "headcount": "employees",
        "web": "website",
        "url": "website",
        "web site": "website",
        "territory": "region",
    },
    parsers={
        "employees": parse_int,
        "tier": _lower,
        "size_segment": _lower,
    },
    filters=customer_selectors.ACCOUNT_FILTERS,
)

CONTACTS = EntitySpec(
    name="contacts",
    model=Contact,
    fields=customer_services.CONTACT_FIELDS,
    clean=customer_services.clean_contact_fields,
    selector=customer_selectors.contact_list,
    links=(Link("account", Account, "account", "account_external_id"),),
    aliases={
        "first": "first_name",
        "firstname": "first_name",
        "given name": "first_name",
        "forename": "first_name",
        "last": "last_name",
        "lastname": "last_name",
        "surname": "last_name",
        "family name": "last_name",
        "name": "last_name",
        "title": "job_title",
        "position": "job_title",
        "role": "job_title",
        "mobile phone": "mobile",
        "mobile number": "mobile",
        "cell": "mobile",
        "cell phone": "mobile",
        "cellphone": "mobile",
        "handphone": "mobile",
        "hp": "mobile",
        "other email": "other_emails",
        "other e mails": "other_emails",
        "secondary email": "other_emails",
        "language": "preferred_language",
        "email opt in": "consent_email",
        "email consent": "consent_email",
        "phone consent": "consent_phone",
        "sms consent": "consent_sms",
        "active": "is_active",
        "company": "account",
        "company name": "account",
        "account name": "account",
        "organization": "account",
        "organisation": "account",
        "account id external": "account_external_id",
    },
    parsers={
        **dict.fromkeys(customer_services.BOOLEAN_FIELDS, parse_bool),
        "other_emails": lambda value, name: parse_list(value),
    },
    filters=customer_selectors.CONTACT_FILTERS,
    phone_fields=customer_services.PHONE_FIELDS,
    consent_fields=customer_services.CONSENT_FIELDS,
    prepare=history.prepare_contact,
)

PERSON_ALIASES = {
    key: value
    for key, value in CONTACTS.aliases.items()
    if value in ("first_name", "last_name", "job_title")
}
STATUS_DATE_ALIASES = {
    "first contacted": "first_contacted_at",
    "first contacted at": "first_contacted_at",
    "first contact date": "first_contacted_at",
    "contacted at": "first_contacted_at",
    "contacted on": "first_contacted_at",
    "qualified": "qualified_at",
    "qualified on": "qualified_at",
    "qualified date": "qualified_at",
    "date qualified": "qualified_at",
}

LEADS = EntitySpec(
    name="leads",
    model=Lead,
    fields=sales_services.LEAD_FIELDS,
    clean=history.clean_lead_fields,
    selector=sales_selectors.lead_list,
    links=(Link("campaign", Campaign, "campaign"),),
    history=history.LEAD_HISTORY,
    aliases={
        **PERSON_ALIASES,
        "company": "company_name",
        "company name": "company_name",
        "account": "company_name",
        "account name": "company_name",
        "organization": "company_name",
        "organisation": "company_name",
        "lead source": "source",
        "lead status": "status",
        "state": "status",
        "interest": "product_interest",
        "product": "product_interest",
        "territory": "region",
        "campaign name": "campaign",
        "reason": "disqualify_reason",
        "disqualified reason": "disqualify_reason",
        **STATUS_DATE_ALIASES,
    },
    parsers={
        "source": _lower,
        "rating": _lower,
        "status": _lower,
        "first_contacted_at": parse_when,
        "qualified_at": parse_when,
    },
    filters=sales_selectors.LEAD_FILTERS,
    phone_fields=("phone",),
    prepare=history.prepare_lead,
)

# What other CRMs call the account and contact columns of a record linked to both.
_LINK_ALIASES = {
    "company": "account",
    "company name": "account",
    "account name": "account",
    "customer": "account",
    "organization": "account",
    "organisation": "account",
    "contact": "contact_email",
    "contact email": "contact_email",
    "contact e mail": "contact_email",
}

OPPORTUNITIES = EntitySpec(
    name="opportunities",
    model=Opportunity,
    fields=sales_services.OPPORTUNITY_FIELDS,
    clean=history.clean_opportunity_fields,
    selector=sales_selectors.opportunity_list,
    links=(
        Link("account", Account, "account", "account_external_id", required=True),
        Link("contact", Contact, "contact_email", "contact_external_id", name_attr="email"),
        Link("campaign", Campaign, "campaign"),
    ),
    dedupe=("external_id",),
    history=history.OPPORTUNITY_HISTORY,
    aliases={
        "opportunity": "name",
        "opportunity name": "name",
        "deal": "name",
        "deal name": "name",
        "topic": "name",
        **_LINK_ALIASES,
        "campaign name": "campaign",
        "sales stage": "stage",
        "status": "stage",
        "value": "amount",
        "deal value": "amount",
        "estimated value": "amount",
        "probability %": "probability",
        "close date": "expected_close_date",
        "expected close": "expected_close_date",
        "estimated close date": "expected_close_date",
        "closed": "closed_at",
        "closed on": "closed_at",
        "actual close date": "closed_at",
        "date closed": "closed_at",
        "reason": "close_reason",
        "won lost reason": "close_reason",
        "loss reason": "close_reason",
        **{
            f"{stage} {suffix}": f"{stage}_at"
            for stage in history.OPEN_STAGE_NAMES
            for suffix in ("date", "on", "entered")
        },
    },
    parsers={
        "stage": _lower,
        "amount": parse_money,
        "probability": lambda value, name: parse_int(value.rstrip("% "), name),
        "expected_close_date": parse_day,
        "closed_at": parse_when,
        **dict.fromkeys(history.STAGE_DATE_FIELDS, parse_when),
    },
    filters=sales_selectors.OPPORTUNITY_FILTERS,
    prepare=history.prepare_opportunity,
    after_insert=history.record_stage_history,
)

CASES = EntitySpec(
    name="cases",
    model=Case,
    fields=service_services.CASE_FIELDS,
    clean=service_services.case_clean,
    selector=service_selectors.case_list,
    links=(
        Link("account", Account, "account", "account_external_id"),
        Link("contact", Contact, "contact_email", "contact_external_id", name_attr="email"),
    ),
    dedupe=("external_id",),
    history=cases.CASE_HISTORY,
    aliases={
        "title": "subject",
        "summary": "subject",
        "case title": "subject",
        "case subject": "subject",
        "issue": "subject",
        "case type": "type",
        "category": "type",
        "case priority": "priority",
        "origin": "channel",
        "case origin": "channel",
        "source": "channel",
        "product": "product_name",
        "product name": "product_name",
        "case number": "external_id",
        "ticket number": "external_id",
        "ticket id": "external_id",
        "case status": "status",
        "state": "status",
        **_LINK_ALIASES,
        "customer email": "contact_email",
        "first response": "first_response_at",
        "first response date": "first_response_at",
        "first responded at": "first_response_at",
        "responded at": "first_response_at",
        "resolved": "resolved_at",
        "resolved on": "resolved_at",
        "resolved date": "resolved_at",
        "date resolved": "resolved_at",
        "resolution date": "resolved_at",
        "closed": "closed_at",
        "closed on": "closed_at",
        "closed date": "closed_at",
        "date closed": "closed_at",
        "csat": "satisfaction",
        "customer satisfaction": "satisfaction",
        "satisfaction score": "satisfaction",
    },
    parsers={
        "type": _lower,
        "priority": _lower,
        "channel": _lower,
        "product_id": parse_int,
        "status": cases.parse_status,
        "first_response_at": parse_when,
        "resolved_at": parse_when,
        "closed_at": parse_when,
        "satisfaction": parse_int,
    },
    filters=service_selectors.CASE_FILTERS,
    prepare=cases.prepare_case,
    after_insert=cases.record_case_history,
)

ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec for spec in (ACCOUNTS, CONTACTS, LEADS, OPPORTUNITIES, CASES)
}


def entity_spec(name: str, field_name: str = "entity") -> EntitySpec:
    """The spec for `name` ("contacts"; "contact" works too); InvalidInput otherwise."""
    key = (name or "").strip().lower()
    spec = ENTITIES.get(key) or ENTITIES.get(key + "s")
    if spec is None:
        raise InvalidInput.field(
            field_name, f"{name!r} cannot be imported or exported; use {', '.join(ENTITIES)}"
        )
    return spec
