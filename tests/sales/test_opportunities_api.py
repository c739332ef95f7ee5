"""The opportunities API (/api/v1/opportunities) as people who must see different things."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sales.conftest import campaign, contact, opportunity
from trellis.audit.models import AuditEvent
from trellis.sales.models import Opportunity, OpportunityStageChange

URL = "/api/v1/opportunities"


def url(record, suffix: str = "") -> str:
    return f"{URL}/{record.pk}{suffix}"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["items"])


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def new(client, account, **fields):
    return client.post(URL, {"name": "New deal", "account_id": account.pk, **fields})


# Listing and reading.


def test_a_rep_lists_the_opportunities_of_their_unit(api, people, deals):
    assert names(api(people.rep).get(URL)) == ["Jakarta deal", "Partner deal"]


def test_a_rep_in_another_unit_lists_a_different_set(api, people, deals):
    assert names(api(people.milan_rep).get(URL)) == ["Milan deal"]


def test_a_sales_manager_lists_the_opportunities_of_their_subtree(api, people, deals):
    assert names(api(people.manager).get(URL)) == ["Jakarta deal", "Partner deal", "Shanghai deal"]


def test_a_partner_lists_only_their_own_opportunities(api, people, deals):
    assert names(api(people.partner).get(URL)) == ["Partner deal"]


def test_reading_an_invisible_opportunity_answers_404(api, people, deals):
    response = api(people.milan_rep).get(url(deals.jakarta))
    assert response.status_code == 404
    assert response.json()["detail"] == f"opportunity {deals.jakarta.pk} not found"


def test_reading_returns_money_as_a_decimal_string_with_currency(api, people, deals):
    body = api(people.manager).get(url(deals.jakarta)).json()
    assert body["amount"] == "1000.00"
    assert body["currency"] == "USD"
    assert body["account_id"] == deals.jakarta.account_id


def test_filters_by_stage_and_open(api, people, accounts):
    opportunity(people.rep, accounts.jakarta, name="Early", stage="prospecting")
    opportunity(people.rep, accounts.jakarta, name="Late", stage="negotiation")
    opportunity(people.rep, accounts.jakarta, name="Done", stage="won", probability=100)
    client = api(people.rep)
    assert names(client.get(URL, {"stage": "negotiation"})) == ["Late"]
    assert names(client.get(URL, {"open": "true"})) == ["Early", "Late"]
    assert names(client.get(URL, {"open": "false"})) == ["Done"]


def test_filter_by_account_never_widens_what_is_visible(api, people, deals, accounts):
    assert names(api(people.rep).get(URL, {"account_id": accounts.milan.pk})) == []


def test_paging_by_amount_visits_every_opportunity_once(api, people, accounts):
    made = [opportunity(people.rep, accounts.jakarta, name=f"D{i}", amount=i % 3) for i in range(7)]
    client, seen, params = api(people.rep), [], {"limit": 2, "order": "-amount"}
    for _ in range(10):
        body = client.get(URL, params).json()
        seen.extend(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert sorted(seen) == sorted(o.pk for o in made)
    assert len(seen) == len(set(seen))


def test_count_is_given_when_asked(api, people, deals):
    assert api(people.manager).get(URL, {"count": "true"}).json()["count"] == 3


def test_list_queries_do_not_grow_with_the_rows(api, people, accounts):
    client = api(people.rep)
    opportunity(people.rep, accounts.jakarta)
    client.get(URL)  # warm the token and content-type caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(15):
        opportunity(people.rep, accounts.jakarta)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["items"]) == 16
    assert len(many) == len(few)


# Creating.


def test_create_answers_201_owned_by_the_caller_with_the_stage_default(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, amount="1500.5", stage="proposal")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_user_id"] == people.rep.pk
    assert body["owning_unit_id"] == people.rep.unit_id
    assert body["amount"] == "1500.50"
    assert body["probability"] == 50
    assert body["version"] == 1


def test_create_records_the_first_stage(api, people, accounts):
    body = new(api(people.rep), accounts.jakarta).json()
    changes = list(OpportunityStageChange.objects.filter(opportunity_id=body["id"]))
    assert [(c.from_stage, c.to_stage) for c in changes] == [("", "prospecting")]


def test_create_is_audited(api, people, accounts):
    body = new(api(people.rep), accounts.jakarta).json()
    event = AuditEvent.objects.get(entity="opportunity", object_id=body["id"], action="create")
    assert event.actor == people.rep
    assert event.changes["name"] == "New deal"


def test_create_on_an_invisible_account_answers_404_naming_account_id(api, people, accounts):
    response = new(api(people.rep), accounts.milan)
    assert response.status_code == 404
    assert error_fields(response) == ["account_id"]


def test_create_with_an_invisible_contact_answers_404_naming_contact_id(api, people, accounts):
    hidden = contact(people.milan_rep, accounts.milan)
    response = new(api(people.rep), accounts.jakarta, contact_id=hidden.pk)
    assert response.status_code == 404
    assert error_fields(response) == ["contact_id"]


def test_create_with_an_invisible_campaign_answers_404_naming_campaign_id(api, people, accounts):
    hidden = campaign(people.milan_rep, name="Milan fair")
    response = new(api(people.rep), accounts.jakarta, campaign_id=hidden.pk)
    assert response.status_code == 404
    assert error_fields(response) == ["campaign_id"]


def test_create_with_visible_contact_and_campaign_links_them(api, people, accounts):
    person = contact(people.rep, accounts.jakarta)
    fair = campaign(people.rep, name="Jakarta fair")
    response = new(api(people.rep), accounts.jakarta, contact_id=person.pk, campaign_id=fair.pk)
    assert response.status_code == 201, response.content
    assert response.json()["contact_id"] == person.pk
    assert response.json()["campaign_id"] == fair.pk


def test_a_contact_of_another_account_is_refused(api, people, accounts):
    person = contact(people.rep, accounts.partner)
    response = new(api(people.rep), accounts.jakarta, contact_id=person.pk)
    assert response.status_code == 400
    assert error_fields(response) == ["contact_id"]


def test_create_for_someone_else_without_assign_rights_answers_403(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, owner_user_id=people.colleague.pk)
    assert response.status_code == 403


def test_a_manager_creates_an_opportunity_for_a_rep_in_their_subtree(api, people, accounts):
    response = new(api(people.manager), accounts.jakarta, owner_user_id=people.rep.pk)
    assert response.status_code == 201, response.content
    assert response.json()["owner_user_id"] == people.rep.pk


def test_a_negative_amount_is_refused_naming_amount(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, amount="-1")
    assert response.status_code == 400
    assert error_fields(response) == ["amount"]


def test_an_amount_that_is_not_a_number_is_refused(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, amount="lots")
    assert response.status_code == 422
    assert error_fields(response) == ["amount"]


def test_an_infinite_amount_is_refused(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, amount="Infinity")
    assert 400 <= response.status_code < 500
    assert error_fields(response) == ["amount"]


def test_probability_150_is_refused_naming_probability(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, probability=150)
    assert response.status_code == 400
    assert error_fields(response) == ["probability"]


def test_an_unknown_stage_is_refused_naming_stage(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, stage="dreaming")
    assert response.status_code == 422
    assert error_fields(response) == ["stage"]


def test_a_bad_currency_is_refused(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, currency="dollars")
    assert response.status_code == 400
    assert error_fields(response) == ["currency"]


def test_a_bad_date_is_refused_naming_the_field(api, people, accounts):
    response = new(api(people.rep), accounts.jakarta, expected_close_date="soon")
    assert response.status_code == 422
    assert error_fields(response) == ["expected_close_date"]


def test_an_account_id_too_large_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "X", "account_id": 2**70})
    assert response.status_code == 422
    assert error_fields(response) == ["account_id"]


# Updating and the stage history.


def test_a_stage_change_is_kept_with_the_amount_at_the_time(api, people, deals):
    client = api(people.rep)
    client.patch(url(deals.jakarta), {"stage": "qualification"})
    client.patch(url(deals.jakarta), {"amount": "1200"})
    client.patch(url(deals.jakarta), {"stage": "proposal"})
    body = client.get(url(deals.jakarta, "/stages")).json()
    steps = [(i["from_stage"], i["to_stage"], i["amount"]) for i in body["items"]]
    assert steps == [
        ("prospecting", "qualification", "1000.00"),
        ("qualification", "proposal", "1200.00"),
    ]
    assert body["items"][0]["changed_by_id"] == people.rep.pk


def test_a_stage_change_sets_the_stage_default_probability(api, people, deals):
    response = api(people.rep).patch(url(deals.jakarta), {"stage": "negotiation"})
    assert response.json()["probability"] == 75


def test_a_given_probability_wins_over_the_default(api, people, deals):
    response = api(people.rep).patch(url(deals.jakarta), {"stage": "proposal", "probability": 40})
    assert response.json()["probability"] == 40


def test_the_stage_history_of_an_invisible_opportunity_answers_404(api, people, deals):
    assert api(people.milan_rep).get(url(deals.jakarta, "/stages")).status_code == 404


def test_patch_with_a_stale_version_answers_412(api, people, deals):
    client = api(people.rep)
    first = client.patch(url(deals.jakarta), {"name": "A"}, headers={"If-Match": "1"})
    assert first.status_code == 200
    response = client.patch(url(deals.jakarta), {"name": "B"}, headers={"If-Match": "1"})
    assert response.status_code == 412
    assert error_fields(response) == ["version"]
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.name == "A"
    assert deals.jakarta.version == 2


def test_a_colleague_who_may_read_but_not_write_gets_403(api, people, deals):
    assert api(people.colleague).patch(url(deals.jakarta), {"name": "Mine"}).status_code == 403


def test_patch_to_an_invisible_account_answers_404_naming_account_id(api, people, deals, accounts):
    response = api(people.rep).patch(url(deals.jakarta), {"account_id": accounts.milan.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["account_id"]
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.account_id == accounts.jakarta.pk


def test_patch_to_an_invisible_campaign_answers_404_naming_campaign_id(api, people, deals):
    hidden = campaign(people.milan_rep)
    response = api(people.rep).patch(url(deals.jakarta), {"campaign_id": hidden.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["campaign_id"]


def test_patch_with_a_null_account_is_refused(api, people, deals):
    response = api(people.rep).patch(url(deals.jakarta), {"account_id": None})
    assert response.status_code == 400
    assert error_fields(response) == ["account_id"]


def test_patch_with_null_unlinks_the_campaign(api, people, deals):
    deals.jakarta.campaign = campaign(people.rep)
    deals.jakarta.save()
    response = api(people.rep).patch(url(deals.jakarta), {"campaign_id": None})
    assert response.json()["campaign_id"] is None


def test_an_update_is_audited_with_the_changed_fields(api, people, deals):
    api(people.rep).patch(url(deals.jakarta), {"amount": "5"})
    event = AuditEvent.objects.get(
        entity="opportunity", object_id=deals.jakarta.pk, action="update"
    )
    assert event.changes["amount"] == ["1000.00", "5.00"]


# Closing and re-opening.


def test_closing_as_won_sets_the_stage_time_and_probability(api, people, deals):
    response = api(people.rep).post(
        url(deals.jakarta, "/close"), {"outcome": "won", "reason": "Best price"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["probability"], body["close_reason"]) == ("won", 100, "Best price")
    assert body["closed_at"] is not None


def test_closing_as_lost_sets_probability_zero_and_is_kept_in_history(api, people, deals):
    client = api(people.rep)
    body = client.post(url(deals.jakarta, "/close"), {"outcome": "lost"}).json()
    assert (body["stage"], body["probability"]) == ("lost", 0)
    steps = client.get(url(deals.jakarta, "/stages")).json()["items"]
    assert [(s["from_stage"], s["to_stage"]) for s in steps] == [("prospecting", "lost")]


def test_closing_is_audited(api, people, deals):
    api(people.rep).post(url(deals.jakarta, "/close"), {"outcome": "won"})
    assert AuditEvent.objects.filter(
        entity="opportunity", object_id=deals.jakarta.pk, action="close"
    ).exists()


def test_closing_twice_answers_409(api, people, deals):
    client = api(people.rep)
    client.post(url(deals.jakarta, "/close"), {"outcome": "won"})
    response = client.post(url(deals.jakarta, "/close"), {"outcome": "lost"})
    assert response.status_code == 409
    assert error_fields(response) == ["outcome"]


def test_an_unknown_outcome_is_refused_naming_outcome(api, people, deals):
    response = api(people.rep).post(url(deals.jakarta, "/close"), {"outcome": "maybe"})
    assert response.status_code == 422
    assert error_fields(response) == ["outcome"]


def test_closing_with_a_stale_version_answers_412(api, people, deals):
    response = api(people.rep).post(
        url(deals.jakarta, "/close"), {"outcome": "won"}, headers={"If-Match": "7"}
    )
    assert response.status_code == 412


def test_closing_an_invisible_opportunity_answers_404(api, people, deals):
    response = api(people.milan_rep).post(url(deals.jakarta, "/close"), {"outcome": "won"})
    assert response.status_code == 404


def test_a_reader_may_not_close(api, people, deals):
    response = api(people.colleague).post(url(deals.jakarta, "/close"), {"outcome": "won"})
    assert response.status_code == 403


def test_reopening_clears_closed_at_and_sets_the_stage_default(api, people, deals):
    client = api(people.rep)
    client.post(url(deals.jakarta, "/close"), {"outcome": "lost", "reason": "Too dear"})
    body = client.patch(url(deals.jakarta), {"stage": "negotiation"}).json()
    assert body["closed_at"] is None
    assert body["close_reason"] == ""
    assert body["probability"] == 75
    steps = client.get(url(deals.jakarta, "/stages")).json()["items"]
    assert [s["to_stage"] for s in steps] == ["lost", "negotiation"]


def test_patch_to_won_closes_it(api, people, deals):
    body = api(people.rep).patch(url(deals.jakarta), {"stage": "won"}).json()
    assert (body["probability"], body["closed_at"] is not None) == (100, True)


def test_a_won_opportunity_cannot_have_another_probability(api, people, deals):
    response = api(people.rep).patch(url(deals.jakarta), {"stage": "won", "probability": 60})
    assert response.status_code == 400
    assert error_fields(response) == ["probability"]


# Deleting and the record actions.


def test_delete_answers_204_and_is_audited(api, people, deals):
    assert api(people.rep).delete(url(deals.jakarta)).status_code == 204
    assert not Opportunity.objects.filter(pk=deals.jakarta.pk).exists()
    assert AuditEvent.objects.filter(
        entity="opportunity", object_id=deals.jakarta.pk, action="delete"
    ).exists()


def test_a_colleague_may_not_delete(api, people, deals):
    assert api(people.colleague).delete(url(deals.jakarta)).status_code == 403


def test_assign_moves_owner_and_unit(api, people, deals, org):
    response = api(people.manager).post(
        url(deals.jakarta, "/assign"), {"owner_user_id": people.shanghai_rep.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owning_unit_id"] == org["shanghai"].pk
    assert names(api(people.shanghai_rep).get(URL)) == ["Jakarta deal", "Shanghai deal"]


def test_sharing_lets_a_rep_elsewhere_read_it(api, people, deals):
    response = api(people.rep).post(url(deals.jakarta, "/share"), {"user_id": people.milan_rep.pk})
    assert response.status_code == 200, response.content
    assert names(api(people.milan_rep).get(URL)) == ["Jakarta deal", "Milan deal"]


def test_access_lists_who_can_reach_it_and_why(api, people, deals):
    body = api(people.rep).get(url(deals.jakarta, "/access")).json()
    usernames = {row["username"] for row in body["items"]}
    assert {"rep", "colleague", "manager"} <= usernames
    assert "milan_rep" not in usernames


def test_every_action_on_an_invisible_opportunity_answers_404(api, people, deals):
    client, target = api(people.milan_rep), deals.jakarta
    assert client.patch(url(target), {"name": "X"}).status_code == 404
    assert client.delete(url(target)).status_code == 404
    assert client.post(url(target, "/assign"), {"owner_user_id": 1}).status_code == 404
    assert client.post(url(target, "/share"), {"user_id": people.milan_rep.pk}).status_code == 404
    assert client.get(url(target, "/access")).status_code == 404


def test_an_account_with_opportunities_is_not_deleted_and_answers_409(api, people, accounts, deals):
    response = api(people.rep).delete(f"/api/v1/accounts/{accounts.jakarta.pk}")

    assert response.status_code == 409
    assert "opportunities" in response.json()["detail"]
    assert Opportunity.objects.filter(pk=deals.jakarta.pk).exists()
