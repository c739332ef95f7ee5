"""The lead pages as people who must see different things."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from tests.sales.conftest import lead
from trellis.access.models import Share
from trellis.customers.models import Account
from trellis.sales.models import Lead


@pytest.fixture
def browser():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(record.last_name for record in response.context["page"].items)


def _share(record, user, *rights: str) -> None:
    Share.objects.create(
        record_type=ContentType.objects.get_for_model(record),
        record_id=record.pk,
        user=user,
        **{f"can_{right}": True for right in rights or ("read",)},
    )


# The list.


def test_reps_in_different_units_see_different_lead_lists(browser, people, leads):
    jakarta = browser(people.rep).get("/leads/")
    assert _names(jakarta) == ["Dewi", "Santoso", "Tarub"]
    assertNotContains(jakarta, "Rossi")
    assert _names(browser(people.milan_rep).get("/leads/")) == ["Rossi"]


def test_the_manager_sees_the_subtree_leads(browser, people, leads):
    assert _names(browser(people.manager).get("/leads/")) == ["Dewi", "Santoso", "Tarub", "Wei"]


def test_a_partner_sees_own_and_shared_leads(browser, people, leads):
    client = browser(people.partner)
    assert _names(client.get("/leads/")) == ["Santoso"]
    _share(leads.jakarta, people.partner)
    assert _names(client.get("/leads/")) == ["Santoso", "Tarub"]


def test_the_lead_list_filters_by_status_and_searches(browser, people):
    lead(people.rep, last_name="Called", status="contacted")
    lead(people.rep, last_name="Fresh", company_name="Batik Co")
    client = browser(people.rep)
    assert _names(client.get("/leads/", {"status": "contacted"})) == ["Called"]
    assert _names(client.get("/leads/", {"q": "batik"})) == ["Fresh"]


def test_the_lead_list_fragment_swaps_alone(browser, people, leads):
    response = browser(people.rep).get(
        "/leads/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lead-results"
    )
    assert response.status_code == 200
    assertNotContains(response, "<html")
    assertContains(response, "Tarub")


def test_the_lead_list_pages_by_keyset(browser, people):
    for index in range(30):
        lead(people.rep, last_name=f"Lead {index:02}")
    client = browser(people.rep)
    first = client.get("/leads/", {"sort": "name"})
    assert len(first.context["page"].items) == 25
    second = client.get("/leads/", {"sort": "name", "cursor": first.context["page"].next_cursor})
    assert [x.last_name for x in second.context["page"].items] == [
        f"Lead {i}" for i in range(25, 30)
    ]


def test_lead_list_queries_do_not_grow_with_rows(browser, people, django_assert_max_num_queries):
    for index in range(30):
        lead(people.rep, last_name=f"Lead {index}")
    client = browser(people.rep)
    with django_assert_max_num_queries(12):
        client.get("/leads/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lead-results")


# The detail page.


def test_the_owner_sees_the_actions(browser, people, leads):
    response = browser(people.rep).get(f"/leads/{leads.jakarta.pk}/")
    assert response.status_code == 200
    assert response.context["qualify_form"] is not None
    assert response.context["disqualify_form"] is not None
    assertContains(response, "Log a contact")
    assertContains(response, f"/timeline/lead/{leads.jakarta.pk}")


def test_a_colleague_who_may_only_read_sees_no_actions(browser, people, leads):
    response = browser(people.colleague).get(f"/leads/{leads.jakarta.pk}/")
    assert response.status_code == 200
    assert response.context["qualify_form"] is None
    assert response.context["disqualify_form"] is None
    assertNotContains(response, "Log a contact")


def test_another_unit_gets_404_for_the_detail(browser, people, leads):
    assert browser(people.milan_rep).get(f"/leads/{leads.jakarta.pk}/").status_code == 404


def test_the_access_panel_lists_who_can_see_the_lead(browser, people, leads):
    response = browser(people.rep).get(f"/leads/{leads.jakarta.pk}/access/")
    assertContains(response, "colleague")


# Forms and actions.


def test_creating_a_lead_from_the_form(browser, people):
    response = browser(people.rep).post(
        "/leads/new/",
        {"last_name": "Tarub", "phone": "+62 21 5550 1234", "source": "event", "rating": ""},
    )
    made = Lead.objects.get(last_name="Tarub")
    assert response.status_code == 302
    assert (made.phone, made.owner_user) == ("+622155501234", people.rep)


def test_a_bad_phone_on_the_form_names_the_field(browser, people):
    response = browser(people.rep).post(
        "/leads/new/", {"last_name": "Tarub", "phone": "12", "source": "event"}
    )
    assert response.status_code == 400
    assert "phone" in response.context["form"].errors


def test_editing_with_a_stale_version_is_refused(browser, people, leads):
    response = browser(people.rep).post(
        f"/leads/{leads.jakarta.pk}/edit/",
        {"last_name": "Changed", "source": "other", "version": 9},
    )
    assert response.status_code == 412
    assert Lead.objects.get(pk=leads.jakarta.pk).last_name == "Tarub"


def test_a_colleague_may_not_open_the_edit_form(browser, people, leads):
    assert browser(people.colleague).get(f"/leads/{leads.jakarta.pk}/edit/").status_code == 403


def test_qualifying_from_the_page_links_the_new_records(browser, people, leads):
    client = browser(people.rep)
    response = client.post(
        f"/leads/{leads.jakarta.pk}/qualify/", {"qualify-create_opportunity": "on"}
    )
    assert response.status_code == 302
    qualified = Lead.objects.get(pk=leads.jakarta.pk)
    assert qualified.status == "qualified"
    assert qualified.opportunity is not None
    page = client.get(f"/leads/{leads.jakarta.pk}/")
    assertContains(page, f"/accounts/{qualified.account_id}/")
    assertContains(page, f"/opportunities/{qualified.opportunity_id}/")


def test_links_after_qualify_show_only_what_the_viewer_may_see(browser, people, leads):
    browser(people.rep).post(f"/leads/{leads.jakarta.pk}/qualify/", {})
    qualified = Lead.objects.get(pk=leads.jakarta.pk)
    _share(qualified, people.partner)
    page = browser(people.partner).get(f"/leads/{leads.jakarta.pk}/")
    assert page.status_code == 200
    assert page.context["linked"] == {}
    assertNotContains(page, f"/accounts/{qualified.account_id}/")


def test_qualifying_into_an_invisible_account_shows_the_field_error(
    browser, people, leads, accounts
):
    before = Account.objects.count()
    response = browser(people.rep).post(
        f"/leads/{leads.jakarta.pk}/qualify/", {"qualify-account": accounts.milan.pk}
    )
    assert response.status_code == 400
    assert "account" in response.context["qualify_form"].errors
    assert Account.objects.count() == before


def test_disqualifying_from_the_page_needs_a_reason(browser, people, leads):
    client = browser(people.rep)
    response = client.post(f"/leads/{leads.jakarta.pk}/disqualify/", {"disqualify-reason": ""})
    assert response.status_code == 400
    response = client.post(
        f"/leads/{leads.jakarta.pk}/disqualify/", {"disqualify-reason": "No budget"}
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=leads.jakarta.pk).status == "disqualified"


def test_logging_a_contact_and_reopening_from_the_page(browser, people, leads):
    client = browser(people.rep)
    client.post(f"/leads/{leads.jakarta.pk}/contacted/")
    assert Lead.objects.get(pk=leads.jakarta.pk).status == "contacted"
    client.post(f"/leads/{leads.jakarta.pk}/disqualify/", {"disqualify-reason": "No budget"})
    client.post(f"/leads/{leads.jakarta.pk}/reopen/")
    assert Lead.objects.get(pk=leads.jakarta.pk).status == "new"


def test_a_colleague_posting_an_action_gets_403(browser, people, leads):
    response = browser(people.colleague).post(f"/leads/{leads.jakarta.pk}/contacted/")
    assert response.status_code == 403


def test_assigning_from_the_page(browser, people, leads):
    response = browser(people.manager).post(
        f"/leads/{leads.jakarta.pk}/assign/", {"assign-owner_user": people.colleague.pk}
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=leads.jakarta.pk).owner_user == people.colleague


def test_sharing_and_unsharing_from_the_page(browser, people, leads):
    client = browser(people.rep)
    response = client.post(
        f"/leads/{leads.jakarta.pk}/share/",
        {"share-user": people.partner.pk, "share-rights": ["read"]},
    )
    assert response.status_code == 302
    assert browser(people.partner).get(f"/leads/{leads.jakarta.pk}/").status_code == 200
    client.post(f"/leads/{leads.jakarta.pk}/unshare/", {"user": people.partner.pk})
    assert browser(people.partner).get(f"/leads/{leads.jakarta.pk}/").status_code == 404
