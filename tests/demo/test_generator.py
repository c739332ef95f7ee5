import hashlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from trellis.access import visible
from trellis.access.models import Share
from trellis.access.selectors import who_can
from trellis.customers.models import Account
from trellis.demo.generator import SHOWCASE_ACCOUNT, generate
from trellis.org.models import BusinessUnit, JobClass, ManagerClosure, Team, User, UserType
from trellis.org.roles import BUILTIN_ROLES


@pytest.fixture
def demo(db):
    return generate(seed=7, users=40, accounts=50)


class _Rollback(Exception):
    pass


def fingerprint(seed: int) -> str:
    """A hash of the names of everything the demo made, built and then rolled back."""
    lines: list[str] = []
    with pytest.raises(_Rollback), transaction.atomic():
        generate(seed=seed, users=0, accounts=40)
        lines += [f"unit {u.name} < {u.parent}" for u in BusinessUnit.objects.order_by("name")]
        for user in User.objects.select_related("unit", "reports_to").order_by("username"):
            roles = sorted(user.roles.values_list("name", flat=True))
            lines.append(
                f"user {user.username} {user.get_full_name()} {user.unit} {roles} "
                f"{user.reports_to} {user.job_class} {user.capacity} {user.languages}"
            )
        for team in Team.objects.order_by("name"):
            members = sorted(team.members.values_list("username", flat=True))
            lines.append(f"team {team.name} {team.unit} {members}")
        for account in Account.objects.order_by("name"):
            lines.append(
                f"account {account.name} {account.owner} {account.industry} "
                f"{account.employees} {account.city} {account.parent}"
            )
        raise _Rollback
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_the_same_seed_builds_the_same_organization(db):
    assert fingerprint(3) == fingerprint(3)


def test_another_seed_builds_another_organization(db):
    assert fingerprint(3) != fingerprint(4)


def test_the_options_set_the_head_count_and_the_number_of_accounts(demo):
    assert User.objects.count() == 40
    assert Account.objects.count() == 50


def test_every_builtin_role_is_held_by_someone(demo):
    held = set(User.objects.values_list("roles__name", flat=True))
    assert set(BUILTIN_ROLES) <= held


def test_every_job_class_is_present(demo):
    assert set(User.objects.values_list("job_class", flat=True)) == set(JobClass.values)


def test_there_are_partners_holding_the_partner_role(demo):
    partners = User.objects.filter(user_type=UserType.PARTNER)
    assert partners.count() >= 2
    assert all(list(p.roles.values_list("name", flat=True)) == ["Partner"] for p in partners)


def test_everyone_but_the_executive_reports_up_to_the_executive(demo):
    executive = User.objects.get(username="exec")
    below = ManagerClosure.objects.filter(ancestor=executive).count()
    assert executive.reports_to is None
    assert below == User.objects.count() - 1


def test_every_account_is_owned_within_its_owners_unit(demo):
    for account in Account.objects.select_related("owner_user", "owner_team"):
        assert account.owning_unit_id == account.owner.unit_id, account.name


def test_some_accounts_are_team_owned_and_some_are_key_accounts(demo):
    assert Account.objects.filter(owner_team__isnull=False).exists()
    assert Account.objects.filter(tier="key").exists()


def test_partners_see_only_accounts_they_own_or_that_are_shared_with_them(demo):
    account_type = ContentType.objects.get_for_model(Account)
    for partner in User.objects.filter(user_type=UserType.PARTNER):
        owned = set(Account.objects.filter(owner_user=partner).values_list("pk", flat=True))
        shared = set(
            Share.objects.filter(user=partner, record_type=account_type).values_list(
                "record_id", flat=True
            )
        )
        seen = set(visible(partner, Account).values_list("pk", flat=True))
        assert owned
        assert seen == owned | shared, partner.username


def test_the_showcase_account_shows_every_kind_of_access_reason(demo):
    account = Account.objects.get(name=SHOWCASE_ACCOUNT)
    sources = {
        grant.source
        for _user, grants in who_can(account)
        for action_grants in grants.values()
        for grant in action_grants
    }
    assert sources == {
        "role",
        "team_role",
        "share",
        "team_share",
        "access_team",
        "hierarchy",
        "system_administrator",
    }


def test_the_demo_logins_name_one_user_per_builtin_role(demo):
    assert set(BUILTIN_ROLES) <= {login.role for login in demo.logins}
    for login in demo.logins:
        assert User.objects.get(username=login.username).check_password("trellis-demo")


def test_the_demo_fills_every_kind_of_record(demo):
    for name in ("contacts", "opportunities", "cases", "activities", "campaigns", "products"):
        assert demo.records[name] > 0, name


def test_every_demo_record_is_owned_within_its_owners_unit(demo):
    from trellis.activities.models import Activity
    from trellis.customers.models import Contact
    from trellis.sales.models import Opportunity
    from trellis.service.models import Case

    for model in (Contact, Opportunity, Case, Activity):
        for record in model.objects.select_related("owner_user", "owner_team"):
            owner = record.owner_user or record.owner_team
            assert record.owning_unit_id == owner.unit_id, (model.__name__, record.pk)


def test_demo_cases_are_numbered_and_in_queue_order(demo):
    from trellis.service.models import Case, queue_key_for

    for case in Case.objects.all():
        assert case.number
        assert case.queue_key == queue_key_for(case.priority, case.created_at)


def test_the_demo_partner_has_own_leads_and_an_opportunity_shared_with_them(demo):
    from trellis.sales.models import Lead, Opportunity
    from trellis.web.selectors import shared_with

    partner = User.objects.get(username="partner.jakarta")
    assert visible(partner, Lead).filter(owner_user=partner).count() >= 3
    assert shared_with(partner, Opportunity).exists()
    assert shared_with(partner, Account).exists()
