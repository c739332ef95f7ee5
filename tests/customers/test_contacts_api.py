"""The contacts API (/api/v1/contacts) as people who must see different things."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.customers.conftest import make_contact
from trellis.access.models import Share
from trellis.audit.models import AuditEvent
from trellis.core.errors import NotFound
from trellis.customers.models import Contact
from trellis.customers.selectors import contact_list
from trellis.customers.services import contact_create

URL = "/api/v1/contacts"


def url(contact: Contact, suffix: str = "") -> str:
    return f"{URL}/{contact.pk}{suffix}"


def last_names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["last_name"] for item in response.json()["items"])


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# Listing.


def test_a_rep_lists_the_contacts_of_their_unit(api, people, contacts):
    assert last_names(api(people.rep).get(URL)) == ["Lestari", "Partner", "Santoso", "Wulandari"]


def test_a_rep_in_another_unit_lists_a_different_set(api, people, contacts):
    assert last_names(api(people.milan_rep).get(URL)) == ["Rossi"]


def test_a_sales_manager_lists_the_contacts_of_their_subtree(api, people, contacts):
    assert last_names(api(people.manager).get(URL)) == [
        "Lestari",
        "Partner",
        "Santoso",
        "Wei",
        "Wulandari",
    ]


def test_a_partner_lists_only_their_own_contacts(api, people, contacts):
    # Contacts are outside the partner portal's API (web.portal); the selector still
    # gives partners only their own.
    assert api(people.partner).get(URL).status_code == 403
    assert [c.last_name for c in contact_list(people.partner)] == ["Partner"]


def test_the_list_filters_by_account_country_and_active(api, people, contacts, accounts):
    client = api(people.executive)
    assert last_names(client.get(URL, {"account_id": accounts.shanghai.pk})) == ["Wei"]
    assert last_names(client.get(URL, {"country": "it"})) == ["Rossi"]
    assert last_names(client.get(URL, {"is_active": "false"})) == ["Wulandari"]
    assert last_names(client.get(URL, {"owner_user_id": people.colleague.pk})) == ["Lestari"]
    assert last_names(client.get(URL, {"city": "milano"})) == ["Rossi"]


def test_the_list_counts_and_pages_with_a_cursor(api, people, contacts):
    client = api(people.executive)
    first = client.get(URL, {"limit": 4, "order": "last_name", "count": "true"})
    assert first.json()["count"] == 6
    assert [item["last_name"] for item in first.json()["items"]] == [
        "Lestari",
        "Partner",
        "Rossi",
        "Santoso",
    ]
    second = client.get(
        URL, {"limit": 4, "order": "last_name", "cursor": first.json()["next_cursor"]}
    )
    assert [item["last_name"] for item in second.json()["items"]] == ["Wei", "Wulandari"]
    assert second.json()["next_cursor"] is None


def test_an_unknown_order_is_refused_naming_order(api, people, contacts):
    response = api(people.rep).get(URL, {"order": "password"})
    assert response.status_code == 400
    assert error_fields(response) == ["order"]


def test_the_list_costs_the_same_queries_for_more_rows(api, people, contacts):
    client = api(people.rep)
    client.get(URL)  # warm the per-request caches of the test client
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, {"count": "true"}).status_code == 200
    for index in range(15):
        make_contact(people.rep, last_name=f"Extra {index}", account_id=contacts.budi.account_id)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, {"count": "true"})
    assert response.json()["count"] == 19
    assert len(many) == len(few)


# Search.


def test_search_finds_part_of_a_name_in_any_case(api, people, contacts):
    assert last_names(api(people.rep).get(URL, {"q": "SANTO"})) == ["Santoso"]
    assert last_names(api(people.rep).get(URL, {"q": "budi santoso"})) == ["Santoso"]


def test_search_finds_part_of_an_email(api, people, contacts):
    assert last_names(api(people.rep).get(URL, {"q": "jakartasteel"})) == ["Santoso"]


def test_search_finds_a_phone_typed_in_international_format(api, people, contacts):
    assert last_names(api(people.rep).get(URL, {"q": "+62 21 5550"})) == ["Santoso"]


def test_search_finds_a_phone_typed_in_national_format(api, people, contacts):
    assert last_names(api(people.rep).get(URL, {"q": "021-5550-1234"})) == ["Santoso"]


def test_search_never_reaches_contacts_the_caller_cannot_see(api, people, contacts):
    assert last_names(api(people.milan_rep).get(URL, {"q": "santoso"})) == []
    assert last_names(api(people.rep).get(URL, {"q": "347 123"})) == []
    assert last_names(api(people.milan_rep).get(URL, {"q": "347 123"})) == ["Rossi"]


# An account's contacts.


def test_an_accounts_contacts_are_those_the_caller_may_see(api, people, contacts, accounts):
    path = f"/api/v1/accounts/{accounts.jakarta.pk}/contacts"
    assert last_names(api(people.rep).get(path)) == ["Lestari", "Santoso", "Wulandari"]
    hidden = make_contact(people.milan_rep, account=accounts.jakarta, last_name="Hidden")
    assert "Hidden" not in last_names(api(people.rep).get(path))
    assert "Hidden" in last_names(api(people.executive).get(path))
    assert hidden.pk


def test_the_contacts_of_an_invisible_account_answer_404(api, people, contacts, accounts):
    response = api(people.milan_rep).get(f"/api/v1/accounts/{accounts.jakarta.pk}/contacts")
    assert response.status_code == 404


def test_an_accounts_contacts_can_be_narrowed_to_active_ones(api, people, contacts, accounts):
    path = f"/api/v1/accounts/{accounts.jakarta.pk}/contacts"
    response = api(people.rep).get(path, {"is_active": "true", "count": "true"})
    assert last_names(response) == ["Lestari", "Santoso"]
    assert response.json()["count"] == 2


# Reading.


def test_reading_a_visible_contact_returns_it(api, people, contacts, accounts):
    response = api(people.manager).get(url(contacts.budi))
    assert response.status_code == 200
    body = response.json()
    assert body["account_id"] == accounts.jakarta.pk
    assert body["phone"] == "+622155501234"
    assert body["phone_raw"] == "(021) 5550 1234"
    assert body["owner_user_id"] == people.rep.pk
    assert body["owning_unit_id"] == people.rep.unit_id
    assert body["version"] == 1


def test_reading_an_invisible_contact_answers_404_like_a_missing_one(api, people, contacts):
    client = api(people.milan_rep)
    invisible = client.get(url(contacts.budi))
    missing = client.get(f"{URL}/{contacts.budi.pk + 1000}")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json()["detail"] == f"contact {contacts.budi.pk} not found"
    assert invisible.json()["errors"] == missing.json()["errors"] == []


def test_every_action_on_an_invisible_contact_answers_404(api, people, contacts):
    client = api(people.milan_rep)
    target = contacts.budi
    assert client.patch(url(target), {"last_name": "X"}).status_code == 404
    assert client.delete(url(target)).status_code == 404
    assert (
        client.post(url(target, "/assign"), {"owner_user_id": people.milan_rep.pk}).status_code
        == 404
    )
    assert client.post(url(target, "/share"), {"user_id": people.milan_rep.pk}).status_code == 404
    assert client.get(url(target, "/access")).status_code == 404
    contacts.budi.refresh_from_db()
    assert contacts.budi.last_name == "Santoso"


# Creating.


def test_create_answers_201_owned_by_the_caller(api, people, org, accounts):
    accounts.jakarta.country = "ID"  # the phone below is read in the account's country
    accounts.jakarta.save()
    response = api(people.rep).post(
        URL,
        {
            "first_name": "Agus",
            "last_name": "Wijaya",
            "account_id": accounts.jakarta.pk,
            "email": "agus@example.co.id",
            "other_emails": ["agus.w@example.com"],
            "phone": "021 5550 9876",
            "preferred_language": "id",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_user_id"] == people.rep.pk
    assert body["owning_unit_id"] == org["jakarta"].pk
    assert body["account_id"] == accounts.jakarta.pk
    assert body["phone"] == "+622155509876"
    assert body["phone_raw"] == "021 5550 9876"
    assert body["other_emails"] == ["agus.w@example.com"]
    assert body["version"] == 1


def test_phones_in_several_formats_become_the_same_e164_number(api, people):
    client = api(people.rep)
    for typed in ("+62 21 5550 1234", "021-5550-1234", "(021) 5550 1234", "+62 (21) 555-01234"):
        response = client.post(URL, {"last_name": "Tan", "country": "ID", "phone": typed})
        assert response.status_code == 201, (typed, response.content)
        assert response.json()["phone"] == "+622155501234"
        assert response.json()["phone_raw"] == typed


def test_an_invalid_phone_answers_400_naming_the_field(api, people):
    client = api(people.rep)
    response = client.post(URL, {"last_name": "Tan", "country": "ID", "phone": "12"})
    assert response.status_code == 400
    assert error_fields(response) == ["phone"]
    response = client.post(URL, {"last_name": "Tan", "country": "ID", "mobile": "call me"})
    assert response.status_code == 400
    assert error_fields(response) == ["mobile"]


def test_a_national_number_without_any_region_answers_400_naming_phone(api, people):
    response = api(people.rep).post(URL, {"last_name": "Tan", "phone": "021 5550 1234"})
    assert response.status_code == 400
    assert error_fields(response) == ["phone"]
    assert "country" in response.json()["detail"]


def test_invalid_emails_answer_400_naming_the_field(api, people):
    client = api(people.rep)
    response = client.post(URL, {"last_name": "Tan", "email": "not-an-email"})
    assert error_fields(response) == ["email"]
    response = client.post(URL, {"last_name": "Tan", "other_emails": ["ok@example.com", "nope@"]})
    assert response.status_code == 400
    assert error_fields(response) == ["other_emails"]


def test_create_linked_to_an_invisible_account_answers_404_naming_account_id(api, people, accounts):
    response = api(people.rep).post(URL, {"last_name": "Tan", "account_id": accounts.milan.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["account_id"]
    assert not Contact.objects.filter(last_name="Tan").exists()


def test_create_writes_an_audit_event(api, people):
    response = api(people.rep).post(URL, {"last_name": "Tan"})
    event = AuditEvent.objects.get(entity="contact", object_id=response.json()["id"])
    assert event.action == "create"
    assert event.actor == people.rep


def test_a_partner_cannot_link_a_contact_to_someone_elses_account(api, people, accounts):
    response = api(people.partner).post(
        URL, {"last_name": "Tan", "account_id": accounts.jakarta.pk}
    )
    assert response.status_code == 403
    with pytest.raises(NotFound) as refused:
        contact_create(people.partner, last_name="Tan", account=accounts.jakarta)
    assert [field for field, _message in refused.value.errors] == ["account_id"]


# Updating and deleting.


def test_patch_with_the_current_version_updates_and_audits(api, people, contacts):
    response = api(people.rep).patch(
        url(contacts.budi), {"job_title": "Buyer"}, headers={"If-Match": "1"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["job_title"] == "Buyer"
    assert response.json()["version"] == 2
    event = AuditEvent.objects.get(entity="contact", object_id=contacts.budi.pk, action="update")
    assert event.changes == {"job_title": ["", "Buyer"]}


def test_patch_with_a_stale_version_answers_412(api, people, contacts):
    client = api(people.rep)
    client.patch(url(contacts.budi), {"city": "Bogor"}, headers={"If-Match": "1"})
    response = client.patch(url(contacts.budi), {"city": "Bekasi"}, headers={"If-Match": "1"})
    assert response.status_code == 412
    assert error_fields(response) == ["version"]
    contacts.budi.refresh_from_db()
    assert contacts.budi.city == "Bogor"


def test_patch_to_an_invisible_account_answers_404_naming_account_id(
    api, people, contacts, accounts
):
    response = api(people.rep).patch(url(contacts.budi), {"account_id": accounts.milan.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["account_id"]


def test_patch_with_null_account_unlinks_it(api, people, contacts):
    response = api(people.rep).patch(url(contacts.budi), {"account_id": None})
    assert response.status_code == 200
    assert response.json()["account_id"] is None


def test_patch_a_phone_keeps_what_was_typed(api, people, contacts):
    response = api(people.rep).patch(url(contacts.budi), {"mobile": "0812-3456-7890"})
    assert response.json()["mobile"] == "+6281234567890"
    assert response.json()["mobile_raw"] == "0812-3456-7890"


def test_patch_a_consent_flag_stamps_the_consent_time(api, people, contacts):
    client = api(people.rep)
    assert client.patch(url(contacts.budi), {"city": "Bogor"}).json()["consent_updated_at"] is None
    response = client.patch(url(contacts.budi), {"consent_email": True})
    assert response.json()["consent_email"] is True
    assert response.json()["consent_updated_at"] is not None


def test_a_readable_but_not_writable_contact_answers_403(api, people, contacts):
    client = api(people.colleague)
    assert client.patch(url(contacts.budi), {"city": "Bogor"}).status_code == 403
    assert client.delete(url(contacts.budi)).status_code == 403


def test_delete_answers_204_and_is_audited(api, people, contacts):
    response = api(people.rep).delete(url(contacts.budi))
    assert response.status_code == 204
    assert not Contact.objects.filter(pk=contacts.budi.pk).exists()
    event = AuditEvent.objects.get(entity="contact", object_id=contacts.budi.pk, action="delete")
    assert event.changes["last_name"] == "Santoso"


# Record actions.


def test_assign_moves_the_contact_and_its_unit(api, people, contacts, org):
    response = api(people.rep).post(
        url(contacts.budi, "/assign"), {"owner_user_id": people.colleague.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner_user_id"] == people.colleague.pk


def test_share_lets_a_user_elsewhere_see_the_contact(api, people, contacts):
    response = api(people.rep).post(url(contacts.budi, "/share"), {"user_id": people.milan_rep.pk})
    assert response.status_code == 200, response.content
    assert "Santoso" in last_names(api(people.milan_rep).get(URL))
    assert api(people.rep).get(url(contacts.budi, "/access")).status_code == 200
    api(people.rep).post(url(contacts.budi, "/unshare"), {"user_id": people.milan_rep.pk})
    assert "Santoso" not in last_names(api(people.milan_rep).get(URL))


# Account cascade.


def test_assigning_an_account_with_cascade_carries_its_active_contacts(
    api, people, contacts, accounts
):
    response = api(people.rep).post(
        f"/api/v1/accounts/{accounts.jakarta.pk}/assign",
        {"owner_user_id": people.colleague.pk, "cascade": True},
    )
    assert response.status_code == 200, response.content
    for contact in (contacts.budi, contacts.sari, contacts.dewi):
        contact.refresh_from_db()
    assert contacts.budi.owner_user == people.colleague
    assert contacts.sari.owner_user == people.rep  # inactive: stays
    assert contacts.dewi.owner_user == people.colleague  # already theirs


def test_cascade_assign_leaves_contacts_the_actor_may_not_assign(api, people, contacts, accounts):
    theirs = make_contact(people.shanghai_rep, account=accounts.jakarta, last_name="Theirs")
    api(people.rep).post(
        f"/api/v1/accounts/{accounts.jakarta.pk}/assign",
        {"owner_user_id": people.colleague.pk, "cascade": True},
    )
    theirs.refresh_from_db()
    assert theirs.owner_user == people.shanghai_rep


def test_assigning_an_account_without_cascade_leaves_its_contacts(api, people, contacts, accounts):
    api(people.rep).post(
        f"/api/v1/accounts/{accounts.jakarta.pk}/assign", {"owner_user_id": people.colleague.pk}
    )
    contacts.budi.refresh_from_db()
    assert contacts.budi.owner_user == people.rep


def test_sharing_an_account_with_cascade_shares_the_contacts_the_actor_may_share(
    api, people, contacts, accounts
):
    response = api(people.rep).post(
        f"/api/v1/accounts/{accounts.jakarta.pk}/share",
        {"user_id": people.milan_rep.pk, "rights": ["read", "write"], "cascade": True},
    )
    assert response.status_code == 200, response.content
    assert last_names(api(people.milan_rep).get(URL)) == ["Rossi", "Santoso", "Wulandari"]
    share = Share.objects.get(
        record_type=ContentType.objects.get_for_model(Contact),
        record_id=contacts.budi.pk,
        user=people.milan_rep,
    )
    assert share.rights == ["read", "write"]


def test_sharing_an_account_without_cascade_leaves_its_contacts_unshared(
    api, people, contacts, accounts
):
    api(people.rep).post(
        f"/api/v1/accounts/{accounts.jakarta.pk}/share", {"user_id": people.milan_rep.pk}
    )
    assert last_names(api(people.milan_rep).get(URL)) == ["Rossi"]


def test_a_team_owned_contact_is_listed_for_team_members(api, people, org):
    team = factories.team(unit=org["milan"], members=(people.rep,))
    make_contact(team, last_name="Teamed")
    assert "Teamed" in last_names(api(people.rep).get(URL))
