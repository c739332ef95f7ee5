"""/api/v1 for service levels: policies and calendars (writes need manage_routing), breaches
filtered by what the caller may read, and each record's SLA view."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sla.conftest import (
    MONDAY_9_JAKARTA,
    calendar,
    case_at,
    lead_at,
    sla_policy,
    speed_policy,
)
from trellis.audit.models import AuditEvent
from trellis.sla.models import BusinessCalendar, SlaPolicy
from trellis.sla.services import sla_check

LATER = MONDAY_9_JAKARTA + dt.timedelta(hours=2)
POLICY = {"name": "High cases", "priority": "high", "first_response_minutes": 30}
CALENDAR = {
    "name": "Milan office",
    "time_zone": "Europe/Rome",
    "weekdays": [0, 1, 2, 3, 4],
    "start_time": "09:00",
    "end_time": "18:00",
    "holidays": ["2026-12-25"],
}


@pytest.fixture
def manager_api(api, people):
    return api(people.manager)


@pytest.fixture
def rep_api(api, people):
    return api(people.rep)


# Policies and calendars.


def test_anyone_signed_in_reads_the_sla_policies(rep_api):
    sla_policy(priority="high")
    response = rep_api.get("/api/v1/sla-policies")
    assert response.status_code == 200
    assert [item["priority"] for item in response.json()["items"]] == ["high"]


def test_reading_policies_needs_a_sign_in(client):
    assert client.get("/api/v1/sla-policies").status_code == 401


def test_a_routing_manager_creates_an_sla_policy(manager_api):
    response = manager_api.post("/api/v1/sla-policies", POLICY)
    assert response.status_code == 201
    assert SlaPolicy.objects.get().first_response_minutes == 30


def test_creating_a_policy_is_audited(manager_api, people):
    manager_api.post("/api/v1/sla-policies", POLICY)
    assert AuditEvent.objects.filter(action="create", entity="slapolicy", actor=people.manager)


def test_a_rep_may_not_create_an_sla_policy(rep_api):
    response = rep_api.post("/api/v1/sla-policies", POLICY)
    assert response.status_code == 403
    assert not SlaPolicy.objects.exists()


def test_a_second_active_policy_for_the_same_priority_is_a_conflict(manager_api):
    sla_policy(priority="high")
    response = manager_api.post("/api/v1/sla-policies", POLICY)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "priority"


def test_a_policy_without_any_target_is_refused(manager_api):
    response = manager_api.post("/api/v1/sla-policies", {"name": "Empty", "priority": "low"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "first_response_minutes"


def test_business_hours_without_a_calendar_is_refused(manager_api):
    response = manager_api.post("/api/v1/sla-policies", {**POLICY, "business_hours": True})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "calendar_id"


def test_an_unknown_calendar_is_404_naming_the_field(manager_api):
    response = manager_api.post("/api/v1/sla-policies", {**POLICY, "calendar_id": 999})
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "calendar_id"


def test_an_unknown_priority_is_422_naming_the_field(manager_api):
    response = manager_api.post("/api/v1/sla-policies", {**POLICY, "priority": "asap"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "priority"


def test_a_policy_is_updated_with_its_version(manager_api):
    policy = sla_policy(priority="high")
    response = manager_api.patch(
        f"/api/v1/sla-policies/{policy.pk}",
        {"first_response_minutes": 20},
        headers={"If-Match": str(policy.version)},
    )
    assert response.status_code == 200
    assert response.json()["version"] == policy.version + 1


def test_a_stale_version_is_412(manager_api):
    policy = sla_policy(priority="high")
    response = manager_api.patch(
        f"/api/v1/sla-policies/{policy.pk}",
        {"first_response_minutes": 20},
        headers={"If-Match": str(policy.version + 1)},
    )
    assert response.status_code == 412


def test_a_rep_may_not_change_a_policy(rep_api):
    policy = sla_policy(priority="high")
    response = rep_api.patch(f"/api/v1/sla-policies/{policy.pk}", {"name": "Mine"})
    assert response.status_code == 403


def test_a_policy_is_deleted(manager_api):
    policy = sla_policy(priority="high")
    assert manager_api.delete(f"/api/v1/sla-policies/{policy.pk}").status_code == 204
    assert not SlaPolicy.objects.exists()


def test_a_missing_policy_is_404(manager_api):
    assert manager_api.get("/api/v1/sla-policies/999").status_code == 404


def test_a_routing_manager_creates_a_speed_to_lead_policy(manager_api):
    response = manager_api.post(
        "/api/v1/speed-to-lead-policies",
        {"name": "Web leads", "source": "web_form", "hours": 2, "notify": ["owner"]},
    )
    assert response.status_code == 201
    assert response.json()["notify"] == ["owner"]


def test_a_rep_may_not_create_a_speed_to_lead_policy(rep_api):
    response = rep_api.post("/api/v1/speed-to-lead-policies", {"name": "Mine", "hours": 2})
    assert response.status_code == 403


def test_a_routing_manager_creates_a_calendar(manager_api):
    response = manager_api.post("/api/v1/business-calendars", CALENDAR)
    assert response.status_code == 201
    assert response.json()["holidays"] == ["2026-12-25"]


def test_a_calendar_needs_a_real_time_zone(manager_api):
    response = manager_api.post(
        "/api/v1/business-calendars", {**CALENDAR, "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "time_zone"


def test_a_calendar_must_end_after_it_starts(manager_api):
    response = manager_api.post("/api/v1/business-calendars", {**CALENDAR, "end_time": "08:00"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "end_time"


def test_a_calendar_update_with_a_stale_version_is_412(manager_api):
    office = calendar()
    response = manager_api.patch(
        f"/api/v1/business-calendars/{office.pk}",
        {"end_time": "16:00"},
        headers={"If-Match": "7"},
    )
    assert response.status_code == 412


def test_a_calendar_in_use_cannot_be_deleted(manager_api):
    office = calendar()
    sla_policy(business_hours=True, calendar=office)
    response = manager_api.delete(f"/api/v1/business-calendars/{office.pk}")
    assert response.status_code == 409
    assert BusinessCalendar.objects.filter(pk=office.pk).exists()


def test_a_rep_reads_calendars_but_may_not_create_one(rep_api):
    calendar()
    assert len(rep_api.get("/api/v1/business-calendars").json()["items"]) == 1
    assert rep_api.post("/api/v1/business-calendars", CALENDAR).status_code == 403


# Breaches and each record's SLA.


@pytest.fixture
def breaches(people):
    """A first-response breach on a Jakarta case and on a Milan case."""
    sla_policy(priority="normal", first_response_minutes=60, resolution_minutes=None)
    jakarta = case_at(people.rep, MONDAY_9_JAKARTA)
    milan = case_at(people.milan_rep, MONDAY_9_JAKARTA)
    sla_check(now=LATER)
    return jakarta, milan


def test_breaches_list_only_records_the_caller_may_read(api, people, breaches):
    jakarta, milan = breaches
    items = api(people.rep).get("/api/v1/sla-events").json()["items"]
    assert [item["record_id"] for item in items] == [jakarta.pk]


def test_another_user_sees_other_breaches(api, people, breaches):
    jakarta, milan = breaches
    items = api(people.milan_rep).get("/api/v1/sla-events").json()["items"]
    assert [item["record_id"] for item in items] == [milan.pk]


def test_breaches_filter_by_entity(api, people, breaches):
    items = api(people.rep).get("/api/v1/sla-events", {"entity": "lead"}).json()["items"]
    assert items == []


def test_breaches_filter_by_moment(api, people, breaches):
    since = (LATER + dt.timedelta(days=3650)).isoformat()
    items = api(people.rep).get("/api/v1/sla-events", {"since": since}).json()["items"]
    assert items == []


def test_an_unknown_kind_is_422(rep_api, breaches):
    response = rep_api.get("/api/v1/sla-events", {"kind": "late"})
    assert response.status_code == 422


def test_a_cases_sla_shows_its_due_times_and_breaches(rep_api, breaches):
    jakarta, _ = breaches
    body = rep_api.get(f"/api/v1/cases/{jakarta.pk}/sla").json()
    assert body["first_response"] == "overdue"
    assert [breach["kind"] for breach in body["breaches"]] == ["first_response"]


def test_the_sla_of_a_case_the_caller_may_not_read_is_404(rep_api, breaches):
    _, milan = breaches
    assert rep_api.get(f"/api/v1/cases/{milan.pk}/sla").status_code == 404


def test_the_sla_of_a_missing_case_is_404(rep_api):
    assert rep_api.get("/api/v1/cases/999999/sla").status_code == 404


def test_a_leads_sla_shows_when_it_must_be_contacted(api, people):
    speed_policy(hours=4)
    lead = lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    body = api(people.sales_rep).get(f"/api/v1/leads/{lead.pk}/sla").json()
    assert body["first_contact_due_at"] == "2026-03-02T06:00:00Z"


def test_the_sla_of_a_lead_the_caller_may_not_read_is_404(api, people):
    speed_policy(hours=4)
    lead = lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    assert api(people.milan_rep).get(f"/api/v1/leads/{lead.pk}/sla").status_code == 404
