"""Ad-hoc reports: groups, measures and time buckets over the records the caller reads."""

from __future__ import annotations

import pytest

from tests import factories
from tests.analytics.conftest import WINDOW, login

pytestmark = pytest.mark.django_db

REPORT = "/api/v1/analytics/report"


def run(api, user, **params):
    return api(user).get(REPORT, {**WINDOW, **params})


def test_a_report_sums_opportunity_amounts_per_stage(api, people, data):
    body = run(api, people.executive, entity="opportunity", group_by="stage", measure="sum:amount")
    sums = {r["stage"]: r["sum:amount"] for r in body.json()["rows"]}
    assert sums == {
        "lost": "300.00",
        "negotiation": "2000.00",
        "proposal": "1000.00",
        "won": "500.00",
    }


def test_a_managers_report_counts_only_their_units_records(api, people, data):
    body = run(api, people.manager_j, entity="opportunity", group_by="stage", measure="count")
    assert {r["stage"]: r["count"] for r in body.json()["rows"]} == {"proposal": 1, "won": 1}


def test_a_report_groups_by_two_fields(api, people, data):
    body = run(
        api, people.executive, entity="case", group_by=["owner", "priority"], measure="count"
    )
    assert {"owner": "agent_j", "priority": "urgent", "count": 1} in [
        {k: r[k] for k in ("owner", "priority", "count")} for r in body.json()["rows"]
    ]


def test_a_report_averages_satisfaction_per_owner(api, people, data):
    body = run(api, people.service_j, entity="case", group_by="owner", measure="avg:satisfaction")
    averages = {r["owner"]: r["avg:satisfaction"] for r in body.json()["rows"]}
    assert averages == {"agent_j": 4.0, "agent_j2": 2.0}


def test_a_report_buckets_by_month(api, people, data):
    body = run(api, people.executive, entity="lead", bucket="month", measure="count")
    assert sum(r["count"] for r in body.json()["rows"]) == 2
    assert body.json()["chart"] == "line"


def test_a_report_refuses_a_third_group(api, people):
    response = run(api, people.executive, entity="case", group_by=["owner", "priority", "type"])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "group_by"


def test_a_report_refuses_a_measure_on_a_field_without_numbers(api, people):
    response = run(api, people.executive, entity="case", measure="sum:subject")
    assert response.json()["errors"][0]["field"] == "measure"


def test_a_report_refuses_an_unknown_entity(api, people):
    response = run(api, people.executive, entity="invoice")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "entity"


def test_a_report_refuses_an_unknown_bucket(api, people):
    response = run(api, people.executive, entity="case", bucket="century")
    assert response.json()["errors"][0]["field"] == "bucket"


def test_running_a_report_needs_the_view_reports_privilege(api, org):
    clerk = factories.user("clerk", unit=org["jakarta"], roles=["Back Office"])
    assert run(api, clerk, entity="case").status_code == 403


def test_a_report_is_exported_as_csv(api, people, data):
    response = run(
        api, people.executive, entity="opportunity", group_by="stage", measure="count", format="csv"
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "report,Report: opportunity,negotiation,count,1" in response.content.decode()


def test_the_report_builder_page_draws_the_result(people, data):
    response = login(people.analyst).get(
        "/dashboard/report/", {**WINDOW, "entity": "opportunity", "group_by": "stage"}
    )
    assert '<svg class="chart"' in response.content.decode()


def test_the_report_builder_page_of_a_unit_analyst_leaves_other_units_out(people, data):
    response = login(people.analyst_s).get(
        "/dashboard/report/",
        {**WINDOW, "entity": "opportunity", "group_by": "stage", "measure": "sum:amount"},
    )
    body = response.content.decode()
    assert "2,000" in body
    assert "1,000" not in body


def test_the_report_builder_page_shows_bad_input(people):
    response = login(people.analyst).get("/dashboard/report/", {"entity": "invoice"})
    assert response.status_code == 400


def test_the_analyst_dashboard_links_to_the_report_builder(people, data):
    response = login(people.analyst).get("/", WINDOW)
    assert 'href="/dashboard/report/"' in response.content.decode()
