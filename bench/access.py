"""Benchmark of the access engine (`trellis bench access`).

Builds (or reuses) a large organization on the configured database — by default 1,000
units six levels deep, 10,000 users, 2,000 owner teams, 1,000,000 accounts and 300,000
shares — then, for 30 users sampled across roles and depths, times:
  * the first page of 50 visible accounts ordered by last modified,
  * the same page without access filtering, in the same run (the ratio is the figure),
  * the count of visible accounts,
  * one `can()` call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from trellis.access.engine import can, scope_cache, scope_for, visible
from trellis.customers.models import Account
from trellis.org.closure import rebuild_all
from trellis.org.models import BusinessUnit, SecurityRole, Team, TeamMembership, User

ROOT_NAME = "Bench Head Office"
# Share of users per built-in role (the rest of the mix a real company has).
ROLE_MIX = [
    ("Sales Representative", 0.45),
    ("Customer Service Representative", 0.15),
    ("Back Office", 0.08),
    ("Team Leader", 0.06),
    ("Sales Manager", 0.06),
    ("Service Manager", 0.04),
    ("Marketing Specialist", 0.04),
    ("Partner", 0.05),
    ("Executive", 0.02),
    ("Data Analyst", 0.02),
    ("Product Manager", 0.02),
    ("System Administrator", 0.01),
]


def _insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Fast bulk insert: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def build(args: argparse.Namespace, out) -> None:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    roles = {role.name: role for role in SecurityRole.objects.all()}
    with transaction.atomic():
        root = BusinessUnit.objects.filter(parent__isnull=True).first()
        if root is None:
            root = BusinessUnit.objects.create(name=ROOT_NAME, depth=0)
            root.path = f"/{root.pk}/"
            root.save()
        units = [root]
        while len(units) < args.units:
            parent = rng.choice([u for u in units[-400:] if u.depth < 5] or [root])
            unit = BusinessUnit.objects.create(
                name=f"Unit {len(units)}", parent=parent, depth=parent.depth + 1
            )
            unit.path = f"{parent.path}{unit.pk}/"
            unit.save(update_fields=["path"])
            units.append(unit)
        out(f"units: {len(units)} (max depth {max(u.depth for u in units) + 1} levels)")

        password = User(username="x")
        password.set_unusable_password()
        names = [name for name, _ in ROLE_MIX]
        weights = [weight for _, weight in ROLE_MIX]
        users = []
        for i in range(args.users):
            role_name = rng.choices(names, weights)[0]
            users.append(
                User(
                    username=f"bench{i}",
                    password=password.password,
                    unit=rng.choice(units),
                    user_type="partner" if role_name == "Partner" else "internal",
                    first_name=role_name,
                )
            )
        User.objects.bulk_create(users, batch_size=2000)
        users = list(User.objects.filter(username__startswith="bench").order_by("pk"))
        by_unit = defaultdict(list)
        for user in users:
            by_unit[user.unit_id].append(user)
        role_rows = []
        for user in users:
            role_rows.append(
                User.roles.through(user_id=user.pk, securityrole_id=roles[user.first_name].pk)
            )
            peers = by_unit[user.unit_id]
            manager = peers[0] if peers[0].pk != user.pk else None
            if manager is None and user.unit.parent_id and by_unit.get(user.unit.parent_id):
                manager = by_unit[user.unit.parent_id][0]
            user.reports_to = manager
        User.roles.through.objects.bulk_create(role_rows, batch_size=5000)
        User.objects.bulk_update(users, ["reports_to"], batch_size=2000)
        rebuild_all()
        out(f"users: {len(users)}")

        teams = Team.objects.bulk_create(
            [Team(name=f"Team {i}", unit=rng.choice(units)) for i in range(args.teams)],
            batch_size=2000,
        )
        teams = list(Team.objects.filter(name__startswith="Team ").order_by("pk"))
        members, team_roles = [], []
        for team in teams:
            for user in rng.sample(users, 5):
                members.append(TeamMembership(team=team, user=user))
            if rng.random() < 0.3:
                team_roles.append(
                    Team.roles.through(
                        team_id=team.pk, securityrole_id=roles["Sales Representative"].pk
                    )
                )
        TeamMembership.objects.bulk_create(members, batch_size=5000, ignore_conflicts=True)
        Team.roles.through.objects.bulk_create(team_roles, batch_size=5000)
        out(f"teams: {len(teams)}")

    now = timezone.now()
    columns = [
        "name",
        "industry",
        "size_segment",
        "region",
        "tier",
        "currency",
        "website",
        "phone",
        "email",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
        "description",
        "external_id",
        "owner_user_id",
        "owner_team_id",
        "owning_unit_id",
        "created_at",
        "modified_at",
        "version",
    ]
    owners = [(u.pk, None, u.unit_id) for u in users if u.first_name != "System Administrator"]
    team_owners = [(None, t.pk, t.unit_id) for t in teams]
    batch: list[tuple] = []
    for i in range(args.accounts):
        owner_user, owner_team, unit_id = (
            rng.choice(team_owners) if rng.random() < 0.1 else rng.choice(owners)
        )
        modified = now - dt.timedelta(seconds=rng.randrange(0, 730 * 86400))
        batch.append(
            (
                f"Account {i}",
                "",
                "",
                "",
                "standard",
                "USD",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                owner_user,
                owner_team,
                unit_id,
                modified,
                modified,
                1,
            )
        )
        if len(batch) == 20000:
            with transaction.atomic():
                _insert("customers_account", columns, batch)
            batch = []
    with transaction.atomic():
        _insert("customers_account", columns, batch)
    out(f"accounts: {Account.objects.count()}")

    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Account).pk
    low, high = (
        Account.objects.order_by("pk").values_list("pk", flat=True)[:1][0],
        (Account.objects.order_by("-pk").values_list("pk", flat=True)[:1][0]),
    )
    seen, shares = set(), []
    while len(shares) < args.shares:
        record = rng.randint(low, high)
        if rng.random() < 0.8:
            key = (record, rng.choice(users).pk, None)
        else:
            key = (record, None, rng.choice(teams).pk)
        if key in seen:
            continue
        seen.add(key)
        shares.append(
            (ct, key[0], key[1], key[2], True, rng.random() < 0.3, False, False, False, now)
        )
    with transaction.atomic():
        _insert(
            "access_share",
            [
                "record_type_id",
                "record_id",
                "user_id",
                "team_id",
                "can_read",
                "can_write",
                "can_delete",
                "can_assign",
                "can_share",
                "created_at",
            ],
            shares,
        )
    out(f"shares: {len(shares)}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"built in {time.perf_counter() - started:.0f} s")


def _sample_users(rng: random.Random, count: int) -> list[User]:
    """`count` users spread over roles (every role, then by weight) and unit depths."""
    by_role = defaultdict(list)
    for user in User.objects.filter(username__startswith="bench").select_related("unit"):
        by_role[user.first_name].append(user)
    picked = []
    for name, _ in ROLE_MIX:
        if by_role[name]:
            picked.append(rng.choice(by_role[name]))
    pool = [u for users in by_role.values() for u in users if u not in picked]
    pool.sort(key=lambda u: (u.unit.depth, u.pk))
    step = max(1, len(pool) // max(1, count - len(picked)))
    picked.extend(pool[::step][: count - len(picked)])
    return picked


def _time(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(args: argparse.Namespace, out) -> dict:
    rng = random.Random(args.seed + 1)
    users = _sample_users(rng, args.sample)
    filtered, unfiltered, counts, per_user = [], [], [], []
    with scope_cache():
        for user in users:
            scope_for(user)
            page = visible(user, Account).order_by("-modified_at", "-id")[:50]
            plain = Account.objects.order_by("-modified_at", "-id")[:50]
            list(page.all()), list(plain.all())  # warm caches
            times = []
            for _ in range(args.repeat):
                # .all() clones the queryset so every run goes to the database.
                unfiltered.extend(_time(lambda qs=plain: list(qs.all()), 1))
                times.extend(_time(lambda qs=page: list(qs.all()), 1))
            filtered.extend(times)
            count_times = _time(
                lambda u=user: visible(u, Account).count(), max(1, args.repeat // 2)
            )
            counts.extend(count_times)
            per_user.append(
                (
                    user.first_name,
                    user.unit.depth,
                    visible(user, Account).count(),
                    statistics.median(times),
                    statistics.median(count_times),
                )
            )
        ids = [rng.randint(1, args.accounts) for _ in range(400)]
        records = list(Account.objects.filter(pk__in=ids)[:200])
        pairs = [(rng.choice(users), rng.choice(records)) for _ in range(args.can_calls)]
        started = time.perf_counter()
        for user, record in pairs:
            can(user, "read", record)
        can_us = (time.perf_counter() - started) / len(pairs) * 1e6
    result = {
        "database": connection.vendor,
        "accounts": Account.objects.count(),
        "users_sampled": len(users),
        "page_median_ms": round(statistics.median(filtered), 2),
        "page_p95_ms": round(_pct(filtered, 0.95), 2),
        "unfiltered_median_ms": round(statistics.median(unfiltered), 2),
        "unfiltered_p95_ms": round(_pct(unfiltered, 0.95), 2),
        "ratio_median": round(statistics.median(filtered) / statistics.median(unfiltered), 2),
        "ratio_p95": round(_pct(filtered, 0.95) / _pct(unfiltered, 0.95), 2),
        "count_median_ms": round(statistics.median(counts), 2),
        "count_p95_ms": round(_pct(counts, 0.95), 2),
        "can_us_per_call": round(can_us, 1),
    }
    out("\nper user (role, unit depth, visible accounts, page median ms, count median ms):")
    for row in sorted(per_user, key=lambda r: -r[3]):
        out(f"  {row[0]:<32} depth {row[1]}  {row[2]:>8}  {row[3]:8.2f}  {row[4]:8.2f}")
    out("\n" + json.dumps(result, indent=2))
    return result


def run(argv: list[str], out=print) -> dict:
    parser = argparse.ArgumentParser(prog="trellis bench access")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--shares", type=int, default=300_000)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--can-calls", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build even when the database already holds bench data",
    )
    args = parser.parse_args(argv)
    existing = Account.objects.count()
    if args.rebuild or existing == 0:
        if existing and not args.rebuild:
            raise SystemExit("the database is not empty; use a dedicated bench database")
        build(args, out)
    else:
        out(f"reusing {existing} accounts already in the database (--rebuild to start over)")
    return measure(args, out)
