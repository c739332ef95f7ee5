"""Several workers checking at once still record and escalate each breach once.

Needs real row locks and concurrent connections, so it runs on PostgreSQL only."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from tests.sla.conftest import MONDAY_9_JAKARTA, case_at, sla_policy
from trellis.audit.models import AuditEvent
from trellis.notifications.models import Notification
from trellis.org.bootstrap import ensure_builtin_roles
from trellis.sla import services
from trellis.sla.models import SlaEvent
from trellis.sla.services import sla_check

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent row locks need PostgreSQL"
)
WORKERS = 4


def run_checks_at_once(now) -> list[BaseException]:
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            sla_check(now=now)
        except BaseException as exc:  # reported to the test below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


@pytest.fixture(autouse=True)
def _builtin_roles(transactional_db):
    # A transactional test may start from an emptied database: put the built-in roles back.
    ensure_builtin_roles()


@pytest.fixture(autouse=True)
def _slow_escalation(monkeypatch):
    """Hold each escalation's transaction open a moment, so the workers really overlap."""
    real = services.audit_record

    def slow(*args, **kwargs):
        time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "audit_record", slow)


@pytest.fixture
def overdue_cases(people):
    sla_policy(
        priority="normal",
        first_response_minutes=60,
        resolution_minutes=None,
        reassign_to="manager",
        notify=["owner"],
        raise_priority=True,
    )
    return [case_at(people.rep, MONDAY_9_JAKARTA) for _ in range(10)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_record_one_breach_per_case(overdue_cases):
    failures = run_checks_at_once(MONDAY_9_JAKARTA.replace(hour=10))
    assert failures == []
    assert SlaEvent.objects.count() == len(overdue_cases)


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_escalate_each_case_once(overdue_cases):
    run_checks_at_once(MONDAY_9_JAKARTA.replace(hour=10))
    assert AuditEvent.objects.filter(action="escalate").count() == len(overdue_cases)
    assert Notification.objects.filter(recipient__username="rep").count() == len(overdue_cases)
