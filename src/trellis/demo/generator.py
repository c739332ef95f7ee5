"""A realistic, deterministic demo organization (`trellis demo`).

The same seed always builds the same organization: the same units, teams, people and
accounts with the same names (dates are relative to today, so they move). The shape is
fixed and readable; Faker, seeded, fills in names, addresses and numbers:

    Head Office                      exec, admin, analyst, product managers
      Marketing                      marketing teams by channel
      Asia-Pacific                   regional sales and service managers
        Jakarta                      office
          Jakarta Sales              sales manager, team leader, reps, back office, partner
          Jakarta Service            service reps
        Shanghai                     sales manager, reps, service reps, back office, partner
      Europe
        Milan                        team leader, reps, service reps, back office, partner
      Americas
        New York                     team leader, reps, service reps, back office

Every demo user signs in with `DEMO_PASSWORD`. It is hashed once and the hash is shared,
which keeps the command fast and lets `demo_logins()` recognise demo users later.

The demo skips the services' permission checks where they only cost time: units and
teams are written directly (each with an audit event acted by `admin`); users, accounts,
memberships and skills are bulk-created without audit events, because loading a demo is
not a business event. The custom role, the shares and the access-team members go through
the services, acted by `admin`.
"""

from __future__ import annotations

import functools
import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from faker import Faker

from trellis.access.engine import scope_cache
from trellis.access.models import Share
from trellis.access.services import access_team_member_add, record_share
from trellis.audit.services import audit_record
from trellis.core.fields import snapshot
from trellis.customers.models import Account, Tier, segment_for
from trellis.demo.partners import build_partner_portal
from trellis.demo.records import build_records
from trellis.demo.routing import build_routing
from trellis.demo.sla import build_sla
from trellis.org import closure
from trellis.org.bootstrap import ensure_root_unit
from trellis.org.models import (
    BusinessUnit,
    JobClass,
    SecurityRole,
    Skill,
    Team,
    TeamMembership,
    User,
    UserSkill,
    UserType,
)
from trellis.org.roles import ENTITIES
from trellis.org.services import role_create

DEMO_PASSWORD = "trellis-demo"
DEFAULT_SEED = 42
DEFAULT_USERS = 60
DEFAULT_ACCOUNTS = 500
EMAIL_DOMAIN = "demo.trellis.example"
SHOWCASE_ACCOUNT = "PT Nusantara Logistik Tbk"

# A custom role (not built in) that shows delegated administration: it manages the
# units, users and teams of its own subtree only.
REGIONAL_ADMIN_ROLE = "Regional Administrator"

# The one demo login printed per role: role -> username.
LOGIN_PER_ROLE: dict[str, str] = {
    "System Administrator": "admin",
    "Executive": "exec",
    "Sales Manager": "sales.jakarta",
    "Sales Representative": "rep.jakarta1",
    "Customer Service Representative": "support.jakarta1",
    "Service Manager": "service.apac",
    "Team Leader": "lead.jakarta",
    "Marketing Specialist": "marketing.digital",
    "Product Manager": "product.cloud",
    "Data Analyst": "analyst",
    "Back Office": "backoffice.jakarta",
    "Partner": "partner.jakarta",
    REGIONAL_ADMIN_ROLE: "admin.apac",
}

PRODUCT_LINES = ("Cloud", "Devices")
INDUSTRIES = (
    ("Manufacturing", 14),
    ("Retail", 12),
    ("Logistics", 9),
    ("Banking & Finance", 9),
    ("Healthcare", 8),
    ("Technology", 10),
    ("Telecommunications", 5),
    ("Energy", 5),
    ("Education", 6),
    ("Hospitality", 6),
    ("Construction", 6),
    ("Agriculture", 4),
    ("Public Sector", 3),
)

# unit key -> (name, parent key, Faker locale for the people there)
UNITS: dict[str, tuple[str, str | None, str]] = {
    "root": ("Head Office", None, "en_US"),
    "marketing": ("Marketing", "root", "en_US"),
    "apac": ("Asia-Pacific", "root", "id_ID"),
    "jakarta": ("Jakarta", "apac", "id_ID"),
    "jakarta_sales": ("Jakarta Sales", "jakarta", "id_ID"),
    "jakarta_service": ("Jakarta Service", "jakarta", "id_ID"),
    "shanghai": ("Shanghai", "apac", "zh_CN"),
    "europe": ("Europe", "root", "it_IT"),
    "milan": ("Milan", "europe", "it_IT"),
    "americas": ("Americas", "root", "en_US"),
    "newyork": ("New York", "americas", "en_US"),
}
REGION_OF_UNIT = {
    "apac": "Asia-Pacific",
    "jakarta": "Asia-Pacific",
    "jakarta_sales": "Asia-Pacific",
    "jakarta_service": "Asia-Pacific",
    "shanghai": "Asia-Pacific",
    "europe": "Europe",
    "milan": "Europe",
    "americas": "Americas",
    "newyork": "Americas",
}
LANGUAGES_OF_LOCALE = {
    "id_ID": ["id", "en"],
    "zh_CN": ["zh-hans", "en"],
    "it_IT": ["it", "en"],
    "en_US": ["en"],
}


