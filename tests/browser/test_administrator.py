"""An administrator builds a unit, a role and a user; the new user sees what the role grants."""

from __future__ import annotations

import pytest

from tests import factories
from tests.browser import data
from trellis.org.models import BusinessUnit, SecurityRole, User

pytestmark = pytest.mark.browser
PASSWORD = "Surabaya-harbour-2026"


def test_a_new_user_sees_exactly_what_the_role_made_by_the_administrator_grants(
    org, admin, journey
):
    rep = factories.user("rina", unit=org["jakarta"], roles=["Sales Representative"])
    outside = factories.account(rep, name="Outside Holdings")

    j = journey("administrator")
    page = j.page()
    j.login(page, "admin")
    j.visit(page, "/admin/", "admin-home")

    j.visit(page, "/admin/units/", "admin-units")
    page.locator("summary", has_text="New unit").click()
    page.fill("#id_create-name", "Surabaya")
    page.locator("#id_create-parent").select_option(str(org["jakarta"].pk))
    page.get_by_role("button", name="Create unit").click()
    page.wait_for_load_state("load")
    assert page.locator("ul.tree").get_by_role("link", name="Surabaya").count() == 1
    j.shot(page, "admin-unit-created")
    surabaya = BusinessUnit.objects.get(name="Surabaya")
    assert surabaya.parent == org["jakarta"]

    j.visit(page, "/admin/roles/", "admin-roles")
    j.visit(page, "/admin/roles/new/", "admin-role-new")
    page.fill("#id_name", "Unit account reader")
    page.locator("#id_perm__account__read").select_option("unit")
    page.locator("#role-form button[type=submit]").click()
    page.wait_for_url("**/admin/roles/*/")
    assert "Unit account reader is saved" in page.locator(".messages").inner_text()
    j.shot(page, "admin-role-saved")
    role = SecurityRole.objects.get(name="Unit account reader")
    assert role.permissions["account"]["read"] == "unit"
    assert role.permissions["lead"]["read"] == "none"

    j.visit(page, "/admin/users/", "admin-users")
    j.visit(page, "/admin/users/new/", "admin-user-new")
    page.fill("#id_username", "dewi")
    page.fill("#id_first_name", "Dewi")
    page.fill("#id_last_name", "Lestari")
    page.locator("#id_unit").select_option(str(surabaya.pk))
    page.fill("#id_password", PASSWORD)
    page.locator("#user-form").get_by_label("Unit account reader").check()
    page.locator("#user-form button[type=submit]").click()
    page.wait_for_url("**/admin/users/*/")
    assert "dewi is saved" in page.locator(".messages").inner_text()
    j.shot(page, "admin-user-saved")
    dewi = User.objects.get(username="dewi")
    assert (dewi.unit, list(dewi.roles.all())) == (surabaya, [role])
    j.visit(page, "/admin/teams/", "admin-teams")

    # Records of the new unit, owned by a colleague who joins it.
    colleague = factories.user("joko", unit=surabaya)
    inside = factories.account(colleague, name="Inside Trading")
    hidden_lead = data.lead(colleague, "Hadi", "Surabaya", company_name="Toko Hadi")

    new = j.page()
    j.login(new, "dewi", PASSWORD)
    assert "1 account you can see" in new.locator("#main").inner_text()
    j.visit(new, "/accounts/", "accounts-as-new-user")
    accounts = new.locator("#main").inner_text()
    assert "Inside Trading" in accounts
    assert "Outside Holdings" not in accounts
    j.visit(new, f"/accounts/{inside.pk}/", "account-as-new-user")
    j.visit(new, f"/accounts/{outside.pk}/", "outside-account-404", status=404)
    assert "Outside Holdings" not in new.content()
    j.visit(new, "/leads/", "leads-as-new-user")
    assert "Toko Hadi" not in new.locator("#main").inner_text()
    j.visit(new, f"/leads/{hidden_lead.pk}/", "lead-404", status=404)
    j.visit(new, "/admin/", "admin-forbidden", status=403)
