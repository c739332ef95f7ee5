"""Every record list offers CSV and XLSX downloads of itself as filtered, to people with
the export privilege; the download holds only what the list shows them."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories
from tests.activities.conftest import make_activity
from tests.sales.conftest import campaign, lead, opportunity
from tests.service.conftest import make_case
from trellis.customers.models import Account

LISTS = ["accounts", "contacts", "leads", "opportunities", "cases", "campaigns", "activities"]


@pytest.fixture
def people(org):
    """The Asia-Pacific sales manager may export what the unit subtree holds; the
    executive may export the whole organization; the Jakarta rep may not export."""
    return SimpleNamespace(
        rep=factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"]),
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=["Sales Representative"]),
        manager=factories.user(
            "manager", unit=org["asia"], roles=["Sales Manager", "Service Manager"]
        ),
        executive=factories.user("executive", unit=org["root"], roles=["Executive"]),
    )


@pytest.fixture
def records(people):
    jakarta = factories.account(people.rep, name="Jakarta Steel", tier="key")
    milan = factories.account(people.milan_rep, name="Milan Moda")
    return SimpleNamespace(
        jakarta=jakarta,
        milan=milan,
        jakarta_deal=opportunity(people.rep, jakarta, name="Jakarta deal"),
        milan_deal=opportunity(people.milan_rep, milan, name="Milan deal"),
        jakarta_case=make_case(people.rep, account=jakarta, subject="Broken pump"),
        milan_case=make_case(people.milan_rep, account=milan, subject="Late delivery"),
        jakarta_lead=lead(people.rep, last_name="Santoso"),
        campaign=campaign(people.manager, name="Asia Expo"),
        task=make_activity(
            people.manager,
            subject="Call the buyer",
            regarding_type=ContentType.objects.get_for_model(Account),
            regarding_id=jakarta.pk,
        ),
    )


@pytest.fixture
def browser(client):
    def make(user):
        client.force_login(user)
        return client

    return make


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("entity", LISTS)
def test_the_list_offers_export_links_to_people_with_the_export_privilege(
    browser, people, records, entity
):
    page = browser(people.executive).get(f"/{entity}/")

    assert page.status_code == 200
    assertContains(page, f'href="/export/{entity}.csv')
    assertContains(page, f'href="/export/{entity}.xlsx')


@pytest.mark.parametrize("entity", LISTS)
def test_the_list_hides_the_export_links_from_people_without_the_privilege(
    browser, people, records, entity
):
    page = browser(people.rep).get(f"/{entity}/")

    assert page.status_code == 200
    assertNotContains(page, "/export/")


@pytest.mark.parametrize("entity", LISTS)
def test_the_export_url_answers_403_without_the_privilege(browser, people, records, entity):
    response = browser(people.rep).get(f"/export/{entity}.csv")

    assert response.status_code == 403


def test_the_export_link_carries_the_list_filters_but_not_the_page_cursor(browser, people, records):
    page = browser(people.executive).get("/accounts/", {"q": "Jakarta", "cursor": "abc"})

    assertContains(page, 'href="/export/accounts.csv?q=Jakarta"')


def test_an_htmx_search_refreshes_the_export_link_with_the_new_filter(browser, people, records):
    page = browser(people.executive).get(
        "/accounts/", {"q": "Milan"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="account-results"
    )

    assertContains(page, 'href="/export/accounts.csv?q=Milan"')


def test_the_account_export_holds_the_list_as_filtered(browser, people, records):
    response = browser(people.executive).get("/export/accounts.csv", {"q": "Jakarta"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="accounts.csv"'
    assert [row["name"] for row in _rows(response)] == ["Jakarta Steel"]


def test_the_account_export_uses_the_list_drop_down_filters_too(browser, people, records):
    response = browser(people.executive).get("/export/accounts.csv", {"tier": "key"})

    assert [row["name"] for row in _rows(response)] == ["Jakarta Steel"]


def test_a_manager_exports_only_the_accounts_they_can_see(browser, people, records):
    manager = _rows(browser(people.manager).get("/export/accounts.csv"))
    executive = _rows(browser(people.executive).get("/export/accounts.csv"))

    assert [row["name"] for row in manager] == ["Jakarta Steel"]
    assert sorted(row["name"] for row in executive) == ["Jakarta Steel", "Milan Moda"]


def test_a_manager_exports_only_the_cases_they_can_see(browser, people, records):
    manager = _rows(browser(people.manager).get("/export/cases.csv"))
    executive = _rows(browser(people.executive).get("/export/cases.csv"))

    assert [row["subject"] for row in manager] == ["Broken pump"]
    assert sorted(row["subject"] for row in executive) == ["Broken pump", "Late delivery"]


def test_the_case_export_names_the_account_only_to_those_who_may_read_it(
    browser, people, records, org
):
    # A service agent in Milan who may read cases org-wide but accounts only in Milan.
    reader = factories.custom_role(
        permissions={"case": {"read": "org"}, "account": {"read": "unit"}},
        privileges={"export": "org"},
    )
    agent = factories.user("agent", unit=org["milan"], roles=[reader])

    rows = {row["subject"]: row for row in _rows(browser(agent).get("/export/cases.csv"))}

    assert rows["Late delivery"]["account"] == "Milan Moda"
    assert rows["Broken pump"]["account"] == ""


def test_the_opportunity_export_follows_the_open_filter(browser, people, records):
    opportunity(people.rep, records.jakarta, name="Won deal", stage="won", probability=100)

    rows = _rows(browser(people.executive).get("/export/opportunities.csv", {"state": "open"}))

    assert sorted(row["name"] for row in rows) == ["Jakarta deal", "Milan deal"]


def test_the_campaign_and_activity_exports_hold_their_records(browser, people, records):
    client = browser(people.manager)

    campaigns = _rows(client.get("/export/campaigns.csv"))
    activities = _rows(client.get("/export/activities.csv"))

    assert [row["name"] for row in campaigns] == ["Asia Expo"]
    assert [row["subject"] for row in activities] == ["Call the buyer"]
    assert activities[0]["regarding_type"] == "account"


def test_the_lead_export_holds_the_leads_the_manager_can_see(browser, people, records):
    rows = _rows(browser(people.manager).get("/export/leads.csv"))

    assert [row["last_name"] for row in rows] == ["Santoso"]


def test_the_xlsx_export_is_a_spreadsheet(browser, people, records):
    response = browser(people.executive).get("/export/accounts.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


def test_an_unknown_list_or_format_answers_404(browser, people, records):
    client = browser(people.executive)

    assert client.get("/export/products.csv").status_code == 404
    assert client.get("/export/accounts.pdf").status_code == 404


def test_the_export_needs_a_signed_in_user(client, records):
    response = client.get("/export/accounts.csv")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
