"""The worker's clock: `trellis worker` runs the periodic jobs between task batches,
`trellis tick` runs them once."""

from __future__ import annotations

import signal

import pytest
from django.core.management import CommandError, call_command

from tests.notifications.conftest import make_notification
from trellis.core import periodic
from trellis.demo.management.commands.worker import ClockedWorker
from trellis.notifications.tasks import send_notification_email


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """The worker closes stale connections between tasks; on PostgreSQL that would close
    the connection holding the test's transaction, so here it keeps it."""
    monkeypatch.setattr("trellis.demo.management.commands.worker.close_old_connections", noop)
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", noop)


def noop() -> None:
    pass


@pytest.fixture
def fake_job(monkeypatch):
    """Only one periodic job, which counts its runs."""
    monkeypatch.setattr(periodic, "_JOBS", {})
    calls = []
    periodic.every(60, "test.fake", lambda: calls.append(1))
    return calls


@pytest.fixture
def keep_signal_handlers():
    """The worker installs its own SIGINT/SIGTERM handlers; put pytest's back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def worker(**options) -> ClockedWorker:
    settings = {
        "queue_names": ["default"],
        "interval": 0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
    }
    return ClockedWorker(**{**settings, **options})


def test_the_worker_runs_the_due_periodic_jobs(db, fake_job):
    worker().run()

    assert fake_job == [1]


def test_the_worker_runs_queued_tasks_as_well(people, settings, fake_job, mailoutbox):
    settings.EMAIL_ENABLED = True
    notification = make_notification(people.rita)
    send_notification_email.enqueue(notification.pk)

    worker().run()

    assert len(mailoutbox) == 1
    assert fake_job == [1]


def test_the_clock_is_looked_at_between_batches_of_tasks(people, monkeypatch):
    monkeypatch.setattr("trellis.demo.management.commands.worker.BATCH_SIZE", 1)
    monkeypatch.setattr(periodic, "_JOBS", {})
    ticks = []
    periodic.every(0.000001, "test.every-batch", lambda: ticks.append(1))
    for _ in range(3):
        send_notification_email.enqueue(make_notification(people.rita).pk)

    worker().run()

    # One batch per task, then one that finds the queue empty.
    assert len(ticks) == 4


def test_a_failing_job_does_not_stop_the_worker(db, monkeypatch):
    monkeypatch.setattr(periodic, "_JOBS", {})
    calls = []

    def broken() -> None:
        raise RuntimeError("boom")

    periodic.every(60, "a.broken", broken)
    periodic.every(60, "b.fine", lambda: calls.append(1))

    worker().run()

    assert calls == [1]


def test_a_stop_signal_during_a_periodic_job_lets_the_job_finish(db, monkeypatch):
    monkeypatch.setattr(periodic, "_JOBS", {})
    clocked = worker(batch=False)
    finished = []

    def stopped_midway() -> None:
        clocked.shutdown(signal.SIGTERM, None)
        finished.append(1)

    periodic.every(60, "test.stopped-midway", stopped_midway)

    clocked.run()

    assert finished == [1]
    assert clocked.running is False


def test_trellis_worker_batch_runs_the_periodic_jobs(db, fake_job, keep_signal_handlers):
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert fake_job == [1]


def test_trellis_tick_runs_every_job_once(db, fake_job, capsys):
    call_command("tick")

    assert fake_job == [1]
    assert "ran test.fake" in capsys.readouterr().out


def test_trellis_tick_refuses_an_unknown_job(db, fake_job):
    with pytest.raises(CommandError, match="unknown job"):
        call_command("tick", job=["no.such.job"])


def test_trellis_tick_fails_when_a_job_fails(db, monkeypatch):
    monkeypatch.setattr(periodic, "_JOBS", {})

    def broken() -> None:
        raise RuntimeError("boom")

    periodic.every(60, "a.broken", broken)

    with pytest.raises(CommandError, match="a.broken"):
        call_command("tick")
