"""The opportunity pipeline board: what it shows to whom, moving cards and closing them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sales.conftest import opportunity
from trellis.audit.models import AuditEvent
from trellis.sales import pipeline
from trellis.sales.models import OPEN_STAGES, Opportunity, OpportunityStageChange
from trellis.sales.pipeline import opportunity_pipeline

pytestmark = pytest.mark.django_db

PIPELINE = "/opportunities/pipeline/"
JSON = {"HTTP_ACCEPT": "application/json"}


def move_url(deal) -> str:
    return f"/opportunities/pipeline/{deal.pk}/move/"


def close_url(deal) -> str:
    return f"/opportunities/pipeline/{deal.pk}/close/"


def cards(response) -> list[str]:
    return [card.name for column in response.context["open_columns"] for card in column.cards]


def column(response, stage: str):
    return next(c for c in response.context["columns"] if c.stage == stage)


# The board ------------------------------------------------------------------------------


def test_the_opportunity_list_links_to_the_pipeline(browser, people, deals):
    response = browser(people.rep).get("/opportunities/")
    assert PIPELINE in response.content.decode()


def test_a_rep_sees_the_opportunities_of_their_unit_on_the_board(browser, people, deals):
    response = browser(people.rep).get(PIPELINE)
    assert response.status_code == 200
    assert "Jakarta deal" in cards(response)
    assert "Partner deal" in cards(response)
    assert "Shanghai deal" not in cards(response)
    assert "Milan deal" not in cards(response)


def test_a_rep_in_another_unit_sees_other_opportunities_on_the_board(browser, people, deals):
    response = browser(people.shanghai_rep).get(PIPELINE)
    assert cards(response) == ["Shanghai deal"]
    assert "Jakarta deal" not in response.content.decode()


def test_column_headers_count_and_sum_per_currency(browser, people, accounts, deals):
    opportunity(people.rep, accounts.jakarta, name="Euro deal", amount=50, currency="EUR")
    response = browser(people.rep).get(PIPELINE)
    prospecting = column(response, "prospecting")
    assert prospecting.count == 3
    assert prospecting.totals == [("EUR", Decimal("50")), ("USD", Decimal("1400"))]


def test_the_mine_filter_keeps_only_my_opportunities(browser, people, deals):
    response = browser(people.rep).get(PIPELINE, {"mine": "on"})
    assert cards(response) == ["Jakarta deal"]


def test_the_owner_filter_keeps_that_persons_opportunities(browser, people, deals):
    response = browser(people.manager).get(PIPELINE, {"owner": people.shanghai_rep.pk})
    assert cards(response) == ["Shanghai deal"]


def test_the_unit_filter_keeps_that_units_opportunities(browser, people, org, deals):
    response = browser(people.manager).get(PIPELINE, {"unit": org["shanghai"].pk})
    assert cards(response) == ["Shanghai deal"]


def test_closed_opportunities_are_not_cards_but_counted_in_their_drop_zone(
    browser, people, accounts, deals
):
    opportunity(people.rep, accounts.jakarta, name="Won deal", stage="won", amount=10)
    response = browser(people.rep).get(PIPELINE)
    assert "Won deal" not in cards(response)
    assert column(response, "won").count == 1


def test_a_long_column_is_capped_and_says_how_many_more(people, accounts):
    for number in range(5):
        opportunity(
            people.rep,
            accounts.jakarta,
            name=f"Deal {number}",
            expected_close_date=dt.date(2030, 1, 1 + number),
        )
    prospecting = opportunity_pipeline(people.rep, cap=3)[0]
    assert [card.name for card in prospecting.cards] == ["Deal 4", "Deal 3", "Deal 2"]
    assert prospecting.more == 2


def test_a_capped_column_links_to_the_filtered_list(browser, people, accounts, monkeypatch):
    for number in range(3):
        opportunity(people.rep, accounts.jakarta, name=f"Deal {number}")
    monkeypatch.setattr(pipeline, "PIPELINE_CAP", 2)
    response = browser(people.rep).get(PIPELINE, {"mine": "on"})
    body = response.content.decode()
    assert "+1 more" in body
    assert "/opportunities/?stage=prospecting&amp;state=open&amp;mine=on" in body


def board_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PIPELINE)
    assert response.status_code == 200
    return len(queries)


def test_the_board_does_not_query_per_card(browser, people, accounts):
    # One query draws each column that has cards: start with a card in every column.
    for stage in OPEN_STAGES:
        opportunity(people.rep, accounts.jakarta, name=f"First {stage} deal", stage=stage)
    client = browser(people.rep)
    few = board_queries(client)
    for number in range(30):
        opportunity(people.rep, accounts.jakarta, name=f"Deal {number}", stage="proposal")
    assert board_queries(client) == few


def test_only_cards_the_user_may_change_offer_a_move(browser, people, deals):
    body = browser(people.colleague).get(PIPELINE).content.decode()
    assert move_url(deals.jakarta) not in body


def test_the_owner_gets_a_move_form_on_their_card(browser, people, deals):
    body = browser(people.rep).get(PIPELINE).content.decode()
    assert move_url(deals.jakarta) in body


# Moving a card --------------------------------------------------------------------------


def test_moving_a_card_changes_the_stage_and_keeps_the_history(browser, people, deals):
    response = browser(people.rep).post(
        move_url(deals.jakarta), {"stage": "proposal", "version": deals.jakarta.version}, **JSON
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "proposal"
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "proposal"
    assert deals.jakarta.probability == 50
    assert OpportunityStageChange.objects.filter(
        opportunity=deals.jakarta, to_stage="proposal"
    ).exists()


def test_moving_a_card_is_audited(browser, people, deals):
    browser(people.rep).post(move_url(deals.jakarta), {"stage": "proposal"}, **JSON)
    assert AuditEvent.objects.filter(
        action="update", entity="opportunity", object_id=deals.jakarta.pk
    ).exists()


def test_moving_without_javascript_goes_back_to_the_board(browser, people, deals):
    response = browser(people.rep).post(move_url(deals.jakarta), {"stage": "negotiation"})
    assert response.status_code == 302
    assert response.url == PIPELINE
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "negotiation"


def test_a_reader_who_may_not_write_is_refused_with_403(browser, people, deals):
    response = browser(people.colleague).post(
        move_url(deals.jakarta), {"stage": "proposal"}, **JSON
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "You may not change this opportunity."
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "prospecting"


def test_moving_a_card_the_user_cannot_see_answers_404(browser, people, deals):
    response = browser(people.shanghai_rep).post(
        move_url(deals.jakarta), {"stage": "proposal"}, **JSON
    )
    assert response.status_code == 404


def test_a_stale_card_answers_412_with_a_clear_message(browser, people, deals):
    stale = deals.jakarta.version
    Opportunity.objects.filter(pk=deals.jakarta.pk).update(version=stale + 1)
    response = browser(people.rep).post(
        move_url(deals.jakarta), {"stage": "proposal", "version": stale}, **JSON
    )
    assert response.status_code == 412
    assert "changed this opportunity meanwhile" in response.json()["detail"]
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "prospecting"


def test_an_unknown_stage_answers_400_naming_the_field(browser, people, deals):
    response = browser(people.rep).post(move_url(deals.jakarta), {"stage": "dreaming"}, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "stage"


def test_dropping_on_won_asks_for_the_close_form(browser, people, deals):
    response = browser(people.rep).post(move_url(deals.jakarta), {"stage": "won"}, **JSON)
    assert response.json()["close_url"] == close_url(deals.jakarta) + "?outcome=won"
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "prospecting"


# Closing from the board -----------------------------------------------------------------


def test_closing_as_won_sets_the_final_amount(browser, people, deals):
    response = browser(people.rep).post(
        close_url(deals.jakarta),
        {"outcome": "won", "amount": "1250.00", "version": deals.jakarta.version},
        **JSON,
    )
    assert response.status_code == 200
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "won"
    assert deals.jakarta.amount == Decimal("1250.00")
    assert deals.jakarta.probability == 100


def test_closing_as_lost_needs_a_reason(browser, people, deals):
    response = browser(people.rep).post(close_url(deals.jakarta), {"outcome": "lost"}, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "prospecting"


def test_closing_as_lost_keeps_the_reason(browser, people, deals):
    browser(people.rep).post(
        close_url(deals.jakarta), {"outcome": "lost", "reason": "Went with a rival"}, **JSON
    )
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "lost"
    assert deals.jakarta.close_reason == "Went with a rival"


def test_closing_is_refused_for_a_reader_who_may_not_write(browser, people, deals):
    response = browser(people.colleague).post(
        close_url(deals.jakarta), {"outcome": "won", "amount": "5"}, **JSON
    )
    assert response.status_code == 403
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "prospecting"
    assert deals.jakarta.amount == Decimal("1000")


def test_a_refused_close_leaves_the_amount_unchanged(browser, people, deals):
    Opportunity.objects.filter(pk=deals.jakarta.pk).update(stage="lost")
    response = browser(people.rep).post(
        close_url(deals.jakarta), {"outcome": "won", "amount": "5"}, **JSON
    )
    assert response.status_code == 409
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.amount == Decimal("1000")


def test_the_close_page_works_without_javascript(browser, people, deals):
    client = browser(people.rep)
    page = client.get(close_url(deals.jakarta), {"outcome": "lost"})
    assert page.status_code == 200
    response = client.post(close_url(deals.jakarta), {"outcome": "lost", "reason": "Budget"})
    assert response.status_code == 302
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.stage == "lost"


def test_the_close_page_of_a_hidden_opportunity_answers_404(browser, people, deals):
    response = browser(people.milan_rep).get(close_url(deals.jakarta))
    assert response.status_code == 404


# The journey ----------------------------------------------------------------------------


def test_a_rep_qualifies_a_lead_and_wins_the_opportunity_through_the_pipeline(
    browser, people, leads
):
    client = browser(people.rep)
    client.post(
        f"/leads/{leads.jakarta.pk}/qualify/",
        {"qualify-create_opportunity": "on", "qualify-amount": "800", "qualify-currency": "IDR"},
    )
    leads.jakarta.refresh_from_db()
    deal = leads.jakarta.opportunity
    assert deal.name in cards(client.get(PIPELINE))
    for stage in ("qualification", "proposal", "negotiation"):
        deal.refresh_from_db()
        client.post(move_url(deal), {"stage": stage, "version": deal.version}, **JSON)
    deal.refresh_from_db()
    client.post(
        close_url(deal), {"outcome": "won", "amount": "900", "version": deal.version}, **JSON
    )
    deal.refresh_from_db()
    assert (deal.stage, deal.amount) == ("won", Decimal("900.00"))
    assert list(
        OpportunityStageChange.objects.filter(opportunity=deal)
        .order_by("pk")
        .values_list("to_stage", flat=True)
    ) == ["prospecting", "qualification", "proposal", "negotiation", "won"]
    assert deal.name not in cards(client.get(PIPELINE))
