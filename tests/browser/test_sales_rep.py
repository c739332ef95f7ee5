"""A sales rep qualifies a lead and drags the new opportunity along the pipeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.browser import data
from trellis.sales.models import Lead, Opportunity

pytestmark = pytest.mark.browser


def column(page, stage: str):
    return page.locator(f'#pipeline-board section.pipeline-column[data-stage="{stage}"]')


def drag(page, card_id: str, stage: str) -> None:
    """Drag the card onto the stage's column with the mouse and wait for the server's
    answer and the board's reload."""
    with (
        page.expect_response(lambda r: r.url.endswith("/move/")) as moved,
        page.expect_response(lambda r: r.url.endswith("/opportunities/pipeline/")),
    ):
        page.locator(card_id).drag_to(column(page, stage).locator("header"))
    assert moved.value.status == 200, moved.value.text()


def test_a_rep_qualifies_a_lead_and_moves_the_opportunity_through_the_pipeline(org, journey):
    rep = factories.user(
        "rina", unit=org["jakarta"], roles=["Sales Representative"], first_name="Rina"
    )
    colleague = factories.user("andi", unit=org["jakarta"], roles=["Sales Representative"])
    data.lead(rep, "Budi", "Santoso", company_name="PT Maju Jaya", email="budi@majujaya.example")
    # A colleague's deal in the same unit: Rina sees it on the board but may not move it.
    other = data.opportunity(
        colleague, factories.account(colleague, name="PT Lain"), "Colleague deal", 900
    )
    demo = data.meeting_today(rep, "Demo at PT Maju Jaya")
    data.meeting_today(colleague, "Andi's dentist")
    j = journey("sales-rep")
    page = j.page()
    j.login(page, "rina")

    j.visit(page, "/leads/", "leads")
    page.get_by_role("link", name="Budi Santoso").click()
    j.shot(page, "lead")
    page.fill("#id_qualify-opportunity_name", "Maju Jaya fleet")
    page.fill("#id_qualify-amount", "50000")
    page.fill("#id_qualify-currency", "USD")
    page.get_by_role("button", name="Qualify lead", exact=True).click()
    page.wait_for_url("**/leads/*/")
    assert "Lead qualified." in page.locator(".messages").inner_text()
    became = page.locator("section[aria-labelledby=became-title]")
    assert "PT Maju Jaya" in became.inner_text()
    j.shot(page, "lead-qualified")

    lead = Lead.objects.get(last_name="Santoso")
    assert lead.status == "qualified"
    deal = Opportunity.objects.get(name="Maju Jaya fleet")
    assert (deal.owner_user, deal.stage, deal.account.name) == (rep, "prospecting", "PT Maju Jaya")
    assert lead.opportunity_id == deal.pk

    became.get_by_role("link", name="Maju Jaya fleet").click()
    page.wait_for_url(f"**/opportunities/{deal.pk}/")
    assert page.locator("h1").inner_text() == "Maju Jaya fleet"
    j.shot(page, "opportunity")
    j.visit(page, "/opportunities/", "opportunities")
    assert page.get_by_role("link", name="Maju Jaya fleet").count() == 1
    j.visit(page, f"/accounts/{deal.account_id}/", "account")
    j.visit(page, "/accounts/", "accounts")
    j.visit(page, "/contacts/", "contacts")
    page.get_by_role("link", name="Santoso, Budi").click()
    j.shot(page, "contact")

    j.visit(page, "/opportunities/pipeline/", "pipeline")
    card = f"#opportunity-card-{deal.pk}"
    assert column(page, "prospecting").locator(card).count() == 1
    # Another rep's card is on the board but cannot be dragged.
    assert page.locator(f"#opportunity-card-{other.pk}").get_attribute("draggable") is None

    drag(page, card, "qualification")
    assert column(page, "qualification").locator(card).count() == 1
    assert column(page, "prospecting").locator(card).count() == 0
    assert Opportunity.objects.get(pk=deal.pk).stage == "qualification"

    drag(page, card, "proposal")
    assert column(page, "proposal").locator(card).count() == 1
    j.shot(page, "pipeline-moved")
    assert Opportunity.objects.get(pk=deal.pk).stage == "proposal"

    page.reload()
    assert column(page, "proposal").locator(card).count() == 1
    assert column(page, "qualification").locator(card).count() == 0
    assert column(page, "proposal").locator("[data-count]").inner_text() == "1"
    j.shot(page, "pipeline-reloaded")
    j.visit(page, "/calendar/", "calendar")
    calendar = page.locator("#main").inner_text()
    assert "Demo at PT Maju Jaya" in calendar
    assert "Andi's dentist" not in calendar

    # In the day view the rep drags the demo from 10:00 to the 14:00 row; it keeps its hour
    # of length and stays there after a reload.
    today = timezone.localdate()
    j.visit(page, f"/calendar/?view=day&date={today:%Y-%m-%d}", "calendar-day")
    slot = page.locator(
        f'#calendar-grid td.cal-slot[data-date="{today:%Y-%m-%d}"][data-time="14:00"]'
    )
    with (
        page.expect_response(
            lambda r: r.url.endswith(f"/activities/{demo.pk}/reschedule/")
        ) as moved,
        page.expect_response(lambda r: "/calendar/" in r.url and r.request.method == "GET"),
    ):
        page.locator(f'#calendar-grid li.cal-item[data-id="{demo.pk}"]').first.drag_to(slot)
    assert moved.value.status == 200, moved.value.text()
    assert slot.locator(f'li.cal-item[data-id="{demo.pk}"]').count() == 1
    demo.refresh_from_db()
    assert timezone.localtime(demo.start_at).hour == 14
    assert demo.end_at - demo.start_at == dt.timedelta(hours=1)
    page.reload()
    assert slot.locator(f'li.cal-item[data-id="{demo.pk}"]').count() == 1
    j.shot(page, "calendar-moved")
