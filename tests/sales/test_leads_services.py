"""Lead services: create and change, the status flow, and qualify in one transaction."""

from __future__ import annotations

import pytest

from tests.sales.conftest import campaign, lead
from trellis.audit.models import AuditEvent
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from trellis.customers.models import Account, Contact
from trellis.sales import services
from trellis.sales.models import Lead, Opportunity, OpportunityStageChange

JAKARTA_PHONE = "+62 21 5550 1234"


def counts() -> tuple[int, int, int]:
    return Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()


def events(record, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(entity="lead", object_id=record.pk, action=action))


# Creating and changing.


def test_create_makes_a_new_lead_owned_by_the_actor(people):
    made = services.lead_create(people.rep, last_name="Tarub", company_name="Batik Co")
    assert made.status == "new"
    assert made.owner_user == people.rep
    assert made.owning_unit_id == people.rep.unit_id
    assert made.first_contacted_at is None


def test_create_normalizes_the_phone_and_keeps_what_was_typed(people):
    made = services.lead_create(people.rep, last_name="Tarub", phone=JAKARTA_PHONE)
    assert made.phone == "+622155501234"
    assert made.phone_raw == JAKARTA_PHONE


def test_a_national_number_is_read_in_the_leads_country(people):
    made = services.lead_create(people.rep, last_name="Tarub", phone="021 5550 1234", country="id")
    assert made.phone == "+622155501234"
    assert made.country == "ID"


def test_a_national_number_without_any_country_names_the_phone(people):
    with pytest.raises(InvalidInput) as caught:
        services.lead_create(people.rep, last_name="Tarub", phone="021 5550 1234")
    assert caught.value.errors[0][0] == "phone"


def test_create_is_audited(people):
    made = services.lead_create(people.rep, last_name="Tarub")
    assert events(made, "create")[0].changes["last_name"] == "Tarub"


def test_create_needs_a_last_name(people):
    with pytest.raises(InvalidInput) as caught:
        services.lead_create(people.rep, last_name="  ")
    assert caught.value.errors == [("last_name", "must not be empty")]


def test_create_refuses_an_unknown_rating(people):
    with pytest.raises(InvalidInput) as caught:
        services.lead_create(people.rep, last_name="Tarub", rating="lukewarm")
    assert caught.value.errors[0][0] == "rating"


def test_linking_a_campaign_the_actor_cannot_read_answers_not_found(people):
    hidden = campaign(people.milan_rep, name="Milan fair")
    with pytest.raises(NotFound) as caught:
        services.lead_create(people.rep, last_name="Tarub", campaign=hidden)
    assert caught.value.errors[0][0] == "campaign_id"


def test_a_lead_moved_in_as_contacted_has_a_first_contact(people):
    made = services.lead_create(people.rep, last_name="Tarub", status="contacted")
    assert made.first_contacted_at is not None


def test_a_lead_moved_in_as_disqualified_needs_a_reason(people):
    with pytest.raises(InvalidInput) as caught:
        services.lead_create(people.rep, last_name="Tarub", status="disqualified")
    assert caught.value.errors[0][0] == "disqualify_reason"


def test_a_lead_cannot_start_qualified(people):
    with pytest.raises(InvalidInput) as caught:
        services.lead_create(people.rep, last_name="Tarub", status="qualified")
    assert caught.value.errors[0][0] == "status"


def test_update_refuses_a_status_change(people, leads):
    with pytest.raises(InvalidInput) as caught:
        services.lead_update(people.rep, lead=leads.jakarta, status="qualified")
    assert caught.value.errors[0][0] == "status"


def test_update_with_a_stale_version_is_refused(people, leads):
    with pytest.raises(StaleVersion):
        services.lead_update(people.rep, lead=leads.jakarta, version=7, rating="hot")


def test_update_records_the_changed_fields(people, leads):
    services.lead_update(people.rep, lead=leads.jakarta, version=1, rating="hot")
    assert events(leads.jakarta, "update")[0].changes == {"rating": ["", "hot"]}


def test_a_colleague_may_read_but_not_change_the_lead(people, leads):
    with pytest.raises(Forbidden):
        services.lead_update(people.colleague, lead=leads.jakarta, rating="hot")


