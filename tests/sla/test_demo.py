"""The demo organization comes with service levels."""

from __future__ import annotations

import pytest

from trellis.demo.generator import generate
from trellis.service.models import Case
from trellis.sla.models import SlaEvent, SlaPolicy, SpeedToLeadPolicy
from trellis.sla.services import sla_check


@pytest.fixture
def demo(db):
    return generate(seed=7, users=40, accounts=50)


def test_the_demo_has_a_policy_for_every_priority(demo):
    priorities = set(SlaPolicy.objects.filter(case_type="").values_list("priority", flat=True))
    assert priorities == {"low", "normal", "high", "urgent"}


def test_the_demo_has_speed_to_lead_policies(demo):
    assert SpeedToLeadPolicy.objects.filter(source="").exists()


def test_the_demos_cases_have_due_times(demo):
    assert not Case.objects.filter(first_response_due_at__isnull=True).exists()


def test_the_demos_overdue_cases_already_show_their_breaches(demo):
    assert demo.records["breaches"] == SlaEvent.objects.count() > 0


def test_the_worker_does_not_escalate_the_demos_recorded_breaches_again(demo):
    assert sla_check() == []
