"""A cascading account assign carries the account's open work from every app with it."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from tests import factories
from tests.activities.conftest import make_activity
from tests.sales.conftest import opportunity
from tests.service.conftest import make_case
from trellis.activities.models import ActivityStatus
from trellis.customers.models import Account
from trellis.customers.services import account_assign


def _regarding(account: Account) -> dict:
    return {
        "regarding_type": ContentType.objects.get_for_model(Account),
        "regarding_id": account.pk,
    }


def test_cascade_carries_open_opportunities_cases_and_activities(org):
    # Sales Managers may not assign cases; this manager runs service too.
    manager = factories.user(
        "manager", unit=org["asia"], roles=["Sales Manager", "Service Manager"]
    )
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    newcomer = factories.user("newcomer", unit=org["shanghai"], roles=["Sales Representative"])
    account = factories.account(rep, name="Cascade Co")
    deal = opportunity(rep, account, name="Open deal")
    case = make_case(rep, account=account)
    task = make_activity(rep, **_regarding(account))

    account_assign(manager, account=account, owner_user=newcomer, cascade=True)

    for record in (deal, case, task):
        record.refresh_from_db()
        assert record.owner_user_id == newcomer.pk
        assert record.owning_unit_id == org["shanghai"].pk


def test_cascade_leaves_closed_work_with_its_owner(org):
    manager = factories.user("manager", unit=org["asia"], roles=["Sales Manager"])
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    newcomer = factories.user("newcomer", unit=org["shanghai"], roles=["Sales Representative"])
    account = factories.account(rep, name="History Co")
    won = opportunity(rep, account, name="Won deal", stage="won", probability=100)
    closed = make_case(rep, account=account, status="closed")
    done = make_activity(rep, status=ActivityStatus.COMPLETED, **_regarding(account))

    account_assign(manager, account=account, owner_user=newcomer, cascade=True)

    for record in (won, closed, done):
        record.refresh_from_db()
        assert record.owner_user_id == rep.pk


def test_without_cascade_the_work_stays(org):
    manager = factories.user("manager", unit=org["asia"], roles=["Sales Manager"])
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    newcomer = factories.user("newcomer", unit=org["shanghai"], roles=["Sales Representative"])
    account = factories.account(rep, name="Quiet Co")
    deal = opportunity(rep, account, name="Open deal")

    account_assign(manager, account=account, owner_user=newcomer)

    deal.refresh_from_db()
    assert deal.owner_user_id == rep.pk


def test_cascade_leaves_work_the_actor_may_not_assign(org):
    manager = factories.user("manager", unit=org["asia"], roles=["Sales Manager"])
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    newcomer = factories.user("newcomer", unit=org["shanghai"], roles=["Sales Representative"])
    account = factories.account(rep, name="Service Co")
    case = make_case(rep, account=account)

    account_assign(manager, account=account, owner_user=newcomer, cascade=True)

    case.refresh_from_db()
    assert case.owner_user_id == rep.pk
