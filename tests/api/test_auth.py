"""API authentication: bearer tokens, the failed-login throttle, sessions with CSRF."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests import factories
from trellis.org.models import ApiToken, LoginThrottle

TOKEN_URL = "/api/v1/auth/token"
CSRF_SECRET = "a" * 32


def sign_in(client: Client, username: str, password: str):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json"
    )


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_signing_in_returns_a_token_that_opens_the_api(rep):
    client = Client()
    response = sign_in(client, "rep", factories.PASSWORD)
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert client.get("/api/v1/accounts", **bearer(token)).status_code == 200


def test_the_database_stores_only_a_hash_of_the_token(rep):
    token = sign_in(Client(), "rep", factories.PASSWORD).json()["token"]
    stored = ApiToken.objects.get(user=rep)
    assert stored.key_hash != token
    assert token not in stored.key_hash
    assert not ApiToken.objects.filter(key_hash=token).exists()


def test_a_wrong_password_answers_401_with_the_error_shape(rep):
    response = sign_in(Client(), "rep", "not-the-password")
    assert response.status_code == 401
    body = response.json()
    assert body["detail"]
    assert body["errors"] == []


def test_an_unknown_username_answers_like_a_wrong_password(rep):
    wrong_password = sign_in(Client(), "rep", "not-the-password")
    unknown_user = sign_in(Client(), "nobody", "not-the-password")
    assert unknown_user.status_code == 401
    assert unknown_user.json() == wrong_password.json()


def test_repeated_failures_throttle_even_the_right_password(rep):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert sign_in(client, "rep", "not-the-password").status_code == 401
    response = sign_in(client, "rep", factories.PASSWORD)
    assert response.status_code == 429
    assert "too many failed sign-in attempts" in response.json()["detail"]
    assert "errors" in response.json()


def test_the_throttle_names_the_username_case_insensitively(rep):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "REP", "not-the-password")
    assert sign_in(client, "rep", factories.PASSWORD).status_code == 429


def test_the_throttle_tells_the_client_when_to_retry(rep):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "rep", "not-the-password")
    response = sign_in(client, "rep", factories.PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW + 1


def test_the_real_user_signs_in_again_after_the_window_passes(rep):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "rep", "not-the-password")
    assert sign_in(client, "rep", factories.PASSWORD).status_code == 429
    LoginThrottle.objects.update(
        window_start=timezone.now() - dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW + 1)
    )
    assert sign_in(client, "rep", factories.PASSWORD).status_code == 200


def test_failures_for_one_user_do_not_throttle_another(rep, org):
    factories.user("colleague", unit=org["jakarta"], roles=["Sales Representative"])
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, "rep", "not-the-password")
    assert sign_in(client, "colleague", factories.PASSWORD).status_code == 200


def test_a_very_long_username_is_refused_without_a_server_error(rep):
    response = sign_in(Client(), "x" * 500, "not-the-password")
    assert response.status_code in (401, 422)
    assert "detail" in response.json()


def test_a_username_with_a_nul_character_is_refused(rep):
    response = sign_in(Client(), "rep\x00", factories.PASSWORD)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["username"]


def test_a_token_request_without_a_password_names_the_field(rep):
    response = Client().post(TOKEN_URL, {"username": "rep"}, content_type="application/json")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]


def test_a_token_request_with_a_body_that_is_not_json_answers_400(rep):
    response = Client().post(TOKEN_URL, "username=rep", content_type="application/json")
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_a_deactivated_user_cannot_sign_in(rep):
    rep.is_active = False
    rep.save()
    assert sign_in(Client(), "rep", factories.PASSWORD).status_code == 401


def test_revoking_the_token_closes_it(rep):
    client = Client()
    token = sign_in(client, "rep", factories.PASSWORD).json()["token"]
    assert client.delete(TOKEN_URL, **bearer(token)).status_code == 204
    response = client.get("/api/v1/accounts", **bearer(token))
    assert response.status_code == 401
    assert ApiToken.objects.get(user=rep).revoked_at is not None


def test_revoking_one_token_leaves_the_others_working(rep):
    client = Client()
    first = sign_in(client, "rep", factories.PASSWORD).json()["token"]
    second = sign_in(client, "rep", factories.PASSWORD).json()["token"]
    client.delete(TOKEN_URL, **bearer(first))
    assert client.get("/api/v1/accounts", **bearer(second)).status_code == 200


def test_revoking_without_a_bearer_token_answers_400(rep):
    client = Client()
    client.force_login(rep)
    response = client.delete(TOKEN_URL)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_deactivated_users_token_stops_working_at_the_next_request(rep):
    client = Client()
    token = sign_in(client, "rep", factories.PASSWORD).json()["token"]
    assert client.get("/api/v1/accounts", **bearer(token)).status_code == 200
    rep.is_active = False
    rep.save()
    response = client.get("/api/v1/accounts", **bearer(token))
    assert response.status_code == 401


def test_an_expired_token_answers_401(rep):
    client = Client()
    token = sign_in(client, "rep", factories.PASSWORD).json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/accounts", **bearer(token)).status_code == 401


def test_a_request_without_credentials_answers_401_with_the_error_shape(db):
    response = Client().get("/api/v1/accounts")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_a_401_names_the_bearer_scheme(db):
    response = Client().get("/api/v1/accounts")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_garbage_bearer_token_answers_401(rep):
    response = Client().get("/api/v1/accounts", **bearer("trl_not-a-real-token"))
    assert response.status_code == 401


def test_a_malformed_authorization_header_answers_401(rep):
    client = Client()
    for header in ("Bearer", "Basic cmVwOnBhc3N3b3Jk", "garbage", "Bearer " + "x" * 5000):
        response = client.get("/api/v1/accounts", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_a_write_with_a_garbage_token_answers_401_not_a_csrf_error(rep):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/accounts",
        {"name": "Acme"},
        content_type="application/json",
        **bearer("trl_not-a-real-token"),
    )
    assert response.status_code == 401


def test_a_bearer_token_needs_no_csrf_token_for_writes(rep):
    client = Client(enforce_csrf_checks=True)
    token = sign_in(client, "rep", factories.PASSWORD).json()["token"]
    response = client.post(
        "/api/v1/accounts", {"name": "Acme"}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 201, response.content


def test_the_browser_session_reads_the_api(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get("/api/v1/accounts").status_code == 200


def test_a_session_write_without_a_csrf_token_is_refused(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post("/api/v1/accounts", {"name": "Acme"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_write_with_the_csrf_token_succeeds(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    response = client.post(
        "/api/v1/accounts",
        {"name": "Acme"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=CSRF_SECRET,
    )
    assert response.status_code == 201, response.content


def test_a_deactivated_users_session_stops_working_at_the_next_request(rep):
    client = Client()
    client.force_login(rep)
    assert client.get("/api/v1/accounts").status_code == 200
    rep.is_active = False
    rep.save()
    assert client.get("/api/v1/accounts").status_code == 401


def test_signing_in_and_revoking_are_audited(rep):
    from trellis.audit.models import AuditEvent

    client = Client()
    token = sign_in(client, "rep", factories.PASSWORD).json()["token"]
    client.delete(TOKEN_URL, **bearer(token))
    actions = list(AuditEvent.objects.filter(actor=rep).values_list("action", flat=True))
    assert sorted(actions) == ["token_issue", "token_revoke"]
    assert all(token not in str(e.changes) for e in AuditEvent.objects.all())
