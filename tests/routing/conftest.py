from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from tests import factories
from trellis.org.models import Skill, UserSkill
from trellis.routing.models import AssignmentRule, Queue
from trellis.service.models import Case


def skill(user, name: str, level: int) -> None:
    UserSkill.objects.create(
        user=user, skill=Skill.objects.get_or_create(name=name)[0], level=level
    )


def rule(entity: str = "case", **fields) -> AssignmentRule:
    """A rule saved directly (no validation), at the end of the entity's order."""
    fields.setdefault("name", f"Rule {AssignmentRule.objects.count() + 1}")
    fields.setdefault("position", AssignmentRule.objects.filter(entity=entity).count())
    return AssignmentRule.objects.create(entity=entity, **fields)


def open_case(owner, **fields) -> Case:
    return Case.objects.create(
        subject=fields.pop("subject", "Open case"),
        owner_user=owner,
        owning_unit_id=owner.unit_id,
        **fields,
    )


@pytest.fixture
def people(org):
    """A Jakarta support team (ana, budi, citra), its leader, a Milan agent outside the
    team, a service manager (manage_routing over Asia-Pacific) and a sales rep."""
    csr = "Customer Service Representative"
    ana = factories.user("ana", unit=org["jakarta"], roles=[csr], capacity=3)
    budi = factories.user("budi", unit=org["jakarta"], roles=[csr], capacity=3)
    citra = factories.user("citra", unit=org["jakarta"], roles=[csr], capacity=3)
    leader = factories.user("leader", unit=org["jakarta"], roles=["Team Leader"])
    manager = factories.user("manager", unit=org["asia"], roles=["Service Manager"])
    team = factories.team("Jakarta Support", unit=org["jakarta"], members=(ana, budi, citra))
    team.leader = leader
    team.save()
    return SimpleNamespace(
        ana=ana,
        budi=budi,
        citra=citra,
        leader=leader,
        manager=manager,
        team=team,
        milan=factories.user("milan", unit=org["milan"], roles=[csr]),
        sales=factories.user("sales", unit=org["jakarta"], roles=["Sales Representative"]),
    )


@pytest.fixture
def queue(people) -> Queue:
    return Queue.objects.create(name="Jakarta cases", entity="case", team=people.team)


@pytest.fixture
def browser():
    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login
