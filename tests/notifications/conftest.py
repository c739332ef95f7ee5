from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from trellis.activities.models import Activity
from trellis.notifications.models import Kind, Notification

_seq = itertools.count(1)


@pytest.fixture
def people(org):
    """Two sales reps in different offices (each with an e-mail address) and a manager."""
    return SimpleNamespace(
        rita=factories.user(
            "rita", unit=org["jakarta"], roles=["Sales Representative"], email="rita@example.com"
        ),
        marco=factories.user(
            "marco", unit=org["milan"], roles=["Sales Representative"], email="marco@example.com"
        ),
        manager=factories.user("manager", unit=org["asia"], roles=["Sales Manager"]),
    )


def make_notification(recipient, **fields) -> Notification:
    """A notification stored directly, `minutes_ago` minutes old."""
    minutes_ago = fields.pop("minutes_ago", next(_seq))
    return Notification.objects.create(
        recipient=recipient,
        kind=fields.pop("kind", Kind.OTHER),
        title=fields.pop("title", f"Notification {next(_seq)}"),
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **fields,
    )


def make_activity(owner, **fields) -> Activity:
    """An open task stored directly (no service checks)."""
    if hasattr(owner, "kind"):
        owner_fields = {"owner_team": owner, "owning_unit_id": owner.unit_id}
    else:
        owner_fields = {"owner_user": owner, "owning_unit_id": owner.unit_id}
    fields.setdefault("due_at", timezone.now() + dt.timedelta(hours=2))
    return Activity.objects.create(
        kind=fields.pop("kind", "task"),
        subject=fields.pop("subject", f"Activity {next(_seq)}"),
        **owner_fields,
        **fields,
    )


@pytest.fixture
def browser():
    """A signed-in test client for a user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def email_on(settings):
    """E-mail configured, and tasks run as soon as they are queued."""
    settings.EMAIL_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://crm.example.com"
