"""Every API answer, even for a path that does not exist, uses the API's error shape."""

from __future__ import annotations

from django.test import Client


def test_an_unknown_api_path_answers_404_in_the_error_shape(db):
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_a_trailing_slash_answers_404_in_the_error_shape(rep, api):
    response = api(rep).get("/api/v1/accounts/")
    assert response.status_code == 404
    assert "/api/v1/accounts/" in response.json()["detail"]


def test_an_unknown_action_on_a_record_answers_404_in_the_error_shape(rep, api):
    response = api(rep).post("/api/v1/accounts/1/explode")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_a_path_id_that_is_not_a_number_answers_422_naming_it(rep, api):
    response = api(rep).get("/api/v1/accounts/abc")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["account_id"]


def test_the_openapi_document_does_not_list_the_fallback(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert not any("{rest}" in path for path in paths)
