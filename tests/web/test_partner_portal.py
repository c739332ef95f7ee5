"""The partner portal (web.portal): reduced navigation, a home page of own and shared
records, 403 outside the portal, and record pages that do not show internal staff."""

from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories
from trellis.access.services import record_share, record_unshare
from trellis.customers.models import Contact
from trellis.org.models import UserType
from trellis.sales.models import Lead, Opportunity


def _owned(owner) -> dict:
    return {"owner_user": owner, "owning_unit_id": owner.unit_id}


def _lead(owner, last_name: str, **fields) -> Lead:
    return Lead.objects.create(last_name=last_name, **_owned(owner), **fields)


def _opportunity(owner, account, name: str, **fields) -> Opportunity:
    return Opportunity.objects.create(name=name, account=account, **_owned(owner), **fields)


@pytest.fixture
def partner(org):
    return factories.user(
        "partner",
        unit=org["jakarta"],
        roles=["Partner"],
        user_type=UserType.PARTNER,
        first_name="Putri",
    )


def _nav(response) -> str:
    return response.content.decode().split('class="main-nav"', 1)[1].split("</nav>", 1)[0]


# Navigation and home ------------------------------------------------------------------------


def test_a_partner_sees_only_home_accounts_leads_and_opportunities_in_the_navigation(
    partner, browser
):
    nav = _nav(browser(partner).get("/accounts/"))
    for label in ("Home", "Accounts", "Leads", "Opportunities"):
        assert f">{label}</a>" in nav
    for label in ("Contacts", "Cases", "Queues", "Campaigns", "Calendar", "Reports", "Admin"):
        assert f">{label}</a>" not in nav


def test_an_internal_rep_sees_the_full_navigation(jakarta_rep, browser):
    nav = _nav(browser(jakarta_rep).get("/accounts/"))
    for label in ("Contacts", "Cases", "Campaigns", "Calendar"):
        assert f">{label}</a>" in nav


def test_a_role_granting_more_does_not_widen_a_partner_s_navigation(org, browser):
    partner = factories.user(
        unit=org["jakarta"],
        roles=["Partner", "Sales Manager", "System Administrator"],
        user_type=UserType.PARTNER,
    )
    nav = _nav(browser(partner).get("/accounts/"))
    for label in ("Contacts", "Cases", "Reports", "Routing", "Admin"):
        assert f">{label}</a>" not in nav


def test_a_partner_s_home_page_is_the_partner_portal(partner, browser):
    response = browser(partner).get("/")
    assert response.status_code == 200
    assertContains(response, "Partner portal")
    assertContains(response, "My leads")
    assertContains(response, "My opportunities")
    assertContains(response, "Shared with me")


def test_an_internal_rep_s_home_page_is_the_dashboard(jakarta_rep, browser):
    response = browser(jakarta_rep).get("/")
    assert response.status_code == 200
    assertNotContains(response, "Partner portal")
    assertNotContains(response, "My leads")


def test_the_partner_home_lists_own_open_leads_and_opportunities_only(
    partner, jakarta_rep, browser
):
    _lead(partner, "Partnerlead", status="new")
    _lead(partner, "Closedlead", status="disqualified")
    _lead(jakarta_rep, "Replead", status="new")
    account = factories.account(partner, name="Partner Account")
    _opportunity(partner, account, "Partner Deal", amount=12500, currency="IDR")
    _opportunity(jakarta_rep, factories.account(jakarta_rep), "Rep Deal", amount=9)
    response = browser(partner).get("/")
    assertContains(response, "Partnerlead")
    assertContains(response, "Partner Deal")
    assertContains(response, "12,500.00")
    assertNotContains(response, "Closedlead")
    assertNotContains(response, "Replead")
    assertNotContains(response, "Rep Deal")


def test_a_record_shared_with_the_partner_appears_under_shared_with_me(
    partner, jakarta_rep, admin, browser
):
    account = factories.account(jakarta_rep, name="Garuda Shared")
    opportunity = _opportunity(jakarta_rep, account, "Shared Deal")
    client = browser(partner)
    assertNotContains(client.get("/"), "Garuda Shared")
    record_share(admin, account, user=partner, rights=["read"])
    record_share(admin, opportunity, user=partner, rights=["read"])
    shared = client.get("/").content.decode().split('id="shared-with-me"', 1)[1]
    assert "Garuda Shared" in shared
    assert "Shared Deal" in shared


