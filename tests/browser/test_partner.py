"""A partner reaches their own records and what is shared with them, nothing else."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import factories
from tests.browser import data
from tests.browser.conftest import nav_labels
from trellis.access.services import record_share

pytestmark = pytest.mark.browser


@pytest.fixture
def world(org):
    """A Jakarta distributor with own records, records a rep shared with them, and the
    rep's records nobody shared."""
    rep = factories.user("rina", unit=org["jakarta"], roles=["Sales Representative"])
    partner = factories.user(
        "distributor",
        unit=org["jakarta"],
        roles=["Partner"],
        user_type="partner",
        first_name="Putra",
    )
    own_account = factories.account(partner, name="Putra Distribution")
    shared_account = factories.account(rep, name="Shared Steel")
    shared_lead = data.lead(rep, "Sinta", "Shared", company_name="Shared Lead Co")
    shared_deal = data.opportunity(rep, shared_account, "Shared deal", 700)
    for record in (shared_account, shared_lead, shared_deal):
        record_share(rep, record, user=partner, rights=["read"])
    hidden_account = factories.account(rep, name="Hidden Holdings")
    return SimpleNamespace(
        partner=partner,
        own_lead=data.lead(partner, "Oki", "Ownlead", company_name="Own Lead Co"),
        own_deal=data.opportunity(partner, own_account, "Own deal", 300),
        shared_account=shared_account,
        hidden_account=hidden_account,
        hidden_lead=data.lead(rep, "Harun", "Hiddenlead", company_name="Secret Lead Co"),
        hidden_deal=data.opportunity(rep, hidden_account, "Hidden deal", 9000),
        hidden_contact=data.contact(rep, "Hana", "Hiddencontact", account=hidden_account),
        hidden_case=data.case(rep, "Hidden complaint", account=hidden_account),
    )


HIDDEN_WORDS = (
    "Hidden Holdings",
    "Hiddenlead",
    "Secret Lead Co",
    "Hidden deal",
    "Hiddencontact",
    "Hidden complaint",
)


def assert_nothing_hidden(page) -> None:
    text = page.locator("body").inner_text()
    assert not [word for word in HIDDEN_WORDS if word in text], text


def test_a_partner_sees_own_and_shared_records_and_reaches_nothing_else(world, journey):
    j = journey("partner")
    page = j.page()
    j.login(page, "distributor")
    assert_nothing_hidden(page)

    j.visit(page, "/accounts/", "accounts")
    accounts = page.locator("#main").inner_text()
    assert "Putra Distribution" in accounts
    assert "Shared Steel" in accounts
    assert_nothing_hidden(page)
    j.visit(page, "/leads/", "leads")
    leads = page.locator("#main").inner_text()
    assert "Own Lead Co" in leads
    assert "Shared Lead Co" in leads
    assert_nothing_hidden(page)
    j.visit(page, "/opportunities/", "opportunities")
    deals = page.locator("#main").inner_text()
    assert "Own deal" in deals
    assert "Shared deal" in deals
    assert_nothing_hidden(page)
    j.visit(page, f"/accounts/{world.shared_account.pk}/", "shared-account")
    j.visit(page, f"/opportunities/{world.own_deal.pk}/", "own-opportunity")

    hidden = {
        "hidden-account": f"/accounts/{world.hidden_account.pk}/",
        "hidden-lead": f"/leads/{world.hidden_lead.pk}/",
        "hidden-opportunity": f"/opportunities/{world.hidden_deal.pk}/",
        "hidden-contact": f"/contacts/{world.hidden_contact.pk}/",
        "hidden-case": f"/cases/{world.hidden_case.pk}/",
        "admin": "/admin/",
        "reports": "/reports/",
    }
    for name, path in hidden.items():
        response = page.goto(path)
        assert response.status in (403, 404), f"{path} answered {response.status}"
        j.shot(page, name)
        assert_nothing_hidden(page)

    j.visit(page, "/search/?q=Hidden", "search-hidden")
    assert_nothing_hidden(page)
    j.visit(page, "/search/?q=Secret", "search-secret")
    assert_nothing_hidden(page)
    j.visit(page, "/search/?q=Shared+Steel", "search-shared")
    assert "Shared Steel" in page.locator("#main").inner_text()

    # The header's instant results (htmx) as one types.
    box, results = page.locator("#global-search-q"), page.locator("#global-search-results")
    for query, shown in (
        ("Steel", "Shared Steel"),
        ("Hidden", "Nothing found for “Hidden”."),
        ("Secret", "Nothing found for “Secret”."),
    ):
        box.fill(query)
        results.get_by_text(shown).wait_for()
        j.shot(page, f"instant-search-{query}")
        assert_nothing_hidden(page)


def test_a_partner_gets_the_reduced_portal(world, journey):
    j = journey("partner-portal")
    page = j.page()
    j.login(page, "distributor")
    assert nav_labels(page) == ["Home", "Accounts", "Leads", "Opportunities"]
    assert "Own Lead Co" in page.locator("#my-leads").inner_text()
    assert "Own deal" in page.locator("#my-opportunities").inner_text()
    shared = page.locator("#shared-with-me").inner_text()
    assert "Shared Steel" in shared
    assert "Shared deal" in shared
    assert_nothing_hidden(page)
    for path in ("/contacts/", "/cases/", "/campaigns/", "/calendar/"):
        j.visit(page, path, path.strip("/") + "-forbidden", status=403)
