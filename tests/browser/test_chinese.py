"""A user whose language is Simplified Chinese gets translated pages (and CJK fonts)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests import factories
from tests.browser import data
from tests.browser.conftest import nav_labels

pytestmark = pytest.mark.browser
NAV = ["Home", "Accounts", "Contacts", "Leads", "Opportunities", "Cases", "Campaigns", "Calendar"]


def chinese(english: str) -> str:
    """The catalog's translation; it must exist, or the test would prove nothing."""
    with translation.override("zh-hans"):
        translated = translation.gettext(english)
    assert translated != english, f"no Chinese for {english!r}"
    return translated


def test_a_chinese_speaking_rep_gets_chinese_pages(org, journey):
    rep = factories.user(
        "wang",
        unit=org["shanghai"],
        roles=["Sales Representative"],
        first_name="Wang",
        ui_language="zh-hans",
    )
    lead = data.lead(rep, "Li", "Na", company_name="Shanghai Silk")
    j = journey("chinese")
    page = j.page()
    j.login(page, "wang")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    labels = nav_labels(page)
    assert labels[: len(NAV)] == [chinese(label) for label in NAV]
    assert "Leads" not in labels
    assert chinese("Hello, %(name)s") % {"name": "Wang"} in page.locator("h1").inner_text()
    assert chinese("Sign out") in page.locator(".site-header").inner_text()

    j.visit(page, "/leads/", "leads")
    assert page.locator("h1").inner_text() == chinese("Leads")
    assert "Shanghai Silk" in page.locator("#main").inner_text()
    j.visit(page, f"/leads/{lead.pk}/", "lead")
    assert page.locator("#details-title").inner_text() == chinese("Details")
    assert page.locator("#qualify-title").inner_text() == chinese("Qualify")
    main = page.locator("#main").inner_text()
    assert chinese("Company") in main
    assert not [word for word in ("Details", "Company", "Qualify lead") if word in main]
    j.visit(page, "/calendar/", "calendar")
    assert page.locator("h1").inner_text() == chinese("Calendar")
    assert chinese("Today") in page.locator("#main").inner_text()
