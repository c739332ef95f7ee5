"""Shares and team memberships that carry an expiry stop granting access when it passes,
with no cleanup job: the rows stay, the engine compares `expires_at` with the clock.

Services refuse an expiry in the past, so time "passes" here by moving `expires_at` back.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests import factories
from tests.access.assertions import assert_allowed, assert_denied
from trellis.access.models import RIGHTS, Share
from trellis.access.services import access_team_member_add, record_share
from trellis.customers.models import Account
from trellis.org.models import TeamMembership


def an_hour_ago() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=1)


def in_a_day() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=1)


@pytest.fixture
def alice(org):
    return factories.user("alice", unit=org["asia"])


@pytest.fixture
def record(owners):
    return factories.account(owners["milan_rep"])


@pytest.mark.parametrize("action", RIGHTS)
def test_a_share_created_already_expired_gives_no_access(alice, record, action):
    Share.objects.create(
        record_type=ContentType.objects.get_for_model(Account),
        record_id=record.pk,
        user=alice,
        **{f"can_{right}": True for right in RIGHTS},
        expires_at=an_hour_ago(),
    )

    assert_denied(alice, action, record)


def test_a_share_gives_access_until_it_expires(admin, alice, record):
    record_share(admin, record, user=alice, rights=["read"], expires_at=in_a_day())

    assert_allowed(alice, "read", record, ["share"])


def test_a_share_stops_giving_access_when_its_expiry_passes(admin, alice, record):
    share = record_share(admin, record, user=alice, rights=["read"], expires_at=in_a_day())
    Share.objects.filter(pk=share.pk).update(expires_at=an_hour_ago())

    assert_denied(alice, "read", record)
    assert Share.objects.filter(pk=share.pk).exists()


def test_a_team_share_stops_giving_access_when_its_expiry_passes(admin, alice, owners, record):
    TeamMembership.objects.create(team=owners["asia_team"], user=alice)
    share = record_share(
        admin, record, team=owners["asia_team"], rights=["read"], expires_at=in_a_day()
    )
    Share.objects.filter(pk=share.pk).update(expires_at=an_hour_ago())

    assert_denied(alice, "read", record)


def test_an_access_team_membership_gives_access_until_it_expires(admin, alice, record):
    access_team_member_add(admin, record, user=alice, expires_at=in_a_day())

    assert_allowed(alice, "read", record, ["access_team"])


@pytest.mark.parametrize("action", ["read", "write"])
def test_an_access_team_membership_stops_giving_access_when_it_expires(
    admin, alice, record, action
):
    access_team_member_add(admin, record, user=alice, expires_at=in_a_day())
    TeamMembership.objects.filter(user=alice).update(expires_at=an_hour_ago())

    assert_denied(alice, action, record)
    assert TeamMembership.objects.filter(user=alice).exists()


def test_an_expired_owner_team_membership_ends_the_teams_role(alice, owners, record):
    owners["asia_team"].roles.add(factories.custom_role({"account": {"read": "org"}}))
    TeamMembership.objects.create(team=owners["asia_team"], user=alice, expires_at=an_hour_ago())

    assert_denied(alice, "read", record)


def test_an_expired_owner_team_membership_ends_ownership_through_the_team(alice, owners):
    alice.roles.add(factories.custom_role({"account": {"read": "own"}}))
    TeamMembership.objects.create(team=owners["asia_team"], user=alice, expires_at=an_hour_ago())
    team_record = factories.account(owners["asia_team"])

    assert_denied(alice, "read", team_record)


def test_an_expired_owner_team_membership_ends_shares_with_the_team(admin, alice, owners, record):
    TeamMembership.objects.create(team=owners["asia_team"], user=alice, expires_at=an_hour_ago())
    record_share(admin, record, team=owners["asia_team"], rights=["read"])

    assert_denied(alice, "read", record)
