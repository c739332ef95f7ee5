"""Contact services: normalization, validation, linking, audit, and the account cascade."""

from __future__ import annotations

import pytest

from tests import factories
from tests.customers.conftest import make_contact
from trellis.access import can
from trellis.audit.models import AuditEvent
from trellis.core.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from trellis.customers import selectors, services
from trellis.customers.models import Contact


def fields_of(exc: pytest.ExceptionInfo) -> list[str]:
    return [field for field, _message in exc.value.errors]


# Phones.


@pytest.mark.parametrize(
    "typed",
    ["+62 21 5550 1234", "021 5550 1234", "(021) 5550-1234", "021.5550.1234", "+622155501234"],
)
def test_indonesian_numbers_in_any_format_become_one_e164_number(people, typed):
    contact = services.contact_create(people.rep, last_name="Tan", country="ID", phone=typed)
    assert contact.phone == "+622155501234"
    assert contact.phone_raw == typed


def test_the_region_comes_from_the_contacts_country_first(people, accounts):
    accounts.jakarta.country = "IT"
    accounts.jakarta.save()
    contact = services.contact_create(
        people.rep, last_name="Tan", country="ID", account=accounts.jakarta, phone="021 5550 1234"
    )
    assert contact.phone == "+622155501234"


def test_the_region_comes_from_the_account_without_a_contact_country(people, accounts):
    accounts.jakarta.country = "IT"
    accounts.jakarta.save()
    contact = services.contact_create(
        people.rep, last_name="Rossi", account=accounts.jakarta, phone="02 1234 5678"
    )
    assert contact.phone == "+390212345678"


def test_the_region_comes_from_the_owners_region_when_it_is_a_country_code(people):
    people.rep.region = "id"
    people.rep.save()
    contact = services.contact_create(people.rep, last_name="Tan", mobile="0812-3456-7890")
    assert contact.mobile == "+6281234567890"
    assert contact.mobile_raw == "0812-3456-7890"


def test_an_owner_region_that_is_no_country_code_does_not_count(people):
    people.rep.region = "APAC"
    people.rep.save()
    with pytest.raises(InvalidInput) as exc:
        services.contact_create(people.rep, last_name="Tan", phone="021 5550 1234")
    assert fields_of(exc) == ["phone"]


def test_an_international_number_needs_no_region(people):
    contact = services.contact_create(people.rep, last_name="Tan", phone="+39 02 1234 5678")
    assert contact.phone == "+390212345678"


def test_a_number_that_is_not_valid_is_refused_naming_the_field(people):
    with pytest.raises(InvalidInput) as exc:
        services.contact_create(people.rep, last_name="Tan", country="ID", mobile="0812")
    assert fields_of(exc) == ["mobile"]


def test_clearing_a_phone_clears_both_columns(people, contacts):
    contact = services.contact_update(people.rep, contact=contacts.budi, phone="")
    assert (contact.phone, contact.phone_raw) == ("", "")


# Other fields.


def test_other_emails_are_validated_and_deduplicated(people):
    contact = services.contact_create(
        people.rep, last_name="Tan", other_emails=["a@example.com", "A@example.com", " "]
    )
    assert contact.other_emails == ["a@example.com"]
    with pytest.raises(InvalidInput) as exc:
        services.contact_create(people.rep, last_name="Tan", other_emails="a@example.com")
    assert fields_of(exc) == ["other_emails"]


def test_a_last_name_is_required(people):
    with pytest.raises(InvalidInput) as exc:
        services.contact_create(people.rep, last_name="  ")
    assert fields_of(exc) == ["last_name"]


def test_a_preferred_language_must_be_a_language_tag(people):
    assert services.contact_create(people.rep, last_name="Tan", preferred_language="zh-Hans")
    with pytest.raises(InvalidInput) as exc:
        services.contact_create(people.rep, last_name="Tan", preferred_language="Chinese!")
    assert fields_of(exc) == ["preferred_language"]


def test_consent_given_at_creation_is_stamped(people):
    contact = services.contact_create(people.rep, last_name="Tan", consent_sms=True)
    assert contact.consent_updated_at is not None
    assert services.contact_create(people.rep, last_name="Lim").consent_updated_at is None


