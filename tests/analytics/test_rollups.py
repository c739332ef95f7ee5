"""The dashboard rollups (trellis.analytics.rollups) stay exact under every kind of write,
and figures read from them equal the figures counted from the records over `visible`.

Each test runs a seeded random series of writes through the services (create, stage
change, close won/lost, reassign across units, bulk assign, moving a person and a unit,
share/unshare, SLA breaches, delete, import) and then checks two things:

1. the rollup tables kept by the triggers equal the tables rebuilt from the records;
2. for people who see different things (rep, manager, sibling manager, executive,
   someone with a share, a manager through the hierarchy, a partner), every figure of
   their dashboards is the same read from the rollups and counted raw.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.analytics.conftest import WINDOW, case, lead, opportunity
from trellis.access.engine import scope_cache
from trellis.access.services import record_assign, record_share, record_unshare, records_assign_bulk
from trellis.analytics import rollups, selectors, totals
from trellis.analytics.models import CaseRollup, LeadRollup, OpportunityRollup
from trellis.analytics.totals import split_period
from trellis.dataio.services import import_rows
from trellis.org.services import unit_update, user_update
from trellis.sales.models import Lead, Opportunity
from trellis.sales.services import (
    lead_delete,
    lead_disqualify,
    lead_mark_contacted,
    lead_qualify,
    opportunity_close,
    opportunity_delete,
    opportunity_update,
)
from trellis.service.models import Case
from trellis.service.services import case_delete, case_resolve, case_set_satisfaction
from trellis.sla.models import SlaEvent

STAGES = ["prospecting", "qualification", "proposal", "negotiation", "won", "lost"]
PRIORITIES = ["low", "normal", "high", "urgent"]
TYPES = ["question", "problem", "complaint", "feedback", "request"]
PRODUCTS = ["Pump", "Valve", ""]
SOURCES = ["web_form", "event", "referral", "other"]


def snapshot() -> dict[tuple, tuple]:
    """The rollup rows that count something, by key."""
    out: dict[tuple, tuple] = {}
    for model, keys, measures in (
        (OpportunityRollup, rollups.OPP_KEYS, rollups.OPP_MEASURES),
        (CaseRollup, rollups.CASE_KEYS, rollups.CASE_MEASURES),
        (LeadRollup, rollups.LEAD_KEYS, rollups.LEAD_MEASURES),
    ):
        for row in model.objects.values(*keys, *measures):
            values = tuple(Decimal(row[m]) for m in measures)
            if any(values):
                out[(model.__name__, *(row[k] for k in keys))] = values
    return out


def assert_rollups_exact() -> None:
    kept = snapshot()
    rollups.install(rebuild=True)
    assert kept, "the writes left nothing in the rollups"
    assert kept == snapshot()


@pytest.fixture
def cast(org, people, data):
    """More people: a manager reached only through `reports_to` (in Milan, managing a
    Jakarta rep), a partner with a share, an owner team in Shanghai and an admin."""
    p = people
    p.admin = factories.user("admin", unit=org["root"], roles=["System Administrator"])
    p.boss = factories.user("boss", unit=org["milan"], roles=["Sales Manager"])
    user_update(p.admin, user=p.rep_j, reports_to=p.boss)
    p.partner = factories.user(
        "partner", unit=org["milan"], roles=["Sales Representative"], user_type="partner"
    )
    p.team_s = factories.team("Shanghai desk", unit=org["shanghai"], members=(p.rep_s,))
    return p


def random_writes(p, org, data, seed: int) -> None:
    """A bounded random series of writes through the services."""
    rng = random.Random(seed)
    now = timezone.now()
    sellers = [p.rep_j, p.rep_s, p.manager_j, p.manager_s, p.partner]
    agents = [p.agent_j, p.agent_j2, p.agent_s]
    accounts = [data.account_j, data.account_s]

    def past(days: int = 120) -> dt.datetime:
        return now - dt.timedelta(days=rng.randrange(days), minutes=rng.randrange(1440))

    opps = list(Opportunity.objects.all())
    cases = list(Case.objects.all())
    for _ in range(14):
        owner = rng.choice(sellers)
        stage = rng.choice(STAGES)
        fields = {"stage": stage, "amount": Decimal(rng.randrange(100, 90000)) / 10}
        if stage in ("won", "lost"):
            fields["closed_at"] = past()
        if rng.random() < 0.2:
            made = Opportunity.objects.create(
                name="Team deal",
                account=rng.choice(accounts),
                owner_team=p.team_s,
                owning_unit_id=p.team_s.unit_id,
                probability=30,
                **fields,
            )
        else:
            made = opportunity(owner, rng.choice(accounts), probability=40, **fields)
        opps.append(made)
    for _ in range(14):
        owner = rng.choice(agents)
        created = past()
        fields = {
            "type": rng.choice(TYPES),
            "priority": rng.choice(PRIORITIES),
            "product_name": rng.choice(PRODUCTS),
            "created_at": created,
        }
        if rng.random() < 0.5:
            fields["first_response_at"] = created + dt.timedelta(minutes=rng.randrange(5, 900))
        cases.append(case(owner, **fields))
    # Stage changes, closing and re-opening.
    for opp in rng.sample(opps, 6):
        opp.refresh_from_db()
        if opp.stage in ("won", "lost"):
            opportunity_update(p.admin, opportunity=opp, stage="proposal")
        elif rng.random() < 0.5:
            opportunity_close(p.admin, opportunity=opp, outcome=rng.choice(["won", "lost"]))
        else:
            opportunity_update(p.admin, opportunity=opp, stage=rng.choice(STAGES[:4]))
    # Resolving cases, satisfaction, back-dated resolution, breaches.
    for item in rng.sample(cases, 8):
        item.refresh_from_db()
        if item.status in ("new", "in_progress", "waiting"):
            case_resolve(p.admin, case=item, resolution="done")
            if rng.random() < 0.6:
                item.refresh_from_db()
                case_set_satisfaction(p.admin, case=item, satisfaction=rng.randint(1, 5))
            if rng.random() < 0.5:
                Case.objects.filter(pk=item.pk).update(resolved_at=past(60))
        if rng.random() < 0.5:
            SlaEvent.objects.get_or_create(
                entity="case",
                record_id=item.pk,
                kind=rng.choice(["first_response", "resolution"]),
                defaults={"due_at": now},
            )
    SlaEvent.objects.filter(pk__in=SlaEvent.objects.order_by("?").values("pk")[:1]).delete()
    # Reassign across units, one at a time and in bulk.
    for record in rng.sample(opps, 3) + rng.sample(cases, 3):
        record.refresh_from_db()
        target = rng.choice(agents if isinstance(record, Case) else sellers)
        record_assign(p.admin, record, owner_user=target)
    batch = [(c, rng.choice(agents), None) for c in rng.sample(cases, 4)]
    batch += [(o, None, p.team_s) for o in rng.sample(opps, 2)]
    for record, _user, _team in batch:
        record.refresh_from_db()
    records_assign_bulk(p.admin, batch)
    # Someone moves to another unit (their records follow); a unit moves in the tree.
    user_update(p.admin, user=rng.choice([p.rep_s, p.agent_j2]), unit=org["milan"])
    unit_update(p.admin, unit=org["milan"], parent=org["asia"])
    # Shares reach records outside the keyed part; one is taken back.
    shared = rng.sample(opps, 3) + rng.sample(cases, 2)
    for record in shared:
        record.refresh_from_db()
        record_share(p.admin, record, user=rng.choice([p.rep_s, p.partner, p.agent_s]))
    record_share(p.admin, shared[0], user=p.rep_s)
    record_unshare(p.admin, shared[0], user=p.rep_s)
    record_share(p.admin, shared[1], user=p.partner)
    # Deletes.
    for opp in rng.sample(opps, 2):
        if Opportunity.objects.filter(pk=opp.pk).exists():
            opportunity_delete(p.admin, opportunity=Opportunity.objects.get(pk=opp.pk))
    for item in rng.sample(cases, 2):
        if Case.objects.filter(pk=item.pk).exists():
            case_delete(p.admin, case=Case.objects.get(pk=item.pk))
    # An import (multi-row INSERT on SQLite, COPY on PostgreSQL).
    report = import_rows(
        p.manager_j,
        entity="opportunities",
        headers=["Opportunity Name", "Account", "Stage", "Amount", "Close Date"],
        rows=[
            (2, ["Imported A", data.account_j.name, "won", "700", past().date().isoformat()]),
            (3, ["Imported B", data.account_j.name, "proposal", "1200", ""]),
            (4, ["Imported C", data.account_j.name, "lost", "90", past().date().isoformat()]),
        ],
    )
    assert report.created >= 1, report
    lead_writes(p, data, rng, past)


def lead_writes(p, data, rng: random.Random, past) -> None:
    """Leads: create (some contacted late or never), contact, qualify, disqualify,
    reassign, share, delete and import, so the lead figures count varied records."""
    sellers = [p.rep_j, p.rep_s, p.manager_j, p.manager_s, p.partner]
    campaigns = [data.campaign_j, data.campaign_s, None]
    made = []
    for _ in range(12):
        created = past(60)
        fields = {"created_at": created, "source": rng.choice(SOURCES)}
        if rng.random() < 0.4:
            late = dt.timedelta(hours=rng.choice([1, 30, 90]))
            fields |= {"status": "contacted", "first_contacted_at": created + late}
        made.append(lead(rng.choice(sellers), campaign=rng.choice(campaigns), **fields))
    for item in rng.sample(made, 3):
        item.refresh_from_db()
        if item.status == "new":
            lead_mark_contacted(p.admin, lead=item)
    item = made[0]
    item.refresh_from_db()
    lead_qualify(p.admin, lead=item, account=data.account_j, create_opportunity=False)
    item = made[1]
    item.refresh_from_db()
    lead_disqualify(p.admin, lead=item, reason="no budget")
    for item in rng.sample(made[2:], 3):
        item.refresh_from_db()
        record_assign(p.admin, item, owner_user=rng.choice(sellers))
    for item in rng.sample(made[2:], 2):
        item.refresh_from_db()
        record_share(p.admin, item, user=rng.choice([p.rep_s, p.partner, p.boss]))
    lead_delete(p.admin, lead=Lead.objects.get(pk=made[-1].pk))
    report = import_rows(
        p.manager_j,
        entity="leads",
        headers=["Last Name", "Company", "Lead Source", "Lead Status"],
        rows=[
            (2, ["Imported lead A", "Acme", "event", "new"]),
            (3, ["Imported lead B", "Acme", "referral", "contacted"]),
        ],
    )
    assert report.created == 2, report


def viewers(p) -> list:
    return [
        p.rep_j,
        p.manager_j,
        p.manager_s,
        p.service_j,
        p.service_s,
        p.executive,
        p.rep_s,  # has shares and an owner team
        p.boss,  # reaches rep_j's records only through reports_to
        p.partner,  # own records and shares only
        p.analyst_s,
    ]


def figures(user, kind: str, filters, *, use_rollups: bool, now) -> list:
    context = selectors.Context(user, filters, rollups=use_rollups, now=now)
    out = []
    for figure in selectors.BUILDERS[kind](context):
        rows = sorted(repr(sorted(row.items())) for row in figure.rows)
        out.append((figure.key, str(figure.note), rows))
    return out


PERIODS = [
    WINDOW,
    {"period": "month"},
    {"period": "quarter"},
    {"period": "year"},
    {"period": "week"},
    {"period": "custom", "start": "2025-12-15", "end": "2026-12-31"},
]


def assert_figures_match(p, org, periods=PERIODS) -> None:
    now = timezone.now()
    compared = 0
    with scope_cache():
        for user in viewers(p):
            kinds = set(selectors.dashboards_for(user)) | {"executive", "sales_manager"}
            for params in periods:
                filters = selectors.parse_filters(params)
                for kind in sorted(kinds):
                    raw = figures(user, kind, filters, use_rollups=False, now=now)
                    rolled = figures(user, kind, filters, use_rollups=True, now=now)
                    assert rolled == raw, (user.username, kind, params)
                    compared += sum(len(rows) for _key, _note, rows in raw)
    assert compared > 100  # the comparison saw real figures, not empty ones


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_stay_exact_through_random_writes(cast, org, data, seed):
    random_writes(cast, org, data, seed)

    assert_rollups_exact()


@pytest.mark.parametrize("seed", [4, 5])
def test_figures_from_rollups_equal_the_raw_figures_for_every_viewer(cast, org, data, seed):
    random_writes(cast, org, data, seed)

    assert_figures_match(cast, org)


def test_figures_match_with_unit_team_and_owner_filters(cast, org, data):
    random_writes(cast, org, data, 6)
    periods = [
        {**WINDOW, "unit_id": str(org["asia"].pk)},
        {"period": "year", "team_id": str(cast.team_s.pk)},
        {"period": "quarter", "owner_user_id": str(cast.rep_j.pk)},
    ]

    assert_figures_match(cast, org, periods)


def test_viewers_see_different_rolled_up_pipelines(cast, org, data):
    filters = selectors.parse_filters({"period": "month"})
    funnels = {}
    for user in (cast.manager_j, cast.manager_s, cast.executive, cast.partner):
        context = selectors.Context(user, filters, rollups=True)
        funnels[user.username] = [row["count"] for row in selectors.pipeline_funnel(context).rows]

    assert funnels["manager_j"] == [0, 0, 1, 0]  # the Jakarta proposal
    assert funnels["manager_s"] == [0, 0, 0, 1]  # the Shanghai negotiation
    assert funnels["executive"] == [0, 0, 1, 1]
    assert funnels["partner"] == [0, 0, 0, 0]


def test_a_share_adds_the_record_to_the_rolled_up_figure_and_unsharing_removes_it(cast, org, data):
    filters = selectors.parse_filters({"period": "month"})

    def negotiation_count() -> int:
        context = selectors.Context(cast.partner, filters, rollups=True)
        return selectors.pipeline_funnel(context).rows[3]["count"]

    record_share(cast.admin, data.open_s, user=cast.partner)
    shared = negotiation_count()
    record_unshare(cast.admin, data.open_s, user=cast.partner)

    assert (shared, negotiation_count()) == (1, 0)


def test_lead_rollups_follow_lead_writes_and_viewers_see_different_lead_figures(cast, org, data):
    random_writes(cast, org, data, 9)
    assert LeadRollup.objects.filter(n__gt=0).exists()
    assert_rollups_exact()
    filters = selectors.parse_filters(WINDOW)

    def leads(user) -> int:
        context = selectors.Context(user, filters, rollups=True)
        return sum(row["leads"] for row in selectors.leads_by_source(context).rows)

    def raw(user) -> int:
        return (
            selectors.visible(user, Lead)
            .filter(created_at__gte=filters.start_at, created_at__lt=filters.end_at)
            .count()
        )

    counts = {u.username: leads(u) for u in (cast.manager_j, cast.manager_s, cast.executive)}
    assert counts == {u: raw(getattr(cast, u)) for u in counts}
    assert counts["manager_j"] != counts["manager_s"]
    assert counts["executive"] >= counts["manager_j"] + counts["manager_s"] > 0


def test_a_breach_recorded_later_counts_in_the_rolled_up_breach_rate(cast, org, data):
    filters = selectors.parse_filters(WINDOW)

    def breached() -> int:
        context = selectors.Context(cast.service_j, filters, rollups=True)
        return selectors.sla_breach_rate(context).rows[1]["value"]

    before = breached()
    SlaEvent.objects.create(
        entity="case", record_id=data.complaint_j.pk, kind="first_response", due_at=timezone.now()
    )
    SlaEvent.objects.create(
        entity="case", record_id=data.complaint_j.pk, kind="resolution", due_at=timezone.now()
    )

    assert (before, breached()) == (0, 1)


def test_rollups_kept_for_another_time_zone_are_not_read(cast, data, settings):
    settings.TIME_ZONE = "Asia/Jakarta"

    assert rollups.current() is False
    context = selectors.Context(cast.executive, selectors.parse_filters({"period": "month"}))
    assert context.totals.use_rollups is False


def test_rebuilding_for_another_time_zone_keeps_the_figures_exact(cast, org, data, settings):
    random_writes(cast, org, data, 7)
    settings.TIME_ZONE = "America/Los_Angeles"
    timezone.activate("America/Los_Angeles")
    try:
        rollups.install(rebuild=True)
        assert rollups.current()
        data.open_j.refresh_from_db()
        opportunity_close(cast.admin, opportunity=data.open_j, outcome="won")

        assert_rollups_exact()
        assert_figures_match(cast, org, [{"period": "month"}, WINDOW])
    finally:
        timezone.deactivate()


def test_a_period_splits_into_whole_months_and_the_days_around_them():
    day = dt.date

    assert split_period(day(2026, 1, 1), day(2026, 3, 31)) == ((202601, 202603), [])
    assert split_period(day(2026, 1, 15), day(2026, 3, 10)) == (
        (202602, 202602),
        [(day(2026, 1, 15), day(2026, 1, 31)), (day(2026, 3, 1), day(2026, 3, 10))],
    )
    assert split_period(day(2026, 2, 2), day(2026, 2, 20)) == (
        None,
        [(day(2026, 2, 2), day(2026, 2, 20))],
    )
    assert split_period(day(2025, 12, 1), day(2026, 1, 31)) == ((202512, 202601), [])


def test_the_rebuild_command_refills_emptied_rollups(cast, data):
    kept = snapshot()
    OpportunityRollup.objects.all().delete()
    call_command("analytics_rebuild", stdout=StringIO())

    assert kept and snapshot() == kept


def test_figures_match_when_the_remainder_is_too_large_to_keep_by_id(cast, org, data, monkeypatch):
    monkeypatch.setattr(totals, "REMAINDER_IDS", 0)
    random_writes(cast, org, data, 8)

    assert_figures_match(cast, org, [WINDOW, {"period": "year"}])


def test_durations_are_kept_to_the_microsecond(org, people):
    """The rollup's response and resolution sums are exact microseconds, as the raw figure
    computes them (floating-point day arithmetic would be a few microseconds off, enough
    to round 0.95 hours the other way)."""
    created = timezone.now().replace(microsecond=123457) - dt.timedelta(days=3)
    answered = created + dt.timedelta(minutes=57, microseconds=1)
    resolved = created + dt.timedelta(hours=30, seconds=7, microseconds=999_999)
    made = case(people.agent_j, created_at=created)
    Case.objects.filter(pk=made.pk).update(
        status="resolved", first_response_at=answered, resolved_at=resolved
    )
    done = CaseRollup.objects.filter(fact="done", first_response_n__gt=0)
    assert [row.first_response_us for row in done] == [57 * 60 * 10**6 + 1]
    assert [row.resolution_us for row in done] == [(30 * 3600 + 7) * 10**6 + 999_999]