# The status flow.


def test_marking_contacted_stamps_the_first_contact(people, leads):
    done = services.lead_mark_contacted(people.rep, lead=leads.jakarta)
    assert done.status == "contacted"
    assert done.first_contacted_at is not None
    assert events(done, "contacted")


def test_a_second_contact_keeps_the_first_contact_time(people, leads):
    first = services.lead_mark_contacted(people.rep, lead=leads.jakarta).first_contacted_at
    again = services.lead_mark_contacted(people.rep, lead=leads.jakarta)
    assert again.first_contacted_at == first


def test_disqualifying_needs_a_reason(people, leads):
    with pytest.raises(InvalidInput) as caught:
        services.lead_disqualify(people.rep, lead=leads.jakarta, reason=" ")
    assert caught.value.errors[0][0] == "reason"


def test_disqualifying_a_new_lead_counts_as_leaving_new(people, leads):
    done = services.lead_disqualify(people.rep, lead=leads.jakarta, reason="No budget")
    assert done.status == "disqualified"
    assert done.disqualify_reason == "No budget"
    assert done.first_contacted_at is not None


def test_a_disqualified_lead_reopens_as_new_without_its_reason(people, leads):
    services.lead_disqualify(people.rep, lead=leads.jakarta, reason="No budget")
    reopened = services.lead_reopen(people.rep, lead=leads.jakarta)
    assert reopened.status == "new"
    assert reopened.disqualify_reason == ""
    assert events(reopened, "reopen")[0].changes["disqualify_reason"] == ["No budget", ""]


def test_only_a_disqualified_lead_reopens(people, leads):
    with pytest.raises(Conflict):
        services.lead_reopen(people.rep, lead=leads.jakarta)


def test_a_disqualified_lead_cannot_be_contacted(people, leads):
    services.lead_disqualify(people.rep, lead=leads.jakarta, reason="No budget")
    with pytest.raises(Conflict):
        services.lead_mark_contacted(people.rep, lead=leads.jakarta)


@pytest.mark.parametrize("action", ["contacted", "disqualify", "reopen", "qualify"])
def test_a_qualified_lead_is_final(people, leads, action):
    services.lead_qualify(people.rep, lead=leads.jakarta)
    calls = {
        "contacted": lambda: services.lead_mark_contacted(people.rep, lead=leads.jakarta),
        "disqualify": lambda: services.lead_disqualify(people.rep, lead=leads.jakarta, reason="x"),
        "reopen": lambda: services.lead_reopen(people.rep, lead=leads.jakarta),
        "qualify": lambda: services.lead_qualify(people.rep, lead=leads.jakarta),
    }
    with pytest.raises(Conflict):
        calls[action]()


# Qualify.


def test_qualify_makes_an_account_a_contact_and_an_opportunity_linked_back(people, line):
    source = campaign(people.rep, name="Expo")
    made = lead(
        people.rep,
        first_name="Jaka",
        last_name="Tarub",
        company_name="Batik Co",
        email="jaka@batik.example",
        phone_raw=JAKARTA_PHONE,
        region="APAC",
        country="ID",
        campaign=source,
        product_line=line,
        product_interest="Pumps",
    )
    qualified = services.lead_qualify(people.rep, lead=made, amount="5000")
    account, contact, deal = qualified.account, qualified.contact, qualified.opportunity
    assert (account.name, account.region, account.country) == ("Batik Co", "APAC", "ID")
    assert (contact.account, contact.last_name) == (account, "Tarub")
    assert contact.phone == "+622155501234"
    assert contact.email == "jaka@batik.example"
    assert (deal.account, deal.contact, deal.lead) == (account, contact, qualified)
    assert (deal.stage, deal.campaign, deal.product_line) == ("prospecting", source, line)
    assert deal.name == "Batik Co – Pumps"
    assert str(deal.amount) == "5000.00"
    assert qualified.status == "qualified"
    assert qualified.first_contacted_at is not None
    assert OpportunityStageChange.objects.filter(opportunity=deal).count() == 1


