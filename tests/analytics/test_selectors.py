"""Which dashboards a person gets (from role depths and privileges), and the periods."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from trellis.access.engine import scope_cache
from trellis.analytics import selectors
from trellis.analytics.selectors import Context, parse_filters, period_bounds, role_dashboards

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "dashboards"),
    [
        ("System Administrator", ["executive"]),
        ("Executive", ["executive"]),
        ("Sales Manager", ["sales_manager"]),
        ("Sales Representative", ["sales_rep"]),
        ("Customer Service Representative", ["service_rep"]),
        ("Service Manager", ["service_manager"]),
        ("Team Leader", ["sales_manager", "service_manager"]),
        ("Marketing Specialist", ["marketing"]),
        ("Product Manager", ["product"]),
        ("Data Analyst", ["analyst"]),
        ("Back Office", ["service_rep"]),
        ("Partner", ["sales_rep"]),
    ],
)
def test_each_builtin_role_leads_to_its_dashboards(role, dashboards):
    assert role_dashboards(factories.role(role)) == dashboards


def test_a_partner_holding_a_managers_role_gets_only_the_personal_dashboard(db):
    assert role_dashboards(factories.role("Sales Manager"), partner=True) == ["sales_rep"]


def test_a_regional_administrator_gets_the_organization_dashboard_of_their_region(db):
    role = factories.custom_role(
        {"case": {"read": "subtree", "write": "subtree"}},
        {"manage_org": "subtree", "view_reports": "subtree"},
    )
    assert role_dashboards(role) == ["executive"]


def test_a_renamed_role_keeps_its_dashboard_because_names_are_not_read(db):
    role = factories.role("Service Manager")
    role.name = "Kepala Layanan"
    assert role_dashboards(role) == ["service_manager"]


def test_a_person_with_two_roles_may_switch_between_both_dashboards(org):
    user = factories.user(
        unit=org["jakarta"], roles=["Sales Representative", "Marketing Specialist"]
    )
    assert selectors.dashboards_for(user) == ["marketing", "sales_rep"]


def test_back_office_staff_see_service_dashboards_first(org):
    user = factories.user(unit=org["jakarta"], roles=["Team Leader"], job_class="back_office")
    assert selectors.dashboards_for(user) == ["service_manager", "sales_manager"]


def test_roles_of_an_owner_team_count_like_the_persons_own(org):
    user = factories.user(unit=org["jakarta"])
    factories.team(unit=org["jakarta"], members=(user,), roles=("Service Manager",))
    assert selectors.dashboards_for(user) == ["service_manager"]


def test_someone_without_roles_gets_their_personal_dashboard(org):
    user = factories.user(unit=org["jakarta"])
    assert selectors.dashboards_for(user) == ["sales_rep"]


def test_a_week_runs_from_monday_to_sunday():
    assert period_bounds("week", dt.date(2026, 11, 22)) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 22),
    )


def test_a_quarter_holds_three_calendar_months():
    assert period_bounds("quarter", dt.date(2026, 11, 22)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )


def test_a_year_ends_on_the_last_day_of_december():
    assert period_bounds("year", dt.date(2026, 2, 3)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )


def test_the_month_is_the_default_period():
    filters = parse_filters({}, today=dt.date(2026, 2, 10))
    assert (filters.start, filters.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_start_picks_which_month_to_show():
    filters = parse_filters({"period": "month", "start": "2025-12-15"})
    assert (filters.start, filters.end) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))


def test_a_custom_period_longer_than_five_years_is_refused():
    with pytest.raises(selectors.InvalidInput) as exc:
        parse_filters({"period": "custom", "start": "2000-01-01", "end": "2026-01-01"})
    assert exc.value.errors[0][0] == "end"


def test_a_follow_up_threshold_of_zero_hours_is_refused():
    with pytest.raises(selectors.InvalidInput) as exc:
        parse_filters({"hours": "0"})
    assert exc.value.errors[0][0] == "hours"


def test_the_pipeline_figure_is_one_grouped_query_over_the_rollup_and_one_over_the_rest(
    people, data
):
    context = Context(people.manager_j, parse_filters({}))
    with scope_cache():
        selectors.base(context, "open_opportunities").exists()  # the scope is computed once
        context.totals  # noqa: B018  (reads whether the rollups are current: one query)
        with CaptureQueriesContext(connection) as queries:
            selectors.pipeline_funnel(context)
    # The rollup rows of the owners and units reached by role, and the records reached
    # only through shares or hierarchy.
    assert len(queries) == 2
