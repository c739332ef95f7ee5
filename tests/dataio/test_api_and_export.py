"""POST /api/v1/imports, the exports (API and CLI) and the import page."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from tests import factories
from tests.conftest import ApiClient
from trellis.customers.models import Contact
from trellis.dataio import api as dataio_api

CSV = b"Last Name,E-mail,Phone,Country\nLestari,ayu@example.com,0812 3456 7890,ID\nDewi,bad,,ID\n"


def upload(client: ApiClient, data: dict):
    return client.client.post("/api/v1/imports", data, HTTP_AUTHORIZATION=f"Bearer {client.token}")


def test_the_api_import_reports_created_and_bad_rows(manager):
    client = ApiClient(manager)

    response = upload(client, {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV)})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["skipped"], body["dry_run"]) == (1, 0, 1, False)
    assert body["errors"] == [
        {"row": 3, "field": "email", "message": "'bad' is not a valid email address"}
    ]


def test_the_api_dry_run_with_a_mapping_writes_nothing(manager):
    client = ApiClient(manager)
    data = b"Name,Mail\nLestari,ayu@example.com\n"

    response = upload(
        client,
        {
            "entity": "contacts",
            "file": SimpleUploadedFile("people.csv", data),
            "dry_run": "true",
            "mapping": json.dumps({"Name": "last_name", "Mail": "email"}),
        },
    )

    assert response.json()["created"] == 1
    assert response.json()["dry_run"] is True
    assert Contact.objects.count() == 0


def test_the_api_atomic_import_writes_nothing_when_a_row_is_bad(manager):
    client = ApiClient(manager)

    response = upload(
        client,
        {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV), "atomic": "true"},
    )

    assert response.json()["created"] == 0
    assert Contact.objects.count() == 0


def test_a_missing_or_unreadable_file_is_a_400_naming_file(manager):
    client = ApiClient(manager)

    missing = upload(client, {"entity": "contacts"})
    broken = upload(
        client, {"entity": "contacts", "file": SimpleUploadedFile("a.xlsx", b"nonsense")}
    )

    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "file"
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["field"] == "file"


def test_a_file_over_the_size_limit_is_a_clear_400(manager, monkeypatch):
    monkeypatch.setattr(dataio_api, "MAX_IMPORT_BYTES", 10)
    client = ApiClient(manager)

    response = upload(client, {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV)})

    assert response.status_code == 400
    assert "larger than" in response.json()["errors"][0]["message"]


def test_the_api_import_without_the_privilege_is_403(rep):
    client = ApiClient(rep)

    response = upload(client, {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV)})

    assert response.status_code == 403
    assert Contact.objects.count() == 0


@pytest.fixture
def two_units(org, manager):
    """Contacts in Jakarta and in Milan; a Milan manager with the export privilege."""
    jakarta_rep = factories.user("jaka", unit=org["jakarta"], roles=["Sales Representative"])
    milan_boss = factories.user("mila", unit=org["europe"], roles=["Sales Manager"])
    milan_rep = factories.user("mario", unit=org["milan"], roles=["Sales Representative"])
    Contact.objects.create(
        last_name="Lestari",
        phone="+6281234567890",
        owner_user=jakarta_rep,
        owning_unit=org["jakarta"],
        country="ID",
    )
    Contact.objects.create(
        last_name='=HYPERLINK("http://evil")',
        job_title="+1 boss",
        email="@mention",
        owner_user=jakarta_rep,
        owning_unit=org["jakarta"],
    )
    Contact.objects.create(last_name="Rossi", owner_user=milan_rep, owning_unit=org["milan"])
    return milan_boss


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_two_managers_export_the_contacts_each_can_see(manager, two_units):
    asia = _csv(ApiClient(manager).get("/api/v1/exports/contacts.csv"))
    europe = _csv(ApiClient(two_units).get("/api/v1/exports/contacts.csv"))

    assert sorted(row["last_name"] for row in asia) == ['\'=HYPERLINK("http://evil")', "Lestari"]
    assert [row["last_name"] for row in europe] == ["Rossi"]


def test_the_export_applies_the_list_filters(manager, two_units):
    rows = _csv(ApiClient(manager).get("/api/v1/exports/contacts.csv", {"country": "id"}))

    assert [row["last_name"] for row in rows] == ["Lestari"]


def test_cells_that_would_start_a_formula_are_prefixed_with_an_apostrophe(manager, two_units):
    rows = _csv(ApiClient(manager).get("/api/v1/exports/contacts.csv"))

    evil = next(row for row in rows if "HYPERLINK" in row["last_name"])
    assert evil["last_name"].startswith("'=")
    assert evil["job_title"] == "'+1 boss"
    assert evil["email"] == "'@mention"


def test_an_export_without_the_export_privilege_is_403(rep, two_units):
    response = ApiClient(rep).get("/api/v1/exports/contacts.csv")

    assert response.status_code == 403


def test_accounts_export_as_xlsx(manager, org):
    factories.account(manager, name="-Garuda")
    from openpyxl import load_workbook

    response = ApiClient(manager).get("/api/v1/exports/accounts.xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "name")
    assert rows[1][1] == "'-Garuda"


def test_the_export_command_writes_what_the_user_sees(manager, two_units, tmp_path):
    path = tmp_path / "out.csv"

    call_command("export", "contacts", str(path), "--as", "mila", stdout=StringIO())

    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert [row["last_name"] for row in rows] == ["Rossi"]


def test_the_export_command_without_the_privilege_exits_with_code_3(rep, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("export", "contacts", str(tmp_path / "x.csv"), "--as", "rudi")

    assert caught.value.returncode == 3


def test_an_export_can_be_imported_back_as_updates(manager, two_units, tmp_path):
    Contact.objects.filter(last_name="Lestari").update(external_id="crm-1")
    path = tmp_path / "round.csv"
    call_command(
        "export", "contacts", str(path), "--as", "maya", "--filter", "country=ID", stdout=StringIO()
    )
    out = StringIO()

    call_command("import", "contacts", str(path), "--as", "maya", "--dry-run", stdout=out)

    assert "0 would be created, 1 would be updated" in out.getvalue()


def test_the_import_page_shows_the_report(manager):
    client = Client()
    client.force_login(manager)

    response = client.post(
        "/import/",
        {"entity": "contacts", "file": SimpleUploadedFile("people.csv", CSV), "dry_run": "on"},
    )

    assert response.status_code == 200
    assert b"is not a valid email address" in response.content
    assert Contact.objects.count() == 0
