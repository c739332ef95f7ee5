"""Routing many records at once (`route_records`): set-based writes that keep every
guarantee of routing one record."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.routing.conftest import open_case, rule
from trellis.audit.models import AuditEvent
from trellis.notifications.models import Notification
from trellis.routing import services
from trellis.routing.models import AssignmentDecision, QueueItem
from trellis.service.models import Case

pytestmark = pytest.mark.django_db


def _new_cases(owner, count: int, **fields) -> list[Case]:
    return [open_case(owner, subject=f"Batch case {i}", **fields) for i in range(count)]


def _owners(cases: list[Case]) -> list[str]:
    return sorted(
        Case.objects.filter(pk__in=[c.pk for c in cases]).values_list(
            "owner_user__username", flat=True
        )
    )


def test_a_batch_spreads_cases_evenly_by_load(people):
    rule(strategy="least_loaded", target_team=people.team)
    cases = _new_cases(people.leader, 6)
    assert services.route_records(people.leader, cases, entity="case") == 6
    assert _owners(cases) == ["ana", "ana", "budi", "budi", "citra", "citra"]


def test_a_batch_takes_nobody_over_capacity(people):
    rule(strategy="least_loaded", target_team=people.team)
    cases = _new_cases(people.leader, 12)
    services.route_records(people.leader, cases, entity="case")
    for agent in (people.ana, people.budi, people.citra):
        assert Case.objects.filter(owner_user=agent).count() == agent.capacity


def test_a_batch_counts_the_loads_held_before_it(people):
    rule(strategy="least_loaded", target_team=people.team)
    open_case(people.ana)
    open_case(people.ana)
    cases = _new_cases(people.leader, 4)
    services.route_records(people.leader, cases, entity="case")
    assert _owners(cases) == ["budi", "budi", "citra", "citra"]


def test_a_batch_moves_the_owning_unit_with_the_owner(people, org):
    shanghai = factories.user("shanghai_agent", unit=org["shanghai"])
    rule(strategy="fixed", target_user=shanghai)
    cases = _new_cases(people.ana, 3)
    services.route_records(people.ana, cases, entity="case")
    units = set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("owning_unit_id"))
    assert units == {(org["shanghai"].pk,)}


def test_a_batch_bumps_the_version_of_each_moved_case(people):
    rule(strategy="fixed", target_user=people.budi)
    case = open_case(people.ana)
    before = case.version
    services.route_records(people.ana, [case], entity="case")
    assert Case.objects.get(pk=case.pk).version == before + 1


def test_a_batch_audits_each_assignment(people):
    rule(strategy="round_robin", target_team=people.team)
    cases = _new_cases(people.leader, 3)
    services.route_records(people.leader, cases, entity="case")
    audited = AuditEvent.objects.filter(entity="case", action="assign")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(c.pk for c in cases)
    assert all("owner_user_id" in event.changes for event in audited)


def test_a_batch_stores_a_decision_with_candidates_for_each_case(people):
    rule(strategy="least_loaded", target_team=people.team)
    cases = _new_cases(people.leader, 3)
    services.route_records(people.leader, cases, entity="case")
    decisions = AssignmentDecision.objects.filter(entity="case")
    assert sorted(decisions.values_list("object_id", flat=True)) == sorted(c.pk for c in cases)
    assert all(len(decision.candidates) == 3 for decision in decisions)


def test_a_batch_tells_each_new_owner_once(people, django_capture_on_commit_callbacks):
    rule(strategy="round_robin", target_team=people.team)
    cases = _new_cases(people.leader, 6)
    with django_capture_on_commit_callbacks(execute=True):
        services.route_records(people.leader, cases, entity="case")
    assert Notification.objects.filter(recipient=people.ana).count() == 1
    assert "2" in Notification.objects.get(recipient=people.ana).title


def test_a_batch_keeps_round_robin_turns_for_the_next_item(people):
    made = rule(strategy="round_robin", target_team=people.team)
    cases = _new_cases(people.leader, 4)
    services.route_records(people.leader, cases, entity="case")
    made.refresh_from_db()
    assert made.last_user_id == Case.objects.get(pk=cases[-1].pk).owner_user_id


def test_a_batch_queues_cases_for_a_queue_rule(people, queue):
    rule(strategy="queue", target_queue=queue)
    cases = _new_cases(people.leader, 2)
    services.route_records(people.leader, cases, entity="case")
    assert QueueItem.objects.filter(queue=queue, taken_at__isnull=True).count() == 2
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("owner_team")) == {
        (people.team.pk,)
    }


def test_a_batch_takes_a_waiting_case_out_of_its_queue_when_a_person_gets_it(people, queue):
    queued = rule(strategy="queue", target_queue=queue)
    case = _new_cases(people.leader, 1)[0]
    services.route_records(people.leader, [case], entity="case")
    queued.delete()
    rule(strategy="fixed", target_user=people.budi)
    services.route_records(people.leader, [Case.objects.get(pk=case.pk)], entity="case")
    assert not QueueItem.objects.filter(queue=queue, taken_at__isnull=True).exists()


def test_the_statements_of_a_batch_do_not_grow_with_its_size(people):
    rule(strategy="least_loaded", target_team=people.team)
    small, large = _new_cases(people.leader, 3), _new_cases(people.leader, 9)
    with CaptureQueriesContext(connection) as first:
        services.route_records(people.leader, small, entity="case")
    Case.objects.filter(pk__in=[c.pk for c in small]).update(status="closed")
    with CaptureQueriesContext(connection) as second:
        services.route_records(people.leader, large, entity="case")
    assert len(second.captured_queries) == len(first.captured_queries)


def test_a_batch_in_several_chunks_still_tells_each_new_owner_once(
    people, django_capture_on_commit_callbacks
):
    rule(strategy="round_robin", target_team=people.team)
    cases = _new_cases(people.leader, 6)
    with django_capture_on_commit_callbacks(execute=True):
        services.route_records(people.leader, cases, entity="case", chunk=2)
    assert Notification.objects.filter(recipient=people.budi).count() == 1