@dataclass(frozen=True)
class Office:
    key: str
    name: str
    region: str
    region_key: str
    locale: str
    country: str
    currency: str
    per_usd: float
    tld: str
    sales_unit: str
    service_unit: str
    rep_manager: str
    service_manager: str
    cities: tuple[tuple[str, str], ...]


OFFICES: dict[str, Office] = {
    "jakarta": Office(
        "jakarta",
        "Jakarta",
        "Asia-Pacific",
        "apac",
        "id_ID",
        "ID",
        "IDR",
        16000,
        "co.id",
        "jakarta_sales",
        "jakarta_service",
        "lead.jakarta",
        "service.apac",
        (
            ("Jakarta", "DKI Jakarta"),
            ("Surabaya", "Jawa Timur"),
            ("Bandung", "Jawa Barat"),
            ("Bekasi", "Jawa Barat"),
            ("Tangerang", "Banten"),
            ("Semarang", "Jawa Tengah"),
            ("Medan", "Sumatera Utara"),
            ("Denpasar", "Bali"),
        ),
    ),
    "shanghai": Office(
        "shanghai",
        "Shanghai",
        "Asia-Pacific",
        "apac",
        "zh_CN",
        "CN",
        "CNY",
        7.2,
        "com.cn",
        "shanghai",
        "shanghai",
        "sales.shanghai",
        "service.apac",
        (
            ("上海", "上海市"),
            ("杭州", "浙江省"),
            ("苏州", "江苏省"),
            ("南京", "江苏省"),
            ("宁波", "浙江省"),
            ("无锡", "江苏省"),
            ("合肥", "安徽省"),
        ),
    ),
    "milan": Office(
        "milan",
        "Milan",
        "Europe",
        "europe",
        "it_IT",
        "IT",
        "EUR",
        0.92,
        "it",
        "milan",
        "milan",
        "lead.milan",
        "service.europe",
        (
            ("Milano", "Lombardia"),
            ("Bergamo", "Lombardia"),
            ("Brescia", "Lombardia"),
            ("Torino", "Piemonte"),
            ("Bologna", "Emilia-Romagna"),
            ("Verona", "Veneto"),
            ("Padova", "Veneto"),
            ("Genova", "Liguria"),
        ),
    ),
    "newyork": Office(
        "newyork",
        "New York",
        "Americas",
        "americas",
        "en_US",
        "US",
        "USD",
        1.0,
        "com",
        "newyork",
        "newyork",
        "lead.newyork",
        "service.americas",
        (
            ("New York", "NY"),
            ("Brooklyn", "NY"),
            ("Newark", "NJ"),
            ("Stamford", "CT"),
            ("Boston", "MA"),
            ("Philadelphia", "PA"),
            ("Baltimore", "MD"),
        ),
    ),
}
REGION_SHORT = {"apac": "APAC", "europe": "Europe", "americas": "Americas"}

FO, BO, COM = JobClass.FRONT_OFFICE, JobClass.BACK_OFFICE, JobClass.COMMERCIAL

