"""Every rule of DESIGN.md "The access model", each depth, each action, on accounts.

Each case checks the three questions together: `visible` lists the record, `can` agrees,
and `explain` names the expected reason(s) — or, when denied, none.

Units (conftest `org`): Head Office > Asia-Pacific > (Jakarta, Shanghai); Head Office >
Europe > Milan. Owners (fixture `owners`): asia_peer (Asia-Pacific), jakarta_rep (below
it), root_boss (above it), milan_rep (another branch), owner teams asia_team and milan_team.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tests import factories
from tests.access.assertions import assert_allowed, assert_denied
from trellis.access import can, explain, visible
from trellis.access.models import RIGHTS
from trellis.access.services import access_team_member_add, record_share
from trellis.customers.models import Account
from trellis.org.models import AccessTeamTemplate, TeamMembership, UserType
from trellis.org.services import user_update

OTHER_THAN_READ = [right for right in RIGHTS if right != "read"]
BEYOND_READ_WRITE = ["delete", "assign", "share"]


# Rule 1: a role of the user, depth measured from the user's unit ----------------------
# Alice works in Asia-Pacific and is a member of milan_team (an owner team elsewhere).

USER_ROLE_ALLOWED = [
    # depth, owner of the record
    ("own", "alice"),
    ("own", "milan_team"),
    ("unit", "alice"),
    ("unit", "milan_team"),
    ("unit", "asia_peer"),
    ("unit", "asia_team"),
    ("subtree", "alice"),
    ("subtree", "asia_peer"),
    ("subtree", "jakarta_rep"),
    ("org", "asia_peer"),
    ("org", "milan_rep"),
    ("org", "root_boss"),
]

USER_ROLE_DENIED = [
    ("none", "alice"),
    ("own", "asia_peer"),
    ("own", "asia_team"),
    ("unit", "jakarta_rep"),
    ("unit", "root_boss"),
    ("unit", "milan_rep"),
    ("subtree", "root_boss"),
    ("subtree", "milan_rep"),
]


def alice_with_role(org, owners, action: str, depth: str):
    role = factories.custom_role({"account": {action: depth}})
    alice = factories.user("alice", unit=org["asia"], roles=[role])
    TeamMembership.objects.create(team=owners["milan_team"], user=alice)
    return alice


@pytest.mark.parametrize("action", RIGHTS)
@pytest.mark.parametrize(("depth", "owner"), USER_ROLE_ALLOWED)
def test_a_users_role_reaches_records_within_its_depth(org, owners, action, depth, owner):
    alice = alice_with_role(org, owners, action, depth)
    record = factories.account(alice if owner == "alice" else owners[owner])

    assert_allowed(alice, action, record, ["role"])
    assert [grant.depth for grant in explain(alice, action, record)] == [depth]


@pytest.mark.parametrize("action", RIGHTS)
@pytest.mark.parametrize(("depth", "owner"), USER_ROLE_DENIED)
def test_a_users_role_does_not_reach_records_beyond_its_depth(org, owners, action, depth, owner):
    alice = alice_with_role(org, owners, action, depth)
    record = factories.account(alice if owner == "alice" else owners[owner])

    assert_denied(alice, action, record)


@pytest.mark.parametrize("action", RIGHTS)
def test_a_role_for_one_action_grants_no_other_action(org, owners, action):
    alice = alice_with_role(org, owners, action, "org")
    record = factories.account(owners["milan_rep"])
    other = "read" if action != "read" else "write"

    assert_denied(alice, other, record)


# create: the privilege at any depth ---------------------------------------------------


@pytest.mark.parametrize("depth", ["own", "unit", "subtree", "org"])
def test_creating_needs_the_create_privilege_at_any_depth(org, depth):
    role = factories.custom_role({"account": {"create": depth}})
    alice = factories.user("alice", unit=org["asia"], roles=[role])
    new = Account(name="New", owner_user=alice, owning_unit=org["asia"])

    assert can(alice, "create", new) is True
    assert [grant.source for grant in explain(alice, "create", new)] == ["role"]


def test_creating_is_denied_without_the_create_privilege(org):
    role = factories.custom_role({"account": dict.fromkeys(RIGHTS, "org")})
    alice = factories.user("alice", unit=org["asia"], roles=[role])
    new = Account(name="New", owner_user=alice, owning_unit=org["asia"])

    assert can(alice, "create", new) is False
    assert explain(alice, "create", new) == []


# Rule 2: a role of an owner team, depth measured from the team's unit ------------------
# Alice works in Milan and is a member of asia_team, which holds the role; she holds none.

TEAM_ROLE_ALLOWED = [
    ("own", "asia_team"),
    ("unit", "asia_team"),
    ("unit", "asia_peer"),
    ("subtree", "asia_peer"),
    ("subtree", "jakarta_rep"),
    ("org", "milan_rep"),
    ("org", "root_boss"),
]

TEAM_ROLE_DENIED = [
    ("none", "asia_team"),
    ("own", "alice"),
    ("own", "asia_peer"),
    ("own", "milan_team"),
    ("unit", "alice"),
    ("unit", "milan_rep"),
    ("unit", "jakarta_rep"),
    ("subtree", "alice"),
    ("subtree", "milan_rep"),
    ("subtree", "root_boss"),
]


def alice_in_team_with_role(org, owners, action: str, depth: str):
    owners["asia_team"].roles.add(factories.custom_role({"account": {action: depth}}))
    alice = factories.user("alice", unit=org["milan"])
    TeamMembership.objects.create(team=owners["asia_team"], user=alice)
    return alice


@pytest.mark.parametrize("action", RIGHTS)
@pytest.mark.parametrize(("depth", "owner"), TEAM_ROLE_ALLOWED)
def test_an_owner_teams_role_reaches_records_within_its_depth_from_the_teams_unit(
    org, owners, action, depth, owner
):
    alice = alice_in_team_with_role(org, owners, action, depth)
    record = factories.account(alice if owner == "alice" else owners[owner])

    assert_allowed(alice, action, record, ["team_role"])
    [grant] = explain(alice, action, record)
    assert (grant.depth, grant.team_id) == (depth, owners["asia_team"].pk)


@pytest.mark.parametrize("action", RIGHTS)
@pytest.mark.parametrize(("depth", "owner"), TEAM_ROLE_DENIED)
def test_an_owner_teams_role_does_not_reach_records_beyond_its_depth(
    org, owners, action, depth, owner
):
    alice = alice_in_team_with_role(org, owners, action, depth)
    record = factories.account(alice if owner == "alice" else owners[owner])

    assert_denied(alice, action, record)


def test_an_owner_teams_role_does_nothing_for_people_outside_the_team(org, owners):
    owners["asia_team"].roles.add(factories.custom_role({"account": {"read": "org"}}))
    record = factories.account(owners["asia_team"])

    assert_denied(owners["asia_peer"], "read", record)


def test_a_user_role_and_a_team_role_are_both_explained(org, owners):
    alice = alice_in_team_with_role(org, owners, "read", "unit")
    alice.roles.add(factories.custom_role({"account": {"read": "org"}}))
    record = factories.account(owners["asia_team"])

    assert_allowed(alice, "read", record, ["role", "team_role"])


# Rule 3: shares with the user, with a team, and access teams ---------------------------


@pytest.fixture
def alice(org):
    return factories.user("alice", unit=org["asia"])


@pytest.fixture
def milan_record(owners):
    return factories.account(owners["milan_rep"])


@pytest.mark.parametrize("right", RIGHTS)
def test_a_share_with_the_user_grants_its_right(admin, alice, milan_record, right):
    record_share(admin, milan_record, user=alice, rights=[right])

    assert_allowed(alice, right, milan_record, ["share"])


@pytest.mark.parametrize("right", RIGHTS)
def test_every_share_with_the_user_grants_read(admin, alice, milan_record, right):
    record_share(admin, milan_record, user=alice, rights=[right])

    assert_allowed(alice, "read", milan_record, ["share"])


@pytest.mark.parametrize("action", OTHER_THAN_READ)
def test_a_read_share_grants_nothing_more(admin, alice, milan_record, action):
    record_share(admin, milan_record, user=alice, rights=["read"])

    assert_denied(alice, action, milan_record)


def test_a_share_with_someone_else_grants_the_user_nothing(admin, alice, owners, milan_record):
    record_share(admin, milan_record, user=owners["asia_peer"], rights=["read"])

    assert_denied(alice, "read", milan_record)


@pytest.mark.parametrize("right", RIGHTS)
def test_a_share_with_a_team_grants_its_right_to_members(admin, alice, owners, milan_record, right):
    TeamMembership.objects.create(team=owners["asia_team"], user=alice)
    record_share(admin, milan_record, team=owners["asia_team"], rights=[right])

    assert_allowed(alice, right, milan_record, ["team_share"])
    assert_allowed(alice, "read", milan_record, ["team_share"])


@pytest.mark.parametrize("action", OTHER_THAN_READ)
def test_a_read_share_with_a_team_grants_nothing_more(admin, alice, owners, milan_record, action):
    TeamMembership.objects.create(team=owners["asia_team"], user=alice)
    record_share(admin, milan_record, team=owners["asia_team"], rights=["read"])

    assert_denied(alice, action, milan_record)


def test_a_share_with_a_team_grants_nothing_to_non_members(admin, alice, owners, milan_record):
    record_share(admin, milan_record, team=owners["asia_team"], rights=["read", "write"])

    assert_denied(alice, "read", milan_record)


def test_shares_with_the_user_and_with_their_team_are_both_explained(
    admin, alice, owners, milan_record
):
    TeamMembership.objects.create(team=owners["asia_team"], user=alice)
    record_share(admin, milan_record, user=alice, rights=["read"])
    record_share(admin, milan_record, team=owners["asia_team"], rights=["read"])

    assert_allowed(alice, "read", milan_record, ["share", "team_share"])


@pytest.mark.parametrize("right", RIGHTS)
def test_access_team_membership_grants_the_templates_rights(admin, alice, milan_record, right):
    template = AccessTeamTemplate.objects.create(name="Deal", entity="account", rights=[right])
    access_team_member_add(admin, milan_record, user=alice, template=template)

    assert_allowed(alice, right, milan_record, ["access_team"])
    assert_allowed(alice, "read", milan_record, ["access_team"])


@pytest.mark.parametrize("action", BEYOND_READ_WRITE)
def test_access_team_membership_grants_nothing_beyond_the_template(
    admin, alice, milan_record, action
):
    template = AccessTeamTemplate.objects.create(
        name="Deal", entity="account", rights=["read", "write"]
    )
    access_team_member_add(admin, milan_record, user=alice, template=template)

    assert_allowed(alice, "write", milan_record, ["access_team"])
    assert_denied(alice, action, milan_record)


def test_a_records_access_team_grants_nothing_on_other_records(admin, alice, owners, milan_record):
    other_record = factories.account(owners["milan_rep"])
    access_team_member_add(admin, milan_record, user=alice)

    assert_denied(alice, "read", other_record)


def test_access_team_membership_grants_nothing_to_non_members(admin, alice, owners, milan_record):
    access_team_member_add(admin, milan_record, user=owners["asia_peer"])

    assert_denied(alice, "read", milan_record)


# Rule 4: hierarchy — managers above the owner in reports_to ---------------------------


@pytest.fixture
def chain(org):
    """grand <- boss <- alice (reports_to), none of them holding a role."""
    grand = factories.user("grand", unit=org["root"])
    boss = factories.user("boss", unit=org["europe"], reports_to=grand)
    alice = factories.user("alice", unit=org["jakarta"], reports_to=boss)
    return {"grand": grand, "boss": boss, "alice": alice}


@pytest.mark.parametrize("manager", ["boss", "grand"])
def test_a_manager_above_the_owner_reads_the_record(chain, manager):
    record = factories.account(chain["alice"])

    assert_allowed(chain[manager], "read", record, ["hierarchy"])


@pytest.mark.parametrize("manager", ["boss", "grand"])
def test_a_manager_above_the_owner_does_not_write_by_default(settings, chain, manager):
    settings.HIERARCHY_WRITE = False
    record = factories.account(chain["alice"])

    assert_denied(chain[manager], "write", record)


@pytest.mark.parametrize("manager", ["boss", "grand"])
def test_a_manager_above_the_owner_writes_when_hierarchy_write_is_on(settings, chain, manager):
    settings.HIERARCHY_WRITE = True
    record = factories.account(chain["alice"])

    assert_allowed(chain[manager], "write", record, ["hierarchy"])


@pytest.mark.parametrize("action", BEYOND_READ_WRITE)
def test_hierarchy_never_grants_delete_assign_or_share(settings, chain, action):
    settings.HIERARCHY_WRITE = True
    record = factories.account(chain["alice"])

    assert_denied(chain["boss"], action, record)


def test_a_report_does_not_read_their_managers_records(chain):
    record = factories.account(chain["boss"])

    assert_denied(chain["alice"], "read", record)


def test_hierarchy_does_not_reach_records_owned_by_a_team_of_the_report(org, chain):
    team = factories.team("Jakarta team", unit=org["jakarta"], members=(chain["alice"],))
    record = factories.account(team)

    assert_denied(chain["boss"], "read", record)


def test_hierarchy_follows_a_change_of_manager(admin, org, chain):
    record = factories.account(chain["alice"])
    user_update(admin, user=chain["alice"], reports_to=None)

    assert_denied(chain["boss"], "read", record)
    assert_denied(chain["grand"], "read", record)


# Rule 5: System Administrator ---------------------------------------------------------


@pytest.mark.parametrize("action", RIGHTS)
def test_a_full_access_role_may_do_everything_to_any_record(org, owners, action):
    full_access = factories.custom_role(full_access=True)
    sysadmin = factories.user("sysadmin", unit=org["shanghai"], roles=[full_access])
    record = factories.account(owners["milan_team"])

    assert_allowed(sysadmin, action, record, ["system_administrator"])


@pytest.mark.parametrize("action", RIGHTS)
def test_the_built_in_system_administrator_may_do_everything_to_any_record(org, owners, action):
    sysadmin = factories.user("sysadmin", unit=org["shanghai"], roles=["System Administrator"])
    record = factories.account(owners["milan_team"])

    assert record in visible(sysadmin, Account, action)
    assert can(sysadmin, action, record) is True
    assert explain(sysadmin, action, record)[0].source == "system_administrator"


# Partners: never more than own depth from roles; shares still count ----------------------


@pytest.fixture
def partner(org):
    org_wide = factories.custom_role({"account": dict.fromkeys(RIGHTS, "org")})
    return factories.user("partner", unit=org["asia"], user_type=UserType.PARTNER, roles=[org_wide])


@pytest.mark.parametrize("action", RIGHTS)
def test_a_partner_with_an_org_role_reaches_own_records(partner, action):
    record = factories.account(partner)

    assert_allowed(partner, action, record, ["role"])
    assert [grant.depth for grant in explain(partner, action, record)] == ["own"]


@pytest.mark.parametrize("owner", ["asia_peer", "asia_team", "jakarta_rep", "milan_rep"])
@pytest.mark.parametrize("action", RIGHTS)
def test_a_partner_with_an_org_role_is_capped_at_own_depth(partner, owners, action, owner):
    record = factories.account(owners[owner])

    assert_denied(partner, action, record)


def test_a_partner_sees_what_is_shared_with_them(admin, partner, owners):
    record = factories.account(owners["milan_rep"])
    record_share(admin, record, user=partner, rights=["read", "write"])

    assert_allowed(partner, "read", record, ["share"])
    assert_allowed(partner, "write", record, ["share"])
    assert_denied(partner, "delete", record)


def test_a_partner_in_an_owner_team_with_an_org_role_reaches_only_the_teams_records(org, owners):
    owners["asia_team"].roles.add(factories.custom_role({"account": {"read": "org"}}))
    partner = factories.user("partner", unit=org["asia"], user_type=UserType.PARTNER)
    TeamMembership.objects.create(team=owners["asia_team"], user=partner)
    team_record = factories.account(owners["asia_team"])
    peer_record = factories.account(owners["asia_peer"])

    assert_allowed(partner, "read", team_record, ["team_role"])
    assert_denied(partner, "read", peer_record)


def test_a_partner_gets_no_hierarchy_access_to_their_reports_records(org):
    partner = factories.user("partner", unit=org["asia"], user_type=UserType.PARTNER)
    report = factories.user("report", unit=org["asia"], reports_to=partner)
    record = factories.account(report)

    assert_denied(partner, "read", record)


def test_a_partner_with_a_full_access_role_is_still_capped_at_own(org, owners):
    full = factories.custom_role(full_access=True)
    partner = factories.user("partner", unit=org["asia"], user_type=UserType.PARTNER, roles=[full])
    record = factories.account(owners["asia_peer"])

    assert_denied(partner, "read", record)


def test_an_access_team_membership_is_found_without_loading_team_ids(org, owners):
    record = factories.account(owners["milan_rep"])
    member = factories.user("member", unit=org["asia"])
    admin = factories.user("root_admin", unit=org["root"], roles=["System Administrator"])
    access_team_member_add(admin, record, user=member)

    assert str(visible(member, Account).query).count("org_teammembership") == 1
    assert_allowed(member, "read", record, ["access_team"])


# Nobody: deactivated and anonymous users ------------------------------------------------


@pytest.mark.parametrize("action", RIGHTS)
def test_a_deactivated_user_reaches_nothing(admin, org, action):
    org_wide = factories.custom_role({"account": dict.fromkeys(RIGHTS, "org")})
    alice = factories.user("alice", unit=org["asia"], roles=[org_wide, "System Administrator"])
    own_record = factories.account(alice)
    shared_record = factories.account(admin)
    record_share(admin, shared_record, user=alice, rights=list(RIGHTS))
    alice.is_active = False
    alice.save()

    assert_denied(alice, action, own_record)
    assert_denied(alice, action, shared_record)


@pytest.mark.parametrize("action", RIGHTS)
def test_an_anonymous_user_reaches_nothing(admin, action):
    record = factories.account(admin)

    assert_denied(AnonymousUser(), action, record)
