"""Dashboard figures (issue 5): which dashboards a person gets, the filters, every figure
and the records behind it.

Every figure is one grouped SQL aggregate over `access.visible(...)`, so a manager sees
their unit tree and reports, the root executive everything, and nobody a number built from
records hidden from them. Each figure names a *base* (`BASES`): the queryset its rows are
counted over. Drill-down lists filter the same base by the row's group values, so the list
behind a number always holds exactly the records that number counts.

Which dashboards a person gets is read from their roles' depths and privileges (roles are
data; names are never tested), see `role_dashboards`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trellis.access import visible
from trellis.activities.models import Activity, ActivityKind, ActivityStatus
from trellis.analytics import rollups
from trellis.analytics.totals import Totals, as_date, narrow
from trellis.core.errors import Forbidden, InvalidInput, NotFound
from trellis.org.models import (
    BusinessUnit,
    JobClass,
    SecurityRole,
    Team,
    TeamKind,
    TeamMembership,
    User,
)
from trellis.org.roles import DEPTHS, ENTITIES, NONE, ORG, OWN, SUBTREE, UNIT
from trellis.org.selectors import privilege_depth
from trellis.routing.models import Queue, QueueItem
from trellis.sales.models import (
    CLOSED_STAGES,
    OPEN_LEAD_STATUSES,
    OPEN_STAGES,
    Campaign,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    Stage,
)
from trellis.sales.selectors import target_list
from trellis.service.models import (
    DONE_STATUSES,
    FEEDBACK_TYPES,
    OPEN_STATUSES,
    Case,
    CaseType,
    Priority,
)
from trellis.sla.models import BreachEntity, SlaEvent

# Dashboards in the order the switcher lists them.
DASHBOARDS: dict[str, Any] = {
    "executive": _("Organization"),
    "sales_manager": _("Sales team"),
    "service_manager": _("Service team"),
    "marketing": _("Marketing"),
    "product": _("Products"),
    "analyst": _("Analysis"),
    "sales_rep": _("My sales"),
    "service_rep": _("My service"),
}
# Dashboards about the viewer's own work: the owner filter is always the viewer.
PERSONAL = ("sales_rep", "service_rep")
SALES_FIRST = tuple(DASHBOARDS)
SERVICE_FIRST = (
    "executive",
    "service_manager",
    "sales_manager",
    "marketing",
    "product",
    "analyst",
    "service_rep",
    "sales_rep",
)

PERIODS = ("week", "month", "quarter", "year", "custom")
DEFAULT_HOURS = 24
MAX_HOURS = 24 * 60
MAX_CUSTOM_DAYS = 366 * 5
LIST_LIMIT = 20
HOUR = dt.timedelta(hours=1)


# Which dashboards ---------------------------------------------------------------------


def _depth(value: str | None, cap: int) -> int:
    return min(DEPTHS.get(value or "none", NONE), cap)


def role_dashboards(role: SecurityRole, *, partner: bool = False) -> list[str]:
    """The dashboards one role leads to, read from its depths and privileges:

    - full access → `executive` (the administrator sees the organization's figures);
    - `view_reports` at org depth: with org `write` on products → `product`; writing
      nothing at all → `analyst`; otherwise (reads opportunities and cases org-wide) →
      `executive`;
    - `manage_org` and `view_reports` at subtree depth or more (a regional
      administrator) → `executive`, over the part of the organization they read;
    - `assign` on opportunities at unit depth or more → `sales_manager`; on cases →
      `service_manager` (a team leader assigning both gets both and switches);
    - creates campaigns but does not write opportunities → `marketing`;
    - none of the above: writes opportunities → `sales_rep`; writes cases → `service_rep`.

    Partners are capped at own depth (as in `access`), so they only ever get the
    personal dashboards.
    """
    if role.full_access and not partner:
        return ["executive"]
    cap = OWN if partner else ORG
    perms = role.permissions or {}

    def depth(entity: str, action: str) -> int:
        return _depth((perms.get(entity) or {}).get(action), cap)

    reports = _depth((role.privileges or {}).get("view_reports"), cap)
    writes = any(
        depth(entity, action) > NONE
        for entity in ENTITIES
        if entity != "report"  # keeping one's own saved reports is not writing records
        for action in ("create", "write", "delete", "assign")
    )
    kinds: list[str] = []
    if reports >= ORG:
        if depth("product", "write") >= ORG:
            kinds.append("product")
        elif not writes:
            kinds.append("analyst")
        elif depth("opportunity", "read") >= ORG and depth("case", "read") >= ORG:
            kinds.append("executive")
    admin = _depth((role.privileges or {}).get("manage_org"), cap)
    if admin >= SUBTREE and reports >= SUBTREE and "executive" not in kinds:
        kinds.append("executive")
    if depth("opportunity", "assign") >= UNIT:
        kinds.append("sales_manager")
    if depth("case", "assign") >= UNIT:
        kinds.append("service_manager")
    if depth("campaign", "create") > NONE and depth("opportunity", "write") == NONE:
        kinds.append("marketing")
    if not kinds:
        if depth("opportunity", "write") > NONE:
            kinds.append("sales_rep")
        if depth("case", "write") > NONE:
            kinds.append("service_rep")
    return kinds


def user_roles(user: User) -> list[SecurityRole]:
    """The user's own roles and those of the owner teams they currently belong to."""
    now = timezone.now()
    teams = TeamMembership.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        user_id=user.pk,
        team__kind=TeamKind.OWNER,
    ).values("team_id")
    return list(
        SecurityRole.objects.filter(Q(users__id=user.pk) | Q(teams__id__in=teams)).distinct()
    )


def dashboards_for(user: User) -> list[str]:
    """The dashboards `user` may open, the default first. Back-office staff see service
    dashboards before sales ones; everyone else the other way round. A user whose roles
    lead nowhere still gets their personal dashboard (it shows only their own work)."""
    kinds: set[str] = set()
    for role in user_roles(user):
        kinds.update(role_dashboards(role, partner=user.is_partner))
    order = SERVICE_FIRST if user.job_class == JobClass.BACK_OFFICE else SALES_FIRST
    if not kinds:
        kinds.add("service_rep" if user.job_class == JobClass.BACK_OFFICE else "sales_rep")
    return [kind for kind in order if kind in kinds]


# Filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What every figure is narrowed to: a period [start, end] (dates, inclusive), a unit
    subtree, an owner team (records it owns or its members own), an owner, and the
    follow-up threshold in hours for slow leads."""

    period: str
    start: dt.date
    end: dt.date
    unit: BusinessUnit | None = None
    team: Team | None = None
    owner: User | None = None
    hours: int = DEFAULT_HOURS
    anchor: dt.date | None = None

    @property
    def start_at(self) -> dt.datetime:
        return _midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The first moment after the period."""
        return _midnight(self.end + dt.timedelta(days=1))

    def query(self) -> dict[str, str]:
        """The filters as query-string parameters (to rebuild links and drill-downs)."""
        out = {"period": self.period}
        if self.period == "custom":
            out.update(start=self.start.isoformat(), end=self.end.isoformat())
        elif self.anchor is not None:
            out["start"] = self.anchor.isoformat()
        if self.unit is not None:
            out["unit_id"] = str(self.unit.pk)
        if self.team is not None:
            out["team_id"] = str(self.team.pk)
        if self.owner is not None:
            out["owner_user_id"] = str(self.owner.pk)
        if self.hours != DEFAULT_HOURS:
            out["hours"] = str(self.hours)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "unit_id": self.unit.pk if self.unit else None,
            "team_id": self.team.pk if self.team else None,
            "owner_user_id": self.owner.pk if self.owner else None,
            "hours": self.hours,
        }


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date(params: Mapping[str, Any], name: str) -> dt.date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.field(name, "must be a date like 2026-01-31") from None
    # Far-off years would overflow the period arithmetic (and mean nothing to a CRM).
    if not 1900 <= value.year <= 9000:
        raise InvalidInput.field(name, "must be between the years 1900 and 9000")
    return value


def _digits(raw: str) -> bool:
    # str.isdigit() accepts digits int() refuses ("²"); only ASCII digits are numbers here.
    return raw.isascii() and raw.isdigit()


def _id(params: Mapping[str, Any], name: str) -> int | None:
    raw = (str(params.get(name) or "")).strip()
    if not raw:
        return None
    if not _digits(raw) or not 0 < int(raw) < 2**63:
        raise InvalidInput.field(name, "must be a positive integer id")
    return int(raw)