def test_withdrawing_consent_stamps_the_time_again(people, contacts):
    given = services.contact_update(people.rep, contact=contacts.budi, consent_phone=True)
    withdrawn = services.contact_update(people.rep, contact=given, consent_phone=False)
    assert withdrawn.consent_updated_at > given.consent_updated_at


# Access, version and audit.


def test_an_update_bumps_the_version_and_writes_the_diff(people, contacts):
    contact = services.contact_update(
        people.rep, contact=contacts.budi, version=1, phone="+62 21 5550 9999"
    )
    assert contact.version == 2
    event = AuditEvent.objects.get(entity="contact", object_id=contact.pk, action="update")
    assert event.changes["phone"] == ["+622155501234", "+622155509999"]
    assert event.changes["phone_raw"] == ["(021) 5550 1234", "+62 21 5550 9999"]


def test_a_stale_version_is_refused(people, contacts):
    with pytest.raises(StaleVersion):
        services.contact_update(people.rep, contact=contacts.budi, version=7, city="Bogor")


def test_linking_needs_read_on_the_account(people, contacts, accounts):
    with pytest.raises(NotFound) as exc:
        services.contact_update(people.rep, contact=contacts.budi, account=accounts.milan)
    assert fields_of(exc) == ["account_id"]


def test_linking_to_a_shared_account_is_allowed(people, contacts, accounts):
    services.account_share(people.milan_rep, account=accounts.milan, user=people.rep)
    contact = services.contact_update(people.rep, contact=contacts.budi, account=accounts.milan)
    assert contact.account == accounts.milan


def test_a_colleague_may_read_but_not_change_a_contact(people, contacts):
    with pytest.raises(Forbidden):
        services.contact_update(people.colleague, contact=contacts.budi, city="Bogor")


def test_an_invisible_contact_is_not_found_for_writes(people, contacts):
    with pytest.raises(NotFound):
        services.contact_delete(people.milan_rep, contact=contacts.budi)


def test_creating_for_another_owner_needs_assign(people):
    with pytest.raises(Forbidden) as exc:
        services.contact_create(people.rep, last_name="Tan", owner_user=people.milan_rep)
    assert fields_of(exc) == ["owner_user_id"]


def test_contact_get_answers_not_found_for_invisible_and_missing(people, contacts):
    with pytest.raises(NotFound):
        selectors.contact_get(people.milan_rep, contacts.budi.pk)
    with pytest.raises(NotFound):
        selectors.contact_get(people.rep, contacts.budi.pk + 1000)


def test_the_list_marks_accounts_the_actor_cannot_see(people, accounts):
    make_contact(people.rep, account=accounts.milan, last_name="Abroad")
    row = selectors.contact_list(people.rep).get(last_name="Abroad")
    assert row.account_visible is False
    assert selectors.contact_list(people.executive).get(last_name="Abroad").account_visible


# Cascade.


def test_cascade_assign_carries_active_contacts_of_moved_child_accounts(people, accounts):
    child = factories.account(people.rep, name="Jakarta Steel Branch", parent=accounts.jakarta)
    at_child = make_contact(people.rep, account=child, last_name="Branch")
    services.account_assign(
        people.rep, account=accounts.jakarta, owner_user=people.colleague, cascade=True
    )
    at_child.refresh_from_db()
    assert at_child.owner_user == people.colleague
    assert AuditEvent.objects.filter(entity="contact", object_id=at_child.pk, action="assign")


def test_cascade_assign_leaves_inactive_and_unassignable_contacts(people, contacts, accounts):
    services.account_assign(
        people.manager, account=accounts.jakarta, owner_user=people.shanghai_rep, cascade=True
    )
    for contact in (contacts.budi, contacts.sari, contacts.dewi):
        contact.refresh_from_db()
    assert contacts.budi.owner_user == people.shanghai_rep
    assert contacts.dewi.owner_user == people.shanghai_rep
    assert contacts.sari.owner_user == people.rep


def test_cascade_share_skips_contacts_where_the_actor_lacks_a_right(people, contacts, accounts):
    services.account_share(
        people.rep,
        account=accounts.jakarta,
        user=people.milan_rep,
        rights=["read", "write"],
        cascade=True,
    )
    assert can(people.milan_rep, "write", Contact.objects.get(pk=contacts.budi.pk))
    assert not can(people.milan_rep, "read", Contact.objects.get(pk=contacts.dewi.pk))
