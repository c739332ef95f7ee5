from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from tests import factories
from trellis.access.services import record_share

pytestmark = pytest.mark.django_db


def test_the_detail_shows_key_fields_owner_and_unit(browser, jakarta_rep):
    account = factories.account(
        jakarta_rep, name="Garuda Logistics", industry="Logistics", region="Java", city="Jakarta"
    )
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assert response.status_code == 200
    assertContains(response, "<h1>Garuda Logistics</h1>", html=True)
    assertContains(response, "Logistics")
    assertContains(response, "Joko")
    assertContains(response, "Jakarta")


def test_an_account_the_user_cannot_see_answers_404(browser, jakarta_rep, milan_rep):
    theirs = factories.account(milan_rep, name="Lombardia Tessile")
    response = browser(jakarta_rep).get(f"/accounts/{theirs.pk}/")
    assert response.status_code == 404
    assertNotContains(response, "Lombardia", status_code=404)


def test_a_missing_account_answers_404_like_an_invisible_one(browser, jakarta_rep):
    assert browser(jakarta_rep).get("/accounts/999999/").status_code == 404


def test_the_parent_is_shown_only_when_the_user_may_see_it(browser, jakarta_rep, milan_rep):
    hidden_parent = factories.account(milan_rep, name="Secret Holding")
    account = factories.account(jakarta_rep, name="Child", parent=hidden_parent)
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assert response.context["parent"] is None
    assertNotContains(response, "Secret Holding")


def test_a_visible_parent_is_linked(browser, jakarta_rep):
    parent = factories.account(jakarta_rep, name="Group HQ")
    account = factories.account(jakarta_rep, name="Branch", parent=parent)
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assertContains(response, f'<a href="/accounts/{parent.pk}/">Group HQ</a>', html=True)


def test_only_child_accounts_the_user_may_see_are_listed(browser, jakarta_rep, milan_rep):
    account = factories.account(jakarta_rep, name="Group HQ")
    factories.account(jakarta_rep, name="Jakarta Branch", parent=account)
    factories.account(milan_rep, name="Milan Branch", parent=account)
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assert [child.name for child in response.context["children"]] == ["Jakarta Branch"]
    assertNotContains(response, "Milan Branch")


@pytest.fixture
def panel(org, jakarta_rep, milan_rep):
    """An account owned by the Jakarta rep, whose manager is in Milan, shared with the
    Milan rep, with a colleague in Jakarta."""
    boss = factories.user("boss", unit=org["europe"], first_name="Bruno")
    jakarta_rep.reports_to = boss
    jakarta_rep.save()
    from trellis.org.closure import rebuild_for

    rebuild_for(jakarta_rep)
    colleague = factories.user(
        "colleague", unit=org["jakarta"], roles=["Sales Representative"], first_name="Citra"
    )
    account = factories.account(jakarta_rep, name="Garuda Logistics")
    record_share(jakarta_rep, account, user=milan_rep, rights=["read"])
    return {"account": account, "boss": boss, "colleague": colleague}


def _row(response, username: str) -> dict:
    return next(row for row in response.context["access_rows"] if row["username"] == username)


def _panel(client, account):
    """The access panel as the detail page's htmx request fetches it."""
    return client.get(f"/accounts/{account.pk}/access/", HTTP_HX_REQUEST="true")


def test_the_detail_page_loads_the_access_panel_from_its_own_url(browser, panel, jakarta_rep):
    response = browser(jakarta_rep).get(f"/accounts/{panel['account'].pk}/")
    url = f"/accounts/{panel['account'].pk}/access/"
    assertContains(response, f'hx-get="{url}"')
    assertContains(response, f'<a href="{url}">')


def test_the_access_panel_is_a_fragment_for_htmx(browser, panel, jakarta_rep):
    response = _panel(browser(jakarta_rep), panel["account"])
    assertTemplateUsed(response, "web/_record_access_panel.html")
    assertNotContains(response, "<html")


def test_the_access_panel_is_a_whole_page_without_htmx(browser, panel, jakarta_rep):
    response = browser(jakarta_rep).get(f"/accounts/{panel['account'].pk}/access/")
    assertContains(response, "<html")
    assertContains(response, "role Sales Representative grants read at unit depth")


def test_the_access_panel_explains_unit_depth_through_a_role(browser, panel, jakarta_rep):
    response = _panel(browser(jakarta_rep), panel["account"])
    details = [grant["detail"] for grant in _row(response, "colleague")["grants"]]
    assert details == ["role Sales Representative grants read at unit depth"]
    assertContains(response, "role Sales Representative grants read at unit depth")