def test_a_record_shared_with_the_partner_s_team_appears_under_shared_with_me(
    org, partner, jakarta_rep, admin, browser
):
    team = factories.team("Distributors", unit=org["jakarta"], members=(partner,))
    lead = _lead(jakarta_rep, "Teamshared")
    record_share(admin, lead, team=team, rights=["read"])
    shared = browser(partner).get("/").content.decode().split('id="shared-with-me"', 1)[1]
    assert "Teamshared" in shared


def test_unsharing_removes_the_record_from_shared_with_me(partner, jakarta_rep, admin, browser):
    account = factories.account(jakarta_rep, name="Garuda Unshared")
    record_share(admin, account, user=partner, rights=["read"])
    client = browser(partner)
    assertContains(client.get("/"), "Garuda Unshared")
    record_unshare(admin, account, user=partner)
    assertNotContains(client.get("/"), "Garuda Unshared")
    assert client.get(f"/accounts/{account.pk}/").status_code == 404


# Pages outside the portal -----------------------------------------------------------------


OUTSIDE = [
    "/contacts/",
    "/contacts/new/",
    "/cases/",
    "/campaigns/",
    "/products/",
    "/targets/",
    "/activities/",
    "/calendar/",
    "/reports/",
    "/routing/queues/",
    "/routing/rules/",
    "/service-levels/",
    "/import/",
    "/admin/",
    "/admin/users/",
    "/export/contacts.csv",
    "/timeline/case/1/",
]


@pytest.mark.parametrize("path", OUTSIDE)
def test_a_partner_gets_403_outside_the_portal(partner, browser, path):
    response = browser(partner).get(path)
    assert response.status_code == 403
    assertContains(response, "Not allowed", status_code=403)


@pytest.mark.parametrize("path", OUTSIDE)
def test_a_partner_with_an_administrator_role_still_gets_403_outside_the_portal(org, browser, path):
    partner = factories.user(
        unit=org["jakarta"], roles=["System Administrator"], user_type=UserType.PARTNER
    )
    assert browser(partner).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/contacts/", "/cases/", "/campaigns/", "/calendar/"])
def test_an_internal_rep_opens_the_same_pages(jakarta_rep, browser, path):
    assert browser(jakarta_rep).get(path).status_code == 200


def test_a_partner_gets_403_on_a_record_s_who_can_see_page(partner, browser):
    account = factories.account(partner, name="Own Account")
    assert browser(partner).get(f"/accounts/{account.pk}/access/").status_code == 403


def test_a_partner_gets_403_on_bulk_actions(partner, browser):
    account = factories.account(partner)
    response = browser(partner).post(
        "/bulk/accounts/", {"bulk-action": "export", "ids": [account.pk]}
    )
    assert response.status_code == 403


def test_a_partner_opens_the_portal_s_pages(partner, browser):
    client = browser(partner)
    account = factories.account(partner)
    lead = _lead(partner, "Ownlead")
    opportunity = _opportunity(partner, account, "Own Deal")
    for path in (
        "/accounts/",
        f"/accounts/{account.pk}/",
        "/leads/",
        f"/leads/{lead.pk}/",
        "/opportunities/",
        "/opportunities/pipeline/",
        f"/opportunities/{opportunity.pk}/",
        "/notifications/",
        "/search/?q=Own",
        f"/timeline/lead/{lead.pk}/",
    ):
        assert client.get(path).status_code == 200, path


# What a partner sees ------------------------------------------------------------------------


def test_a_partner_lists_own_and_shared_leads_only(partner, jakarta_rep, admin, browser):
    _lead(partner, "Ownlead")
    shared = _lead(jakarta_rep, "Sharedlead")
    _lead(jakarta_rep, "Hiddenlead")
    record_share(admin, shared, user=partner, rights=["read"])
    response = browser(partner).get("/leads/")
    assertContains(response, "Ownlead")
    assertContains(response, "Sharedlead")
    assertNotContains(response, "Hiddenlead")


def test_a_partner_lists_own_and_shared_accounts_only(partner, jakarta_rep, admin, browser):
    factories.account(partner, name="Own Account")
    shared = factories.account(jakarta_rep, name="Shared Account")
    factories.account(jakarta_rep, name="Hidden Account")
    record_share(admin, shared, user=partner, rights=["read"])
    response = browser(partner).get("/accounts/")
    assertContains(response, "Own Account")
    assertContains(response, "Shared Account")
    assertNotContains(response, "Hidden Account")