# The people every demo has: (username, roles, unit key, job class, title, reports_to).
# Sales and service reps are added after these until the requested head count is reached.
KEY_PEOPLE: tuple[tuple[str, tuple[str, ...], str, str, str, str | None], ...] = (
    ("exec", ("Executive",), "root", COM, "Chief Executive Officer", None),
    ("admin", ("System Administrator",), "root", BO, "IT Administrator", "exec"),
    ("analyst", ("Data Analyst",), "root", BO, "Data Analyst", "exec"),
    ("product.cloud", ("Product Manager",), "root", BO, "Product Manager, Cloud", "exec"),
    ("product.devices", ("Product Manager",), "root", BO, "Product Manager, Devices", "exec"),
    (
        "lead.marketing",
        ("Team Leader", "Marketing Specialist"),
        "marketing",
        COM,
        "Head of Marketing",
        "exec",
    ),
    (
        "marketing.digital",
        ("Marketing Specialist",),
        "marketing",
        BO,
        "Digital Marketing Specialist",
        "lead.marketing",
    ),
    (
        "marketing.events",
        ("Marketing Specialist",),
        "marketing",
        COM,
        "Events Marketing Specialist",
        "lead.marketing",
    ),
    (
        "marketing.partners",
        ("Marketing Specialist",),
        "marketing",
        COM,
        "Partner Marketing Specialist",
        "lead.marketing",
    ),
    (
        "admin.apac",
        (REGIONAL_ADMIN_ROLE,),
        "apac",
        BO,
        "Regional IT Administrator, Asia-Pacific",
        "admin",
    ),
    ("sales.apac", ("Sales Manager",), "apac", COM, "Sales Director, Asia-Pacific", "exec"),
    ("service.apac", ("Service Manager",), "apac", FO, "Service Manager, Asia-Pacific", "exec"),
    ("sales.europe", ("Sales Manager",), "europe", COM, "Sales Director, Europe", "exec"),
    ("service.europe", ("Service Manager",), "europe", FO, "Service Manager, Europe", "exec"),
    ("sales.americas", ("Sales Manager",), "americas", COM, "Sales Director, Americas", "exec"),
    (
        "service.americas",
        ("Service Manager",),
        "americas",
        FO,
        "Service Manager, Americas",
        "exec",
    ),
    (
        "sales.jakarta",
        ("Sales Manager",),
        "jakarta_sales",
        COM,
        "Sales Manager, Jakarta",
        "sales.apac",
    ),
    (
        "lead.jakarta",
        ("Team Leader",),
        "jakarta_sales",
        FO,
        "Sales Team Leader, Jakarta",
        "sales.jakarta",
    ),
    (
        "backoffice.jakarta",
        ("Back Office",),
        "jakarta_sales",
        BO,
        "Sales Operations Specialist",
        "sales.jakarta",
    ),
    (
        "sales.shanghai",
        ("Sales Manager",),
        "shanghai",
        COM,
        "Sales Manager, Shanghai",
        "sales.apac",
    ),
    (
        "backoffice.shanghai",
        ("Back Office",),
        "shanghai",
        BO,
        "Order Management Specialist",
        "sales.shanghai",
    ),
    ("lead.milan", ("Team Leader",), "milan", FO, "Sales Team Leader, Milan", "sales.europe"),
    ("backoffice.milan", ("Back Office",), "milan", BO, "Sales Support Specialist", "lead.milan"),
    (
        "lead.newyork",
        ("Team Leader",),
        "newyork",
        FO,
        "Sales Team Leader, New York",
        "sales.americas",
    ),
    (
        "backoffice.newyork",
        ("Back Office",),
        "newyork",
        BO,
        "Billing Specialist",
        "lead.newyork",
    ),
)
# External partners: (username, office key, manager, kind of partner).
PARTNERS = (
    ("partner.jakarta", "jakarta", "sales.jakarta", "Distributor"),
    ("partner.shanghai", "shanghai", "sales.shanghai", "Distributor"),
    ("partner.milan", "milan", "lead.milan", "Sales agent"),
)
# The order in which reps are added beyond the first of each kind per office, so that a
# bigger head count grows the larger offices faster.
GROWTH = (
    ("rep", "jakarta"),
    ("rep", "shanghai"),
    ("support", "jakarta"),
    ("rep", "newyork"),
    ("rep", "milan"),
    ("rep", "jakarta"),
    ("support", "shanghai"),
    ("rep", "shanghai"),
    ("support", "newyork"),
    ("rep", "newyork"),
    ("support", "milan"),
    ("rep", "jakarta"),
)
SERVICE_SKILLS = ("Networking", "Installation", "Billing", "Data migration", "Training")


@dataclass
class Person:
    username: str
    roles: tuple[str, ...]
    unit: str
    job_class: str
    title: str
    reports_to: str | None
    locale: str
    kind: str = "staff"  # staff, rep, support, partner
    office: str | None = None
    product_line: str | None = None
    user_type: str = UserType.INTERNAL
    teams: list[str] = field(default_factory=list)
    skills: dict[str, int] = field(default_factory=dict)
    capacity: int = 20


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    unit: str
    name: str


@dataclass
class DemoSummary:
    seed: int
    units: int
    teams: int
    users: int
    accounts: int
    shares: int
    seconds: float
    logins: list[DemoLogin]
    records: dict[str, int] = field(default_factory=dict)


