"""The dashboards' JSON and CSV under /api/v1/analytics: every figure over visible data."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.conftest import WINDOW

pytestmark = pytest.mark.django_db

HOURS_6 = dt.timedelta(hours=6)


def figure(body: dict, key: str) -> dict:
    return next(f for f in body["figures"] if f["key"] == key)


def row(fig: dict, label: str) -> dict:
    return next(r for r in fig["rows"] if r["label"] == label)


def get_dashboard(api, user, kind, **params):
    return api(user).get(f"/api/v1/analytics/dashboards/{kind}", {**WINDOW, **params})


def test_the_dashboard_list_names_the_sales_managers_dashboard_first(api, people):
    body = api(people.manager_j).get("/api/v1/analytics/dashboards").json()
    assert body["default"] == "sales_manager"


def test_the_dashboard_list_of_a_rep_holds_only_their_personal_dashboard(api, people):
    body = api(people.rep_j).get("/api/v1/analytics/dashboards").json()
    assert [item["kind"] for item in body["items"]] == ["sales_rep"]


def test_sibling_managers_see_their_own_units_open_pipeline(api, people, data):
    jakarta = get_dashboard(api, people.manager_j, "sales_manager").json()
    shanghai = get_dashboard(api, people.manager_s, "sales_manager").json()
    assert row(figure(jakarta, "pipeline"), "Proposal")["amount"] == "1000.00"
    assert row(figure(shanghai, "pipeline"), "Negotiation")["amount"] == "2000.00"
    assert row(figure(jakarta, "pipeline"), "Negotiation")["amount"] == "0.00"


def test_the_common_executive_sees_the_sum_of_the_sibling_managers_totals(api, people, data):
    def total(user, kind):
        body = get_dashboard(api, user, kind).json()
        return sum(float(r["amount"]) for r in figure(body, "pipeline")["rows"])

    jakarta = total(people.manager_j, "sales_manager")
    shanghai = total(people.manager_s, "sales_manager")
    assert (jakarta, shanghai) == (1000.0, 2000.0)
    assert total(people.executive, "executive") == jakarta + shanghai


def test_the_executive_breaks_the_organization_down_by_unit(api, people, data):
    body = get_dashboard(api, people.executive, "executive").json()
    asia = row(figure(body, "by_unit"), "Asia-Pacific")
    assert asia["open_pipeline"] == "3000.00"
    assert asia["open_cases"] == 2


def test_the_executive_breaks_the_organization_down_by_job_class(api, people, data):
    body = get_dashboard(api, people.executive, "executive").json()
    front = row(figure(body, "by_job_class"), "Front office")
    assert front["won"] == "500.00"


def test_a_manager_may_not_open_the_executive_dashboard(api, people, data):
    response = get_dashboard(api, people.manager_j, "executive")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "dashboard"


def test_a_sales_rep_sees_only_their_own_pipeline(api, people, data):
    body = get_dashboard(api, people.rep_j, "sales_rep").json()
    amounts = {r["label"]: r["amount"] for r in figure(body, "pipeline")["rows"]}
    assert amounts["Proposal"] == "1000.00"
    assert amounts["Negotiation"] == "0.00"


def test_a_sales_rep_sees_the_weighted_amount_of_their_pipeline(api, people, data):
    body = get_dashboard(api, people.rep_j, "sales_rep").json()
    assert row(figure(body, "pipeline"), "Proposal")["weighted_amount"] == "500.00"


def test_a_sales_rep_sees_their_target_against_what_they_won(api, people, data):
    body = get_dashboard(api, people.rep_j, "sales_rep").json()
    target = figure(body, "target")
    assert [r["value"] for r in target["rows"]] == ["2000.00", "500.00"]


def test_a_sales_rep_sees_their_overdue_tasks_and_not_another_reps(api, people, data):
    mine = get_dashboard(api, people.rep_j, "sales_rep").json()
    theirs = get_dashboard(api, people.rep_s, "sales_rep").json()
    assert [r["label"] for r in figure(mine, "overdue")["rows"]] == ["Call back Jakarta"]
    assert figure(theirs, "overdue")["rows"] == []


def test_a_sales_reps_open_leads_show_their_age(api, people, data):
    body = get_dashboard(api, people.rep_j, "sales_rep").json()
    lead = row(figure(body, "open_leads"), "Slow")
    assert lead["age_days"] >= 3
    assert lead["days_since_contact"] is None


def test_the_owner_filter_cannot_widen_a_personal_dashboard(api, people, data):
    body = get_dashboard(api, people.rep_j, "sales_rep", owner_user_id=people.rep_s.pk).json()
    assert row(figure(body, "pipeline"), "Proposal")["amount"] == "1000.00"


def test_the_owner_filter_narrows_a_managers_dashboard(api, people, data):
    body = get_dashboard(api, people.executive, "executive", owner_user_id=people.rep_s.pk).json()
    amounts = {r["label"]: r["amount"] for r in figure(body, "pipeline")["rows"]}
    assert (amounts["Proposal"], amounts["Negotiation"]) == ("0.00", "2000.00")


def test_the_unit_filter_narrows_the_executive_dashboard(api, people, org, data):
    body = get_dashboard(api, people.executive, "executive", unit_id=org["jakarta"].pk).json()
    assert row(figure(body, "totals"), "Open pipeline")["value"] == "1000.00"


def test_the_team_filter_keeps_the_records_of_the_teams_members(api, people, data):
    from tests import factories

    team = factories.team("Shanghai sellers", unit=people.rep_s.unit, members=(people.rep_s,))
    body = get_dashboard(api, people.executive, "executive", team_id=team.pk).json()
    assert row(figure(body, "totals"), "Open pipeline")["value"] == "2000.00"


def test_a_period_before_the_deals_closed_shows_nothing_won(api, people, data):
    body = (
        api(people.executive)
        .get(
            "/api/v1/analytics/dashboards/executive",
            {"period": "custom", "start": "2020-01-01", "end": "2020-01-31"},
        )
        .json()
    )
    assert row(figure(body, "totals"), "Won in period")["value"] == "0.00"


def test_a_sales_manager_sees_win_rate_only_for_their_units_reps(api, people, data):
    jakarta = get_dashboard(api, people.manager_j, "sales_manager").json()
    shanghai = get_dashboard(api, people.manager_s, "sales_manager").json()
    assert [(r["label"], r["win_rate"]) for r in figure(jakarta, "win_rate")["rows"]] == [
        ("rep_j", 100.0)
    ]
    assert [(r["label"], r["win_rate"]) for r in figure(shanghai, "win_rate")["rows"]] == [
        ("rep_s", 0.0)
    ]


def test_a_sales_manager_sees_target_attainment_of_their_reps(api, people, data):
    body = get_dashboard(api, people.manager_j, "sales_manager").json()
    assert row(figure(body, "target_attainment"), "rep_j")["attainment"] == 25.0


def test_a_sales_manager_sees_conversion_per_campaign(api, people, data):
    shanghai = get_dashboard(api, people.manager_s, "sales_manager").json()
    assert row(figure(shanghai, "leads_by_campaign"), "Shanghai mail")["conversion"] == 100.0


def test_a_sales_manager_sees_slow_follow_up_per_rep(api, people, data):
    jakarta = get_dashboard(api, people.manager_j, "sales_manager").json()
    shanghai = get_dashboard(api, people.manager_s, "sales_manager").json()
    assert [(r["label"], r["count"]) for r in figure(jakarta, "slow_follow_up")["rows"]] == [
        ("rep_j", 1)
    ]
    assert figure(shanghai, "slow_follow_up")["rows"] == []


def test_a_longer_follow_up_threshold_clears_the_slow_lead(api, people, data):
    body = get_dashboard(api, people.manager_j, "sales_manager", hours=24 * 5).json()
    assert figure(body, "slow_follow_up")["rows"] == []


def test_a_sales_manager_sees_workload_per_rep(api, people, data):
    body = get_dashboard(api, people.manager_j, "sales_manager").json()
    assert row(figure(body, "workload"), "rep_j") | {"drill": None} == {
        "label": "rep_j",
        "leads": 1,
        "opportunities": 1,
        "activities": 1,
        "drill": None,
    }


def test_a_service_rep_sees_their_open_cases_by_priority(api, people, data):
    mine = get_dashboard(api, people.agent_j, "service_rep").json()
    theirs = get_dashboard(api, people.agent_s, "service_rep").json()
    assert row(figure(mine, "open_cases_by_priority"), "Urgent")["count"] == 1
    assert row(figure(theirs, "open_cases_by_priority"), "Urgent")["count"] == 0


def test_a_service_rep_is_ranked_among_the_peers_of_their_unit(api, people, data):
    body = get_dashboard(api, people.agent_j, "service_rep").json()
    ranking = figure(body, "service_ranking")["rows"]
    assert [(r["rank"], r["label"], r["resolution_hours"]) for r in ranking] == [
        (1, "agent_j (you)", 5.0),
        (2, "agent_j2", 10.0),
        (None, "Team average", 7.5),
    ]


def test_a_service_rep_sees_their_satisfaction_against_the_team(api, people, data):
    body = get_dashboard(api, people.agent_j, "service_rep").json()
    ranking = figure(body, "service_ranking")["rows"]
    assert [r["satisfaction"] for r in ranking] == [4.0, 2.0, 3.0]


def test_a_service_rep_counts_cases_closed_this_week(api, people, data):
    body = get_dashboard(api, people.agent_s, "service_rep").json()
    assert figure(body, "closed_this_week")["rows"][0]["value"] == 1


def test_sibling_service_managers_see_their_own_units_sla_breaches(api, people, data):
    jakarta = get_dashboard(api, people.service_j, "service_manager").json()
    shanghai = get_dashboard(api, people.service_s, "service_manager").json()
    assert row(figure(jakarta, "sla"), "Breached an SLA target")["value"] == 0
    assert row(figure(shanghai, "sla"), "Breach rate %")["value"] == 50.0


def test_a_service_manager_sees_complaints_by_product_of_their_unit(api, people, data):
    body = get_dashboard(api, people.service_j, "service_manager").json()
    assert [r["label"] for r in figure(body, "complaints_by_product")["rows"]] == ["Pump"]


def test_a_service_manager_sees_open_and_closed_cases_per_agent(api, people, data):
    body = get_dashboard(api, people.service_j, "service_manager").json()
    rows = {r["label"]: (r["open"], r["closed"]) for r in figure(body, "cases_per_agent")["rows"]}
    assert rows == {"agent_j": (1, 1), "agent_j2": (0, 1)}


def test_a_service_manager_sees_the_satisfaction_trend(api, people, data):
    body = get_dashboard(api, people.service_j, "service_manager").json()
    assert [r["satisfaction"] for r in figure(body, "satisfaction_trend")["rows"]] == [3.0]


def test_a_marketer_sees_the_campaigns_of_their_unit_with_cost_per_lead(api, people, data):
    body = get_dashboard(api, people.marketer_j, "marketing").json()
    assert [r["label"] for r in figure(body, "campaigns")["rows"]] == ["Jakarta fair"]
    assert row(figure(body, "campaigns"), "Jakarta fair")["cost_per_lead"] == "100.00"


def test_a_marketer_sees_influenced_revenue_and_roi(api, people, data):
    body = get_dashboard(api, people.marketer_j, "marketing").json()
    fair = row(figure(body, "campaigns"), "Jakarta fair")
    assert (fair["influenced_revenue"], fair["roi"]) == ("500.00", 400.0)


def test_another_marketer_sees_only_their_own_units_campaign(api, people, data):
    body = get_dashboard(api, people.marketer_s, "marketing").json()
    assert [r["label"] for r in figure(body, "campaigns")["rows"]] == ["Shanghai mail"]


def test_the_product_manager_sees_complaints_of_every_product(api, people, data):
    body = get_dashboard(api, people.product_manager, "product").json()
    labels = sorted(r["label"] for r in figure(body, "feedback_by_product")["rows"])
    assert labels == ["Pump", "Valve"]


def test_a_product_manager_reading_one_subtree_sees_only_its_complaints(api, people, data):
    body = get_dashboard(api, people.product_manager_j, "product").json()
    assert [r["label"] for r in figure(body, "feedback_by_product")["rows"]] == ["Pump"]


def test_the_product_manager_sees_the_accounts_reporting_most(api, people, data):
    body = get_dashboard(api, people.product_manager, "product").json()
    labels = sorted(r["label"] for r in figure(body, "top_accounts")["rows"])
    assert labels == ["Jakarta Steel", "Shanghai Silk"]


def test_the_data_analyst_sees_the_whole_organizations_totals(api, people, data):
    body = get_dashboard(api, people.analyst, "analyst").json()
    assert row(figure(body, "totals"), "Open pipeline")["value"] == "3000.00"


def test_an_analyst_reading_one_unit_sees_only_its_totals(api, people, data):
    body = get_dashboard(api, people.analyst_s, "analyst").json()
    assert row(figure(body, "totals"), "Open pipeline")["value"] == "2000.00"


def test_a_figure_row_names_the_drill_down_behind_it(api, people, data):
    body = get_dashboard(api, people.manager_j, "sales_manager").json()
    drill = row(figure(body, "pipeline"), "Proposal")["drill"]
    assert drill["path"] == "/api/v1/analytics/dashboards/sales_manager/records/open_opportunities"
    assert drill["criteria"] == {"stage": "proposal"}


def test_the_drill_down_lists_only_records_the_caller_may_read(api, people, data):
    response = api(people.manager_j).get(
        "/api/v1/analytics/dashboards/sales_manager/records/open_opportunities", WINDOW
    )
    assert [item["label"] for item in response.json()["items"]] == ["Jakarta open"]


def test_the_drill_down_narrows_by_the_rows_group(api, people, data):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive/records/open_opportunities",
        {**WINDOW, "stage": "negotiation"},
    )
    assert [item["label"] for item in response.json()["items"]] == ["Shanghai open"]


def test_an_unknown_figure_is_refused_with_the_field_named(api, people, data):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive/records/everything"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "figure", "message": "unknown figure 'everything'"}
    ]


def test_a_drill_down_key_the_figure_lacks_is_refused(api, people, data):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive/records/open_opportunities", {"priority": "high"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "priority"


def test_an_unknown_period_is_refused_with_the_field_named(api, people):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive", {"period": "decade"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "period"


def test_a_custom_period_needs_an_end(api, people):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive", {"period": "custom", "start": "2026-01-01"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "end", "message": "is required for a custom period"}
    ]


def test_a_custom_period_may_not_end_before_it_starts(api, people):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive",
        {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
    )
    assert response.json()["errors"][0]["field"] == "end"


def test_an_unreadable_date_is_refused_with_the_field_named(api, people):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive", {"start": "yesterday"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "start"


def test_an_unknown_unit_is_refused_with_the_field_named(api, people):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive", {"unit_id": "999999"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "unit_id"


def test_a_non_numeric_owner_is_refused_with_the_field_named(api, people):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive", {"owner_user_id": "bob"}
    )
    assert response.json()["errors"][0]["field"] == "owner_user_id"


def test_an_unknown_format_is_refused(api, people):
    response = api(people.executive).get(
        "/api/v1/analytics/dashboards/executive", {"format": "xml"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"


def test_the_dashboard_is_served_as_csv(api, people, data):
    response = get_dashboard(api, people.manager_j, "sales_manager", format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "pipeline,Pipeline by stage,Proposal,Amount,1000.00" in response.content.decode()


def test_the_csv_of_a_sibling_manager_leaves_the_other_units_deals_out(api, people, data):
    response = get_dashboard(api, people.manager_s, "sales_manager", format="csv")
    assert "1000.00" not in response.content.decode()


def test_the_dashboards_need_authentication(client):
    response = client.get("/api/v1/analytics/dashboards")
    assert response.status_code == 401


def test_the_appraisal_shows_each_agents_resolution_satisfaction_and_sla(api, people, data):
    body = get_dashboard(api, people.service_j, "service_manager").json()
    agent = row(figure(body, "appraisal"), "agent_j")
    assert (agent["volume"], agent["resolution_hours"], agent["satisfaction"]) == (1, 5.0, 4.0)
    assert agent["sla_met"] == 100.0


def test_the_appraisal_of_a_sibling_unit_counts_its_breaches(api, people, data):
    body = get_dashboard(api, people.service_s, "service_manager").json()
    assert row(figure(body, "appraisal"), "agent_s")["sla_met"] == 0.0
    assert "agent_j" not in [r["label"] for r in figure(body, "appraisal")["rows"]]


def test_the_appraisal_shows_win_rate_and_follow_up_latency(api, people, data):
    from tests.analytics.conftest import lead

    created = data.slow_lead.created_at
    lead(people.rep_j, last_name="Called", created_at=created, first_contacted_at=created + HOURS_6)
    body = get_dashboard(api, people.manager_j, "sales_manager").json()
    rep = row(figure(body, "appraisal"), "rep_j")
    assert (rep["volume"], rep["win_rate"], rep["follow_up_hours"]) == (1, 100.0, 6.0)


def _queue(team, *cases):
    from trellis.routing.models import Queue, QueueItem

    queue = Queue.objects.create(name=f"{team.name} queue", entity="case", team=team)
    for case in cases:
        QueueItem.objects.create(queue=queue, entity="case", object_id=case.pk)
    return queue


def test_a_service_manager_sees_the_size_of_queues_holding_their_units_cases(api, people, data):
    from tests import factories

    team = factories.team("Shanghai desk", unit=people.agent_s.unit, members=(people.agent_s,))
    _queue(team, data.complaint_s)
    shanghai = get_dashboard(api, people.service_s, "service_manager").json()
    jakarta = get_dashboard(api, people.service_j, "service_manager").json()
    assert [(r["label"], r["waiting"]) for r in figure(shanghai, "queues")["rows"]] == [
        ("Shanghai desk queue", 1)
    ]
    assert figure(jakarta, "queues")["rows"] == []


def test_a_service_rep_sees_the_waiting_count_of_their_own_teams_queues(api, people, data):
    from tests import factories

    team = factories.team("Shanghai desk", unit=people.agent_s.unit, members=(people.agent_s,))
    _queue(team, data.complaint_s)
    member = get_dashboard(api, people.agent_s, "service_rep").json()
    outsider = get_dashboard(api, people.agent_j, "service_rep").json()
    assert [(r["label"], r["waiting"]) for r in figure(member, "queues")["rows"]] == [
        ("Shanghai desk queue", 1)
    ]
    assert figure(outsider, "queues")["rows"] == []


def test_the_number_of_queries_does_not_grow_with_the_number_of_reps(api, people, org, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories
    from tests.analytics.conftest import opportunity

    client = api(people.manager_j)
    get_dashboard(lambda user: client, people.manager_j, "sales_manager")  # warms caches
    with CaptureQueriesContext(connection) as before:
        get_dashboard(lambda user: client, people.manager_j, "sales_manager")
    for number in range(5):
        rep = factories.user(f"extra{number}", unit=org["jakarta"], roles=["Sales Representative"])
        opportunity(rep, data.account_j, stage="won", amount=10, closed_at=data.won_j.closed_at)
    with CaptureQueriesContext(connection) as after:
        get_dashboard(lambda user: client, people.manager_j, "sales_manager")
    assert len(after) == len(before)


def test_the_analytics_endpoints_are_described_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/analytics/dashboards/{kind}" in paths
    assert "/api/v1/analytics/report" in paths
