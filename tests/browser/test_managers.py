"""The sales manager's team figures follow a reassignment; the executive's organization
dashboard adds the business units up."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests import factories
from tests.browser import data
from trellis.sales.models import Lead

pytestmark = pytest.mark.browser


def number(text: str) -> Decimal:
    """A dashboard figure as a number ("50,000.00" → 50000)."""
    cleaned = re.sub(r"[^0-9.\-]", "", text)
    return Decimal(cleaned or "0")


def workload(page) -> dict[str, int]:
    """Open leads per person in the sales manager's "Workload per rep" table."""
    counts = {}
    for row in page.locator("#workload table tbody tr").all():
        counts[row.locator("th").inner_text().strip()] = int(row.locator("td").first.inner_text())
    return counts


def test_a_sales_manager_reassigns_a_lead_and_sees_the_team_figure_change(org, journey):
    rep = "Sales Representative"
    rina = factories.user("rina", unit=org["jakarta"], roles=[rep], first_name="Rina")
    andi = factories.user("andi", unit=org["jakarta"], roles=[rep], first_name="Andi")
    factories.user("maya", unit=org["jakarta"], roles=["Sales Manager"], first_name="Maya")
    marta = factories.user("marta", unit=org["milan"], roles=[rep], first_name="Marta")
    moved = data.lead(rina, "Dewi", "Kusuma", company_name="CV Kusuma")
    data.lead(rina, "Eko", "Prasetyo", company_name="PT Prasetyo")
    data.lead(andi, "Fajar", "Nugroho", company_name="PT Nugroho")
    data.lead(marta, "Giulia", "Bianchi", company_name="Bianchi Srl")

    j = journey("sales-manager")
    page = j.page()
    j.login(page, "maya")
    assert workload(page) == {"Rina": 2, "Andi": 1}  # Milan's rep is outside Maya's unit

    j.visit(page, "/leads/", "leads")
    leads = page.locator("#main").inner_text()
    assert "Kusuma" in leads
    assert "Bianchi" not in leads
    j.visit(page, f"/leads/{moved.pk}/", "lead")
    page.locator("#id_assign-owner_user").select_option(str(andi.pk))
    page.locator("section[aria-labelledby=assign-title]").get_by_role(
        "button", name="Assign"
    ).click()
    page.wait_for_url(f"**/leads/{moved.pk}/")
    assert "Assigned to Andi." in page.locator(".messages").inner_text()
    j.shot(page, "lead-assigned")
    assert Lead.objects.get(pk=moved.pk).owner_user == andi

    j.visit(page, "/", "dashboard-after")
    assert workload(page) == {"Rina": 1, "Andi": 2}
    j.visit(page, "/campaigns/", "campaigns")
    j.visit(page, "/reports/", "reports")

    # The rep herself gets her personal dashboard, without the team's figures.
    rep_page = j.page()
    j.login(rep_page, "rina")
    assert rep_page.locator("#workload").count() == 0


def test_an_executive_sees_the_units_add_up_to_the_organization(org, journey):
    rep = "Sales Representative"
    csr = "Customer Service Representative"
    jakarta = factories.user("rina", unit=org["jakarta"], roles=[rep])
    shanghai = factories.user("li", unit=org["shanghai"], roles=[rep])
    milan = factories.user("marta", unit=org["milan"], roles=[rep])
    factories.user("eko", unit=org["root"], roles=["Executive"], first_name="Eko")
    data.opportunity(jakarta, factories.account(jakarta), "Jakarta deal", 1000)
    data.opportunity(shanghai, factories.account(shanghai), "Shanghai deal", 1500)
    data.opportunity(milan, factories.account(milan), "Milan deal", 2000)
    agent = factories.user("sari", unit=org["jakarta"], roles=[csr])
    data.case(agent, "Jakarta case one")
    data.case(agent, "Jakarta case two")
    data.case(factories.user("marco", unit=org["milan"], roles=[csr]), "Milan case")

    j = journey("executive")
    page = j.page()
    j.login(page, "eko")
    units = {}
    for row in page.locator("#by_unit table tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        units[row.locator("th").inner_text().strip()] = (number(cells[0]), int(cells[2]))
    assert units == {"Asia-Pacific": (Decimal(2500), 2), "Europe": (Decimal(2000), 1)}

    totals = {
        stat.locator(".stat-label").inner_text(): stat.locator(".stat-value").inner_text()
        for stat in page.locator("#totals .stat").all()
    }
    assert number(totals["Open pipeline"]) == sum(pipeline for pipeline, _ in units.values())
    assert int(totals["Open cases"]) == sum(cases for _, cases in units.values())
    j.visit(page, "/opportunities/", "opportunities")
    assert page.get_by_role("link", name="Milan deal").count() == 1
    j.visit(page, "/reports/", "reports")
