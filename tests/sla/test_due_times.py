"""Due times are set when a case is opened and follow changes of its priority or type."""

from __future__ import annotations

import datetime as dt

from tests.sla.conftest import MONDAY_9_JAKARTA, calendar, case_at, sla_policy
from trellis.service import services as case_services
from trellis.service.models import Case


def test_a_new_case_gets_due_times_from_its_prioritys_policy(people):
    sla_policy(priority="high", first_response_minutes=30, resolution_minutes=240)
    case = case_at(people.rep, MONDAY_9_JAKARTA, priority="high")
    case.refresh_from_db()
    assert case.first_response_due_at == MONDAY_9_JAKARTA + dt.timedelta(minutes=30)
    assert case.resolve_due_at == MONDAY_9_JAKARTA + dt.timedelta(minutes=240)


def test_case_create_returns_the_case_with_its_due_times(people):
    sla_policy(priority="normal", first_response_minutes=60)
    case = case_services.case_create(people.rep, subject="Printer jam")
    assert case.first_response_due_at == case.created_at + dt.timedelta(minutes=60)


def test_a_case_without_a_policy_has_no_due_times(people):
    sla_policy(priority="urgent")
    case = case_at(people.rep, MONDAY_9_JAKARTA, priority="low")
    case.refresh_from_db()
    assert (case.first_response_due_at, case.resolve_due_at) == (None, None)


def test_a_policy_without_a_resolution_target_leaves_resolution_open(people):
    sla_policy(priority="normal", first_response_minutes=60, resolution_minutes=None)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    case.refresh_from_db()
    assert case.resolve_due_at is None


def test_a_policy_for_the_case_type_wins_over_the_general_one(people):
    sla_policy(priority="normal", first_response_minutes=60)
    sla_policy(
        name="Complaints", priority="normal", case_type="complaint", first_response_minutes=15
    )
    case = case_at(people.rep, MONDAY_9_JAKARTA, type="complaint")
    case.refresh_from_db()
    assert case.first_response_due_at == MONDAY_9_JAKARTA + dt.timedelta(minutes=15)


def test_inactive_policies_set_no_due_times(people):
    sla_policy(priority="normal", is_active=False)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    case.refresh_from_db()
    assert case.first_response_due_at is None


def test_business_hours_policies_count_working_time_only(people):
    office = calendar()
    sla_policy(priority="normal", resolution_minutes=9 * 60, business_hours=True, calendar=office)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    case.refresh_from_db()
    # Eight hours on Monday, the ninth on Tuesday from 09:00 Jakarta (02:00 UTC).
    assert case.resolve_due_at == dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)


def test_raising_the_priority_recomputes_the_due_times_from_the_opening(people):
    sla_policy(priority="normal", first_response_minutes=60)
    sla_policy(priority="urgent", first_response_minutes=10)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    case_services.case_update(people.rep, case=case, priority="urgent")
    case.refresh_from_db()
    assert case.first_response_due_at == MONDAY_9_JAKARTA + dt.timedelta(minutes=10)


def test_changing_the_type_recomputes_the_due_times(people):
    sla_policy(priority="normal", first_response_minutes=60)
    sla_policy(
        name="Complaints", priority="normal", case_type="complaint", first_response_minutes=15
    )
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    case_services.case_update(people.rep, case=case, type="complaint")
    case.refresh_from_db()
    assert case.first_response_due_at == MONDAY_9_JAKARTA + dt.timedelta(minutes=15)


def test_lowering_the_priority_to_one_without_a_policy_clears_the_due_times(people):
    sla_policy(priority="normal", first_response_minutes=60)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    case_services.case_update(people.rep, case=case, priority="low")
    case.refresh_from_db()
    assert case.first_response_due_at is None


def test_other_edits_keep_the_due_times(people):
    policy = sla_policy(priority="normal", first_response_minutes=60)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    policy.first_response_minutes = 5
    policy.save()
    case_services.case_update(people.rep, case=case, subject="Renamed")
    case.refresh_from_db()
    assert case.first_response_due_at == MONDAY_9_JAKARTA + dt.timedelta(minutes=60)


def test_due_times_given_when_opening_are_kept(people):
    sla_policy(priority="normal", first_response_minutes=60)
    given = MONDAY_9_JAKARTA + dt.timedelta(days=2)
    case = case_at(people.rep, MONDAY_9_JAKARTA, first_response_due_at=given)
    assert Case.objects.get(pk=case.pk).first_response_due_at == given
