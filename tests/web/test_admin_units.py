from __future__ import annotations

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories

pytestmark = pytest.mark.django_db


def test_an_org_manager_sees_the_unit_tree_with_its_people(browser, org, admin, jakarta_rep):
    response = browser(admin).get("/admin/units/")
    assert response.status_code == 200
    names = [node.unit.name for node in response.context["nodes"]]
    assert names == ["Head Office", "Asia-Pacific", "Jakarta", "Shanghai", "Europe", "Milan"]
    assertContains(response, "jrep")


def test_a_subtree_manager_sees_only_their_subtree(browser, org):
    role = factories.custom_role(privileges={"manage_org": "subtree"})
    manager = factories.user("asia_admin", unit=org["asia"], roles=[role])
    factories.user("milan_person", unit=org["milan"])
    response = browser(manager).get("/admin/units/")
    names = [node.unit.name for node in response.context["nodes"]]
    assert names == ["Asia-Pacific", "Jakarta", "Shanghai"]
    assert [node.level for node in response.context["nodes"]] == [0, 1, 1]
    assertNotContains(response, "milan_person")


def test_without_manage_org_the_organization_page_is_forbidden(browser, jakarta_rep):
    assert browser(jakarta_rep).get("/admin/units/").status_code == 403