def test_a_partner_s_search_finds_accounts_and_leads_but_never_contacts(partner, browser):
    account = factories.account(partner, name="Zebraco Account")
    _lead(partner, "Zebraco")
    Contact.objects.create(last_name="Zebraco", account=account, **_owned(partner))
    response = browser(partner).get("/search/", {"q": "zebraco"})
    assertContains(response, "Zebraco Account")
    assertContains(response, f"/leads/{Lead.objects.get().pk}/")
    assertNotContains(response, "/contacts/")


def test_an_internal_rep_s_search_finds_contacts(jakarta_rep, browser):
    account = factories.account(jakarta_rep, name="Zebraco Account")
    contact = Contact.objects.create(last_name="Zebraco", account=account, **_owned(jakarta_rep))
    response = browser(jakarta_rep).get("/search/", {"q": "zebraco"})
    assertContains(response, f"/contacts/{contact.pk}/")


def test_a_shared_account_page_shows_a_partner_no_internal_staff_panels(
    partner, jakarta_rep, admin, browser
):
    colleague = factories.user("colleague", unit=jakarta_rep.unit, first_name="Citra")
    account = factories.account(jakarta_rep, name="Garuda Shared")
    record_share(admin, account, user=partner, rights=["read"])
    record_share(admin, account, user=colleague, rights=["read"])
    response = browser(partner).get(f"/accounts/{account.pk}/")
    assert response.status_code == 200
    assertContains(response, "Garuda Shared")
    assertNotContains(response, "Who can see this")
    assertNotContains(response, "Citra")
    assertNotContains(response, 'id="contacts-title"')


def test_the_same_account_page_shows_an_internal_rep_the_access_and_share_panels(
    jakarta_rep, admin, browser
):
    colleague = factories.user("colleague", unit=jakarta_rep.unit, first_name="Citra")
    account = factories.account(jakarta_rep, name="Garuda Shared")
    record_share(admin, account, user=colleague, rights=["read"])
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assertContains(response, "Who can see this")
    assertContains(response, "Citra")
    assertContains(response, 'id="contacts-title"')


def test_a_lead_page_shows_a_partner_no_routing_box(partner, jakarta_rep, browser):
    lead = _lead(partner, "Ownlead")
    assertNotContains(browser(partner).get(f"/leads/{lead.pk}/"), 'id="assignments"')
    rep_lead = _lead(jakarta_rep, "Replead")
    assertContains(browser(jakarta_rep).get(f"/leads/{rep_lead.pk}/"), 'id="assignments"')


def test_a_partner_s_timeline_shows_notes_but_not_the_audit_trail(
    partner, jakarta_rep, admin, browser
):
    from trellis.activities.services import note_create

    account = factories.account(jakarta_rep, name="Garuda Shared")
    record_share(admin, account, user=partner, rights=["read", "write"])
    note_create(partner, record=account, body="Met the buyer today")
    path = f"/timeline/account/{account.pk}/"
    partner_view = browser(partner).get(path)
    assertContains(partner_view, "Met the buyer today")
    assertNotContains(partner_view, 'class="timeline-event"')
    assertContains(browser(admin).get(path), 'class="timeline-event"')


def test_no_portal_page_names_internal_staff_unrelated_to_the_partner(partner, browser):
    factories.user("colleague", unit=partner.unit, roles=["Sales Manager"], first_name="Citra")
    client = browser(partner)
    account = factories.account(partner)
    lead = _lead(partner, "Ownlead")
    opportunity = _opportunity(partner, account, "Own Deal")
    for path in (
        "/",
        "/accounts/",
        "/accounts/new/",
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/edit/",
        "/leads/",
        "/leads/new/",
        f"/leads/{lead.pk}/",
        f"/leads/{lead.pk}/edit/",
        "/opportunities/",
        "/opportunities/new/",
        "/opportunities/pipeline/",
        f"/opportunities/{opportunity.pk}/",
        f"/opportunities/{opportunity.pk}/edit/",
        "/search/?q=Own",
        "/notifications/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Citra" not in response.content.decode(), path
