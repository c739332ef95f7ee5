from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from tests import factories
from trellis.customers import views

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [account.name for account in response.context["page"].items]


@pytest.fixture
def two_units(org, jakarta_rep, milan_rep):
    factories.account(jakarta_rep, name="Garuda Logistics", region="Java", tier="key")
    factories.account(jakarta_rep, name="Bintang Foods", region="Java", industry="Food")
    factories.account(milan_rep, name="Lombardia Tessile", region="Lombardy")


def test_a_jakarta_rep_and_a_milan_rep_see_different_accounts(
    browser, two_units, jakarta_rep, milan_rep
):
    jakarta = browser(jakarta_rep).get("/accounts/")
    milan = browser(milan_rep).get("/accounts/")
    assert sorted(_names(jakarta)) == ["Bintang Foods", "Garuda Logistics"]
    assert _names(milan) == ["Lombardia Tessile"]
    assertNotContains(jakarta, "Lombardia")
    assertNotContains(milan, "Garuda")


def test_a_colleague_in_the_same_unit_sees_the_unit_accounts(browser, org, two_units):
    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    response = browser(colleague).get("/accounts/")
    assert sorted(_names(response)) == ["Bintang Foods", "Garuda Logistics"]


def test_the_search_box_narrows_by_name(browser, two_units, jakarta_rep):
    response = browser(jakarta_rep).get("/accounts/", {"q": "garu"})
    assert _names(response) == ["Garuda Logistics"]


def test_search_never_reaches_accounts_the_user_cannot_see(browser, two_units, jakarta_rep):
    response = browser(jakarta_rep).get("/accounts/", {"q": "Lombardia"})
    assert _names(response) == []
    assertContains(response, "No account you can see matches")


def test_filters_narrow_by_tier_region_and_industry(browser, two_units, jakarta_rep):
    client = browser(jakarta_rep)
    assert _names(client.get("/accounts/", {"tier": "key"})) == ["Garuda Logistics"]
    assert _names(client.get("/accounts/", {"industry": "Food"})) == ["Bintang Foods"]
    assert len(_names(client.get("/accounts/", {"region": "Java"}))) == 2


def test_filter_choices_come_only_from_visible_accounts(browser, two_units, jakarta_rep):
    response = browser(jakarta_rep).get("/accounts/")
    assertContains(response, '<option value="Java">Java</option>', html=True)
    assertNotContains(response, "Lombardy")


def test_invalid_filter_values_are_ignored_not_an_error(browser, two_units, jakarta_rep):
    response = browser(jakarta_rep).get(
        "/accounts/", {"tier": "platinum", "sort": "password", "cursor": "garbage"}
    )
    assert response.status_code == 200
    assert len(_names(response)) == 2


def test_only_mine_shows_the_accounts_the_user_owns(browser, org, two_units, jakarta_rep):
    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    factories.account(colleague, name="Colleague Co")
    response = browser(jakarta_rep).get("/accounts/", {"mine": "on"})
    assert sorted(_names(response)) == ["Bintang Foods", "Garuda Logistics"]


def test_the_list_sorts_by_name_both_ways(browser, two_units, jakarta_rep):
    client = browser(jakarta_rep)
    assert _names(client.get("/accounts/", {"sort": "name"})) == [
        "Bintang Foods",
        "Garuda Logistics",
    ]
    assert _names(client.get("/accounts/", {"sort": "-name"})) == [
        "Garuda Logistics",
        "Bintang Foods",
    ]


def test_the_list_sorts_by_last_change(browser, jakarta_rep):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    factories.account(jakarta_rep, name="Old", modified_at=now - dt.timedelta(days=2))
    factories.account(jakarta_rep, name="New", modified_at=now)
    client = browser(jakarta_rep)
    assert _names(client.get("/accounts/")) == ["New", "Old"]
    assert _names(client.get("/accounts/", {"sort": "modified"})) == ["Old", "New"]


def test_pages_follow_each_other_without_gaps_or_repeats(browser, jakarta_rep, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    for index in range(8):
        factories.account(jakarta_rep, name=f"Account {index}")
    client = browser(jakarta_rep)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"sort": "name", **({"cursor": cursor} if cursor else {})}
        page = client.get("/accounts/", params).context["page"]
        seen += [account.name for account in page.items]
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [f"Account {index}" for index in range(8)]
    assert pages == 3
    assert page.count == 8


def test_previous_goes_back_to_the_page_before(browser, jakarta_rep, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    for index in range(8):
        factories.account(jakarta_rep, name=f"Account {index}")
    client = browser(jakarta_rep)
    first = client.get("/accounts/", {"sort": "name"}).context["page"]
    second = client.get("/accounts/", {"sort": "name", "cursor": first.next_cursor})
    third = client.get("/accounts/", {"sort": "name", "cursor": second.context["page"].next_cursor})
    back = client.get(
        "/accounts/", {"sort": "name", "cursor": third.context["page"].prev_cursor}
    ).context["page"]
    assert [a.name for a in back.items] == ["Account 3", "Account 4", "Account 5"]
    again = client.get("/accounts/", {"sort": "name", "cursor": back.prev_cursor}).context["page"]
    assert [a.name for a in again.items] == ["Account 0", "Account 1", "Account 2"]
    assert again.prev_cursor is None


def test_an_htmx_search_swaps_only_the_results(browser, two_units, jakarta_rep):
    response = browser(jakarta_rep).get(
        "/accounts/", {"q": "bint"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="account-results"
    )
    assertTemplateUsed(response, "customers/_account_results.html")
    assertNotContains(response, "<html")
    assertNotContains(response, 'id="account-filters"')
    assertContains(response, "Bintang Foods")
    assertNotContains(response, "Garuda")
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(browser, two_units, jakarta_rep):
    response = browser(jakarta_rep).get(
        "/accounts/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="account-results",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assertContains(response, "<html")


def test_the_page_wires_the_live_search_to_the_results(browser, jakarta_rep):
    response = browser(jakarta_rep).get("/accounts/")
    assertContains(response, 'hx-target="#account-results"')
    assertContains(response, 'id="account-results"')


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/")
    assert response.status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_the_number_of_accounts(browser, org, jakarta_rep):
    team = factories.team(unit=org["jakarta"], members=(jakarta_rep,))
    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    for index in range(3):
        factories.account(jakarta_rep, region=f"R{index}", industry=f"I{index}")
    client = browser(jakarta_rep)
    few = _list_queries(client)
    for index in range(20):
        owner = team if index % 2 else colleague
        factories.account(owner, region=f"R{index}", industry=f"I{index}")
    many = _list_queries(client)
    assert many == few
    # 16 for the list itself, and 3 to ask whether to offer the export links.
    assert many <= 19


def test_the_live_search_fragment_costs_few_queries(
    browser, jakarta_rep, django_assert_max_num_queries
):
    for index in range(30):
        factories.account(jakarta_rep, name=f"Account {index}")
    client = browser(jakarta_rep)
    with django_assert_max_num_queries(12):
        client.get("/accounts/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="account-results")


def test_out_of_range_ids_in_the_url_are_not_an_error(browser, jakarta_rep):
    import base64
    import json

    factories.account(jakarta_rep)
    huge = 10**30
    cursor = base64.urlsafe_b64encode(json.dumps(["x", huge, "next"]).encode()).decode()
    client = browser(jakarta_rep)
    assert client.get("/accounts/", {"sort": "name", "cursor": cursor}).status_code == 200
    assert client.get("/accounts/", {"parent": huge}).status_code == 200
    assert client.get(f"/accounts/{huge}/").status_code == 404