def period_bounds(period: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar week (Monday first), month, quarter or year holding `anchor`."""
    if period == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        return start, start + dt.timedelta(days=6)
    if period == "month":
        start = anchor.replace(day=1)
    elif period == "quarter":
        start = anchor.replace(month=(anchor.month - 1) // 3 * 3 + 1, day=1)
    else:
        start = anchor.replace(month=1, day=1)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    year, month = divmod(start.month - 1 + months, 12)
    return start, dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def parse_filters(params: Mapping[str, Any], *, today: dt.date | None = None) -> Filters:
    """Read filters from query parameters: `period` (week, month, quarter, year, custom;
    default month), `start`/`end` (custom; for the others `start` picks which week, month,
    ... to show), `unit_id`, `team_id`, `owner_user_id`, `hours`. Bad input raises
    `InvalidInput` naming the field."""
    period = (params.get("period") or "month").strip()
    if period not in PERIODS:
        raise InvalidInput.field("period", f"must be one of {', '.join(PERIODS)}")
    start, end = _date(params, "start"), _date(params, "end")
    anchor = None
    if period == "custom":
        errors = [(name, "is required for a custom period") for name in ("start", "end")]
        errors = [error for error, value in zip(errors, (start, end), strict=True) if not value]
        if errors:
            raise InvalidInput("; ".join(f"{f}: {m}" for f, m in errors), errors)
        if end < start:
            raise InvalidInput.field("end", "must not be before start")
        if (end - start).days > MAX_CUSTOM_DAYS:
            raise InvalidInput.field("end", "a custom period spans at most five years")
    else:
        anchor = start
        start, end = period_bounds(period, start or today or timezone.localdate())
    unit_id, team_id, owner_id = (_id(params, n) for n in ("unit_id", "team_id", "owner_user_id"))
    unit = team = owner = None
    if unit_id is not None:
        unit = BusinessUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise InvalidInput.field("unit_id", f"unit {unit_id} not found")
    if team_id is not None:
        team = Team.objects.filter(pk=team_id, kind=TeamKind.OWNER).first()
        if team is None:
            raise InvalidInput.field("team_id", f"owner team {team_id} not found")
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id).first()
        if owner is None:
            raise InvalidInput.field("owner_user_id", f"user {owner_id} not found")
    hours = DEFAULT_HOURS
    raw_hours = str(params.get("hours") or "").strip()
    if raw_hours:
        if not _digits(raw_hours) or not 1 <= int(raw_hours) <= MAX_HOURS:
            raise InvalidInput.field("hours", f"must be a whole number from 1 to {MAX_HOURS}")
        hours = int(raw_hours)
    return Filters(period, start, end, unit, team, owner, hours, anchor)


def filter_choices(user: User) -> dict[str, QuerySet]:
    """The units, owner teams and people offered in the filter form: those in the
    viewer's unit subtree, or the whole organization for whoever reports org-wide. (The
    figures stay limited to visible records whatever is picked.)"""
    units = BusinessUnit.objects.order_by("path")
    if privilege_depth(user, "view_reports") < ORG:
        path = user.unit.path if user.unit_id else "/-/"
        units = units.filter(path__startswith=path)
    return {
        "units": units.only("id", "name", "depth"),
        "teams": Team.objects.filter(kind=TeamKind.OWNER, unit__in=units).order_by("name"),
        "owners": User.objects.filter(is_active=True, unit__in=units).order_by(
            "first_name", "last_name", "username"
        )[:500],
    }


# Bases: the records each figure counts ----------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Who is looking, through which filters, and whether the dashboard is about their
    own work (then the owner is always the viewer)."""

    actor: User
    filters: Filters
    personal: bool = False
    now: dt.datetime = field(default_factory=timezone.now)
    # Read the rolled-up totals from the rollups (None: when they are kept for this time
    # zone) or count every record (False; the tests compare both).
    rollups: bool | None = None
    # `visible` per model, worked out once per dashboard (each figure narrows a copy).
    _visible: dict[type, QuerySet] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def owner(self) -> User | None:
        return self.actor if self.personal else self.filters.owner

    @cached_property
    def totals(self) -> Totals:
        use = rollups.current() if self.rollups is None else self.rollups
        return Totals(self.actor, self.filters, self.owner, use_rollups=use)

    def visible(self, model: type) -> QuerySet:
        """`visible(actor, model)`, computed once per context."""
        if model not in self._visible:
            self._visible[model] = visible(self.actor, model)
        return self._visible[model].all()

    def scoped(self, model: type, *, owner: bool = True) -> QuerySet:
        """`visible(actor, model)` narrowed by the unit, team and owner filters."""
        return narrow(self.visible(model), self.filters, self.owner if owner else None)

    def in_period(self, qs: QuerySet, field_name: str) -> QuerySet:
        f = self.filters
        return qs.filter(**{f"{field_name}__gte": f.start_at, f"{field_name}__lt": f.end_at})


def _breached() -> Exists:
    return Exists(SlaEvent.objects.filter(entity=BreachEntity.CASE, record_id=OuterRef("pk")))


def _today_bounds() -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate()
    return _midnight(today), _midnight(today + dt.timedelta(days=1))


def _this_week_start() -> dt.datetime:
    return _midnight(period_bounds("week", timezone.localdate())[0])


# name -> (model, queryset builder). Comments on the builders say what "in the period" means.
BASES: dict[str, tuple[type, Callable[[Context], QuerySet]]] = {
    # Open pipeline and open work are snapshots of now; the period does not apply.
    "open_opportunities": (
        Opportunity,
        lambda c: c.scoped(Opportunity).filter(stage__in=OPEN_STAGES),
    ),
    "won_opportunities": (
        Opportunity,
        lambda c: c.in_period(c.scoped(Opportunity).filter(stage=Stage.WON), "closed_at"),
    ),
    "closed_opportunities": (
        Opportunity,
        lambda c: c.in_period(c.scoped(Opportunity).filter(stage__in=CLOSED_STAGES), "closed_at"),
    ),
    "open_leads": (Lead, lambda c: c.scoped(Lead).filter(status__in=OPEN_LEAD_STATUSES)),
    "new_leads": (Lead, lambda c: c.in_period(c.scoped(Lead), "created_at")),
    # Leads of the period not contacted within `hours`: never (and the time is up) or late.
    "slow_leads": (
        Lead,
        lambda c: c.in_period(c.scoped(Lead), "created_at").filter(
            Q(
                first_contacted_at__isnull=True,
                created_at__lt=c.now - c.filters.hours * HOUR,
            )
            | Q(first_contacted_at__gt=F("created_at") + c.filters.hours * HOUR)
        ),
    ),
    "today_activities": (
        Activity,
        lambda c: (
            c.scoped(Activity)
            .exclude(status=ActivityStatus.CANCELLED)
            .annotate(moment=Coalesce("start_at", "due_at"))
            .filter(moment__gte=_today_bounds()[0], moment__lt=_today_bounds()[1])
        ),
    ),
    "overdue_tasks": (
        Activity,
        lambda c: c.scoped(Activity).filter(
            kind=ActivityKind.TASK, status=ActivityStatus.OPEN, due_at__lt=c.now
        ),
    ),
    "open_activities": (
        Activity,
        lambda c: c.scoped(Activity).filter(status=ActivityStatus.OPEN),
    ),
    "open_cases": (Case, lambda c: c.scoped(Case).filter(status__in=OPEN_STATUSES)),
    "new_cases": (Case, lambda c: c.in_period(c.scoped(Case), "created_at")),
    "breached_cases": (
        Case,
        lambda c: c.in_period(c.scoped(Case), "created_at").filter(_breached()),
    ),
    # Resolved (or resolved and since closed) within the period.
    "done_cases": (
        Case,
        lambda c: c.in_period(c.scoped(Case).filter(status__in=DONE_STATUSES), "resolved_at"),
    ),
    "done_cases_this_week": (
        Case,
        lambda c: c.scoped(Case).filter(
            status__in=DONE_STATUSES, resolved_at__gte=_this_week_start()
        ),
    ),
    # Campaigns whose dates overlap the period (undated campaigns always count).
    "campaigns": (
        Campaign,
        lambda c: c.scoped(Campaign).filter(
            Q(start_date__isnull=True) | Q(start_date__lte=c.filters.end),
            Q(end_date__isnull=True) | Q(end_date__gte=c.filters.start),
        ),
    ),
}

# Drill-down keys: the group a row stands for, as a query parameter -> model field.
CRITERIA: dict[str, str] = {
    "stage": "stage",
    "status": "status",
    "priority": "priority",
    "type": "type",
    "source": "source",
    "product": "product_name",
    "owner": "owner_user_id",
    "team": "owner_team_id",
    "campaign": "campaign_id",
    "account": "account_id",
    "job_class": "owner_user__job_class",
    "activity_kind": "kind",
}
ID_CRITERIA = ("owner", "team", "campaign", "account")
NONE_VALUE = "none"


def base(c: Context, name: str) -> QuerySet:
    if name not in BASES:
        raise InvalidInput.field("figure", f"unknown figure {name!r}")
    return BASES[name][1](c)


def _field_names(model: type) -> set[str]:
    return {f.name for f in model._meta.get_fields()} | {
        f.attname for f in model._meta.concrete_fields
    }


