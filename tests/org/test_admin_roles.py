"""The Admin area's security-role pages (matrix editor with preview) and access-team
templates, as an org-wide admin, a delegated admin and a sales rep."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.asserts import assertContains

from tests import factories
from trellis.access.engine import visible
from trellis.access.preview import role_change_preview
from trellis.audit.models import AuditEvent
from trellis.customers.models import Account
from trellis.org.forms import role_initial
from trellis.org.models import AccessTeamTemplate, SecurityRole, Team, TeamKind, User

pytestmark = pytest.mark.django_db


def browse(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def asia_admin(org):
    role = factories.custom_role(name="Asia Admin", privileges={"manage_org": "subtree"})
    return factories.user("asia_admin", unit=org["asia"], roles=[role])


@pytest.fixture
def rep(org):
    return factories.user("jrep", unit=org["jakarta"], roles=["Sales Representative"])


@pytest.fixture
def reader_role():
    """A custom role reading only own accounts."""
    return factories.custom_role(name="Account Reader", permissions={"account": {"read": "own"}})


def _matrix_post(role: SecurityRole, **cells: str) -> dict:
    """The role's current form values with some cells changed (`account__read="unit"`)."""
    data = {key: value for key, value in role_initial(role).items()}
    data["version"] = role.version
    for key, value in cells.items():
        data[f"perm__{key}"] = value
    return data


# Who may use the pages --------------------------------------------------------------------


def test_the_role_list_shows_every_role_to_a_roles_admin(admin, reader_role):
    response = browse(admin).get("/admin/roles/")
    assertContains(response, "Account Reader")
    assertContains(response, "Sales Representative")


def test_the_role_pages_are_forbidden_without_manage_roles(asia_admin, rep, reader_role):
    for user in (asia_admin, rep):
        client = browse(user)
        assert client.get("/admin/roles/").status_code == 403
        assert client.get(f"/admin/roles/{reader_role.pk}/").status_code == 403
        assert client.post(f"/admin/roles/{reader_role.pk}/preview/").status_code == 403


def test_an_unknown_role_is_not_found(admin):
    assert browse(admin).get("/admin/roles/999999/").status_code == 404


def test_the_matrix_has_a_depth_select_for_every_entity_and_action(admin, reader_role):
    response = browse(admin).get(f"/admin/roles/{reader_role.pk}/")
    assertContains(response, 'name="perm__account__read"')
    assertContains(response, 'name="perm__activity__share"')
    assertContains(response, 'name="priv__manage_org"')
    assert response.context["form"]["perm__account__read"].value() == "own"


# Create, copy, save -----------------------------------------------------------------------


def test_an_admin_creates_a_role_from_the_matrix(admin):
    data = {"name": "Lead Hunter", "perm__lead__read": "unit", "priv__export": "own"}
    response = browse(admin).post("/admin/roles/new/", data)
    assert response.status_code == 302
    role = SecurityRole.objects.get(name="Lead Hunter")
    assert role.permissions["lead"]["read"] == "unit"
    assert role.permissions["account"]["read"] == "none"
    assert role.privileges == {"export": "own"}


def test_an_unknown_depth_is_a_form_error_not_a_500(admin, reader_role):
    data = _matrix_post(reader_role, account__read="galaxy")
    response = browse(admin).post(f"/admin/roles/{reader_role.pk}/", data)
    assert response.status_code == 400
    assert "perm__account__read" in response.context["form"].errors


def test_a_duplicate_role_name_is_shown_on_the_name_field(admin, reader_role):
    response = browse(admin).post("/admin/roles/new/", {"name": "account reader"})
    assert response.status_code == 409
    assert "exists" in str(response.context["form"].errors["name"])


def test_an_admin_copies_a_role(admin):
    source = factories.role("Sales Representative")
    response = browse(admin).post("/admin/roles/", {"role": source.pk, "name": "Rep (Asia)"})
    assert response.status_code == 302
    assert SecurityRole.objects.get(name="Rep (Asia)").permissions == source.permissions


