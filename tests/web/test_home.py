from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories

pytestmark = pytest.mark.django_db


def test_home_greets_the_user_with_their_unit_and_roles(browser, jakarta_rep):
    response = browser(jakarta_rep).get("/")
    assertContains(response, "Hello, Joko")
    assertContains(response, "You work in Jakarta.")
    assertContains(response, "Sales Representative")


def test_home_counts_the_accounts_the_user_can_see_and_owns(browser, org, jakarta_rep):
    colleague = factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    outsider = factories.user(unit=org["milan"], roles=["Sales Representative"])
    factories.account(jakarta_rep)
    factories.account(colleague)
    factories.account(colleague)
    factories.account(outsider)
    response = browser(jakarta_rep).get("/")
    summary = response.context["summary"]
    assert (summary.accounts_visible, summary.accounts_owned) == (3, 1)


def test_home_lists_roles_held_through_an_owner_team(browser, org, jakarta_rep):
    factories.team("Key Accounts", unit=org["asia"], members=(jakarta_rep,), roles=("Team Leader",))
    response = browser(jakarta_rep).get("/")
    assertContains(response, "Key Accounts")
    assertContains(response, "Team Leader")


def test_the_page_shows_the_user_name_unit_and_a_csrf_protected_logout(browser, jakarta_rep):
    response = browser(jakarta_rep).get("/")
    assertContains(response, "<strong>Joko</strong>", html=False)
    assertContains(response, 'action="/logout/"')
    assertContains(response, 'name="csrfmiddlewaretoken"')


def test_the_navigation_leaves_out_organization_without_manage_org(browser, jakarta_rep):
    response = browser(jakarta_rep).get("/")
    names = [name for name, _label in response.context["nav_items"]]
    # Sections of other apps join as their pages land; Organization must not be among them.
    assert names[:2] == ["web:home", "web:account_list"]
    assert "web:admin_units" not in names
    assertNotContains(response, "/admin/units/")


def test_the_navigation_offers_the_admin_area_with_manage_org(browser, admin):
    response = browser(admin).get("/")
    assertContains(response, 'href="/admin/"')


def test_the_current_section_is_marked_in_the_navigation(browser, jakarta_rep):
    account = factories.account(jakarta_rep)
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assertContains(response, '<a href="/accounts/" aria-current="page">', html=False)


def test_the_page_loads_htmx_and_the_stylesheet_from_our_own_static_files(browser, jakarta_rep):
    response = browser(jakarta_rep).get("/")
    assertContains(response, 'src="/static/django_htmx/htmx-2.min.js"')
    assertContains(response, 'href="/static/web/trellis.css"')
    assertNotContains(response, "https://")


def test_htmx_and_the_stylesheet_are_found_by_the_static_finders():
    from django.contrib.staticfiles import finders

    assert finders.find("django_htmx/htmx-2.min.js")
    assert finders.find("web/trellis.css")


def test_routing_pages_are_in_the_navigation_only_for_routing_managers(browser, org, jakarta_rep):
    admin = factories.user(unit=org["root"], roles=["System Administrator"])
    admin_names = [name for name, _label in browser(admin).get("/").context["nav_items"]]
    rep_names = [name for name, _label in browser(jakarta_rep).get("/").context["nav_items"]]
    assert {"web:routing_rules", "web:sla_policy_list"} <= set(admin_names)
    assert not {"web:routing_rules", "web:sla_policy_list"} & set(rep_names)
