"""Benchmark of the search (`trellis bench search`).

Builds (or reuses) on the configured database an organization of ~1,000 units (six levels)
and 10,000 users, 1,000,000 contacts spread over them (accented names, e-mails, E.164
phones, 60 cities; COPY on PostgreSQL, executemany on SQLite), then the search index in
bulk (`search.services.reindex`). It then picks sales managers whose unit subtree holds
about a tenth of the contacts and times realistic queries drawn from stored contacts
(last-name fragments, full names, e-mail parts, phone fragments in national and
international form, cities) as each of them, reporting median and p95 in ms, and the same
queries without access filtering (the ratio is the price of access).

Before measuring, the app's own upkeep runs as the worker would run it: the periodic job
`search.layout` (`search.layout.maintain`), which rewrites the PostgreSQL index table in
unit-path order when its order has decayed (the build inserts contacts in random unit
order, as a database filled over time has them).

Flags: `--build-only` (build, do not measure), `--reindex` (rebuild the index first),
`--raw` (skip the periodic job: measure the table in insertion order), `--cluster`
(reorder the table whatever its state, `search.layout.reorder`), `--drift F` (after the
job, re-index a random fraction F of the contacts in random order, as edits and imports
do between two runs of the job, and measure the table as they leave it), `--previous`
(also time the exact query alone, the approach before the access copies, in the same
run).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter, defaultdict

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from bench.access import _insert, _pct
from trellis.access.engine import scope_cache, scope_for, visible
from trellis.core import periodic
from trellis.customers.models import Contact
from trellis.org.models import BusinessUnit, SecurityRole, User
from trellis.search import layout
from trellis.search.models import SearchEntry
from trellis.search.selectors import candidates, exact_queryset, parse_query, search
from trellis.search.services import index_records, reindex

FIRST = [
    "José",
    "Maria",
    "Giulia",
    "Marco",
    "Ahmad",
    "Budi",
    "Siti",
    "Dewi",
    "Wei",
    "Li",
    "Ming",
    "Anna",
    "Jürgen",
    "Zoë",
    "Chloé",
    "Luca",
    "Francesca",
    "Matteo",
    "Nguyen",
    "Hana",
    "Rina",
    "Agus",
    "Putri",
    "Andrea",
    "Paolo",
    "Sofia",
    "Elena",
    "Björn",
    "Ingrid",
    "Ángel",
    "Lucía",
    "Søren",
    "François",
    "Hélène",
    "Yusuf",
    "Ayşe",
    "Kenji",
    "Yuki",
    "Priya",
    "Arjun",
]
LAST = [
    "Müller",
    "Rossi",
    "Bianchi",
    "Santoso",
    "Wijaya",
    "Gonzalez",
    "García",
    "Wang",
    "Zhang",
    "Chen",
    "Liu",
    "Schmidt",
    "Esposito",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Hartono",
    "Susanto",
    "Nugroho",
    "Kusuma",
    "Lim",
    "Tan",
    "Nowak",
    "Kowalski",
    "Dubois",
    "Lefèvre",
    "Fernández",
    "López",
    "Martín",
    "Sánchez",
    "Pérez",
    "Öztürk",
    "Yılmaz",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Novák",
    "Dvořák",
    "Horváth",
    "Nielsen",
    "Hansen",
    "Johansson",
    "Larsen",
]
CITIES = [
    ("Jakarta", "62", "21"),
    ("Surabaya", "62", "31"),
    ("Bandung", "62", "22"),
    ("Medan", "62", "61"),
    ("Milano", "39", "02"),
    ("Roma", "39", "06"),
    ("Torino", "39", "011"),
    ("Napoli", "39", "081"),
    ("Shanghai", "86", "21"),
    ("Beijing", "86", "10"),
    ("Shenzhen", "86", "755"),
    ("München", "49", "89"),
    ("Berlin", "49", "30"),
    ("Zürich", "41", "44"),
    ("Paris", "33", "1"),
    ("São Paulo", "55", "11"),
    # Real names rather than "City 0".."City 43": with those, the word "city" sat in 73% of
    # all rows and "CITY 27" was a query whose only selective word has two characters,
    # which no trigram index can serve (see trellis/search/selectors.py).
    ("Yogyakarta", "62", "274"),
    ("Semarang", "62", "24"),
    ("Makassar", "62", "411"),
    ("Denpasar", "62", "361"),
    ("Palembang", "62", "711"),
    ("Bologna", "39", "051"),
    ("Firenze", "39", "055"),
    ("Venezia", "39", "041"),
    ("Genova", "39", "010"),
    ("Palermo", "39", "091"),
    ("Bari", "39", "080"),
    ("Guangzhou", "86", "20"),
    ("Chengdu", "86", "28"),
    ("Hangzhou", "86", "571"),
    ("Wuhan", "86", "27"),
    ("Nanjing", "86", "25"),
    ("Tianjin", "86", "22"),
    ("Hamburg", "49", "40"),
    ("Köln", "49", "221"),
    ("Frankfurt", "49", "69"),
    ("Stuttgart", "49", "711"),
    ("Düsseldorf", "49", "211"),
    ("Genève", "41", "22"),
    ("Basel", "41", "61"),
    ("Lyon", "33", "4"),
    ("Marseille", "33", "4"),
    ("Toulouse", "33", "5"),
    ("Bordeaux", "33", "5"),
    ("Rio de Janeiro", "55", "21"),
    ("Brasília", "55", "61"),
    ("Curitiba", "55", "41"),
    ("New York", "1", "212"),
    ("Chicago", "1", "312"),
    ("Houston", "1", "713"),
    ("Phoenix", "1", "602"),
    ("Seattle", "1", "206"),
    ("Denver", "1", "303"),
    ("Boston", "1", "617"),
    ("Atlanta", "1", "404"),
    ("Miami", "1", "305"),
    ("Toronto", "1", "416"),
    ("Montréal", "1", "514"),
    ("Vancouver", "1", "604"),
    ("Calgary", "1", "403"),
]
DOMAINS = ["example.com", "example.co.id", "example.it", "example.cn", "mail.example.org"]


def _national(country: str, area: str, local: str) -> str:
    # Italy keeps the leading 0 of the area code in E.164; the others drop their trunk 0.
    return f"{area} {local}" if country == "39" else f"0{area} {local}"


def build(args: argparse.Namespace, out) -> None:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    roles = {role.name: role for role in SecurityRole.objects.all()}
    with transaction.atomic():
        root = BusinessUnit.objects.filter(parent__isnull=True).first()
        if root is None:
            root = BusinessUnit.objects.create(name="Bench Head Office", depth=0)
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
        password = User(username="x")
        password.set_unusable_password()
        User.objects.bulk_create(
            [
                User(
                    username=f"searchrep{i}",
                    password=password.password,
                    unit=rng.choice(units),
                    first_name="Sales Representative",
                )
                for i in range(args.users)
            ],
            batch_size=2000,
        )
        users = list(User.objects.filter(username__startswith="searchrep").order_by("pk"))
        rep = roles["Sales Representative"].pk
        User.roles.through.objects.bulk_create(
            [User.roles.through(user_id=u.pk, securityrole_id=rep) for u in users],
            batch_size=5000,
        )
    out(f"units: {len(units)}, users: {len(users)} ({time.perf_counter() - started:.0f} s)")

    now = timezone.now()
    columns = [
        "first_name",
        "last_name",
        "job_title",
        "email",
        "other_emails",
        "phone",
        "phone_raw",
        "mobile",
        "mobile_raw",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
        "preferred_language",
        "consent_email",
        "consent_phone",
        "consent_sms",
        "is_active",
        "description",
        "external_id",
        "owner_user_id",
        "owning_unit_id",
        "created_at",
        "modified_at",
        "version",
    ]
    owners = [(u.pk, u.unit_id) for u in users]
    batch: list[tuple] = []
    for i in range(args.contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country, area = rng.choice(CITIES)
        local = f"{rng.randrange(1_000_000, 9_999_999)}"
        e164 = f"+{country}{area}{local}"
        owner, unit_id = rng.choice(owners)
        email = f"{first}.{last}{i}@{rng.choice(DOMAINS)}".lower()
        batch.append(
            (
                first,
                last,
                "",
                email,
                "[]",
                e164,
                _national(country, area, local),
                "",
                "",
                "",
                city,
                "",
                "",
                "",
                "",
                False,
                False,
                False,
                True,
                "",
                "",
                owner,
                unit_id,
                now,
                now,
                1,
            )
        )
        if len(batch) == 20000:
            with transaction.atomic():
                _insert("customers_contact", columns, batch)
            batch = []
    with transaction.atomic():
        _insert("customers_contact", columns, batch)
    out(f"contacts: {Contact.objects.count()} ({time.perf_counter() - started:.0f} s)")
    indexing = time.perf_counter()
    reindex(["contact"])
    out(
        f"search index: {SearchEntry.objects.count()} entries in "
        f"{time.perf_counter() - indexing:.0f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"built in {time.perf_counter() - started:.0f} s")


def _managers(args: argparse.Namespace, out) -> list[User]:
    """Sales managers (subtree read) of the units whose subtree holds closest to
    `args.share` of the contacts; created on first use."""
    per_unit = Counter(
        dict(
            Contact.objects.order_by()
            .values_list("owning_unit_id")
            .annotate(n=Count("pk"))
            .values_list("owning_unit_id", "n")
        )
    )
    total = sum(per_unit.values())
    units = list(BusinessUnit.objects.all())
    subtree = defaultdict(int)
    for unit in units:
        for other in units:
            if other.path.startswith(unit.path):
                subtree[unit.pk] += per_unit.get(other.pk, 0)
    ranked = sorted(units, key=lambda u: abs(subtree[u.pk] / total - args.share))[: args.managers]
    role = SecurityRole.objects.get(name="Sales Manager")
    managers = []
    for unit in ranked:
        user, created = User.objects.get_or_create(
            username=f"searchmanager{unit.pk}", defaults={"unit": unit}
        )
        if created:
            user.set_unusable_password()
            user.save()
            user.roles.add(role)
        managers.append(user)
    return managers


def _queries(args: argparse.Namespace) -> list[str]:
    """Realistic queries drawn from stored contacts, `args.queries` of them in six kinds."""
    rng = random.Random(args.seed + 2)
    top = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = [rng.randint(1, top) for _ in range(args.queries * 3)]
    rows = list(
        Contact.objects.filter(pk__in=ids).values_list(
            "first_name", "last_name", "email", "phone", "phone_raw", "city"
        )
    )
    rng.shuffle(rows)
    queries = []
    kinds = [
        lambda r: r[1][:4].lower(),  # a last-name fragment, typed in lower case
        lambda r: f"{r[0]} {r[1]}",  # a full name
        lambda r: r[2].split("@")[0],  # an e-mail's local part
        lambda r: r[2][:-4],  # most of an e-mail address
        lambda r: r[4][-8:],  # the end of the number as typed nationally
        lambda r: f"+{r[3][1:3]} {r[3][3:6]} {r[3][6:10]}",  # international, spaced
        lambda r: r[5].upper(),  # a city
    ]
    for i, row in enumerate(rows[: args.queries]):
        queries.append(kinds[i % len(kinds)](row))
    return queries


def _time(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(args: argparse.Namespace, out) -> dict:
    managers = _managers(args, out)
    queries = _queries(args)
    filtered, unfiltered, per_kind, per_user = [], [], defaultdict(list), []
    previous = []  # the exact query alone (every match checked against `visible`)
    total = Contact.objects.count()
    with scope_cache():
        for user in managers:
            scope_for(user)
            seen = visible(user, Contact).count()
            times = []
            for index, q in enumerate(queries):
                search(user, q)  # warm
                parsed = parse_query(q)

                # The same candidate query with no access narrowing and no verification.
                def base(parsed=parsed):
                    return candidates(None, parsed, ["contact"], 20, visible_only=False)

                base()
                if args.previous:
                    exact = exact_queryset(user, parsed, ["contact"])
                    page = exact.order_by("-score", "title", "record_id")[:20]
                    list(page.all())
                    previous.append(_time(lambda p=page: list(p.all())))
                for _ in range(args.repeat):
                    unfiltered.append(_time(base))
                    elapsed = _time(lambda u=user, q=q: search(u, q))
                    times.append(elapsed)
                    per_kind[index % 7].append(elapsed)
            filtered.extend(times)
            per_user.append((user.unit.depth, seen, statistics.median(times), _pct(times, 0.95)))
    out("\nper manager (unit depth, visible contacts, share, median ms, p95 ms):")
    for depth, seen, median, p95 in per_user:
        out(f"  depth {depth}  {seen:>8}  {seen / total:6.1%}  {median:8.2f}  {p95:8.2f}")
    names = [
        "name fragment",
        "full name",
        "email local",
        "email",
        "phone national",
        "phone intl",
        "city",
    ]
    out("\nper kind of query (median ms, p95 ms):")
    for kind, values in sorted(per_kind.items()):
        out(f"  {names[kind]:<15} {statistics.median(values):8.2f}  {_pct(values, 0.95):8.2f}")
    result = {
        "database": connection.vendor,
        "contacts": total,
        "index_entries": SearchEntry.objects.count(),
        "managers": len(managers),
        "visible_share": round(statistics.mean(s for _, s, _, _ in per_user) / total, 3),
        "queries": len(queries),
        "timings": len(filtered),
        "search_median_ms": round(statistics.median(filtered), 2),
        "search_p95_ms": round(_pct(filtered, 0.95), 2),
        "unfiltered_median_ms": round(statistics.median(unfiltered), 2),
        "unfiltered_p95_ms": round(_pct(unfiltered, 0.95), 2),
        "ratio_median": round(statistics.median(filtered) / statistics.median(unfiltered), 2),
        "ratio_p95": round(_pct(filtered, 0.95) / _pct(unfiltered, 0.95), 2),
    }
    if previous:
        result["exact_only_median_ms"] = round(statistics.median(previous), 2)
        result["exact_only_p95_ms"] = round(_pct(previous, 0.95), 2)
    out("\n" + json.dumps(result, indent=2))
    return result


def _upkeep(args: argparse.Namespace, out) -> None:
    """The app's own upkeep of the index layout, then the drift asked for."""
    if args.cluster:
        started = time.perf_counter()
        if layout.reorder():
            out(f"search index reordered in {time.perf_counter() - started:.0f} s")
    elif not args.raw:
        started = time.perf_counter()
        ran = periodic.run_once(["search.layout"]).get("search.layout")
        out(f"periodic job search.layout ran (ok={ran}) in {time.perf_counter() - started:.0f} s")
    if args.drift > 0:
        rng = random.Random(args.seed + 5)
        ids = list(Contact.objects.values_list("pk", flat=True))
        chosen = rng.sample(ids, int(len(ids) * args.drift))
        started = time.perf_counter()
        for start in range(0, len(chosen), 1000):
            index_records(Contact, chosen[start : start + 1000])
        out(
            f"drift: {len(chosen)} entries re-indexed in random order in "
            f"{time.perf_counter() - started:.0f} s"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SearchEntry._meta.db_table}")
    entries, correlation = layout.order()
    out(
        f"index table: ~{entries} entries, order correlation with unit paths {correlation} "
        f"(the job reorders below {layout.MIN_ORDER})"
    )


