"""Import jobs: short files inline, long ones through the worker's task queue, with
progress for the API (`/api/v1/imports/<id>`) and the import page (polled fragment)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.conftest import ApiClient
from trellis.customers.models import Contact
from trellis.dataio import jobs
from trellis.dataio.jobs import import_job_run
from trellis.dataio.models import ImportJob
from trellis.service.models import Case

CSV = b"Last Name,E-mail\nLestari,ayu@example.com\nDewi,bad\nWati,wati@example.com\n"


@pytest.fixture
def long_files(monkeypatch):
    """Files of more than two rows count as long."""
    monkeypatch.setattr(jobs, "INLINE_ROWS", 2)


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as soon as they are queued (in the test's process)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def other_manager(org):
    return factories.user("mila", unit=org["europe"], roles=["Sales Manager"])


def upload(user, data: bytes = CSV, name: str = "people.csv", **fields: str):
    client = ApiClient(user)
    payload = {"entity": "contacts", "file": SimpleUploadedFile(name, data), **fields}
    return client.client.post(
        "/api/v1/imports", payload, HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )


def test_a_short_file_is_imported_in_the_request_and_its_job_can_be_read_again(manager):
    response = upload(manager)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["created"], body["rows_good"], body["rows_bad"]) == (
        "done",
        2,
        2,
        1,
    )
    assert response["Location"] == f"/api/v1/imports/{body['id']}"
    again = ApiClient(manager).get(response["Location"]).json()
    assert (again["status"], again["errors"]) == ("done", body["errors"])
    assert again["errors"][0]["row"] == 3


def test_a_long_file_is_queued_and_answers_202_with_the_job(manager, long_files):
    response = upload(manager)

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["rows_total"], body["created"]) == ("queued", None, 0)
    assert response["Location"] == f"/api/v1/imports/{body['id']}"
    assert Contact.objects.count() == 0


def test_the_worker_runs_the_queued_job_and_the_api_then_gives_the_report(
    manager, long_files, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(manager)

    body = ApiClient(manager).get(response["Location"]).json()
    assert (body["status"], body["rows_total"], body["rows_done"]) == ("done", 3, 3)
    assert (body["created"], body["rows_good"], body["rows_bad"]) == (2, 2, 1)
    assert body["errors"] == [
        {"row": 3, "field": "email", "message": "'bad' is not a valid email address"}
    ]
    assert Contact.objects.count() == 2
    assert ImportJob.objects.get().content == b""


def test_a_job_is_404_for_anyone_but_its_creator(manager, other_manager):
    job_url = upload(manager).json()["id"]

    mine = ApiClient(manager).get(f"/api/v1/imports/{job_url}")
    theirs = ApiClient(other_manager).get(f"/api/v1/imports/{job_url}")

    assert mine.status_code == 200
    assert theirs.status_code == 404


def test_a_job_runs_once_even_when_its_task_runs_twice(manager, long_files):
    job_id = upload(manager).json()["id"]

    first, second = import_job_run(job_id), import_job_run(job_id)

    assert (first, second) == ("done", "skipped")
    assert Contact.objects.count() == 2


def test_the_worker_writes_the_counts_as_the_rows_go(manager, long_files, monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_ROWS", 1)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    job_id = upload(manager).json()["id"]

    with CaptureQueriesContext(connection) as queries:
        import_job_run(job_id)

    progress = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "rows_done" in q["sql"] and "report" not in q["sql"]
    ]
    assert len(progress) == 3  # one per batch of one row


def test_a_job_whose_creator_lost_the_privilege_fails_with_a_message(manager, long_files):
    job_id = upload(manager).json()["id"]
    manager.roles.clear()

    status = import_job_run(job_id)

    job = ImportJob.objects.get(pk=job_id)
    assert (status, job.status) == ("failed", "failed")
    assert "lack the import privilege" in job.error
    assert Contact.objects.count() == 0


def test_a_bad_mapping_is_a_400_before_any_job_exists(manager, long_files):
    response = upload(manager, mapping='{"Nope": "email"}')

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "mapping"
    assert ImportJob.objects.count() == 0


def test_map_is_another_name_for_mapping(manager):
    data = b"Name,Mail\nLestari,ayu@example.com\n"

    body = upload(manager, data, map='{"Name": "last_name", "Mail": "email"}').json()

    assert (body["created"], Contact.objects.get().last_name) == (1, "Lestari")


def test_cases_can_be_imported_through_the_api(admin):
    data = (
        b"Subject,Priority,Status,Created,Resolved\n"
        b"Truck late,high,resolved,2024-03-01,2024-03-02\n"
    )

    response = upload(admin, data, name="cases.csv", entity="cases")

    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert (case.status, case.owner_user, case.resolved_at.day) == ("resolved", admin, 2)


def test_the_import_page_sends_a_long_file_to_its_progress_page(manager, long_files):
    client = Client()
    client.force_login(manager)

    response = client.post(
        "/import/", {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV)}
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/import/jobs/{job.pk}/"
    page = client.get(response["Location"])
    assert b'hx-trigger="every 1s"' in page.content
    assert b"Waiting for the worker" in page.content


def test_the_progress_fragment_stops_polling_and_shows_the_report_when_done(manager, long_files):
    client = Client()
    client.force_login(manager)
    client.post("/import/", {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV)})
    job = ImportJob.objects.get()
    import_job_run(job.pk)

    fragment = client.get(
        f"/import/jobs/{job.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-job"
    )

    assert b"<html" not in fragment.content
    assert b"hx-trigger" not in fragment.content
    assert b"3 rows: 2 created, 0 updated, 1 skipped." in fragment.content
    assert b"is not a valid email address" in fragment.content


def test_the_progress_page_is_404_for_another_user(manager, other_manager, long_files):
    client = Client()
    client.force_login(manager)
    client.post("/import/", {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV)})
    job = ImportJob.objects.get()
    stranger = Client()
    stranger.force_login(other_manager)

    assert client.get(f"/import/jobs/{job.pk}/").status_code == 200
    assert stranger.get(f"/import/jobs/{job.pk}/").status_code == 404


def test_the_import_page_lists_only_the_users_own_recent_imports(manager, other_manager):
    upload(manager, name="mine.csv")
    upload(other_manager, name="theirs.csv")
    client = Client()
    client.force_login(manager)

    page = client.get("/import/")

    assert b"mine.csv" in page.content
    assert b"theirs.csv" not in page.content


def test_the_progress_page_shows_how_far_a_running_import_is(manager, long_files):
    client = Client()
    client.force_login(manager)
    client.post("/import/", {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV)})
    ImportJob.objects.update(status="running", rows_total=3, rows_done=1, rows_bad=1)
    job = ImportJob.objects.get()

    fragment = client.get(
        f"/import/jobs/{job.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-job"
    )

    assert b'<progress max="100" value="33"' in fragment.content
    assert b"1 of 3 rows read, 1 bad." in fragment.content
    assert b'hx-trigger="every 1s"' in fragment.content
