from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests import factories
from trellis.activities.models import Activity

_seq = itertools.count(1)
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def people(org):
    """rep and colleague in Jakarta, milan_rep in Milan (sales reps: activities of their
    own, read in their unit); the manager runs Asia-Pacific (Jakarta and Shanghai below)."""
    return SimpleNamespace(
        rep=factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"]),
        colleague=factories.user("colleague", unit=org["jakarta"], roles=["Sales Representative"]),
        shanghai_rep=factories.user(
            "shanghai_rep", unit=org["shanghai"], roles=["Sales Representative"]
        ),
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=["Sales Representative"]),
        manager=factories.user("manager", unit=org["asia"], roles=["Sales Manager"]),
    )


def make_activity(owner, **fields) -> Activity:
    """An activity stored directly (no service checks)."""
    kind = fields.pop("kind", "task")
    if kind in ("call", "meeting"):
        fields.setdefault("start_at", NOW + dt.timedelta(days=1))
        fields.setdefault("end_at", fields["start_at"] + dt.timedelta(hours=1))
    else:
        fields.setdefault("due_at", NOW + dt.timedelta(days=1))
    if hasattr(owner, "kind"):
        owner_fields = {"owner_team": owner, "owning_unit_id": owner.unit_id}
    else:
        owner_fields = {"owner_user": owner, "owning_unit_id": owner.unit_id}
    return Activity.objects.create(
        kind=kind,
        subject=fields.pop("subject", f"Activity {next(_seq)}"),
        **owner_fields,
        **fields,
    )


@pytest.fixture
def activities(people):
    """One task per seller, named after the owner."""
    return SimpleNamespace(
        rep=make_activity(people.rep, subject="Call back Garuda"),
        milan=make_activity(people.milan_rep, subject="Send Moda proposal"),
        shanghai=make_activity(people.shanghai_rep, subject="Visit Silk factory"),
    )


@pytest.fixture
def browser():
    """A signed-in test client for a user."""
    from django.test import Client

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
