"""The records activities and notes can be about: every securable model, by entity name.

Models are found through the app registry (`apps.get_models()`), so a new securable entity
(leads, cases, ...) can be regarded as soon as its app is installed."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from trellis.access import visible
from trellis.access.models import SecurableModel
from trellis.core.errors import InvalidInput, NotFound

# Moments outside these years are typing mistakes, and near the ends of Python's range
# the arithmetic on them (an end one hour later, a time zone shift) would overflow.
FIRST_YEAR, LAST_YEAR = 1900, 9000
# An activity regarding another activity would only be a confusing loop.
NOT_REGARDABLE = ("activity",)
MAX_ID = 2**63 - 1


@cache
def _registry() -> dict[str, type[SecurableModel]]:
    return {
        model.access_entity: model
        for model in apps.get_models()
        if issubclass(model, SecurableModel) and model.access_entity
    }


def regardable_entities() -> list[str]:
    """Entity names a note or an activity may be about, sorted."""
    return sorted(name for name in _registry() if name not in NOT_REGARDABLE)


def record_model(entity: str, *, field: str = "record_type") -> type[SecurableModel]:
    """The securable model named `entity`; InvalidInput naming `field` when there is none."""
    model = _registry().get(entity) if entity not in NOT_REGARDABLE else None
    if model is None:
        raise InvalidInput.field(
            field, f"unknown record type {entity!r}; use one of {', '.join(regardable_entities())}"
        )
    return model


def content_type_for(entity: str, *, field: str = "record_type") -> ContentType:
    return ContentType.objects.get_for_model(record_model(entity, field=field))


def entity_of_type(content_type_id: int | None) -> str | None:
    """The entity name of a content type id (cached by Django), or None."""
    if content_type_id is None:
        return None
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    return getattr(model, "access_entity", None) or None


def readable_record(
    actor: Any,
    entity: str,
    pk: int | None,
    *,
    type_field: str = "record_type",
    id_field: str = "record_id",
) -> SecurableModel:
    """The record `entity` #`pk` when `actor` may read it. An unknown entity is bad input
    naming `type_field`; a missing or invisible record answers alike, naming `id_field`."""
    model = record_model(entity, field=type_field)
    record = None
    if pk is not None and 0 < int(pk) <= MAX_ID:
        record = visible(actor, model, "read").filter(pk=pk).first()
    if record is None:
        message = f"{entity} {pk} not found"
        raise NotFound(message, [(id_field, message)])
    return record


def record_for(content_type_id: int, pk: int) -> SecurableModel | None:
    """The stored record named by a content type and id, without any access check: callers
    ask `access.can` before showing anything of it."""
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:
        return None
    return model._default_manager.filter(pk=pk).first()


def check_moment(field: str, value: dt.datetime) -> None:
    """Refuse a date-time outside FIRST_YEAR..LAST_YEAR, naming `field`."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput.field(field, f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
