"""GET /api/v1/audit-events (the security log, for manage_org and manage_roles holders) and
GET /api/v1/<resource>/<id>/history (one record's audit trail, for whoever may read it)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests import factories
from tests.activities.conftest import make_activity
from tests.sales.conftest import lead, opportunity
from trellis.access.services import record_assign, record_share
from trellis.audit.models import AuditEvent
from trellis.audit.services import audit_record
from trellis.customers.services import account_update

URL = "/api/v1/audit-events"


@pytest.fixture
def people(org, admin):
    roles_admin = factories.custom_role(name="Role keeper", privileges={"manage_roles": "org"})
    return SimpleNamespace(
        admin=admin,
        roles_admin=factories.user("keeper", unit=org["root"], roles=[roles_admin]),
        rep=factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"]),
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=["Sales Representative"]),
        manager=factories.user("manager", unit=org["asia"], roles=["Sales Manager"]),
    )


def _actions(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted({(item["entity"], item["action"]) for item in response.json()["items"]})


@pytest.fixture
def changes(people, org):
    account = factories.account(people.rep, name="Jakarta Steel")
    unit = org["jakarta"]
    # Unit and role changes written as their services write them.
    audit_record(people.admin, "update", unit, entity="unit", changes={"name": ["J", "Jakarta"]})
    audit_record(
        people.admin, "grant", people.rep, entity="user", changes={"role": [None, "Executive"]}
    )
    record_share(people.rep, account, user=people.milan_rep)
    record_assign(people.admin, account, owner_user=people.rep)
    account_update(people.rep, account=account, version=account.version, industry="Steel")
    return SimpleNamespace(account=account)


def test_an_administrator_lists_the_security_changes(api, people, changes):
    # The admin's API token is a security change too: the client signed in for it.
    assert _actions(api(people.admin).get(URL)) == [
        ("account", "assign"),
        ("account", "share"),
        ("unit", "update"),
        ("user", "grant"),
        ("user", "token_issue"),
    ]


def test_the_list_leaves_out_ordinary_record_changes(api, people, changes):
    actions = _actions(api(people.admin).get(URL))

    assert ("account", "update") not in actions
    assert AuditEvent.objects.filter(entity="account", action="update").exists()


def test_a_roles_administrator_may_read_the_security_log(api, people, changes):
    assert api(people.roles_admin).get(URL).status_code == 200


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_people_without_manage_org_or_manage_roles_get_403(api, people, changes, who):
    response = api(getattr(people, who)).get(URL)

    assert response.status_code == 403
    assert "manage_org" in response.json()["detail"]


def test_the_log_needs_a_signed_in_caller(client, changes):
    assert client.get(URL).status_code == 401


def test_the_log_filters_by_entity_and_action(api, people, changes):
    client = api(people.admin)

    assert _actions(client.get(URL, {"entity": "account"})) == [
        ("account", "assign"),
        ("account", "share"),
    ]
    assert _actions(client.get(URL, {"action": "grant"})) == [("user", "grant")]


def test_the_log_filters_by_object_and_actor(api, people, changes):
    client = api(people.admin)

    by_object = client.get(URL, {"entity": "account", "object_id": changes.account.pk})
    by_actor = client.get(URL, {"actor_id": people.rep.pk})

    assert _actions(by_object) == [("account", "assign"), ("account", "share")]
    assert _actions(by_actor) == [("account", "share")]


def test_the_log_filters_by_time(api, people, changes):
    old = AuditEvent.objects.get(entity="unit")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=30))
    client = api(people.admin)
    week_ago = (timezone.now() - dt.timedelta(days=7)).isoformat()

    assert ("unit", "update") not in _actions(client.get(URL, {"since": week_ago}))
    assert _actions(client.get(URL, {"until": week_ago})) == [("unit", "update")]


def test_the_log_pages_with_a_cursor(api, people, changes):
    client = api(people.admin)

    everything = [item["id"] for item in client.get(URL).json()["items"]]
    first = client.get(URL, {"limit": 3}).json()
    second = client.get(URL, {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert [item["id"] for item in first["items"] + second["items"]] == everything
    assert len(second["items"]) == len(everything) - 3
    assert second["next_cursor"] is None


def test_a_bad_filter_is_a_clear_4xx_naming_the_field(api, people, changes):
    client = api(people.admin)

    since = client.get(URL, {"since": "yesterday"})
    cursor = client.get(URL, {"cursor": "garbage"})

    assert since.status_code == 422
    assert since.json()["errors"][0]["field"] == "since"
    assert cursor.status_code == 400
    assert cursor.json()["errors"][0]["field"] == "cursor"


def test_the_log_hides_the_names_of_records_the_reader_may_not_read(api, people, changes):
    # The roles administrator holds no read right on accounts.
    items = api(people.roles_admin).get(URL, {"entity": "account"}).json()["items"]
    admin_items = api(people.admin).get(URL, {"entity": "account"}).json()["items"]

    assert {item["object_repr"] for item in items} == {""}
    assert {item["object_repr"] for item in admin_items} == {"Jakarta Steel"}


# One record's history.


def test_a_reader_of_the_account_gets_its_history(api, people, changes):
    response = api(people.rep).get(f"/api/v1/accounts/{changes.account.pk}/history")

    assert response.status_code == 200, response.content
    actions = [item["action"] for item in response.json()["items"]]
    assert actions == ["update", "assign", "share"]


def test_someone_who_may_not_read_the_account_gets_404_on_its_history(api, people, changes, org):
    outsider = factories.user("outsider", unit=org["milan"], roles=["Sales Representative"])

    response = api(outsider).get(f"/api/v1/accounts/{changes.account.pk}/history")

    assert response.status_code == 404


@pytest.mark.parametrize("resource", ["contacts", "leads", "opportunities", "activities"])
def test_the_history_of_a_record_nobody_may_read_is_404(api, people, resource):
    response = api(people.rep).get(f"/api/v1/{resource}/999999/history")

    assert response.status_code == 404


@pytest.fixture
def records(people, changes):
    return {
        "opportunities": opportunity(people.rep, changes.account),
        "leads": lead(people.rep),
        "activities": make_activity(people.rep),
    }


@pytest.mark.parametrize("resource", ["opportunities", "leads", "activities"])
def test_the_owner_reads_the_history_and_a_stranger_gets_404(api, people, records, resource):
    url = f"/api/v1/{resource}/{records[resource].pk}/history"

    assert api(people.rep).get(url).status_code == 200
    assert api(people.milan_rep).get(url).status_code == 404
