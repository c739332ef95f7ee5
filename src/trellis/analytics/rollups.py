"""Rollups of opportunities, cases and leads kept exact by database triggers (issue 5).

Every way records change — services, bulk assign, cascades, imports written with COPY or
multi-row INSERT, owner moves — ends in an INSERT, UPDATE or DELETE on the record tables,
so the one hook that sees them all is the database itself. Triggers installed here add a
record's contribution (`OPP_FACTS`, `CASE_FACTS`) when a row appears, subtract the old one
and add the new one when it changes, and subtract it when it goes, in the writing
transaction. On PostgreSQL they run once per statement over the transition tables (a bulk
update touches each rollup row once); on SQLite once per row. SLA breach events adjust
the `breached` counts of their case.

Rollup rows are keyed by the columns access decides on (owner user, owner team, owning
unit), so a dashboard reads the keyed part of `trellis.access.scope.read_scope` from them
and counts only the records reached through shares or hierarchy from the raw tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django.utils import timezone

from trellis.service import models as service_models

OPP_TABLE = "sales_opportunity"
CASE_TABLE = "service_case"
EVENT_TABLE = "sla_slaevent"
LEAD_TABLE = "sales_lead"
LEAD_ROLLUP = "analytics_leadrollup"
OPP_ROLLUP = "analytics_opportunityrollup"
CASE_ROLLUP = "analytics_caserollup"
CLOSED_STAGES = ("won", "lost")
# The case sets the triggers test, as plain strings for the SQL (the service app's own).
OPEN_STATUSES = tuple(str(status) for status in service_models.OPEN_STATUSES)
DONE_STATUSES = tuple(str(status) for status in service_models.DONE_STATUSES)
FEEDBACK_TYPES = tuple(str(kind) for kind in service_models.FEEDBACK_TYPES)
OPP_KEYS = ("owner_user_id", "owner_team_id", "owning_unit_id", "stage", "month")
CASE_KEYS = (
    "fact",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "priority",
    "type",
    "product",
    "month",
)
LEAD_KEYS = (
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "campaign_id",
    "source",
    "status",
    "month",
)
LEAD_MEASURES = ("n",)
LEAD_COLUMNS = (
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "campaign_id",
    "source",
    "status",
    "created_at",
)
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
# Columns whose change can move a record's contribution (SQLite triggers fire on these).
OPP_COLUMNS = (
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "stage",
    "closed_at",
    "amount",
    "probability",
)
CASE_COLUMNS = (
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "status",
    "priority",
    "type",
    "product_name",
    "created_at",
    "resolved_at",
    "first_response_at",
    "satisfaction",
)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


@dataclass(frozen=True)
class Dialect:
    vendor: str
    time_zone: str

    def month(self, column: str) -> str:
        """The local calendar month of a timestamp as yyyymm."""
        tz = self.time_zone.replace("'", "")
        if self.vendor == "postgresql":
            return f"CAST(to_char(({column}) AT TIME ZONE '{tz}', 'YYYYMM') AS integer)"
        if tz == "UTC":
            return f"CAST(strftime('%Y%m', {column}) AS INTEGER)"
        # Django registers this function on every SQLite connection it opens.
        return (
            f"(django_datetime_extract('year', {column}, '{tz}', 'UTC') * 100"
            f" + django_datetime_extract('month', {column}, '{tz}', 'UTC'))"
        )

    def day(self, column: str) -> str:
        """The local date of a timestamp as yyyymmdd."""
        tz = self.time_zone.replace("'", "")
        if self.vendor == "postgresql":
            return f"CAST(to_char(({column}) AT TIME ZONE '{tz}', 'YYYYMMDD') AS integer)"
        if tz == "UTC":
            return f"CAST(strftime('%Y%m%d', {column}) AS INTEGER)"
        return (
            f"(django_datetime_extract('year', {column}, '{tz}', 'UTC') * 10000"
            f" + django_datetime_extract('month', {column}, '{tz}', 'UTC') * 100"
            f" + django_datetime_extract('day', {column}, '{tz}', 'UTC'))"
        )

    def micros(self, end: str, start: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000) AS bigint)"
        # Django's own function (registered on its connections, as django_datetime_extract
        # above): exact microseconds, where julianday's floating point is off by a few, which
        # is enough to tip a figure rounded for display away from the raw one.
        return f"django_timestamp_diff({end}, {start})"


@dataclass(frozen=True)
class Fact:
    """One row a record contributes to: when `condition` holds, `keys` and `measures` are
    SQL over the record's columns (written as `r.column`)."""

    condition: Callable[[Dialect, str], str]
    keys: Callable[[Dialect, str], list[str]]
    measures: Callable[[Dialect, str], list[str]]


