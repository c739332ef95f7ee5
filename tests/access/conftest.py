from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def owners(org):
    """One record owner in each place around Asia-Pacific, and two owner teams."""
    return {
        "asia_peer": factories.user("asia_peer", unit=org["asia"]),
        "jakarta_rep": factories.user("jakarta_rep", unit=org["jakarta"]),
        "root_boss": factories.user("root_boss", unit=org["root"]),
        "milan_rep": factories.user("milan_rep", unit=org["milan"]),
        "asia_team": factories.team("Asia team", unit=org["asia"]),
        "milan_team": factories.team("Milan team", unit=org["milan"]),
    }
