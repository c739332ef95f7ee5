"""The contact table's indexes: those that serve queries stay, and the lists they serve
still sort right after the unused ones were dropped (customers migration 0004)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.customers.conftest import make_contact
from trellis.customers.models import Contact

URL = "/api/v1/contacts"


def _indexed_columns() -> set[tuple[str, ...]]:
    """The column lists of the contact table's indexes (not primary key or unique)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Contact._meta.db_table)
    return {
        tuple(info["columns"])
        for info in constraints.values()
        if info["index"] and not info["primary_key"] and not info["unique"]
    }


def test_the_indexes_that_serve_queries_are_kept(db):
    columns = _indexed_columns()
    for wanted in [
        ("email",),  # import dedupe
        ("external_id",),  # import dedupe
        ("account_id",),  # an account's contacts
        ("created_by_id",),  # deleting a user
        ("modified_by_id",),  # deleting a user
        ("owning_unit_id", "modified_at"),  # lists narrowed by unit
        ("owner_user_id", "modified_at"),  # lists narrowed by owner
        ("owner_team_id",),  # team-owned records
        ("modified_at", "id"),  # the default sort
    ]:
        assert wanted in columns, wanted


def test_the_unused_and_duplicate_indexes_are_gone(db):
    columns = _indexed_columns()
    assert ("phone",) not in columns
    assert ("mobile",) not in columns
    assert ("owner_user_id",) not in columns
    assert ("owning_unit_id",) not in columns
    assert sorted(columns).count(("owner_team_id",)) == 1


@pytest.fixture
def dated(people):
    """Contacts changed on different days: three of the rep's, one of the Milan rep's."""
    now = timezone.now()
    out = {}
    for days, owner, last_name in [
        (3, people.rep, "Atmaja"),
        (1, people.rep, "Budiman"),
        (2, people.rep, "Cahyono"),
        (4, people.milan_rep, "Conti"),
    ]:
        out[last_name] = make_contact(owner, last_name=last_name)
        Contact.objects.filter(pk=out[last_name].pk).update(
            modified_at=now - dt.timedelta(days=days)
        )
    return out


def _web_order(client, sort: str) -> list[str]:
    response = client.get("/contacts/", {"sort": sort})
    assert response.status_code == 200
    return [contact.last_name for contact in response.context["page"].items]


def _api_order(client, order: str) -> list[str]:
    response = client.get(URL, {"order": order})
    assert response.status_code == 200, response.content
    return [item["last_name"] for item in response.json()["items"]]


def test_the_contact_page_still_sorts_by_change_and_name(browser, people, dated):
    rep = browser(people.rep)
    assert _web_order(rep, "-modified") == ["Budiman", "Cahyono", "Atmaja"]
    assert _web_order(rep, "modified") == ["Atmaja", "Cahyono", "Budiman"]
    assert _web_order(rep, "name") == ["Atmaja", "Budiman", "Cahyono"]
    assert _web_order(rep, "-name") == ["Cahyono", "Budiman", "Atmaja"]
    assert _web_order(browser(people.milan_rep), "-modified") == ["Conti"]


def test_the_contacts_api_still_sorts_by_change_and_name(api, people, dated):
    rep = api(people.rep)
    assert _api_order(rep, "-modified_at") == ["Budiman", "Cahyono", "Atmaja"]
    assert _api_order(rep, "modified_at") == ["Atmaja", "Cahyono", "Budiman"]
    assert _api_order(rep, "-last_name") == ["Cahyono", "Budiman", "Atmaja"]
    assert _api_order(api(people.milan_rep), "modified_at") == ["Conti"]


def test_the_mine_filter_still_finds_only_the_users_own_contacts(browser, people, dated):
    make_contact(people.colleague, last_name="Dharma")
    response = browser(people.colleague).get("/contacts/", {"mine": "on"})
    assert [contact.last_name for contact in response.context["page"].items] == ["Dharma"]
    response = browser(people.rep).get("/contacts/", {"mine": "on", "sort": "name"})
    assert [contact.last_name for contact in response.context["page"].items] == [
        "Atmaja",
        "Budiman",
        "Cahyono",
    ]
