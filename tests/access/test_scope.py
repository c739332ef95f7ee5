"""`read_scope` splits a user's access into a keyed part (owners, units, subtrees) and a
remainder (shares, hierarchy) that never overlap and together are `visible`."""

from __future__ import annotations

import pytest

from tests import factories
from trellis.access import visible
from trellis.access.scope import read_scope
from trellis.access.services import record_share
from trellis.customers.models import Account


@pytest.fixture
def accounts(org):
    admin = factories.user("admin", unit=org["root"], roles=["System Administrator"])
    manager = factories.user("manager", unit=org["asia"], roles=["Sales Manager"])
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    milan_rep = factories.user(
        "milan_rep", unit=org["milan"], reports_to=manager, roles=["Sales Representative"]
    )
    partner = factories.user(
        "partner", unit=org["milan"], user_type="partner", roles=["Sales Representative"]
    )
    made = {
        "jakarta": factories.account(rep, name="Jakarta"),
        "milan": factories.account(milan_rep, name="Milan"),
        "shared": factories.account(admin, name="Shared"),
        "partners_own": factories.account(partner, name="Partner's"),
    }
    record_share(admin, made["shared"], user=partner)
    record_share(admin, made["shared"], user=rep)
    return {"admin": admin, "manager": manager, "rep": rep, "partner": partner, **made}


def parts(user) -> tuple[set[int], set[int]]:
    scope = read_scope(user, Account)
    keyed = set(Account.objects.filter(scope.keyed_q()).values_list("pk", flat=True))
    rest_q = scope.remainder_only_q()
    rest = set(Account.objects.filter(rest_q).values_list("pk", flat=True)) if rest_q else set()
    return keyed, rest


@pytest.mark.parametrize("who", ["admin", "manager", "rep", "partner"])
def test_the_keyed_part_and_the_remainder_are_disjoint_and_make_up_visible(accounts, who):
    user = accounts[who]
    keyed, rest = parts(user)

    assert not keyed & rest
    assert keyed | rest == set(visible(user, Account).values_list("pk", flat=True))


def test_a_manager_reaches_a_report_outside_the_subtree_through_the_remainder(accounts):
    keyed, rest = parts(accounts["manager"])

    assert accounts["jakarta"].pk in keyed
    assert rest == {accounts["milan"].pk}


def test_a_partner_owns_their_records_and_reaches_shares_through_the_remainder(accounts):
    scope = read_scope(accounts["partner"], Account)
    keyed, rest = parts(accounts["partner"])

    assert (scope.unit_ids, scope.subtree_paths) == (frozenset(), ())
    assert keyed == {accounts["partners_own"].pk}
    assert rest == {accounts["shared"].pk}


def test_full_access_is_everything_and_anonymous_is_nothing(accounts):
    from django.contrib.auth.models import AnonymousUser

    assert read_scope(accounts["admin"], Account).everything
    assert read_scope(AnonymousUser(), Account).nothing