def drill_records(c: Context, name: str, criteria: Mapping[str, Any]) -> QuerySet:
    """The records behind a figure's row: the figure's base narrowed by the row's group
    values (`CRITERIA` keys, `unit` for a unit subtree; "none" for an empty value).
    Unknown keys are ignored so the filters of the page can travel along."""
    qs = base(c, name)
    model = BASES[name][0]
    fields = _field_names(model)
    for key, lookup in CRITERIA.items():
        raw = criteria.get(key)
        if raw in (None, ""):
            continue
        raw = str(raw)
        if "\x00" in raw:  # PostgreSQL cannot compare text holding NUL
            raise InvalidInput.field(key, "must not contain NUL characters")
        if lookup.split("__")[0] not in fields:
            raise InvalidInput.field(key, f"cannot narrow {name} by {key}")
        if raw == NONE_VALUE:
            if key in ID_CRITERIA:
                qs = qs.filter(**{f"{lookup}__isnull": True})
            else:
                qs = qs.filter(**{lookup: ""})
        elif key in ID_CRITERIA:
            if not _digits(raw) or not 0 < int(raw) < 2**63:
                raise InvalidInput.field(key, "must be a positive integer id or none")
            qs = qs.filter(**{lookup: int(raw)})
        else:
            qs = qs.filter(**{lookup: raw})
    unit_raw = criteria.get("unit")
    if unit_raw not in (None, ""):
        unit_id = _id(criteria, "unit")
        unit = BusinessUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise InvalidInput.field("unit", f"unit {unit_id} not found")
        qs = qs.filter(owning_unit__path__startswith=unit.path)
    return qs.select_related("owner_user", "owner_team").order_by("-created_at", "-id")


# Figures ------------------------------------------------------------------------------


@dataclass
class Figure:
    """One figure: a small table plus how to draw it. `label` is the column naming each
    row; `values` the columns drawn (several: stacked bars or lines). Rows may carry
    `_drill` (the base and group values of the records behind them) and `_record` (the
    record a row is, for lists)."""

    key: str
    title: Any
    chart: str  # bars, stacked, line, funnel, table, stats
    columns: list[tuple[str, Any]]
    rows: list[dict[str, Any]]
    label: str = "label"
    values: list[str] = field(default_factory=list)
    note: Any = ""
    unit: str = ""


@dataclass
class Dashboard:
    kind: str
    title: Any
    filters: Filters
    figures: list[Figure]


def _owner_values() -> tuple[str, ...]:
    return (
        "owner_user_id",
        "owner_team_id",
        "owner_user__username",
        "owner_user__first_name",
        "owner_user__last_name",
        "owner_team__name",
    )


def _owner_label(row: Mapping[str, Any]) -> str:
    if row.get("owner_user_id"):
        name = f"{row['owner_user__first_name']} {row['owner_user__last_name']}".strip()
        return name or row["owner_user__username"]
    return f"{row.get('owner_team__name') or '?'} ({_('team')})"


def _owner_drill(row: Mapping[str, Any]) -> dict[str, Any]:
    if row.get("owner_user_id"):
        return {"owner": row["owner_user_id"]}
    return {"owner": NONE_VALUE, "team": row["owner_team_id"]}


def _owner_key(row: Mapping[str, Any]) -> tuple[int | None, int | None]:
    return (row.get("owner_user_id"), row.get("owner_team_id"))


def _with_owner_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Totals rows grouped by owner, with the names `_owner_label` shows (two queries)."""
    user_ids = {row["owner_user_id"] for row in rows if row.get("owner_user_id")}
    team_ids = {row["owner_team_id"] for row in rows if row.get("owner_team_id")}
    users = {
        u["id"]: u
        for u in User.objects.filter(pk__in=user_ids).values(
            "id", "username", "first_name", "last_name"
        )
    }
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("id", "name"))
    for row in rows:
        person = users.get(row.get("owner_user_id")) or {}
        row["owner_user__username"] = person.get("username", "")
        row["owner_user__first_name"] = person.get("first_name", "")
        row["owner_user__last_name"] = person.get("last_name", "")
        row["owner_team__name"] = teams.get(row.get("owner_team_id"))
    return rows


OWNER = ("owner_user_id", "owner_team_id")


def _pct(part: Any, whole: Any) -> float | None:
    return round(100 * float(part) / float(whole), 1) if whole else None


def _hours(value: Any) -> float | None:
    """A duration from the database (timedelta, or microseconds on SQLite) in hours."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 3600, 1)
    return round(float(value) / 3_600_000_000, 1)


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _duration(end: str, start: str = "created_at") -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _weighted() -> Sum:
    return Sum(F("amount") * F("probability"), output_field=DecimalField(max_digits=20))


def _days(since: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if since is None else round((now - since).total_seconds() / 86400, 1)


def _choices_label(choices: Any, value: str) -> str:
    return str(dict(choices).get(value, value or "—"))


# Sales figures


def pipeline_funnel(c: Context, key: str = "pipeline") -> Figure:
    """Open opportunities by stage: count, amount and amount weighted by probability."""
    grouped = {row["stage"]: row for row in c.totals.grouped("open_opportunities", ["stage"])}
    rows = []
    for stage in OPEN_STAGES:
        row = grouped.get(stage, {})
        rows.append(
            {
                "label": str(stage.label),
                "stage": str(stage),
                "count": row.get("n", 0),
                "amount": _money(row.get("amount")),
                "weighted_amount": _money((row.get("weighted") or 0) / Decimal(100)),
                "_drill": {"figure": "open_opportunities", "stage": str(stage)},
            }
        )
    return Figure(
        key,
        _("Pipeline by stage"),
        "funnel",
        [
            ("label", _("Stage")),
            ("count", _("Opportunities")),
            ("amount", _("Amount")),
            ("weighted_amount", _("Weighted amount")),
        ],
        rows,
        values=["amount"],
    )


def target_vs_won(c: Context) -> Figure:
    """The viewer's targets overlapping the period against what they won in it."""
    f = c.filters
    owner = c.owner or c.actor
    target = (
        target_list(c.actor)
        .filter(user_id=owner.pk, period_start__lte=f.end, period_end__gte=f.start)
        .aggregate(total=Sum("amount"))["total"]
    )
    won = {"total": 0}
    for row in c.totals.grouped("closed_opportunities", where={"stage": Stage.WON}):
        won["total"] = row["amount"]
    rows = [
        {"label": str(_("Target")), "value": _money(target)},
        {
            "label": str(_("Won")),
            "value": _money(won["total"]),
            "_drill": {"figure": "won_opportunities"},
        },
    ]
    return Figure(
        "target",
        _("Target vs won this period"),
        "bars",
        [("label", ""), ("value", _("Amount"))],
        rows,
        values=["value"],
        note=_("Attainment: %(pct)s%%") % {"pct": _pct(won["total"] or 0, target) or 0},
    )


def _last_contact() -> Subquery:
    # The latest completed call, meeting or e-mail about the lead.
    return Subquery(
        Activity.objects.filter(
            regarding_type=ContentType.objects.get_for_model(Lead),
            regarding_id=OuterRef("pk"),
            status=ActivityStatus.COMPLETED,
            kind__in=(ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.EMAIL),
        )
        .order_by()
        .values("regarding_id")
        .annotate(latest=Max(Coalesce("completed_at", "start_at")))
        .values("latest")[:1]
    )


def open_leads(c: Context) -> Figure:
    """Open leads, oldest first, with their age and the time since the last contact."""
    qs = (
        base(c, "open_leads")
        .annotate(last_contact=Coalesce(_last_contact(), "first_contacted_at"))
        .order_by("created_at", "id")[:LIST_LIMIT]
    )
    rows = [
        {
            "label": lead.name,
            "company": lead.company_name,
            "status": lead.get_status_display(),
            "age_days": _days(lead.created_at, c.now),
            "days_since_contact": _days(lead.last_contact, c.now),
            "_record": ("lead", lead.pk),
        }
        for lead in qs
    ]
    return Figure(
        "open_leads",
        _("My open leads"),
        "table",
        [
            ("label", _("Lead")),
            ("company", _("Company")),
            ("status", _("Status")),
            ("age_days", _("Age (days)")),
            ("days_since_contact", _("Days since last contact")),
        ],
        rows,
        note=_("Oldest first; empty means never contacted."),
    )


def _activity_rows(qs: QuerySet, now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "label": activity.subject,
            "kind": activity.get_kind_display(),
            "when": timezone.localtime(activity.start_at or activity.due_at).strftime(
                "%Y-%m-%d %H:%M"
            )
            if (activity.start_at or activity.due_at)
            else "",
            "_record": ("activity", activity.pk),
        }
        for activity in qs[:LIST_LIMIT]
    ]


def today_activities(c: Context) -> Figure:
    qs = base(c, "today_activities").order_by("moment", "id")
    return Figure(
        "today",
        _("Today's activities"),
        "table",
        [("label", _("Subject")), ("kind", _("Kind")), ("when", _("When"))],
        _activity_rows(qs, c.now),
    )


