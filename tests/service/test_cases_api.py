"""The cases API (/api/v1/cases) as people who must see different things."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.service.conftest import make_case, make_contact
from trellis.audit.models import AuditEvent
from trellis.service.models import Case
from trellis.service.selectors import case_list

URL = "/api/v1/cases"


def url(case: Case, suffix: str = "") -> str:
    return f"{URL}/{case.pk}{suffix}"


def subjects(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["subject"] for item in response.json()["items"])


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# Listing: each person sees exactly what the access model gives them.


def test_a_jakarta_rep_lists_the_cases_of_their_unit(api, people, cases):
    assert subjects(api(people.rep).get(URL)) == [
        "Jakarta billing question",
        "Jakarta printer jam",
    ]


def test_a_milan_rep_lists_only_the_milan_case(api, people, cases):
    assert subjects(api(people.milan_rep).get(URL)) == ["Milan invoice wrong"]


def test_a_service_manager_lists_the_cases_of_their_subtree(api, people, cases):
    assert subjects(api(people.manager).get(URL)) == [
        "Jakarta billing question",
        "Jakarta printer jam",
        "Shanghai delivery late",
    ]


def test_a_partner_lists_no_cases_until_one_is_shared(api, people, cases):
    # Cases are outside the partner portal's API (web.portal); the selector shows what
    # the access rules give partners.
    assert api(people.partner).get(URL).status_code == 403
    assert not case_list(people.partner).exists()
    shared = api(people.rep).post(url(cases.jakarta, "/share"), {"user_id": people.partner.pk})
    assert shared.status_code == 200, shared.content
    assert [case.subject for case in case_list(people.partner)] == ["Jakarta printer jam"]


def test_the_list_filters_by_status_priority_type_channel_and_owner(api, people, cases):
    make_case(people.rep, subject="Done one", status="resolved", type="complaint", channel="chat")
    client = api(people.rep)
    assert subjects(client.get(URL, {"status": "resolved"})) == ["Done one"]
    assert subjects(client.get(URL, {"priority": "high"})) == ["Jakarta printer jam"]
    assert subjects(client.get(URL, {"type": "complaint"})) == ["Done one"]
    assert subjects(client.get(URL, {"channel": "chat"})) == ["Done one"]
    assert subjects(client.get(URL, {"owner_user_id": people.colleague.pk})) == [
        "Jakarta billing question"
    ]
    assert subjects(client.get(URL, {"open": "true"})) == [
        "Jakarta billing question",
        "Jakarta printer jam",
    ]
    assert subjects(client.get(URL, {"open": "false"})) == ["Done one"]


def test_the_list_filters_by_owning_unit_and_account(api, org, people, cases):
    account = factories.account(people.rep, name="Garuda")
    make_case(people.rep, subject="About Garuda", account=account)
    manager = api(people.manager)
    assert subjects(manager.get(URL, {"owning_unit_id": org["shanghai"].pk})) == [
        "Shanghai delivery late"
    ]
    assert subjects(manager.get(URL, {"account_id": account.pk})) == ["About Garuda"]


def test_the_search_matches_subject_and_number(api, people, cases):
    client = api(people.rep)
    assert subjects(client.get(URL, {"q": "printer"})) == ["Jakarta printer jam"]
    assert subjects(client.get(URL, {"q": cases.colleague.number})) == ["Jakarta billing question"]
    assert subjects(client.get(URL, {"q": "Milan"})) == []


def test_order_priority_is_the_queue_urgent_first_then_oldest(api, people):
    low = make_case(people.rep, subject="low", priority="low")
    old_normal = make_case(people.rep, subject="old normal")
    new_normal = make_case(people.rep, subject="new normal")
    urgent = make_case(people.rep, subject="urgent", priority="urgent")
    response = api(people.rep).get(URL, {"order": "priority"})
    assert [item["id"] for item in response.json()["items"]] == [
        urgent.pk,
        old_normal.pk,
        new_normal.pk,
        low.pk,
    ]


def test_the_queue_order_pages_with_a_cursor(api, people):
    made = [make_case(people.rep, priority=p) for p in ("low", "urgent", "normal", "high")]
    client = api(people.rep)
    first = client.get(URL, {"order": "priority", "limit": 2}).json()
    second = client.get(URL, {"order": "priority", "limit": 2, "cursor": first["next_cursor"]})
    ids = [item["id"] for item in first["items"] + second.json()["items"]]
    assert ids == [made[1].pk, made[3].pk, made[2].pk, made[0].pk]
    assert second.json()["next_cursor"] is None


def test_count_true_adds_the_number_of_visible_cases(api, people, cases):
    body = api(people.rep).get(URL, {"count": "true", "limit": 1}).json()
    assert body["count"] == 2
    assert len(body["items"]) == 1
    assert body["next_cursor"]


def test_bad_list_parameters_answer_4xx_naming_the_field(api, people, cases):
    client = api(people.rep)
    for params, field in (
        ({"order": "subject"}, "order"),
        ({"limit": 0}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"status": "lost"}, "status"),
        ({"priority": "extreme"}, "priority"),
        ({"account_id": 0}, "account_id"),
    ):
        response = client.get(URL, params)
        assert 400 <= response.status_code < 500, (params, response.status_code)
        assert field in error_fields(response), (params, response.json())


def test_the_list_query_count_does_not_grow_with_rows(api, people):
    client = api(people.rep)
    make_case(people.rep)
    client.get(URL)  # the first use of a token records it; measure after
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for _ in range(10):
        make_case(people.rep)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["items"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


# Reading one case.


def test_reading_a_visible_case_returns_it(api, people, cases):
    response = api(people.manager).get(url(cases.jakarta))
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == cases.jakarta.number
    assert body["owner_user_id"] == people.rep.pk
    assert body["status"] == "new"


def test_reading_an_invisible_case_answers_404_like_a_missing_one(api, people, cases):
    client = api(people.milan_rep)
    invisible = client.get(url(cases.jakarta))
    missing = client.get(f"{URL}/{cases.milan.pk + 1000}")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.json()["detail"] == f"case {cases.jakarta.pk} not found"
    assert invisible.json()["errors"] == missing.json()["errors"] == []


def test_every_action_on_an_invisible_case_answers_404(api, people, cases):
    client = api(people.milan_rep)
    target = cases.jakarta
    assert client.patch(url(target), {"subject": "X"}).status_code == 404
    assert client.delete(url(target)).status_code == 404
    assert client.post(url(target, "/resolve"), {"resolution": "x"}).status_code == 404
    assert client.post(url(target, "/close"), {}).status_code == 404
    assert client.post(url(target, "/reopen"), {"reason": "x"}).status_code == 404
    assert client.get(url(target, "/history")).status_code == 404
    assert client.get(url(target, "/access")).status_code == 404
    assert (
        client.post(url(target, "/assign"), {"owner_user_id": people.milan_rep.pk}).status_code
        == 404
    )
    assert client.post(url(target, "/share"), {"user_id": people.milan_rep.pk}).status_code == 404
    target.refresh_from_db()
    assert target.version == 1


# Creating.


def test_a_rep_opens_a_numbered_case_they_own(api, people):
    response = api(people.rep).post(
        URL, {"subject": "  Screen flickers ", "type": "problem", "channel": "phone"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "Screen flickers"
    assert body["number"] == f"CS-{body['id']:06d}"
    assert body["status"] == "new"
    assert body["owner_user_id"] == people.rep.pk
    assert body["owning_unit_id"] == people.rep.unit_id
    assert body["first_response_at"] is None
    assert Case.objects.get(pk=body["id"]).status_changes.count() == 1


def test_creating_writes_an_audit_event(api, people):
    body = api(people.rep).post(URL, {"subject": "Audited"}).json()
    event = AuditEvent.objects.get(entity="case", object_id=body["id"], action="create")
    assert event.actor == people.rep
    assert event.changes["subject"] == "Audited"
    assert event.changes["number"] == body["number"]


def test_a_partner_may_not_open_cases(api, people):
    response = api(people.partner).post(URL, {"subject": "Nope"})
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_a_rep_may_not_open_a_case_for_someone_else(api, people):
    response = api(people.rep).post(
        URL, {"subject": "For you", "owner_user_id": people.colleague.pk}
    )
    assert response.status_code == 403
    assert error_fields(response) == ["owner_user_id"]


def test_a_manager_may_open_a_case_for_a_rep_in_their_subtree(api, people):
    response = api(people.manager).post(
        URL, {"subject": "For Joko", "owner_user_id": people.rep.pk}
    )
    assert response.status_code == 201, response.content
    assert response.json()["owning_unit_id"] == people.rep.unit_id


def test_linking_a_visible_account_and_contact(api, people):
    account = factories.account(people.colleague, name="Garuda")
    contact = make_contact(people.colleague, account=account)
    response = api(people.rep).post(
        URL, {"subject": "Linked", "account_id": account.pk, "contact_id": contact.pk}
    )
    assert response.status_code == 201, response.content
    assert response.json()["account_id"] == account.pk
    assert response.json()["contact_id"] == contact.pk


def test_linking_an_invisible_account_answers_404_naming_account_id(api, people):
    hidden = factories.account(people.milan_rep, name="Lombardia")
    response = api(people.rep).post(URL, {"subject": "X", "account_id": hidden.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["account_id"]
    assert response.json()["detail"] == f"account {hidden.pk} not found"
    assert not Case.objects.exists()


def test_linking_an_invisible_contact_answers_404_naming_contact_id(api, people):
    hidden = make_contact(people.milan_rep)
    response = api(people.rep).post(URL, {"subject": "X", "contact_id": hidden.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["contact_id"]


def test_a_contact_of_another_account_is_refused(api, people):
    mine = factories.account(people.rep)
    other = factories.account(people.rep)
    contact = make_contact(people.rep, account=other)
    response = api(people.rep).post(
        URL, {"subject": "X", "account_id": mine.pk, "contact_id": contact.pk}
    )
    assert response.status_code == 400
    assert error_fields(response) == ["contact_id"]


def test_bad_create_input_answers_4xx_naming_the_field(api, people):
    client = api(people.rep)
    for body, field in (
        ({}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "X", "priority": "extreme"}, "priority"),
        ({"subject": "X", "type": "rant"}, "type"),
        ({"subject": "X", "channel": "pigeon"}, "channel"),
        ({"subject": "X", "account_id": 2**63}, "account_id"),
        ({"subject": "X", "contact_id": -1}, "contact_id"),
        ({"subject": "X", "product_id": 0}, "product_id"),
        ({"subject": "X\x00"}, "subject"),
        ({"subject": "X", "product_name": "p" * 201}, "product_name"),
    ):
        response = client.post(URL, body)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert field in error_fields(response), (body, response.json())
    assert not Case.objects.exists()


def test_product_is_free_text_plus_an_optional_id(api, people):
    body = (
        api(people.rep)
        .post(URL, {"subject": "X", "product_name": "Printer P-200", "product_id": 42})
        .json()
    )
    assert body["product_name"] == "Printer P-200"
    assert body["product_id"] == 42


# Updating.


def test_the_owner_patches_a_case_with_if_match(api, people, cases):
    response = api(people.rep).patch(
        url(cases.jakarta), {"priority": "urgent", "description": "Paper"}, {"If-Match": "1"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "urgent"
    assert response.json()["version"] == 2
    event = AuditEvent.objects.get(entity="case", object_id=cases.jakarta.pk, action="update")
    assert event.changes["priority"] == ["high", "urgent"]


def test_a_stale_if_match_answers_412(api, people, cases):
    client = api(people.rep)
    first = client.patch(url(cases.jakarta), {"subject": "One"}, {"If-Match": "1"})
    assert first.status_code == 200
    response = client.patch(url(cases.jakarta), {"subject": "Two"}, {"If-Match": "1"})
    assert response.status_code == 412
    assert error_fields(response) == ["version"]
    cases.jakarta.refresh_from_db()
    assert cases.jakarta.subject == "One"


def test_an_unreadable_if_match_answers_400(api, people, cases):
    response = api(people.rep).patch(url(cases.jakarta), {"subject": "X"}, {"If-Match": "abc"})
    assert response.status_code == 400
    assert error_fields(response) == ["If-Match"]


def test_a_colleague_may_read_but_not_change_a_case(api, people, cases):
    client = api(people.colleague)
    assert client.get(url(cases.jakarta)).status_code == 200
    assert client.patch(url(cases.jakarta), {"subject": "Mine now"}).status_code == 403
    assert client.post(url(cases.jakarta, "/resolve"), {"resolution": "x"}).status_code == 403
    assert client.delete(url(cases.jakarta)).status_code == 403


def test_a_manager_may_change_a_case_in_their_subtree(api, people, cases):
    response = api(people.manager).patch(url(cases.shanghai), {"priority": "low"})
    assert response.status_code == 200, response.content


def test_relinking_to_an_invisible_account_answers_404_naming_account_id(api, people, cases):
    hidden = factories.account(people.milan_rep)
    response = api(people.rep).patch(url(cases.jakarta), {"account_id": hidden.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["account_id"]


def test_null_clears_links_and_text_but_not_the_subject(api, people, cases):
    account = factories.account(people.rep)
    client = api(people.rep)
    assert client.patch(url(cases.jakarta), {"account_id": account.pk}).json()["account_id"]
    cleared = client.patch(url(cases.jakarta), {"account_id": None, "description": None})
    assert cleared.json()["account_id"] is None
    assert cleared.json()["description"] == ""
    response = client.patch(url(cases.jakarta), {"subject": None})
    assert response.status_code == 400
    assert error_fields(response) == ["subject"]


# Status moves.


def test_the_first_move_out_of_new_sets_first_response_at(api, people, cases):
    body = api(people.rep).patch(url(cases.jakarta), {"status": "in_progress"}).json()
    assert body["status"] == "in_progress"
    assert body["first_response_at"] is not None
    later = api(people.rep).patch(url(cases.jakarta), {"status": "waiting"}).json()
    assert later["first_response_at"] == body["first_response_at"]


def test_a_case_waits_and_resumes(api, people, cases):
    client = api(people.rep)
    assert client.patch(url(cases.jakarta), {"status": "waiting"}).json()["status"] == "waiting"
    resumed = client.patch(url(cases.jakarta), {"status": "in_progress"})
    assert resumed.json()["status"] == "in_progress"


def test_patching_to_resolved_or_closed_points_to_the_actions(api, people, cases):
    client = api(people.rep)
    for status in ("resolved", "closed"):
        response = client.patch(url(cases.jakarta), {"status": status})
        assert response.status_code == 409
        assert error_fields(response) == ["status"]
        assert "action" in response.json()["detail"]


def test_resolving_sets_resolved_at_and_the_resolution(api, people, cases):
    response = api(people.rep).post(url(cases.jakarta, "/resolve"), {"resolution": "Cleared it"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved"
    assert body["resolution"] == "Cleared it"
    assert body["resolved_at"] is not None
    assert body["first_response_at"] is not None
    assert AuditEvent.objects.filter(object_id=cases.jakarta.pk, action="resolve").exists()


def test_resolving_needs_a_resolution(api, people, cases):
    client = api(people.rep)
    assert error_fields(client.post(url(cases.jakarta, "/resolve"), {"resolution": " "})) == [
        "resolution"
    ]
    response = client.post(url(cases.jakarta, "/resolve"), {})
    assert response.status_code == 422
    assert error_fields(response) == ["resolution"]


def test_resolving_twice_answers_409(api, people, cases):
    client = api(people.rep)
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    response = client.post(url(cases.jakarta, "/resolve"), {"resolution": "Again"})
    assert response.status_code == 409
    assert error_fields(response) == ["status"]


def test_closing_an_unresolved_case_answers_409(api, people, cases):
    response = api(people.rep).post(url(cases.jakarta, "/close"), {})
    assert response.status_code == 409
    assert error_fields(response) == ["status"]


def test_closing_a_resolved_case_with_satisfaction(api, people, cases):
    client = api(people.rep)
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    response = client.post(url(cases.jakarta, "/close"), {"satisfaction": 5})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert response.json()["closed_at"] is not None
    assert response.json()["satisfaction"] == 5


def test_satisfaction_must_be_1_to_5(api, people, cases):
    client = api(people.rep)
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    for value in (0, 6, "great"):
        response = client.post(url(cases.jakarta, "/close"), {"satisfaction": value})
        assert response.status_code == 422, value
        assert error_fields(response) == ["satisfaction"]
    cases.jakarta.refresh_from_db()
    assert cases.jakarta.status == "resolved"


def test_satisfaction_on_an_open_case_answers_409(api, people, cases):
    response = api(people.rep).patch(url(cases.jakarta), {"satisfaction": 4})
    assert response.status_code == 409
    assert error_fields(response) == ["satisfaction"]


def test_satisfaction_may_be_given_after_resolving(api, people, cases):
    client = api(people.rep)
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    assert client.patch(url(cases.jakarta), {"satisfaction": 3}).json()["satisfaction"] == 3


def test_reopening_a_closed_case_goes_back_to_in_progress(api, people, cases):
    client = api(people.rep)
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    client.post(url(cases.jakarta, "/close"), {"satisfaction": 2})
    response = client.post(url(cases.jakarta, "/reopen"), {"reason": "Jammed again"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["resolved_at"] is None
    assert body["closed_at"] is None
    assert body["satisfaction"] is None
    assert body["first_response_at"] is not None


def test_reopening_needs_a_reason_and_a_done_case(api, people, cases):
    client = api(people.rep)
    response = client.post(url(cases.jakarta, "/reopen"), {"reason": "Why not"})
    assert response.status_code == 409
    assert error_fields(response) == ["status"]
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    response = client.post(url(cases.jakarta, "/reopen"), {"reason": ""})
    assert response.status_code == 400
    assert error_fields(response) == ["reason"]


def test_a_resolved_case_goes_back_to_work_only_by_reopening(api, people, cases):
    client = api(people.rep)
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    response = client.patch(url(cases.jakarta), {"status": "in_progress"})
    assert response.status_code == 409
    assert "reopen" in response.json()["detail"]


def test_actions_honour_if_match(api, people, cases):
    response = api(people.rep).post(
        url(cases.jakarta, "/resolve"), {"resolution": "Done"}, {"If-Match": "7"}
    )
    assert response.status_code == 412


def test_the_history_lists_every_move_with_who_and_why(api, people, cases):
    client = api(people.rep)
    client.patch(url(cases.jakarta), {"status": "in_progress"})
    client.post(url(cases.jakarta, "/resolve"), {"resolution": "Done"})
    client.post(url(cases.jakarta, "/reopen"), {"reason": "Back"})
    response = client.get(url(cases.jakarta, "/history"))
    assert response.status_code == 200
    moves = [(row["from_status"], row["to_status"], row["note"]) for row in response.json()]
    assert moves == [
        ("", "new", ""),
        ("new", "in_progress", ""),
        ("in_progress", "resolved", "Done"),
        ("resolved", "in_progress", "Back"),
    ]
    assert response.json()[-1]["changed_by_id"] == people.rep.pk
    assert api(people.manager).get(url(cases.jakarta, "/history")).status_code == 200


# Deleting, assigning, sharing.


def test_the_owner_deletes_a_case_and_it_is_audited(api, people, cases):
    pk = cases.jakarta.pk
    assert api(people.rep).delete(url(cases.jakarta)).status_code == 204
    assert not Case.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(entity="case", object_id=pk, action="delete")
    assert event.changes["subject"] == "Jakarta printer jam"


def test_a_manager_assigns_a_case_to_a_rep(api, people, cases):
    response = api(people.manager).post(
        url(cases.jakarta, "/assign"), {"owner_user_id": people.shanghai_rep.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owning_unit_id"] == people.shanghai_rep.unit_id
    assert subjects(api(people.rep).get(URL)) == ["Jakarta billing question"]


def test_the_access_endpoint_explains_who_can_see_the_case(api, people, cases):
    response = api(people.rep).get(url(cases.jakarta, "/access"))
    assert response.status_code == 200
    usernames = {row["username"] for row in response.json()["items"]}
    assert {"rep", "colleague", "manager", "sales_rep"} <= usernames
    assert "milan_rep" not in usernames
    assert "partner" not in usernames


def test_a_case_never_goes_back_to_new(api, people, cases):
    client = api(people.rep)
    client.patch(url(cases.jakarta), {"status": "in_progress"})
    response = client.patch(url(cases.jakarta), {"status": "new"})
    assert response.status_code == 400
    assert error_fields(response) == ["status"]


def test_random_bodies_never_answer_500(api, people, cases):
    client = api(people.rep)
    bodies = [
        {"subject": 1},
        {"subject": ["x"]},
        {"satisfaction": 3.5},
        {"account_id": "abc"},
        {"product_id": 2**64},
        {"status": None},
        {"type": None},
        {"resolution": "x"},
        {"unknown": 1},
    ]
    for body in bodies:
        response = client.patch(url(cases.jakarta), body)
        assert response.status_code < 500, (body, response.content)
    for action in ("/resolve", "/close", "/reopen"):
        for body in ({"resolution": 5}, {"satisfaction": "x"}, {"reason": None}, {}):
            response = client.post(url(cases.jakarta, action), body)
            assert response.status_code < 500, (action, body, response.content)