def _owner_keys(r: str) -> list[str]:
    return [
        f"COALESCE({r}.owner_user_id, 0)",
        f"COALESCE({r}.owner_team_id, 0)",
        f"COALESCE({r}.owning_unit_id, 0)",
    ]


OPP_FACTS = [
    Fact(
        lambda d, r: "1 = 1",
        lambda d, r: [
            *_owner_keys(r),
            f"{r}.stage",
            f"CASE WHEN {r}.stage IN {_in(CLOSED_STAGES)} AND {r}.closed_at IS NOT NULL"
            f" THEN {d.month(f'{r}.closed_at')} ELSE 0 END",
        ],
        lambda d, r: ["1", f"{r}.amount", f"{r}.amount * {r}.probability"],
    )
]


def _breached(r: str) -> str:
    return (
        f"CASE WHEN EXISTS (SELECT 1 FROM {EVENT_TABLE} e WHERE e.entity = 'case'"
        f" AND e.record_id = {r}.id) THEN 1 ELSE 0 END"
    )


CASE_FACTS = [
    Fact(
        lambda d, r: f"{r}.status IN {_in(OPEN_STATUSES)}",
        lambda d, r: ["'open'", *_owner_keys(r), f"{r}.priority", "''", "''", "0"],
        lambda d, r: ["1", "0", "0", "0", "0", "0", "0"],
    ),
    Fact(
        lambda d, r: f"{r}.status IN {_in(DONE_STATUSES)} AND {r}.resolved_at IS NOT NULL",
        lambda d, r: [
            "'done'",
            *_owner_keys(r),
            f"{r}.priority",
            "''",
            "''",
            d.month(f"{r}.resolved_at"),
        ],
        lambda d, r: [
            "1",
            _breached(r),
            f"CASE WHEN {r}.first_response_at IS NULL THEN 0 ELSE 1 END",
            f"COALESCE({d.micros(f'{r}.first_response_at', f'{r}.created_at')}, 0)",
            d.micros(f"{r}.resolved_at", f"{r}.created_at"),
            f"CASE WHEN {r}.satisfaction IS NULL THEN 0 ELSE 1 END",
            f"COALESCE({r}.satisfaction, 0)",
        ],
    ),
    Fact(
        lambda d, r: "1 = 1",
        lambda d, r: [
            "'new'",
            *_owner_keys(r),
            "''",
            f"{r}.type",
            f"CASE WHEN {r}.type IN {_in(FEEDBACK_TYPES)} THEN {r}.product_name ELSE '' END",
            d.month(f"{r}.created_at"),
        ],
        lambda d, r: ["1", _breached(r), "0", "0", "0", "0", "0"],
    ),
    # Rated resolved cases by the day resolved (yyyymmdd in `month`): trends per day,
    # week or month of any period.
    Fact(
        lambda d, r: (
            f"{r}.status IN {_in(DONE_STATUSES)} AND {r}.resolved_at IS NOT NULL"
            f" AND {r}.satisfaction IS NOT NULL"
        ),
        lambda d, r: ["'rated'", *_owner_keys(r), "''", "''", "''", d.day(f"{r}.resolved_at")],
        lambda d, r: ["1", "0", "0", "0", "0", "1", f"{r}.satisfaction"],
    ),
]


