"""Many agents taking from one queue at once (PostgreSQL: real row locks).

On SQLite the IMMEDIATE transactions serialize writers, so the threaded test only runs
against PostgreSQL; the serial variant below checks the same outcome on both."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from tests import factories
from trellis.core.errors import Conflict
from trellis.routing import services
from trellis.routing.models import Queue, QueueItem
from trellis.service.models import Case

AGENTS = 8
CAPACITY = 3
ITEMS = 40
THREADS_PER_AGENT = 3


def _setup(org):
    agents = [
        factories.user(f"agent{i}", unit=org["jakarta"], capacity=CAPACITY) for i in range(AGENTS)
    ]
    team = factories.team("Desk", unit=org["jakarta"], members=tuple(agents))
    queue = Queue.objects.create(name="Desk", entity="case", team=team)
    for i in range(ITEMS):
        case = Case.objects.create(
            subject=f"Case {i}", owner_team=team, owning_unit_id=team.unit_id
        )
        QueueItem.objects.create(queue=queue, entity="case", object_id=case.pk, queue_key=i)
    return agents, team, queue


def _take_until_refused(agent, queue, errors: list) -> None:
    try:
        while True:
            try:
                if services.queue_take_next(agent, queue=queue) is None:
                    return
            except Conflict:
                return
    except Exception as exc:  # surfaced by the assertion on `errors`
        errors.append(exc)
    finally:
        connections.close_all()


def _assert_one_owner_each_and_nobody_over_capacity(agents, team) -> None:
    taken = QueueItem.objects.filter(taken_at__isnull=False)
    assert taken.count() == AGENTS * CAPACITY
    assert len(set(taken.values_list("object_id", flat=True))) == AGENTS * CAPACITY
    owners = Counter(
        Case.objects.filter(owner_user__isnull=False).values_list("owner_user", flat=True)
    )
    assert sum(owners.values()) == AGENTS * CAPACITY
    assert max(owners.values()) <= CAPACITY
    assert Case.objects.filter(owner_team=team).count() == ITEMS - AGENTS * CAPACITY
    for item in taken:
        assert Case.objects.get(pk=item.object_id).owner_user_id == item.taken_by_id


@pytest.mark.django_db(transaction=True)
def test_concurrent_takers_never_share_an_item_or_exceed_capacity(org):
    if connection.vendor != "postgresql":
        pytest.skip("real row locks need PostgreSQL; SQLite serializes writers")
    agents, team, queue = _setup(org)
    errors: list = []
    threads = [
        threading.Thread(target=_take_until_refused, args=(agent, queue, errors))
        for agent in agents
        for _ in range(THREADS_PER_AGENT)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    _assert_one_owner_each_and_nobody_over_capacity(agents, team)


@pytest.mark.django_db
def test_taking_in_turns_fills_everyone_to_capacity_and_no_further(org):
    agents, team, queue = _setup(org)
    for _ in range(THREADS_PER_AGENT):
        for agent in agents:
            _take_until_refused_serial(agent, queue)
    _assert_one_owner_each_and_nobody_over_capacity(agents, team)


def _take_until_refused_serial(agent, queue) -> None:
    while True:
        try:
            if services.queue_take_next(agent, queue=queue) is None:
                return
        except Conflict:
            return
