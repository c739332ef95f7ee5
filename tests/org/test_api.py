"""The organization REST API: units, users, teams, roles and who may manage which."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.org.models import BusinessUnit, ManagerClosure, SecurityRole, Team, User

UNITS = "/api/v1/units"
USERS = "/api/v1/users"
TEAMS = "/api/v1/teams"
ROLES = "/api/v1/roles"


@pytest.fixture
def regional_role(db):
    return factories.custom_role(name="Regional Admin", privileges={"manage_org": "subtree"})


@pytest.fixture
def asia_admin(org, regional_role):
    """Administers the Asia-Pacific subtree only."""
    return factories.user("asia_admin", unit=org["asia"], roles=[regional_role])


@pytest.fixture
def rep(org):
    return factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])


def field_names(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


# Units -----------------------------------------------------------------------------------


def test_admin_lists_every_unit(org, admin, api):
    response = api(admin).get(UNITS)
    assert response.status_code == 200, response.content
    names = {item["name"] for item in response.json()["items"]}
    assert names == {"Head Office", "Asia-Pacific", "Jakarta", "Shanghai", "Europe", "Milan"}


def test_unit_list_counts_only_when_asked(org, admin, api):
    client = api(admin)
    assert client.get(UNITS).json()["count"] is None
    assert client.get(UNITS, {"count": "true"}).json()["count"] == 6


def test_unit_list_pages_with_a_cursor(org, admin, api):
    client = api(admin)
    first = client.get(UNITS, {"limit": 4, "order": "name"}).json()
    second = client.get(UNITS, {"limit": 4, "order": "name", "cursor": first["next_cursor"]}).json()
    names = [item["name"] for item in first["items"] + second["items"]]
    assert names == ["Asia-Pacific", "Europe", "Head Office", "Jakarta", "Milan", "Shanghai"]
    assert second["next_cursor"] is None


def test_unit_list_filters_by_parent(org, admin, api):
    response = api(admin).get(UNITS, {"parent_id": org["asia"].pk})
    assert [item["name"] for item in response.json()["items"]] == ["Jakarta", "Shanghai"]


def test_a_bad_cursor_answers_400_naming_the_cursor(org, admin, api):
    response = api(admin).get(UNITS, {"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert field_names(response) == ["cursor"]


def test_an_unknown_order_answers_400(org, admin, api):
    response = api(admin).get(UNITS, {"order": "password"})
    assert response.status_code == 400
    assert field_names(response) == ["order"]


def test_a_huge_filter_id_answers_422_naming_the_filter(org, admin, api):
    response = api(admin).get(UNITS, {"parent_id": 2**70})
    assert response.status_code == 422
    assert field_names(response) == ["parent_id"]


def test_admin_creates_a_unit_under_a_parent(org, admin, api):
    response = api(admin).post(UNITS, {"name": "Bangkok", "parent_id": org["asia"].pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["parent_id"] == org["asia"].pk
    assert body["path"] == f"{org['asia'].path}{body['id']}/"
    assert body["depth"] == 2
    assert body["version"] == 1


def test_creating_a_second_root_unit_is_refused(org, admin, api):
    response = api(admin).post(UNITS, {"name": "Another root"})
    assert response.status_code == 400
    assert field_names(response) == ["parent_id"]


def test_a_duplicate_unit_name_under_one_parent_answers_409(org, admin, api):
    response = api(admin).post(UNITS, {"name": "Jakarta", "parent_id": org["asia"].pk})
    assert response.status_code == 409
    assert field_names(response) == ["name"]


def test_an_overlong_unit_name_answers_422(org, admin, api):
    response = api(admin).post(UNITS, {"name": "x" * 500, "parent_id": org["asia"].pk})
    assert response.status_code == 422
    assert field_names(response) == ["name"]


def test_admin_reads_a_unit(org, admin, api):
    response = api(admin).get(f"{UNITS}/{org['milan'].pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Milan"
    assert response.json()["parent_id"] == org["europe"].pk


def test_a_huge_unit_id_answers_404(org, admin, api):
    response = api(admin).get(f"{UNITS}/{2**70}")
    assert response.status_code == 404


def test_a_non_numeric_unit_id_answers_422(org, admin, api):
    response = api(admin).get(f"{UNITS}/abc")
    assert response.status_code == 422


def test_admin_renames_a_unit(org, admin, api):
    response = api(admin).patch(f"{UNITS}/{org['milan'].pk}", {"name": "Milano"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Milano"
    assert response.json()["version"] == 2


def test_moving_a_unit_carries_the_paths_of_its_subtree(org, admin, api):
    response = api(admin).patch(f"{UNITS}/{org['asia'].pk}", {"parent_id": org["europe"].pk})
    assert response.status_code == 200, response.content
    root, europe, asia = org["root"], org["europe"], org["asia"]
    jakarta = BusinessUnit.objects.get(pk=org["jakarta"].pk)
    assert response.json()["path"] == f"/{root.pk}/{europe.pk}/{asia.pk}/"
    assert jakarta.path == f"/{root.pk}/{europe.pk}/{asia.pk}/{jakarta.pk}/"
    assert jakarta.depth == 3


def test_moving_a_unit_under_its_own_descendant_is_refused(org, admin, api):
    response = api(admin).patch(f"{UNITS}/{org['asia'].pk}", {"parent_id": org["jakarta"].pk})
    assert response.status_code == 400
    assert field_names(response) == ["parent_id"]


def test_moving_a_unit_under_itself_is_refused(org, admin, api):
    response = api(admin).patch(f"{UNITS}/{org['asia'].pk}", {"parent_id": org["asia"].pk})
    assert response.status_code == 400
    assert field_names(response) == ["parent_id"]


def test_moving_a_unit_under_a_missing_parent_answers_404_naming_parent_id(org, admin, api):
    response = api(admin).patch(f"{UNITS}/{org['asia'].pk}", {"parent_id": 987654})
    assert response.status_code == 404
    assert field_names(response) == ["parent_id"]


def test_a_stale_if_match_on_a_unit_answers_412(org, admin, api):
    response = api(admin).patch(
        f"{UNITS}/{org['milan'].pk}", {"name": "Milano"}, headers={"If-Match": "7"}
    )
    assert response.status_code == 412
    assert BusinessUnit.objects.get(pk=org["milan"].pk).name == "Milan"


def test_a_current_if_match_on_a_unit_is_accepted(org, admin, api):
    response = api(admin).patch(
        f"{UNITS}/{org['milan'].pk}", {"name": "Milano"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200


def test_an_unreadable_if_match_answers_400(org, admin, api):
    response = api(admin).patch(
        f"{UNITS}/{org['milan'].pk}", {"name": "Milano"}, headers={"If-Match": "yesterday"}
    )
    assert response.status_code == 400
    assert field_names(response) == ["If-Match"]


def test_deleting_an_empty_unit_answers_204(org, admin, api):
    response = api(admin).delete(f"{UNITS}/{org['milan'].pk}")
    assert response.status_code == 204
    assert not BusinessUnit.objects.filter(pk=org["milan"].pk).exists()


def test_deleting_a_unit_with_child_units_answers_409(org, admin, api):
    response = api(admin).delete(f"{UNITS}/{org['europe'].pk}")
    assert response.status_code == 409
    assert "1 child unit(s)" in response.json()["detail"]


def test_deleting_a_unit_with_users_answers_409(org, admin, api):
    factories.user("paolo", unit=org["milan"])
    response = api(admin).delete(f"{UNITS}/{org['milan'].pk}")
    assert response.status_code == 409
    assert "1 user(s)" in response.json()["detail"]


def test_creating_a_unit_writes_an_audit_event(org, admin, api):
    body = api(admin).post(UNITS, {"name": "Bangkok", "parent_id": org["asia"].pk}).json()
    event = AuditEvent.objects.get(entity="unit", object_id=body["id"])
    assert (event.action, event.actor_id) == ("create", admin.pk)


def test_moving_a_unit_writes_an_audit_event_with_the_old_and_new_parent(org, admin, api):
    api(admin).patch(f"{UNITS}/{org['milan'].pk}", {"parent_id": org["asia"].pk})
    event = AuditEvent.objects.get(entity="unit", object_id=org["milan"].pk, action="update")
    assert event.changes["parent_id"] == [org["europe"].pk, org["asia"].pk]


def test_deleting_a_unit_writes_an_audit_event(org, admin, api):
    api(admin).delete(f"{UNITS}/{org['milan'].pk}")
    event = AuditEvent.objects.get(entity="unit", object_id=org["milan"].pk)
    assert (event.action, event.object_repr) == ("delete", "Milan")


# Who may manage the organization ---------------------------------------------------------


def test_a_plain_sales_rep_gets_403_on_units(rep, api):
    response = api(rep).get(UNITS)
    assert response.status_code == 403
    assert "manage_org" in response.json()["detail"]


@pytest.mark.parametrize("path", [USERS, TEAMS, ROLES])
def test_a_plain_sales_rep_gets_403_on_the_other_org_lists(rep, api, path):
    assert api(rep).get(path).status_code == 403


def test_a_plain_sales_rep_cannot_create_a_unit(org, rep, api):
    response = api(rep).post(UNITS, {"name": "Mine", "parent_id": org["jakarta"].pk})
    assert response.status_code == 403
    assert not BusinessUnit.objects.filter(name="Mine").exists()


def test_the_org_lists_need_a_signed_in_caller(org, client):
    assert client.get(UNITS).status_code == 401


def test_regional_admin_lists_only_asia_units(org, asia_admin, api):
    response = api(asia_admin).get(UNITS)
    names = {item["name"] for item in response.json()["items"]}
    assert names == {"Asia-Pacific", "Jakarta", "Shanghai"}


def test_regional_admin_gets_404_for_a_milan_unit(org, asia_admin, api):
    assert api(asia_admin).get(f"{UNITS}/{org['milan'].pk}").status_code == 404


def test_regional_admin_cannot_rename_a_milan_unit(org, asia_admin, api):
    response = api(asia_admin).patch(f"{UNITS}/{org['milan'].pk}", {"name": "Mine now"})
    assert response.status_code == 404
    assert BusinessUnit.objects.get(pk=org["milan"].pk).name == "Milan"


def test_regional_admin_cannot_delete_a_milan_unit(org, asia_admin, api):
    assert api(asia_admin).delete(f"{UNITS}/{org['milan'].pk}").status_code == 404
    assert BusinessUnit.objects.filter(pk=org["milan"].pk).exists()


def test_regional_admin_creates_a_unit_in_asia(org, asia_admin, api):
    response = api(asia_admin).post(UNITS, {"name": "Bangkok", "parent_id": org["asia"].pk})
    assert response.status_code == 201


def test_regional_admin_cannot_create_a_unit_under_europe(org, asia_admin, api):
    response = api(asia_admin).post(UNITS, {"name": "Rome", "parent_id": org["europe"].pk})
    assert response.status_code == 404
    assert field_names(response) == ["parent_id"]


def test_regional_admin_cannot_move_an_asia_unit_into_europe(org, asia_admin, api):
    response = api(asia_admin).patch(
        f"{UNITS}/{org['jakarta'].pk}", {"parent_id": org["europe"].pk}
    )
    assert response.status_code == 404
    assert field_names(response) == ["parent_id"]


def test_regional_admin_moves_a_unit_within_asia(org, asia_admin, api):
    response = api(asia_admin).patch(
        f"{UNITS}/{org['jakarta'].pk}", {"parent_id": org["shanghai"].pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["depth"] == 3


def test_regional_admin_lists_only_asia_users(org, asia_admin, api):
    factories.user("budi", unit=org["jakarta"])
    factories.user("paolo", unit=org["milan"])
    response = api(asia_admin).get(USERS)
    assert [item["username"] for item in response.json()["items"]] == ["asia_admin", "budi"]


def test_admin_lists_users_everywhere(org, admin, api):
    factories.user("budi", unit=org["jakarta"])
    factories.user("paolo", unit=org["milan"])
    response = api(admin).get(USERS)
    assert [item["username"] for item in response.json()["items"]] == ["admin", "budi", "paolo"]


def test_regional_admin_gets_404_for_a_milan_user(org, asia_admin, api):
    paolo = factories.user("paolo", unit=org["milan"])
    assert api(asia_admin).get(f"{USERS}/{paolo.pk}").status_code == 404


def test_regional_admin_cannot_deactivate_a_milan_user(org, asia_admin, api):
    paolo = factories.user("paolo", unit=org["milan"])
    response = api(asia_admin).patch(f"{USERS}/{paolo.pk}", {"is_active": False})
    assert response.status_code == 404
    assert User.objects.get(pk=paolo.pk).is_active


def test_regional_admin_creates_a_user_in_jakarta(org, asia_admin, api):
    response = api(asia_admin).post(USERS, {"username": "budi", "unit_id": org["jakarta"].pk})
    assert response.status_code == 201, response.content


def test_regional_admin_cannot_create_a_user_in_milan(org, asia_admin, api):
    response = api(asia_admin).post(USERS, {"username": "paolo", "unit_id": org["milan"].pk})
    assert response.status_code == 404
    assert field_names(response) == ["unit_id"]


def test_regional_admin_cannot_move_a_user_to_milan(org, asia_admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(asia_admin).patch(f"{USERS}/{budi.pk}", {"unit_id": org["milan"].pk})
    assert response.status_code == 404
    assert field_names(response) == ["unit_id"]


def test_regional_admin_cannot_set_a_manager_outside_asia(org, asia_admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    paolo = factories.user("paolo", unit=org["milan"])
    response = api(asia_admin).patch(f"{USERS}/{budi.pk}", {"reports_to_id": paolo.pk})
    assert response.status_code == 404
    assert field_names(response) == ["reports_to_id"]


def test_regional_admin_grants_a_role_they_hold(org, asia_admin, regional_role, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(asia_admin).post(f"{USERS}/{budi.pk}/grant", {"role_id": regional_role.pk})
    assert response.status_code == 200, response.content
    assert response.json()["role_ids"] == [regional_role.pk]


def test_regional_admin_cannot_grant_a_role_they_lack(org, asia_admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    manager = factories.role("Sales Manager")
    response = api(asia_admin).post(f"{USERS}/{budi.pk}/grant", {"role_id": manager.pk})
    assert response.status_code == 403
    assert not budi.roles.exists()


def test_regional_admin_cannot_grant_to_a_milan_user(org, asia_admin, regional_role, api):
    paolo = factories.user("paolo", unit=org["milan"])
    response = api(asia_admin).post(f"{USERS}/{paolo.pk}/grant", {"role_id": regional_role.pk})
    assert response.status_code == 404


def test_regional_admin_lists_only_asia_teams(org, asia_admin, api):
    factories.team("Jakarta Sales", unit=org["jakarta"])
    factories.team("Milan Sales", unit=org["milan"])
    response = api(asia_admin).get(TEAMS)
    assert [item["name"] for item in response.json()["items"]] == ["Jakarta Sales"]


def test_regional_admin_gets_404_for_a_milan_team(org, asia_admin, api):
    milan_sales = factories.team("Milan Sales", unit=org["milan"])
    assert api(asia_admin).get(f"{TEAMS}/{milan_sales.pk}").status_code == 404


def test_regional_admin_cannot_add_a_milan_user_to_an_asia_team(org, asia_admin, api):
    jakarta_sales = factories.team("Jakarta Sales", unit=org["jakarta"])
    paolo = factories.user("paolo", unit=org["milan"])
    response = api(asia_admin).post(f"{TEAMS}/{jakarta_sales.pk}/members", {"user_id": paolo.pk})
    assert response.status_code == 404
    assert field_names(response) == ["user_id"]


def test_regional_admin_reads_roles_through_manage_org(org, asia_admin, api):
    response = api(asia_admin).get(ROLES, {"q": "Regional"})
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == ["Regional Admin"]


def test_regional_admin_without_manage_roles_cannot_create_a_role(org, asia_admin, api):
    response = api(asia_admin).post(ROLES, {"name": "Home-made"})
    assert response.status_code == 403
    assert not SecurityRole.objects.filter(name="Home-made").exists()


# Users -----------------------------------------------------------------------------------


def test_admin_creates_a_user_with_roles_and_skills(org, admin, api):
    rep_role = factories.role("Sales Representative")
    response = api(admin).post(
        USERS,
        {
            "username": "budi",
            "email": "budi@example.com",
            "unit_id": org["jakarta"].pk,
            "job_class": "back_office",
            "languages": ["id", "en"],
            "role_ids": [rep_role.pk],
            "skills": [{"name": "Bahasa", "level": 5}, {"name": "Cement", "level": 2}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unit_id"] == org["jakarta"].pk
    assert body["job_class"] == "back_office"
    assert body["role_ids"] == [rep_role.pk]
    assert body["skills"] == [{"name": "Bahasa", "level": 5}, {"name": "Cement", "level": 2}]


def test_a_user_created_with_a_password_can_sign_in(org, admin, api, client):
    api(admin).post(
        USERS, {"username": "budi", "unit_id": org["jakarta"].pk, "password": "Kopi-Tubruk-2024!"}
    )
    response = client.post(
        "/api/v1/auth/token",
        {"username": "budi", "password": "Kopi-Tubruk-2024!"},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_a_user_created_without_a_password_cannot_sign_in(org, admin, api):
    api(admin).post(USERS, {"username": "budi", "unit_id": org["jakarta"].pk})
    assert not User.objects.get(username="budi").has_usable_password()


def test_a_weak_password_answers_400_naming_password(org, admin, api):
    response = api(admin).post(
        USERS, {"username": "budi", "unit_id": org["jakarta"].pk, "password": "123"}
    )
    assert response.status_code == 400
    assert "password" in field_names(response)
    assert not User.objects.filter(username="budi").exists()


def test_an_unknown_job_class_answers_422(org, admin, api):
    response = api(admin).post(
        USERS, {"username": "budi", "unit_id": org["jakarta"].pk, "job_class": "astronaut"}
    )
    assert response.status_code == 422
    assert field_names(response) == ["job_class"]


def test_a_taken_username_answers_409(org, admin, api):
    response = api(admin).post(USERS, {"username": "ADMIN", "unit_id": org["jakarta"].pk})
    assert response.status_code == 409
    assert field_names(response) == ["username"]


def test_a_huge_capacity_answers_422(org, admin, api):
    response = api(admin).post(
        USERS, {"username": "budi", "unit_id": org["jakarta"].pk, "capacity": 10**12}
    )
    assert response.status_code == 422


def test_a_bad_skill_level_answers_422(org, admin, api):
    response = api(admin).post(
        USERS,
        {"username": "budi", "unit_id": org["jakarta"].pk, "skills": [{"name": "x", "level": 9}]},
    )
    assert response.status_code == 422
    assert not User.objects.filter(username="budi").exists()


def test_an_unknown_role_id_answers_404_naming_role_ids(org, admin, api):
    response = api(admin).post(
        USERS, {"username": "budi", "unit_id": org["jakarta"].pk, "role_ids": [2**80]}
    )
    assert response.status_code == 404
    assert field_names(response) == ["role_ids"]


def test_admin_reads_a_user(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"], roles=["Sales Representative"])
    body = api(admin).get(f"{USERS}/{budi.pk}").json()
    assert body["username"] == "budi"
    assert body["role_ids"] == [factories.role("Sales Representative").pk]


def test_user_list_filters_by_unit(org, admin, api):
    factories.user("budi", unit=org["jakarta"])
    factories.user("paolo", unit=org["milan"])
    response = api(admin).get(USERS, {"unit_id": org["milan"].pk})
    assert [item["username"] for item in response.json()["items"]] == ["paolo"]


def test_user_list_filters_by_role(org, admin, api):
    factories.user("budi", unit=org["jakarta"], roles=["Sales Representative"])
    factories.user("paolo", unit=org["milan"])
    rep_role = factories.role("Sales Representative")
    response = api(admin).get(USERS, {"role_id": rep_role.pk})
    assert [item["username"] for item in response.json()["items"]] == ["budi"]


def test_user_list_refuses_an_unknown_user_type(org, admin, api):
    assert api(admin).get(USERS, {"user_type": "robot"}).status_code == 422


def test_listing_users_takes_the_same_queries_for_more_users(org, admin, api):
    client = api(admin)
    factories.user("budi", unit=org["jakarta"], roles=["Sales Representative"])
    with CaptureQueriesContext(connection) as few:
        client.get(USERS)
    for number in range(5):
        person = factories.user(f"extra{number}", unit=org["milan"], roles=["Back Office"])
        client.patch(f"{USERS}/{person.pk}", {"skills": [{"name": "Espresso", "level": 3}]})
    with CaptureQueriesContext(connection) as many:
        response = client.get(USERS)
    assert len(response.json()["items"]) == 7
    assert len(many) == len(few)


def test_admin_updates_a_users_details(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).patch(
        f"{USERS}/{budi.pk}", {"title": "Key Account Manager", "capacity": 35, "region": "Java"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["capacity"], body["region"]) == ("Key Account Manager", 35, "Java")
    assert body["version"] == 2


def test_a_null_in_a_patch_leaves_the_field_as_it_is(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"], title="Rep")
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"title": None})
    assert response.json()["title"] == "Rep"


def test_patch_replaces_a_users_skills(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    client = api(admin)
    client.patch(f"{USERS}/{budi.pk}", {"skills": [{"name": "Cement", "level": 2}]})
    response = client.patch(f"{USERS}/{budi.pk}", {"skills": [{"name": "Steel", "level": 4}]})
    assert response.json()["skills"] == [{"name": "Steel", "level": 4}]


def test_skill_names_differing_only_in_spaces_name_one_skill(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).patch(
        f"{USERS}/{budi.pk}",
        {"skills": [{"name": "Cement", "level": 2}, {"name": " Cement ", "level": 4}]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["skills"] == [{"name": "Cement", "level": 4}]


def test_patch_sets_a_new_password(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"password": "Nasi-Goreng-Pedas-9"})
    assert response.status_code == 200
    assert User.objects.get(pk=budi.pk).check_password("Nasi-Goreng-Pedas-9")


def test_moving_a_user_to_another_unit(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"unit_id": org["shanghai"].pk})
    assert response.json()["unit_id"] == org["shanghai"].pk


def test_a_null_unit_is_refused(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"unit_id": None})
    assert response.status_code == 400
    assert field_names(response) == ["unit_id"]


def test_a_reporting_cycle_is_refused(org, admin, api):
    boss = factories.user("boss", unit=org["asia"])
    budi = factories.user("budi", unit=org["jakarta"], reports_to=boss)
    response = api(admin).patch(f"{USERS}/{boss.pk}", {"reports_to_id": budi.pk})
    assert response.status_code == 400
    assert field_names(response) == ["reports_to_id"]


def test_reporting_to_oneself_is_refused(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"reports_to_id": budi.pk})
    assert response.status_code == 400


def test_reassigning_a_manager_rewrites_the_closure_rows(org, admin, api):
    ceo = factories.user("ceo", unit=org["root"])
    asia_head = factories.user("asia_head", unit=org["asia"], reports_to=ceo)
    europe_head = factories.user("europe_head", unit=org["europe"], reports_to=ceo)
    budi = factories.user("budi", unit=org["jakarta"], reports_to=asia_head)
    intern = factories.user("intern", unit=org["jakarta"], reports_to=budi)
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"reports_to_id": europe_head.pk})
    assert response.status_code == 200, response.content
    above_intern = set(
        ManagerClosure.objects.filter(descendant=intern).values_list("ancestor__username", "depth")
    )
    assert above_intern == {("budi", 1), ("europe_head", 2), ("ceo", 3)}


def test_clearing_a_manager_removes_the_closure_rows_above(org, admin, api):
    boss = factories.user("boss", unit=org["asia"])
    budi = factories.user("budi", unit=org["jakarta"], reports_to=boss)
    api(admin).patch(f"{USERS}/{budi.pk}", {"reports_to_id": None})
    assert not ManagerClosure.objects.filter(descendant=budi).exists()


def test_deactivating_a_user_makes_their_token_answer_401(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"], roles=["Sales Representative"])
    budi_client = api(budi)
    assert budi_client.get(f"{USERS}/me").status_code == 200
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert budi_client.get(f"{USERS}/me").status_code == 401


def test_a_deactivated_users_old_token_stays_dead_after_reactivation(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    budi_client = api(budi)
    admin_client = api(admin)
    admin_client.patch(f"{USERS}/{budi.pk}", {"is_active": False})
    admin_client.patch(f"{USERS}/{budi.pk}", {"is_active": True})
    assert budi_client.get(f"{USERS}/me").status_code == 401


def test_a_stale_if_match_on_a_user_answers_412(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).patch(f"{USERS}/{budi.pk}", {"title": "x"}, headers={"If-Match": "0"})
    assert response.status_code == 412
    assert field_names(response) == ["version"]


def test_deleting_a_user_answers_204(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    assert api(admin).delete(f"{USERS}/{budi.pk}").status_code == 204
    assert not User.objects.filter(pk=budi.pk).exists()


def test_deleting_a_user_who_owns_records_answers_409(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    factories.account(budi)
    response = api(admin).delete(f"{USERS}/{budi.pk}")
    assert response.status_code == 409
    assert "is_active=false" in response.json()["detail"]


def test_deleting_yourself_answers_409(org, admin, api):
    assert api(admin).delete(f"{USERS}/{admin.pk}").status_code == 409


def test_revoking_a_role(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"], roles=["Sales Representative"])
    rep_role = factories.role("Sales Representative")
    response = api(admin).post(f"{USERS}/{budi.pk}/revoke", {"role_id": rep_role.pk})
    assert response.status_code == 200
    assert response.json()["role_ids"] == []


def test_revoking_a_role_the_user_lacks_answers_404_naming_role_id(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    rep_role = factories.role("Sales Representative")
    response = api(admin).post(f"{USERS}/{budi.pk}/revoke", {"role_id": rep_role.pk})
    assert response.status_code == 404
    assert field_names(response) == ["role_id"]


def test_granting_a_missing_role_answers_404_naming_role_id(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    response = api(admin).post(f"{USERS}/{budi.pk}/grant", {"role_id": 987654})
    assert response.status_code == 404
    assert field_names(response) == ["role_id"]


def test_users_me_works_for_a_plain_sales_rep(rep, api):
    response = api(rep).get(f"{USERS}/me")
    assert response.status_code == 200
    assert response.json()["username"] == "rep"


def test_users_me_works_for_the_admin(admin, api):
    assert api(admin).get(f"{USERS}/me").json()["id"] == admin.pk


def test_a_sales_rep_updates_their_own_details_through_me(rep, api):
    response = api(rep).patch(f"{USERS}/me", {"is_out_of_office": True, "ui_language": "id"})
    assert response.status_code == 200, response.content
    assert (response.json()["is_out_of_office"], response.json()["ui_language"]) == (True, "id")


def test_a_sales_rep_cannot_change_their_unit_through_me(org, rep, api):
    response = api(rep).patch(f"{USERS}/me", {"unit_id": org["root"].pk})
    assert response.status_code == 422
    assert User.objects.get(pk=rep.pk).unit_id == org["jakarta"].pk


def test_a_sales_rep_gets_404_for_another_user(org, rep, api):
    budi = factories.user("budi", unit=org["jakarta"])
    assert api(rep).get(f"{USERS}/{budi.pk}").status_code == 404


def test_creating_a_user_writes_an_audit_event(org, admin, api):
    body = api(admin).post(USERS, {"username": "budi", "unit_id": org["jakarta"].pk}).json()
    assert AuditEvent.objects.filter(entity="user", object_id=body["id"], action="create").exists()


def test_updating_a_user_writes_an_audit_event_without_the_password(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    api(admin).patch(f"{USERS}/{budi.pk}", {"title": "Lead", "password": "Nasi-Goreng-Pedas-9"})
    event = AuditEvent.objects.get(entity="user", object_id=budi.pk, action="update")
    assert event.changes == {"title": ["", "Lead"]}


def test_granting_a_role_writes_an_audit_event(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    rep_role = factories.role("Sales Representative")
    api(admin).post(f"{USERS}/{budi.pk}/grant", {"role_id": rep_role.pk})
    event = AuditEvent.objects.get(entity="user", object_id=budi.pk, action="grant")
    assert event.changes == {"role": [None, "Sales Representative"]}


def test_deleting_a_user_writes_an_audit_event(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    api(admin).delete(f"{USERS}/{budi.pk}")
    assert AuditEvent.objects.filter(entity="user", object_id=budi.pk, action="delete").exists()


# Teams -----------------------------------------------------------------------------------


def test_admin_creates_an_owner_team_with_a_role(org, admin, api):
    leader = factories.role("Team Leader")
    response = api(admin).post(
        TEAMS, {"name": "Key Accounts", "unit_id": org["jakarta"].pk, "role_ids": [leader.pk]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["unit_id"], body["role_ids"]) == (
        "owner",
        org["jakarta"].pk,
        [leader.pk],
    )
    assert body["member_ids"] == []


def test_creating_an_access_team_here_is_refused(org, admin, api):
    response = api(admin).post(
        TEAMS, {"name": "Deal team", "unit_id": org["jakarta"].pk, "kind": "access"}
    )
    assert response.status_code == 400
    assert field_names(response) == ["kind"]


def test_a_duplicate_team_name_in_a_unit_answers_409(org, admin, api):
    factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).post(TEAMS, {"name": "Key Accounts", "unit_id": org["jakarta"].pk})
    assert response.status_code == 409


def test_admin_reads_a_team_with_its_members(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"], members=(budi,))
    body = api(admin).get(f"{TEAMS}/{key_accounts.pk}").json()
    assert body["member_ids"] == [budi.pk]


def test_team_list_filters_by_member(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    factories.team("Key Accounts", unit=org["jakarta"], members=(budi,))
    factories.team("Retail", unit=org["jakarta"])
    response = api(admin).get(TEAMS, {"member_id": budi.pk})
    assert [item["name"] for item in response.json()["items"]] == ["Key Accounts"]


def test_admin_renames_a_team(org, admin, api):
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).patch(f"{TEAMS}/{key_accounts.pk}", {"name": "Strategic Accounts"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["version"]) == ("Strategic Accounts", 2)


def test_admin_moves_a_team_to_another_unit(org, admin, api):
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).patch(f"{TEAMS}/{key_accounts.pk}", {"unit_id": org["milan"].pk})
    assert response.json()["unit_id"] == org["milan"].pk


def test_a_stale_if_match_on_a_team_answers_412(org, admin, api):
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).patch(
        f"{TEAMS}/{key_accounts.pk}", {"name": "x"}, headers={"If-Match": "3"}
    )
    assert response.status_code == 412


def test_deleting_a_team_answers_204(org, admin, api):
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    assert api(admin).delete(f"{TEAMS}/{key_accounts.pk}").status_code == 204
    assert not Team.objects.filter(pk=key_accounts.pk).exists()


def test_adding_a_member_with_an_expiry(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    until = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    response = api(admin).post(
        f"{TEAMS}/{key_accounts.pk}/members", {"user_id": budi.pk, "expires_at": until.isoformat()}
    )
    assert response.status_code == 201, response.content
    assert response.json()["user_id"] == budi.pk
    assert key_accounts.memberships.get(user=budi).expires_at == until


def test_a_member_whose_membership_expired_is_not_listed(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"], members=(budi,))
    key_accounts.memberships.update(expires_at=timezone.now() - dt.timedelta(days=1))
    assert api(admin).get(f"{TEAMS}/{key_accounts.pk}").json()["member_ids"] == []


def test_an_expiry_in_the_past_answers_400(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).post(
        f"{TEAMS}/{key_accounts.pk}/members",
        {"user_id": budi.pk, "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert response.status_code == 400
    assert field_names(response) == ["expires_at"]


def test_an_expiry_without_a_time_zone_answers_422(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).post(
        f"{TEAMS}/{key_accounts.pk}/members",
        {"user_id": budi.pk, "expires_at": "2099-01-01T00:00:00"},
    )
    assert response.status_code == 422
    assert field_names(response) == ["expires_at"]


def test_an_expiry_beyond_the_calendar_in_utc_answers_422(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).post(
        f"{TEAMS}/{key_accounts.pk}/members",
        {"user_id": budi.pk, "expires_at": "9999-12-31T23:59:59-12:00"},
    )
    assert response.status_code == 422
    assert field_names(response) == ["expires_at"]


def test_removing_a_member(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"], members=(budi,))
    response = api(admin).delete(f"{TEAMS}/{key_accounts.pk}/members/{budi.pk}")
    assert response.status_code == 204
    assert not key_accounts.memberships.exists()


def test_removing_someone_who_is_not_a_member_answers_404(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    response = api(admin).delete(f"{TEAMS}/{key_accounts.pk}/members/{budi.pk}")
    assert response.status_code == 404
    assert field_names(response) == ["user_id"]


def test_granting_and_revoking_a_team_role(org, admin, api):
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    leader = factories.role("Team Leader")
    client = api(admin)
    granted = client.post(f"{TEAMS}/{key_accounts.pk}/grant", {"role_id": leader.pk})
    assert granted.json()["role_ids"] == [leader.pk]
    revoked = client.post(f"{TEAMS}/{key_accounts.pk}/revoke", {"role_id": leader.pk})
    assert revoked.json()["role_ids"] == []


def test_regional_admin_cannot_grant_a_team_a_role_they_lack(org, asia_admin, api):
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    leader = factories.role("Team Leader")
    response = api(asia_admin).post(f"{TEAMS}/{key_accounts.pk}/grant", {"role_id": leader.pk})
    assert response.status_code == 403


def test_creating_a_team_writes_an_audit_event(org, admin, api):
    body = api(admin).post(TEAMS, {"name": "Retail", "unit_id": org["jakarta"].pk}).json()
    assert AuditEvent.objects.filter(entity="team", object_id=body["id"], action="create").exists()


def test_adding_a_member_writes_an_audit_event(org, admin, api):
    budi = factories.user("budi", unit=org["jakarta"])
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    api(admin).post(f"{TEAMS}/{key_accounts.pk}/members", {"user_id": budi.pk})
    event = AuditEvent.objects.get(entity="team", object_id=key_accounts.pk, action="member_add")
    assert event.changes["member"] == [None, "budi"]


def test_deleting_a_team_writes_an_audit_event(org, admin, api):
    key_accounts = factories.team("Key Accounts", unit=org["jakarta"])
    api(admin).delete(f"{TEAMS}/{key_accounts.pk}")
    assert AuditEvent.objects.filter(
        entity="team", object_id=key_accounts.pk, action="delete"
    ).exists()


# Roles -----------------------------------------------------------------------------------


def test_admin_lists_the_builtin_roles(admin, api):
    response = api(admin).get(ROLES, {"is_builtin": "true", "count": "true"})
    assert response.json()["count"] == 12
    assert response.json()["items"][0]["name"] == "Back Office"


def test_admin_reads_a_role_with_its_matrix(admin, api):
    rep_role = factories.role("Sales Representative")
    body = api(admin).get(f"{ROLES}/{rep_role.pk}").json()
    assert body["permissions"]["account"]["read"] == "unit"
    assert body["privileges"] == {"view_reports": "own"}
    assert body["is_builtin"] is True


def test_admin_creates_a_role(admin, api):
    response = api(admin).post(
        ROLES,
        {
            "name": "Auditor",
            "permissions": {"account": {"read": "org"}},
            "privileges": {"view_reports": "org"},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["permissions"] == {"account": {"read": "org"}}
    assert response.json()["is_builtin"] is False


def test_an_unknown_entity_in_a_role_answers_400(admin, api):
    response = api(admin).post(
        ROLES, {"name": "Odd", "permissions": {"spaceship": {"read": "org"}}}
    )
    assert response.status_code == 400
    assert field_names(response) == ["permissions"]


def test_an_unknown_depth_in_a_role_answers_422(admin, api):
    response = api(admin).post(ROLES, {"name": "Odd", "privileges": {"export": "galaxy"}})
    assert response.status_code == 422


def test_admin_updates_a_roles_matrix(admin, api):
    auditor = factories.custom_role(name="Auditor", permissions={"account": {"read": "unit"}})
    response = api(admin).patch(
        f"{ROLES}/{auditor.pk}", {"permissions": {"contact": {"read": "org"}}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["permissions"] == {
        "account": {"read": "unit"},
        "contact": {"read": "org"},
    }
    assert response.json()["version"] == 2


def test_a_stale_if_match_on_a_role_answers_412(admin, api):
    auditor = factories.custom_role(name="Auditor")
    response = api(admin).patch(
        f"{ROLES}/{auditor.pk}", {"description": "x"}, headers={"If-Match": "5"}
    )
    assert response.status_code == 412


def test_copying_a_role_creates_an_editable_role_with_the_same_matrix(admin, api):
    manager = factories.role("Sales Manager")
    response = api(admin).post(f"{ROLES}/{manager.pk}/copy", {"name": "Sales Manager (Asia)"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != manager.pk
    assert body["is_builtin"] is False
    assert (body["permissions"], body["privileges"]) == (manager.permissions, manager.privileges)


def test_copying_a_role_to_a_taken_name_answers_409(admin, api):
    manager = factories.role("Sales Manager")
    response = api(admin).post(f"{ROLES}/{manager.pk}/copy", {"name": "sales representative"})
    assert response.status_code == 409


def test_deleting_a_builtin_role_answers_409(admin, api):
    assert api(admin).delete(f"{ROLES}/{factories.role('Partner').pk}").status_code == 409


def test_deleting_a_held_role_answers_409(org, admin, api):
    auditor = factories.custom_role(name="Auditor")
    factories.user("budi", unit=org["jakarta"], roles=[auditor])
    assert api(admin).delete(f"{ROLES}/{auditor.pk}").status_code == 409


def test_deleting_a_custom_role_answers_204(admin, api):
    auditor = factories.custom_role(name="Auditor")
    assert api(admin).delete(f"{ROLES}/{auditor.pk}").status_code == 204
    assert not SecurityRole.objects.filter(pk=auditor.pk).exists()


def test_copying_a_role_writes_an_audit_event(admin, api):
    manager = factories.role("Sales Manager")
    body = api(admin).post(f"{ROLES}/{manager.pk}/copy", {"name": "Copy"}).json()
    assert AuditEvent.objects.filter(entity="role", object_id=body["id"], action="create").exists()


def test_updating_a_role_writes_an_audit_event(admin, api):
    auditor = factories.custom_role(name="Auditor")
    api(admin).patch(f"{ROLES}/{auditor.pk}", {"description": "Reads the books"})
    event = AuditEvent.objects.get(entity="role", object_id=auditor.pk, action="update")
    assert event.changes == {"description": ["", "Reads the books"]}
