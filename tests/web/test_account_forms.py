from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertRedirects

from tests import factories
from trellis.access import can
from trellis.access.models import Share
from trellis.customers.models import Account

pytestmark = pytest.mark.django_db


def _form_data(**fields) -> dict:
    data = {"name": "Nusantara Retail", "tier": "standard", "currency": "IDR"}
    data.update(fields)
    return data


def _edit_data(account: Account, **fields) -> dict:
    data = {
        "name": account.name,
        "tier": account.tier,
        "currency": account.currency,
        "version": account.version,
    }
    data.update(fields)
    return data


# ---- create ---------------------------------------------------------------------------


def test_the_create_form_renders(browser, jakarta_rep):
    response = browser(jakarta_rep).get("/accounts/new/")
    assert response.status_code == 200
    assertContains(response, '<label for="id_name" class="required">Name</label>', html=True)
    assert "version" not in response.context["form"].fields


def test_creating_an_account_makes_the_user_its_owner(browser, jakarta_rep):
    response = browser(jakarta_rep).post(
        "/accounts/new/", _form_data(region="Java", employees="120", country="id")
    )
    account = Account.objects.get(name="Nusantara Retail")
    assertRedirects(response, f"/accounts/{account.pk}/")
    assert account.owner_user == jakarta_rep
    assert account.owning_unit_id == jakarta_rep.unit_id
    assert (account.country, account.size_segment) == ("ID", "medium")


def test_a_create_without_a_name_shows_the_error_on_the_field(browser, jakarta_rep):
    response = browser(jakarta_rep).post("/accounts/new/", _form_data(name=""))
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not Account.objects.exists()


def test_a_service_refusal_shows_on_the_form_not_as_a_500(browser, jakarta_rep):
    response = browser(jakarta_rep).post("/accounts/new/", _form_data(currency="1$X"))
    assert response.status_code == 400
    assert response.context["form"].errors["currency"] == ["must be a three-letter ISO 4217 code"]


def test_a_parent_the_user_cannot_see_is_refused(browser, jakarta_rep, milan_rep):
    hidden = factories.account(milan_rep)
    response = browser(jakarta_rep).post("/accounts/new/", _form_data(parent=hidden.pk))
    assert response.status_code == 400
    assertContains(response, "No account you can see has this id.", status_code=400)
    assert not Account.objects.filter(name="Nusantara Retail").exists()


def test_a_visible_parent_is_linked_on_create(browser, jakarta_rep):
    parent = factories.account(jakarta_rep, name="Group HQ")
    browser(jakarta_rep).post("/accounts/new/", _form_data(parent=parent.pk))
    assert Account.objects.get(name="Nusantara Retail").parent == parent


def test_someone_without_create_rights_cannot_open_the_create_form(browser, org):
    analyst = factories.user(unit=org["jakarta"], roles=["Data Analyst"])
    assert browser(analyst).get("/accounts/new/").status_code == 403
    assert browser(analyst).post("/accounts/new/", _form_data()).status_code == 403


