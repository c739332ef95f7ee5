"""The contact pages, and the contacts on the account page, as people who must see
different things."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import (
    assertContains,
    assertNotContains,
    assertRedirects,
    assertTemplateUsed,
)

from tests import factories
from tests.customers.conftest import make_contact
from trellis.access import can
from trellis.audit.models import AuditEvent
from trellis.customers import views
from trellis.customers.models import Contact


def last_names(response) -> list[str]:
    assert response.status_code == 200
    return sorted(contact.last_name for contact in response.context["page"].items)


def form_data(contact: Contact, **changes) -> dict:
    data = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "job_title": contact.job_title,
        "account": contact.account_id or "",
        "email": contact.email,
        "other_emails": "\n".join(contact.other_emails),
        "phone": contact.phone_raw or contact.phone,
        "mobile": contact.mobile_raw or contact.mobile,
        "city": contact.city,
        "country": contact.country,
        "is_active": "on" if contact.is_active else "",
        "version": contact.version,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value not in (None, "")}


# The list.


def test_a_jakarta_rep_and_a_milan_rep_see_different_contacts(browser, people, contacts):
    jakarta = browser(people.rep).get("/contacts/")
    milan = browser(people.milan_rep).get("/contacts/")
    assert last_names(jakarta) == ["Lestari", "Partner", "Santoso", "Wulandari"]
    assert last_names(milan) == ["Rossi"]
    assertNotContains(jakarta, "Rossi")
    assertNotContains(milan, "Santoso")


def test_the_search_finds_part_of_a_name_email_or_city(browser, people, contacts):
    client = browser(people.rep)
    assert last_names(client.get("/contacts/", {"q": "sant"})) == ["Santoso"]
    assert last_names(client.get("/contacts/", {"q": "JAKARTASTEEL"})) == ["Santoso"]
    assert last_names(client.get("/contacts/", {"q": "jakarta"})) == ["Santoso"]


def test_the_search_finds_a_phone_typed_in_another_format(browser, people, contacts):
    client = browser(people.rep)
    assert last_names(client.get("/contacts/", {"q": "+62 21 555"})) == ["Santoso"]
    assert last_names(client.get("/contacts/", {"q": "0215550"})) == ["Santoso"]


def test_the_search_never_reaches_contacts_the_user_cannot_see(browser, people, contacts):
    response = browser(people.milan_rep).get("/contacts/", {"q": "Santoso"})
    assert last_names(response) == []
    assertContains(response, "No contact you can see matches")


def test_live_search_swaps_only_the_results(browser, people, contacts):
    response = browser(people.rep).get(
        "/contacts/", {"q": "budi"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="contact-results"
    )
    assertTemplateUsed(response, "customers/_contact_results.html")
    assertNotContains(response, "<html")
    assert last_names(response) == ["Santoso"]


def test_filters_narrow_by_status_owner_and_account(browser, people, contacts, accounts):
    client = browser(people.rep)
    assert last_names(client.get("/contacts/", {"active": "no"})) == ["Wulandari"]
    assert last_names(client.get("/contacts/", {"mine": "on"})) == ["Santoso", "Wulandari"]
    assert last_names(client.get("/contacts/", {"account": accounts.partner.pk})) == ["Partner"]


def test_an_account_the_user_cannot_see_is_not_named_in_the_list(browser, people, accounts):
    make_contact(people.rep, account=accounts.milan, last_name="Abroad")
    response = browser(people.rep).get("/contacts/", {"q": "Abroad"})
    assert last_names(response) == ["Abroad"]
    assertNotContains(response, "Milan Moda")


def test_pages_follow_each_other_without_gaps_or_repeats(browser, people, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 3)
    for index in range(8):
        make_contact(people.rep, last_name=f"Person {index}")
    client = browser(people.rep)
    seen, cursor = [], None
    while True:
        params = {"sort": "name", **({"cursor": cursor} if cursor else {})}
        page = client.get("/contacts/", params).context["page"]
        seen += [contact.last_name for contact in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [f"Person {index}" for index in range(8)]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/contacts/")
    assert response.status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_the_number_of_contacts(browser, people, accounts):
    client = browser(people.rep)
    make_contact(people.rep, last_name="First", account=accounts.jakarta)
    few = _list_queries(client)
    for index in range(20):
        make_contact(people.colleague, last_name=f"More {index}", account=accounts.milan)
    assert _list_queries(client) == few


def test_the_navigation_offers_contacts(browser, people):
    response = browser(people.rep).get("/contacts/")
    assert "web:contact_list" in [name for name, _label in response.context["nav_items"]]


# The detail page.


def test_the_detail_shows_key_fields_and_the_visible_account(browser, people, contacts, accounts):
    response = browser(people.rep).get(f"/contacts/{contacts.budi.pk}/")
    assertContains(response, "Budi Santoso")
    assertContains(response, "+622155501234")
    assertContains(response, "(021) 5550 1234")
    assertContains(
        response, f'<a href="/accounts/{accounts.jakarta.pk}/">Jakarta Steel</a>', count=2
    )


def test_an_account_the_user_cannot_see_is_not_linked(browser, people, accounts):
    contact = make_contact(people.rep, account=accounts.milan, last_name="Abroad")
    response = browser(people.rep).get(f"/contacts/{contact.pk}/")
    assert response.context["account"] is None
    assertNotContains(response, "Milan Moda")


def test_a_contact_the_user_cannot_see_answers_404(browser, people, contacts):
    response = browser(people.milan_rep).get(f"/contacts/{contacts.budi.pk}/")
    assert response.status_code == 404
    assertNotContains(response, "Santoso", status_code=404)
    assert browser(people.milan_rep).get("/contacts/999999/").status_code == 404


def test_the_owner_gets_edit_assign_and_share_a_colleague_does_not(browser, people, contacts):
    mine = browser(people.rep).get(f"/contacts/{contacts.budi.pk}/")
    theirs = browser(people.colleague).get(f"/contacts/{contacts.budi.pk}/")
    assert mine.context["assign_form"] and mine.context["share_form"]
    assertContains(mine, f"/contacts/{contacts.budi.pk}/edit/")
    assert theirs.context["assign_form"] is None and theirs.context["share_form"] is None
    assertNotContains(theirs, f"/contacts/{contacts.budi.pk}/edit/")


def test_the_access_panel_explains_who_can_see_the_contact(browser, people, contacts):
    response = browser(people.rep).get(
        f"/contacts/{contacts.budi.pk}/access/", HTTP_HX_REQUEST="true"
    )
    assertTemplateUsed(response, "web/_record_access_panel.html")
    assertContains(response, "Who can see this contact, and why")
    usernames = [row["username"] for row in response.context["access_rows"]]
    assert "rep" in usernames and "colleague" in usernames and "milan_rep" not in usernames
    whole = browser(people.rep).get(f"/contacts/{contacts.budi.pk}/access/")
    assertTemplateUsed(whole, "web/record_access.html")
    assert browser(people.milan_rep).get(f"/contacts/{contacts.budi.pk}/access/").status_code == 404


# Create and edit.


def test_creating_a_contact_normalizes_the_phone_and_makes_the_user_its_owner(
    browser, people, accounts
):
    response = browser(people.rep).post(
        "/contacts/new/",
        {
            "first_name": "Agus",
            "last_name": "Wijaya",
            "account": accounts.jakarta.pk,
            "phone": "(021) 5550-9876",
            "country": "ID",
            "other_emails": "agus@example.com\nagus.w@example.com",
            "consent_email": "on",
            "is_active": "on",
        },
    )
    contact = Contact.objects.get(last_name="Wijaya")
    assertRedirects(response, f"/contacts/{contact.pk}/")
    assert contact.owner_user == people.rep
    assert contact.account == accounts.jakarta
    assert (contact.phone, contact.phone_raw) == ("+622155509876", "(021) 5550-9876")
    assert contact.other_emails == ["agus@example.com", "agus.w@example.com"]
    assert contact.consent_updated_at is not None
    assert AuditEvent.objects.filter(entity="contact", object_id=contact.pk, action="create")


def test_the_create_form_starts_linked_to_the_account_in_the_url(browser, people, accounts):
    response = browser(people.rep).get("/contacts/new/", {"account": accounts.jakarta.pk})
    assert response.context["form"]["account"].value() == str(accounts.jakarta.pk)


def test_a_phone_that_cannot_be_read_shows_on_the_field(browser, people):
    response = browser(people.rep).post(
        "/contacts/new/", {"last_name": "Tan", "phone": "021 5550 1234", "is_active": "on"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["phone"]
    assert not Contact.objects.filter(last_name="Tan").exists()


def test_an_account_the_user_cannot_see_is_refused_on_the_form(browser, people, accounts):
    response = browser(people.rep).post(
        "/contacts/new/", {"last_name": "Tan", "account": accounts.milan.pk}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["account"]


def test_someone_without_create_rights_cannot_open_the_create_form(browser, org):
    nobody = factories.user(unit=org["jakarta"])
    assert browser(nobody).get("/contacts/new/").status_code == 403


def test_editing_saves_the_changes_and_bumps_the_version(browser, people, contacts):
    response = browser(people.rep).post(
        f"/contacts/{contacts.budi.pk}/edit/",
        form_data(contacts.budi, job_title="Buyer", mobile="0812 3456 7890"),
    )
    assertRedirects(response, f"/contacts/{contacts.budi.pk}/")
    contacts.budi.refresh_from_db()
    assert contacts.budi.job_title == "Buyer"
    assert contacts.budi.mobile == "+6281234567890"
    assert contacts.budi.phone == "+622155501234"
    assert contacts.budi.version == 2


def test_the_edit_form_shows_the_phone_as_it_was_typed(browser, people, contacts):
    response = browser(people.rep).get(f"/contacts/{contacts.budi.pk}/edit/")
    assertContains(response, 'value="(021) 5550 1234"')


def test_a_stale_edit_is_refused_with_a_clear_message(browser, people, contacts):
    stale = form_data(contacts.budi, job_title="Mine")
    Contact.objects.filter(pk=contacts.budi.pk).update(version=2, job_title="Theirs")
    response = browser(people.rep).post(f"/contacts/{contacts.budi.pk}/edit/", stale)
    assertContains(response, "was changed by someone else", status_code=412)
    contacts.budi.refresh_from_db()
    assert contacts.budi.job_title == "Theirs"


def test_a_reader_who_may_not_write_gets_403_on_edit(browser, people, contacts):
    assert browser(people.colleague).get(f"/contacts/{contacts.budi.pk}/edit/").status_code == 403


def test_editing_keeps_an_account_the_editor_cannot_see(browser, people, accounts):
    contact = make_contact(people.rep, account=accounts.milan, last_name="Abroad")
    client = browser(people.rep)
    assertContains(client.get(f"/contacts/{contact.pk}/edit/"), "Linked to an account you cannot")
    response = client.post(f"/contacts/{contact.pk}/edit/", form_data(contact, city="Bogor"))
    assertRedirects(response, f"/contacts/{contact.pk}/")
    contact.refresh_from_db()
    assert contact.account == accounts.milan


# Assign and share.


def test_assigning_moves_the_contact(browser, people, contacts):
    response = browser(people.rep).post(
        f"/contacts/{contacts.budi.pk}/assign/", {"assign-owner_user": people.colleague.pk}
    )
    assertRedirects(response, f"/contacts/{contacts.budi.pk}/")
    contacts.budi.refresh_from_db()
    assert contacts.budi.owner_user == people.colleague


def test_assign_without_assign_rights_is_refused(browser, people, contacts):
    response = browser(people.colleague).post(
        f"/contacts/{contacts.budi.pk}/assign/", {"assign-owner_user": people.colleague.pk}
    )
    assert response.status_code == 403
    contacts.budi.refresh_from_db()
    assert contacts.budi.owner_user == people.rep


def test_sharing_and_unsharing_a_contact(browser, people, contacts):
    client = browser(people.rep)
    response = client.post(
        f"/contacts/{contacts.budi.pk}/share/",
        {"share-user": people.milan_rep.pk, "share-rights": ["read"]},
    )
    assertRedirects(response, f"/contacts/{contacts.budi.pk}/")
    assert browser(people.milan_rep).get(f"/contacts/{contacts.budi.pk}/").status_code == 200
    client.post(f"/contacts/{contacts.budi.pk}/unshare/", {"user": people.milan_rep.pk})
    assert browser(people.milan_rep).get(f"/contacts/{contacts.budi.pk}/").status_code == 404


# The account page.


def test_the_account_page_lists_only_the_contacts_the_user_may_see(
    browser, people, contacts, accounts
):
    make_contact(people.milan_rep, account=accounts.jakarta, last_name="Hidden")
    rep = browser(people.rep).get(f"/accounts/{accounts.jakarta.pk}/")
    executive = browser(people.executive).get(f"/accounts/{accounts.jakarta.pk}/")
    assert sorted(c.last_name for c in rep.context["contacts"]) == [
        "Lestari",
        "Santoso",
        "Wulandari",
    ]
    assertNotContains(rep, "Hidden")
    assert "Hidden" in [c.last_name for c in executive.context["contacts"]]
    assertContains(rep, f"/contacts/new/?account={accounts.jakarta.pk}")


def test_the_account_share_form_can_share_its_contacts_too(browser, people, contacts, accounts):
    response = browser(people.rep).post(
        f"/accounts/{accounts.jakarta.pk}/share/",
        {"share-user": people.milan_rep.pk, "share-rights": ["read"], "share-cascade": "on"},
    )
    assertRedirects(response, f"/accounts/{accounts.jakarta.pk}/")
    assert can(people.milan_rep, "read", Contact.objects.get(pk=contacts.budi.pk))
    assert not can(people.milan_rep, "read", Contact.objects.get(pk=contacts.dewi.pk))


def test_the_account_assign_form_carries_active_contacts(browser, people, contacts, accounts):
    browser(people.rep).post(
        f"/accounts/{accounts.jakarta.pk}/assign/",
        {"assign-owner_user": people.colleague.pk, "assign-cascade": "on"},
    )
    contacts.budi.refresh_from_db()
    contacts.sari.refresh_from_db()
    assert contacts.budi.owner_user == people.colleague
    assert contacts.sari.owner_user == people.rep


@pytest.mark.parametrize("path", ["/contacts/", "/contacts/new/"])
def test_pages_need_a_signed_in_user(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
