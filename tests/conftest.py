from __future__ import annotations

import pytest
from django.test import Client

from tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    """A small organization: root > Asia (Jakarta, Shanghai), Europe (Milan)."""
    root = factories.root()
    asia = factories.unit("Asia-Pacific", root)
    jakarta = factories.unit("Jakarta", asia)
    shanghai = factories.unit("Shanghai", asia)
    europe = factories.unit("Europe", root)
    milan = factories.unit("Milan", europe)
    return {
        "root": root,
        "asia": asia,
        "jakarta": jakarta,
        "shanghai": shanghai,
        "europe": europe,
        "milan": milan,
    }


@pytest.fixture
def admin(org):
    return factories.user("admin", unit=org["root"], roles=["System Administrator"])


def token_for(client: Client, username: str, password: str = factories.PASSWORD) -> str:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, user, password: str = factories.PASSWORD) -> None:
        self.client = Client()
        self.user = user
        self.token = token_for(self.client, user.username, password)

    def _headers(self, extra: dict | None) -> dict:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        for key, value in (extra or {}).items():
            headers["HTTP_" + key.upper().replace("-", "_")] = value
        return headers

    def get(self, path: str, data: dict | None = None, headers: dict | None = None):
        return self.client.get(path, data or {}, **self._headers(headers))

    def post(self, path: str, data: dict | None = None, headers: dict | None = None):
        return self.client.post(
            path, data or {}, content_type="application/json", **self._headers(headers)
        )

    def patch(self, path: str, data: dict | None = None, headers: dict | None = None):
        return self.client.patch(
            path, data or {}, content_type="application/json", **self._headers(headers)
        )

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete(path, **self._headers(headers))


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """Give each test run on PostgreSQL its own database, so concurrent runs do not collide."""
    import os

    from django.conf import settings as django_settings

    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        db.setdefault("TEST", {})
        db["TEST"]["NAME"] = f"test_trellis_{os.getpid()}"