def test_the_access_panel_explains_a_share(browser, panel, jakarta_rep):
    response = _panel(browser(jakarta_rep), panel["account"])
    assert _row(response, "mrep")["rights"] == ["read"]
    assertContains(response, "shared with them (read)")


def test_the_access_panel_explains_the_hierarchy_manager(browser, panel, jakarta_rep):
    response = _panel(browser(jakarta_rep), panel["account"])
    assert _row(response, "boss")["rights"] == ["read"]
    assertContains(response, "manager of the owner (1 level(s) above in reports_to)")


def test_the_access_panel_shows_the_owner_rights(browser, panel, jakarta_rep):
    response = _panel(browser(jakarta_rep), panel["account"])
    assert _row(response, "jrep")["rights"] == ["read", "write", "delete", "assign", "share"]


def test_the_access_panel_leaves_out_people_without_access(browser, org, panel, jakarta_rep):
    factories.user("shanghai_rep", unit=org["shanghai"], roles=["Sales Representative"])
    response = _panel(browser(jakarta_rep), panel["account"])
    usernames = {row["username"] for row in response.context["access_rows"]}
    assert usernames == {"jrep", "colleague", "mrep", "boss"}


def test_the_access_panel_of_an_invisible_account_answers_404(browser, jakarta_rep, milan_rep):
    account = factories.account(milan_rep)
    assert _panel(browser(jakarta_rep), account).status_code == 404


def test_the_shares_of_the_record_are_listed(browser, panel, jakarta_rep):
    response = browser(jakarta_rep).get(f"/accounts/{panel['account'].pk}/")
    shares = list(response.context["shares"])
    assert [(share.user.username, share.rights) for share in shares] == [("mrep", ["read"])]


def test_a_reader_sees_no_assign_share_or_edit_controls(browser, panel):
    response = browser(panel["colleague"]).get(f"/accounts/{panel['account'].pk}/")
    assert response.status_code == 200
    assert response.context["assign_form"] is None
    assert response.context["share_form"] is None
    assertNotContains(response, "/assign/")
    assertNotContains(response, "/share/")
    assertNotContains(response, "/unshare/")
    assertNotContains(response, "/edit/")


def test_the_owner_sees_assign_share_and_edit_controls(browser, panel, jakarta_rep):
    response = browser(jakarta_rep).get(f"/accounts/{panel['account'].pk}/")
    account_id = panel["account"].pk
    assertContains(response, f'action="/accounts/{account_id}/assign/"')
    assertContains(response, f'action="/accounts/{account_id}/share/"')
    assertContains(response, f'href="/accounts/{account_id}/edit/"')


def test_a_website_that_is_not_a_web_address_is_not_linked(browser, jakarta_rep):
    account = factories.account(jakarta_rep, website="javascript:alert(1)")
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assertNotContains(response, 'href="javascript:')
    assertContains(response, "javascript:alert(1)")


def test_a_bare_host_name_website_is_linked_over_https(browser, jakarta_rep):
    account = factories.account(jakarta_rep, website="garuda.example")
    response = browser(jakarta_rep).get(f"/accounts/{account.pk}/")
    assertContains(response, 'href="https://garuda.example"')


def test_detail_queries_do_not_grow_with_the_people_who_can_see_it(browser, org, jakarta_rep):
    account = factories.account(jakarta_rep)
    client = browser(jakarta_rep)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/accounts/{account.pk}/")
    for _ in range(10):
        factories.user(unit=org["jakarta"], roles=["Sales Representative"])
    with CaptureQueriesContext(connection) as many:
        client.get(f"/accounts/{account.pk}/")
    assert len(many) == len(few)


def test_detail_queries_do_not_grow_with_the_number_of_children(browser, jakarta_rep):
    account = factories.account(jakarta_rep, name="Group HQ")
    client = browser(jakarta_rep)
    factories.account(jakarta_rep, parent=account)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/accounts/{account.pk}/")
    for _ in range(10):
        factories.account(jakarta_rep, parent=account)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/accounts/{account.pk}/")
    assert len(many) == len(few)


def test_the_access_panel_names_each_reason_once(browser, admin, jakarta_rep):
    account = factories.account(jakarta_rep)
    response = _panel(browser(jakarta_rep), account)
    assert response.content.decode().count("<li>holds System Administrator</li>") == 1
