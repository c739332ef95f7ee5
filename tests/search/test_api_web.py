from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories


def test_the_api_answers_hits_with_urls(api, admin, records):
    response = api(admin).get("/api/v1/search", {"q": "muller"})
    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert item == {
        "entity": "contact",
        "id": records["jose"].pk,
        "title": "José Müller",
        "subtitle": "Jakarta · jose.muller@example.co.id",
        "url": f"/contacts/{records['jose'].pk}/",
        "score": 2,
    }


def test_the_api_answers_only_what_the_caller_may_read(api, people, records):
    response = api(people["milan"]).get("/api/v1/search", {"q": "acme", "entities": "account"})
    assert [i["title"] for i in response.json()["items"]] == ["Acme Italia"]


@pytest.mark.parametrize("q", ["", "a", " b "])
def test_the_api_refuses_a_query_shorter_than_two_characters(api, admin, q):
    response = api(admin).get("/api/v1/search", {"q": q})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "q"


def test_the_api_names_an_unknown_entity(api, admin):
    response = api(admin).get("/api/v1/search", {"q": "acme", "entities": "account,planet"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "entities"


def test_the_api_names_a_bad_limit(api, admin):
    response = api(admin).get("/api/v1/search", {"q": "acme", "limit": 500})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("q", ['"', '"jo', "NEAR", "%_", "x" * 5000, "jo\x00se", "*"])
def test_the_api_never_fails_on_odd_input(api, admin, records, q):
    response = api(admin).get("/api/v1/search", {"q": q})
    assert response.status_code in (200, 400)


def test_the_api_needs_authentication(db):
    assert Client().get("/api/v1/search", {"q": "acme"}).status_code == 401


def _signed_in(user) -> Client:
    client = Client()
    client.login(username=user.username, password=factories.PASSWORD)
    return client


def test_the_search_page_lists_what_the_user_may_see(people, records):
    response = _signed_in(people["jakarta"]).get(reverse("web:search"), {"q": "acme"})
    assert response.status_code == 200
    assert b"Acme Indonesia" in response.content
    assert b"Acme Italia" not in response.content


def test_the_header_box_gets_a_short_fragment(people, records):
    response = _signed_in(people["jakarta"]).get(
        reverse("web:search"),
        {"q": "jose"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="global-search-results",
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert "José Müller" in response.content.decode()


def test_every_page_has_the_search_box(people):
    response = _signed_in(people["jakarta"]).get(reverse("web:home"))
    assert b'id="global-search-q"' in response.content


def test_a_short_query_on_the_page_asks_for_more(people, records):
    response = _signed_in(people["jakarta"]).get(reverse("web:search"), {"q": "a"})
    assert response.status_code == 200
    assert b"at least 2 characters" in response.content


def test_the_search_page_needs_sign_in(db):
    response = Client().get(reverse("web:search"), {"q": "acme"})
    assert response.status_code == 302