def test_qualify_is_audited_with_the_links(people, leads):
    qualified = services.lead_qualify(people.rep, lead=leads.jakarta)
    changes = events(qualified, "qualify")[0].changes
    assert changes["status"] == ["new", "qualified"]
    assert changes["account_id"] == [None, qualified.account_id]
    assert changes["opportunity_id"] == [None, qualified.opportunity_id]


def test_qualify_into_an_existing_account_makes_no_new_account(people, leads, accounts):
    before = Account.objects.count()
    qualified = services.lead_qualify(people.rep, lead=leads.jakarta, account=accounts.jakarta)
    assert Account.objects.count() == before
    assert qualified.account == accounts.jakarta
    assert qualified.contact.account == accounts.jakarta
    assert qualified.opportunity.account == accounts.jakarta


def test_qualify_into_an_account_the_actor_cannot_read_names_account_id(people, leads, accounts):
    before = counts()
    with pytest.raises(NotFound) as caught:
        services.lead_qualify(people.rep, lead=leads.jakarta, account=accounts.milan)
    assert caught.value.errors[0][0] == "account_id"
    assert counts() == before


def test_qualify_without_an_opportunity_makes_only_account_and_contact(people, leads):
    before = counts()
    qualified = services.lead_qualify(people.rep, lead=leads.jakarta, create_opportunity=False)
    assert qualified.opportunity is None
    assert counts() == (before[0] + 1, before[1] + 1, before[2])


def test_qualify_rolls_everything_back_when_the_contact_fails(people):
    broken = lead(people.rep, last_name="Tarub", company_name="Batik Co", phone_raw="not a phone")
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        services.lead_qualify(people.rep, lead=broken)
    assert caught.value.errors[0][0] == "phone"
    assert counts() == before
    broken.refresh_from_db()
    assert (broken.status, broken.account_id, broken.version) == ("new", None, 1)


def test_qualify_rolls_everything_back_when_the_opportunity_fails(people, leads):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        services.lead_qualify(people.rep, lead=leads.jakarta, amount="-5")
    assert caught.value.errors[0][0] == "amount"
    assert counts() == before


def test_qualify_without_company_or_account_names_account_id(people):
    nameless = lead(people.rep, last_name="Tarub")
    with pytest.raises(InvalidInput) as caught:
        services.lead_qualify(people.rep, lead=nameless)
    assert caught.value.errors[0][0] == "account_id"


def test_a_marketer_without_account_rights_cannot_qualify(people, leads):
    before = counts()
    with pytest.raises(Forbidden):
        services.lead_qualify(people.marketer, lead=leads.marketer)
    assert counts() == before
    assert Lead.objects.get(pk=leads.marketer.pk).status == "new"


def test_qualify_needs_write_on_the_lead(people, leads):
    with pytest.raises(Forbidden):
        services.lead_qualify(people.colleague, lead=leads.jakarta)


def test_qualify_with_a_stale_version_is_refused(people, leads):
    with pytest.raises(StaleVersion):
        services.lead_qualify(people.rep, lead=leads.jakarta, version=3)


def test_a_partner_qualifies_their_lead_without_the_catalog_line(people, line):
    own = lead(people.partner, last_name="Santoso", company_name="Agen", product_line=line)
    qualified = services.lead_qualify(people.partner, lead=own)
    assert qualified.opportunity.owner_user == people.partner
    assert qualified.opportunity.product_line is None


def test_the_campaign_is_left_off_when_the_qualifier_cannot_read_it(people):
    hidden = campaign(people.milan_rep, name="Milan fair")
    made = lead(people.rep, last_name="Tarub", company_name="Batik Co", campaign=hidden)
    qualified = services.lead_qualify(people.rep, lead=made)
    assert qualified.opportunity.campaign is None


def test_deleting_a_qualified_lead_leaves_the_opportunity(people, leads):
    qualified = services.lead_qualify(people.rep, lead=leads.jakarta)
    services.lead_delete(people.rep, lead=qualified)
    deal = Opportunity.objects.get(pk=qualified.opportunity_id)
    assert deal.lead is None
    assert AuditEvent.objects.filter(entity="lead", action="delete").exists()