# Leads by the local month created; open leads are the rows of the open statuses.
LEAD_FACTS = [
    Fact(
        lambda d, r: "1 = 1",
        lambda d, r: [
            *_owner_keys(r),
            f"COALESCE({r}.campaign_id, 0)",
            f"{r}.source",
            f"{r}.status",
            d.month(f"{r}.created_at"),
        ],
        lambda d, r: ["1"],
    )
]


@dataclass(frozen=True)
class Rollup:
    name: str
    table: str
    rollup: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    facts: list[Fact]
    columns: tuple[str, ...]


ROLLUPS = (
    Rollup("opp", OPP_TABLE, OPP_ROLLUP, OPP_KEYS, OPP_MEASURES, OPP_FACTS, OPP_COLUMNS),
    Rollup("case", CASE_TABLE, CASE_ROLLUP, CASE_KEYS, CASE_MEASURES, CASE_FACTS, CASE_COLUMNS),
    Rollup("lead", LEAD_TABLE, LEAD_ROLLUP, LEAD_KEYS, LEAD_MEASURES, LEAD_FACTS, LEAD_COLUMNS),
)


def _select(d: Dialect, rollup: Rollup, fact: Fact, alias: str, sign: int) -> str:
    """One fact's contribution of the rows `alias` (times `sign`) as SELECT columns."""
    keys = [
        f"{expr} AS {name}" for expr, name in zip(fact.keys(d, alias), rollup.keys, strict=True)
    ]
    measures = [
        f"{'-' if sign < 0 else ''}({expr}) AS {name}"
        for expr, name in zip(fact.measures(d, alias), rollup.measures, strict=True)
    ]
    return ", ".join(keys + measures)


def _upsert_tail(rollup: Rollup, qualified: bool) -> str:
    target = rollup.rollup if qualified else ""
    sets = ", ".join(
        f"{m} = {target + '.' if target else ''}{m} + excluded.{m}" for m in rollup.measures
    )
    return f"ON CONFLICT ({', '.join(rollup.keys)}) DO UPDATE SET {sets}"


def _pg_delta(d: Dialect, rollup: Rollup, sources: list[tuple[str, int]]) -> str:
    """One INSERT .. ON CONFLICT adding the contributions of transition tables."""
    parts = [
        f"SELECT {_select(d, rollup, fact, 'r', sign)} FROM {source} r"
        f" WHERE {fact.condition(d, 'r')}"
        for source, sign in sources
        for fact in rollup.facts
    ]
    keys = ", ".join(rollup.keys)
    sums = ", ".join(f"SUM({m})" for m in rollup.measures)
    nonzero = " OR ".join(f"SUM({m}) <> 0" for m in rollup.measures)
    return (
        f"INSERT INTO {rollup.rollup} ({keys}, {', '.join(rollup.measures)})"
        f" SELECT {keys}, {sums} FROM ({' UNION ALL '.join(parts)}) delta"
        f" GROUP BY {keys} HAVING {nonzero} ORDER BY {keys} {_upsert_tail(rollup, True)}"
    )


def _sqlite_delta(d: Dialect, rollup: Rollup, fact: Fact, alias: str, sign: int) -> str:
    cols = ", ".join(rollup.keys + rollup.measures)
    # "WHERE" is required before ON CONFLICT after a SELECT (SQLite's parsing rule).
    return (
        f"INSERT INTO {rollup.rollup} ({cols}) SELECT {_select(d, rollup, fact, alias, sign)}"
        f" WHERE {fact.condition(d, alias)} {_upsert_tail(rollup, False)};"
    )


