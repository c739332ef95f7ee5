from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client

from tests import factories
from tests.service.conftest import make_case
from trellis.org.models import TeamMembership
from trellis.sales.models import Lead
from trellis.sla.models import BusinessCalendar, SlaPolicy, SpeedToLeadPolicy

CSR = "Customer Service Representative"
# A Monday morning in Jakarta (UTC+7): 2026-03-02 09:00 local.
MONDAY_9_JAKARTA = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(org):
    """Who must see different things.

    rep and colleague work cases in Jakarta under the leader (who leads their team) and
    report to the boss; milan_rep works in Milan; the service manager of Asia-Pacific holds
    manage_routing; the sales rep works leads, reads Jakarta's cases but may not change
    policies."""
    boss = factories.user("boss", unit=org["jakarta"], roles=[CSR])
    leader = factories.user("leader", unit=org["jakarta"], roles=[CSR], reports_to=boss)
    rep = factories.user("rep", unit=org["jakarta"], roles=[CSR], reports_to=boss)
    colleague = factories.user("colleague", unit=org["jakarta"], roles=[CSR], reports_to=boss)
    team = factories.team("Jakarta Desk", unit=org["jakarta"], members=(rep, colleague, leader))
    team.leader = leader
    team.save()
    return SimpleNamespace(
        boss=boss,
        leader=leader,
        rep=rep,
        colleague=colleague,
        team=team,
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=[CSR]),
        manager=factories.user("manager", unit=org["asia"], roles=["Service Manager"]),
        sales_rep=factories.user(
            "sales_rep", unit=org["jakarta"], roles=["Sales Representative"], reports_to=boss
        ),
    )


def calendar(**fields) -> BusinessCalendar:
    defaults = {
        "name": "Jakarta office",
        "time_zone": "Asia/Jakarta",
        "weekdays": [0, 1, 2, 3, 4],
        "start_time": dt.time(9),
        "end_time": dt.time(17),
        "holidays": [],
    }
    return BusinessCalendar.objects.create(**{**defaults, **fields})


def sla_policy(**fields) -> SlaPolicy:
    defaults = {
        "name": f"{fields.get('priority', 'normal')} cases",
        "priority": "normal",
        "first_response_minutes": 60,
        "resolution_minutes": 8 * 60,
    }
    return SlaPolicy.objects.create(**{**defaults, **fields})


def speed_policy(**fields) -> SpeedToLeadPolicy:
    defaults = {"name": "Call new leads", "hours": 4}
    policy = SpeedToLeadPolicy.objects.create(**{**defaults, **fields})
    # Policies cover leads made after them; tests make leads "in the past".
    SpeedToLeadPolicy.objects.filter(pk=policy.pk).update(
        created_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    )
    policy.refresh_from_db()
    return policy


def case_at(owner, created_at: dt.datetime, **fields):
    """A case opened at `created_at` (its due times follow from the policies)."""
    return make_case(owner, created_at=created_at, **fields)


def lead_at(owner, created_at: dt.datetime, **fields) -> Lead:
    made = Lead.objects.create(
        last_name=fields.pop("last_name", "Lead"),
        owner_user=owner,
        owning_unit_id=owner.unit_id,
        **fields,
    )
    Lead.objects.filter(pk=made.pk).update(created_at=created_at)
    made.refresh_from_db()
    return made


def join(team, user) -> None:
    TeamMembership.objects.create(team=team, user=user)


@pytest.fixture
def browser():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
