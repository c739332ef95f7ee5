"""The worker's check: breaches found once, escalated as the policy says, audited."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from tests import factories
from tests.sla.conftest import (
    MONDAY_9_JAKARTA,
    calendar,
    case_at,
    join,
    lead_at,
    sla_policy,
    speed_policy,
)
from trellis.audit.models import AuditEvent
from trellis.notifications.models import Notification
from trellis.sales import services as lead_services
from trellis.service import services as case_services
from trellis.service.models import Case
from trellis.sla.models import SlaEvent, SpeedToLeadPolicy
from trellis.sla.services import sla_check

HOUR = dt.timedelta(hours=1)
LATER = MONDAY_9_JAKARTA + 2 * HOUR


def overdue_case(people, **policy):
    """A normal case owned by the rep whose first response was due at 10:00 (Jakarta)."""
    sla_policy(priority="normal", first_response_minutes=60, resolution_minutes=480, **policy)
    return case_at(people.rep, MONDAY_9_JAKARTA)


def test_an_overdue_first_response_is_recorded_as_a_breach(people):
    case = overdue_case(people)
    sla_check(now=LATER)
    event = SlaEvent.objects.get()
    assert (event.entity, event.record_id, event.kind) == ("case", case.pk, "first_response")
    assert event.due_at == MONDAY_9_JAKARTA + HOUR


def test_a_case_not_yet_due_is_not_a_breach(people):
    overdue_case(people)
    sla_check(now=MONDAY_9_JAKARTA + dt.timedelta(minutes=59))
    assert not SlaEvent.objects.exists()


def test_running_the_check_twice_records_the_breach_once(people):
    overdue_case(people)
    sla_check(now=LATER)
    second = sla_check(now=LATER + HOUR)
    assert second == []
    assert SlaEvent.objects.count() == 1


def test_running_the_check_twice_escalates_once(people):
    overdue_case(people, notify=["owner"])
    sla_check(now=LATER)
    sla_check(now=LATER + HOUR)
    assert Notification.objects.count() == 1


def test_a_case_answered_in_time_is_not_a_breach(people):
    case = overdue_case(people)
    case_services.case_set_status(people.rep, case=case, status="in_progress")
    sla_check(now=LATER)
    assert not SlaEvent.objects.exists()


def test_a_resolved_case_is_ignored_after_its_resolution_was_due(people):
    case = overdue_case(people)
    case_services.case_resolve(people.rep, case=case, resolution="Fixed")
    sla_check(now=MONDAY_9_JAKARTA + 24 * HOUR)
    assert not SlaEvent.objects.exists()


def test_an_overdue_resolution_is_its_own_breach(people):
    case = overdue_case(people)
    case_services.case_set_status(people.rep, case=case, status="in_progress")
    sla_check(now=MONDAY_9_JAKARTA + 9 * HOUR)
    assert list(SlaEvent.objects.values_list("kind", flat=True)) == ["resolution"]


def test_a_breach_is_on_the_cases_timeline_as_a_system_escalation(people):
    case = overdue_case(people)
    sla_check(now=LATER)
    event = AuditEvent.objects.get(entity="case", object_id=case.pk, action="escalate")
    assert event.actor_repr == "system"
    assert event.changes["sla_breach"] == [None, "first_response"]


def test_reassign_to_team_leader_gives_the_case_to_the_owners_team_leader(people):
    case = overdue_case(people, reassign_to="team_leader")
    sla_check(now=LATER)
    case.refresh_from_db()
    assert case.owner_user == people.leader


def test_reassign_to_manager_gives_the_case_to_the_owners_manager(people):
    case = overdue_case(people, reassign_to="manager")
    sla_check(now=LATER)
    case.refresh_from_db()
    assert case.owner_user == people.boss


def test_the_reassignment_is_recorded_on_the_breach(people):
    overdue_case(people, reassign_to="manager")
    sla_check(now=LATER)
    assert SlaEvent.objects.get().actions["reassigned_to"] == people.boss.pk


def test_the_reassignment_is_audited_as_a_system_assign(people):
    case = overdue_case(people, reassign_to="manager")
    sla_check(now=LATER)
    event = AuditEvent.objects.get(entity="case", object_id=case.pk, action="assign")
    assert (event.actor_repr, event.changes["owner_user_id"]) == (
        "system",
        [people.rep.pk, people.boss.pk],
    )


def test_a_team_owned_case_goes_to_its_team_leader(people):
    sla_policy(priority="normal", first_response_minutes=60, reassign_to="team_leader")
    case = case_at(people.team, MONDAY_9_JAKARTA)
    sla_check(now=LATER)
    case.refresh_from_db()
    assert (case.owner_user, case.owner_team) == (people.leader, None)


def test_without_a_manager_the_case_stays_and_the_breach_says_why(people):
    sla_policy(priority="normal", first_response_minutes=60, reassign_to="manager")
    case = case_at(people.boss, MONDAY_9_JAKARTA)
    sla_check(now=LATER)
    case.refresh_from_db()
    assert case.owner_user == people.boss
    assert SlaEvent.objects.get().actions["skipped"] == [
        "reassign: the owner has no active manager"
    ]


def test_the_team_leader_is_not_reassigned_their_own_case(people):
    sla_policy(priority="normal", first_response_minutes=60, reassign_to="team_leader")
    case = case_at(people.leader, MONDAY_9_JAKARTA)
    sla_check(now=LATER)
    case.refresh_from_db()
    assert case.owner_user == people.leader


def test_raise_priority_moves_the_case_one_step_up(people):
    case = overdue_case(people, raise_priority=True)
    sla_check(now=LATER)
    case.refresh_from_db()
    assert case.priority == "high"


def test_raising_the_priority_moves_the_case_up_the_queue(people):
    case = overdue_case(people, raise_priority=True)
    before = Case.objects.get(pk=case.pk).queue_key
    sla_check(now=LATER)
    assert Case.objects.get(pk=case.pk).queue_key < before


def test_raising_the_priority_bumps_the_version_so_stale_edits_fail(people):
    case = overdue_case(people, raise_priority=True)
    version = Case.objects.get(pk=case.pk).version
    sla_check(now=LATER)
    assert Case.objects.get(pk=case.pk).version == version + 1


def test_raising_the_priority_is_on_the_escalation_audit_event(people):
    case = overdue_case(people, raise_priority=True)
    sla_check(now=LATER)
    event = AuditEvent.objects.get(entity="case", object_id=case.pk, action="escalate")
    assert event.changes["priority"] == ["normal", "high"]


def test_an_urgent_case_stays_urgent(people):
    sla_policy(priority="urgent", first_response_minutes=60, raise_priority=True)
    case = case_at(people.rep, MONDAY_9_JAKARTA, priority="urgent")
    sla_check(now=LATER)
    case.refresh_from_db()
    assert case.priority == "urgent"


def test_notify_owner_tells_the_owner(people):
    overdue_case(people, notify=["owner"])
    sla_check(now=LATER)
    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (people.rep, "escalation")


def test_notify_manager_and_team_leader_tells_both(people):
    overdue_case(people, notify=["manager", "team_leader"])
    sla_check(now=LATER)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "boss",
        "leader",
    }


def test_the_notification_links_to_the_case(people):
    case = overdue_case(people, notify=["owner"])
    sla_check(now=LATER)
    assert Notification.objects.get().url == f"/cases/{case.pk}/"


def test_whoever_takes_the_case_over_is_told(people):
    overdue_case(people, reassign_to="manager", notify=["owner"])
    sla_check(now=LATER)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "rep",
        "boss",
    }


def test_the_leader_of_a_second_team_is_found(people, org):
    other = factories.user("other_leader", unit=org["jakarta"])
    second = factories.team("Second Desk", unit=org["jakarta"])
    second.leader = other
    second.save()
    lone = factories.user("lone", unit=org["jakarta"], roles=["Customer Service Representative"])
    join(second, lone)
    sla_policy(priority="normal", first_response_minutes=60, reassign_to="team_leader")
    case = case_at(lone, MONDAY_9_JAKARTA)
    sla_check(now=LATER)
    case.refresh_from_db()
    assert case.owner_user == other


def test_the_management_command_runs_the_check(people, capsys):
    sla_policy(priority="normal", first_response_minutes=1, resolution_minutes=None)
    case_at(people.rep, MONDAY_9_JAKARTA)
    call_command("sla_check")
    assert "1 breach(es) recorded" in capsys.readouterr().out


# Speed to lead.


def test_a_lead_not_contacted_in_time_is_a_breach(people):
    speed_policy(hours=4)
    lead = lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    sla_check(now=MONDAY_9_JAKARTA + 5 * HOUR)
    event = SlaEvent.objects.get()
    assert (event.entity, event.record_id, event.kind) == ("lead", lead.pk, "speed_to_lead")


def test_a_lead_still_inside_its_hours_is_not_a_breach(people):
    speed_policy(hours=4)
    lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    sla_check(now=MONDAY_9_JAKARTA + 3 * HOUR)
    assert not SlaEvent.objects.exists()


def test_a_contacted_lead_is_not_a_breach(people):
    speed_policy(hours=4)
    lead = lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    lead_services.lead_mark_contacted(people.sales_rep, lead=lead)
    sla_check(now=MONDAY_9_JAKARTA + 5 * HOUR)
    assert not SlaEvent.objects.exists()


def test_speed_to_lead_in_business_hours_waits_for_the_working_day(people):
    speed_policy(hours=4, business_hours=True, calendar=calendar())
    friday_4pm = MONDAY_9_JAKARTA + dt.timedelta(days=4, hours=7)
    lead_at(people.sales_rep, friday_4pm)
    sla_check(now=friday_4pm + 24 * HOUR)
    assert not SlaEvent.objects.exists()


def test_speed_to_lead_in_business_hours_breaches_once_the_working_hours_pass(people):
    speed_policy(hours=4, business_hours=True, calendar=calendar())
    friday_4pm = MONDAY_9_JAKARTA + dt.timedelta(days=4, hours=7)
    lead_at(people.sales_rep, friday_4pm)
    monday_noon = friday_4pm + dt.timedelta(days=2, hours=20)
    sla_check(now=monday_noon)
    assert SlaEvent.objects.get().due_at == monday_noon


def test_a_policy_for_the_leads_source_wins(people):
    speed_policy(hours=4)
    speed_policy(name="Web leads fast", source="web_form", hours=1)
    lead_at(people.sales_rep, MONDAY_9_JAKARTA, source="web_form")
    lead_at(people.sales_rep, MONDAY_9_JAKARTA, source="event")
    sla_check(now=MONDAY_9_JAKARTA + 2 * HOUR)
    assert SlaEvent.objects.get().policy_name == "Web leads fast"


def test_leads_made_before_the_policy_are_not_late(people):
    lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    SpeedToLeadPolicy.objects.create(name="New policy", hours=1)
    sla_check(now=MONDAY_9_JAKARTA + 5 * HOUR)
    assert not SlaEvent.objects.exists()


def test_a_late_lead_goes_to_the_owners_manager(people):
    speed_policy(hours=4, reassign_to="manager", notify=["owner"])
    lead = lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    sla_check(now=MONDAY_9_JAKARTA + 5 * HOUR)
    lead.refresh_from_db()
    assert lead.owner_user == people.boss


def test_a_late_lead_is_escalated_once(people):
    speed_policy(hours=4, notify=["owner"])
    lead_at(people.sales_rep, MONDAY_9_JAKARTA)
    sla_check(now=MONDAY_9_JAKARTA + 5 * HOUR)
    sla_check(now=MONDAY_9_JAKARTA + 6 * HOUR)
    assert Notification.objects.count() == 1


def test_the_worker_runs_the_check_every_minute():
    from trellis.core import periodic

    job = next(job for job in periodic.jobs() if job.name == "sla.check")
    assert (job.func, job.seconds) == (sla_check, 60)


def test_deleting_a_case_forgets_its_breaches(people, admin):
    case = overdue_case(people)
    sla_check(now=LATER)
    case_services.case_delete(admin, case=case)
    assert not SlaEvent.objects.exists()


def test_a_calendar_without_working_time_ahead_sets_no_target(people, monkeypatch):
    monkeypatch.setattr("trellis.sla.hours.MAX_DAYS", 14)
    sundays_off = calendar(weekdays=[6], holidays=["2026-03-08", "2026-03-15"])
    sla_policy(priority="normal", business_hours=True, calendar=sundays_off)
    case = case_at(people.rep, MONDAY_9_JAKARTA)
    case.refresh_from_db()
    assert (case.first_response_due_at, case.resolve_due_at) == (None, None)
