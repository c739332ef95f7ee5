"""Saved reports: /api/v1/reports CRUD, sharing, runs over the runner's access, exports,
scheduled delivery, and the per-person appraisal page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.analytics.conftest import WINDOW, login
from trellis.analytics.models import ReportRun, SavedReport
from trellis.analytics.services import next_run_at, reports_run_due
from trellis.notifications.models import Notification

pytestmark = pytest.mark.django_db

PIPELINE = {
    "name": "Pipeline total",
    "entity": "opportunity",
    "measures": ["sum:amount"],
    "filters": WINDOW,
}


def create(api, user, **fields):
    response = api(user).post("/api/v1/reports", PIPELINE | fields)
    assert response.status_code == 201, response.content
    return response.json()


def share(api, owner, report_id, user):
    response = api(owner).post(
        f"/api/v1/reports/{report_id}/share", {"user_id": user.pk, "rights": ["read"]}
    )
    assert response.status_code == 200, response.content


def test_a_saved_report_keeps_its_definition(api, people):
    body = create(api, people.rep_j, group_by=["stage"], bucket="month")
    assert (body["entity"], body["group_by"], body["measures"], body["bucket"]) == (
        "opportunity",
        ["stage"],
        ["sum:amount"],
        "month",
    )


def test_a_new_report_is_owned_by_its_creator(api, people):
    body = create(api, people.rep_j)
    assert body["owner_user_id"] == people.rep_j.pk


def test_a_private_report_is_not_found_for_someone_in_another_unit(api, people):
    report = create(api, people.rep_j)
    assert api(people.rep_s).get(f"/api/v1/reports/{report['id']}").status_code == 404


def test_a_shared_report_is_readable_by_the_person_it_is_shared_with(api, people):
    report = create(api, people.rep_j)
    share(api, people.rep_j, report["id"], people.rep_s)
    assert api(people.rep_s).get(f"/api/v1/reports/{report['id']}").status_code == 200


def test_sharing_a_report_with_one_person_keeps_it_hidden_from_others(api, people):
    report = create(api, people.rep_j)
    share(api, people.rep_j, report["id"], people.rep_s)
    assert api(people.agent_s).get(f"/api/v1/reports/{report['id']}").status_code == 404


def test_the_report_list_holds_own_and_shared_reports_but_not_others(api, people):
    mine = create(api, people.rep_s, name="Mine")
    shared = create(api, people.rep_j, name="Shared")
    create(api, people.rep_j, name="Private")
    share(api, people.rep_j, shared["id"], people.rep_s)
    items = api(people.rep_s).get("/api/v1/reports").json()["items"]
    assert sorted(item["id"] for item in items) == sorted([mine["id"], shared["id"]])


def test_a_sales_manager_reads_the_reports_of_their_unit(api, people):
    report = create(api, people.rep_j)
    assert api(people.manager_j).get(f"/api/v1/reports/{report['id']}").status_code == 200


def test_a_sales_manager_does_not_read_the_reports_of_a_sibling_unit(api, people):
    report = create(api, people.rep_j)
    assert api(people.manager_s).get(f"/api/v1/reports/{report['id']}").status_code == 404


def test_an_update_with_a_stale_version_is_refused(api, people):
    report = create(api, people.rep_j)
    response = api(people.rep_j).patch(
        f"/api/v1/reports/{report['id']}", {"name": "Renamed"}, headers={"If-Match": "7"}
    )
    assert response.status_code == 412


def test_an_update_with_the_current_version_renames_the_report(api, people):
    report = create(api, people.rep_j)
    response = api(people.rep_j).patch(
        f"/api/v1/reports/{report['id']}", {"name": "Renamed"}, headers={"If-Match": "1"}
    )
    assert (response.status_code, response.json()["name"]) == (200, "Renamed")


def test_a_person_it_is_shared_with_for_reading_may_not_change_it(api, people):
    report = create(api, people.rep_j)
    share(api, people.rep_j, report["id"], people.rep_s)
    response = api(people.rep_s).patch(f"/api/v1/reports/{report['id']}", {"name": "Mine now"})
    assert response.status_code == 403


def test_the_owner_deletes_a_report(api, people):
    report = create(api, people.rep_j)
    assert api(people.rep_j).delete(f"/api/v1/reports/{report['id']}").status_code == 204
    assert not SavedReport.objects.filter(pk=report["id"]).exists()


def test_an_unknown_group_field_is_refused_naming_the_field(api, people):
    response = api(people.rep_j).post("/api/v1/reports", PIPELINE | {"group_by": ["colour"]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "group_by"


def test_an_unknown_schedule_is_refused_naming_the_field(api, people):
    response = api(people.rep_j).post("/api/v1/reports", PIPELINE | {"schedule": "hourly"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "schedule"


def test_a_bad_period_filter_is_refused_naming_the_field(api, people):
    response = api(people.rep_j).post("/api/v1/reports", PIPELINE | {"filters": {"period": "x"}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "period"


def test_someone_without_the_view_reports_privilege_may_not_save_a_report(api, org):
    clerk = factories.user("clerk", unit=org["jakarta"], roles=["Back Office"])
    assert api(clerk).post("/api/v1/reports", PIPELINE).status_code == 403


def run_total(api, user, report_id) -> str:
    response = api(user).post(f"/api/v1/reports/{report_id}/run")
    assert response.status_code == 200, response.content
    return response.json()["rows"][0]["sum:amount"]


def test_a_managers_report_totals_their_own_units_pipeline(api, people, data):
    report = create(api, people.manager_j)
    assert run_total(api, people.manager_j, report["id"]) == "1500.00"


def test_the_same_definition_totals_a_sibling_managers_pipeline_differently(api, people, data):
    report = create(api, people.manager_s)
    assert run_total(api, people.manager_s, report["id"]) == "2300.00"


def test_a_shared_report_runs_over_what_the_person_running_it_reads(api, people, data):
    report = create(api, people.manager_j)
    share(api, people.manager_j, report["id"], people.manager_s)
    assert run_total(api, people.manager_s, report["id"]) == "2300.00"


def test_running_a_report_one_may_not_read_is_not_found(api, people, data):
    report = create(api, people.manager_j)
    assert api(people.manager_s).post(f"/api/v1/reports/{report['id']}/run").status_code == 404


def test_a_stored_run_is_listed_under_the_report(api, people, data):
    report = create(api, people.manager_j)
    api(people.manager_j).post(f"/api/v1/reports/{report['id']}/run", {"store": True})
    runs = api(people.manager_j).get(f"/api/v1/reports/{report['id']}/runs").json()
    assert [run["rows"][0]["sum:amount"] for run in runs] == ["1500.00"]


def test_a_stored_run_is_not_found_for_someone_who_cannot_read_the_report(api, people, data):
    report = create(api, people.manager_j)
    run = api(people.manager_j).post(f"/api/v1/reports/{report['id']}/run", {"store": True})
    path = f"/api/v1/reports/{report['id']}/runs/{run.json()['id']}"
    assert api(people.manager_s).get(path).status_code == 404


def test_exporting_a_report_as_csv_needs_the_export_privilege(api, people, data):
    report = create(api, people.rep_j)
    assert api(people.rep_j).get(f"/api/v1/reports/{report['id']}/export.csv").status_code == 403


def test_a_manager_with_the_export_privilege_exports_csv(api, people, data):
    report = create(api, people.manager_j)
    response = api(people.manager_j).get(f"/api/v1/reports/{report['id']}/export.csv")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == ["sum:amount", "1500.00"]


def test_a_manager_with_the_export_privilege_exports_xlsx(api, people, data):
    report = create(api, people.manager_j)
    response = api(people.manager_j).get(f"/api/v1/reports/{report['id']}/export.xlsx")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"  # an XLSX file is a zip archive


def test_an_unknown_export_format_is_refused_naming_the_field(api, people, data):
    report = create(api, people.manager_j)
    response = api(people.manager_j).get(f"/api/v1/reports/{report['id']}/export.pdf")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"


# Schedules ------------------------------------------------------------------------------


def scheduled(api, owner) -> SavedReport:
    report = create(api, owner, schedule="daily", schedule_time="06:00")
    SavedReport.objects.filter(pk=report["id"]).update(
        next_run_at=timezone.now() - dt.timedelta(minutes=1)
    )
    return SavedReport.objects.get(pk=report["id"])


def test_a_scheduled_report_is_delivered_once_when_the_job_runs_twice(api, people, data):
    report = scheduled(api, people.manager_j)
    reports_run_due()
    reports_run_due()
    assert ReportRun.objects.filter(report=report).count() == 1
    assert Notification.objects.filter(recipient=people.manager_j, kind="report").count() == 1


def test_a_scheduled_report_runs_over_what_its_owner_reads(api, people, data):
    report = scheduled(api, people.manager_s)
    reports_run_due()
    assert ReportRun.objects.get(report=report).rows[0]["sum:amount"] == "2300.00"


def test_a_scheduled_delivery_links_to_the_stored_result(api, people, data):
    report = scheduled(api, people.manager_j)
    reports_run_due()
    run = ReportRun.objects.get(report=report)
    notification = Notification.objects.get(recipient=people.manager_j, kind="report")
    assert notification.url == f"/reports/{report.pk}/runs/{run.pk}/"


def test_a_scheduled_run_moves_the_next_run_into_the_future(api, people, data):
    report = scheduled(api, people.manager_j)
    reports_run_due()
    report.refresh_from_db()
    assert report.next_run_at > timezone.now()


def test_a_report_that_is_not_scheduled_is_never_run_by_the_job(api, people, data):
    report = create(api, people.manager_j)
    reports_run_due()
    assert not ReportRun.objects.filter(report_id=report["id"]).exists()


def test_a_weekly_report_next_runs_on_a_monday():
    report = SavedReport(schedule="weekly", schedule_time=dt.time(7, 0))
    after = timezone.make_aware(dt.datetime(2026, 11, 18, 12, 0))  # a Wednesday
    assert timezone.localtime(next_run_at(report, after)).date() == dt.date(2026, 11, 23)


def test_a_monthly_report_next_runs_on_the_first_of_the_month():
    report = SavedReport(schedule="monthly", schedule_time=dt.time(7, 0))
    after = timezone.make_aware(dt.datetime(2026, 12, 1, 8, 0))
    assert timezone.localtime(next_run_at(report, after)).date() == dt.date(2027, 1, 1)


# Web pages ------------------------------------------------------------------------------


def test_the_reports_page_lists_a_shared_report_for_the_person_it_is_shared_with(api, people):
    report = create(api, people.rep_j, name="Shared pipeline")
    share(api, people.rep_j, report["id"], people.rep_s)
    assert "Shared pipeline" in login(people.rep_s).get("/reports/").content.decode()


def test_the_reports_page_does_not_list_a_private_report_of_someone_else(api, people):
    create(api, people.rep_j, name="Private pipeline")
    assert "Private pipeline" not in login(people.rep_s).get("/reports/").content.decode()


def test_a_report_page_of_a_hidden_report_is_not_found(api, people):
    report = create(api, people.rep_j)
    assert login(people.rep_s).get(f"/reports/{report['id']}/").status_code == 404


def test_the_report_form_saves_a_new_report(people):
    response = login(people.manager_j).post(
        "/reports/new/",
        {
            "name": "From the form",
            "entity": "case",
            "group_by": "priority",
            "measures": "count",
            "date_field": "created_at",
            "period": "month",
            "schedule": "weekly",
            "schedule_time": "08:00",
            "deliver_to": "email",
        },
    )
    assert response.status_code == 302
    assert SavedReport.objects.get(name="From the form").group_by == ["priority"]


def test_running_a_report_on_its_page_shows_the_stored_result(api, people, data):
    report = create(api, people.manager_j)
    response = login(people.manager_j).post(f"/reports/{report['id']}/run/", follow=True)
    assert "1500.00" in response.content.decode()


# Appraisal per person -------------------------------------------------------------------


def test_the_appraisal_page_shows_a_persons_volume_to_their_manager(people, data):
    response = login(people.service_j).get(f"/dashboard/appraisal/{people.agent_j.pk}/", WINDOW)
    assert response.status_code == 200
    assert response.context["figure"].rows[0]["volume"] == 1


def test_the_appraisal_page_of_someone_outside_ones_reach_is_not_found(people, data):
    response = login(people.service_s).get(f"/dashboard/appraisal/{people.agent_j.pk}/", WINDOW)
    assert response.status_code == 404


def test_the_appraisal_exports_as_csv_for_someone_with_the_export_privilege(people, data):
    response = login(people.service_j).get(
        f"/dashboard/appraisal/{people.agent_j.pk}/", WINDOW | {"format": "csv"}
    )
    assert response.status_code == 200
    assert response.content.decode().splitlines()[1].startswith("agent_j")


def test_the_owner_sees_the_share_panel_on_the_report_page(api, people):
    report = create(api, people.rep_j)
    response = login(people.rep_j).get(f"/reports/{report['id']}/")
    assert response.status_code == 200
    assert response.context["may"]["share"] is True


def test_a_person_it_is_shared_with_sees_the_report_page_without_the_share_form(api, people):
    report = create(api, people.rep_j)
    share(api, people.rep_j, report["id"], people.rep_s)
    response = login(people.rep_s).get(f"/reports/{report['id']}/")
    assert response.context["share_form"] is None


def test_the_openapi_document_lists_the_report_paths(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/reports", "/api/v1/reports/{report_id}/run"} <= set(paths)


def test_a_scheduled_report_that_no_longer_runs_does_not_block_the_others(api, people, data):
    broken = scheduled(api, people.manager_j)
    SavedReport.objects.filter(pk=broken.pk).update(filters={"unit_id": "999999"})
    working = scheduled(api, people.manager_s)
    reports_run_due()
    assert ReportRun.objects.filter(report=working).count() == 1
