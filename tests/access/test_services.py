"""Sharing services: who may share what, unsharing, and access-team membership."""

from __future__ import annotations

import pytest

from tests import factories
from tests.access.assertions import assert_allowed, assert_denied
from trellis.access.models import Share
from trellis.access.services import (
    access_team_member_add,
    access_team_member_remove,
    record_share,
    record_unshare,
)
from trellis.core.errors import Forbidden, InvalidInput, NotFound
from trellis.org.models import AccessTeamTemplate, Team, TeamKind


@pytest.fixture
def sharer(org):
    """May read and share own accounts, but not write them."""
    role = factories.custom_role({"account": {"read": "own", "share": "own"}})
    return factories.user("sharer", unit=org["asia"], roles=[role])


@pytest.fixture
def record(sharer):
    return factories.account(sharer)


@pytest.fixture
def bob(org):
    return factories.user("bob", unit=org["milan"])


def test_sharing_rights_the_actor_holds_grants_them(sharer, record, bob):
    record_share(sharer, record, user=bob, rights=["read", "share"])

    assert_allowed(bob, "share", record, ["share"])


def test_sharing_a_right_the_actor_lacks_is_forbidden(sharer, record, bob):
    with pytest.raises(Forbidden) as raised:
        record_share(sharer, record, user=bob, rights=["write"])

    assert raised.value.status == 403
    assert raised.value.errors == [("rights", "you lack write")]
    assert not Share.objects.exists()


def test_sharing_needs_the_share_right(org, bob):
    role = factories.custom_role({"account": {"read": "own", "write": "own"}})
    writer = factories.user("writer", unit=org["asia"], roles=[role])
    record = factories.account(writer)

    with pytest.raises(Forbidden):
        record_share(writer, record, user=bob, rights=["read"])

    assert not Share.objects.exists()


def test_sharing_a_record_the_actor_cannot_read_is_not_found(sharer, bob):
    hidden = factories.account(bob)

    with pytest.raises(NotFound) as raised:
        record_share(sharer, hidden, user=factories.user("carol"), rights=["read"])

    assert raised.value.status == 404


def test_sharing_again_replaces_the_rights(admin, record, bob):
    record_share(admin, record, user=bob, rights=["write"])
    record_share(admin, record, user=bob, rights=["read"])

    assert_denied(bob, "write", record)
    assert Share.objects.count() == 1


def test_unsharing_ends_the_access(sharer, record, bob):
    record_share(sharer, record, user=bob, rights=["read"])

    record_unshare(sharer, record, user=bob)

    assert_denied(bob, "read", record)


def test_unsharing_a_share_that_does_not_exist_is_not_found(sharer, record, bob):
    with pytest.raises(NotFound) as raised:
        record_unshare(sharer, record, user=bob)

    assert raised.value.status == 404


def test_unsharing_with_a_team_that_has_no_share_is_not_found(sharer, record, owners):
    with pytest.raises(NotFound):
        record_unshare(sharer, record, team=owners["asia_team"])


def test_unsharing_needs_the_share_right(admin, org, bob):
    reader = factories.user(
        "reader", unit=org["asia"], roles=[factories.custom_role({"account": {"read": "unit"}})]
    )
    record = factories.account(factories.user("peer", unit=org["asia"]))
    record_share(admin, record, user=bob, rights=["read"])

    with pytest.raises(Forbidden):
        record_unshare(reader, record, user=bob)

    assert_allowed(bob, "read", record, ["share"])


def test_access_team_member_add_refuses_a_template_for_another_entity(admin, record, bob):
    contact_template = AccessTeamTemplate.objects.create(
        name="Contact helpers", entity="contact", rights=["read"]
    )

    with pytest.raises(InvalidInput) as raised:
        access_team_member_add(admin, record, user=bob, template=contact_template)

    assert raised.value.errors[0][0] == "template_id"
    assert not Team.objects.filter(kind=TeamKind.ACCESS).exists()
    assert_denied(bob, "read", record)


def test_access_team_member_add_refuses_template_rights_the_actor_lacks(sharer, record, bob):
    template = AccessTeamTemplate.objects.create(
        name="Editors", entity="account", rights=["read", "write"]
    )

    with pytest.raises(Forbidden):
        access_team_member_add(sharer, record, user=bob, template=template)

    assert_denied(bob, "read", record)


def test_access_team_member_add_needs_the_share_right(org, bob):
    role = factories.custom_role({"account": {"read": "own", "write": "own"}})
    writer = factories.user("writer", unit=org["asia"], roles=[role])
    record = factories.account(writer)

    with pytest.raises(Forbidden):
        access_team_member_add(writer, record, user=bob)


def test_access_team_member_remove_ends_the_access(admin, record, bob):
    access_team_member_add(admin, record, user=bob)

    access_team_member_remove(admin, record, user=bob)

    assert_denied(bob, "read", record)


def test_removing_someone_not_on_the_access_team_is_not_found(admin, record, bob):
    with pytest.raises(NotFound):
        access_team_member_remove(admin, record, user=bob)
