"""Service-level pages (for manage_routing holders) and the SLA box on case and lead pages."""

from __future__ import annotations

import datetime as dt

from tests.sla.conftest import (
    MONDAY_9_JAKARTA,
    calendar,
    case_at,
    lead_at,
    sla_policy,
    speed_policy,
)
from trellis.sla.models import BusinessCalendar, SlaPolicy, SpeedToLeadPolicy
from trellis.sla.services import sla_check


def test_a_routing_manager_sees_the_policies(browser, people):
    sla_policy(name="Normal cases")
    response = browser(people.manager).get("/service-levels/")
    assert response.status_code == 200
    assert "Normal cases" in response.content.decode()


def test_a_rep_may_not_open_the_policies_page(browser, people):
    assert browser(people.rep).get("/service-levels/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/service-levels/").status_code == 302


def test_a_routing_manager_creates_a_policy_from_the_form(browser, people):
    response = browser(people.manager).post(
        "/service-levels/sla/new/",
        {
            "name": "Urgent cases",
            "priority": "urgent",
            "first_response_minutes": "15",
            "reassign_to": "manager",
            "notify": ["owner", "manager"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.reassign_to, policy.notify) == ("manager", ["owner", "manager"])


def test_a_clashing_policy_shows_the_error_on_the_form(browser, people):
    sla_policy(priority="urgent")
    response = browser(people.manager).post(
        "/service-levels/sla/new/",
        {
            "name": "Again",
            "priority": "urgent",
            "first_response_minutes": "15",
            "is_active": "on",
            "reassign_to": "none",
        },
    )
    assert response.status_code == 409
    assert "already covers" in response.content.decode()


def test_a_rep_may_not_post_a_policy(browser, people):
    response = browser(people.rep).post(
        "/service-levels/sla/new/",
        {"name": "Mine", "priority": "low", "first_response_minutes": "15", "reassign_to": "none"},
    )
    assert response.status_code == 403
    assert not SlaPolicy.objects.exists()


def test_a_policy_is_edited_with_its_version(browser, people):
    policy = sla_policy(priority="high")
    response = browser(people.manager).post(
        f"/service-levels/sla/{policy.pk}/",
        {
            "name": "High, faster",
            "priority": "high",
            "first_response_minutes": "10",
            "reassign_to": "none",
            "is_active": "on",
            "version": str(policy.version),
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.first_response_minutes == 10


def test_an_edit_over_a_newer_version_is_refused(browser, people):
    policy = sla_policy(priority="high")
    response = browser(people.manager).post(
        f"/service-levels/sla/{policy.pk}/",
        {
            "name": "Late",
            "priority": "high",
            "first_response_minutes": "10",
            "reassign_to": "none",
            "version": "9",
        },
    )
    assert response.status_code == 412


def test_a_policy_is_deleted_after_confirming(browser, people):
    policy = sla_policy(priority="high")
    client = browser(people.manager)
    assert client.get(f"/service-levels/sla/{policy.pk}/delete/").status_code == 200
    assert client.post(f"/service-levels/sla/{policy.pk}/delete/").status_code == 302
    assert not SlaPolicy.objects.exists()


def test_a_speed_to_lead_policy_is_created_from_the_form(browser, people):
    response = browser(people.manager).post(
        "/service-levels/speed-to-lead/new/",
        {
            "name": "Call web leads",
            "source": "web_form",
            "hours": "2",
            "reassign_to": "none",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert SpeedToLeadPolicy.objects.get().hours == 2


def test_a_calendar_is_created_from_the_form(browser, people):
    response = browser(people.manager).post(
        "/service-levels/calendars/new/",
        {
            "name": "Jakarta office",
            "time_zone": "Asia/Jakarta",
            "weekdays": ["0", "1", "2", "3", "4"],
            "start_time": "08:30",
            "end_time": "17:00",
            "holidays": "2026-08-17\n2026-12-25",
        },
    )
    assert response.status_code == 302
    assert BusinessCalendar.objects.get().holidays == ["2026-08-17", "2026-12-25"]


def test_a_bad_holiday_is_shown_on_the_field(browser, people):
    response = browser(people.manager).post(
        "/service-levels/calendars/new/",
        {
            "name": "X",
            "time_zone": "UTC",
            "weekdays": ["0"],
            "start_time": "09:00",
            "end_time": "17:00",
            "holidays": "someday",
        },
    )
    assert response.status_code == 400
    assert "someday is not a date" in response.content.decode()


def test_a_calendar_in_use_is_not_deleted(browser, people):
    office = calendar()
    sla_policy(business_hours=True, calendar=office)
    response = browser(people.manager).post(f"/service-levels/calendars/{office.pk}/delete/")
    assert response.status_code == 409
    assert BusinessCalendar.objects.exists()


def test_a_missing_policy_page_is_404(browser, people):
    assert browser(people.manager).get("/service-levels/sla/999/").status_code == 404


# The SLA box.


def test_the_case_page_shows_its_breach(browser, people):
    sla_policy(priority="normal", first_response_minutes=60, resolution_minutes=None)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    sla_check(now=MONDAY_9_JAKARTA + dt.timedelta(hours=2))
    page = browser(people.rep).get(f"/cases/{case.pk}/").content.decode()
    assert 'id="case-sla"' in page
    assert "Overdue" in page


def test_the_case_page_of_someone_else_stays_404(browser, people):
    sla_policy(priority="normal")
    case = case_at(people.milan_rep, MONDAY_9_JAKARTA)
    assert browser(people.rep).get(f"/cases/{case.pk}/").status_code == 404


def test_the_lead_page_shows_when_to_contact_the_lead(browser, people):
    speed_policy(hours=4)
    lead = lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    page = browser(people.sales_rep).get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="lead-sla"' in page


def test_an_escalation_shows_on_the_cases_timeline(browser, people):
    sla_policy(priority="normal", first_response_minutes=60, resolution_minutes=None)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    sla_check(now=MONDAY_9_JAKARTA + dt.timedelta(hours=2))
    page = browser(people.rep).get(f"/timeline/case/{case.pk}/").content.decode()
    assert '<span class="badge">escalated</span>' in page


def test_the_new_setting_forms_open_for_a_routing_manager(browser, people):
    client = browser(people.manager)
    for path in (
        "/service-levels/sla/new/",
        "/service-levels/speed-to-lead/new/",
        "/service-levels/calendars/new/",
    ):
        assert client.get(path).status_code == 200, path


def test_the_edit_forms_show_the_current_values(browser, people):
    office = calendar(name="Jakarta office")
    policy = speed_policy(name="Call within four hours", business_hours=True, calendar=office)
    page = browser(people.manager).get(f"/service-levels/speed-to-lead/{policy.pk}/")
    assert 'value="Call within four hours"' in page.content.decode()
    page = browser(people.manager).get(f"/service-levels/calendars/{office.pk}/")
    assert 'value="Jakarta office"' in page.content.decode()


def test_a_rep_may_not_open_an_edit_form(browser, people):
    policy = sla_policy(priority="high")
    assert browser(people.rep).get(f"/service-levels/sla/{policy.pk}/").status_code == 403
