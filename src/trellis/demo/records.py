"""The demo's day-to-day records: contacts, the product catalog, campaigns, opportunities
with their stage history, cases and activities, spread over the demo accounts so every
page has something true to show. Deterministic for a seed, like the rest of the demo."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from faker import Faker

from trellis.activities.models import Activity
from trellis.customers.models import Account, Contact
from trellis.org.models import User
from trellis.sales.models import (
    Campaign,
    Opportunity,
    OpportunityStageChange,
    Product,
    ProductLine,
)
from trellis.service.models import Case, CaseStatusChange, queue_key_for
from trellis.service.services import case_number

JOB_TITLES = (
    "Purchasing Manager",
    "Operations Director",
    "IT Manager",
    "Chief Financial Officer",
    "Procurement Officer",
    "Head of Customer Service",
    "Facilities Manager",
    "Chief Executive Officer",
)
CATALOG = {
    "Cloud": (
        ("Cloud Storage", "CL-STO", 1200),
        ("Cloud Backup", "CL-BAK", 800),
        ("Cloud Analytics", "CL-ANA", 2500),
    ),
    "Devices": (
        ("Field Tablet", "DV-TAB", 650),
        ("Barcode Scanner", "DV-SCN", 320),
        ("Smart Terminal", "DV-TRM", 980),
    ),
}
CAMPAIGNS = (
    ("Spring webinar series", "web", "completed"),
    ("Trade fair Jakarta", "event", "completed"),
    ("Newsletter: cloud offers", "email", "active"),
    ("Partner referral drive", "partner", "active"),
    ("Social launch: devices", "social", "planned"),
)
STAGES = (("prospecting", 10), ("qualification", 20), ("proposal", 50), ("negotiation", 75))
CASE_SUBJECTS = {
    "question": ("How do I export my invoices?", "Question about licence renewal"),
    "problem": ("Sync fails after update", "Scanner not pairing", "Backup job stopped"),
    "complaint": ("Late delivery of tablets", "Billed twice this month", "Support took too long"),
    "feedback": ("Great onboarding session", "Suggestion for the dashboard"),
    "request": ("Add two more seats", "Need a training for new staff"),
}
TASKS = (
    "Send proposal",
    "Follow up on quote",
    "Prepare demo",
    "Call back about renewal",
    "Check delivery date",
    "Update contract draft",
)


def _phone(faker: Faker, country: str) -> tuple[str, str]:
    raw = faker.phone_number()[:60]
    try:
        number = phonenumbers.parse(raw, country or None)
    except phonenumbers.NumberParseException:
        return "", raw
    if not phonenumbers.is_valid_number(number):
        return "", raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), raw


def _owned(owner: User) -> dict[str, Any]:
    return {
        "owner_user": owner,
        "owning_unit_id": owner.unit_id,
        "created_by": owner,
        "modified_by": owner,
    }


def build_records(
    rng: random.Random,
    fakers: dict[str, Faker],
    now: datetime,
    accounts: list[Account],
    users: dict[str, User],
    locale_of_country: dict[str, str],
) -> dict[str, int]:
    """Create the records and return how many of each were made."""
    by_role: dict[str, list[User]] = {}
    for user in users.values():
        for role in user.roles.all():
            by_role.setdefault(role.name, []).append(user)
    service_people = by_role.get("Customer Service Representative", []) or [users["admin"]]
    marketers = by_role.get("Marketing Specialist", []) or [users["admin"]]
    product_owner = (by_role.get("Product Manager") or [users["admin"]])[0]
    made: dict[str, int] = {}

    lines = {}
    products = []
    for line_name, items in CATALOG.items():
        line = ProductLine.objects.create(name=line_name, code=line_name.upper()[:10])
        lines[line_name] = line
        for name, code, price in items:
            products.append(
                Product(
                    name=name,
                    code=code,
                    product_line=line,
                    list_price=Decimal(price),
                    currency="USD",
                    **_owned(product_owner),
                )
            )
    Product.objects.bulk_create(products)
    made["products"] = len(products)

    campaigns = []
    for index, (name, channel, status) in enumerate(CAMPAIGNS):
        start = (now - timedelta(days=200 - index * 45)).date()
        campaigns.append(
            Campaign(
                name=name,
                type=channel,
                status=status,
                budget=Decimal(5000 + 2500 * index),
                actual_cost=Decimal(4000 + 2000 * index) if status != "planned" else None,
                expected_revenue=Decimal(40000 + 15000 * index),
                currency="USD",
                start_date=start,
                end_date=start + timedelta(days=60),
                product_line=rng.choice(list(lines.values())),
                **_owned(marketers[index % len(marketers)]),
            )
        )
    Campaign.objects.bulk_create(campaigns)
    made["campaigns"] = len(campaigns)

    contacts: list[Contact] = []
    primary: dict[int, Contact] = {}
    for account in accounts:
        owner = account.owner_user or users["admin"]
        faker = fakers[locale_of_country.get(account.country, "en_US")]
        domain = account.website.removeprefix("www.") or "example.com"
        for index in range(rng.choice((1, 1, 2, 2, 3))):
            first, last = faker.first_name(), faker.last_name()
            phone, raw = _phone(faker, account.country)
            handle = f"{first}.{last}".lower().replace(" ", "")
            contact = Contact(
                account=account,
                first_name=first[:100],
                last_name=last[:100],
                job_title=rng.choice(JOB_TITLES),
                email=f"{handle.encode('ascii', 'ignore').decode() or 'contact'}@{domain}"[:254],
                phone=phone,
                phone_raw=raw,
                city=account.city,
                country=account.country,
                preferred_language=locale_of_country.get(account.country, "en")[:2],
                consent_email=rng.random() < 0.7,
                owner_user=account.owner_user,
                owner_team=account.owner_team,
                owning_unit_id=account.owning_unit_id,
                created_by=owner,
                modified_by=owner,
                created_at=account.created_at + timedelta(days=rng.uniform(0, 30)),
                modified_at=account.modified_at,
            )
            contacts.append(contact)
            if index == 0:
                primary[account.pk] = contact
    Contact.objects.bulk_create(contacts, batch_size=500)
    made["contacts"] = len(contacts)

    opportunities, histories = [], []
    for account in accounts:
        if account.owner_user is None or rng.random() < 0.25:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            created = now - timedelta(days=rng.uniform(5, 400))
            line = rng.choice(list(lines.values()))
            amount = Decimal(rng.randrange(2, 400) * 500)
            roll = rng.random()
            if roll < 0.25:
                stage, probability, closed = (
                    "won",
                    100,
                    created + timedelta(days=rng.uniform(10, 90)),
                )
            elif roll < 0.4:
                stage, probability, closed = (
                    "lost",
                    0,
                    created + timedelta(days=rng.uniform(10, 90)),
                )
            else:
                stage, probability = rng.choice(STAGES)
                closed = None
            closed = min(closed, now) if closed else None
            opportunity = Opportunity(
                name=f"{account.name[:150]} – {line.name}",
                account=account,
                contact=primary.get(account.pk),
                product_line=line,
                campaign=rng.choice(campaigns) if rng.random() < 0.3 else None,
                stage=stage,
                probability=probability,
                amount=amount,
                currency=account.currency,
                expected_close_date=(closed or now + timedelta(days=rng.uniform(10, 120))).date(),
                closed_at=closed,
                close_reason="Chosen on price" if stage == "lost" else "",
                created_at=created,
                modified_at=closed or created,
                **_owned(account.owner_user),
            )
            opportunities.append(opportunity)
    Opportunity.objects.bulk_create(opportunities, batch_size=500)
    order = [name for name, _ in STAGES] + ["won", "lost"]
    for opportunity in opportunities:
        path = ["prospecting"]
        if opportunity.stage in ("won", "lost"):
            path += ["qualification", "proposal", opportunity.stage]
        else:
            path += [s for s in order[1 : order.index(opportunity.stage) + 1]]
        when, previous = opportunity.created_at, ""
        step = ((opportunity.closed_at or now) - when) / max(1, len(path))
        for stage in path:
            histories.append(
                OpportunityStageChange(
                    opportunity=opportunity,
                    from_stage=previous,
                    to_stage=stage,
                    changed_by=opportunity.owner_user,
                    changed_at=when,
                    amount=opportunity.amount,
                    currency=opportunity.currency,
                    probability=dict(STAGES).get(stage, 100 if stage == "won" else 0),
                )
            )
            previous, when = stage, when + step
    OpportunityStageChange.objects.bulk_create(histories, batch_size=1000)
    made["opportunities"] = len(opportunities)

    cases, changes = [], []
    for account in accounts:
        if rng.random() < 0.45:
            continue
        for _ in range(rng.choice((1, 1, 2))):
            kind = rng.choices(list(CASE_SUBJECTS), (3, 4, 2, 1, 2))[0]
            priority = rng.choices(("low", "normal", "high", "urgent"), (2, 6, 3, 1))[0]
            created = now - timedelta(hours=rng.uniform(2, 24 * 120))
            status = rng.choices(
                ("new", "in_progress", "waiting", "resolved", "closed"), (2, 3, 1, 2, 4)
            )[0]
            region = [u for u in service_people if u.region == account.region] or service_people
            agent = rng.choice(region)
            responded = created + timedelta(hours=rng.uniform(0.2, 30)) if status != "new" else None
            resolved = (
                responded + timedelta(hours=rng.uniform(1, 96))
                if status in ("resolved", "closed")
                else None
            )
            resolved = min(resolved, now) if resolved else None
            cases.append(
                Case(
                    subject=rng.choice(CASE_SUBJECTS[kind]),
                    account=account,
                    contact=primary.get(account.pk),
                    type=kind,
                    priority=priority,
                    channel=rng.choice(("phone", "email", "web", "chat", "visit")),
                    product_name=rng.choice(products).name,
                    status=status,
                    first_response_at=responded and min(responded, now),
                    resolved_at=resolved,
                    closed_at=resolved if status == "closed" else None,
                    satisfaction=rng.choice((3, 4, 4, 5, 5, 2)) if status == "closed" else None,
                    resolution="Resolved by the service team." if resolved else "",
                    created_at=created,
                    modified_at=resolved or responded or created,
                    queue_key=queue_key_for(priority, created),
                    **_owned(agent),
                )
            )
    Case.objects.bulk_create(cases, batch_size=500)
    for case in cases:
        case.number = case_number(case.pk)
        changes.append(
            CaseStatusChange(
                case=case,
                from_status="",
                to_status="new",
                changed_by=case.owner_user,
                changed_at=case.created_at,
            )
        )
        if case.status != "new":
            changes.append(
                CaseStatusChange(
                    case=case,
                    from_status="new",
                    to_status=case.status,
                    changed_by=case.owner_user,
                    changed_at=case.modified_at,
                )
            )
    Case.objects.bulk_update(cases, ["number"], batch_size=500)
    CaseStatusChange.objects.bulk_create(changes, batch_size=1000)
    made["cases"] = len(cases)

    activities = []
    account_type = ContentType.objects.get_for_model(Account)
    for account in accounts:
        owner = account.owner_user
        if owner is None or rng.random() < 0.5:
            continue
        due = now + timedelta(days=rng.uniform(-10, 20))
        done = due < now and rng.random() < 0.7
        if rng.random() < 0.6:
            activities.append(
                Activity(
                    kind="task",
                    subject=rng.choice(TASKS),
                    due_at=due,
                    priority=rng.choice(("normal", "normal", "high")),
                    status="completed" if done else "open",
                    completed_at=due if done else None,
                    regarding_type=account_type,
                    regarding_id=account.pk,
                    **_owned(owner),
                )
            )
        else:
            start = due.replace(minute=0, second=0, microsecond=0)
            kind = rng.choice(("call", "meeting"))
            activities.append(
                Activity(
                    kind=kind,
                    subject=f"{kind.title()} with {account.name[:120]}",
                    start_at=start,
                    end_at=start + timedelta(minutes=30 if kind == "call" else 60),
                    status="completed" if done else "open",
                    completed_at=start if done else None,
                    regarding_type=account_type,
                    regarding_id=account.pk,
                    **_owned(owner),
                )
            )
    Activity.objects.bulk_create(activities, batch_size=500)
    made["activities"] = len(activities)
    return made