def overdue_tasks(c: Context) -> Figure:
    qs = base(c, "overdue_tasks").order_by("due_at", "id")
    return Figure(
        "overdue",
        _("Overdue tasks"),
        "table",
        [("label", _("Subject")), ("kind", _("Kind")), ("when", _("Due"))],
        _activity_rows(qs, c.now),
    )


def pipeline_by_rep(c: Context) -> Figure:
    """Open pipeline amount per owner, stacked by stage."""
    per_owner: dict[tuple, dict[str, Any]] = {}
    grouped = _with_owner_names(c.totals.grouped("open_opportunities", [*OWNER, "stage"]))
    for row in grouped:
        entry = per_owner.setdefault(
            _owner_key(row),
            {"label": _owner_label(row), **{s: Decimal(0) for s in OPEN_STAGES}}
            | {"_drill": {"figure": "open_opportunities", **_owner_drill(row)}},
        )
        entry[row["stage"]] = _money(row["amount"])
    rows = sorted(per_owner.values(), key=lambda r: -sum(r[s] for s in OPEN_STAGES))
    return Figure(
        "pipeline_by_rep",
        _("Open pipeline by rep and stage"),
        "stacked",
        [("label", _("Owner")), *[(str(s), s.label) for s in OPEN_STAGES]],
        rows,
        values=[str(s) for s in OPEN_STAGES],
    )


def _closed_by_owner(c: Context) -> list[dict[str, Any]]:
    """Per owner: opportunities closed in the period, won, lost and the amount won."""
    per_owner: dict[tuple, dict[str, Any]] = {}
    for row in c.totals.grouped("closed_opportunities", [*OWNER, "stage"]):
        entry = per_owner.setdefault(
            _owner_key(row),
            {"owner_user_id": row["owner_user_id"], "owner_team_id": row["owner_team_id"]}
            | {"n": 0, "won": 0, "lost": 0, "won_amount": 0},
        )
        entry["n"] += row["n"]
        if row["stage"] == Stage.WON:
            entry["won"] += row["n"]
            entry["won_amount"] += row["amount"]
        else:
            entry["lost"] += row["n"]
    return _with_owner_names(list(per_owner.values()))


def win_rate_by_rep(c: Context) -> Figure:
    """Won and lost opportunities closed in the period per owner, and the win rate."""
    per_owner: dict[tuple, dict[str, Any]] = {}
    grouped = _closed_by_owner(c)
    for row in grouped:
        per_owner[_owner_key(row)] = {
            "label": _owner_label(row),
            "won": row["won"],
            "lost": row["lost"],
            "won_amount": _money(row["won_amount"]),
            "win_rate": _pct(row["won"], row["won"] + row["lost"]),
            "_drill": {"figure": "closed_opportunities", **_owner_drill(row)},
        }
    rows = sorted(per_owner.values(), key=lambda r: -(r["win_rate"] or 0))
    return Figure(
        "win_rate",
        _("Win rate per rep"),
        "bars",
        [
            ("label", _("Owner")),
            ("won", _("Won")),
            ("lost", _("Lost")),
            ("won_amount", _("Won amount")),
            ("win_rate", _("Win rate %")),
        ],
        rows,
        values=["win_rate"],
        unit="%",
    )


def target_attainment(c: Context) -> Figure:
    """Each readable personal target overlapping the period against what its person won
    (over the opportunities the viewer sees)."""
    f = c.filters
    targets = (
        target_list(c.actor)
        .filter(user__isnull=False, period_start__lte=f.end, period_end__gte=f.start)
        .values("user_id", "user__username", "user__first_name", "user__last_name")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    if f.unit is not None:
        targets = targets.filter(user__unit__path__startswith=f.unit.path)
    if c.owner is not None:
        targets = targets.filter(user_id=c.owner.pk)
    won = {
        row["owner_user_id"]: row["amount"]
        for row in c.totals.grouped(
            "closed_opportunities", ["owner_user_id"], where={"stage": Stage.WON}
        )
        if row["owner_user_id"]
    }
    rows = []
    for row in targets:
        name = f"{row['user__first_name']} {row['user__last_name']}".strip()
        amount = won.get(row["user_id"]) or 0
        rows.append(
            {
                "label": name or row["user__username"],
                "target": _money(row["total"]),
                "won": _money(amount),
                "attainment": _pct(amount, row["total"]),
                "_drill": {"figure": "won_opportunities", "owner": row["user_id"]},
            }
        )
    rows.sort(key=lambda r: -(r["attainment"] or 0))
    return Figure(
        "target_attainment",
        _("Target attainment"),
        "bars",
        [
            ("label", _("Person")),
            ("target", _("Target")),
            ("won", _("Won")),
            ("attainment", _("Attainment %")),
        ],
        rows,
        values=["attainment"],
        unit="%",
    )


def _conversion_rows(grouped: QuerySet, label: Callable, drill: Callable) -> list[dict]:
    rows = [
        {
            "label": label(row),
            "leads": row["leads"],
            "qualified": row["qualified"],
            "conversion": _pct(row["qualified"], row["leads"]),
            "_drill": {"figure": "new_leads", **drill(row)},
        }
        for row in grouped
    ]
    return sorted(rows, key=lambda r: -r["leads"])


_CONVERSION_COLUMNS = [
    ("leads", _("Leads")),
    ("qualified", _("Qualified")),
    ("conversion", _("Conversion %")),
]


def _lead_counts() -> dict[str, Count]:
    return {"leads": Count("id"), "qualified": Count("id", filter=Q(status=LeadStatus.QUALIFIED))}


def _lead_conversion(c: Context, column: str) -> list[dict[str, Any]]:
    """The period's leads and qualified leads per `column` value (from the rollups)."""
    per: dict[Any, dict[str, Any]] = {}
    for row in c.totals.grouped("new_leads", (column, "status")):
        entry = per.setdefault(row[column], {column: row[column], "leads": 0, "qualified": 0})
        entry["leads"] += row["n"]
        if row["status"] == LeadStatus.QUALIFIED:
            entry["qualified"] += row["n"]
    return list(per.values())


def leads_by_campaign(c: Context) -> Figure:
    grouped = _lead_conversion(c, "campaign_id")
    ids = [row["campaign_id"] for row in grouped if row["campaign_id"]]
    names = dict(Campaign.objects.filter(pk__in=ids).values_list("id", "name")) if ids else {}
    for row in grouped:
        row["campaign__name"] = names.get(row["campaign_id"])
    rows = _conversion_rows(
        grouped,
        lambda row: row["campaign__name"] or str(_("No campaign")),
        lambda row: {"campaign": row["campaign_id"] or NONE_VALUE},
    )
    return Figure(
        "leads_by_campaign",
        _("Leads per campaign"),
        "bars",
        [("label", _("Campaign")), *_CONVERSION_COLUMNS],
        rows,
        values=["leads"],
    )


def leads_by_source(c: Context) -> Figure:
    grouped = _lead_conversion(c, "source")
    rows = _conversion_rows(
        grouped,
        lambda row: _choices_label(LeadSource.choices, row["source"]),
        lambda row: {"source": row["source"] or NONE_VALUE},
    )
    return Figure(
        "leads_by_source",
        _("Leads per source"),
        "bars",
        [("label", _("Source")), *_CONVERSION_COLUMNS],
        rows,
        values=["leads"],
    )


def slow_follow_up(c: Context) -> Figure:
    """Per owner: the period's leads not contacted within `hours` hours."""
    grouped = base(c, "slow_leads").values(*_owner_values()).annotate(count=Count("id")).order_by()
    rows = sorted(
        (
            {
                "label": _owner_label(row),
                "count": row["count"],
                "_drill": {"figure": "slow_leads", **_owner_drill(row)},
            }
            for row in grouped
        ),
        key=lambda r: -r["count"],
    )
    return Figure(
        "slow_follow_up",
        _("Leads not contacted within %(hours)s hours") % {"hours": c.filters.hours},
        "bars",
        [("label", _("Owner")), ("count", _("Leads"))],
        rows,
        values=["count"],
    )


def workload(c: Context) -> Figure:
    """Open leads, opportunities and activities per owner (one grouped query each)."""
    per_owner: dict[tuple, dict[str, Any]] = {}
    parts = (
        ("leads", "open_leads"),
        ("opportunities", "open_opportunities"),
        ("activities", "open_activities"),
    )
    for column, name in parts:
        if name in ("open_opportunities", "open_leads"):
            grouped = _with_owner_names(c.totals.grouped(name, OWNER))
        else:
            grouped = base(c, name).values(*_owner_values()).annotate(n=Count("id")).order_by()
        for row in grouped:
            entry = per_owner.setdefault(
                _owner_key(row),
                {"label": _owner_label(row), "leads": 0, "opportunities": 0, "activities": 0}
                | {"_drill": {"figure": "open_opportunities", **_owner_drill(row)}},
            )
            entry[column] = row["n"]
    rows = sorted(per_owner.values(), key=lambda r: -(r["leads"] + r["opportunities"]))
    return Figure(
        "workload",
        _("Workload per rep"),
        "stacked",
        [
            ("label", _("Owner")),
            ("leads", _("Open leads")),
            ("opportunities", _("Open opportunities")),
            ("activities", _("Open activities")),
        ],
        rows,
        values=["leads", "opportunities", "activities"],
    )


# Service figures


def open_cases_by_priority(c: Context) -> Figure:
    counts = {row["priority"]: row["n"] for row in c.totals.grouped("open_cases", ["priority"])}
    rows = [
        {
            "label": str(priority.label),
            "count": counts.get(priority, 0),
            "_drill": {"figure": "open_cases", "priority": str(priority)},
        }
        for priority in reversed(Priority)
    ]
    return Figure(
        "open_cases_by_priority",
        _("Open cases by priority"),
        "bars",
        [("label", _("Priority")), ("count", _("Cases"))],
        rows,
        values=["count"],
    )


def closed_this_week(c: Context) -> Figure:
    count = base(c, "done_cases_this_week").count()
    return Figure(
        "closed_this_week",
        _("Closed this week"),
        "stats",
        [("label", ""), ("value", "")],
        [
            {
                "label": str(_("Cases resolved or closed")),
                "value": count,
                "_drill": {"figure": "done_cases_this_week"},
            }
        ],
    )


def _service_measures() -> dict[str, Any]:
    return {
        "cases": Count("id"),
        "first_response": Avg(_duration("first_response_at")),
        "resolution": Avg(_duration("resolved_at")),
        "satisfaction": Avg("satisfaction"),
    }


def _service_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cases": row["cases"],
        "first_response_hours": _hours(row["first_response"]),
        "resolution_hours": _hours(row["resolution"]),
        "satisfaction": round(row["satisfaction"], 2) if row["satisfaction"] else None,
    }


