"""`owning_unit` follows the owner, exactly for the affected records and in the same
transaction; deleted records take their shares and access teams with them; unit moves
change what subtree depth reaches."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from tests import factories
from tests.access.assertions import assert_allowed, assert_denied
from trellis.access.models import Share
from trellis.access.services import access_team_member_add, record_assign, record_share
from trellis.customers.models import Account
from trellis.customers.services import account_delete
from trellis.org.models import Team, TeamKind, TeamMembership
from trellis.org.services import team_update, unit_update, user_update


def owning_units(*records: Account) -> list[int]:
    return [Account.objects.get(pk=record.pk).owning_unit_id for record in records]


@pytest.fixture
def rep(org):
    return factories.user("rep", unit=org["jakarta"])


def test_moving_a_user_moves_the_owning_unit_of_their_records(admin, org, owners, rep):
    first, second = factories.account(rep), factories.account(rep)

    user_update(admin, user=rep, unit=org["milan"])

    assert owning_units(first, second) == [org["milan"].pk, org["milan"].pk]


def test_moving_a_user_leaves_other_peoples_and_their_teams_records(admin, org, owners, rep):
    team = factories.team("Jakarta team", unit=org["jakarta"], members=(rep,))
    colleague = factories.user("colleague", unit=org["jakarta"])
    colleagues_record = factories.account(colleague)
    team_record = factories.account(team)

    user_update(admin, user=rep, unit=org["milan"])

    assert owning_units(colleagues_record, team_record) == [org["jakarta"].pk, org["jakarta"].pk]


def test_moving_a_user_is_undone_with_its_records_when_the_transaction_rolls_back(admin, org, rep):
    record = factories.account(rep)

    with pytest.raises(RuntimeError), transaction.atomic():
        user_update(admin, user=rep, unit=org["milan"])
        assert owning_units(record) == [org["milan"].pk]
        raise RuntimeError("roll back")

    rep.refresh_from_db()
    assert (rep.unit_id, owning_units(record)) == (org["jakarta"].pk, [org["jakarta"].pk])


def test_moving_a_user_changes_who_reaches_their_records_by_unit(admin, org, rep):
    unit_reader = factories.custom_role({"account": {"read": "unit"}})
    jakarta_reader = factories.user("jakarta_reader", unit=org["jakarta"], roles=[unit_reader])
    milan_reader = factories.user("milan_reader", unit=org["milan"], roles=[unit_reader])
    record = factories.account(rep)

    user_update(admin, user=rep, unit=org["milan"])
    record.refresh_from_db()

    assert_denied(jakarta_reader, "read", record)
    assert_allowed(milan_reader, "read", record, ["role"])


def test_moving_a_team_moves_the_owning_unit_of_its_records(admin, org, owners):
    first = factories.account(owners["asia_team"])
    second = factories.account(owners["asia_team"])

    team_update(admin, team=owners["asia_team"], unit=org["milan"])

    assert owning_units(first, second) == [org["milan"].pk, org["milan"].pk]


def test_moving_a_team_leaves_its_members_and_other_teams_records(admin, org, owners):
    member = factories.user("member", unit=org["asia"])
    TeamMembership.objects.create(team=owners["asia_team"], user=member)
    members_record = factories.account(member)
    other_team_record = factories.account(owners["milan_team"])

    team_update(admin, team=owners["asia_team"], unit=org["jakarta"])

    assert owning_units(members_record, other_team_record) == [org["asia"].pk, org["milan"].pk]


def test_moving_a_team_is_undone_with_its_records_when_the_transaction_rolls_back(
    admin, org, owners
):
    record = factories.account(owners["asia_team"])

    with pytest.raises(RuntimeError), transaction.atomic():
        team_update(admin, team=owners["asia_team"], unit=org["milan"])
        raise RuntimeError("roll back")

    assert owning_units(record) == [org["asia"].pk]


def test_assigning_a_record_to_a_user_sets_owner_and_owning_unit(admin, org, owners, rep):
    record = factories.account(owners["asia_team"])

    record_assign(admin, record, owner_user=owners["milan_rep"])

    stored = Account.objects.get(pk=record.pk)
    assert (stored.owner_user_id, stored.owner_team_id, stored.owning_unit_id) == (
        owners["milan_rep"].pk,
        None,
        org["milan"].pk,
    )
    assert stored.version == 2


def test_assigning_a_record_to_a_team_sets_owner_and_owning_unit(admin, org, owners, rep):
    record = factories.account(rep)

    record_assign(admin, record, owner_team=owners["milan_team"])

    stored = Account.objects.get(pk=record.pk)
    assert (stored.owner_user_id, stored.owner_team_id, stored.owning_unit_id) == (
        None,
        owners["milan_team"].pk,
        org["milan"].pk,
    )


def test_assigning_a_record_leaves_the_owners_other_records(admin, owners, rep, org):
    record, other = factories.account(rep), factories.account(rep)

    record_assign(admin, record, owner_user=owners["milan_rep"])

    assert owning_units(other) == [org["jakarta"].pk]


def test_deleting_a_record_removes_its_shares_and_access_teams(admin, owners, rep):
    record, kept = factories.account(rep), factories.account(rep)
    record_share(admin, record, user=owners["milan_rep"])
    record_share(admin, record, team=owners["asia_team"])
    record_share(admin, kept, user=owners["milan_rep"])
    access_team_member_add(admin, record, user=owners["asia_peer"])
    access_team_member_add(admin, kept, user=owners["asia_peer"])
    record_type = ContentType.objects.get_for_model(Account)
    record_pk = record.pk

    account_delete(admin, account=record)

    assert not Share.objects.filter(record_type=record_type, record_id=record_pk).exists()
    assert not Team.objects.filter(kind=TeamKind.ACCESS, record_id=record_pk).exists()
    assert Share.objects.filter(record_type=record_type, record_id=kept.pk).count() == 2
    assert Team.objects.filter(kind=TeamKind.ACCESS, record_id=kept.pk).count() == 1
    assert TeamMembership.objects.filter(user=owners["asia_peer"]).count() == 1


@pytest.fixture
def asia_subtree_reader(org):
    role = factories.custom_role({"account": {"read": "subtree"}})
    return factories.user("asia_reader", unit=org["asia"], roles=[role])


def test_moving_a_unit_into_the_subtree_brings_its_records_into_reach(
    admin, org, owners, asia_subtree_reader
):
    record = factories.account(owners["milan_rep"])
    assert_denied(asia_subtree_reader, "read", record)

    unit_update(admin, unit=org["milan"], parent=org["asia"])

    assert_allowed(asia_subtree_reader, "read", record, ["role"])


def test_moving_a_unit_out_of_the_subtree_takes_its_records_out_of_reach(
    admin, org, owners, asia_subtree_reader
):
    record = factories.account(owners["jakarta_rep"])
    assert_allowed(asia_subtree_reader, "read", record, ["role"])

    unit_update(admin, unit=org["jakarta"], parent=org["europe"])

    assert_denied(asia_subtree_reader, "read", record)


def test_moving_a_unit_carries_its_whole_subtree_into_reach(admin, org, owners):
    role = factories.custom_role({"account": {"read": "subtree"}})
    europe_reader = factories.user("europe_reader", unit=org["europe"], roles=[role])
    record = factories.account(owners["jakarta_rep"])

    unit_update(admin, unit=org["asia"], parent=org["europe"])

    assert_allowed(europe_reader, "read", record, ["role"])


def test_moving_the_readers_own_unit_measures_the_subtree_from_its_new_path(
    admin, org, owners, asia_subtree_reader
):
    jakarta_record = factories.account(owners["jakarta_rep"])
    milan_record = factories.account(owners["milan_rep"])

    unit_update(admin, unit=org["asia"], parent=org["europe"])

    assert_allowed(asia_subtree_reader, "read", jakarta_record, ["role"])
    assert_denied(asia_subtree_reader, "read", milan_record)
