"""Schemathesis walks every operation of /api/v1/openapi.json with generated input: the
API may refuse (4xx) but must never fail (5xx), and its answers must match the schema's
status codes. Examples are bounded so the suite stays fast."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests import factories
from trellis.org.auth import token_issue
from trellis.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calls go straight to the WSGI app, whose request signals would close the database
    connection holding the test's transaction (Django's test client unhooks them too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(org) -> dict[str, str]:
    admin = factories.user("fuzz_admin", unit=org["root"], roles=["System Administrator"])
    rep = factories.user("fuzz_rep", unit=org["jakarta"], roles=["Sales Representative"])
    factories.account(rep, name="Fuzz account")
    raw, _token = token_issue(admin)
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_answers_a_server_error(case, bearer):
    response = case.call(headers=bearer)

    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
