from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from pytest_django.asserts import assertContains, assertRedirects

from tests import factories

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, username: str, password: str = factories.PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


def test_the_login_page_renders_a_labelled_form(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assertContains(response, '<label for="id_username"')
    assertContains(response, '<label for="id_password"')
    assertContains(response, 'name="csrfmiddlewaretoken"')


def test_a_correct_password_signs_in_and_goes_home(client, jakarta_rep):
    response = _sign_in(client, "jrep")
    assertRedirects(response, "/")
    assert int(client.session[SESSION_KEY]) == jakarta_rep.pk


def test_signing_in_follows_a_same_site_next(client, jakarta_rep):
    response = _sign_in(client, "jrep", next="/accounts/")
    assertRedirects(response, "/accounts/")


def test_signing_in_ignores_a_next_on_another_site(client, jakarta_rep):
    response = _sign_in(client, "jrep", next="https://evil.example/")
    assertRedirects(response, "/")


def test_a_wrong_password_shows_a_message_and_signs_nobody_in(client, jakarta_rep):
    response = _sign_in(client, "jrep", "wrong-password")
    assert response.status_code == 200
    assertContains(response, "Wrong username or password.")
    assert SESSION_KEY not in client.session


def test_repeated_failures_answer_429_with_a_message(client, jakarta_rep, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert _sign_in(client, "jrep", "wrong-password").status_code == 200
    response = _sign_in(client, "jrep", "wrong-password")
    assertContains(response, "Too many failed sign-in attempts", status_code=429)
    assert int(response["Retry-After"]) > 0


def test_while_throttled_even_the_right_password_is_refused(client, jakarta_rep, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        _sign_in(client, "jrep", "wrong-password")
    response = _sign_in(client, "jrep")
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_a_deactivated_user_cannot_sign_in(client, jakarta_rep):
    jakarta_rep.is_active = False
    jakarta_rep.save()
    response = _sign_in(client, "jrep")
    assertContains(response, "Wrong username or password.")
    assert SESSION_KEY not in client.session


def test_a_signed_in_user_who_is_deactivated_is_signed_out_on_the_next_request(client, jakarta_rep):
    _sign_in(client, "jrep")
    assert client.get("/").status_code == 200
    type(jakarta_rep).objects.filter(pk=jakarta_rep.pk).update(is_active=False)
    response = client.get("/accounts/")
    assertRedirects(response, "/login/?next=/accounts/")


def test_pages_need_a_signed_in_user(client, org):
    for path in ("/", "/accounts/", "/accounts/new/", "/accounts/1/", "/admin/units/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next="), path


def test_logout_signs_out(browser, jakarta_rep):
    client = browser(jakarta_rep)
    response = client.post("/logout/")
    assertRedirects(response, "/login/")
    assert SESSION_KEY not in client.session


def test_logout_by_get_is_refused(browser, jakarta_rep):
    client = browser(jakarta_rep)
    assert client.get("/logout/").status_code == 405
    assert SESSION_KEY in client.session


def test_a_login_post_without_csrf_token_is_refused(jakarta_rep):
    client = Client(enforce_csrf_checks=True)
    assert _sign_in(client, "jrep").status_code == 403


def test_a_logout_post_without_csrf_token_is_refused(jakarta_rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(jakarta_rep)
    assert client.post("/logout/").status_code == 403
    assert SESSION_KEY in client.session


def test_a_login_post_with_the_csrf_token_works(jakarta_rep):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    response = _sign_in(client, "jrep", csrfmiddlewaretoken=token)
    assertRedirects(response, "/")
