"""Small helpers shared by services: snapshots and diffs for the audit trail."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models


def to_jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Concrete field values of `obj` (foreign keys as `<name>_id`), JSON-ready."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        if field.name in {"password"}:
            continue
        out[field.attname] = to_jsonable(getattr(obj, field.attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose values differ (ignoring bookkeeping)."""
    skip = {"modified_at", "version", "modified_by_id"}
    return {
        key: [before.get(key), value]
        for key, value in after.items()
        if key not in skip and before.get(key) != value
    }
