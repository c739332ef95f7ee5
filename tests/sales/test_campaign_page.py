"""The campaign page lists the leads and opportunities that came from the campaign, as far
as the reader may see them, with counts and a link to the lists filtered to it."""

from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tests.sales.conftest import campaign, lead, opportunity
from trellis.access.services import record_share
from trellis.sales import views


@pytest.fixture
def expo(people, accounts):
    """A campaign the whole organization can see, with a lead and a deal in Jakarta and
    a lead and a deal in Milan."""
    made = campaign(people.executive, name="World Expo")
    lead(people.rep, last_name="Tarub", campaign=made)
    lead(people.milan_rep, last_name="Rossi", campaign=made)
    opportunity(people.rep, accounts.jakarta, name="Jakarta expo deal", campaign=made)
    opportunity(people.milan_rep, accounts.milan, name="Milan expo deal", campaign=made)
    return made


def test_the_page_lists_the_leads_and_deals_the_reader_may_see(browser, people, expo):
    page = browser(people.executive).get(f"/campaigns/{expo.pk}/")

    assert sorted(item.last_name for item in page.context["leads"]) == ["Rossi", "Tarub"]
    assert page.context["lead_count"] == 2
    assert page.context["opportunity_count"] == 2
    assertContains(page, "Milan expo deal")


def test_a_rep_in_milan_sees_only_the_milan_lead_and_deal(browser, people, expo):
    record_share(people.executive, expo, user=people.milan_rep)
    page = browser(people.milan_rep).get(f"/campaigns/{expo.pk}/")

    assert [item.last_name for item in page.context["leads"]] == ["Rossi"]
    assert page.context["lead_count"] == 1
    assert page.context["opportunity_count"] == 1
    assertContains(page, "Milan expo deal")
    assertNotContains(page, "Jakarta expo deal")
    assertNotContains(page, "Tarub")


def test_the_lists_are_capped_with_a_link_to_the_filtered_list(browser, people, expo, monkeypatch):
    monkeypatch.setattr(views, "CAMPAIGN_RECORDS_SHOWN", 1)

    page = browser(people.executive).get(f"/campaigns/{expo.pk}/")

    assert len(page.context["leads"]) == 1
    assert page.context["lead_count"] == 2
    assertContains(page, f'href="/leads/?campaign={expo.pk}"')
    assertContains(page, f'href="/opportunities/?campaign={expo.pk}"')


def test_all_leads_fit_so_no_link_is_shown(browser, people, expo):
    page = browser(people.executive).get(f"/campaigns/{expo.pk}/")

    assertNotContains(page, f"/leads/?campaign={expo.pk}")


def test_the_lead_list_filters_to_one_campaign(browser, people, expo, leads):
    page = browser(people.executive).get("/leads/", {"campaign": expo.pk})

    assert sorted(item.last_name for item in page.context["page"].items) == ["Rossi", "Tarub"]
    assertContains(page, f'name="campaign" value="{expo.pk}"')


def test_the_opportunity_list_filters_to_one_campaign(browser, people, expo, deals):
    page = browser(people.executive).get("/opportunities/", {"campaign": expo.pk})

    names = sorted(item.name for item in page.context["page"].items)
    assert names == ["Jakarta expo deal", "Milan expo deal"]


def test_the_campaign_filter_still_keeps_out_what_the_reader_may_not_see(browser, people, expo):
    page = browser(people.rep).get("/leads/", {"campaign": expo.pk})

    assert [item.last_name for item in page.context["page"].items] == ["Tarub"]
