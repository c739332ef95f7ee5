"""What can be imported and exported: per entity, its columns, their aliases and how a
cell becomes the value the entity's service expects.

Adding an entity (leads, opportunities) means adding one `EntitySpec` to `ENTITIES`;
the import engine and the exports are generic over it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from trellis.access.models import SecurableModel
from trellis.core.errors import InvalidInput
from trellis.customers import selectors as customer_selectors
from trellis.customers import services as customer_services
from trellis.customers.models import Account, Contact

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


def parse_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,\n]", value) if part.strip()]


@dataclass(frozen=True)
class EntitySpec:
    name: str  # the plural used in commands and URLs: "contacts"
    model: type[SecurableModel]
    # Fields the entity's service accepts, in export order.
    fields: tuple[str, ...]
    clean: Callable[..., dict[str, Any]]
    selector: Callable[..., QuerySet]
    # Extra import-only link columns ("account" for contacts) and their aliases.
    links: tuple[str, ...] = ()
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
    def importable(self) -> tuple[str, ...]:
        return (*self.fields, *self.links, *COMMON_FIELDS)

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
    links=("account", "account_external_id"),
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
)

ENTITIES: dict[str, EntitySpec] = {spec.name: spec for spec in (ACCOUNTS, CONTACTS)}


def entity_spec(name: str, field_name: str = "entity") -> EntitySpec:
    """The spec for `name` ("contacts"; "contact" works too); InvalidInput otherwise."""
    key = (name or "").strip().lower()
    spec = ENTITIES.get(key) or ENTITIES.get(key + "s")
    if spec is None:
        raise InvalidInput.field(
            field_name, f"{name!r} cannot be imported or exported; use {', '.join(ENTITIES)}"
        )
    return spec
