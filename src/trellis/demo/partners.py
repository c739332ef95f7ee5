"""The partner portal's demo data: the Jakarta distributor's own leads and an
opportunity a rep shares with them, so signing in as `partner.jakarta` fills every list
of the partner home page (own leads, own opportunities, shared with me)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from trellis.access.services import record_share
from trellis.customers.models import Account
from trellis.org.models import User
from trellis.sales.models import Lead, LeadRating, LeadSource, LeadStatus, Opportunity
from trellis.sales.models import OpportunityStageChange as StageChange

PARTNER = "partner.jakarta"
# (first name, last name, company, status, rating, days ago)
PARTNER_LEADS = (
    ("Sari", "Wijaya", "CV Sinar Jaya Elektronik", LeadStatus.NEW, LeadRating.HOT, 2),
    ("Budi", "Hartono", "PT Maju Bersama Logistik", LeadStatus.CONTACTED, LeadRating.WARM, 6),
    ("Dewi", "Lestari", "UD Berkah Abadi", LeadStatus.NEW, LeadRating.COLD, 9),
    ("Agus", "Pratama", "PT Karya Mandiri Retail", LeadStatus.CONTACTED, LeadRating.WARM, 15),
)
SHARED_DEAL = "Field tablets for the Surabaya depots"


def build_partner_portal(admin: User, users: dict[str, User], now: datetime) -> dict[str, int]:
    """partner.jakarta's own leads, and a showcase-account opportunity of rep.jakarta1
    shared with them (read only). Returns how many of each were made."""
    partner, rep = users.get(PARTNER), users.get("rep.jakarta1")
    if partner is None:
        return {}
    for first, last, company, status, rating, days in PARTNER_LEADS:
        created = now - timedelta(days=days)
        Lead.objects.create(
            first_name=first,
            last_name=last,
            company_name=company,
            email=f"{first}.{last}@example.co.id".lower(),
            source=LeadSource.PARTNER,
            rating=rating,
            status=status,
            country="ID",
            region="APAC",
            first_contacted_at=created + timedelta(days=1) if status != LeadStatus.NEW else None,
            owner_user=partner,
            owning_unit_id=partner.unit_id,
            created_by=partner,
            modified_by=partner,
            created_at=created,
            modified_at=created,
        )
    made = {"partner_leads": len(PARTNER_LEADS)}
    account = Account.objects.filter(owner_user=rep).order_by("-employees", "pk").first()
    if rep is None or account is None:
        return made
    created = now - timedelta(days=20)
    opportunity = Opportunity.objects.create(
        name=SHARED_DEAL,
        account=account,
        stage="proposal",
        probability=50,
        amount=Decimal("185000"),
        currency=account.currency,
        expected_close_date=(now + timedelta(days=45)).date(),
        owner_user=rep,
        owning_unit_id=rep.unit_id,
        created_by=rep,
        modified_by=rep,
        created_at=created,
        modified_at=created,
    )
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage="",
        to_stage="proposal",
        changed_by=rep,
        changed_at=created,
        amount=opportunity.amount,
        currency=opportunity.currency,
        probability=50,
    )
    record_share(admin, opportunity, user=partner, rights=["read"])
    made["partner_shared_opportunities"] = 1
    return made
