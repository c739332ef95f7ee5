from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from tests import factories
from trellis.customers.models import Contact
from trellis.org.models import Team


@pytest.fixture
def people(org):
    """Users who must see different accounts.

    rep and colleague sell in Jakarta, shanghai_rep in Shanghai, milan_rep in Milan; the
    manager runs Asia-Pacific (Jakarta and Shanghai below it); the executive reads the
    whole organization; the partner sells for Jakarta from outside the company."""
    return SimpleNamespace(
        rep=factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"]),
        colleague=factories.user("colleague", unit=org["jakarta"], roles=["Sales Representative"]),
        shanghai_rep=factories.user(
            "shanghai_rep", unit=org["shanghai"], roles=["Sales Representative"]
        ),
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=["Sales Representative"]),
        manager=factories.user("manager", unit=org["asia"], roles=["Sales Manager"]),
        executive=factories.user("executive", unit=org["root"], roles=["Executive"]),
        partner=factories.user(
            "partner", unit=org["jakarta"], roles=["Partner"], user_type="partner"
        ),
    )


@pytest.fixture
def accounts(people):
    """One account per seller, named after the owner."""
    return SimpleNamespace(
        jakarta=factories.account(people.rep, name="Jakarta Steel"),
        shanghai=factories.account(people.shanghai_rep, name="Shanghai Silk"),
        milan=factories.account(people.milan_rep, name="Milan Moda"),
        partner=factories.account(people.partner, name="Partner Goods"),
    )


def make_contact(owner, **fields) -> Contact:
    """A contact saved as given (no service checks); phones are taken as already E.164."""
    if isinstance(owner, Team):
        owner_fields = {"owner_team": owner, "owning_unit_id": owner.unit_id}
    else:
        owner_fields = {"owner_user": owner, "owning_unit_id": owner.unit_id}
    return Contact.objects.create(**owner_fields, **fields)


@pytest.fixture
def contacts(people, accounts):
    """Contacts who must be seen by different people.

    budi and sari (inactive) belong to the rep at Jakarta Steel; dewi is the colleague's
    contact at Jakarta Steel; li is at Shanghai Silk, marco at Milan Moda; the partner has
    their own contact at Partner Goods."""
    return SimpleNamespace(
        budi=make_contact(
            people.rep,
            account=accounts.jakarta,
            first_name="Budi",
            last_name="Santoso",
            email="budi.santoso@jakartasteel.co.id",
            phone="+622155501234",
            phone_raw="(021) 5550 1234",
            city="Jakarta",
            country="ID",
        ),
        sari=make_contact(
            people.rep,
            account=accounts.jakarta,
            first_name="Sari",
            last_name="Wulandari",
            is_active=False,
        ),
        dewi=make_contact(
            people.colleague, account=accounts.jakarta, first_name="Dewi", last_name="Lestari"
        ),
        li=make_contact(
            people.shanghai_rep,
            account=accounts.shanghai,
            first_name="Li",
            last_name="Wei",
            email="li.wei@silk.cn",
            city="Shanghai",
            country="CN",
        ),
        marco=make_contact(
            people.milan_rep,
            account=accounts.milan,
            first_name="Marco",
            last_name="Rossi",
            mobile="+393471234567",
            city="Milano",
            country="IT",
        ),
        paolo=make_contact(
            people.partner, account=accounts.partner, first_name="Paolo", last_name="Partner"
        ),
    )


@pytest.fixture
def browser():
    """A signed-in test client for a user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