def test_copying_under_a_taken_name_shows_why(admin):
    source = factories.role("Sales Representative")
    response = browse(admin).post("/admin/roles/", {"role": source.pk, "name": "Executive"})
    assert response.status_code == 409
    assertContains(response, "exists", status_code=409)


def test_copying_a_role_that_does_not_exist_is_not_found(admin):
    assert browse(admin).post("/admin/roles/", {"role": "x", "name": "Y"}).status_code == 404


def test_saving_the_matrix_changes_what_a_holder_sees_and_is_audited(admin, org, reader_role):
    holder = factories.user("holder", unit=org["jakarta"], roles=[reader_role])
    colleague = factories.user("colleague", unit=org["jakarta"])
    factories.account(colleague)
    assert visible(holder, Account).count() == 0
    data = _matrix_post(reader_role, account__read="unit")
    response = browse(admin).post(f"/admin/roles/{reader_role.pk}/", data)
    assert response.status_code == 302
    assert visible(holder, Account).count() == 1
    assert AuditEvent.objects.filter(entity="role", action="update", object_id=reader_role.pk)


def test_a_stale_version_is_refused_with_a_message(admin, reader_role):
    data = _matrix_post(reader_role, account__read="unit")
    data["version"] = reader_role.version + 5
    response = browse(admin).post(f"/admin/roles/{reader_role.pk}/", data)
    assert response.status_code == 412
    reader_role.refresh_from_db()
    assert reader_role.permissions["account"]["read"] == "own"


# Preview ----------------------------------------------------------------------------------


def test_the_preview_counts_what_each_holder_gains(admin, org, reader_role):
    holder = factories.user("holder", unit=org["jakarta"], roles=[reader_role])
    colleague = factories.user("colleague", unit=org["jakarta"])
    factories.account(holder)
    factories.account(colleague)
    factories.account(colleague)
    data = _matrix_post(reader_role, account__read="unit")
    response = browse(admin).post(f"/admin/roles/{reader_role.pk}/preview/", data)
    assert response.status_code == 200
    [change] = response.context["preview"].holders
    assert change.user == holder
    assert change.rows == [("account", 1, 3, 2)]
    assertContains(response, "+2")


def test_the_preview_counts_losses_of_a_holder_through_an_owner_team(admin, org):
    role = factories.custom_role(name="Unit Reader", permissions={"account": {"read": "unit"}})
    member = factories.user("member", unit=org["milan"])
    factories.team("Milan Desk", unit=org["milan"], members=(member,), roles=(role,))
    owner = factories.user("owner", unit=org["milan"])
    factories.account(owner)
    data = _matrix_post(role, account__read="none")
    response = browse(admin).post(f"/admin/roles/{role.pk}/preview/", data)
    [change] = response.context["preview"].holders
    assert (change.user, change.rows) == (member, [("account", 1, 0, -1)])


def test_the_preview_changes_nothing_in_the_database(admin, org, reader_role):
    factories.user("holder", unit=org["jakarta"], roles=[reader_role])
    before = (reader_role.permissions, reader_role.version, AuditEvent.objects.count())
    data = _matrix_post(reader_role, account__read="org")
    browse(admin).post(f"/admin/roles/{reader_role.pk}/preview/", data)
    reader_role.refresh_from_db()
    assert (reader_role.permissions, reader_role.version, AuditEvent.objects.count()) == before


def test_the_preview_leaves_holders_past_the_limit_out_and_says_so(org, reader_role):
    for number in range(3):
        factories.user(f"holder{number}", unit=org["jakarta"], roles=[reader_role])
    preview = role_change_preview(
        reader_role, permissions=reader_role.permissions, privileges={}, limit=2
    )
    assert [h.user.username for h in preview.holders] == ["holder0", "holder1"]
    assert preview.left_out == 1


