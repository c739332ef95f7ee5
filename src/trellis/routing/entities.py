"""The records routing knows how to route, read generically.

Routing must not import the apps whose records it routes (sales and service import
routing to route new records), so each routable entity is described here by its app
label and model name, loaded through the apps registry, and its facts are read by
attribute name. A fact is a plain string (an empty string when the record has none), so
conditions compare text with text.

Facts per entity (the fields a rule's conditions may name):

* lead: region, country, product_line (the line's code), source, campaign (its id),
  rating, language (the linked contact's preferred language), account_tier,
  account_size_segment.
* case: case_type, priority, channel, product (the product name), product_id, region
  (the account's region), language (the contact's preferred language), account_tier,
  account_size_segment.
* activity (marketing tasks: tasks regarding a campaign; other activities are not
  routed): channel (the campaign's type: email, web, event, ...), campaign (its id),
  campaign_status, product_line (the campaign's line code), priority (the task's).

Load is the number of open items a person owns: leads in new/contacted, cases not
resolved or closed and open marketing tasks; closed work never counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _via(*path: str) -> Callable[[Any], str]:
    """A reader following attribute `path` (None anywhere gives "")."""

    def read(record: Any) -> str:
        value = record
        for name in path:
            value = getattr(value, name, None)
            if value is None:
                return ""
        return _text(value)

    return read


@dataclass(frozen=True)
class Routable:
    entity: str
    app_label: str
    model_name: str
    facts: dict[str, Callable[[Any], str]]
    # Related rows the facts read, fetched with the record.
    related: tuple[str, ...]
    # Statuses in which an item is still open work (counts as load, may be taken).
    open_statuses: tuple[str, ...]
    url_name: str
    # Which records of the model are routed at all (marketing tasks among activities);
    # None: every record.
    scope: Callable[[], Q] | None = None
    # The same test on one record in memory.
    accepts: Callable[[Any], bool] | None = None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.app_label, self.model_name)

    def facts_of(self, record: Any) -> dict[str, str]:
        return {name: read(record) for name, read in self.facts.items()}

    def is_open(self, record: Any) -> bool:
        return getattr(record, "status", "") in self.open_statuses

    def in_scope(self) -> Q:
        """The filter choosing the routed records of the model (load, listings)."""
        return self.scope() if self.scope is not None else Q()

    def applies(self, record: Any) -> bool:
        """Whether `record` is one routing handles (a task regarding a campaign, for
        activities)."""
        return self.accepts is None or self.accepts(record)


def _campaign_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_by_natural_key("sales", "campaign").pk


def _marketing_tasks() -> Q:
    return Q(kind="task", regarding_type_id=_campaign_type_id())


def _is_marketing_task(record: Any) -> bool:
    return getattr(record, "kind", "") == "task" and (
        getattr(record, "regarding_type_id", None) == _campaign_type_id()
    )


def _campaign(record: Any) -> Any:
    """The campaign a marketing task regards (read once per record, with its line)."""
    if not hasattr(record, "_routing_campaign"):
        campaign = None
        if record.regarding_id is not None and record.regarding_type_id == _campaign_type_id():
            model = apps.get_model("sales", "Campaign")
            campaign = (
                model._default_manager.select_related("product_line")
                .filter(pk=record.regarding_id)
                .first()
            )
        record._routing_campaign = campaign
    return record._routing_campaign


def _of_campaign(*path: str) -> Callable[[Any], str]:
    read = _via(*path)
    return lambda record: read(_campaign(record))


ENTITIES: dict[str, Routable] = {
    "lead": Routable(
        entity="lead",
        app_label="sales",
        model_name="Lead",
        facts={
            "region": _via("region"),
            "country": _via("country"),
            "product_line": _via("product_line", "code"),
            "source": _via("source"),
            "campaign": _via("campaign_id"),
            "rating": _via("rating"),
            "language": _via("contact", "preferred_language"),
            "account_tier": _via("account", "tier"),
            "account_size_segment": _via("account", "size_segment"),
        },
        related=("product_line", "account", "contact"),
        open_statuses=("new", "contacted"),
        url_name="web:lead_detail",
    ),
    "case": Routable(
        entity="case",
        app_label="service",
        model_name="Case",
        facts={
            "case_type": _via("type"),
            "priority": _via("priority"),
            "channel": _via("channel"),
            "product": _via("product_name"),
            "product_id": _via("product_id"),
            "region": _via("account", "region"),
            "language": _via("contact", "preferred_language"),
            "account_tier": _via("account", "tier"),
            "account_size_segment": _via("account", "size_segment"),
        },
        related=("account", "contact"),
        open_statuses=("new", "in_progress", "waiting"),
        url_name="web:case_detail",
    ),
    "activity": Routable(
        entity="activity",
        app_label="activities",
        model_name="Activity",
        facts={
            "channel": _of_campaign("type"),
            "campaign": _via("regarding_id"),
            "campaign_status": _of_campaign("status"),
            "product_line": _of_campaign("product_line", "code"),
            "priority": _via("priority"),
        },
        related=(),
        open_statuses=("open",),
        url_name="web:activity_detail",
        scope=_marketing_tasks,
        accepts=_is_marketing_task,
    ),
}


def routable(entity: str) -> Routable:
    """The description of `entity`; KeyError for one routing does not know."""
    return ENTITIES[entity]


def entity_of(record: Any) -> Routable:
    return ENTITIES[record.access_entity]


def loads_for(user_ids: Iterable[int], *, leaving_out: Any = None) -> dict[int, int]:
    """Open items owned by each of `user_ids` (one grouped query per entity), not counting
    the record `leaving_out` (the one being routed)."""
    ids = list(set(user_ids))
    loads = dict.fromkeys(ids, 0)
    if not ids:
        return loads
    for spec in ENTITIES.values():
        qs = spec.model._default_manager.filter(
            spec.in_scope(), owner_user_id__in=ids, status__in=spec.open_statuses
        )
        if leaving_out is not None and leaving_out.access_entity == spec.entity:
            qs = qs.exclude(pk=leaving_out.pk)
        for row in qs.values("owner_user_id").annotate(n=Count("id")).order_by():
            loads[row["owner_user_id"]] += row["n"]
    return loads


# Priority ranks for the queue order: lower ranks are served first.
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
_SPAN = 10**17
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def queue_key(priority: str, created_at: dt.datetime | None) -> int:
    """One sortable integer: highest priority first, then oldest (like a case's queue_key;
    leads have no priority and queue as "normal")."""
    created_at = created_at or timezone.now()
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at)
    age = (created_at - _EPOCH) // dt.timedelta(microseconds=1)
    return PRIORITY_RANK.get(priority, PRIORITY_RANK["normal"]) * _SPAN + max(age, 0)