def _event_sql(d: Dialect, alias: str, delta: int) -> str:
    """Move a case's `breached` count by `delta` in its new and done rows."""
    new, done = CASE_FACTS[2], CASE_FACTS[1]
    keys = ", ".join(CASE_KEYS)
    return (
        f"UPDATE {CASE_ROLLUP} SET breached = breached + ({delta}) WHERE ({keys}) IN ("
        f"SELECT {', '.join(new.keys(d, 'c'))} FROM {CASE_TABLE} c WHERE c.id = {alias}.record_id"
        f" UNION ALL SELECT {', '.join(done.keys(d, 'c'))} FROM {CASE_TABLE} c"
        f" WHERE c.id = {alias}.record_id AND {done.condition(d, 'c')})"
    )


def _first_event(alias: str) -> str:
    return (
        f"{alias}.entity = 'case' AND NOT EXISTS (SELECT 1 FROM {EVENT_TABLE} o"
        f" WHERE o.entity = 'case' AND o.record_id = {alias}.record_id AND o.id <> {alias}.id)"
    )


def drop_sql(vendor: str) -> list[str]:
    out = []
    for rollup in ROLLUPS:
        for op in ("ins", "upd", "del"):
            name = f"analytics_{rollup.name}_rollup_{op}"
            out.append(
                f"DROP TRIGGER IF EXISTS {name} ON {rollup.table}"
                if vendor == "postgresql"
                else f"DROP TRIGGER IF EXISTS {name}"
            )
    for op in ("ins", "upd", "del"):
        name = f"analytics_event_rollup_{op}"
        out.append(
            f"DROP TRIGGER IF EXISTS {name} ON {EVENT_TABLE}"
            if vendor == "postgresql"
            else f"DROP TRIGGER IF EXISTS {name}"
        )
    if vendor == "postgresql":
        for rollup in ROLLUPS:
            out.append(f"DROP FUNCTION IF EXISTS analytics_{rollup.name}_rollup()")
        out.append("DROP FUNCTION IF EXISTS analytics_event_rollup()")
    return out


