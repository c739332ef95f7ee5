"""Grouped totals of opportunities, cases and leads for the dashboards, read from the rollups
where they answer exactly and counted from the records where they do not.

A total over what a person reads is split as `trellis.access.scope.read_scope` splits
their access: rollup rows of the owners and units they reach by role (the keyed part),
plus the records reached only through shares or hierarchy (the remainder), counted raw.
Periods are whole local months in the rollups; the days of a period outside whole months
are counted raw over `visible`. Where the rollups cannot answer (kept for another time
zone), everything is counted raw. `tests/analytics/test_rollups.py` checks that both
ways give the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from trellis.access import visible
from trellis.access.scope import ReadScope, read_scope
from trellis.analytics.models import CaseRollup, LeadRollup, OpportunityRollup
from trellis.analytics.rollups import FEEDBACK_TYPES
from trellis.org.models import BusinessUnit, TeamMembership
from trellis.sales.models import CLOSED_STAGES, OPEN_LEAD_STATUSES, OPEN_STAGES, Lead, Opportunity
from trellis.service.models import DONE_STATUSES, OPEN_STATUSES
from trellis.service.models import Case as CaseRecord
from trellis.sla.models import BreachEntity, SlaEvent

__all__ = ["Totals", "narrow"]

OWNER = ("owner_user_id", "owner_team_id")
# Up to this many records reached only through shares or hierarchy are kept by id.
REMAINDER_IDS = 2000
OPP_MEASURES = ("n", "amount", "weighted")
CASE_MEASURES = (
    "n",
    "breached",
    "first_response_n",
    "first_response_us",
    "resolution_us",
    "satisfaction_n",
    "satisfaction_sum",
)
# Group names a caller may ask for -> the column in the rollup and in the records.
OPP_GROUPS = {
    "owner_user_id": "owner_user_id",
    "owner_team_id": "owner_team_id",
    "owning_unit_id": "owning_unit_id",
    "stage": "stage",
}
OWNER_GROUPS = {
    "owner_user_id": "owner_user_id",
    "owner_team_id": "owner_team_id",
    "owning_unit_id": "owning_unit_id",
}
CASE_GROUPS = OWNER_GROUPS | {"priority": "priority"}
NEW_CASE_GROUPS = OWNER_GROUPS | {"type": "type", "product": "product"}
RATED_GROUPS = OWNER_GROUPS | {"day": "day"}
LEAD_GROUPS = OWNER_GROUPS | {"campaign_id": "campaign_id", "source": "source", "status": "status"}
# The rollups write 0 for "none" in these; the records NULL.
ID_COLUMNS = (*OWNER_GROUPS, "campaign_id")


def narrow(qs: QuerySet, filters: Any, owner: Any, *, unit_field: str = "owning_unit") -> QuerySet:
    """`qs` narrowed by the dashboard filters (unit subtree, owner team, owner)."""
    if filters.unit is not None:
        if unit_field == "owning_unit":
            qs = qs.filter(owning_unit__path__startswith=filters.unit.path)
        else:
            units = BusinessUnit.objects.filter(path__startswith=filters.unit.path).values("id")
            qs = qs.filter(**{f"{unit_field}__in": units})
    if filters.team is not None:
        members = TeamMembership.objects.filter(team_id=filters.team.pk).values("user_id")
        qs = qs.filter(Q(owner_team_id=filters.team.pk) | Q(owner_user_id__in=members))
    if owner is not None:
        qs = qs.filter(owner_user_id=owner.pk)
    return qs


def _day(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def as_date(day: int) -> dt.date:
    """A yyyymmdd day key as a date."""
    return dt.date(day // 10000, day // 100 % 100, day % 100)


def _month(day: dt.date) -> int:
    return day.year * 100 + day.month


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_period(start: dt.date, end: dt.date) -> tuple[tuple[int, int] | None, list]:
    """The whole months inside [start, end] as (first, last) yyyymm, and the days left
    over as (from, to) date pairs (inclusive)."""
    first = start if start.day == 1 else _next_month(start)
    last_end = _next_month(end) - dt.timedelta(days=1)
    last = end.replace(day=1) if end == last_end else end.replace(day=1) - dt.timedelta(days=1)
    if first > last:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - dt.timedelta(days=1)))
    last_day = _next_month(last) - dt.timedelta(days=1)
    if last_day < end:
        edges.append((last_day + dt.timedelta(days=1), end))
    return (_month(first), _month(last.replace(day=1))), edges


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _micros(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    return int(value)


def _breached() -> Exists:
    return Exists(SlaEvent.objects.filter(entity=BreachEntity.CASE, record_id=OuterRef("pk")))


def _duration(end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField())


# What each base adds up: the rollup rows, the record filter and the raw measures.
def _opp_raw() -> dict[str, Any]:
    return {
        "n": Count("id"),
        "amount": Sum("amount"),
        "weighted": Sum(F("amount") * F("probability"), output_field=DecimalField(max_digits=28)),
    }


def _done_raw() -> dict[str, Any]:
    return {
        "n": Count("id"),
        "breached": Count("id", filter=_breached()),
        "first_response_n": Count("first_response_at"),
        "first_response_us": Sum(_duration("first_response_at")),
        "resolution_us": Sum(_duration("resolved_at")),
        "satisfaction_n": Count("satisfaction"),
        "satisfaction_sum": Sum("satisfaction"),
    }


def _new_raw() -> dict[str, Any]:
    return {"n": Count("id"), "breached": Count("id", filter=_breached())}


def _product() -> Case:
    return Case(
        When(type__in=FEEDBACK_TYPES, then=F("product_name")),
        default=Value(""),
    )


BASES: dict[str, dict[str, Any]] = {
    "open_opportunities": {
        "model": Opportunity,
        "rollup": lambda: OpportunityRollup.objects.filter(stage__in=OPEN_STAGES, month=0),
        "records": lambda qs: qs.filter(stage__in=OPEN_STAGES),
        "date": None,
        "measures": OPP_MEASURES,
        "raw": _opp_raw,
        "groups": OPP_GROUPS,
    },
    "closed_opportunities": {
        "model": Opportunity,
        "rollup": lambda: OpportunityRollup.objects.filter(stage__in=CLOSED_STAGES),
        "records": lambda qs: qs.filter(stage__in=CLOSED_STAGES),
        "date": "closed_at",
        "measures": OPP_MEASURES,
        "raw": _opp_raw,
        "groups": OPP_GROUPS,
    },
    "open_cases": {
        "model": CaseRecord,
        "rollup": lambda: CaseRollup.objects.filter(fact="open"),
        "records": lambda qs: qs.filter(status__in=OPEN_STATUSES),
        "date": None,
        "measures": ("n",),
        "raw": lambda: {"n": Count("id")},
        "groups": CASE_GROUPS,
    },
    "done_cases": {
        "model": CaseRecord,
        "rollup": lambda: CaseRollup.objects.filter(fact="done"),
        "records": lambda qs: qs.filter(status__in=DONE_STATUSES),
        "date": "resolved_at",
        "measures": CASE_MEASURES,
        "raw": _done_raw,
        "groups": CASE_GROUPS,
    },
    "new_cases": {
        "model": CaseRecord,
        "rollup": lambda: CaseRollup.objects.filter(fact="new"),
        "records": lambda qs: qs,
        "date": "created_at",
        "measures": ("n", "breached"),
        "raw": _new_raw,
        "groups": NEW_CASE_GROUPS,
    },
    "new_leads": {
        "model": Lead,
        "rollup": lambda: LeadRollup.objects.all(),
        "records": lambda qs: qs,
        "date": "created_at",
        "measures": ("n",),
        "raw": lambda: {"n": Count("id")},
        "groups": LEAD_GROUPS,
    },
    "open_leads": {
        "model": Lead,
        "rollup": lambda: LeadRollup.objects.filter(status__in=OPEN_LEAD_STATUSES),
        "records": lambda qs: qs.filter(status__in=OPEN_LEAD_STATUSES),
        "date": None,
        "measures": ("n",),
        "raw": lambda: {"n": Count("id")},
        "groups": LEAD_GROUPS,
    },
    # Resolved cases with a satisfaction score, by the local day resolved (yyyymmdd).
    "rated_cases": {
        "model": CaseRecord,
        "rollup": lambda: CaseRollup.objects.filter(fact="rated"),
        "records": lambda qs: qs.filter(status__in=DONE_STATUSES, satisfaction__isnull=False),
        "date": "resolved_at",
        "daily": True,
        "measures": ("n", "satisfaction_n", "satisfaction_sum"),
        "raw": lambda: {
            "n": Count("id"),
            "satisfaction_n": Count("satisfaction"),
            "satisfaction_sum": Sum("satisfaction"),
        },
        "groups": RATED_GROUPS,
    },
}


class Totals:
    """Grouped totals for one viewer, filters and owner (None: anyone)."""

    def __init__(self, actor: Any, filters: Any, owner: Any, *, use_rollups: bool) -> None:
        self.actor = actor
        self.filters = filters
        self.owner = owner
        self.use_rollups = use_rollups
        self._scopes: dict[type, ReadScope] = {}
        self._remainders: dict[type, QuerySet | None] = {}
        self._visible: dict[type, QuerySet] = {}

    def visible(self, model: type) -> QuerySet:
        """`visible(actor, model)`, computed once per viewer and entity."""
        if model not in self._visible:
            self._visible[model] = visible(self.actor, model)
        return self._visible[model].all()

    def remainder(self, model: type) -> QuerySet | None:
        """The records the viewer reaches only through shares or hierarchy, found once per
        viewer and entity (by id when they are few, as is usual); None when there are
        none, so the figures then skip counting them."""
        if model not in self._remainders:
            condition = self.scope(model).remainder_only_q()
            found = None
            if condition is not None:
                records = model._default_manager.filter(condition).order_by()
                # Counted first: with a LIMIT the planner may walk the table in id order.
                count = records.count()
                if count > REMAINDER_IDS:
                    found = records
                elif count:
                    ids = list(records.values_list("pk", flat=True))
                    found = model._default_manager.filter(pk__in=ids)
            self._remainders[model] = found
        return self._remainders[model]

    def scope(self, model: type) -> ReadScope:
        if model not in self._scopes:
            self._scopes[model] = read_scope(self.actor, model)
        return self._scopes[model]

    def grouped(
        self,
        name: str,
        by: Iterable[str] = (),
        *,
        where: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of `by` values with the base's measures summed (`n` the record count);
        groups without records are left out. `where` narrows by group columns (values or
        lists of values)."""
        spec = BASES[name]
        by = tuple(by)
        where = where or {}
        groups = spec["groups"]
        for column in (*by, *where):
            if column not in groups:
                raise ValueError(f"{name} cannot be grouped by {column}")
        measures = spec["measures"]
        totals: dict[tuple, dict[str, Any]] = {}

        def add(rows: Iterable[dict[str, Any]]) -> None:
            for row in rows:
                # The rollups write 0 for "no owner team" (or user); the records NULL.
                key = tuple(
                    (row[column] or None) if column in ID_COLUMNS else row[column] for column in by
                )
                entry = totals.setdefault(
                    key, dict(zip(by, key, strict=True)) | dict.fromkeys(measures, 0)
                )
                for measure in measures:
                    value = row[measure]
                    if measure.endswith("_us"):
                        value = _micros(value)
                    entry[measure] += value or 0

        months, raw_days = (None, [])
        if spec.get("daily"):
            months = (_day(self.filters.start), _day(self.filters.end))
        elif spec["date"] is not None:
            months, raw_days = split_period(self.filters.start, self.filters.end)
        if not self.use_rollups:
            add(self._raw(spec, by, where, self.visible(spec["model"]), full=True))
            return self._finish(totals)
        scope = self.scope(spec["model"])
        if spec["date"] is None or months is not None:
            add(self._rollup(spec, by, where, scope, months))
            records = self.remainder(spec["model"])
            if records is not None:
                if spec.get("daily"):
                    add(self._raw(spec, by, where, records, full=True))
                else:
                    add(self._raw(spec, by, where, records, months=months))
        for start, end in raw_days:
            add(self._raw(spec, by, where, self.visible(spec["model"]), days=(start, end)))
        return self._finish(totals)

    def visible_among(self, model: type, ids: Any) -> QuerySet:
        """`visible(actor, model)` among the records whose ids `ids` gives (a few), as a
        filter on those rows rather than a gathering of everything visible."""
        scope = self.scope(model)
        qs = model._default_manager.filter(pk__in=ids)
        if scope.everything:
            return qs
        parts = scope.keyed_parts() + scope.record_parts()
        if not parts:
            return qs.none()
        condition = parts[0]
        for part in parts[1:]:
            condition |= part
        return qs.filter(condition)

    @staticmethod
    def _finish(totals: dict[tuple, dict[str, Any]]) -> list[dict[str, Any]]:
        return [row for row in totals.values() if row["n"]]

    def _rollup(
        self, spec: dict, by: tuple[str, ...], where: dict, scope: ReadScope, months: Any
    ) -> QuerySet:
        qs = spec["rollup"]()
        if months is not None:
            qs = qs.filter(month__gte=months[0], month__lte=months[1])
        if not scope.everything:
            qs = qs.filter(scope.keyed_q())
        qs = narrow(qs, self.filters, self.owner, unit_field="owning_unit_id")
        for column, value in where.items():
            qs = qs.filter(**_where(spec["groups"][column], value))
        sums = {m: Sum(m) for m in spec["measures"]}
        if not by:
            return [qs.aggregate(**sums)]
        if "day" in by:  # kept in the `month` column for daily facts
            qs = qs.annotate(day=F("month"))
        return qs.values(*by).annotate(**sums).order_by()

    def _raw(
        self,
        spec: dict,
        by: tuple[str, ...],
        where: dict,
        records: QuerySet,
        *,
        full: bool = False,
        months: Any = None,
        days: tuple[dt.date, dt.date] | None = None,
    ) -> Any:
        qs = spec["records"](records)
        date = spec["date"]
        if date is not None:
            if full:
                days = (self.filters.start, self.filters.end)
            if days is not None:
                qs = qs.filter(
                    **{
                        f"{date}__gte": _midnight(days[0]),
                        f"{date}__lt": _midnight(days[1] + dt.timedelta(days=1)),
                    }
                )
            elif months is not None:
                first = dt.date(months[0] // 100, months[0] % 100, 1)
                last = _next_month(dt.date(months[1] // 100, months[1] % 100, 1))
                qs = qs.filter(**{f"{date}__gte": _midnight(first), f"{date}__lt": _midnight(last)})
        qs = narrow(qs, self.filters, self.owner)
        if "product" in by or "product" in where:
            qs = qs.annotate(product=_product())
        if "day" in by:
            qs = qs.annotate(day=TruncDate(date))
        for column, value in where.items():
            qs = qs.filter(**_where(spec["groups"][column], value))
        # Prefixed names: an annotation called "amount" would shadow the column.
        sums = {f"m_{name}": aggregate for name, aggregate in spec["raw"]().items()}
        rows = [qs.aggregate(**sums)] if not by else qs.values(*by).annotate(**sums).order_by()
        return [
            {
                key[2:] if key.startswith("m_") else key: _day(value) if key == "day" else value
                for key, value in row.items()
            }
            for row in rows
        ]


def _where(column: str, value: Any) -> dict[str, Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return {f"{column}__in": list(value)}
    return {column: value}


def money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
