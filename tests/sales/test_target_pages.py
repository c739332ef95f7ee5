"""The sales target pages: the list (with the won amount against each target), create,
edit and delete, with the same rules as the target services and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from tests.sales.conftest import opportunity
from trellis.sales.models import SalesTarget

PERIOD = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 3, 31)}
IN_PERIOD = timezone.make_aware(dt.datetime(2026, 2, 10, 12, 0))


def _target(user=None, team=None, amount=10000, **fields) -> SalesTarget:
    return SalesTarget.objects.create(
        user=user, team=team, amount=amount, currency="USD", **{**PERIOD, **fields}
    )


@pytest.fixture
def targets(people):
    return {
        "rep": _target(people.rep),
        "milan": _target(people.milan_rep, amount=5000),
    }


def _won(owner, account, amount, closed_at=IN_PERIOD, **fields):
    return opportunity(
        owner,
        account,
        stage="won",
        probability=100,
        amount=amount,
        currency="USD",
        closed_at=closed_at,
        **fields,
    )


def _shown(page) -> list[str]:
    return [row["target"].user.username for row in page.context["rows"]]


# The list.


def test_a_manager_sees_the_targets_of_their_units(browser, people, targets):
    page = browser(people.manager).get("/targets/")

    assert page.status_code == 200
    assert _shown(page) == ["rep"]


def test_a_rep_sees_only_their_own_target(browser, people, targets):
    assert _shown(browser(people.rep).get("/targets/")) == ["rep"]
    assert _shown(browser(people.milan_rep).get("/targets/")) == ["milan_rep"]


def test_the_list_shows_what_was_won_in_the_period_against_the_target(
    browser, people, accounts, targets
):
    _won(people.rep, accounts.jakarta, 2500)
    _won(people.rep, accounts.jakarta, 1000, closed_at=IN_PERIOD + dt.timedelta(days=90))
    opportunity(people.rep, accounts.jakarta, amount=7000)  # open: not won yet

    page = browser(people.manager).get("/targets/")

    row = page.context["rows"][0]
    assert row["won"] == Decimal("2500")
    assert row["percent"] == 25
    assertContains(page, "25%")


def test_the_won_amount_counts_only_deals_the_reader_may_see(browser, people, accounts, org):
    # A reviewer with org-wide view_reports but who may read no opportunities.
    reviewer = factories.custom_role(privileges={"view_reports": "org"})
    auditor = factories.user("auditor", unit=org["root"], roles=[reviewer])
    _target(people.rep)
    _won(people.rep, accounts.jakarta, 2500)

    manager_row = browser(people.manager).get("/targets/").context["rows"][0]
    auditor_row = browser(auditor).get("/targets/").context["rows"][0]

    assert manager_row["won"] == Decimal("2500")
    assert auditor_row["won"] == Decimal("0")


def test_the_list_filters_by_person(browser, people, targets, org):
    executive = factories.user("boss", unit=org["root"], roles=["Executive"])

    page = browser(executive).get("/targets/", {"user": people.milan_rep.pk})

    assert _shown(page) == ["milan_rep"]


def test_the_list_filters_by_period(browser, people, targets):
    _target(people.rep, period_start=dt.date(2026, 4, 1), period_end=dt.date(2026, 6, 30))

    page = browser(people.manager).get(
        "/targets/", {"period_from": "2026-04-01", "period_to": "2026-12-31"}
    )

    assert [row["target"].period_start for row in page.context["rows"]] == [dt.date(2026, 4, 1)]


def test_the_list_offers_edit_and_delete_only_where_the_reader_may_change(browser, people, targets):
    manager = browser(people.manager).get("/targets/")
    rep = browser(people.rep).get("/targets/")

    assertContains(manager, f"/targets/{targets['rep'].pk}/edit/")
    assertNotContains(rep, f"/targets/{targets['rep'].pk}/edit/")


# Create.


def test_a_manager_creates_a_target_for_a_rep_of_their_unit(browser, people):
    response = browser(people.manager).post(
        "/targets/new/",
        {
            "user": people.colleague.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "amount": "8000",
            "currency": "USD",
        },
    )

    assertRedirects(response, "/targets/")
    target = SalesTarget.objects.get(user=people.colleague)
    assert target.amount == Decimal("8000")


def test_a_manager_may_not_create_a_target_outside_their_units(browser, people):
    response = browser(people.manager).post(
        "/targets/new/",
        {
            "user": people.milan_rep.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "amount": "8000",
            "currency": "USD",
        },
    )

    assert response.status_code == 403
    assertContains(response, "you may not set targets for them", status_code=403)
    assert not SalesTarget.objects.filter(user=people.milan_rep).exists()


def test_a_target_needs_a_person_or_a_team(browser, people):
    response = browser(people.manager).post(
        "/targets/new/",
        {"period_start": "2026-01-01", "period_end": "2026-03-31", "amount": "1"},
    )

    assert response.status_code == 400
    assert not SalesTarget.objects.exists()


def test_an_overlapping_target_is_refused_on_the_period_field(browser, people, targets):
    response = browser(people.manager).post(
        "/targets/new/",
        {
            "user": people.rep.pk,
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
            "amount": "100",
            "currency": "USD",
        },
    )

    assert response.status_code == 409
    assert response.context["form"].errors["period_start"]


def test_someone_who_may_not_set_targets_is_not_offered_the_create_page(browser, people):
    nobody = factories.user("nobody", unit=people.rep.unit)

    assert browser(nobody).get("/targets/new/").status_code == 403
    assertNotContains(browser(nobody).get("/targets/"), "/targets/new/")


# Edit and delete.


def test_a_manager_changes_a_target(browser, people, targets):
    target = targets["rep"]

    response = browser(people.manager).post(
        f"/targets/{target.pk}/edit/",
        {
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "amount": "12000",
            "currency": "USD",
            "version": target.version,
        },
    )

    assertRedirects(response, "/targets/")
    target.refresh_from_db()
    assert target.amount == Decimal("12000")


def test_a_stale_edit_is_refused(browser, people, targets):
    target = targets["rep"]

    response = browser(people.manager).post(
        f"/targets/{target.pk}/edit/",
        {
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "amount": "12000",
            "currency": "USD",
            "version": target.version + 5,
        },
    )

    assert response.status_code == 412
    target.refresh_from_db()
    assert target.amount == Decimal("10000")


def test_nobody_edits_their_own_target(browser, people, targets):
    assert browser(people.rep).get(f"/targets/{targets['rep'].pk}/edit/").status_code == 403


def test_a_target_the_reader_may_not_see_answers_404(browser, people, targets):
    client = browser(people.manager)

    assert client.get(f"/targets/{targets['milan'].pk}/edit/").status_code == 404
    assert client.post(f"/targets/{targets['milan'].pk}/delete/").status_code == 404
    assert SalesTarget.objects.filter(pk=targets["milan"].pk).exists()


def test_a_manager_deletes_a_target(browser, people, targets):
    response = browser(people.manager).post(f"/targets/{targets['rep'].pk}/delete/")

    assertRedirects(response, "/targets/")
    assert not SalesTarget.objects.filter(pk=targets["rep"].pk).exists()


def test_a_rep_may_not_delete_their_own_target(browser, people, targets):
    response = browser(people.rep).post(f"/targets/{targets['rep'].pk}/delete/")

    assert response.status_code == 403
    assert SalesTarget.objects.filter(pk=targets["rep"].pk).exists()