def install_sql(vendor: str, time_zone: str, kept: tuple[Rollup, ...] = ROLLUPS) -> list[str]:
    """The statements that (re)create the triggers (of the `kept` rollups)."""
    d = Dialect(vendor, time_zone)
    out = drop_sql(vendor)
    if vendor == "postgresql":
        for rollup in kept:
            fn = f"analytics_{rollup.name}_rollup"
            out.append(
                f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF TG_OP = 'INSERT' THEN {_pg_delta(d, rollup, [('new_rows', 1)])};"
                f" ELSIF TG_OP = 'DELETE' THEN {_pg_delta(d, rollup, [('old_rows', -1)])};"
                f" ELSE {_pg_delta(d, rollup, [('old_rows', -1), ('new_rows', 1)])};"
                " END IF; RETURN NULL; END $$"
            )
            for op, event, refs in (
                ("ins", "INSERT", "NEW TABLE AS new_rows"),
                ("upd", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("del", "DELETE", "OLD TABLE AS old_rows"),
            ):
                out.append(
                    f"CREATE TRIGGER analytics_{rollup.name}_rollup_{op} AFTER {event}"
                    f" ON {rollup.table} REFERENCING {refs} FOR EACH STATEMENT"
                    f" EXECUTE FUNCTION {fn}()"
                )
        out.append(
            "CREATE FUNCTION analytics_event_rollup() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN"
            " IF TG_OP IN ('DELETE', 'UPDATE') THEN IF "
            + _first_event("OLD")
            + f" THEN {_event_sql(d, 'OLD', -1)}; END IF; END IF;"
            " IF TG_OP IN ('INSERT', 'UPDATE') THEN IF "
            + _first_event("NEW")
            + f" THEN {_event_sql(d, 'NEW', 1)}; END IF; END IF;"
            " RETURN NULL; END $$"
        )
        for op, event in (("ins", "INSERT"), ("upd", "UPDATE"), ("del", "DELETE")):
            out.append(
                f"CREATE TRIGGER analytics_event_rollup_{op} AFTER {event} ON {EVENT_TABLE}"
                " FOR EACH ROW EXECUTE FUNCTION analytics_event_rollup()"
            )
        return out
    for rollup in kept:
        adds = " ".join(_sqlite_delta(d, rollup, f, "NEW", 1) for f in rollup.facts)
        subs = " ".join(_sqlite_delta(d, rollup, f, "OLD", -1) for f in rollup.facts)
        prefix = f"analytics_{rollup.name}_rollup"
        out.append(f"CREATE TRIGGER {prefix}_ins AFTER INSERT ON {rollup.table} BEGIN {adds} END")
        out.append(
            f"CREATE TRIGGER {prefix}_upd AFTER UPDATE OF {', '.join(rollup.columns)}"
            f" ON {rollup.table} BEGIN {subs} {adds} END"
        )
        out.append(f"CREATE TRIGGER {prefix}_del AFTER DELETE ON {rollup.table} BEGIN {subs} END")
    # On SQLite the event row is already gone (DELETE) or present (INSERT) in AFTER
    # triggers, as on PostgreSQL.
    out.append(
        f"CREATE TRIGGER analytics_event_rollup_ins AFTER INSERT ON {EVENT_TABLE}"
        f" WHEN {_first_event('NEW')} BEGIN {_event_sql(d, 'NEW', 1)}; END"
    )
    out.append(
        f"CREATE TRIGGER analytics_event_rollup_del AFTER DELETE ON {EVENT_TABLE}"
        f" WHEN {_first_event('OLD')} BEGIN {_event_sql(d, 'OLD', -1)}; END"
    )
    out.append(
        f"CREATE TRIGGER analytics_event_rollup_upd AFTER UPDATE OF entity, record_id"
        f" ON {EVENT_TABLE} BEGIN"
        f" {_event_sql(d, 'OLD', -1)} AND {_first_event('OLD')};"
        f" {_event_sql(d, 'NEW', 1)} AND {_first_event('NEW')}; END"
    )
    return out


def rebuild_sql(vendor: str, time_zone: str, kept: tuple[Rollup, ...] = ROLLUPS) -> list[str]:
    """Empty the rollups and fill them from the records (one grouped INSERT each)."""
    d = Dialect(vendor, time_zone)
    out = [f"DELETE FROM {rollup.rollup}" for rollup in kept]
    for rollup in kept:
        parts = [
            f"SELECT {_select(d, rollup, fact, 'r', 1)} FROM {rollup.table} r"
            f" WHERE {fact.condition(d, 'r')}"
            for fact in rollup.facts
        ]
        keys = ", ".join(rollup.keys)
        sums = ", ".join(f"SUM({m})" for m in rollup.measures)
        out.append(
            f"INSERT INTO {rollup.rollup} ({keys}, {', '.join(rollup.measures)})"
            f" SELECT {keys}, {sums} FROM ({' UNION ALL '.join(parts)}) delta GROUP BY {keys}"
        )
    return out


def install(connection=None, *, rebuild: bool = True) -> None:
    """(Re)create the triggers for the current `TIME_ZONE` and, with `rebuild`, refill
    the rollups from the records, in one transaction."""
    from trellis.analytics.models import RollupState

    connection = connection or default_connection
    vendor, tz = connection.vendor, settings.TIME_ZONE
    # A migration before a rollup's table exists installs the others (a later one adds it).
    tables = set(connection.introspection.table_names())
    kept = tuple(rollup for rollup in ROLLUPS if rollup.rollup in tables)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in install_sql(vendor, tz, kept):
            cursor.execute(statement)
        if rebuild:
            for statement in rebuild_sql(vendor, tz, kept):
                cursor.execute(statement)
        RollupState.objects.using(connection.alias).all().delete()
        RollupState.objects.using(connection.alias).create(
            time_zone=tz, rebuilt_at=timezone.now() if rebuild else None
        )


def current() -> bool:
    """Are the rollups kept for this process's `TIME_ZONE`? (Else figures count raw.)"""
    from trellis.analytics.models import RollupState

    state = RollupState.objects.values_list("time_zone", flat=True).first()
    return state == settings.TIME_ZONE
