"""The sales pages: opportunities, campaigns and products as people who see different
things."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from tests.sales.conftest import campaign, opportunity
from trellis.access.models import Share
from trellis.sales.models import Opportunity, OpportunityStageChange


@pytest.fixture
def browser():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(record.name for record in response.context["page"].items)


# Opportunities.


def test_reps_in_different_units_see_different_opportunity_lists(browser, people, deals):
    jakarta = browser(people.rep).get("/opportunities/")
    assert _names(jakarta) == ["Jakarta deal", "Partner deal"]
    assertNotContains(jakarta, "Milan deal")
    assert _names(browser(people.milan_rep).get("/opportunities/")) == ["Milan deal"]


def test_the_manager_sees_the_subtree_opportunities(browser, people, deals):
    names = _names(browser(people.manager).get("/opportunities/"))
    assert names == ["Jakarta deal", "Partner deal", "Shanghai deal"]


def test_the_opportunity_list_filters_by_stage_and_state(browser, people, accounts):
    opportunity(people.rep, accounts.jakarta, name="Early")
    opportunity(people.rep, accounts.jakarta, name="Won", stage="won", probability=100)
    client = browser(people.rep)
    assert _names(client.get("/opportunities/", {"stage": "won"})) == ["Won"]
    assert _names(client.get("/opportunities/", {"state": "open"})) == ["Early"]


def test_the_opportunity_list_fragment_swaps_alone(browser, people, deals):
    response = browser(people.rep).get(
        "/opportunities/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="opportunity-results"
    )
    assert response.status_code == 200
    assertNotContains(response, "<html")


def test_the_opportunity_list_pages_by_keyset(browser, people, accounts):
    for index in range(30):
        opportunity(people.rep, accounts.jakarta, name=f"Deal {index:02}")
    client = browser(people.rep)
    first = client.get("/opportunities/", {"sort": "name"})
    assert len(first.context["page"].items) == 25
    second = client.get(
        "/opportunities/", {"sort": "name", "cursor": first.context["page"].next_cursor}
    )
    assert [o.name for o in second.context["page"].items] == [f"Deal {i}" for i in range(25, 30)]


def test_opportunity_list_queries_do_not_grow_with_rows(
    browser, people, accounts, django_assert_max_num_queries
):
    for index in range(30):
        opportunity(people.rep, accounts.jakarta, name=f"Deal {index}")
    client = browser(people.rep)
    with django_assert_max_num_queries(12):
        client.get("/opportunities/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="opportunity-results")


def test_the_opportunity_detail_shows_fields_and_stage_history(browser, people, deals):
    client = browser(people.rep)
    client.post(
        f"/opportunities/{deals.jakarta.pk}/close/",
        {"close-outcome": "won", "close-reason": "Fast delivery"},
    )
    response = client.get(f"/opportunities/{deals.jakarta.pk}/")
    assertContains(response, "Jakarta Steel")
    assertContains(response, "Fast delivery")
    assert [c.to_stage for c in response.context["stages"]] == ["won"]


def test_an_invisible_opportunity_page_answers_404(browser, people, deals):
    client = browser(people.milan_rep)
    assert client.get(f"/opportunities/{deals.jakarta.pk}/").status_code == 404
    assert client.get(f"/opportunities/{deals.jakarta.pk}/edit/").status_code == 404
    assert client.get(f"/opportunities/{deals.jakarta.pk}/access/").status_code == 404


def test_the_access_panel_lists_who_can_see_the_opportunity(browser, people, deals):
    response = browser(people.rep).get(
        f"/opportunities/{deals.jakarta.pk}/access/", HTTP_HX_REQUEST="true"
    )
    assertContains(response, "colleague")
    assertNotContains(response, "milan_rep")


def test_a_reader_sees_no_change_controls_and_gets_403_on_edit(browser, people, deals):
    client = browser(people.colleague)
    response = client.get(f"/opportunities/{deals.jakarta.pk}/")
    assert response.context["assign_form"] is None
    assert response.context["close_form"] is None
    assert client.get(f"/opportunities/{deals.jakarta.pk}/edit/").status_code == 403


def test_creating_an_opportunity_makes_the_user_its_owner(browser, people, accounts):
    response = browser(people.rep).post(
        "/opportunities/new/",
        {
            "name": "Web deal",
            "account": accounts.jakarta.pk,
            "stage": "proposal",
            "amount": "10",
            "currency": "USD",
        },
    )
    assert response.status_code == 302, response.content
    made = Opportunity.objects.get(name="Web deal")
    assert (made.owner_user, made.probability) == (people.rep, 50)
    assert OpportunityStageChange.objects.filter(opportunity=made).count() == 1


def test_an_invisible_account_is_refused_on_the_form(browser, people, accounts):
    response = browser(people.rep).post(
        "/opportunities/new/",
        {
            "name": "Web deal",
            "account": accounts.milan.pk,
            "stage": "proposal",
            "amount": "10",
            "currency": "USD",
        },
    )
    assert response.status_code == 400
    assert "account" in response.context["form"].errors


def test_a_negative_amount_is_refused_on_the_form(browser, people, accounts):
    response = browser(people.rep).post(
        "/opportunities/new/",
        {
            "name": "Web deal",
            "account": accounts.jakarta.pk,
            "stage": "proposal",
            "amount": "-10",
            "currency": "USD",
        },
    )
    assert response.status_code == 400
    assert "amount" in response.context["form"].errors


def test_editing_the_stage_records_it_and_takes_the_new_default(browser, people, deals):
    client = browser(people.rep)
    form = client.get(f"/opportunities/{deals.jakarta.pk}/edit/").context["form"]
    data = {
        "name": "Jakarta deal",
        "account": deals.jakarta.account_id,
        "stage": "won",
        "amount": "1000",
        "currency": "USD",
        "probability": form["probability"].value(),
        "version": 1,
    }
    response = client.post(f"/opportunities/{deals.jakarta.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    deals.jakarta.refresh_from_db()
    assert (deals.jakarta.stage, deals.jakarta.probability) == ("won", 100)
    assert deals.jakarta.closed_at is not None


def test_a_stale_edit_is_refused(browser, people, deals):
    data = {
        "name": "X",
        "account": deals.jakarta.account_id,
        "stage": "prospecting",
        "amount": "1",
        "currency": "USD",
        "version": 9,
    }
    response = browser(people.rep).post(f"/opportunities/{deals.jakarta.pk}/edit/", data)
    assert response.status_code == 412
    assert response.context["stale"] is True


def test_sharing_from_the_page_lets_another_rep_in(browser, people, deals):
    response = browser(people.rep).post(
        f"/opportunities/{deals.jakarta.pk}/share/",
        {"share-user": people.milan_rep.pk, "share-rights": ["read"]},
    )
    assert response.status_code == 302
    assert browser(people.milan_rep).get(f"/opportunities/{deals.jakarta.pk}/").status_code == 200
    browser(people.rep).post(
        f"/opportunities/{deals.jakarta.pk}/unshare/", {"user": people.milan_rep.pk}
    )
    assert not Share.objects.exists()


def test_assigning_from_the_page_moves_the_opportunity(browser, people, deals):
    response = browser(people.manager).post(
        f"/opportunities/{deals.jakarta.pk}/assign/", {"assign-owner_user": people.shanghai_rep.pk}
    )
    assert response.status_code == 302
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.owner_user == people.shanghai_rep


def test_a_partner_without_campaign_rights_cannot_open_the_campaign_form(browser, people):
    assert browser(people.partner).get("/campaigns/new/").status_code == 403


# Campaigns.


def test_reps_in_different_units_see_different_campaigns(browser, people):
    campaign(people.rep, name="Jakarta fair")
    campaign(people.milan_rep, name="Milan fair")
    assert _names(browser(people.colleague).get("/campaigns/")) == ["Jakarta fair"]
    assert _names(browser(people.milan_rep).get("/campaigns/")) == ["Milan fair"]


def test_the_campaign_detail_lists_only_visible_opportunities(browser, people, deals):
    fair = campaign(people.marketer, name="Asia fair")
    for deal in (deals.jakarta, deals.shanghai):
        deal.campaign = fair
        deal.save()
    response = browser(people.rep).get(f"/campaigns/{fair.pk}/")
    assert response.status_code == 200
    assert [o.name for o in response.context["opportunities"]] == ["Jakarta deal"]


def test_an_invisible_campaign_page_answers_404(browser, people):
    hidden = campaign(people.milan_rep)
    assert browser(people.rep).get(f"/campaigns/{hidden.pk}/").status_code == 404


def test_a_marketer_creates_and_edits_a_campaign(browser, people):
    client = browser(people.marketer)
    data = {
        "name": "Expo",
        "type": "event",
        "status": "planned",
        "currency": "EUR",
        "start_date": "2026-05-01",
        "end_date": "2026-05-03",
    }
    assert client.post("/campaigns/new/", data).status_code == 302
    made = campaign_by_name("Expo")
    response = client.post(
        f"/campaigns/{made.pk}/edit/", {**data, "status": "active", "version": 1}
    )
    assert response.status_code == 302
    assert campaign_by_name("Expo").status == "active"


def test_a_campaign_ending_before_it_starts_is_refused_on_end_date(browser, people):
    data = {
        "name": "Expo",
        "type": "event",
        "status": "planned",
        "currency": "EUR",
        "start_date": "2026-05-03",
        "end_date": "2026-05-01",
    }
    response = browser(people.marketer).post("/campaigns/new/", data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["end_date"]


def test_a_rep_cannot_open_the_campaign_form(browser, people):
    assert browser(people.rep).get("/campaigns/new/").status_code == 403


def campaign_by_name(name):
    from trellis.sales.models import Campaign

    return Campaign.objects.get(name=name)


# Products.


def test_the_product_list_shows_the_catalog_to_reps(browser, people, product):
    assert _names(browser(people.milan_rep).get("/products/")) == ["Pump 100"]


def test_the_product_list_is_outside_the_partner_portal(browser, people, product):
    # Partners get the reduced portal (web.portal): no product pages, whatever the role.
    assert browser(people.partner).get("/products/").status_code == 403


def test_navigation_shows_opportunities_and_campaigns(browser, people):
    response = browser(people.rep).get("/opportunities/")
    assertContains(response, 'href="/campaigns/"')
    assertContains(response, 'href="/opportunities/"')