def test_a_create_post_without_csrf_token_is_refused(jakarta_rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(jakarta_rep)
    assert client.post("/accounts/new/", _form_data()).status_code == 403
    assert not Account.objects.exists()


# ---- edit -----------------------------------------------------------------------------


def test_the_edit_form_carries_the_version(browser, jakarta_rep):
    account = factories.account(jakarta_rep)
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/edit/")
    assertContains(response, '<input type="hidden" name="version" value="1"', html=False)


def test_editing_saves_the_changes_and_bumps_the_version(browser, jakarta_rep):
    account = factories.account(jakarta_rep, name="Old Name")
    response = browser(jakarta_rep).post(
        f"/accounts/{account.pk}/edit/", _edit_data(account, name="New Name", city="Bandung")
    )
    assertRedirects(response, f"/accounts/{account.pk}/")
    account.refresh_from_db()
    assert (account.name, account.city, account.version) == ("New Name", "Bandung", 2)


def test_a_stale_edit_is_refused_with_a_clear_message(browser, jakarta_rep):
    account = factories.account(jakarta_rep, name="Original")
    stale = _edit_data(account, name="Mine")
    Account.objects.filter(pk=account.pk).update(version=2, name="Theirs")
    response = browser(jakarta_rep).post(f"/accounts/{account.pk}/edit/", stale)
    assertContains(response, "was changed by someone else", status_code=412)
    assertContains(response, "Open the latest version", status_code=412)
    account.refresh_from_db()
    assert account.name == "Theirs"


def test_an_edit_without_a_version_is_refused(browser, jakarta_rep):
    account = factories.account(jakarta_rep, name="Original")
    data = _edit_data(account, name="Mine")
    del data["version"]
    response = browser(jakarta_rep).post(f"/accounts/{account.pk}/edit/", data)
    assert response.status_code == 400
    account.refresh_from_db()
    assert account.name == "Original"


def test_a_reader_who_may_not_write_gets_403_on_edit(browser, org, jakarta_rep):
    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    account = factories.account(colleague)
    client = browser(jakarta_rep)
    assert client.get(f"/accounts/{account.pk}/edit/").status_code == 403
    assert client.post(f"/accounts/{account.pk}/edit/", _edit_data(account)).status_code == 403


def test_editing_an_invisible_account_answers_404(browser, jakarta_rep, milan_rep):
    account = factories.account(milan_rep)
    client = browser(jakarta_rep)
    assert client.get(f"/accounts/{account.pk}/edit/").status_code == 404
    assert client.post(f"/accounts/{account.pk}/edit/", _edit_data(account)).status_code == 404


def test_an_account_cannot_become_its_own_parent(browser, jakarta_rep):
    account = factories.account(jakarta_rep)
    response = browser(jakarta_rep).post(
        f"/accounts/{account.pk}/edit/", _edit_data(account, parent=account.pk)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["parent"] == ["an account cannot be its own ancestor"]


def test_editing_keeps_a_parent_the_editor_cannot_see(browser, jakarta_rep, milan_rep):
    hidden = factories.account(milan_rep, name="Secret Holding")
    account = factories.account(jakarta_rep, parent=hidden)
    client = browser(jakarta_rep)
    page = client.get(f"/accounts/{account.pk}/edit/")
    assert "parent" not in page.context["form"].fields
    assertContains(page, "Linked to a parent account you cannot see")
    response = client.post(f"/accounts/{account.pk}/edit/", _edit_data(account, city="Bogor"))
    assertRedirects(response, f"/accounts/{account.pk}/")
    account.refresh_from_db()
    assert (account.parent_id, account.city) == (hidden.pk, "Bogor")


# ---- assign ---------------------------------------------------------------------------


def test_assigning_moves_the_account_to_the_chosen_owner(browser, org, admin, jakarta_rep):
    account = factories.account(admin)
    response = browser(admin).post(
        f"/accounts/{account.pk}/assign/", {"assign-owner_user": jakarta_rep.pk}
    )
    assertRedirects(response, f"/accounts/{account.pk}/")
    account.refresh_from_db()
    assert (account.owner_user, account.owning_unit) == (jakarta_rep, org["jakarta"])


def test_assigning_away_an_account_one_can_no_longer_see_goes_back_to_the_list(
    browser, jakarta_rep, milan_rep
):
    account = factories.account(jakarta_rep)
    client = browser(jakarta_rep)
    response = client.post(f"/accounts/{account.pk}/assign/", {"assign-owner_user": milan_rep.pk})
    assertRedirects(response, "/accounts/")
    account.refresh_from_db()
    assert account.owner_user == milan_rep
    assert client.get(f"/accounts/{account.pk}/").status_code == 404


def test_assign_without_assign_rights_is_refused_with_403(browser, org, jakarta_rep):
    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    account = factories.account(colleague)
    response = browser(jakarta_rep).post(
        f"/accounts/{account.pk}/assign/", {"assign-owner_user": jakarta_rep.pk}
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.owner_user == colleague


def test_assigning_an_invisible_account_answers_404(browser, jakarta_rep, milan_rep):
    account = factories.account(milan_rep)
    response = browser(jakarta_rep).post(
        f"/accounts/{account.pk}/assign/", {"assign-owner_user": jakarta_rep.pk}
    )
    assert response.status_code == 404


def test_assigning_to_nobody_shows_the_error_on_the_form(browser, jakarta_rep):
    account = factories.account(jakarta_rep)
    response = browser(jakarta_rep).post(f"/accounts/{account.pk}/assign/", {})
    assert response.status_code == 400
    assert response.context["assign_form"].errors["owner_user"]


def test_an_assign_post_without_csrf_token_is_refused(jakarta_rep, milan_rep):
    account = factories.account(jakarta_rep)
    client = Client(enforce_csrf_checks=True)
    client.force_login(jakarta_rep)
    response = client.post(f"/accounts/{account.pk}/assign/", {"assign-owner_user": milan_rep.pk})
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.owner_user == jakarta_rep


# ---- share ----------------------------------------------------------------------------


def test_sharing_gives_the_chosen_user_the_chosen_rights(browser, jakarta_rep, milan_rep):
    account = factories.account(jakarta_rep)
    response = browser(jakarta_rep).post(
        f"/accounts/{account.pk}/share/",
        {"share-user": milan_rep.pk, "share-rights": ["read", "write"]},
    )
    assertRedirects(response, f"/accounts/{account.pk}/")
    assert can(milan_rep, "write", account)
    panel = browser(jakarta_rep).get(f"/accounts/{account.pk}/access/")
    assertContains(panel, "shared with them (write)")


def test_sharing_rights_one_does_not_hold_is_refused_on_the_form(browser, org, jakarta_rep):
    role = factories.custom_role({"account": {"read": "unit", "share": "unit"}})
    sharer = factories.user(unit=org["jakarta"], roles=[role])
    account = factories.account(jakarta_rep)
    response = browser(sharer).post(
        f"/accounts/{account.pk}/share/", {"share-user": sharer.pk, "share-rights": ["write"]}
    )
    assertContains(response, "you lack write", status_code=403)
    assert not Share.objects.exists()


def test_share_without_share_rights_is_refused(browser, org, jakarta_rep, milan_rep):
    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    account = factories.account(colleague)
    response = browser(jakarta_rep).post(
        f"/accounts/{account.pk}/share/", {"share-user": milan_rep.pk, "share-rights": ["read"]}
    )
    assert response.status_code == 403
    assert not Share.objects.exists()


def test_removing_a_share_takes_the_access_away(browser, jakarta_rep, milan_rep):
    from trellis.access.services import record_share

    account = factories.account(jakarta_rep)
    record_share(jakarta_rep, account, user=milan_rep, rights=["read"])
    response = browser(jakarta_rep).post(f"/accounts/{account.pk}/unshare/", {"user": milan_rep.pk})
    assertRedirects(response, f"/accounts/{account.pk}/")
    assert not can(milan_rep, "read", account)


def test_removing_a_share_without_share_rights_is_refused(browser, org, jakarta_rep, milan_rep):
    from trellis.access.services import record_share

    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    account = factories.account(jakarta_rep)
    record_share(jakarta_rep, account, user=milan_rep, rights=["read"])
    response = browser(colleague).post(f"/accounts/{account.pk}/unshare/", {"user": milan_rep.pk})
    assert response.status_code == 403
    assert can(milan_rep, "read", account)


def test_out_of_range_ids_in_forms_are_refused_as_bad_input(browser, jakarta_rep):
    account = factories.account(jakarta_rep)
    client = browser(jakarta_rep)
    huge = 10**30
    assert client.post("/accounts/new/", _form_data(parent=huge)).status_code == 400
    response = client.post(f"/accounts/{account.pk}/assign/", {"assign-owner_user": huge})
    assert response.status_code == 400
    response = client.post(f"/accounts/{account.pk}/unshare/", {"user": huge})
    assert response.status_code == 302
