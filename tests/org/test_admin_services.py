"""Services and selectors added for the Admin area: access-team templates and the
privileges a person holds."""

from __future__ import annotations

import pytest

from tests import factories
from trellis.core.errors import Conflict, Forbidden, InvalidInput
from trellis.org.models import AccessTeamTemplate
from trellis.org.selectors import held_privileges
from trellis.org.services import template_create, template_update

pytestmark = pytest.mark.django_db


def test_an_org_roles_admin_creates_a_template_and_read_is_always_included(admin):
    template = template_create(admin, name="Deal team", entity="opportunity", rights=["write"])
    assert template.rights == ["read", "write"]


def test_a_subtree_roles_admin_may_not_create_templates(org):
    role = factories.custom_role(privileges={"manage_roles": "subtree"})
    person = factories.user(unit=org["asia"], roles=[role])
    with pytest.raises(Forbidden):
        template_create(person, name="Deal team", entity="account", rights=["read"])


def test_a_template_for_an_unknown_entity_names_the_entity_field(admin):
    with pytest.raises(InvalidInput) as refused:
        template_create(admin, name="Odd", entity="spaceship", rights=["read"])
    assert refused.value.errors[0][0] == "entity"


def test_a_template_name_is_unique_regardless_of_case(admin):
    template_create(admin, name="Deal team", entity="account", rights=["read"])
    with pytest.raises(Conflict):
        template_create(admin, name="deal TEAM", entity="account", rights=["read"])


def test_renaming_a_template_keeps_its_rights(admin):
    template = AccessTeamTemplate.objects.create(name="A", entity="account", rights=["read"])
    template_update(admin, template=template, name="B")
    template.refresh_from_db()
    assert (template.name, template.rights) == ("B", ["read"])


def test_held_privileges_include_those_of_owner_teams(org):
    role = factories.custom_role(privileges={"manage_routing": "unit", "export": "none"})
    person = factories.user(unit=org["milan"], roles=["Sales Representative"])
    factories.team(unit=org["milan"], members=(person,), roles=(role,))
    assert held_privileges(person) == {"view_reports", "manage_routing"}


def test_a_system_administrator_holds_every_privilege(admin):
    assert "manage_settings" in held_privileges(admin)
    assert "import" in held_privileges(admin)
