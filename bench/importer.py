"""Benchmark of the contacts import (`trellis bench importer`).

Builds (or reuses) a small organization — a root with a few units, a Sales Manager at
the root who holds the import privilege, a sales rep per unit and a few accounts per
country — then writes a CSV of realistic contacts (default 100,000 rows: names from
several locales, unique e-mails, phones and mobiles in mixed formats, cities,
countries, owners, accounts by name, past creation dates) and imports it through
`trellis.dataio.services.import_file`, the function behind `trellis import`.

The figure is rows per second of wall time for the whole import: reading the file,
validation with the contact service's cleaning, phone normalization, access checks,
inserts, the search index and the audit events. Goal: >= 5,000 rows/s on SQLite and
PostgreSQL. It also prints the share of the search index (the `records_imported`
listeners) and the CPU time of this process, which tells a slow import from a busy
machine. Each run adds new contacts (e-mails carry a run tag), so runs do not update
each other's rows; the table grows, and the rate falls with its size (indexes, the
search index), so the output names how many contacts were there before.

Options: --rows N, --seed S, --no-record-events (only the per-batch audit event),
--profile (cProfile the import and print where the time goes; --profile-out FILE keeps
the pstats), --no-search (the records_imported listeners are not called: the import's own
time without the search index, for measurement only; the index is then behind).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import os
import pstats
import random
import tempfile
import time
from pathlib import Path

import phonenumbers
from django.db import connection, transaction
from faker import Faker

from trellis.customers.models import Account, Contact
from trellis.dataio.services import import_file
from trellis.dataio.signals import records_imported
from trellis.org.bootstrap import ensure_root_unit
from trellis.org.closure import rebuild_for
from trellis.org.models import BusinessUnit, SecurityRole, User

# (unit, country, faker locale, cities)
UNITS = [
    ("Bench Jakarta", "ID", "id_ID", ["Jakarta", "Bandung", "Surabaya", "Medan", "Depok"]),
    ("Bench Milan", "IT", "it_IT", ["Milano", "Roma", "Torino", "Bologna", "Napoli"]),
    ("Bench Shanghai", "CN", "zh_CN", ["上海", "北京", "杭州", "苏州", "南京"]),
    ("Bench Chicago", "US", "en_US", ["Chicago", "Boston", "Denver", "Austin", "Seattle"]),
]
ACCOUNTS_PER_UNIT = 5
IMPORTER = "bench_importer"
HEADER = [
    "First Name",
    "Last Name",
    "E-mail",
    "Phone",
    "Mobile",
    "Job Title",
    "City",
    "Country",
    "Company",
    "Owner",
    "Created",
]


def _org() -> tuple[User, list[tuple[str, str, list[str], User, list[str]]]]:
    """The importer and, per unit, (country, locale, cities, rep, account names)."""
    root = ensure_root_unit()
    manager_role = SecurityRole.objects.get(name="Sales Manager")
    rep_role = SecurityRole.objects.get(name="Sales Representative")
    with transaction.atomic():
        importer = User.objects.filter(username=IMPORTER).first()
        if importer is None:
            importer = User.objects.create(username=IMPORTER, unit=root, region="ID")
            importer.set_unusable_password()
            importer.save()
            importer.roles.add(manager_role)
            rebuild_for(importer)
        units = []
        for name, country, locale, cities in UNITS:
            unit = BusinessUnit.objects.filter(name=name, parent=root).first()
            if unit is None:
                unit = BusinessUnit.objects.create(name=name, parent=root, depth=root.depth + 1)
                unit.path = f"{root.path}{unit.pk}/"
                unit.save(update_fields=["path"])
            username = f"bench_rep_{country.lower()}"
            rep = User.objects.filter(username=username).first()
            if rep is None:
                rep = User.objects.create(
                    username=username, unit=unit, region=country, reports_to=importer
                )
                rep.set_unusable_password()
                rep.save()
                rep.roles.add(rep_role)
                rebuild_for(rep)
            names = [f"{name.split()[1]} Trading {i}" for i in range(ACCOUNTS_PER_UNIT)]
            for account_name in names:
                if not Account.objects.filter(name=account_name).exists():
                    Account.objects.create(
                        name=account_name,
                        country=country,
                        owner_user=rep,
                        owning_unit=unit,
                        created_by=importer,
                    )
            units.append((country, locale, cities, rep, names))
    return importer, units


def _phone_pool(rng: random.Random, country: str, kind: int, size: int) -> list[str]:
    """Valid numbers of `country` (fixed line or mobile) made from its example number."""
    example = phonenumbers.example_number_for_type(country, kind)
    national = phonenumbers.national_significant_number(example)
    pool: list[str] = []
    tries = 0
    while len(pool) < size and tries < size * 20:
        tries += 1
        digits = national[:3] + "".join(rng.choice("0123456789") for _ in national[3:])
        number = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(number):
            pool.append(digits)
    return pool or [national]


def _typed(rng: random.Random, country: str, digits: str) -> str:
    """A number as people type it: E.164, international, national, or with odd spacing."""
    number = phonenumbers.parse(f"+{phonenumbers.country_code_for_region(country)}{digits}")
    style = rng.random()
    if style < 0.25:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if style < 0.5:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if style < 0.8:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national.replace(" ", "-").replace("(", "").replace(")", "")


def write_file(path: Path, rows: int, units: list, seed: int, tag: str) -> None:
    rng = random.Random(seed)
    fakers = {locale: Faker(locale) for _c, locale, *_ in units}
    for index, faker in enumerate(fakers.values()):
        faker.seed_instance(seed + index)
    names = {
        locale: [(f.first_name(), f.last_name()) for _ in range(500)]
        for locale, f in fakers.items()
    }
    titles = [Faker("en_US").job()[:120] for _ in range(200)]
    phones = {
        country: (
            _phone_pool(rng, country, phonenumbers.PhoneNumberType.FIXED_LINE, 400),
            _phone_pool(rng, country, phonenumbers.PhoneNumberType.MOBILE, 400),
        )
        for country, *_ in units
    }
    now = dt.datetime.now(dt.UTC)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            country, locale, cities, rep, accounts = units[i % len(units)]
            first, last = rng.choice(names[locale])
            fixed, mobile = phones[country]
            created = now - dt.timedelta(days=rng.randint(1, 3650), seconds=rng.randint(0, 86399))
            writer.writerow(
                [
                    first,
                    last,
                    f"c{i}.{tag}@example-{country.lower()}.com",
                    _typed(rng, country, rng.choice(fixed)) if rng.random() < 0.8 else "",
                    _typed(rng, country, rng.choice(mobile)) if rng.random() < 0.6 else "",
                    rng.choice(titles),
                    rng.choice(cities),
                    country if rng.random() < 0.7 else "",  # else: the account's country
                    rng.choice(accounts),
                    rep.username,
                    created.isoformat(timespec="seconds"),
                ]
            )


def _time_listeners(listen: bool = True) -> list[float]:
    """Time spent in `records_imported` receivers (the search index), summed; with
    `listen` False the signal is not sent at all (the import's own share, measured)."""
    spent = [0.0]
    send = records_imported.send

    def timed(*args, **kwargs):
        if not listen:
            return []
        started = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    records_imported.send = timed
    return spent


def _server_cpu() -> float | None:
    """CPU seconds the PostgreSQL backend serving this connection has used, when the
    server runs on this machine (read from /proc); None otherwise."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(argv: list[str], out=print) -> None:
    parser = argparse.ArgumentParser(prog="trellis bench importer")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-record-events", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="do not send records_imported (the search index is not kept: measurement only)",
    )
    parser.add_argument("--profile-out", default="", help="also save the profile (pstats) here")
    args = parser.parse_args(argv)

    importer, units = _org()
    tag = f"r{int(time.time())}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        started = time.perf_counter()
        write_file(path, args.rows, units, args.seed, tag)
        size = path.stat().st_size
        out(
            f"{connection.vendor}: wrote {args.rows:,} rows ({size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s; importing as {importer.username}"
        )
        before = Contact.objects.count()
        # CPU time, not wall time: on a loaded machine waiting for a core is not work.
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        listening = _time_listeners(listen=not args.no_search)
        server = _server_cpu()
        started, cpu = time.perf_counter(), time.process_time()
        try:
            with path.open("rb") as stream:
                if profiler:
                    profiler.enable()
                report = import_file(
                    importer,
                    entity="contacts",
                    stream=stream,
                    filename=path.name,
                    record_events=not args.no_record_events,
                )
                if profiler:
                    profiler.disable()
        finally:
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            if server is not None:
                after = _server_cpu()
                server = None if after is None else after - server
            del records_imported.send  # back to the Signal's own method
    created = Contact.objects.count() - before
    out(
        f"{connection.vendor}: {report.rows:,} rows, {report.created:,} created, "
        f"{report.updated:,} updated, {report.error_rows:,} bad, in {seconds:.1f} s = "
        f"{report.rows / seconds:,.0f} rows/s into a table of {before:,} contacts "
        f"(per-record audit events: {'off' if args.no_record_events else 'on'}; "
        f"search index: {'NOT KEPT' if args.no_search else 'kept'}; "
        f"goal >= 5,000 rows/s)"
    )
    out(
        f"  of which the records_imported listeners (the search index): {listening[0]:.1f} s; "
        f"CPU time of this process: {cpu:.1f} s (the machine's load shows as the "
        f"difference from the wall time; PostgreSQL's own work is in its server)"
    )
    if server is not None:
        out(f"  CPU time of the PostgreSQL backend serving the import: {server:.1f} s")
    for error in report.errors[:5]:
        out(f"  row {error.row}, {error.field}: {error.message}")
    if created != report.created:
        out(f"  warning: {created} contacts appeared but the report says {report.created}")
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        if args.profile_out:
            stats.dump_stats(args.profile_out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(25)
        out(text.getvalue())
