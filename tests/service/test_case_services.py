"""Case services: numbering, the status machine and its timestamps, satisfaction."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tests.service.conftest import make_case
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trellis.service import services
from trellis.service.models import TRANSITIONS, Case, Status, queue_key_for


def test_case_numbers_follow_the_id_and_are_unique(people):
    first = services.case_create(people.rep, subject="One")
    second = services.case_create(people.rep, subject="Two")
    assert first.number == f"CS-{first.pk:06d}"
    assert second.number == f"CS-{second.pk:06d}"
    assert Case.objects.get(pk=first.pk).number == first.number


def test_every_refused_move_is_a_conflict_naming_status(people):
    for current, allowed in TRANSITIONS.items():
        for target in Status.values:
            if target in allowed or target == current:
                continue
            case = make_case(people.rep, status=current)
            with pytest.raises(Conflict) as refused:
                services._move(people.rep, case, target)
            assert refused.value.errors[0][0] == "status"


def test_the_allowed_path_sets_each_timestamp_once(people):
    case = services.case_create(people.rep, subject="Path")
    case = services.case_set_status(people.rep, case=case, status="in_progress")
    responded = case.first_response_at
    case = services.case_set_status(people.rep, case=case, status="waiting")
    assert case.first_response_at == responded
    case = services.case_resolve(people.rep, case=case, resolution="Fixed")
    assert case.resolved_at is not None
    case = services.case_close(people.rep, case=case, satisfaction=4)
    assert case.closed_at is not None
    assert case.satisfaction == 4
    assert case.first_response_at == responded
    assert [c.to_status for c in case.status_changes.all()] == [
        "new",
        "in_progress",
        "waiting",
        "resolved",
        "closed",
    ]


def test_resolving_straight_from_new_counts_as_the_first_response(people):
    case = services.case_create(people.rep, subject="Quick")
    case = services.case_resolve(people.rep, case=case, resolution="Answered at once")
    assert case.first_response_at == case.resolved_at


def test_set_satisfaction_only_on_done_cases(people):
    case = make_case(people.rep)
    with pytest.raises(Conflict):
        services.case_set_satisfaction(people.rep, case=case, satisfaction=3)
    case = services.case_resolve(people.rep, case=case, resolution="Done")
    case = services.case_set_satisfaction(people.rep, case=case, satisfaction=3)
    assert case.satisfaction == 3
    for bad in (0, 6, True, "5"):
        with pytest.raises(InvalidInput):
            services.case_set_satisfaction(people.rep, case=case, satisfaction=bad)
    case = services.case_set_satisfaction(people.rep, case=case, satisfaction=None)
    assert case.satisfaction is None


def test_the_database_refuses_satisfaction_out_of_range_or_on_open_cases(people):
    case = make_case(people.rep, status="resolved")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(satisfaction=9)
    open_case = make_case(people.rep)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=open_case.pk).update(satisfaction=3)


def test_status_actions_need_write(people, cases):
    with pytest.raises(Forbidden):
        services.case_resolve(people.colleague, case=cases.jakarta, resolution="Not mine")
    with pytest.raises(NotFound):
        services.case_resolve(people.milan_rep, case=cases.jakarta, resolution="Unseen")


def test_the_queue_key_puts_urgent_first_then_oldest(people):
    older = make_case(people.rep, priority="normal")
    newer_urgent = make_case(people.rep, priority="urgent")
    assert newer_urgent.queue_key < older.queue_key
    assert queue_key_for("low", older.created_at) > queue_key_for("high", newer_urgent.created_at)


def test_the_queue_key_follows_a_priority_change(people):
    case = services.case_create(people.rep, subject="Rising")
    before = case.queue_key
    case = services.case_update(people.rep, case=case, priority="urgent")
    assert Case.objects.get(pk=case.pk).queue_key < before
