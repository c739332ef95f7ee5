"""The leads API (/api/v1/leads) as people who must see different things."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sales.conftest import campaign, lead
from trellis.access.models import Share
from trellis.audit.models import AuditEvent
from trellis.customers.models import Account, Contact
from trellis.sales.models import Lead, Opportunity

URL = "/api/v1/leads"


def url(record, suffix: str = "") -> str:
    return f"{URL}/{record.pk}{suffix}"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["last_name"] for item in response.json()["items"])


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def share(record, user, *rights: str) -> Share:
    return Share.objects.create(
        record_type=ContentType.objects.get_for_model(record),
        record_id=record.pk,
        user=user,
        **{f"can_{right}": True for right in rights or ("read",)},
    )


# Listing and reading.


def test_a_rep_lists_the_leads_of_their_unit(api, people, leads):
    assert names(api(people.rep).get(URL)) == ["Dewi", "Santoso", "Tarub"]


def test_a_rep_in_another_unit_lists_a_different_set(api, people, leads):
    assert names(api(people.milan_rep).get(URL)) == ["Rossi"]


def test_a_sales_manager_lists_the_leads_of_their_subtree(api, people, leads):
    assert names(api(people.manager).get(URL)) == ["Dewi", "Santoso", "Tarub", "Wei"]


def test_a_marketer_lists_the_leads_of_their_unit(api, people, leads):
    assert names(api(people.marketer).get(URL)) == ["Dewi", "Santoso", "Tarub"]


def test_a_partner_lists_their_own_leads_and_those_shared_with_them(api, people, leads):
    client = api(people.partner)
    assert names(client.get(URL)) == ["Santoso"]
    share(leads.jakarta, people.partner)
    assert names(client.get(URL)) == ["Santoso", "Tarub"]


def test_reading_an_invisible_lead_answers_404(api, people, leads):
    response = api(people.milan_rep).get(url(leads.jakarta))
    assert response.status_code == 404
    assert response.json()["detail"] == f"lead {leads.jakarta.pk} not found"


def test_a_partner_reads_a_lead_shared_with_them(api, people, leads):
    share(leads.jakarta, people.partner)
    body = api(people.partner).get(url(leads.jakarta)).json()
    assert (body["last_name"], body["status"]) == ("Tarub", "new")


def test_filters_by_status_source_rating_region_and_open(api, people):
    lead(people.rep, last_name="Hot", rating="hot", source="event", region="APAC")
    lead(people.rep, last_name="Done", status="qualified")
    lead(people.rep, last_name="Called", status="contacted", source="referral")
    client = api(people.rep)
    assert names(client.get(URL, {"status": "contacted"})) == ["Called"]
    assert names(client.get(URL, {"source": "event"})) == ["Hot"]
    assert names(client.get(URL, {"rating": "hot"})) == ["Hot"]
    assert names(client.get(URL, {"region": "apac"})) == ["Hot"]
    assert names(client.get(URL, {"open": "true"})) == ["Called", "Hot"]
    assert names(client.get(URL, {"open": "false"})) == ["Done"]


def test_filters_by_owner_and_unit_never_widen_what_is_visible(api, people, leads):
    client = api(people.rep)
    assert names(client.get(URL, {"owner_user_id": people.marketer.pk})) == ["Dewi"]
    assert names(client.get(URL, {"owning_unit_id": people.milan_rep.unit_id})) == []


def test_filter_by_campaign(api, people):
    expo = campaign(people.marketer, name="Expo")
    lead(people.marketer, last_name="From expo", campaign=expo)
    lead(people.marketer, last_name="Other")
    assert names(api(people.marketer).get(URL, {"campaign_id": expo.pk})) == ["From expo"]


def test_search_finds_names_companies_emails_and_phone_digits(api, people):
    lead(people.rep, last_name="Tarub", company_name="Batik Co", email="jaka@batik.example")
    lead(people.rep, last_name="Wijaya", phone="+622155501234")
    client = api(people.rep)
    assert names(client.get(URL, {"q": "batik"})) == ["Tarub"]
    assert names(client.get(URL, {"q": "JAKA@"})) == ["Tarub"]
    assert names(client.get(URL, {"q": "021 5550 1234"})) == ["Wijaya"]
    assert names(client.get(URL, {"q": "tar"})) == ["Tarub"]


def test_paging_by_last_name_visits_every_lead_once(api, people):
    made = [lead(people.rep, last_name=f"L{i % 3}") for i in range(7)]
    client, seen, params = api(people.rep), [], {"limit": 2, "order": "last_name"}
    for _ in range(10):
        body = client.get(URL, params).json()
        seen.extend(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert sorted(seen) == sorted(record.pk for record in made)


def test_count_is_given_when_asked(api, people, leads):
    assert api(people.manager).get(URL, {"count": "true"}).json()["count"] == 4


def test_an_unknown_order_names_the_field(api, people):
    response = api(people.rep).get(URL, {"order": "password"})
    assert response.status_code == 400
    assert error_fields(response) == ["order"]


def test_list_queries_do_not_grow_with_the_rows(api, people):
    client = api(people.rep)
    expo = campaign(people.rep)
    lead(people.rep, campaign=expo)
    client.get(URL)  # warm the token and content-type caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(15):
        lead(people.rep, campaign=expo)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["items"]) == 16
    assert len(many) == len(few)


# Creating, changing, deleting.


def test_create_answers_201_owned_by_the_caller(api, people):
    response = api(people.marketer).post(
        URL, {"last_name": "Tarub", "phone": "+62 21 5550 1234", "source": "web_form"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_user_id"] == people.marketer.pk
    assert (body["phone"], body["phone_raw"]) == ("+622155501234", "+62 21 5550 1234")
    assert (body["status"], body["version"]) == ("new", 1)
    assert AuditEvent.objects.filter(entity="lead", action="create", object_id=body["id"]).exists()


def test_create_with_an_invisible_campaign_answers_404_naming_campaign_id(api, people):
    hidden = campaign(people.milan_rep, name="Milan fair")
    response = api(people.rep).post(URL, {"last_name": "Tarub", "campaign_id": hidden.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["campaign_id"]
    assert not Lead.objects.filter(last_name="Tarub").exists()


def test_create_with_a_visible_campaign_links_it(api, people):
    expo = campaign(people.marketer, name="Expo")
    response = api(people.marketer).post(URL, {"last_name": "Tarub", "campaign_id": expo.pk})
    assert response.json()["campaign_id"] == expo.pk


def test_bad_input_answers_4xx_naming_the_field(api, people):
    client = api(people.rep)
    cases = {
        "last_name": {"last_name": ""},
        "email": {"last_name": "T", "email": "not-an-email"},
        "phone": {"last_name": "T", "phone": "12"},
        "source": {"last_name": "T", "source": "carrier pigeon"},
        "rating": {"last_name": "T", "rating": "lukewarm"},
        "country": {"last_name": "T", "country": "Indonesia"},
        "campaign_id": {"last_name": "T", "campaign_id": 2**70},
        "company_name": {"last_name": "T", "company_name": "x" * 201},
    }
    for field, body in cases.items():
        response = client.post(URL, body)
        assert 400 <= response.status_code < 500, (field, response.content)
        assert field in error_fields(response), (field, response.json())


def test_a_partner_cannot_create_a_lead_for_someone_else(api, people):
    response = api(people.partner).post(URL, {"last_name": "Tarub", "owner_user_id": people.rep.pk})
    assert response.status_code == 403


def test_patch_with_the_current_version_changes_the_lead(api, people, leads):
    response = api(people.rep).patch(
        url(leads.jakarta), {"rating": "hot", "region": "APAC"}, headers={"If-Match": "1"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["rating"], response.json()["version"]) == ("hot", 2)


def test_patch_with_a_stale_version_answers_412(api, people, leads):
    response = api(people.rep).patch(url(leads.jakarta), {"rating": "hot"}, {"If-Match": "5"})
    assert response.status_code == 412
    assert Lead.objects.get(pk=leads.jakarta.pk).rating == ""


def test_patch_refuses_a_status_change(api, people, leads):
    response = api(people.rep).patch(url(leads.jakarta), {"status": "qualified"})
    assert response.status_code in (400, 422)
    assert "status" in error_fields(response)


def test_patch_by_a_colleague_who_may_only_read_answers_403(api, people, leads):
    response = api(people.colleague).patch(url(leads.jakarta), {"rating": "hot"})
    assert response.status_code == 403


def test_patch_of_an_invisible_lead_answers_404(api, people, leads):
    assert api(people.milan_rep).patch(url(leads.jakarta), {"rating": "hot"}).status_code == 404


def test_a_partner_with_a_write_share_may_patch(api, people, leads):
    share(leads.jakarta, people.partner, "read", "write")
    response = api(people.partner).patch(url(leads.jakarta), {"rating": "warm"})
    assert response.status_code == 200, response.content


def test_delete_answers_204(api, people, leads):
    assert api(people.rep).delete(url(leads.jakarta)).status_code == 204
    assert not Lead.objects.filter(pk=leads.jakarta.pk).exists()


def test_delete_by_another_unit_answers_404(api, people, leads):
    assert api(people.milan_rep).delete(url(leads.jakarta)).status_code == 404
    assert Lead.objects.filter(pk=leads.jakarta.pk).exists()


# Actions.


def test_contacted_moves_a_new_lead_and_stamps_the_first_contact(api, people, leads):
    body = api(people.rep).post(url(leads.jakarta, "/contacted")).json()
    assert body["status"] == "contacted"
    assert body["first_contacted_at"] is not None


def test_disqualify_needs_a_reason(api, people, leads):
    response = api(people.rep).post(url(leads.jakarta, "/disqualify"), {"reason": ""})
    assert response.status_code == 400
    assert error_fields(response) == ["reason"]
    missing = api(people.rep).post(url(leads.jakarta, "/disqualify"), {})
    assert missing.status_code == 422
    assert error_fields(missing) == ["reason"]


def test_disqualify_then_reopen(api, people, leads):
    client = api(people.rep)
    body = client.post(url(leads.jakarta, "/disqualify"), {"reason": "No budget"}).json()
    assert (body["status"], body["disqualify_reason"]) == ("disqualified", "No budget")
    body = client.post(url(leads.jakarta, "/reopen")).json()
    assert (body["status"], body["disqualify_reason"]) == ("new", "")


def test_reopening_an_open_lead_answers_409(api, people, leads):
    response = api(people.rep).post(url(leads.jakarta, "/reopen"))
    assert response.status_code == 409
    assert error_fields(response) == ["status"]


def test_actions_on_an_invisible_lead_answer_404(api, people, leads):
    client = api(people.milan_rep)
    for action in ("/contacted", "/reopen", "/qualify"):
        assert client.post(url(leads.jakarta, action)).status_code == 404
    response = client.post(url(leads.jakarta, "/disqualify"), {"reason": "x"})
    assert response.status_code == 404


def test_qualify_answers_the_lead_and_the_three_new_ids(api, people, leads):
    response = api(people.rep).post(
        url(leads.jakarta, "/qualify"), {"amount": "1200", "currency": "idr"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lead"]["status"] == "qualified"
    assert body["lead"]["account_id"] == body["account_id"]
    account = Account.objects.get(pk=body["account_id"])
    contact = Contact.objects.get(pk=body["contact_id"])
    deal = Opportunity.objects.get(pk=body["opportunity_id"])
    assert account.name == "Batik Co"
    assert contact.account == account
    assert (deal.account, deal.contact, deal.lead_id) == (account, contact, leads.jakarta.pk)
    assert (str(deal.amount), deal.currency, deal.stage) == ("1200.00", "IDR", "prospecting")


def test_qualify_into_an_existing_account(api, people, leads, accounts):
    body = (
        api(people.rep)
        .post(
            url(leads.jakarta, "/qualify"),
            {"account_id": accounts.jakarta.pk, "create_opportunity": False},
        )
        .json()
    )
    assert body["account_id"] == accounts.jakarta.pk
    assert body["opportunity_id"] is None


def test_qualify_into_an_invisible_account_answers_404_naming_account_id(
    api, people, leads, accounts
):
    before = (Account.objects.count(), Contact.objects.count())
    response = api(people.rep).post(
        url(leads.jakarta, "/qualify"), {"account_id": accounts.milan.pk}
    )
    assert response.status_code == 404
    assert error_fields(response) == ["account_id"]
    assert (Account.objects.count(), Contact.objects.count()) == before


def test_qualify_rolls_back_when_the_contact_cannot_be_made(api, people):
    broken = lead(people.rep, last_name="Tarub", company_name="Batik Co", phone_raw="nope")
    before = (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    response = api(people.rep).post(url(broken, "/qualify"))
    assert response.status_code == 400
    assert error_fields(response) == ["phone"]
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        before
    )
    assert Lead.objects.get(pk=broken.pk).status == "new"


def test_qualify_a_qualified_lead_answers_409(api, people, leads):
    client = api(people.rep)
    assert client.post(url(leads.jakarta, "/qualify")).status_code == 200
    response = client.post(url(leads.jakarta, "/qualify"))
    assert response.status_code == 409


def test_qualify_with_a_stale_version_answers_412(api, people, leads):
    response = api(people.rep).post(url(leads.jakarta, "/qualify"), headers={"If-Match": "9"})
    assert response.status_code == 412
    assert Lead.objects.get(pk=leads.jakarta.pk).status == "new"


def test_qualify_with_a_bad_amount_names_the_field(api, people, leads):
    client = api(people.rep)
    for amount in ("lots", "-1", "1e20"):
        response = client.post(url(leads.jakarta, "/qualify"), {"amount": amount})
        assert response.status_code in (400, 422), (amount, response.content)
        assert error_fields(response) == ["amount"]


def test_a_marketer_cannot_qualify_without_customer_rights(api, people, leads):
    response = api(people.marketer).post(url(leads.marketer, "/qualify"))
    assert response.status_code == 403
    assert Lead.objects.get(pk=leads.marketer.pk).status == "new"


def test_a_partner_qualifies_a_lead_of_their_own(api, people, leads):
    response = api(people.partner).post(url(leads.partner, "/qualify"))
    assert response.status_code == 200, response.content
    deal = Opportunity.objects.get(pk=response.json()["opportunity_id"])
    assert deal.owner_user == people.partner


# Record actions and the campaign's leads.


def test_the_access_endpoint_explains_who_sees_the_lead(api, people, leads):
    body = api(people.rep).get(url(leads.jakarta, "/access")).json()
    assert people.colleague.pk in [row["user_id"] for row in body["items"]]


def test_share_through_the_api_lets_the_partner_see_the_lead(api, people, leads):
    response = api(people.rep).post(url(leads.jakarta, "/share"), {"user_id": people.partner.pk})
    assert response.status_code == 200, response.content
    assert names(api(people.partner).get(URL)) == ["Santoso", "Tarub"]


def test_assign_moves_the_lead_to_another_owner(api, people, leads):
    response = api(people.manager).post(
        url(leads.jakarta, "/assign"), {"owner_user_id": people.shanghai_rep.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owning_unit_id"] == people.shanghai_rep.unit_id


def test_a_campaigns_leads_are_those_the_caller_may_read(api, people):
    expo = campaign(people.marketer, name="Expo")
    lead(people.marketer, last_name="Jakarta visitor", campaign=expo)
    lead(people.shanghai_rep, last_name="Shanghai visitor", campaign=expo)
    path = f"/api/v1/campaigns/{expo.pk}/leads"
    assert names(api(people.marketer).get(path)) == ["Jakarta visitor"]
    assert names(api(people.manager).get(path)) == ["Jakarta visitor", "Shanghai visitor"]


def test_the_leads_of_an_invisible_campaign_answer_404(api, people):
    hidden = campaign(people.milan_rep, name="Milan fair")
    response = api(people.rep).get(f"/api/v1/campaigns/{hidden.pk}/leads")
    assert response.status_code == 404
