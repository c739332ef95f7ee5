"""Organization services: privileges, the unit tree, the manager hierarchy, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.core.errors import Conflict, Forbidden, InvalidInput, StaleVersion
from trellis.org import services
from trellis.org.models import ApiToken, BusinessUnit, ManagerClosure
from trellis.org.selectors import managed_units, managed_users


@pytest.fixture
def asia_admin(org):
    regional = factories.custom_role(name="Regional Admin", privileges={"manage_org": "subtree"})
    return factories.user("asia_admin", unit=org["asia"], roles=[regional])


def ancestors_of(user) -> set[tuple[str, int]]:
    rows = ManagerClosure.objects.filter(descendant=user)
    return set(rows.values_list("ancestor__username", "depth"))


def test_managed_units_of_a_regional_admin_are_their_subtree(org, asia_admin):
    names = set(managed_units(asia_admin).values_list("name", flat=True))
    assert names == {"Asia-Pacific", "Jakarta", "Shanghai"}


def test_managed_users_of_a_sales_rep_are_none(org):
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    assert not managed_users(rep).exists()


def test_unit_create_sets_path_and_depth(org, admin):
    bangkok = services.unit_create(admin, name="Bangkok", parent=org["jakarta"])
    assert bangkok.path == f"{org['jakarta'].path}{bangkok.pk}/"
    assert bangkok.depth == 3


def test_unit_create_refuses_an_empty_name(org, admin):
    with pytest.raises(InvalidInput):
        services.unit_create(admin, name="  ", parent=org["asia"])


def test_regional_admin_may_not_create_a_unit_under_europe(org, asia_admin):
    with pytest.raises(Forbidden):
        services.unit_create(asia_admin, name="Rome", parent=org["europe"])


def test_moving_a_unit_updates_the_depth_of_its_whole_subtree(org, admin):
    bangkok = services.unit_create(admin, name="Bangkok", parent=org["jakarta"])
    services.unit_update(admin, unit=org["jakarta"], parent=org["root"])
    assert BusinessUnit.objects.get(pk=org["jakarta"].pk).depth == 1
    assert BusinessUnit.objects.get(pk=bangkok.pk).depth == 2


def test_moving_the_root_unit_is_refused(org, admin):
    with pytest.raises(InvalidInput):
        services.unit_update(admin, unit=org["root"], parent=org["asia"])


def test_deleting_the_root_unit_is_refused(org, admin):
    with pytest.raises(Conflict):
        services.unit_delete(admin, unit=org["root"])


def test_a_stale_version_is_refused(org, admin):
    with pytest.raises(StaleVersion):
        services.unit_update(admin, unit=org["milan"], version=2, name="Milano")


def test_user_create_builds_closure_rows_up_the_chain(org, admin):
    ceo = factories.user("ceo", unit=org["root"])
    asia_head = factories.user("asia_head", unit=org["asia"], reports_to=ceo)
    budi = services.user_create(admin, username="budi", unit=org["jakarta"], reports_to=asia_head)
    assert ancestors_of(budi) == {("asia_head", 1), ("ceo", 2)}


def test_reassigning_a_manager_moves_the_whole_team_below_in_the_closure(org, admin):
    ceo = factories.user("ceo", unit=org["root"])
    asia_head = factories.user("asia_head", unit=org["asia"], reports_to=ceo)
    europe_head = factories.user("europe_head", unit=org["europe"])
    budi = factories.user("budi", unit=org["jakarta"], reports_to=asia_head)
    intern = factories.user("intern", unit=org["jakarta"], reports_to=budi)
    services.user_update(admin, user=budi, reports_to=europe_head)
    assert ancestors_of(budi) == {("europe_head", 1)}
    assert ancestors_of(intern) == {("budi", 1), ("europe_head", 2)}
    assert not ManagerClosure.objects.filter(ancestor=asia_head).exists()


def test_a_reporting_cycle_is_refused(org, admin):
    boss = factories.user("boss", unit=org["asia"])
    budi = factories.user("budi", unit=org["jakarta"], reports_to=boss)
    intern = factories.user("intern", unit=org["jakarta"], reports_to=budi)
    with pytest.raises(InvalidInput):
        services.user_update(admin, user=boss, reports_to=intern)


def test_deleting_a_middle_manager_detaches_their_reports_from_the_chain_above(org, admin):
    ceo = factories.user("ceo", unit=org["root"])
    middle = factories.user("middle", unit=org["asia"], reports_to=ceo)
    budi = factories.user("budi", unit=org["jakarta"], reports_to=middle)
    intern = factories.user("intern", unit=org["jakarta"], reports_to=budi)
    services.user_delete(admin, user=middle)
    assert ancestors_of(budi) == set()
    assert ancestors_of(intern) == {("budi", 1)}


def test_deactivating_a_user_revokes_their_tokens(org, admin):
    budi = factories.user("budi", unit=org["jakarta"])
    ApiToken.objects.create(user=budi, key_hash="x" * 64, prefix="trl_x")
    services.user_update(admin, user=budi, is_active=False)
    assert not ApiToken.objects.filter(user=budi, revoked_at__isnull=True).exists()


def test_people_change_their_own_details_without_manage_org(org):
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    services.user_update(rep, user=rep, title="Senior Rep")
    assert rep.__class__.objects.get(pk=rep.pk).title == "Senior Rep"


def test_people_may_not_reactivate_or_move_themselves(org):
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    with pytest.raises(Forbidden):
        services.user_update(rep, user=rep, unit=org["root"])


def test_a_regional_admin_may_grant_only_roles_they_hold(org, asia_admin):
    budi = factories.user("budi", unit=org["jakarta"])
    with pytest.raises(Forbidden):
        services.user_grant_role(asia_admin, user=budi, role=factories.role("Sales Manager"))


def test_a_team_member_with_an_expiry_in_the_past_is_refused(org, admin):
    budi = factories.user("budi", unit=org["jakarta"])
    team = factories.team("Key Accounts", unit=org["jakarta"])
    with pytest.raises(InvalidInput):
        services.team_member_add(
            admin, team=team, user=budi, expires_at=timezone.now() - dt.timedelta(minutes=1)
        )


def test_only_owner_teams_carry_roles(org, admin):
    team = factories.team("Deal team", unit=org["jakarta"])
    team.kind = "access"
    team.save()
    with pytest.raises(InvalidInput):
        services.team_grant_role(admin, team=team, role=factories.role("Team Leader"))


def test_role_update_needs_manage_roles_across_the_organization(org):
    role_admin = factories.custom_role(name="Role Admin", privileges={"manage_roles": "subtree"})
    someone = factories.user("someone", unit=org["asia"], roles=[role_admin])
    with pytest.raises(Forbidden):
        services.role_update(someone, role=role_admin, description="mine")


def test_the_system_administrator_matrix_cannot_be_edited(org, admin):
    sysadmin = factories.role("System Administrator")
    with pytest.raises(InvalidInput):
        services.role_update(admin, role=sysadmin, privileges={})


def test_role_copy_audits_the_new_role(org, admin):
    copy = services.role_copy(admin, role=factories.role("Partner"), name="Reseller")
    assert AuditEvent.objects.filter(entity="role", object_id=copy.pk, action="create").exists()


def test_setting_skills_audits_before_and_after(org, admin):
    budi = factories.user("budi", unit=org["jakarta"])
    services.user_set_skills(admin, user=budi, skills={"Cement": 3})
    event = AuditEvent.objects.get(entity="user", object_id=budi.pk, action="update")
    assert event.changes == {"skills": [{}, {"Cement": 3}]}


def test_an_administrator_cannot_deactivate_themselves(org, admin):
    with pytest.raises(InvalidInput) as error:
        services.user_update(admin, user=admin, is_active=False)
    assert error.value.errors == [("is_active", "you cannot deactivate yourself")]


def test_a_unique_name_race_answers_conflict_not_a_server_error(org, admin, monkeypatch):
    # Simulate the other request winning between the name check and the insert.
    monkeypatch.setattr(
        services.BusinessUnit.objects, "filter", lambda *a, **k: BusinessUnit.objects.none()
    )
    with pytest.raises(Conflict):
        services.unit_create(admin, name="Jakarta", parent=org["asia"])
