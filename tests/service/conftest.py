from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from django.test import Client

from tests import factories
from trellis.customers.models import Contact
from trellis.org.models import Team, User
from trellis.service.models import Case, CaseStatusChange
from trellis.service.services import case_number

_seq = itertools.count(1)


def make_case(owner: User | Team, **fields) -> Case:
    """A case saved directly (no service checks), numbered and with its creation history."""
    if isinstance(owner, Team):
        owner_fields = {"owner_team": owner, "owning_unit_id": owner.unit_id}
    else:
        owner_fields = {"owner_user": owner, "owning_unit_id": owner.unit_id}
    case = Case.objects.create(
        subject=fields.pop("subject", f"Case {next(_seq)}"), **owner_fields, **fields
    )
    case.number = case_number(case.pk)
    case.save(update_fields=["number"])
    CaseStatusChange.objects.create(case=case, from_status="", to_status=case.status)
    return case


def make_contact(owner: User, **fields) -> Contact:
    return Contact.objects.create(
        last_name=fields.pop("last_name", f"Person {next(_seq)}"),
        owner_user=owner,
        owning_unit_id=owner.unit_id,
        **fields,
    )


@pytest.fixture
def people(org):
    """Users who must see different cases.

    rep and colleague handle cases in Jakarta, shanghai_rep in Shanghai, milan_rep in
    Milan; the manager runs service for Asia-Pacific (Jakarta and Shanghai below it); the
    sales rep in Jakarta reads the unit's cases; the partner works for Jakarta from outside
    the company and has no case rights of their own."""
    csr = "Customer Service Representative"
    return SimpleNamespace(
        rep=factories.user("rep", unit=org["jakarta"], roles=[csr], first_name="Joko"),
        colleague=factories.user("colleague", unit=org["jakarta"], roles=[csr]),
        shanghai_rep=factories.user("shanghai_rep", unit=org["shanghai"], roles=[csr]),
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=[csr], first_name="Marta"),
        manager=factories.user("manager", unit=org["asia"], roles=["Service Manager"]),
        sales_rep=factories.user("sales_rep", unit=org["jakarta"], roles=["Sales Representative"]),
        partner=factories.user(
            "partner", unit=org["jakarta"], roles=["Partner"], user_type="partner"
        ),
    )


@pytest.fixture
def cases(people):
    """One case per service rep, named after where it is handled."""
    return SimpleNamespace(
        jakarta=make_case(people.rep, subject="Jakarta printer jam", priority="high"),
        colleague=make_case(people.colleague, subject="Jakarta billing question"),
        shanghai=make_case(people.shanghai_rep, subject="Shanghai delivery late"),
        milan=make_case(people.milan_rep, subject="Milan invoice wrong", priority="urgent"),
    )


@pytest.fixture
def browser():
    """A signed-in test client for a user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