def plan_people(users: int = DEFAULT_USERS) -> list[Person]:
    """The people of the demo, in creation order (managers before their reports).

    Everyone in KEY_PEOPLE and PARTNERS, one sales rep and one service rep per office, then
    more reps in GROWTH order until there are `users` people (never fewer than the key ones).
    """
    people = [
        Person(name, roles, unit, job, title, boss, UNITS[unit][2])
        for name, roles, unit, job, title, boss in KEY_PEOPLE
    ]
    counts: dict[tuple[str, str], int] = {}

    def add(kind: str, office_key: str) -> None:
        office = OFFICES[office_key]
        n = counts[(kind, office_key)] = counts.get((kind, office_key), 0) + 1
        line = PRODUCT_LINES[(n - 1) % len(PRODUCT_LINES)]
        if kind == "rep":
            people.append(
                Person(
                    f"rep.{office_key}{n}",
                    ("Sales Representative",),
                    office.sales_unit,
                    COM if n % 4 == 0 else FO,
                    "Business Development Representative"
                    if n % 4 == 0
                    else f"Sales Representative, {line}",
                    office.rep_manager,
                    office.locale,
                    kind="rep",
                    office=office_key,
                    product_line=line,
                )
            )
        else:
            people.append(
                Person(
                    f"support.{office_key}{n}",
                    ("Customer Service Representative",),
                    office.service_unit,
                    FO,
                    f"Customer Service Representative, {line}",
                    office.service_manager,
                    office.locale,
                    kind="support",
                    office=office_key,
                    product_line=line,
                )
            )

    for office_key in OFFICES:
        add("rep", office_key)
        add("support", office_key)
    for username, office_key, boss, kind in PARTNERS:
        office = OFFICES[office_key]
        people.append(
            Person(
                username,
                ("Partner",),
                office.sales_unit,
                COM,
                kind,
                boss,
                office.locale,
                kind="partner",
                office=office_key,
                user_type=UserType.PARTNER,
            )
        )
    step = 0
    while len(people) < users:
        add(*GROWTH[step % len(GROWTH)])
        step += 1
    return people