def _service_totals(row: Mapping[str, Any]) -> dict[str, Any]:
    """`_service_row` from summed measures (totals of done cases)."""
    n, responded, rated = (
        row.get("n", 0),
        row.get("first_response_n", 0),
        row.get("satisfaction_n", 0),
    )
    return {
        "cases": n,
        "first_response_hours": _hours(row["first_response_us"] / responded) if responded else None,
        "resolution_hours": _hours(row["resolution_us"] / n) if n else None,
        "satisfaction": round(row["satisfaction_sum"] / rated, 2) if rated else None,
    }


_SERVICE_COLUMNS = [
    ("cases", _("Resolved")),
    ("first_response_hours", _("Avg first response (h)")),
    ("resolution_hours", _("Avg resolution (h)")),
    ("satisfaction", _("Avg satisfaction")),
]


def service_ranking(c: Context) -> Figure:
    """The viewer's response and resolution times and satisfaction against each peer in
    their unit (ranked by resolution time) and the unit's average, over the cases the
    viewer sees that were resolved in the period."""
    peers = Context(c.actor, c.filters, personal=False, now=c.now)
    done = base(peers, "done_cases").filter(owner_user__unit_id=c.actor.unit_id)
    grouped = done.values(*_owner_values()).annotate(**_service_measures()).order_by()
    rows = []
    for row in grouped:
        mine = row["owner_user_id"] == c.actor.pk
        rows.append(
            {
                "label": _owner_label(row) + (f" ({_('you')})" if mine else ""),
                **_service_row(row),
                "_drill": {"figure": "done_cases", **_owner_drill(row)},
            }
        )
    rows.sort(key=lambda r: (r["resolution_hours"] is None, r["resolution_hours"] or 0))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    team = done.aggregate(**_service_measures())
    rows.append({"label": str(_("Team average")), "rank": None, **_service_row(team)})
    return Figure(
        "service_ranking",
        _("Me, my peers and my team"),
        "bars",
        [("rank", "#"), ("label", _("Agent")), *_SERVICE_COLUMNS],
        rows,
        values=["resolution_hours"],
        unit="h",
    )


def queue_waiting(c: Context, *, mine: bool) -> Figure:
    """Queues with the records waiting in them that the viewer can see. `mine`: only the
    queues of the viewer's owner teams; else every queue with visible waiting work."""
    # Waiting items are few and the records behind them many: the visibility of each
    # waiting item's record is checked, instead of gathering every visible record.
    items = QueueItem.objects.filter(taken_at__isnull=True)
    parts = Q(pk__in=[])
    for entity, model in (("case", Case), ("lead", Lead)):
        ids = items.filter(entity=entity).values("object_id")
        seen = narrow(c.totals.visible_among(model, ids), c.filters, None).values("id")
        parts |= Q(items__entity=entity, items__object_id__in=seen)
    waiting = Q(items__taken_at__isnull=True) & parts
    qs = Queue.objects.annotate(waiting=Count("items", filter=waiting))
    if mine:
        teams = TeamMembership.objects.filter(user_id=c.actor.pk).values("team_id")
        qs = qs.filter(team_id__in=teams)
    else:
        qs = qs.filter(waiting__gt=0)
    rows = [
        {"label": queue.name, "entity": queue.entity, "waiting": queue.waiting}
        for queue in qs.order_by("-waiting", "name")[:LIST_LIMIT]
    ]
    return Figure(
        "queues",
        _("My queues") if mine else _("Queue sizes"),
        "bars",
        [("label", _("Queue")), ("entity", _("Holds")), ("waiting", _("Waiting"))],
        rows,
        values=["waiting"],
    )


def cases_per_agent(c: Context) -> Figure:
    per_owner: dict[tuple, dict[str, Any]] = {}
    for column, name in (("open", "open_cases"), ("closed", "done_cases")):
        for row in _with_owner_names(c.totals.grouped(name, OWNER)):
            entry = per_owner.setdefault(
                _owner_key(row),
                {"label": _owner_label(row), "open": 0, "closed": 0}
                | {"_drill": {"figure": "open_cases", **_owner_drill(row)}},
            )
            entry[column] = row["n"]
    rows = sorted(per_owner.values(), key=lambda r: -(r["open"] + r["closed"]))
    return Figure(
        "cases_per_agent",
        _("Open and closed cases per agent"),
        "stacked",
        [("label", _("Agent")), ("open", _("Open now")), ("closed", _("Closed in period"))],
        rows,
        values=["open", "closed"],
    )


def sla_breach_rate(c: Context) -> Figure:
    totals = {"cases": 0, "breached": 0}
    for row in c.totals.grouped("new_cases"):
        totals = {"cases": row["n"], "breached": row["breached"]}
    return Figure(
        "sla",
        _("SLA breaches"),
        "stats",
        [("label", ""), ("value", "")],
        [
            {
                "label": str(_("Cases opened")),
                "value": totals["cases"],
                "_drill": {"figure": "new_cases"},
            },
            {
                "label": str(_("Breached an SLA target")),
                "value": totals["breached"],
                "_drill": {"figure": "breached_cases"},
            },
            {
                "label": str(_("Breach rate %")),
                "value": _pct(totals["breached"], totals["cases"]) or 0,
            },
        ],
    )


def response_times(c: Context) -> Figure:
    grouped = {row["priority"]: row for row in c.totals.grouped("done_cases", ["priority"])}
    rows = [
        {
            "label": str(priority.label),
            **_service_totals(grouped[priority]),
            "_drill": {"figure": "done_cases", "priority": str(priority)},
        }
        for priority in reversed(Priority)
        if priority in grouped
    ]
    return Figure(
        "response_times",
        _("First response and resolution times"),
        "bars",
        [("label", _("Priority")), *_SERVICE_COLUMNS],
        rows,
        values=["first_response_hours", "resolution_hours"],
        unit="h",
    )


def complaints_by_product(c: Context) -> Figure:
    grouped = sorted(
        c.totals.grouped("new_cases", ["product"], where={"type": CaseType.COMPLAINT}),
        key=lambda row: (-row["n"], row["product"]),
    )[:LIST_LIMIT]
    rows = [
        {
            "label": row["product"] or str(_("No product")),
            "count": row["n"],
            "_drill": {
                "figure": "new_cases",
                "type": CaseType.COMPLAINT.value,
                "product": row["product"] or NONE_VALUE,
            },
        }
        for row in grouped
    ]
    return Figure(
        "complaints_by_product",
        _("Complaints by product"),
        "bars",
        [("label", _("Product")), ("count", _("Complaints"))],
        rows,
        values=["count"],
    )


def _bucket(f: Filters) -> tuple[str, type]:
    days = (f.end - f.start).days + 1
    if f.period == "week" or (f.period == "custom" and days <= 31):
        return "day", TruncDay
    if f.period in ("month", "quarter") or days <= 184:
        return "week", TruncWeek
    return "month", TruncMonth