def test_the_preview_ignores_expired_team_memberships(org):
    role = factories.custom_role(permissions={"account": {"read": "org"}})
    team = factories.team("Old Desk", unit=org["milan"], roles=(role,))
    gone = factories.user("gone", unit=org["milan"])
    team.memberships.create(user=gone, expires_at="2001-01-01T00:00:00Z")
    preview = role_change_preview(role, permissions={}, privileges={})
    assert preview.total_holders == 0


def test_a_preview_of_a_bad_matrix_answers_400(admin, reader_role):
    data = _matrix_post(reader_role, account__read="galaxy")
    response = browse(admin).post(f"/admin/roles/{reader_role.pk}/preview/", data)
    assert response.status_code == 400


# Access-team templates --------------------------------------------------------------------


def test_an_admin_creates_edits_and_deletes_a_template(admin):
    client = browse(admin)
    created = client.post(
        "/admin/templates/new/", {"name": "Deal team", "entity": "opportunity", "rights": ["write"]}
    )
    assert created.status_code == 302
    template = AccessTeamTemplate.objects.get(name="Deal team")
    assert template.rights == ["read", "write"]
    edited = client.post(
        f"/admin/templates/{template.pk}/",
        {"name": "Deal team", "entity": "opportunity", "rights": ["read", "share"]},
    )
    assert edited.status_code == 302
    template.refresh_from_db()
    assert template.rights == ["read", "share"]
    assert client.post(f"/admin/templates/{template.pk}/delete/").status_code == 302
    assert not AccessTeamTemplate.objects.filter(pk=template.pk).exists()
    actions = AuditEvent.objects.filter(entity="access_team_template").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["create", "delete", "update"]


def test_an_unknown_template_right_is_a_form_error(admin):
    response = browse(admin).post(
        "/admin/templates/new/", {"name": "Odd", "entity": "account", "rights": ["fly"]}
    )
    assert response.status_code == 400
    assert "rights" in response.context["form"].errors


def test_a_template_in_use_is_not_deleted_and_the_page_says_why(admin, org):
    template = AccessTeamTemplate.objects.create(
        name="Deal team", entity="account", rights=["read"]
    )
    Team.objects.create(name="t", kind=TeamKind.ACCESS, unit=org["root"], template=template)
    response = browse(admin).post(f"/admin/templates/{template.pk}/delete/", follow=True)
    assertContains(response, "is used by 1 access team")
    assert AccessTeamTemplate.objects.filter(pk=template.pk).exists()


def test_the_template_pages_are_forbidden_without_manage_roles(asia_admin, rep):
    for user in (asia_admin, rep):
        assert browse(user).get("/admin/templates/").status_code == 403
        assert browse(user).post("/admin/templates/new/", {"name": "x"}).status_code == 403


def test_a_subtree_roles_admin_sees_roles_but_may_not_preview_an_edit(org, reader_role):
    role = factories.custom_role(privileges={"manage_roles": "subtree"})
    person = factories.user("roles_asia", unit=org["asia"], roles=[role])
    client = browse(person)
    page = client.get(f"/admin/roles/{reader_role.pk}/")
    assert page.status_code == 200
    assert page.context["may_preview"] is False
    preview = client.post(f"/admin/roles/{reader_role.pk}/preview/", _matrix_post(reader_role))
    assert preview.status_code == 403


def test_the_preview_button_posts_the_matrix_with_htmx(admin, reader_role):
    response = browse(admin).get(f"/admin/roles/{reader_role.pk}/")
    assertContains(response, f'hx-post="/admin/roles/{reader_role.pk}/preview/"')
    assertContains(response, 'hx-include="#role-form"')


def test_an_edit_that_keeps_every_read_depth_previews_no_change(admin, org, reader_role):
    holder = factories.user("holder", unit=org["jakarta"], roles=[reader_role])
    factories.account(factories.user("colleague", unit=org["jakarta"]))
    data = _matrix_post(reader_role, account__write="org")
    response = browse(admin).post(f"/admin/roles/{reader_role.pk}/preview/", data)
    [change] = response.context["preview"].holders
    assert (change.user, change.rows) == (holder, [])
    assertContains(response, "No one would gain or lose a record they read.")