@functools.cache
def _faker(locale: str) -> Faker:
    """One Faker per locale and process (making one is slow); callers seed it before use."""
    return Faker(locale)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for index, locale in enumerate(LANGUAGES_OF_LOCALE):
            faker = _faker(locale)
            faker.seed_instance(seed * 31 + index)
            self.fakers[locale] = faker
        self.now = timezone.now()
        self.units: dict[str, BusinessUnit] = {}
        self.teams: dict[str, Team] = {}
        self.users: dict[str, User] = {}
        self.people: dict[str, Person] = {}
        self.roles = {role.name: role for role in SecurityRole.objects.all()}
        self.password_hash = make_password(DEMO_PASSWORD)
        self.account_names: set[str] = set()
        self.shares = 0

    # Units, people, teams ---------------------------------------------------------------

    def build_units(self, admin: User) -> None:
        self.units["root"] = admin.unit
        for key, (name, parent_key, _locale) in UNITS.items():
            if parent_key is None:
                continue
            parent = self.units[parent_key]
            unit = BusinessUnit.objects.create(name=name, parent=parent, depth=parent.depth + 1)
            unit.path = f"{parent.path}{unit.pk}/"
            unit.save(update_fields=["path"])
            audit_record(admin, "create", unit, entity="unit", changes=snapshot(unit))
            self.units[key] = unit

    def regional_admin_role(self, admin: User) -> SecurityRole:
        role = SecurityRole.objects.filter(name=REGIONAL_ADMIN_ROLE).first()
        if role is None:
            role = role_create(
                admin,
                name=REGIONAL_ADMIN_ROLE,
                description=(
                    "Delegated administration: manages the units, users and teams of its own "
                    "subtree and reads the records there."
                ),
                permissions={entity: {"read": "subtree"} for entity in ENTITIES},
                privileges={"manage_org": "subtree", "view_reports": "subtree"},
            )
        self.roles[role.name] = role
        return role

    def _user(self, person: Person) -> User:
        faker = self.fakers[person.locale]
        if person.locale == "zh_CN":
            # Staff of the Shanghai office sign their e-mails in pinyin.
            first, last = faker.first_romanized_name(), faker.last_romanized_name()
        else:
            first, last = faker.first_name(), faker.last_name()
        title = person.title
        if person.kind == "partner":
            title = f"{person.title}, {faker.company()}"
        languages = list(LANGUAGES_OF_LOCALE[person.locale])
        if self.rng.random() < 0.15:
            extra = self.rng.choice(["id", "zh-hans", "it", "en"])
            if extra not in languages:
                languages.append(extra)
        joined = self.now - timedelta(days=self.rng.randint(60, 2500))
        return User(
            username=person.username,
            password=self.password_hash,
            first_name=first[:150],
            last_name=last[:150],
            email=f"{person.username}@{EMAIL_DOMAIN}",
            unit=self.units[person.unit],
            job_class=person.job_class,
            user_type=person.user_type,
            title=title[:120],
            phone=faker.phone_number()[:40],
            capacity=person.capacity,
            languages=languages,
            region=REGION_OF_UNIT.get(person.unit, ""),
            ui_language=languages[0],
            date_joined=joined,
            modified_at=joined,
        )

    def plan_skills(self, person: Person) -> None:
        rng = self.rng
        if person.kind == "rep":
            person.skills = {
                person.product_line: rng.randint(2, 5),
                "Negotiation": rng.randint(1, 5),
            }
            if rng.random() < 0.3:
                other = PRODUCT_LINES[1 - PRODUCT_LINES.index(person.product_line)]
                person.skills[other] = rng.randint(1, 3)
            person.capacity = rng.choice((25, 30, 35, 40))
        elif person.kind == "support":
            person.skills = {
                person.product_line: rng.randint(2, 5),
                rng.choice(SERVICE_SKILLS): rng.randint(1, 5),
            }
            person.capacity = rng.choice((15, 20, 25, 30))
        elif (
            person.username.startswith(("lead.", "sales.", "service."))
            and person.unit != "marketing"
        ):
            person.skills = {"Key account management": rng.randint(3, 5)}
            person.capacity = 10

    def build_people(self, admin: User, users: int) -> None:
        plan = plan_people(users)
        self.people = {person.username: person for person in plan}
        admin_person = self.people["admin"]
        for person in plan:
            self.plan_skills(person)
        # admin already exists (it is the actor of the services); fill in the rest of it.
        fresh = []
        for person in plan:
            user = self._user(person)
            if person.username == "admin":
                for name in ("first_name", "last_name", "title", "phone", "languages", "region"):
                    setattr(admin, name, getattr(user, name))
                admin.email, admin.ui_language = user.email, user.ui_language
                admin.date_joined = admin.modified_at = user.date_joined
                admin.job_class = admin_person.job_class
                admin.save()
                self.users["admin"] = admin
                continue
            fresh.append(user)
        for user in User.objects.bulk_create(fresh):
            self.users[user.username] = user
        if any(user.pk is None for user in fresh):  # backends without RETURNING
            for user in User.objects.filter(username__in=[u.username for u in fresh]):
                self.users[user.username] = user
        managers = []
        for person in plan:
            if person.reports_to:
                user = self.users[person.username]
                user.reports_to = self.users[person.reports_to]
                managers.append(user)
        User.objects.bulk_update(managers, ["reports_to"])
        closure.rebuild_all()
        through = User.roles.through
        through.objects.bulk_create(
            [
                through(user_id=self.users[p.username].pk, securityrole_id=self.roles[name].pk)
                for p in plan
                for name in p.roles
                if not (p.username == "admin" and name == "System Administrator")
            ]
        )
        skills = {name: Skill.objects.get_or_create(name=name)[0] for name in self._skill_names()}
        UserSkill.objects.bulk_create(
            [
                UserSkill(user=self.users[p.username], skill=skills[name], level=level)
                for p in plan
                for name, level in p.skills.items()
            ]
        )

    def _skill_names(self) -> list[str]:
        names = {name for person in self.people.values() for name in person.skills}
        return sorted(names)

    def build_teams(self, admin: User) -> None:
        role = self.roles
        specs: list[tuple[str, str, str, str]] = []  # (team name, unit key, role, description)
        for region_key, short in REGION_SHORT.items():
            for line in PRODUCT_LINES:
                specs.append(
                    (
                        f"{short} {line} Sales",
                        region_key,
                        "Sales Representative",
                        f"Sells the {line} product line in {UNITS[region_key][0]}.",
                    )
                )
        for line in PRODUCT_LINES:
            specs.append(
                (
                    f"{line} Support",
                    "root",
                    "Customer Service Representative",
                    f"Service team for the {line} product line.",
                )
            )
        specs.append(
            (
                "Key Account Service",
                "root",
                "Customer Service Representative",
                "The dedicated service team of key accounts (they are shared with it).",
            )
        )
        specs.append(
            (
                "Jakarta Service Desk",
                "jakarta_sales",
                "Customer Service Representative",
                "Jakarta Service staff reach the customers of Jakarta Sales through this team.",
            )
        )
        for channel, text in (
            ("Digital Marketing", "Web, search, social and e-mail campaigns."),
            ("Events & Trade Shows", "Fairs, conferences and customer events."),
            ("Partner Marketing", "Campaigns run with distributors and agents."),
        ):
            specs.append((channel, "marketing", "Marketing Specialist", text))
        for name, unit_key, role_name, description in specs:
            team = Team.objects.create(
                name=name, unit=self.units[unit_key], description=description
            )
            team.roles.add(role[role_name])
            audit_record(
                admin,
                "create",
                team,
                entity="team",
                changes={**snapshot(team), "roles": [role_name]},
            )
            self.teams[name] = team
        members: list[tuple[str, str]] = []
        for person in self.people.values():
            office = OFFICES.get(person.office or "")
            if person.kind == "rep":
                team = f"{REGION_SHORT[office.region_key]} {person.product_line} Sales"
                members.append((team, person.username))
            elif person.kind == "support":
                members.append((f"{person.product_line} Support", person.username))
                if person.username.endswith("1"):
                    members.append(("Key Account Service", person.username))
                if person.unit == "jakarta_service":
                    members.append(("Jakarta Service Desk", person.username))
        for username, region_key in (
            ("lead.jakarta", "apac"),
            ("sales.shanghai", "apac"),
            ("lead.milan", "europe"),
            ("lead.newyork", "americas"),
        ):
            for line in PRODUCT_LINES:
                members.append((f"{REGION_SHORT[region_key]} {line} Sales", username))
        members += [
            ("Digital Marketing", "marketing.digital"),
            ("Events & Trade Shows", "marketing.events"),
            ("Partner Marketing", "marketing.partners"),
            ("Digital Marketing", "lead.marketing"),
            ("Events & Trade Shows", "lead.marketing"),
            ("Partner Marketing", "lead.marketing"),
            ("Cloud Support", "product.cloud"),
            ("Devices Support", "product.devices"),
            ("Key Account Service", "service.apac"),
        ]
        TeamMembership.objects.bulk_create(
            [
                TeamMembership(team=self.teams[team], user=self.users[username], added_at=self.now)
                for team, username in members
                if username in self.users
            ]
        )

    # Accounts ---------------------------------------------------------------------------

    def _company(self, office: Office) -> str:
        faker = self.fakers[office.locale]
        name = faker.company()
        attempt = 0
        while name in self.account_names:
            attempt += 1
            name = faker.company() if attempt < 20 else f"{faker.company()} {attempt}"
        self.account_names.add(name)
        return name

    def _website(self, name: str, office: Office) -> str:
        if office.locale == "zh_CN":
            faker = self.fakers[office.locale]
            slug = f"{faker.last_romanized_name()}{faker.first_romanized_name()}".lower()
        else:
            ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            words = [
                word
                for word in re.split(r"[^a-z0-9]+", ascii_name.lower())
                if word and word not in LEGAL_FORMS
            ]
            slug = "".join(words[:2]) or "company"
        return f"www.{slug}.{office.tld}"

    def _employees(self) -> int:
        draw = self.rng.random()
        if draw < 0.45:
            return self.rng.randint(5, 49)
        if draw < 0.75:
            return self.rng.randint(50, 249)
        if draw < 0.90:
            return self.rng.randint(250, 999)
        return min(20000, int(1000 * self.rng.paretovariate(1.4)))

    def _revenue(self, employees: int, office: Office) -> Decimal:
        per_head_usd = self.rng.uniform(40_000, 220_000)
        local = min(employees * per_head_usd * office.per_usd, 9e13)
        return Decimal(int(round(local, -3)))

    def _account(
        self,
        office: Office,
        *,
        owner: User | None = None,
        team: Team | None = None,
        name: str | None = None,
        employees: int | None = None,
        industry: str | None = None,
        city: tuple[str, str] | None = None,
    ) -> Account:
        rng, faker = self.rng, self.fakers[office.locale]
        name = name or self._company(office)
        self.account_names.add(name)
        employees = employees or self._employees()
        industry = (
            industry
            or rng.choices([name for name, _ in INDUSTRIES], [weight for _, weight in INDUSTRIES])[
                0
            ]
        )
        city_name, state = city or rng.choice(office.cities)
        website = self._website(name, office)
        created = self.now - timedelta(days=rng.uniform(20, 1100))
        modified = created + (self.now - created) * rng.random()
        actor = owner or self.users["admin"]
        return Account(
            name=name[:200],
            owner_user=owner,
            owner_team=team,
            owning_unit_id=owner.unit_id if owner else team.unit_id,
            industry=industry,
            employees=employees,
            size_segment=segment_for(employees),
            tier=Tier.KEY if employees >= 1000 else Tier.STANDARD,
            region=office.region,
            annual_revenue=self._revenue(employees, office),
            currency=office.currency,
            website=website,
            phone=faker.phone_number()[:40],
            email=f"info@{website.removeprefix('www.')}",
            street=faker.street_address()[:200],
            city=city_name,
            state=state,
            postal_code=faker.postcode()[:20],
            country=office.country,
            created_by=actor,
            modified_by=actor,
            created_at=created,
            modified_at=modified,
        )

    def _branch(self, parent: Account, office: Office) -> Account:
        city = self.rng.choice([c for c in office.cities if c[0] != parent.city] or office.cities)
        pattern = BRANCH_NAMES[office.locale]
        name = pattern.format(name=parent.name, city=city[0])
        return self._account(
            office,
            owner=parent.owner_user,
            team=parent.owner_team,
            name=name,
            employees=self.rng.randint(40, 900),
            industry=parent.industry,
            city=city,
        )

    def build_accounts(self, total: int) -> None:
        """`total` accounts: a showcase account, a few owned by partners and by sales teams,
        the rest spread over the sellers by weight (reps most); some key accounts get a
        branch as a child account."""
        rng, users = self.rng, self.users
        roots: list[Account] = []
        branches: list[tuple[Account, Account]] = []  # (branch, parent)

        def room() -> bool:
            return len(roots) + len(branches) < total

        if room():
            self.showcase = self._account(
                OFFICES["jakarta"],
                owner=users["rep.jakarta1"],
                name=SHOWCASE_ACCOUNT,
                employees=4200,
                industry="Logistics",
                city=("Jakarta", "DKI Jakarta"),
            )
            roots.append(self.showcase)
        for username, office_key, _boss, _kind in PARTNERS:
            for _ in range(2):
                if room():
                    office = OFFICES[office_key]
                    roots.append(
                        self._account(office, owner=users[username], employees=rng.randint(5, 120))
                    )
        for region_key, short in REGION_SHORT.items():
            offices = [o for o in OFFICES.values() if o.region_key == region_key]
            for line in PRODUCT_LINES:
                for _ in range(max(1, total // 250)):
                    if room():
                        team = self.teams[f"{short} {line} Sales"]
                        roots.append(self._account(rng.choice(offices), team=team))
        sellers, weights = [], []
        for person in self.people.values():
            if person.kind == "rep":
                weight = 10
            elif person.username.startswith("lead.") and person.unit != "marketing":
                weight = 3
            elif person.username.startswith("sales."):
                weight = 2 if person.unit in OFFICE_UNITS else 1
            else:
                continue
            sellers.append(person)
            weights.append(weight)
        while room():
            person = rng.choices(sellers, weights)[0]
            office = OFFICES[person.office or OFFICE_OF_UNIT[person.unit]]
            account = self._account(office, owner=users[person.username])
            roots.append(account)
            if account.tier == Tier.KEY and rng.random() < 0.35 and room():
                branches.append((self._branch(account, office), account))
        Account.objects.bulk_create(roots, batch_size=500)
        for branch, parent in branches:
            branch.parent_id = parent.pk
        Account.objects.bulk_create([branch for branch, _ in branches], batch_size=500)
        self.accounts = roots + [branch for branch, _ in branches]

    # Shares and access teams -------------------------------------------------------------

    def build_sharing(self, admin: User) -> None:
        """Key accounts are shared with the Key Account Service team; a handful of shares
        and access-team members make the access panel show every kind of reason."""
        now, users, teams = self.now, self.users, self.teams
        account_type = ContentType.objects.get_for_model(Account)
        key_accounts = [a for a in self.accounts if a.tier == Tier.KEY]
        Share.objects.bulk_create(
            [
                Share(
                    record_type=account_type,
                    record_id=account.pk,
                    team=teams["Key Account Service"],
                    can_read=True,
                    can_write=True,
                    created_by=admin,
                    created_at=now,
                )
                for account in key_accounts
            ]
        )
        self.shares = len(key_accounts)
        showcase = getattr(self, "showcase", None)
        if showcase is not None:
            # A colleague from Milan helps on the deal for a month; the partner sees it.
            record_share(
                admin,
                showcase,
                user=users["rep.milan1"],
                rights=["read"],
                expires_at=now + timedelta(days=30),
            )
            record_share(admin, showcase, user=users["partner.jakarta"], rights=["read"])
            access_team_member_add(admin, showcase, user=users["rep.shanghai1"])
            access_team_member_add(
                admin, showcase, user=users["support.milan1"], expires_at=now + timedelta(days=14)
            )
            self.shares += 3  # the two user shares and the access team's own share
        by_owner: dict[str, list[Account]] = {}
        for account in self.accounts:
            if account.owner_user_id and account.tier == Tier.STANDARD:
                by_owner.setdefault(account.owner_user.username, []).append(account)
        for partner, owner, rights in (
            ("partner.milan", "rep.milan1", ["read", "write"]),
            ("partner.shanghai", "rep.shanghai1", ["read"]),
        ):
            for account in by_owner.get(owner, [])[:1]:
                record_share(admin, account, user=users[partner], rights=rights)
                self.shares += 1
        # Customers invited to the annual customer event.
        invited = [
            a
            for a in self.accounts
            if a.tier == Tier.KEY and a.owner_user_id and a.owner_user.username.startswith("rep.")
        ][:3]
        for account in invited:
            record_share(admin, account, team=teams["Events & Trade Shows"], rights=["read"])
            self.shares += 1


LEGAL_FORMS = {
    "pt",
    "pd",
    "cv",
    "ud",
    "perum",
    "tbk",
    "inc",
    "llc",
    "ltd",
    "plc",
    "group",
    "and",
    "sons",
    "s",
    "r",
    "l",
    "p",
    "a",
    "spa",
    "srl",
    "e",
    "figli",
}
BRANCH_NAMES = {
    "id_ID": "{name} Cabang {city}",
    "zh_CN": "{name}{city}分公司",
    "it_IT": "{name} - Filiale di {city}",
    "en_US": "{name} - {city} Branch",
}
OFFICE_UNITS = {office.sales_unit for office in OFFICES.values()}
OFFICE_OF_UNIT = {
    "apac": "jakarta",
    "europe": "milan",
    "americas": "newyork",
    **{office.sales_unit: office.key for office in OFFICES.values()},
}


class DemoError(Exception):
    """The demo cannot be built here (the database is not empty)."""


def database_is_empty() -> bool:
    return not User.objects.exists()


def generate(
    *, seed: int = DEFAULT_SEED, users: int = DEFAULT_USERS, accounts: int = DEFAULT_ACCOUNTS
) -> DemoSummary:
    """Build the demo organization in one transaction and return what was made.

    Refuses (DemoError) when the database already has users or units below the root."""
    started = time.perf_counter()
    if not database_is_empty():
        raise DemoError(
            "the database already has users; the demo organization is built only into an "
            "empty database (start from a fresh TRELLIS_DATA_DIR or DATABASE_URL)"
        )
    if BusinessUnit.objects.exclude(parent__isnull=True).exists():
        raise DemoError("the database already has business units below the root")
    with transaction.atomic():
        builder = _Builder(seed)
        root = ensure_root_unit()
        admin = User.objects.create(username="admin", password=builder.password_hash, unit=root)
        admin.roles.add(builder.roles["System Administrator"])
        builder.build_units(admin)
        builder.regional_admin_role(admin)
        builder.build_people(admin, users)
        builder.build_teams(admin)
        builder.build_accounts(accounts)
        with scope_cache():
            builder.build_sharing(admin)
        records = build_records(
            builder.rng,
            builder.fakers,
            builder.now,
            builder.accounts,
            builder.users,
            {office.country: office.locale for office in OFFICES.values()},
        )
        records.update(build_sla(builder.now))
        records.update(build_partner_portal(admin, builder.users, builder.now))
        records.update(build_routing(builder.teams, builder.users))
    return DemoSummary(
        seed=seed,
        units=len(builder.units),
        teams=len(builder.teams),
        users=len(builder.users),
        accounts=len(builder.accounts),
        shares=builder.shares,
        records=records,
        seconds=time.perf_counter() - started,
        logins=demo_logins(),
    )


def demo_logins() -> list[DemoLogin]:
    """One demo login per role, for the demo users that still have the demo password."""
    users = {
        user.username: user
        for user in User.objects.filter(username__in=LOGIN_PER_ROLE.values(), is_active=True)
        .select_related("unit")
        .prefetch_related("roles")
    }
    demo_hashes: dict[str, bool] = {}
    logins = []
    for role, username in LOGIN_PER_ROLE.items():
        user = users.get(username)
        if user is None or role not in {r.name for r in user.roles.all()}:
            continue
        if user.password not in demo_hashes:
            # Demo users share one hash, so this verifies once.
            demo_hashes[user.password] = check_password(DEMO_PASSWORD, user.password)
        if demo_hashes[user.password]:
            unit = user.unit.name if user.unit else ""
            logins.append(DemoLogin(role, username, unit, user.get_full_name()))
    return logins


def format_logins(logins: list[DemoLogin]) -> str:
    """The logins as a small plain-text table, with the shared password under it."""
    if not logins:
        return "No demo logins (run `trellis demo` on an empty database to make them)."
    rows = [("Role", "Username", "Unit")] + [(x.role, x.username, x.unit) for x in logins]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append("")
    lines.append(f"Password for every demo login: {DEMO_PASSWORD}")
    return "\n".join(lines)
