"""Leads and opportunities through the import API and the import page."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tests.conftest import ApiClient
from trellis.sales.models import Lead, Opportunity, OpportunityStageChange

LEADS = (
    b"Last Name,Company,E-mail,Status\nLestari,Garuda,ayu@example.com,contacted\nDewi,X,bad,new\n"
)
DEALS = b"Name,Account,Stage,Created,Closed\nTrucks,Garuda Logistics,won,2021-01-04,2021-02-01\n"


def upload(user, entity: str, name: str, data: bytes, **fields: str):
    client = ApiClient(user)
    payload = {"entity": entity, "file": SimpleUploadedFile(name, data), **fields}
    return client.client.post(
        "/api/v1/imports", payload, HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )


def test_the_api_imports_leads_and_reports_the_bad_rows(manager):
    response = upload(manager, "leads", "leads.csv", LEADS)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["entity"], body["created"]) == ("leads", 1)
    assert body["errors"] == [
        {"row": 3, "field": "email", "message": "'bad' is not a valid email address"}
    ]
    assert Lead.objects.get().status == "contacted"


def test_the_api_lead_import_without_the_privilege_is_403(rep):
    response = upload(rep, "leads", "leads.csv", LEADS)

    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_two_managers_importing_one_file_link_only_accounts_they_can_read(manager, org):
    factories.account(manager, name="Garuda Logistics")
    milan_boss = factories.user("mila", unit=org["europe"], roles=["Sales Manager"])

    theirs = upload(milan_boss, "opportunities", "deals.csv", DEALS).json()
    mine = upload(manager, "opportunities", "deals.csv", DEALS).json()

    assert theirs["errors"] == [
        {"row": 2, "field": "account", "message": "no account 'Garuda Logistics' that you can see"}
    ]
    assert (theirs["created"], mine["created"], mine["errors"]) == (0, 1, [])
    deal = Opportunity.objects.get()
    assert (deal.owner_user, deal.stage) == (manager, "won")


def test_the_api_atomic_opportunity_import_writes_no_stage_history_when_a_row_is_bad(manager):
    factories.account(manager, name="Garuda Logistics")
    data = DEALS + b"Vans,Nowhere Ltd,proposal,2021-01-04,\n"

    body = upload(manager, "opportunities", "deals.csv", data, atomic="true").json()

    assert (body["created"], body["atomic"]) == (0, True)
    assert (Opportunity.objects.count(), OpportunityStageChange.objects.count()) == (0, 0)


def test_the_import_page_imports_opportunities_with_their_history(manager):
    factories.account(manager, name="Garuda Logistics")
    client = Client()
    client.force_login(manager)

    response = client.post(
        "/import/", {"entity": "opportunities", "file": SimpleUploadedFile("deals.csv", DEALS)}
    )

    assert response.status_code == 200
    assert b"1 created" in response.content
    deal = Opportunity.objects.get()
    assert [c.to_stage for c in deal.stage_changes.order_by("changed_at")] == ["prospecting", "won"]


def test_the_import_page_tells_a_rep_without_the_privilege(rep):
    client = Client()
    client.force_login(rep)

    response = client.post(
        "/import/", {"entity": "leads", "file": SimpleUploadedFile("leads.csv", LEADS)}
    )

    assert b"lack the import privilege" in response.content
    assert Lead.objects.count() == 0
