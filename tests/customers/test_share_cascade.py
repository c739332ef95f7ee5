"""Sharing an account with cascade shares its contacts and its open opportunities, cases
and activities; records the sharer may not share are skipped and counted, records they
cannot see are neither touched nor counted. Unsharing with cascade takes the same share
back from all of them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from tests import factories
from tests.activities.conftest import make_activity
from tests.sales.conftest import opportunity
from tests.service.conftest import make_case
from trellis.access import can
from trellis.access.models import Share
from trellis.activities.models import ActivityStatus
from trellis.customers.models import Account
from trellis.customers.services import account_share, account_unshare
from trellis.sales.models import Opportunity


@pytest.fixture
def work(org):
    """An account of the rep in Jakarta with work around it.

    The rep owns an open deal, a won deal, an open case and an open task about the
    account; the colleague (same unit) owns another open deal the rep can see but not
    share; a Shanghai seller owns a deal on it the rep cannot even see. Sales
    representatives may read cases but not share them."""
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    colleague = factories.user("colleague", unit=org["jakarta"], roles=["Sales Representative"])
    far = factories.user("far", unit=org["shanghai"], roles=["Sales Representative"])
    account = factories.account(rep, name="Cascade Co")
    regarding = {
        "regarding_type": ContentType.objects.get_for_model(Account),
        "regarding_id": account.pk,
    }
    return SimpleNamespace(
        rep=rep,
        colleague=colleague,
        far=far,
        milan=factories.user("milan", unit=org["milan"], roles=["Sales Representative"]),
        shanghai=factories.user("shanghai", unit=org["shanghai"], roles=["Sales Representative"]),
        account=account,
        deal=opportunity(rep, account, name="Open deal"),
        won=opportunity(rep, account, name="Won deal", stage="won", probability=100),
        colleague_deal=opportunity(colleague, account, name="Colleague deal"),
        hidden_deal=opportunity(far, account, name="Hidden deal"),
        case=make_case(rep, account=account),
        task=make_activity(rep, **regarding),
        done_task=make_activity(rep, status=ActivityStatus.COMPLETED, **regarding),
    )


def _shared_with(record, user) -> bool:
    return Share.objects.filter(
        record_type=ContentType.objects.get_for_model(record), record_id=record.pk, user=user
    ).exists()


# The service.


def test_cascade_shares_the_open_deal_and_task_the_sharer_may_share(work):
    account_share(work.rep, account=work.account, user=work.milan, cascade=True)

    assert can(work.milan, "read", work.deal)
    assert can(work.milan, "read", work.task)


def test_cascade_leaves_closed_work_unshared(work):
    account_share(work.rep, account=work.account, user=work.milan, cascade=True)

    assert not can(work.milan, "read", work.won)
    assert not can(work.milan, "read", work.done_task)


def test_cascade_skips_and_counts_records_the_sharer_may_not_share(work):
    result = account_share(work.rep, account=work.account, user=work.milan, cascade=True)

    assert not can(work.milan, "read", work.colleague_deal)
    assert not can(work.milan, "read", work.case)
    # Shared: the open deal and the open task. Skipped: the colleague's deal and the case.
    assert (result.children_shared, result.children_skipped) == (2, 2)


def test_cascade_does_not_count_records_the_sharer_cannot_see(work):
    result = account_share(work.rep, account=work.account, user=work.milan, cascade=True)

    assert not _shared_with(work.hidden_deal, work.milan)
    assert result.children_shared + result.children_skipped == 4


def test_cascade_passes_on_the_same_rights_and_expiry(work):
    until = timezone.now() + dt.timedelta(days=7)
    account_share(
        work.rep,
        account=work.account,
        user=work.milan,
        rights=["read", "write"],
        expires_at=until,
        cascade=True,
    )

    share = Share.objects.get(
        record_type=ContentType.objects.get_for_model(Opportunity),
        record_id=work.deal.pk,
        user=work.milan,
    )
    assert share.rights == ["read", "write"]
    assert share.expires_at == until


def test_cascade_shares_open_cases_when_the_sharer_may_share_cases(work, org):
    manager = factories.user(
        "manager", unit=org["asia"], roles=["Sales Manager", "Service Manager"]
    )
    account_share(manager, account=work.account, user=work.milan, cascade=True)

    assert can(work.milan, "read", work.case)
    assert can(work.milan, "read", work.colleague_deal)


def test_without_cascade_only_the_account_is_shared(work):
    result = account_share(work.rep, account=work.account, user=work.milan)

    assert can(work.milan, "read", work.account)
    assert not can(work.milan, "read", work.deal)
    assert (result.children_shared, result.children_skipped) == (0, 0)


def test_unshare_with_cascade_takes_the_share_back_from_the_related_records(work):
    account_share(work.rep, account=work.account, user=work.milan, cascade=True)

    result = account_unshare(work.rep, account=work.account, user=work.milan, cascade=True)

    assert not can(work.milan, "read", work.account)
    assert not can(work.milan, "read", work.deal)
    assert not can(work.milan, "read", work.task)
    assert (result.children_unshared, result.children_skipped) == (2, 0)


def test_unshare_without_cascade_leaves_the_related_shares(work):
    account_share(work.rep, account=work.account, user=work.milan, cascade=True)

    account_unshare(work.rep, account=work.account, user=work.milan)

    assert not can(work.milan, "read", work.account)
    assert can(work.milan, "read", work.deal)


def test_unshare_with_cascade_skips_shares_the_actor_may_not_remove(work, org):
    manager = factories.user(
        "manager", unit=org["asia"], roles=["Sales Manager", "Service Manager"]
    )
    account_share(manager, account=work.account, user=work.milan, cascade=True)

    result = account_unshare(work.rep, account=work.account, user=work.milan, cascade=True)

    # The rep may not share the case or the colleague's deal, so those shares stay.
    assert can(work.milan, "read", work.case)
    assert can(work.milan, "read", work.colleague_deal)
    assert not can(work.milan, "read", work.deal)
    assert result.children_skipped == 2


# The API.


def _opportunity_names(client) -> list[str]:
    response = client.get("/api/v1/opportunities")
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["items"])


def test_the_api_share_with_cascade_reports_what_it_shared_and_skipped(api, work):
    response = api(work.rep).post(
        f"/api/v1/accounts/{work.account.pk}/share", {"user_id": work.milan.pk, "cascade": True}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["children_shared"], body["children_skipped"]) == (2, 2)
    assert body["user_id"] == work.milan.pk


def test_after_an_api_cascade_the_person_shared_with_sees_the_deal_and_others_do_not(api, work):
    api(work.rep).post(
        f"/api/v1/accounts/{work.account.pk}/share", {"user_id": work.milan.pk, "cascade": True}
    )

    assert _opportunity_names(api(work.milan)) == ["Open deal"]
    assert _opportunity_names(api(work.shanghai)) == ["Hidden deal"]


def test_the_api_unshare_with_cascade_answers_200_with_the_counts(api, work):
    client = api(work.rep)
    client.post(
        f"/api/v1/accounts/{work.account.pk}/share", {"user_id": work.milan.pk, "cascade": True}
    )

    response = client.post(
        f"/api/v1/accounts/{work.account.pk}/unshare", {"user_id": work.milan.pk, "cascade": True}
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"children_unshared": 2, "children_skipped": 0}
    assert _opportunity_names(api(work.milan)) == []


def test_the_api_unshare_without_cascade_still_answers_204(api, work):
    client = api(work.rep)
    client.post(f"/api/v1/accounts/{work.account.pk}/share", {"user_id": work.milan.pk})

    response = client.post(
        f"/api/v1/accounts/{work.account.pk}/unshare", {"user_id": work.milan.pk}
    )

    assert response.status_code == 204


def test_the_api_cascade_flag_must_be_a_boolean(api, work):
    response = api(work.rep).post(
        f"/api/v1/accounts/{work.account.pk}/share",
        {"user_id": work.milan.pk, "cascade": "sometimes"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cascade"


def test_a_person_who_cannot_see_the_account_cannot_cascade_a_share(api, work):
    response = api(work.milan).post(
        f"/api/v1/accounts/{work.account.pk}/share",
        {"user_id": work.shanghai.pk, "cascade": True},
    )

    assert response.status_code == 404
    assert not _shared_with(work.deal, work.shanghai)


# The web page.


@pytest.fixture
def browser(client):
    def make(user):
        client.force_login(user)
        return client

    return make


def test_the_share_form_offers_the_cascade_to_related_records(browser, work):
    page = browser(work.rep).get(f"/accounts/{work.account.pk}/")

    assertContains(page, 'name="share-cascade"')
    assertContains(page, "open opportunities, cases and activities")


def test_the_web_share_with_cascade_says_how_many_were_shared_and_skipped(browser, work):
    response = browser(work.rep).post(
        f"/accounts/{work.account.pk}/share/",
        {"share-user": work.milan.pk, "share-rights": ["read"], "share-cascade": "on"},
        follow=True,
    )

    assertRedirects(response, f"/accounts/{work.account.pk}/")
    assertContains(response, "Also shared 2 related records. 2 you may not share were skipped.")
    assert can(work.milan, "read", work.deal)


def test_the_web_remove_button_can_take_the_share_back_from_related_records(browser, work):
    client = browser(work.rep)
    client.post(
        f"/accounts/{work.account.pk}/share/",
        {"share-user": work.milan.pk, "share-rights": ["read"], "share-cascade": "on"},
    )
    page = client.get(f"/accounts/{work.account.pk}/")
    assertContains(page, "Remove here and from related records")

    response = client.post(
        f"/accounts/{work.account.pk}/unshare/",
        {"user": work.milan.pk, "cascade": "on"},
        follow=True,
    )

    assertContains(response, "Also removed from 2 related records.")
    assert not can(work.milan, "read", work.deal)