def _bucket_label(value: Any, size: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return value.strftime("%Y-%m") if size == "month" else value.isoformat()


def satisfaction_trend(c: Context) -> Figure:
    size, _trunc = _bucket(c.filters)
    per_bucket: dict[dt.date, list[int]] = {}
    for row in c.totals.grouped("rated_cases", ["day"]):
        day = as_date(row["day"])
        if size == "week":
            day -= dt.timedelta(days=day.weekday())
        elif size == "month":
            day = day.replace(day=1)
        counts = per_bucket.setdefault(day, [0, 0])
        counts[0] += row["satisfaction_sum"]
        counts[1] += row["satisfaction_n"]
    rows = [
        {
            "label": _bucket_label(day, size),
            "satisfaction": round(total / n, 2),
            "rated": n,
        }
        for day, (total, n) in sorted(per_bucket.items())
    ]
    return Figure(
        "satisfaction_trend",
        _("Satisfaction trend"),
        "line",
        [("label", _("From")), ("satisfaction", _("Avg satisfaction")), ("rated", _("Rated"))],
        rows,
        values=["satisfaction"],
        note=_("Average score (1–5) per %(size)s of resolution.") % {"size": size},
    )


# Marketing and product figures


def campaign_performance(c: Context) -> Figure:
    """Per campaign: leads, conversion, cost per lead, influenced (won) revenue and ROI.
    Leads and revenue are counted over all time, over the records the viewer sees."""
    campaigns = list(
        base(c, "campaigns").values("id", "name", "actual_cost").order_by("name", "id")[:50]
    )
    ids = [row["id"] for row in campaigns]
    leads = {
        row["campaign_id"]: row
        for row in c.visible(Lead)
        .filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(**_lead_counts())
        .order_by()
    }
    revenue = {
        row["campaign_id"]: row["amount"]
        for row in c.visible(Opportunity)
        .filter(campaign_id__in=ids, stage=Stage.WON)
        .values("campaign_id")
        .annotate(amount=Sum("amount"))
        .order_by()
    }
    rows = []
    for row in campaigns:
        counts = leads.get(row["id"], {"leads": 0, "qualified": 0})
        cost = row["actual_cost"]
        won = _money(revenue.get(row["id"]))
        rows.append(
            {
                "label": row["name"],
                "leads": counts["leads"],
                "conversion": _pct(counts["qualified"], counts["leads"]),
                "cost": _money(cost) if cost is not None else None,
                "cost_per_lead": _money(cost / counts["leads"])
                if cost is not None and counts["leads"]
                else None,
                "influenced_revenue": won,
                "roi": _pct(won - cost, cost) if cost else None,
                "_record": ("campaign", row["id"]),
            }
        )
    return Figure(
        "campaigns",
        _("Campaigns"),
        "bars",
        [
            ("label", _("Campaign")),
            ("leads", _("Leads")),
            ("conversion", _("Conversion %")),
            ("cost", _("Cost")),
            ("cost_per_lead", _("Cost per lead")),
            ("influenced_revenue", _("Influenced revenue")),
            ("roi", _("ROI %")),
        ],
        rows,
        values=["influenced_revenue"],
        note=_("Campaigns running in the period; leads and revenue over their whole life."),
    )


def feedback_by_product(c: Context) -> Figure:
    per_product: dict[str, dict[str, Any]] = {}
    grouped = c.totals.grouped(
        "new_cases", ["product", "type"], where={"type": [str(t) for t in FEEDBACK_TYPES]}
    )
    for row in grouped:
        name = row["product"]
        entry = per_product.setdefault(
            name,
            {"label": name or str(_("No product"))}
            | {str(t): 0 for t in FEEDBACK_TYPES}
            | {"_drill": {"figure": "new_cases", "product": name or NONE_VALUE}},
        )
        entry[row["type"]] = row["n"]
    rows = sorted(per_product.values(), key=lambda r: -sum(r[str(t)] for t in FEEDBACK_TYPES))
    return Figure(
        "feedback_by_product",
        _("Feedback and complaints by product"),
        "stacked",
        [("label", _("Product")), *[(str(t), t.label) for t in FEEDBACK_TYPES]],
        rows[:LIST_LIMIT],
        values=[str(t) for t in FEEDBACK_TYPES],
    )


def feedback_trend(c: Context) -> Figure:
    size, trunc = _bucket(c.filters)
    grouped = (
        base(c, "new_cases")
        .filter(type__in=FEEDBACK_TYPES)
        .annotate(bucket=trunc("created_at"))
        .values("bucket", "type")
        .annotate(n=Count("id"))
        .order_by("bucket")
    )
    per_bucket: dict[str, dict[str, Any]] = {}
    for row in grouped:
        label = _bucket_label(row["bucket"], size)
        entry = per_bucket.setdefault(label, {"label": label} | {str(t): 0 for t in FEEDBACK_TYPES})
        entry[row["type"]] += row["n"]
    return Figure(
        "feedback_trend",
        _("Feedback and complaints over time"),
        "line",
        [("label", _("From")), *[(str(t), t.label) for t in FEEDBACK_TYPES]],
        list(per_bucket.values()),
        values=[str(t) for t in FEEDBACK_TYPES],
    )


def top_reporting_accounts(c: Context) -> Figure:
    grouped = (
        base(c, "new_cases")
        .filter(type__in=FEEDBACK_TYPES, account__isnull=False)
        .values("account_id", "account__name")
        .annotate(n=Count("id"))
        .order_by("-n", "account__name")[:10]
    )
    rows = [
        {
            "label": row["account__name"],
            "count": row["n"],
            "_drill": {"figure": "new_cases", "account": row["account_id"]},
        }
        for row in grouped
    ]
    return Figure(
        "top_accounts",
        _("Accounts reporting most"),
        "bars",
        [("label", _("Account")), ("count", _("Feedback, complaints, problems"))],
        rows,
        values=["count"],
    )


# Organization figures


def _one(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The single row of an ungrouped total ({} when nothing was counted)."""
    return rows[0] if rows else {}


def org_totals(c: Context) -> Figure:
    opp_open = {"amount": 0} | _one(c.totals.grouped("open_opportunities"))
    closed = {"won": 0, "won_amount": 0, "n": 0}
    for row in c.totals.grouped("closed_opportunities", ["stage"]):
        closed["n"] += row["n"]
        if row["stage"] == Stage.WON:
            closed["won"], closed["won_amount"] = row["n"], row["amount"]
    open_cases = _one(c.totals.grouped("open_cases")).get("n", 0)
    done_row = _one(c.totals.grouped("done_cases"))
    done = {"n": done_row.get("n", 0), "satisfaction": _service_totals(done_row)["satisfaction"]}
    rows = [
        {
            "label": str(_("Open pipeline")),
            "value": _money(opp_open["amount"]),
            "_drill": {"figure": "open_opportunities"},
        },
        {
            "label": str(_("Won in period")),
            "value": _money(closed["won_amount"]),
            "_drill": {"figure": "won_opportunities"},
        },
        {
            "label": str(_("Win rate %")),
            "value": _pct(closed["won"], closed["n"]) or 0,
            "_drill": {"figure": "closed_opportunities"},
        },
        {"label": str(_("Open cases")), "value": open_cases, "_drill": {"figure": "open_cases"}},
        {
            "label": str(_("Cases resolved in period")),
            "value": done["n"],
            "_drill": {"figure": "done_cases"},
        },
        {
            "label": str(_("Avg satisfaction")),
            "value": round(done["satisfaction"], 2) if done["satisfaction"] else None,
        },
    ]
    return Figure("totals", _("Sales and service"), "stats", [("label", ""), ("value", "")], rows)


_BREAKDOWN_COLUMNS = [
    ("open_pipeline", _("Open pipeline")),
    ("won", _("Won in period")),
    ("open_cases", _("Open cases")),
    ("closed_cases", _("Cases resolved")),
]


MONEY_COLUMNS = ("open_pipeline", "won")


def _breakdown_parts() -> tuple[tuple[str, str, dict[str, Any], str], ...]:
    """(column, totals base, narrowing, measure) of the unit and job-class breakdowns."""
    return (
        ("open_pipeline", "open_opportunities", {}, "amount"),
        ("won", "closed_opportunities", {"stage": Stage.WON}, "amount"),
        ("open_cases", "open_cases", {}, "n"),
        ("closed_cases", "done_cases", {}, "n"),
    )


def by_unit(c: Context) -> Figure:
    """The figures per unit directly below the filter unit (else below the root for whoever
    reports org-wide, below their own unit for the others), each with its subtree rolled
    in."""
    anchor = c.filters.unit
    if anchor is None and privilege_depth(c.actor, "view_reports") < ORG:
        anchor = c.actor.unit
    if anchor is None:
        anchor = BusinessUnit.objects.filter(parent__isnull=True).first()
    if anchor is None:
        return Figure("by_unit", _("By business unit"), "table", [], [])
    children = list(BusinessUnit.objects.filter(parent_id=anchor.pk).order_by("name"))
    rows: dict[int, dict[str, Any]] = {}
    for unit in [anchor, *children]:
        rows[unit.pk] = {"label": unit.name, "open_pipeline": _money(0), "won": _money(0)} | {
            "open_cases": 0,
            "closed_cases": 0,
            "_drill": {"figure": "open_opportunities", "unit": unit.pk},
        }
    rows[anchor.pk]["label"] = f"{anchor.name} ({_('directly')})"
    # Work is grouped by owning unit (a handful of rows), then rolled up by path.
    paths = {u.pk: u.path for u in BusinessUnit.objects.filter(path__startswith=anchor.path)}
    top = {child.path: child.pk for child in children}

    def roll_up(unit_id: int) -> int | None:
        path = paths.get(unit_id, "")
        if path == anchor.path:
            return anchor.pk
        parts = path[len(anchor.path) :].split("/")
        return top.get(f"{anchor.path}{parts[0]}/") if parts and parts[0] else None

    for column, name, where, measure in _breakdown_parts():
        for row in c.totals.grouped(name, ["owning_unit_id"], where=where):
            target = roll_up(row["owning_unit_id"])
            if target is not None:
                value = row[measure]
                rows[target][column] += _money(value) if column in MONEY_COLUMNS else value
    if not any(rows[anchor.pk][col] for col, _label in _BREAKDOWN_COLUMNS):
        rows.pop(anchor.pk)
    else:
        rows[anchor.pk]["_drill"] = {}
    return Figure(
        "by_unit",
        _("By business unit"),
        "bars",
        [("label", _("Unit")), *_BREAKDOWN_COLUMNS],
        list(rows.values()),
        values=["open_pipeline"],
    )


def by_job_class(c: Context) -> Figure:
    """The figures by the owner's job class (front office, back office, commercial)."""
    rows: dict[str, dict[str, Any]] = {
        str(value): {"label": str(label), "open_pipeline": _money(0), "won": _money(0)}
        | {"open_cases": 0, "closed_cases": 0}
        | {"_drill": {"figure": "open_opportunities", "job_class": str(value)}}
        for value, label in JobClass.choices
    }
    per_owner = {
        column: c.totals.grouped(name, ["owner_user_id"], where=where)
        for column, name, where, _measure in _breakdown_parts()
    }
    owners = {row["owner_user_id"] for part in per_owner.values() for row in part}
    job_class = dict(User.objects.filter(pk__in=owners - {None}).values_list("id", "job_class"))
    for column, _name, _where, measure in _breakdown_parts():
        for row in per_owner[column]:
            kind = job_class.get(row["owner_user_id"])
            if kind in rows:
                value = _money(row[measure]) if column in MONEY_COLUMNS else row[measure]
                rows[kind][column] += value
    return Figure(
        "by_job_class",
        _("By job class"),
        "bars",
        [("label", _("Job class")), *_BREAKDOWN_COLUMNS],
        list(rows.values()),
        values=["open_pipeline"],
        note=_("Team-owned records are left out: a team has no job class."),
    )


# Performance appraisal


def appraisal(c: Context) -> Figure:
    """Per person, over the period and the records the viewer sees: volume (opportunities
    closed plus cases resolved), win rate, average resolution time, satisfaction, share
    of resolved cases that met their SLA, and average hours from a lead's creation to the
    first contact. Four grouped queries, whatever the number of people."""
    people: dict[int, dict[str, Any]] = {}

    def entry(row: Mapping[str, Any]) -> dict[str, Any] | None:
        if not row.get("owner_user_id"):
            return None  # team-owned work is nobody's appraisal
        return people.setdefault(
            row["owner_user_id"],
            {
                "label": _owner_label(row),
                "volume": 0,
                "win_rate": None,
                "resolution_hours": None,
                "satisfaction": None,
                "sla_met": None,
                "follow_up_hours": None,
                "_drill": {"figure": "closed_opportunities", "owner": row["owner_user_id"]},
            },
        )

    for row in _closed_by_owner(c):
        if (person := entry(row)) is not None:
            person["volume"] += row["n"]
            person["win_rate"] = _pct(row["won"], row["n"])
    for row in _with_owner_names(c.totals.grouped("done_cases", OWNER)):
        if (person := entry(row)) is not None:
            service = _service_totals(row)
            person["volume"] += row["n"]
            person["resolution_hours"] = service["resolution_hours"]
            person["satisfaction"] = service["satisfaction"]
            person["sla_met"] = _pct(row["n"] - row["breached"], row["n"])
    for row in (
        base(c, "new_leads")
        .filter(first_contacted_at__isnull=False)
        .values(*_owner_values())
        .annotate(latency=Avg(_duration("first_contacted_at")))
        .order_by()
    ):
        if (person := entry(row)) is not None:
            person["follow_up_hours"] = _hours(row["latency"])
    return Figure(
        "appraisal",
        _("Performance appraisal"),
        "table",
        [
            ("label", _("Person")),
            ("volume", _("Volume")),
            ("win_rate", _("Win rate %")),
            ("resolution_hours", _("Avg resolution (h)")),
            ("satisfaction", _("Avg satisfaction")),
            ("sla_met", _("SLA met %")),
            ("follow_up_hours", _("Avg first contact (h)")),
        ],
        sorted(people.values(), key=lambda r: str(r["label"]).lower()),
        note=_("Volume: opportunities closed plus cases resolved in the period."),
    )


# Dashboards ---------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[Context], list[Figure]]] = {
    "sales_rep": lambda c: [
        pipeline_funnel(c),
        target_vs_won(c),
        open_leads(c),
        today_activities(c),
        overdue_tasks(c),
    ],
    "service_rep": lambda c: [
        open_cases_by_priority(c),
        closed_this_week(c),
        service_ranking(c),
        queue_waiting(c, mine=True),
    ],
    "sales_manager": lambda c: [
        pipeline_funnel(c),
        pipeline_by_rep(c),
        win_rate_by_rep(c),
        target_attainment(c),
        leads_by_campaign(c),
        leads_by_source(c),
        slow_follow_up(c),
        workload(c),
        appraisal(c),
    ],
    "service_manager": lambda c: [
        cases_per_agent(c),
        sla_breach_rate(c),
        response_times(c),
        complaints_by_product(c),
        satisfaction_trend(c),
        queue_waiting(c, mine=False),
        appraisal(c),
    ],
    "marketing": lambda c: [campaign_performance(c), leads_by_source(c)],
    "product": lambda c: [
        feedback_by_product(c),
        feedback_trend(c),
        top_reporting_accounts(c),
    ],
    "executive": lambda c: [
        org_totals(c),
        by_unit(c),
        by_job_class(c),
        pipeline_funnel(c),
    ],
    # The report builder (issue 5, part 2) will join these combined figures.
    "analyst": lambda c: [
        org_totals(c),
        by_unit(c),
        leads_by_source(c),
        satisfaction_trend(c),
    ],
}


def dashboard(actor: User, kind: str, filters: Filters) -> Dashboard:
    """The figures of dashboard `kind` for `actor`, all over what `actor` may read. Asking
    for a dashboard the actor's roles do not lead to is `InvalidInput` on `dashboard`."""
    allowed = dashboards_for(actor)
    if kind not in allowed:
        raise InvalidInput.field("dashboard", f"must be one of {', '.join(allowed)}")
    c = Context(actor, filters, personal=kind in PERSONAL)
    return Dashboard(kind, DASHBOARDS[kind], filters, BUILDERS[kind](c))


def drill(actor: User, kind: str, figure: str, filters: Filters, criteria: Mapping) -> QuerySet:
    """The records behind a row of dashboard `kind`'s figure (see `drill_records`)."""
    allowed = dashboards_for(actor)
    if kind not in allowed:
        raise InvalidInput.field("dashboard", f"must be one of {', '.join(allowed)}")
    return drill_records(Context(actor, filters, personal=kind in PERSONAL), figure, criteria)


# Ad-hoc reports -----------------------------------------------------------------------

# entity -> (model, group fields, numeric fields, date fields). A group field maps to the
# column grouped on and the column naming each group.
REPORT_ENTITIES: dict[str, tuple[type, dict[str, tuple[str, str]], tuple[str, ...], tuple]] = {
    "opportunity": (
        Opportunity,
        {
            "stage": ("stage", "stage"),
            "owner": ("owner_user_id", "owner_user__username"),
            "owning_unit": ("owning_unit_id", "owning_unit__name"),
            "campaign": ("campaign_id", "campaign__name"),
            "product_line": ("product_line_id", "product_line__name"),
            "currency": ("currency", "currency"),
        },
        ("amount", "probability"),
        ("created_at", "closed_at"),
    ),
    "lead": (
        Lead,
        {
            "status": ("status", "status"),
            "source": ("source", "source"),
            "rating": ("rating", "rating"),
            "owner": ("owner_user_id", "owner_user__username"),
            "owning_unit": ("owning_unit_id", "owning_unit__name"),
            "campaign": ("campaign_id", "campaign__name"),
            "region": ("region", "region"),
        },
        (),
        ("created_at", "first_contacted_at", "qualified_at"),
    ),
    "case": (
        Case,
        {
            "status": ("status", "status"),
            "priority": ("priority", "priority"),
            "type": ("type", "type"),
            "channel": ("channel", "channel"),
            "product": ("product_name", "product_name"),
            "owner": ("owner_user_id", "owner_user__username"),
            "owning_unit": ("owning_unit_id", "owning_unit__name"),
            "account": ("account_id", "account__name"),
        },
        ("satisfaction",),
        ("created_at", "resolved_at", "closed_at"),
    ),
    "activity": (
        Activity,
        {
            "kind": ("kind", "kind"),
            "status": ("status", "status"),
            "priority": ("priority", "priority"),
            "owner": ("owner_user_id", "owner_user__username"),
            "owning_unit": ("owning_unit_id", "owning_unit__name"),
        },
        (),
        ("created_at", "due_at", "start_at", "completed_at"),
    ),
    "campaign": (
        Campaign,
        {
            "type": ("type", "type"),
            "status": ("status", "status"),
            "owner": ("owner_user_id", "owner_user__username"),
            "owning_unit": ("owning_unit_id", "owning_unit__name"),
        },
        ("budget", "actual_cost", "expected_revenue"),
        ("created_at",),
    ),
}
REPORT_OPS = {"sum": Sum, "avg": Avg, "min": Min, "max": Max}
BUCKETS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
MAX_GROUPS = 2
REPORT_ROWS = 500


@dataclass(frozen=True)
class ReportSpec:
    """What an ad-hoc report asks: an entity, up to two group fields, measures (`count` or
    `op:field` with op sum/avg/min/max), an optional time bucket over `date_field`."""

    entity: str
    group_by: tuple[str, ...] = ()
    measures: tuple[str, ...] = ("count",)
    bucket: str = ""
    date_field: str = "created_at"


def parse_report(params: Any) -> ReportSpec:
    """Read a report from query parameters (`group_by` and `measure` may repeat); bad
    input raises `InvalidInput` naming the field."""

    def many(name: str) -> list[str]:
        values = params.getlist(name) if hasattr(params, "getlist") else params.get(name) or []
        values = [values] if isinstance(values, str) else values
        return [part.strip() for value in values for part in value.split(",") if part.strip()]

    entity = (params.get("entity") or "").strip()
    if entity not in REPORT_ENTITIES:
        raise InvalidInput.field("entity", f"must be one of {', '.join(REPORT_ENTITIES)}")
    _model, groups, numbers, dates = REPORT_ENTITIES[entity]
    group_by = tuple(many("group_by"))
    if len(group_by) > MAX_GROUPS:
        raise InvalidInput.field("group_by", f"at most {MAX_GROUPS} fields")
    for name in group_by:
        if name not in groups:
            raise InvalidInput.field("group_by", f"{entity} groups by {', '.join(groups)}")
    measures = tuple(many("measure")) or ("count",)
    for measure in measures:
        op, _sep, name = measure.partition(":")
        if measure == "count":
            continue
        if op not in REPORT_OPS or name not in numbers:
            allowed = ", ".join(f"{o}:{n}" for o in REPORT_OPS for n in numbers) or "nothing else"
            raise InvalidInput.field("measure", f"count, or for {entity}: {allowed}")
    bucket = (params.get("bucket") or "").strip()
    if bucket and bucket not in BUCKETS:
        raise InvalidInput.field("bucket", f"must be one of {', '.join(BUCKETS)}")
    date_field = (params.get("date_field") or "created_at").strip()
    if date_field not in dates:
        raise InvalidInput.field("date_field", f"{entity} dates are {', '.join(dates)}")
    return ReportSpec(entity, group_by, measures, bucket, date_field)


def run_report(actor: User, spec: ReportSpec, filters: Filters) -> Figure:
    """Run an ad-hoc report: one grouped query over the `visible` records of the entity
    whose `date_field` falls in the period (and the unit, team and owner filters)."""
    model, groups, _numbers, _dates = REPORT_ENTITIES[spec.entity]
    c = Context(actor, filters)
    qs = c.in_period(c.scoped(model), spec.date_field)
    keys: list[str] = []
    columns: list[tuple[str, Any]] = []
    if spec.bucket:
        qs = qs.annotate(bucket=BUCKETS[spec.bucket](spec.date_field))
        keys.append("bucket")
        columns.append(("bucket", spec.bucket))
    for name in spec.group_by:
        value, label = groups[name]
        keys += [value, label] if value != label else [value]
        columns.append((name, name))
    aggregates: dict[str, Any] = {}
    for measure in spec.measures:
        op, _sep, name = measure.partition(":")
        aggregates[measure] = Count("id") if measure == "count" else REPORT_OPS[op](name)
        columns.append((measure, measure))
    if keys:
        grouped = qs.values(*keys).annotate(**aggregates).order_by(*keys)[:REPORT_ROWS]
    else:
        # values() without fields would group by every column, one row per record.
        grouped = [qs.aggregate(**aggregates)]
    rows = []
    for row in grouped:
        out: dict[str, Any] = {}
        if spec.bucket:
            out["bucket"] = _bucket_label(row["bucket"], "month" if spec.bucket == "month" else "")
        for name in spec.group_by:
            value, label = groups[name]
            out[name] = row[label] if row[label] not in (None, "") else "—"
        for measure in spec.measures:
            result = row[measure]
            if isinstance(result, Decimal):
                result = _money(result)
            out[measure] = round(result, 2) if isinstance(result, float) else result
        out["label"] = " · ".join(
            str(out[k]) for k, _l in columns[: len(columns) - len(spec.measures)]
        ) or str(_("All"))
        rows.append(out)
    return Figure(
        "report",
        _("Report: %(entity)s") % {"entity": spec.entity},
        "line" if spec.bucket and not spec.group_by else "bars",
        columns,
        rows,
        values=[spec.measures[0]],
    )


def report(actor: User, params: Any) -> Figure:
    """Parse and run an ad-hoc report for `actor`, who needs `view_reports` (any depth:
    the figures are limited to what they read anyway)."""
    if privilege_depth(actor, "view_reports") == NONE:
        raise Forbidden("running reports needs the view_reports privilege")
    return run_report(actor, parse_report(params), parse_filters(params))


# Saved reports ------------------------------------------------------------------------

FILTER_KEYS = ("period", "start", "end", "unit_id", "team_id", "owner_user_id", "hours")


def saved_report_spec(report: Any) -> ReportSpec:
    """The `ReportSpec` a saved report stands for (validated as on the ad-hoc builder)."""
    return parse_report(
        {
            "entity": report.entity,
            "group_by": list(report.group_by or []),
            "measure": list(report.measures or []),
            "bucket": report.bucket or "",
            "date_field": report.date_field or "created_at",
        }
    )


def saved_report_list(actor: User) -> QuerySet:
    """The saved reports `actor` may read: their own, those shared with them and those
    their roles' report depth reaches."""
    from trellis.analytics.models import SavedReport

    return visible(actor, SavedReport).select_related("owner_user", "owner_team")


def saved_report_get(actor: User, report_id: int) -> Any:
    """One saved report `actor` may read; `NotFound` otherwise (hidden looks missing)."""
    report = saved_report_list(actor).filter(pk=report_id).first()
    if report is None:
        raise NotFound(f"report {report_id} not found")
    return report


def report_run_list(actor: User, report: Any) -> QuerySet:
    """Stored results of a report `actor` may read, newest first."""
    from trellis.analytics.models import ReportRun

    return ReportRun.objects.filter(report__in=saved_report_list(actor).filter(pk=report.pk))


def report_run_get(actor: User, report_id: int, run_id: int) -> Any:
    """One stored result, readable by whoever may read its report; `NotFound` otherwise."""
    report = saved_report_get(actor, report_id)
    run = report_run_list(actor, report).filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"report run {run_id} not found")
    return run


def appraisal_person(actor: User, person_id: int, filters: Filters) -> Figure:
    """The appraisal row of one person (volume, win rate, resolution time, satisfaction,
    SLA met, follow-up latency) over the period, counted only from records `actor` reads.
    Needs `view_reports`; a person outside the actor's reach is `NotFound`."""
    if privilege_depth(actor, "view_reports") == NONE:
        raise Forbidden("appraisals need the view_reports privilege")
    person = User.objects.filter(pk=person_id).first()
    in_reach = person is not None and (
        person.pk == actor.pk
        or any(
            visible(actor, model).filter(owner_user_id=person.pk).exists()
            for model in (Opportunity, Case, Lead)
        )
    )
    if not in_reach:
        raise NotFound(f"user {person_id} not found")
    narrowed = Filters(
        filters.period,
        filters.start,
        filters.end,
        filters.unit,
        filters.team,
        person,
        filters.hours,
        filters.anchor,
    )
    return appraisal(Context(actor, narrowed))
