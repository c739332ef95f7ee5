"""Benchmark of the dashboards (`trellis bench analytics`, issue 5).

Builds (or reuses) an organization on the configured database — a unit tree (root,
regions, districts, branches), ~2,000 users over the built-in roles, an owner team per
branch, 20,000 accounts, 1,000,000 opportunities, 1,000,000 cases and 100,000 leads
spread over two years — then times, over repeated runs:

  * a team manager's dashboards (the sales-manager and the service-manager figures) for
    managers sampled across regions and districts, each run over what that manager reads;
  * the org-wide executive dashboard;
  * baselines in the same run: the same figures computed by a full-access user (no access
    filter) narrowed to the same unit, so the ratio shows what access filtering costs; and
    the same dashboards counted from the raw records (no rollups, `--raw-repeat` runs), so
    the ratio shows what the rollups (trellis.analytics.rollups) save.

Managers are sampled from a list in a fixed order (by id), so a seed names the same
people on every database. The rollups are kept by triggers while the records are written;
`--rebuild` refills them from the records first (as `trellis analytics_rebuild`).

Goals (issue 5, PostgreSQL): p95 <= 150 ms for a team dashboard, <= 500 ms org-wide.
Data are generated set-wise (COPY on PostgreSQL, large executemany batches on SQLite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from bench.access import _insert, _pct
from trellis.access.engine import scope_cache
from trellis.analytics import rollups, selectors
from trellis.customers.models import Account
from trellis.org.closure import rebuild_all
from trellis.org.models import BusinessUnit, SecurityRole, Team, TeamMembership, User
from trellis.sales.models import Opportunity
from trellis.service.models import Case

ROOT_NAME = "Bench Analytics HQ"
ROLE_MIX = [
    ("Sales Representative", 0.45),
    ("Customer Service Representative", 0.30),
    ("Sales Manager", 0.05),
    ("Service Manager", 0.04),
    ("Team Leader", 0.04),
    ("Marketing Specialist", 0.04),
    ("Back Office", 0.04),
    ("Executive", 0.02),
    ("Data Analyst", 0.02),
]
STAGES = ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
STAGE_WEIGHTS = [20, 15, 12, 8, 25, 20]
CASE_STATUSES = ["new", "in_progress", "waiting", "resolved", "closed"]
CASE_WEIGHTS = [8, 10, 4, 28, 50]
PRIORITIES = ["low", "normal", "high", "urgent"]
CASE_TYPES = ["question", "problem", "complaint", "feedback", "request"]
CHANNELS = ["phone", "email", "web", "chat", "visit"]
PRODUCTS = ["Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor"]
SOURCES = ["web_form", "email_campaign", "event", "referral", "partner", "other"]
LEAD_STATUSES = ["new", "contacted", "qualified", "disqualified"]
BATCH = 50_000


def _flush(table: str, columns: list[str], rows: list[tuple]) -> None:
    with transaction.atomic():
        _insert(table, columns, rows)


def build_org(args: argparse.Namespace, rng: random.Random, out) -> None:
    roles = {role.name: role for role in SecurityRole.objects.all()}
    with transaction.atomic():
        root = BusinessUnit.objects.filter(parent__isnull=True).first()
        if root is None:
            root = BusinessUnit.objects.create(name=ROOT_NAME, depth=0)
            root.path = f"/{root.pk}/"
            root.save(update_fields=["path"])
        units, branches = [root], []
        for r in range(args.regions):
            region = BusinessUnit.objects.create(name=f"Region {r}", parent=root, depth=1)
            region.path = f"{root.path}{region.pk}/"
            region.save(update_fields=["path"])
            units.append(region)
            for d in range(4):
                district = BusinessUnit.objects.create(
                    name=f"District {r}.{d}", parent=region, depth=2
                )
                district.path = f"{region.path}{district.pk}/"
                district.save(update_fields=["path"])
                units.append(district)
                for b in range(3):
                    branch = BusinessUnit.objects.create(
                        name=f"Branch {r}.{d}.{b}", parent=district, depth=3
                    )
                    branch.path = f"{district.path}{branch.pk}/"
                    branch.save(update_fields=["path"])
                    units.append(branch)
                    branches.append(branch)
        out(f"units: {len(units)} (4 levels)")

        blank = User(username="x")
        blank.set_unusable_password()
        names = [name for name, _w in ROLE_MIX]
        weights = [weight for _n, weight in ROLE_MIX]
        people = []
        for i in range(args.users):
            role_name = rng.choices(names, weights)[0]
            if role_name in ("Sales Manager", "Service Manager", "Executive", "Data Analyst"):
                unit = rng.choice(units[: 1 + args.regions * 5])  # upper levels
            else:
                unit = rng.choice(branches)
            people.append(
                User(
                    username=f"abench{i}",
                    password=blank.password,
                    unit=unit,
                    first_name=role_name,
                    job_class="front_office",
                )
            )
        people.append(
            User(
                username="abench-admin",
                password=blank.password,
                unit=root,
                first_name="System Administrator",
            )
        )
        User.objects.bulk_create(people, batch_size=2000)
        users = list(User.objects.filter(username__startswith="abench").order_by("pk"))
        by_unit = defaultdict(list)
        for user in users:
            by_unit[user.unit_id].append(user)
        User.roles.through.objects.bulk_create(
            [
                User.roles.through(user_id=u.pk, securityrole_id=roles[u.first_name].pk)
                for u in users
            ],
            batch_size=5000,
        )
        for user in users:
            peers = by_unit[user.unit_id]
            user.reports_to = peers[0] if peers[0].pk != user.pk else None
        User.objects.bulk_update(users, ["reports_to"], batch_size=2000)
        teams = Team.objects.bulk_create(
            [Team(name=f"Team {b.name}", unit=b) for b in branches], batch_size=1000
        )
        members = []
        for team in teams:
            for user in by_unit[team.unit_id][:8]:
                members.append(TeamMembership(team=team, user=user))
        TeamMembership.objects.bulk_create(members, batch_size=5000, ignore_conflicts=True)
        rebuild_all()
        out(f"users: {len(users)}, owner teams: {len(teams)}")


def build_records(args: argparse.Namespace, rng: random.Random, out) -> None:
    started = time.perf_counter()
    now = timezone.now()
    users = list(
        User.objects.filter(username__startswith="abench").exclude(
            first_name="System Administrator"
        )
    )
    sellers = [(u.pk, u.unit_id) for u in users if u.first_name.startswith("Sales")] or [
        (u.pk, u.unit_id) for u in users
    ]
    agents = [(u.pk, u.unit_id) for u in users if "Service" in u.first_name] or sellers
    account_cols = [
        "name", "industry", "size_segment", "region", "tier", "currency", "website", "phone",
        "email", "street", "city", "state", "postal_code", "country", "description",
        "external_id", "owner_user_id", "owner_team_id", "owning_unit_id", "created_at",
        "modified_at", "version",
    ]  # fmt: skip
    rows = []
    for i in range(args.accounts):
        owner, unit = rng.choice(sellers)
        at = now - dt.timedelta(days=rng.randrange(800))
        rows.append(
            (f"Account {i}", "", "", "", "standard", "USD", "", "", "", "", "", "", "", "", "",
             "", owner, None, unit, at, at, 1)
        )  # fmt: skip
    _flush("customers_account", account_cols, rows)
    low = Account.objects.order_by("pk").values_list("pk", flat=True)[0]
    high = low + args.accounts - 1

    span = 730 * 86400
    opp_cols = [
        "owner_user_id", "owning_unit_id", "created_at", "modified_at", "version", "name",
        "account_id", "stage", "amount", "currency", "probability", "close_reason",
        "closed_at", "description", "external_id", "expected_close_date",
    ]  # fmt: skip
    rows = []
    for i in range(args.opportunities):
        owner, unit = rng.choice(sellers)
        created = now - dt.timedelta(seconds=rng.randrange(span))
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        closed = (
            min(now, created + dt.timedelta(days=rng.randrange(1, 90)))
            if stage in ("won", "lost")
            else None
        )
        rows.append(
            (owner, unit, created, closed or created, 1, f"Deal {i}", rng.randint(low, high),
             stage, Decimal(rng.randrange(1_000, 200_000)), "USD",
             {"won": 100, "lost": 0}.get(stage, rng.choice((10, 25, 50, 75))), "", closed, "",
             "", (created + dt.timedelta(days=60)).date())
        )  # fmt: skip
        if len(rows) == BATCH:
            _flush("sales_opportunity", opp_cols, rows)
            rows = []
    _flush("sales_opportunity", opp_cols, rows)
    out(f"opportunities: {args.opportunities} ({time.perf_counter() - started:.0f} s)")

    case_cols = [
        "owner_user_id", "owning_unit_id", "created_at", "modified_at", "version", "subject",
        "description", "account_id", "type", "priority", "channel", "product_name", "status",
        "first_response_at", "resolved_at", "closed_at", "resolution", "satisfaction",
        "queue_key", "external_id", "first_response_due_at", "resolve_due_at",
    ]  # fmt: skip
    rows = []
    for i in range(args.cases):
        owner, unit = rng.choice(agents)
        created = now - dt.timedelta(seconds=rng.randrange(span))
        status = rng.choices(CASE_STATUSES, CASE_WEIGHTS)[0]
        first = created + dt.timedelta(minutes=rng.randrange(5, 3000))
        first = first if first < now and status != "new" else None
        resolved = closed = None
        if status in ("resolved", "closed"):
            resolved = min(now, created + dt.timedelta(hours=rng.randrange(1, 240)))
            closed = resolved if status == "closed" else None
        rows.append(
            (owner, unit, created, resolved or created, 1, f"Case {i}", "",
             rng.randint(low, high), rng.choice(CASE_TYPES), rng.choice(PRIORITIES),
             rng.choice(CHANNELS), rng.choice(PRODUCTS), status, first, resolved, closed, "",
             rng.randint(1, 5) if resolved and rng.random() < 0.4 else None, 0, "",
             created + dt.timedelta(hours=8), created + dt.timedelta(hours=72))
        )  # fmt: skip
        if len(rows) == BATCH:
            _flush("service_case", case_cols, rows)
            rows = []
    _flush("service_case", case_cols, rows)
    out(f"cases: {args.cases} ({time.perf_counter() - started:.0f} s)")

    lead_cols = [
        "owner_user_id", "owning_unit_id", "created_at", "modified_at", "version",
        "first_name", "last_name", "company_name", "job_title", "email", "phone", "phone_raw",
        "source", "product_interest", "region", "country", "rating", "status",
        "disqualify_reason", "first_contacted_at", "qualified_at", "description",
        "external_id",
    ]  # fmt: skip
    rows = []
    for i in range(args.leads):
        owner, unit = rng.choice(sellers)
        created = now - dt.timedelta(seconds=rng.randrange(span))
        status = rng.choice(LEAD_STATUSES)
        contacted = (
            created + dt.timedelta(minutes=rng.randrange(10, 4000)) if status != "new" else None
        )
        rows.append(
            (owner, unit, created, created, 1, "", f"Lead {i}", "", "", "", "", "",
             rng.choice(SOURCES), "", "", "", "", status, "", contacted,
             contacted if status == "qualified" else None, "", "")
        )  # fmt: skip
        if len(rows) == BATCH:
            _flush("sales_lead", lead_cols, rows)
            rows = []
    _flush("sales_lead", lead_cols, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"leads: {args.leads}; records built in {time.perf_counter() - started:.0f} s")


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm caches (the scope, the plan cache, the page cache)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _board(
    user: User, kinds: tuple[str, ...], filters: selectors.Filters, *, use_rollups: bool = True
) -> Callable:
    def run() -> None:
        for kind in kinds:
            c = selectors.Context(user, filters, personal=False, rollups=use_rollups)
            for figure in selectors.BUILDERS[kind](c):
                len(figure.rows)

    return run


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(_pct(values, 0.95), 1),
    }


def measure(args: argparse.Namespace, out) -> dict:
    rng = random.Random(args.seed + 1)
    users = list(
        User.objects.filter(username__startswith="abench").select_related("unit").order_by("pk")
    )
    admin = next(u for u in users if u.first_name == "System Administrator")
    managers = [
        u
        for u in users
        if u.first_name in ("Sales Manager", "Service Manager") and u.unit.depth >= 1
    ]
    managers = rng.sample(managers, min(args.sample, len(managers)))
    executives = [u for u in users if u.first_name == "Executive" and u.unit.depth == 0]
    executives = executives[:1] or [u for u in users if u.first_name == "Executive"][:1]
    team_kinds = ("sales_manager", "service_manager")
    period = {"period": args.period}
    team, team_base, team_raw, per_manager = [], [], [], []
    with scope_cache():
        for manager in managers:
            filters = selectors.parse_filters(period)
            times = _timed(_board(manager, team_kinds, filters), args.repeat)
            team.extend(times)
            narrowed = selectors.parse_filters(period | {"unit_id": str(manager.unit_id)})
            team_base.extend(_timed(_board(admin, team_kinds, narrowed), args.repeat))
            if args.raw_repeat:
                raw = _board(manager, team_kinds, filters, use_rollups=False)
                team_raw.extend(_timed(raw, args.raw_repeat))
            per_manager.append((manager.first_name, manager.unit.depth, statistics.median(times)))
        filters = selectors.parse_filters(period)
        org, org_raw = [], []
        for executive in executives:
            org.extend(_timed(_board(executive, ("executive",), filters), args.repeat))
            if args.raw_repeat:
                raw = _board(executive, ("executive",), filters, use_rollups=False)
                org_raw.extend(_timed(raw, args.raw_repeat))
        org_base = _timed(_board(admin, ("executive",), filters), args.repeat)
    result = {
        "database": connection.vendor,
        "opportunities": Opportunity.objects.count(),
        "cases": Case.objects.count(),
        "period": args.period,
        "managers_sampled": len(managers),
        "repeat": args.repeat,
        "rollups_current": rollups.current(),
        "team_dashboard": _summary(team),
        "team_baseline_unfiltered": _summary(team_base),
        "team_raw_no_rollups": _summary(team_raw) if team_raw else None,
        "org_dashboard": _summary(org),
        "org_baseline_unfiltered": _summary(org_base),
        "org_raw_no_rollups": _summary(org_raw) if org_raw else None,
        "goals": {"team_p95_ms": 150, "org_p95_ms": 500},
    }
    out("\nper manager (role, unit depth, median ms of sales + service dashboards):")
    for row in sorted(per_manager, key=lambda r: -r[2]):
        out(f"  {row[0]:<18} depth {row[1]}  {row[2]:8.1f}")
    out("\n" + json.dumps(result, indent=2))
    return result


def run(argv: list[str], out=print) -> dict:
    parser = argparse.ArgumentParser(prog="trellis bench analytics")
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--period", default="month")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--raw-repeat", type=int, default=2, help="0: no raw baseline")
    parser.add_argument("--rebuild", action="store_true", help="refill the rollups first")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    existing = Opportunity.objects.count()
    if existing == 0:
        if not User.objects.filter(username__startswith="abench").exists():
            build_org(args, rng, out)
        build_records(args, rng, out)
    else:
        out(f"reusing {existing} opportunities already in the database")
    if args.rebuild or not rollups.current():
        started = time.perf_counter()
        rollups.install(rebuild=True)
        out(f"rollups rebuilt in {time.perf_counter() - started:.0f} s")
    # The refill leaves dead rows and no statistics; autovacuum would see to it later.
    with connection.cursor() as cursor:
        for table in (rollups.OPP_ROLLUP, rollups.CASE_ROLLUP, rollups.LEAD_ROLLUP):
            cursor.execute(
                f"VACUUM ANALYZE {table}"
                if connection.vendor == "postgresql"
                else f"ANALYZE {table}"
            )
    if args.build_only:
        return {}
    return measure(args, out)
