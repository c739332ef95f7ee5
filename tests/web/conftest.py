from __future__ import annotations

import pytest
from django.test import Client

from tests import factories


@pytest.fixture
def jakarta_rep(org):
    return factories.user(
        "jrep", unit=org["jakarta"], roles=["Sales Representative"], first_name="Joko"
    )


@pytest.fixture
def milan_rep(org):
    return factories.user(
        "mrep", unit=org["milan"], roles=["Sales Representative"], first_name="Marta"
    )


@pytest.fixture
def browser():
    """A signed-in test client for a user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
