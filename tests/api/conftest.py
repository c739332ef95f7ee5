from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def rep(org):
    return factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
