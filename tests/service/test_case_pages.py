"""The case pages as people who must see different things."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories
from tests.service.conftest import make_case, make_contact
from trellis.access.services import record_share
from trellis.audit.models import AuditEvent
from trellis.service.models import Case

pytestmark = pytest.mark.django_db


def _subjects(response) -> list[str]:
    return sorted(case.subject for case in response.context["page"].items)


# The list.


def test_a_jakarta_rep_and_a_milan_rep_see_different_cases(browser, people, cases):
    jakarta = browser(people.rep).get("/cases/")
    milan = browser(people.milan_rep).get("/cases/")
    assert _subjects(jakarta) == ["Jakarta billing question", "Jakarta printer jam"]
    assert _subjects(milan) == ["Milan invoice wrong"]
    assertNotContains(jakarta, "Milan invoice")
    assertNotContains(milan, "Jakarta printer")


def test_a_service_manager_sees_the_subtree_and_a_partner_nothing(browser, people, cases):
    assert _subjects(browser(people.manager).get("/cases/")) == [
        "Jakarta billing question",
        "Jakarta printer jam",
        "Shanghai delivery late",
    ]
    # Cases are outside the partner portal (web.portal).
    assert browser(people.partner).get("/cases/").status_code == 403


def test_the_live_search_swaps_only_the_results(browser, people, cases):
    response = browser(people.rep).get(
        "/cases/", {"q": "printer"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-results"
    )
    assert _subjects(response) == ["Jakarta printer jam"]
    assertNotContains(response, "<form")
    assert "HX-Target" in response["Vary"]


def test_search_by_number_and_filters(browser, people, cases):
    client = browser(people.rep)
    assert _subjects(client.get("/cases/", {"q": cases.colleague.number})) == [
        "Jakarta billing question"
    ]
    assert _subjects(client.get("/cases/", {"priority": "high"})) == ["Jakarta printer jam"]
    assert _subjects(client.get("/cases/", {"mine": "on"})) == ["Jakarta printer jam"]
    assert _subjects(client.get("/cases/", {"state": "done"})) == []
    assert _subjects(client.get("/cases/", {"status": "bogus"})) == [
        "Jakarta billing question",
        "Jakarta printer jam",
    ]


def test_the_queue_sort_puts_urgent_first(browser, people):
    make_case(people.rep, subject="b normal")
    make_case(people.rep, subject="a urgent", priority="urgent")
    response = browser(people.rep).get("/cases/", {"sort": "queue"})
    assert [c.subject for c in response.context["page"].items] == ["a urgent", "b normal"]


def test_the_list_pages_by_keyset(browser, people):
    for index in range(30):
        make_case(people.rep, subject=f"Case {index:02d}")
    client = browser(people.rep)
    first = client.get("/cases/")
    assert len(first.context["page"].items) == 25
    second = client.get("/cases/", {"cursor": first.context["page"].next_cursor})
    assert len(second.context["page"].items) == 5
    seen = {c.pk for c in first.context["page"].items} | {
        c.pk for c in second.context["page"].items
    }
    assert len(seen) == 30


def test_the_list_hides_the_name_of_an_account_the_reader_cannot_see(browser, people):
    hidden = factories.account(people.milan_rep, name="Secret Lombardia")
    case = make_case(people.rep, subject="Linked elsewhere", account=hidden)
    record_share(people.rep, case, user=people.milan_rep, rights=["read"])
    assertNotContains(browser(people.rep).get("/cases/"), "Secret Lombardia")
    assertContains(browser(people.milan_rep).get("/cases/"), "Secret Lombardia")


def test_the_list_query_count_does_not_grow_with_rows(browser, people):
    account = factories.account(people.rep)
    client = browser(people.rep)
    make_case(people.rep, account=account)
    client.get("/cases/")
    with CaptureQueriesContext(connection) as few:
        client.get("/cases/")
    for _ in range(15):
        make_case(people.rep, account=account, contact=make_contact(people.rep))
    with CaptureQueriesContext(connection) as many:
        client.get("/cases/")
    assert len(many.captured_queries) == len(few.captured_queries)


# The detail page.


def test_the_detail_shows_key_fields_and_history(browser, people, cases):
    response = browser(people.rep).get(f"/cases/{cases.jakarta.pk}/")
    assert response.status_code == 200
    assertContains(response, cases.jakarta.number)
    assertContains(response, "Jakarta printer jam")
    assertContains(response, "Joko")
    assert [c.to_status for c in response.context["history"]] == ["new"]


def test_an_invisible_case_answers_404_like_a_missing_one(browser, people, cases):
    client = browser(people.milan_rep)
    response = client.get(f"/cases/{cases.jakarta.pk}/")
    assert response.status_code == 404
    assertNotContains(response, "printer", status_code=404)
    assert client.get("/cases/999999/").status_code == 404


def test_the_owner_sees_the_status_actions_a_reader_does_not(browser, people, cases):
    owner = browser(people.rep).get(f"/cases/{cases.jakarta.pk}/")
    assertContains(owner, "Start work")
    assertContains(owner, "Waiting on customer")
    assertContains(owner, f"/cases/{cases.jakarta.pk}/resolve/")
    assertNotContains(owner, f"/cases/{cases.jakarta.pk}/close/")
    assertNotContains(owner, f"/cases/{cases.jakarta.pk}/reopen/")
    reader = browser(people.colleague).get(f"/cases/{cases.jakarta.pk}/")
    assertNotContains(reader, "Start work")
    assertNotContains(reader, f"/cases/{cases.jakarta.pk}/resolve/")
    assertNotContains(reader, f"/cases/{cases.jakarta.pk}/edit/")


def test_a_resolved_case_offers_close_and_reopen(browser, people):
    case = make_case(people.rep, status="resolved", resolution="Done")
    response = browser(people.rep).get(f"/cases/{case.pk}/")
    assertContains(response, f"/cases/{case.pk}/close/")
    assertContains(response, f"/cases/{case.pk}/reopen/")
    assertNotContains(response, f"/cases/{case.pk}/resolve/")
    assertNotContains(response, "Start work")


def test_the_detail_hides_an_account_the_reader_cannot_see(browser, people):
    hidden = factories.account(people.milan_rep, name="Secret Lombardia")
    case = make_case(people.rep, account=hidden)
    response = browser(people.rep).get(f"/cases/{case.pk}/")
    assert response.context["account"] is None
    assertNotContains(response, "Secret Lombardia")


def test_the_access_panel_lists_who_can_see_the_case(browser, people, cases):
    response = browser(people.rep).get(f"/cases/{cases.jakarta.pk}/access/", HTTP_HX_REQUEST="true")
    usernames = {row["username"] for row in response.context["access_rows"]}
    assert {"rep", "colleague", "manager"} <= usernames
    assert "milan_rep" not in usernames
    page = browser(people.rep).get(f"/cases/{cases.jakarta.pk}/access/")
    assertContains(page, "Who can see this case, and why")
    assert browser(people.milan_rep).get(f"/cases/{cases.jakarta.pk}/access/").status_code == 404


# Status actions.


def test_start_work_then_resolve_close_and_reopen_from_the_page(browser, people, cases):
    client = browser(people.rep)
    base = f"/cases/{cases.jakarta.pk}"
    assert client.post(f"{base}/status/", {"status": "in_progress"}).status_code == 302
    cases.jakarta.refresh_from_db()
    assert cases.jakarta.status == "in_progress"
    assert cases.jakarta.first_response_at is not None
    assert client.post(f"{base}/resolve/", {"resolve-resolution": "Fixed"}).status_code == 302
    assert client.post(f"{base}/close/", {"close-satisfaction": "5"}).status_code == 302
    cases.jakarta.refresh_from_db()
    assert (cases.jakarta.status, cases.jakarta.satisfaction) == ("closed", 5)
    assert client.post(f"{base}/reopen/", {"reopen-reason": "Again"}).status_code == 302
    cases.jakarta.refresh_from_db()
    assert cases.jakarta.status == "in_progress"
    assert cases.jakarta.closed_at is None


def test_a_refused_action_shows_the_error_on_the_page(browser, people, cases):
    client = browser(people.rep)
    response = client.post(f"/cases/{cases.jakarta.pk}/close/", {})
    assert response.status_code == 409
    assertContains(response, "cannot move to closed", status_code=409)
    empty = client.post(f"/cases/{cases.jakarta.pk}/resolve/", {"resolve-resolution": ""})
    assert empty.status_code == 400
    bad = client.post(f"/cases/{cases.colleague.pk}/resolve/", {"resolve-resolution": "x"})
    assert bad.status_code == 403


def test_a_bad_satisfaction_is_refused_by_the_form(browser, people):
    case = make_case(people.rep, status="resolved", resolution="Done")
    response = browser(people.rep).post(f"/cases/{case.pk}/close/", {"close-satisfaction": "9"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == "resolved"


def test_actions_on_an_invisible_case_answer_404(browser, people, cases):
    client = browser(people.milan_rep)
    base = f"/cases/{cases.jakarta.pk}"
    for path, data in (
        ("/status/", {"status": "in_progress"}),
        ("/resolve/", {"resolve-resolution": "x"}),
        ("/close/", {}),
        ("/reopen/", {"reopen-reason": "x"}),
        ("/assign/", {"assign-owner_user": people.milan_rep.pk}),
        ("/share/", {"share-user": people.milan_rep.pk, "share-rights": ["read"]}),
        ("/unshare/", {"user": people.milan_rep.pk}),
        ("/edit/", {}),
    ):
        assert client.post(base + path, data).status_code == 404, path


# Create and edit.


def test_a_rep_opens_a_case_from_the_form(browser, people):
    account = factories.account(people.rep, name="Garuda")
    response = browser(people.rep).post(
        "/cases/new/",
        {
            "subject": "Broken screen",
            "type": "problem",
            "priority": "high",
            "channel": "phone",
            "account": account.pk,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.number == f"CS-{case.pk:06d}"
    assert case.account == account
    assert AuditEvent.objects.filter(entity="case", object_id=case.pk, action="create").exists()


def test_the_form_refuses_an_account_the_user_cannot_see(browser, people):
    hidden = factories.account(people.milan_rep)
    response = browser(people.rep).post(
        "/cases/new/",
        {
            "subject": "X",
            "type": "question",
            "priority": "normal",
            "channel": "web",
            "account": hidden.pk,
        },
    )
    assert response.status_code == 400
    assert "account" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_partner_may_not_open_the_create_page(browser, people):
    assert browser(people.partner).get("/cases/new/").status_code == 403


def test_the_owner_edits_and_a_reader_may_not(browser, people, cases):
    data = {
        "subject": "Printer fixed?",
        "type": "problem",
        "priority": "urgent",
        "channel": "phone",
        "version": 1,
    }
    assert browser(people.colleague).get(f"/cases/{cases.jakarta.pk}/edit/").status_code == 403
    response = browser(people.rep).post(f"/cases/{cases.jakarta.pk}/edit/", data)
    assert response.status_code == 302
    cases.jakarta.refresh_from_db()
    assert (cases.jakarta.subject, cases.jakarta.priority) == ("Printer fixed?", "urgent")
    stale = browser(people.rep).post(f"/cases/{cases.jakarta.pk}/edit/", data)
    assert stale.status_code == 412
    assertContains(stale, "Open the latest version", status_code=412)


def test_editing_keeps_a_link_the_editor_cannot_see(browser, people):
    hidden = factories.account(people.milan_rep)
    case = make_case(people.rep, account=hidden)
    form_page = browser(people.rep).get(f"/cases/{case.pk}/edit/")
    assert "account" not in form_page.context["form"].fields
    browser(people.rep).post(
        f"/cases/{case.pk}/edit/",
        {
            "subject": "Kept",
            "type": "question",
            "priority": "normal",
            "channel": "email",
            "version": 1,
        },
    )
    case.refresh_from_db()
    assert (case.subject, case.account_id) == ("Kept", hidden.pk)


# Assign and share.


def test_a_manager_assigns_from_the_page(browser, people, cases):
    response = browser(people.manager).post(
        f"/cases/{cases.jakarta.pk}/assign/", {"assign-owner_user": people.colleague.pk}
    )
    assert response.status_code == 302
    cases.jakarta.refresh_from_db()
    assert cases.jakarta.owner_user == people.colleague


def test_the_owner_shares_and_unshares_from_the_page(browser, people, cases):
    client = browser(people.rep)
    base = f"/cases/{cases.jakarta.pk}"
    shared = client.post(
        f"{base}/share/", {"share-user": people.milan_rep.pk, "share-rights": ["read"]}
    )
    assert shared.status_code == 302
    assert browser(people.milan_rep).get(f"{base}/").status_code == 200
    client.post(f"{base}/unshare/", {"user": people.milan_rep.pk})
    assert browser(people.milan_rep).get(f"{base}/").status_code == 404


def test_the_navigation_shows_cases(browser, people):
    assertContains(browser(people.rep).get("/cases/"), 'href="/cases/" aria-current="page"')
