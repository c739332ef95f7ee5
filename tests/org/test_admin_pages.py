"""The Admin area: home, units, users and teams, as an org-wide admin, a delegated admin of
the Asia-Pacific subtree and a sales rep."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.org.models import BusinessUnit, Team, TeamKind, TeamMembership, User

pytestmark = pytest.mark.django_db


def browse(user: User) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


@pytest.fixture
def asia_admin(org):
    """Manages the Asia-Pacific subtree and holds the Sales Manager role."""
    role = factories.custom_role(name="Asia Admin", privileges={"manage_org": "subtree"})
    return factories.user(
        "asia_admin", unit=org["asia"], roles=[role, "Sales Manager"], first_name="Ayu"
    )


@pytest.fixture
def rep(org):
    return factories.user("jrep", unit=org["jakarta"], roles=["Sales Representative"])


@pytest.fixture
def milan_person(org):
    return factories.user("milan_person", unit=org["milan"], roles=["Sales Representative"])


# Admin home and navigation ----------------------------------------------------------------


def test_the_admin_home_links_every_admin_page_for_an_org_admin(admin):
    response = browse(admin).get("/admin/")
    assert response.status_code == 200
    for path in (
        "/admin/units/",
        "/admin/users/",
        "/admin/teams/",
        "/admin/roles/",
        "/admin/templates/",
        "/routing/rules/",
    ):
        assertContains(response, f'href="{path}"')


def test_the_admin_home_shows_a_delegated_admin_only_org_pages(asia_admin):
    response = browse(asia_admin).get("/admin/")
    assertContains(response, 'href="/admin/users/"')
    assertNotContains(response, 'href="/admin/roles/"')
    assertNotContains(response, 'href="/admin/templates/"')


def test_the_admin_home_is_forbidden_to_a_sales_rep(rep):
    assert browse(rep).get("/admin/").status_code == 403


def test_the_navigation_offers_admin_to_an_admin_and_not_to_a_rep(admin, rep):
    admin_names = [n for n, _label in browse(admin).get("/").context["nav_items"]]
    rep_names = [n for n, _label in browse(rep).get("/").context["nav_items"]]
    assert "web:admin_home" in admin_names
    assert "web:admin_home" not in rep_names


def test_a_routing_manager_without_manage_org_reaches_the_admin_home(org):
    role = factories.custom_role(privileges={"manage_routing": "subtree"})
    router = factories.user("router", unit=org["asia"], roles=[role])
    response = browse(router).get("/admin/")
    assertContains(response, 'href="/routing/rules/"')
    assertNotContains(response, 'href="/admin/units/"')


# Units ------------------------------------------------------------------------------------


def test_an_admin_creates_a_child_unit(admin, org):
    response = browse(admin).post(
        "/admin/units/", {"create-name": "Bandung", "create-parent": org["asia"].pk}
    )
    assert response.status_code == 302
    unit = BusinessUnit.objects.get(name="Bandung")
    assert unit.parent == org["asia"]
    assert AuditEvent.objects.filter(entity="unit", action="create", object_id=unit.pk).exists()


def test_a_duplicate_unit_name_is_shown_on_the_form(admin, org):
    response = browse(admin).post(
        "/admin/units/", {"create-name": "Jakarta", "create-parent": org["asia"].pk}
    )
    assert response.status_code == 409
    assert "already exists" in str(response.context["form"].errors["name"])


def test_a_delegated_admin_cannot_create_a_unit_outside_their_subtree(asia_admin, org):
    response = browse(asia_admin).post(
        "/admin/units/", {"create-name": "Rome", "create-parent": org["europe"].pk}
    )
    assert response.status_code == 400
    assert "parent" in response.context["form"].errors
    assert not BusinessUnit.objects.filter(name="Rome").exists()


def test_an_admin_renames_a_unit(admin, org):
    unit = org["milan"]
    response = browse(admin).post(
        f"/admin/units/{unit.pk}/", {"op": "rename", "rename-name": "Milano"}
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "Milano"


def test_an_empty_unit_name_is_a_form_error_not_a_500(admin, org):
    response = browse(admin).post(
        f"/admin/units/{org['milan'].pk}/", {"op": "rename", "rename-name": "  "}
    )
    assert response.status_code == 400
    assert "name" in response.context["rename"].errors


def test_a_delegated_admin_moves_a_unit_within_their_subtree(asia_admin, org):
    response = browse(asia_admin).post(
        f"/admin/units/{org['shanghai'].pk}/", {"op": "move", "move-parent": org["jakarta"].pk}
    )
    assert response.status_code == 302
    org["shanghai"].refresh_from_db()
    assert org["shanghai"].parent == org["jakarta"]
    assert org["shanghai"].path == f"{org['jakarta'].path}{org['shanghai'].pk}/"


def test_a_delegated_admin_may_not_move_a_unit_out_of_their_subtree(asia_admin, org):
    response = browse(asia_admin).post(
        f"/admin/units/{org['shanghai'].pk}/", {"op": "move", "move-parent": org["europe"].pk}
    )
    assert response.status_code == 400
    org["shanghai"].refresh_from_db()
    assert org["shanghai"].parent == org["asia"]


def test_a_unit_cannot_move_under_its_own_child(admin, org):
    response = browse(admin).post(
        f"/admin/units/{org['asia'].pk}/", {"op": "move", "move-parent": org["jakarta"].pk}
    )
    assert response.status_code == 400
    assert "parent" in response.context["move"].errors


def test_a_unit_with_people_is_not_deleted_and_the_page_says_why(admin, org, rep):
    response = browse(admin).post(f"/admin/units/{org['jakarta'].pk}/", {"op": "delete"})
    assert response.status_code == 409
    assertContains(response, "1 user(s)", status_code=409)
    assert BusinessUnit.objects.filter(pk=org["jakarta"].pk).exists()


def test_an_empty_unit_is_deleted(admin, org):
    response = browse(admin).post(f"/admin/units/{org['milan'].pk}/", {"op": "delete"})
    assert response.status_code == 302
    assert not BusinessUnit.objects.filter(pk=org["milan"].pk).exists()


def test_a_unit_outside_the_subtree_is_not_found_for_a_delegated_admin(asia_admin, org):
    assert browse(asia_admin).get(f"/admin/units/{org['milan'].pk}/").status_code == 404


def test_the_unit_pages_are_forbidden_to_a_sales_rep(rep, org):
    assert browse(rep).get("/admin/units/").status_code == 403
    assert browse(rep).get(f"/admin/units/{org['jakarta'].pk}/").status_code == 403


def test_every_unit_form_carries_a_csrf_token(admin, org):
    response = browse(admin).get(f"/admin/units/{org['milan'].pk}/")
    assert response.content.decode().count('name="csrfmiddlewaretoken"') >= 3


# Users ------------------------------------------------------------------------------------


def test_the_user_list_shows_a_delegated_admin_only_their_subtree(asia_admin, rep, milan_person):
    response = browse(asia_admin).get("/admin/users/")
    people = [person.username for person in response.context["people"]]
    assert "jrep" in people
    assert "milan_person" not in people


def test_the_org_admin_sees_everyone_in_the_user_list(admin, rep, milan_person):
    response = browse(admin).get("/admin/users/")
    people = [person.username for person in response.context["people"]]
    assert {"jrep", "milan_person", "admin"} <= set(people)


def test_the_user_list_filters_by_search_unit_role_and_status(admin, org, rep, milan_person):
    factories.user("jakarta_gone", unit=org["jakarta"], is_active=False)
    client = browse(admin)
    by_search = client.get("/admin/users/", {"q": "milan"}).context["people"]
    by_unit = client.get("/admin/users/", {"unit": org["jakarta"].pk}).context["people"]
    by_role = client.get("/admin/users/", {"role": factories.role("System Administrator").pk})
    inactive = client.get("/admin/users/", {"active": "no"}).context["people"]
    assert [p.username for p in by_search] == ["milan_person"]
    assert [p.username for p in by_unit] == ["jakarta_gone", "jrep"]
    assert [p.username for p in by_role.context["people"]] == ["admin"]
    assert [p.username for p in inactive] == ["jakarta_gone"]


def test_a_bad_user_filter_is_a_400_not_a_500(admin):
    assert browse(admin).get("/admin/users/", {"unit": "abc"}).status_code == 400


def _user_post(unit: BusinessUnit, **extra) -> dict:
    data = {
        "username": "newbie",
        "first_name": "New",
        "unit": unit.pk,
        "job_class": "front_office",
        "user_type": "internal",
        "capacity": "15",
        "languages": "en, ID",
        "region": "west",
        "skills": "billing 3\nitalian",
        "is_active": "on",
    }
    data.update(extra)
    return data


def test_an_admin_creates_a_user_with_roles_skills_and_languages(admin, org):
    role = factories.role("Sales Representative")
    response = browse(admin).post("/admin/users/new/", _user_post(org["jakarta"], roles=[role.pk]))
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert (user.unit, user.capacity, user.languages) == (org["jakarta"], 15, ["en", "id"])
    assert list(user.roles.all()) == [role]
    assert {s.skill.name: s.level for s in user.skills.all()} == {"billing": 3, "italian": 1}


def test_a_delegated_admin_is_offered_only_roles_they_hold(asia_admin):
    response = browse(asia_admin).get("/admin/users/new/")
    offered = {role.name for role in response.context["form"].fields["roles"].queryset}
    assert offered == {"Asia Admin", "Sales Manager"}


def test_a_delegated_admin_cannot_grant_a_role_they_do_not_hold(asia_admin, org):
    admin_role = factories.role("System Administrator")
    response = browse(asia_admin).post(
        "/admin/users/new/", _user_post(org["jakarta"], roles=[admin_role.pk])
    )
    assert response.status_code == 400
    assert "roles" in response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()


def test_a_delegated_admin_cannot_place_a_user_outside_their_subtree(asia_admin, org):
    response = browse(asia_admin).post("/admin/users/new/", _user_post(org["milan"]))
    assert response.status_code == 400
    assert "unit" in response.context["form"].errors


def test_bad_user_input_shows_form_errors_not_a_500(admin, org):
    response = browse(admin).post(
        "/admin/users/new/", _user_post(org["jakarta"], capacity="-3", skills="billing 9")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "capacity" in errors
    assert "skills" in errors


def test_a_taken_username_is_shown_on_the_username_field(admin, org, rep):
    response = browse(admin).post("/admin/users/new/", _user_post(org["jakarta"], username="JREP"))
    assert response.status_code == 409
    assert "taken" in str(response.context["form"].errors["username"])


def test_an_admin_edits_a_user_and_every_change_is_audited(admin, org, rep):
    team = factories.team("Jakarta Hunters", unit=org["jakarta"])
    manager = factories.user("boss", unit=org["asia"])
    data = _user_post(
        org["shanghai"],
        username="jrep",
        reports_to=manager.pk,
        is_out_of_office="on",
        teams=[team.pk],
        roles=[factories.role("Team Leader").pk],
        version=rep.version,
    )
    response = browse(admin).post(f"/admin/users/{rep.pk}/", data)
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.unit, rep.reports_to, rep.is_out_of_office) == (org["shanghai"], manager, True)
    assert [r.name for r in rep.roles.all()] == ["Team Leader"]
    assert TeamMembership.objects.filter(team=team, user=rep).exists()
    actions = set(
        AuditEvent.objects.filter(object_id__in=[rep.pk, team.pk]).values_list("action", flat=True)
    )
    assert {"update", "grant", "revoke", "member_add"} <= actions


def test_deactivating_a_user_from_the_edit_page(admin, org, rep):
    data = _user_post(
        org["jakarta"], username="jrep", roles=[factories.role("Sales Representative").pk]
    )
    data.pop("is_active")
    assert browse(admin).post(f"/admin/users/{rep.pk}/", data).status_code == 302
    rep.refresh_from_db()
    assert rep.is_active is False


def test_a_reporting_cycle_is_shown_on_the_reports_to_field_and_changes_nothing(admin, org, rep):
    below = factories.user("below", unit=org["jakarta"], reports_to=rep)
    data = _user_post(org["jakarta"], username="jrep", first_name="Renamed", reports_to=below.pk)
    response = browse(admin).post(f"/admin/users/{rep.pk}/", data)
    assert response.status_code == 400
    assert "cycle" in str(response.context["form"].errors["reports_to"])
    rep.refresh_from_db()
    assert (rep.first_name, rep.reports_to) == ("", None)


def test_a_delegated_admin_keeps_roles_they_may_not_change(asia_admin, org, rep):
    data = _user_post(org["jakarta"], username="jrep", roles=[])
    response = browse(asia_admin).post(f"/admin/users/{rep.pk}/", data)
    assert response.status_code == 302
    assert [r.name for r in rep.roles.all()] == ["Sales Representative"]


def test_a_user_outside_the_subtree_is_not_found_for_a_delegated_admin(asia_admin, milan_person):
    assert browse(asia_admin).get(f"/admin/users/{milan_person.pk}/").status_code == 404


def test_the_user_pages_are_forbidden_to_a_sales_rep(rep):
    assert browse(rep).get("/admin/users/").status_code == 403
    assert browse(rep).get(f"/admin/users/{rep.pk}/").status_code == 403


# Teams ------------------------------------------------------------------------------------


def test_the_team_list_shows_a_delegated_admin_only_their_teams(asia_admin, org):
    factories.team("Jakarta Hunters", unit=org["jakarta"])
    factories.team("Milan Farmers", unit=org["milan"])
    response = browse(asia_admin).get("/admin/teams/")
    assert [t.name for t in response.context["owner_teams"]] == ["Jakarta Hunters"]
    assertNotContains(response, "Milan Farmers")


def test_access_teams_are_listed_read_only_with_their_record(admin, org, rep):
    account = factories.account(rep, name="Garuda Foods")
    team = Team.objects.create(
        name="Deal team: Garuda",
        kind=TeamKind.ACCESS,
        unit=org["jakarta"],
        record_type=ContentType.objects.get_for_model(account),
        record_id=account.pk,
    )
    response = browse(admin).get("/admin/teams/")
    assertContains(response, "Deal team: Garuda")
    assertContains(response, f"account #{account.pk}")
    assert browse(admin).get(f"/admin/teams/{team.pk}/").status_code == 404


def test_an_admin_creates_an_owner_team_with_a_role_and_leader(admin, org, rep):
    role = factories.role("Team Leader")
    response = browse(admin).post(
        "/admin/teams/new/",
        {
            "op": "save",
            "name": "Hunters",
            "unit": org["jakarta"].pk,
            "leader": rep.pk,
            "roles": [role.pk],
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Hunters")
    assert (team.unit, team.leader, list(team.roles.all())) == (org["jakarta"], rep, [role])


def test_a_delegated_admin_cannot_give_a_team_a_role_they_do_not_hold(asia_admin, org):
    response = browse(asia_admin).post(
        "/admin/teams/new/",
        {
            "op": "save",
            "name": "Hunters",
            "unit": org["jakarta"].pk,
            "roles": [factories.role("Executive").pk],
        },
    )
    assert response.status_code == 400
    assert not Team.objects.filter(name="Hunters").exists()


def test_an_admin_adds_a_member_with_an_expiry_and_removes_them(admin, org, rep):
    team = factories.team("Hunters", unit=org["jakarta"])
    client = browse(admin)
    added = client.post(
        f"/admin/teams/{team.pk}/",
        {"op": "add_member", "member-user": rep.pk, "member-expires_at": "2099-01-01T09:00"},
    )
    assert added.status_code == 302
    membership = TeamMembership.objects.get(team=team, user=rep)
    assert membership.expires_at.year == 2099
    removed = client.post(f"/admin/teams/{team.pk}/members/{rep.pk}/remove/")
    assert removed.status_code == 302
    assert not TeamMembership.objects.filter(team=team, user=rep).exists()


def test_a_past_membership_expiry_is_a_form_error(admin, org, rep):
    team = factories.team("Hunters", unit=org["jakarta"])
    response = browse(admin).post(
        f"/admin/teams/{team.pk}/",
        {"op": "add_member", "member-user": rep.pk, "member-expires_at": "2001-01-01T09:00"},
    )
    assert response.status_code == 400
    assert "expires_at" in response.context["member_form"].errors


def test_a_team_outside_the_subtree_is_not_found_for_a_delegated_admin(asia_admin, org):
    team = factories.team("Milan Farmers", unit=org["milan"])
    assert browse(asia_admin).get(f"/admin/teams/{team.pk}/").status_code == 404


def test_the_team_pages_are_forbidden_to_a_sales_rep(rep):
    assert browse(rep).get("/admin/teams/").status_code == 403


def test_every_admin_page_renders_for_an_org_admin(admin, org, rep):
    team = factories.team("Hunters", unit=org["jakarta"], members=(rep,))
    role = factories.role("Sales Representative")
    client = browse(admin)
    for path in (
        "/admin/",
        "/admin/units/",
        f"/admin/units/{org['asia'].pk}/",
        "/admin/users/",
        "/admin/users/new/",
        f"/admin/users/{rep.pk}/",
        "/admin/teams/",
        "/admin/teams/new/",
        f"/admin/teams/{team.pk}/",
        "/admin/roles/",
        "/admin/roles/new/",
        f"/admin/roles/{role.pk}/",
        "/admin/templates/",
        "/admin/templates/new/",
    ):
        assert client.get(path).status_code == 200, path
