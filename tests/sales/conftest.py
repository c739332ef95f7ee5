from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from tests import factories
from trellis.customers.models import Contact
from trellis.sales.models import Campaign, Lead, Opportunity, Product, ProductLine


def _owned(owner) -> dict:
    return {"owner_user": owner, "owning_unit_id": owner.unit_id}


def opportunity(owner, account, **fields) -> Opportunity:
    """An opportunity stored directly (no service checks, no stage history)."""
    return Opportunity.objects.create(
        name=fields.pop("name", f"Deal for {account.name}"),
        account=account,
        **_owned(owner),
        **fields,
    )


def lead(owner, **fields) -> Lead:
    """A lead stored directly (no service checks, no phone normalization)."""
    return Lead.objects.create(last_name=fields.pop("last_name", "Lead"), **_owned(owner), **fields)


def campaign(owner, **fields) -> Campaign:
    return Campaign.objects.create(name=fields.pop("name", "Campaign"), **_owned(owner), **fields)


def contact(owner, account=None, **fields) -> Contact:
    return Contact.objects.create(
        last_name=fields.pop("last_name", "Contact"), account=account, **_owned(owner), **fields
    )


@pytest.fixture
def people(org):
    """Users who must see different sales records.

    rep and colleague sell in Jakarta, shanghai_rep in Shanghai, milan_rep in Milan; the
    manager runs Asia-Pacific (Jakarta and Shanghai below it); the executive reads the
    whole organization; the product manager owns the catalog; the marketer runs
    campaigns in Jakarta; the partner sells for Jakarta from outside the company."""
    return SimpleNamespace(
        rep=factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"]),
        colleague=factories.user("colleague", unit=org["jakarta"], roles=["Sales Representative"]),
        shanghai_rep=factories.user(
            "shanghai_rep", unit=org["shanghai"], roles=["Sales Representative"]
        ),
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=["Sales Representative"]),
        manager=factories.user("manager", unit=org["asia"], roles=["Sales Manager"]),
        executive=factories.user("executive", unit=org["root"], roles=["Executive"]),
        product_manager=factories.user(
            "product_manager", unit=org["root"], roles=["Product Manager"]
        ),
        marketer=factories.user("marketer", unit=org["jakarta"], roles=["Marketing Specialist"]),
        partner=factories.user(
            "partner", unit=org["jakarta"], roles=["Partner"], user_type="partner"
        ),
    )


@pytest.fixture
def accounts(people):
    return SimpleNamespace(
        jakarta=factories.account(people.rep, name="Jakarta Steel"),
        shanghai=factories.account(people.shanghai_rep, name="Shanghai Silk"),
        milan=factories.account(people.milan_rep, name="Milan Moda"),
        partner=factories.account(people.partner, name="Partner Goods"),
    )


@pytest.fixture
def deals(people, accounts):
    """One opportunity per seller, named after the place."""
    return SimpleNamespace(
        jakarta=opportunity(people.rep, accounts.jakarta, name="Jakarta deal", amount=1000),
        shanghai=opportunity(
            people.shanghai_rep, accounts.shanghai, name="Shanghai deal", amount=2000
        ),
        milan=opportunity(people.milan_rep, accounts.milan, name="Milan deal", amount=3000),
        partner=opportunity(people.partner, accounts.partner, name="Partner deal", amount=400),
    )


@pytest.fixture
def line(db):
    return ProductLine.objects.create(name="Pumps", code="PUMP")


@pytest.fixture
def product(people, line) -> Product:
    return Product.objects.create(
        name="Pump 100",
        code="P-100",
        product_line=line,
        list_price=250,
        **_owned(people.product_manager),
    )


@pytest.fixture
def leads(people):
    """One lead per person who works leads, named after the place (or the marketer)."""
    return SimpleNamespace(
        jakarta=lead(people.rep, first_name="Jaka", last_name="Tarub", company_name="Batik Co"),
        shanghai=lead(people.shanghai_rep, first_name="Li", last_name="Wei", company_name="Silk"),
        milan=lead(people.milan_rep, first_name="Marco", last_name="Rossi", company_name="Moda"),
        marketer=lead(people.marketer, first_name="Sari", last_name="Dewi", company_name="Kopi"),
        partner=lead(people.partner, first_name="Budi", last_name="Santoso", company_name="Agen"),
    )


@pytest.fixture
def browser():
    """A signed-in test client for a user (one client per user)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
