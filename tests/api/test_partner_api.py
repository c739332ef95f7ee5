"""The partner portal in the API (web.portal): partners reach accounts, leads,
opportunities, search, notifications and `users/me`; every other endpoint answers 403."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.conftest import ApiClient
from trellis.access.services import record_share
from trellis.customers.models import Contact
from trellis.org.models import UserType
from trellis.sales.models import Lead


def _owned(owner) -> dict:
    return {"owner_user": owner, "owning_unit_id": owner.unit_id}


@pytest.fixture
def partner(org):
    return factories.user(
        "partner", unit=org["jakarta"], roles=["Partner"], user_type=UserType.PARTNER
    )


FORBIDDEN = [
    "/api/v1/contacts",
    "/api/v1/cases",
    "/api/v1/campaigns",
    "/api/v1/activities",
    "/api/v1/calendar",
    "/api/v1/reports",
    "/api/v1/units",
    "/api/v1/users",
    "/api/v1/roles",
    "/api/v1/queues",
    "/api/v1/assignment-rules",
    "/api/v1/sla-policies",
    "/api/v1/audit-events",
    "/api/v1/analytics/dashboards",
    "/api/v1/products",
    "/api/v1/timeline",
]


@pytest.mark.parametrize("path", FORBIDDEN)
def test_a_partner_gets_403_with_the_error_body_outside_the_portal(partner, path):
    response = ApiClient(partner).get(path)
    assert response.status_code == 403
    body = response.json()
    assert body["detail"] == "partner users may not use this endpoint"
    assert body["errors"] == []


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/cases", "/api/v1/campaigns"])
def test_an_internal_rep_reaches_the_same_endpoints(rep, path):
    assert ApiClient(rep).get(path).status_code == 200


def test_a_partner_with_an_administrator_role_still_gets_403(org):
    partner = factories.user(
        unit=org["jakarta"], roles=["System Administrator"], user_type=UserType.PARTNER
    )
    assert ApiClient(partner).get("/api/v1/units").status_code == 403


def test_the_browser_session_of_a_partner_gets_403_too(partner):
    client = Client()
    client.force_login(partner)
    assert client.get("/api/v1/contacts").status_code == 403
    assert client.get("/api/v1/leads").status_code == 200


@pytest.mark.parametrize("action", ["access", "history", "contacts"])
def test_a_partner_gets_403_on_an_account_s_internal_sub_resources(partner, action):
    account = factories.account(partner)
    response = ApiClient(partner).get(f"/api/v1/accounts/{account.pk}/{action}")
    assert response.status_code == 403


def test_a_partner_may_not_add_to_an_access_team(partner, rep):
    account = factories.account(partner)
    response = ApiClient(partner).post(
        f"/api/v1/accounts/{account.pk}/access-team", {"user_id": rep.pk}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("action", ["assignments", "sla", "access", "history"])
def test_a_partner_gets_403_on_a_lead_s_internal_sub_resources(partner, action):
    lead = Lead.objects.create(last_name="Own", **_owned(partner))
    assert ApiClient(partner).get(f"/api/v1/leads/{lead.pk}/{action}").status_code == 403


def test_a_partner_reads_own_and_shared_leads_only(partner, rep, admin):
    own = Lead.objects.create(last_name="Own", **_owned(partner))
    shared = Lead.objects.create(last_name="Shared", **_owned(rep))
    Lead.objects.create(last_name="Hidden", **_owned(rep))
    record_share(admin, shared, user=partner, rights=["read"])
    response = ApiClient(partner).get("/api/v1/leads")
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["items"]} == {own.pk, shared.pk}


def test_a_partner_uses_the_account_and_opportunity_endpoints(partner):
    client = ApiClient(partner)
    account = factories.account(partner, name="Own Account")
    assert client.get("/api/v1/accounts").status_code == 200
    assert client.get(f"/api/v1/accounts/{account.pk}").status_code == 200
    assert client.get("/api/v1/opportunities").status_code == 200
    assert client.get("/api/v1/users/me").status_code == 200
    assert client.get("/api/v1/notifications").status_code == 200


def test_a_partner_s_api_search_never_returns_contacts(partner):
    account = factories.account(partner, name="Zebraco Account")
    Contact.objects.create(last_name="Zebraco", account=account, **_owned(partner))
    response = ApiClient(partner).get("/api/v1/search", {"q": "zebraco"})
    assert response.status_code == 200
    assert {item["entity"] for item in response.json()["items"]} == {"account"}
    asked = ApiClient(partner).get("/api/v1/search", {"q": "zebraco", "entities": "contact"})
    assert asked.json()["items"] == []


def test_an_internal_rep_s_api_search_returns_contacts(rep):
    account = factories.account(rep, name="Zebraco Account")
    Contact.objects.create(last_name="Zebraco", account=account, **_owned(rep))
    response = ApiClient(rep).get("/api/v1/search", {"q": "zebraco"})
    assert {item["entity"] for item in response.json()["items"]} == {"account", "contact"}