def run(argv: list[str], out=print) -> dict:
    parser = argparse.ArgumentParser(prog="trellis bench search")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--share", type=float, default=0.10, help="visible share to aim for")
    parser.add_argument("--managers", type=int, default=5)
    parser.add_argument("--queries", type=int, default=70)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--build-only", action="store_true", help="build, do not measure")
    parser.add_argument("--reindex", action="store_true", help="rebuild the index first")
    parser.add_argument(
        "--raw", action="store_true", help="skip the periodic layout job (insertion order)"
    )
    parser.add_argument(
        "--cluster", action="store_true", help="PostgreSQL: reorder the index table anyway"
    )
    parser.add_argument(
        "--drift", type=float, default=0.0, help="then re-index this fraction in random order"
    )
    parser.add_argument(
        "--previous",
        action="store_true",
        help="also time the exact query alone (the approach before the access copies)",
    )
    args = parser.parse_args(argv)
    existing = Contact.objects.count()
    if existing == 0:
        build(args, out)
    else:
        out(f"reusing {existing} contacts already in the database")
        indexed = SearchEntry.objects.filter(entity="contact").count()
        if args.reindex or indexed != existing:
            started = time.perf_counter()
            reindex(["contact"])
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            out(f"search index rebuilt in {time.perf_counter() - started:.0f} s")
    _upkeep(args, out)
    if args.build_only:
        return {}
    return measure(args, out)
