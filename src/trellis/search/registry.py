"""Which models are searchable, and which of their fields.

An app declares a model with `register(Searchable(...))`: its entity name (the access
entity, also used in the API), the model by app label and name, the fields that name the
record (ranked first), the other text fields (e-mails, company, city), the phone fields
(indexed as digits) and the fields shown under the title. A field the model does not have
is skipped, and a model that is not installed (yet) is simply not searched, so a
registration can come before its model lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from trellis.search.text import digits, normalize


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    names: str
    text: str


@dataclass(frozen=True)
class Searchable:
    entity: str
    model_label: str  # "app_label.ModelName"
    names: tuple[str, ...]
    fields: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    subtitle: tuple[str, ...] = ()
    url_name: str = ""
    title: tuple[str, ...] = ()  # the fields of the displayed title; `names` when empty

    def model(self, app_registry: Any = apps) -> type[models.Model] | None:
        """The model, or None while it is not installed (e.g. leads before they land)."""
        try:
            return app_registry.get_model(self.model_label)
        except (LookupError, ValueError):
            return None

    def columns(self, model: type[models.Model]) -> list[str]:
        """The declared fields this model really has, in a stable order."""
        wanted = dict.fromkeys(
            (*self.title, *self.names, *self.fields, *self.phones, *self.subtitle)
        )
        present = []
        for name in wanted:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            present.append(name)
        return present

    def document(self, values: dict[str, Any]) -> Document:
        """The index row for one record, from a mapping of its field values."""

        def text_of(name: str) -> str:
            value = values.get(name)
            if isinstance(value, list | tuple):
                return " ".join(str(item) for item in value if item)
            return "" if value is None else str(value)

        title_fields = self.title or self.names
        title = " ".join(filter(None, (text_of(n).strip() for n in title_fields))) or "—"
        subtitle = " · ".join(filter(None, (text_of(n).strip() for n in self.subtitle)))
        names = normalize(" ".join(text_of(n) for n in self.names))
        numbers = []
        for name in self.phones:
            number = digits(text_of(name))
            if number and number not in numbers:
                numbers.append(number)
        text = normalize(" ".join([names, *(text_of(n) for n in self.fields), *numbers]))
        return Document(title[:300], subtitle[:300], names, text)


_registry: dict[str, Searchable] = {}


def register(searchable: Searchable) -> Searchable:
    _registry[searchable.entity] = searchable
    return searchable


def registered() -> dict[str, Searchable]:
    """Every registration, installed model or not, by entity name."""
    return dict(_registry)


def installed() -> dict[str, tuple[Searchable, type[models.Model]]]:
    """The registrations whose model is installed, by entity name."""
    out = {}
    for entity, searchable in _registry.items():
        model = searchable.model()
        if model is not None:
            out[entity] = (searchable, model)
    return out


def for_model(model: type[models.Model]) -> Searchable | None:
    label = model._meta.label_lower
    return next((s for s in _registry.values() if s.model_label.lower() == label), None)


# The searchable records. Contacts are not indexed by their account's name: a person who
# may read a contact but not its account must not learn the account's name from a search
# (the contact list hides it the same way); the account itself is found by its name.
register(
    Searchable(
        entity="account",
        model_label="customers.Account",
        names=("name",),
        fields=("email", "website", "city", "state", "country"),
        phones=("phone",),
        subtitle=("city", "email", "phone"),
        url_name="web:account_detail",
    )
)
register(
    Searchable(
        entity="contact",
        model_label="customers.Contact",
        names=("first_name", "last_name"),
        fields=("email", "other_emails", "city", "state", "country"),
        phones=("phone", "phone_raw", "mobile", "mobile_raw"),
        subtitle=("job_title", "city", "email"),
        url_name="web:contact_detail",
    )
)
# Leads come with the sales app; until `sales.Lead` exists this registration is idle.
register(
    Searchable(
        entity="lead",
        model_label="sales.Lead",
        title=("first_name", "last_name", "name"),
        names=("first_name", "last_name", "name", "company", "company_name"),
        fields=("email", "city", "region", "country"),
        phones=("phone", "phone_raw", "mobile", "mobile_raw"),
        subtitle=("company", "company_name", "city", "email"),
        url_name="web:lead_detail",
    )
)
