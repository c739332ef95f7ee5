"""`visible` is one SQL query and never carries record ids pulled into Python."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType

from tests import factories
from trellis import access
from trellis.access import visible
from trellis.access.engine import scope_cache
from trellis.access.models import RIGHTS
from trellis.access.services import access_team_member_add, record_share
from trellis.customers.models import Account
from trellis.org.models import AccessTeamTemplate, TeamMembership

# A literal list in SQL, such as "IN (4, 8, 15)"; a subquery reads "IN (SELECT ...".
LITERAL_IN_LIST = re.compile(r"IN \((\d+(?:, \d+)*)\)")


@pytest.fixture
def alice(org, owners):
    """A user reached by every grant source: roles, team roles, shares, access teams and
    hierarchy."""
    role = factories.custom_role({"account": dict.fromkeys(RIGHTS, "subtree")})
    alice = factories.user("alice", unit=org["asia"], roles=[role])
    owners["milan_team"].roles.add(factories.custom_role({"account": {"read": "unit"}}))
    TeamMembership.objects.create(team=owners["milan_team"], user=alice)
    TeamMembership.objects.create(team=owners["asia_team"], user=alice)
    factories.user("report", unit=org["europe"], reports_to=alice)
    return alice


@pytest.fixture
def records(admin, alice, owners):
    """Thirty shared records, an access-team record and records of every owner."""
    shared = [factories.account(owners["root_boss"]) for _ in range(30)]
    for record in shared:
        record_share(admin, record, user=alice, rights=list(RIGHTS))
    template = AccessTeamTemplate.objects.create(name="All", entity="account", rights=list(RIGHTS))
    access_team_member_add(
        admin, factories.account(owners["root_boss"]), user=alice, template=template
    )
    record_share(admin, factories.account(owners["root_boss"]), team=owners["asia_team"])
    for owner in owners.values():
        factories.account(owner)
    return shared


@pytest.fixture
def bob(admin, org, owners):
    """A narrow user: own depth only, a manager of nobody, with thirty shared records."""
    role = factories.custom_role({"account": dict.fromkeys(RIGHTS, "own")})
    bob = factories.user("bob", unit=org["milan"], roles=[role])
    factories.account(bob)
    for _ in range(30):
        record_share(admin, factories.account(owners["root_boss"]), user=bob, rights=list(RIGHTS))
    return bob


@pytest.mark.parametrize("action", RIGHTS)
def test_visible_is_one_query(alice, records, action, django_assert_num_queries):
    ContentType.objects.get_for_model(Account)
    with scope_cache():
        access.scope_for(alice)
        with django_assert_num_queries(1):
            rows = list(visible(alice, Account, action))

    assert len(rows) > len(records)


@pytest.mark.parametrize("action", RIGHTS)
def test_visible_is_one_query_for_a_narrow_user(bob, action, django_assert_num_queries):
    ContentType.objects.get_for_model(Account)
    with scope_cache():
        access.scope_for(bob)
        with django_assert_num_queries(1):
            rows = list(visible(bob, Account, action))

    assert len(rows) == 31


def test_counting_visible_records_is_one_query(alice, records, django_assert_num_queries):
    ContentType.objects.get_for_model(Account)
    with scope_cache():
        access.scope_for(alice)
        with django_assert_num_queries(1):
            count = visible(alice, Account).count()

    assert count > len(records)


def test_the_scope_is_computed_once_per_cache(alice, records, django_assert_max_num_queries):
    with scope_cache():
        access.scope_for(alice)
        with django_assert_max_num_queries(2):
            list(visible(alice, Account, "read"))
            list(visible(alice, Account, "write"))


@pytest.mark.parametrize("action", RIGHTS)
def test_visible_uses_subqueries_not_lists_of_record_ids(alice, records, action):
    sql = str(visible(alice, Account, action).query)
    longest = max((len(found.split(", ")) for found in LITERAL_IN_LIST.findall(sql)), default=0)

    # Literal lists hold only alice's few team ids; the thirty shares come from a subquery.
    assert longest <= 3
    assert "access_share" in sql


def test_visible_for_a_narrow_user_uses_subqueries_not_lists_of_record_ids(bob):
    sql = str(visible(bob, Account, "read").query)

    assert LITERAL_IN_LIST.findall(sql) == []
    assert "access_share" in sql


def test_visible_reads_the_manager_hierarchy_through_the_closure_table(alice, records):
    sql = str(visible(alice, Account, "read").query)

    assert "org_managerclosure" in sql
