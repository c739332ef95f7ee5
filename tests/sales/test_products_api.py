"""The catalog API: /api/v1/product-lines and /api/v1/products."""

from __future__ import annotations

from trellis.audit.models import AuditEvent
from trellis.sales.models import ProductLine
from trellis.sales.selectors import product_line_list, product_list

LINES = "/api/v1/product-lines"
PRODUCTS = "/api/v1/products"


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def test_every_internal_user_reads_the_product_lines(api, people, line):
    for person in (people.rep, people.milan_rep, people.executive):
        items = api(person).get(LINES).json()["items"]
        assert [item["code"] for item in items] == ["PUMP"]


def test_a_partner_sees_no_product_lines(api, people, line):
    # The partner portal (web.portal) leaves the catalog out of the API; the selector
    # shows they could read none anyway.
    assert api(people.partner).get(LINES).status_code == 403
    assert api(people.partner).get(f"{LINES}/{line.pk}").status_code == 403
    assert not product_line_list(people.partner).exists()


def test_the_product_manager_creates_and_changes_a_product_line(api, people):
    client = api(people.product_manager)
    response = client.post(LINES, {"name": "Valves", "code": "VALVE"})
    assert response.status_code == 201, response.content
    path = f"{LINES}/{response.json()['id']}"
    changed = client.patch(path, {"active": False}, headers={"If-Match": "1"})
    assert changed.status_code == 200
    assert changed.json()["active"] is False
    assert client.patch(path, {"name": "X"}, headers={"If-Match": "1"}).status_code == 412
    assert AuditEvent.objects.filter(entity="product_line", action="update").exists()


def test_a_rep_may_read_but_not_create_product_lines(api, people, line):
    assert api(people.rep).post(LINES, {"name": "Mine", "code": "MINE"}).status_code == 403
    assert api(people.rep).patch(f"{LINES}/{line.pk}", {"name": "X"}).status_code == 403


def test_a_duplicate_line_code_answers_409_naming_code(api, people, line):
    response = api(people.product_manager).post(LINES, {"name": "Again", "code": "PUMP"})
    assert response.status_code == 409
    assert error_fields(response) == ["code"]


def test_a_line_with_products_cannot_be_deleted(api, people, line, product):
    response = api(people.product_manager).delete(f"{LINES}/{line.pk}")
    assert response.status_code == 409
    assert ProductLine.objects.filter(pk=line.pk).exists()


def test_an_empty_line_is_deleted(api, people, line):
    assert api(people.product_manager).delete(f"{LINES}/{line.pk}").status_code == 204


def test_reps_everywhere_read_the_products(api, people, product):
    for person in (people.rep, people.milan_rep):
        items = api(person).get(PRODUCTS).json()["items"]
        assert [(item["code"], item["list_price"]) for item in items] == [("P-100", "250.00")]


def test_a_partner_sees_no_products(api, people, product):
    assert api(people.partner).get(PRODUCTS).status_code == 403
    assert api(people.partner).get(f"{PRODUCTS}/{product.pk}").status_code == 403
    assert not product_list(people.partner).exists()


def test_the_product_manager_creates_a_product(api, people, line):
    response = api(people.product_manager).post(
        PRODUCTS,
        {"name": "Pump 200", "code": "P-200", "list_price": "99.9", "product_line_id": line.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["list_price"] == "99.90"
    assert AuditEvent.objects.filter(entity="product", object_id=response.json()["id"]).exists()


def test_a_rep_may_not_create_or_change_products(api, people, product):
    client = api(people.rep)
    assert client.post(PRODUCTS, {"name": "Mine", "code": "MINE"}).status_code == 403
    assert client.patch(f"{PRODUCTS}/{product.pk}", {"name": "X"}).status_code == 403


def test_a_duplicate_sku_answers_409_naming_code(api, people, product):
    response = api(people.product_manager).post(PRODUCTS, {"name": "Copy", "code": "P-100"})
    assert response.status_code == 409
    assert error_fields(response) == ["code"]


def test_a_negative_list_price_is_refused(api, people):
    response = api(people.product_manager).post(
        PRODUCTS, {"name": "Bad", "code": "BAD", "list_price": "-1"}
    )
    assert response.status_code == 400
    assert error_fields(response) == ["list_price"]


def test_product_patch_with_a_stale_version_answers_412(api, people, product):
    client, path = api(people.product_manager), f"{PRODUCTS}/{product.pk}"
    assert client.patch(path, {"active": False}, headers={"If-Match": "1"}).status_code == 200
    assert client.patch(path, {"active": True}, headers={"If-Match": "1"}).status_code == 412


def test_products_filter_by_line_and_search(api, people, product, line):
    client = api(people.rep)
    assert len(client.get(PRODUCTS, {"product_line_id": line.pk}).json()["items"]) == 1
    assert client.get(PRODUCTS, {"q": "nothing"}).json()["items"] == []
    assert len(client.get(PRODUCTS, {"q": "p-1"}).json()["items"]) == 1
