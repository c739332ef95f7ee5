from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from trellis.activities.models import Activity
from trellis.sales.models import Campaign, Lead, Opportunity, SalesTarget
from trellis.service.models import Case
from trellis.sla.models import SlaEvent

# A window that holds everything the fixtures create, whatever day the tests run.
WINDOW = {
    "period": "custom",
    "start": (timezone.localdate() - dt.timedelta(days=30)).isoformat(),
    "end": timezone.localdate().isoformat(),
}


def owned(owner) -> dict:
    return {"owner_user": owner, "owning_unit_id": owner.unit_id}


def opportunity(owner, account, **fields) -> Opportunity:
    return Opportunity.objects.create(
        name=fields.pop("name", "Deal"), account=account, **owned(owner), **fields
    )


def lead(owner, **fields) -> Lead:
    return Lead.objects.create(last_name=fields.pop("last_name", "Lead"), **owned(owner), **fields)


def case(owner, **fields) -> Case:
    return Case.objects.create(subject=fields.pop("subject", "Case"), **owned(owner), **fields)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(org):
    """Sales and service staff in the sibling units Jakarta and Shanghai, their managers,
    and people who look at the whole organization from the root."""
    jakarta, shanghai, root = org["jakarta"], org["shanghai"], org["root"]
    pm_role = factories.custom_role(
        {"case": {"read": "subtree"}, "product": {"read": "org", "write": "org"}},
        {"view_reports": "org"},
        name="Local product manager",
    )
    analyst_role = factories.custom_role(
        {"opportunity": {"read": "unit"}, "case": {"read": "unit"}, "lead": {"read": "unit"}},
        {"view_reports": "org"},
        name="Local analyst",
    )
    return SimpleNamespace(
        rep_j=factories.user("rep_j", unit=jakarta, roles=["Sales Representative"]),
        rep_s=factories.user("rep_s", unit=shanghai, roles=["Sales Representative"]),
        manager_j=factories.user("manager_j", unit=jakarta, roles=["Sales Manager"]),
        manager_s=factories.user("manager_s", unit=shanghai, roles=["Sales Manager"]),
        agent_j=factories.user("agent_j", unit=jakarta, roles=["Customer Service Representative"]),
        agent_j2=factories.user(
            "agent_j2", unit=jakarta, roles=["Customer Service Representative"]
        ),
        agent_s=factories.user("agent_s", unit=shanghai, roles=["Customer Service Representative"]),
        service_j=factories.user("service_j", unit=jakarta, roles=["Service Manager"]),
        service_s=factories.user("service_s", unit=shanghai, roles=["Service Manager"]),
        marketer_j=factories.user("marketer_j", unit=jakarta, roles=["Marketing Specialist"]),
        marketer_s=factories.user("marketer_s", unit=shanghai, roles=["Marketing Specialist"]),
        product_manager=factories.user("pm", unit=root, roles=["Product Manager"]),
        product_manager_j=factories.user("pm_j", unit=jakarta, roles=[pm_role]),
        analyst=factories.user("analyst", unit=root, roles=["Data Analyst"]),
        analyst_s=factories.user("analyst_s", unit=shanghai, roles=[analyst_role]),
        executive=factories.user("executive", unit=root, roles=["Executive"]),
    )


@pytest.fixture
def data(people):
    """Jakarta: an open 1000 proposal and a won 500 deal, a slow lead, an urgent complaint
    about pumps and two resolved cases. Shanghai: an open 2000 negotiation, a lost 300
    deal, a qualified lead, a complaint about valves and a resolved, breached case."""
    now = timezone.now()
    p = people
    account_j = factories.account(p.rep_j, name="Jakarta Steel")
    account_s = factories.account(p.rep_s, name="Shanghai Silk")
    campaign_j = Campaign.objects.create(
        name="Jakarta fair", actual_cost=100, **owned(p.marketer_j)
    )
    campaign_s = Campaign.objects.create(
        name="Shanghai mail", actual_cost=50, **owned(p.marketer_s)
    )
    out = SimpleNamespace(
        account_j=account_j,
        account_s=account_s,
        campaign_j=campaign_j,
        campaign_s=campaign_s,
        open_j=opportunity(
            p.rep_j, account_j, name="Jakarta open", stage="proposal", amount=1000, probability=50
        ),
        won_j=opportunity(
            p.rep_j,
            account_j,
            name="Jakarta won",
            stage="won",
            amount=500,
            probability=100,
            closed_at=now,
            campaign=campaign_j,
        ),
        open_s=opportunity(
            p.rep_s,
            account_s,
            name="Shanghai open",
            stage="negotiation",
            amount=2000,
            probability=75,
        ),
        lost_s=opportunity(
            p.rep_s, account_s, name="Shanghai lost", stage="lost", amount=300, closed_at=now
        ),
        slow_lead=lead(
            p.rep_j, last_name="Slow", created_at=now - dt.timedelta(days=3), campaign=campaign_j
        ),
        qualified_lead=lead(
            p.rep_s, last_name="Quick", status="qualified", campaign=campaign_s, source="event"
        ),
        complaint_j=case(
            p.agent_j,
            subject="Pump leaks",
            type="complaint",
            priority="urgent",
            product_name="Pump",
            account=account_j,
        ),
        resolved_j=case(
            p.agent_j,
            subject="Fixed fast",
            status="resolved",
            created_at=now - dt.timedelta(hours=5),
            first_response_at=now - dt.timedelta(hours=3),
            resolved_at=now,
            satisfaction=4,
        ),
        resolved_j2=case(
            p.agent_j2,
            subject="Fixed slowly",
            status="resolved",
            created_at=now - dt.timedelta(hours=10),
            first_response_at=now - dt.timedelta(hours=4),
            resolved_at=now,
            satisfaction=2,
        ),
        complaint_s=case(
            p.agent_s,
            subject="Valve stuck",
            type="complaint",
            product_name="Valve",
            account=account_s,
        ),
        resolved_s=case(
            p.agent_s,
            subject="Breached",
            status="resolved",
            created_at=now - dt.timedelta(hours=30),
            resolved_at=now,
            satisfaction=5,
        ),
        overdue_task=Activity.objects.create(
            kind="task",
            subject="Call back Jakarta",
            due_at=now - dt.timedelta(days=1),
            **owned(p.rep_j),
        ),
        target_j=SalesTarget.objects.create(
            user=p.rep_j,
            period_start=timezone.localdate() - dt.timedelta(days=60),
            period_end=timezone.localdate() + dt.timedelta(days=30),
            amount=2000,
        ),
    )
    SlaEvent.objects.create(
        entity="case", record_id=out.resolved_s.pk, kind="resolution", due_at=now
    )
    return out
