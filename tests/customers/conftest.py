from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import factories


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
