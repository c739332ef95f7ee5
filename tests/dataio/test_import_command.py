"""`trellis import`: modes, report, dedupe, mapping, history and rights."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.customers.models import Account, Contact

HEADER = ["First Name", "Last Name", "E-mail", "Phone", "Country", "City"]
GOOD = ["Ayu", "Lestari", "ayu@example.com", "0812 3456 7890", "ID", "Jakarta"]
GOOD2 = ["Budi", "Santoso", "budi@example.com", "+62 21 5550 1234", "ID", "Jakarta"]
BAD_EMAIL = ["Citra", "Dewi", "not-an-email", "", "ID", "Bandung"]
NO_NAME = ["Dodi", "", "dodi@example.com", "", "ID", "Bogor"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_failing(*args: str) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", *args, stdout=out, stderr=StringIO())
    return caught.value, out.getvalue()


def test_a_good_file_creates_every_contact_with_normalized_phones(manager, write_csv):
    path = write_csv([HEADER, GOOD, GOOD2])

    output = run("contacts", str(path), "--as", "maya")

    assert "2 created" in output
    ayu = Contact.objects.get(email="ayu@example.com")
    assert (ayu.phone, ayu.phone_raw) == ("+6281234567890", "0812 3456 7890")
    assert ayu.owner_user == manager
    assert ayu.owning_unit_id == manager.unit_id
    assert (ayu.created_by, ayu.version) == (manager, 1)


def test_bad_rows_are_reported_with_row_field_and_message(manager, write_csv):
    path = write_csv([HEADER, GOOD, BAD_EMAIL, NO_NAME])

    error, output = run_failing("contacts", str(path), "--as", "maya")

    assert error.returncode == 1
    assert "row 3, email: 'not-an-email' is not a valid email address" in output
    assert "row 4, last_name: must not be empty" in output


def test_the_default_mode_writes_the_good_rows_only(manager, write_csv):
    path = write_csv([HEADER, GOOD, BAD_EMAIL, GOOD2])

    run_failing("contacts", str(path), "--as", "maya")

    assert sorted(Contact.objects.values_list("last_name", flat=True)) == ["Lestari", "Santoso"]


def test_a_dry_run_writes_nothing_and_says_what_would_happen(manager, write_csv):
    path = write_csv([HEADER, GOOD, GOOD2])
    events = AuditEvent.objects.count()

    output = run("contacts", str(path), "--as", "maya", "--dry-run")

    assert "2 would be created" in output
    assert Contact.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_atomic_writes_nothing_when_one_row_is_bad(manager, write_csv):
    path = write_csv([HEADER, GOOD, GOOD2, BAD_EMAIL])

    error, output = run_failing("contacts", str(path), "--as", "maya", "--atomic")

    assert error.returncode == 1
    assert "Nothing written" in output
    assert Contact.objects.count() == 0


def test_atomic_writes_everything_when_every_row_is_good(manager, write_csv):
    path = write_csv([HEADER, GOOD, GOOD2])

    run("contacts", str(path), "--as", "maya", "--atomic")

    assert Contact.objects.count() == 2


def test_a_row_with_a_known_email_updates_that_contact(manager, write_csv):
    run("contacts", str(write_csv([HEADER, GOOD])), "--as", "maya")
    changed = ["Ayu", "Lestari", "AYU@example.com", "", "ID", "Surabaya"]

    output = run("contacts", str(write_csv([HEADER, changed], "again.csv")), "--as", "maya")

    assert "0 created, 1 updated" in output
    ayu = Contact.objects.get()
    assert (ayu.city, ayu.version, ayu.phone) == ("Surabaya", 2, "+6281234567890")
    assert AuditEvent.objects.filter(action="update", object_id=ayu.pk).exists()


def test_a_row_with_a_known_external_id_updates_that_contact(manager, write_csv):
    header = ["external_id", "last_name", "email"]
    run("contacts", str(write_csv([header, ["crm-1", "Lestari", "a@example.com"]])), "--as", "maya")

    run(
        "contacts",
        str(write_csv([header, ["crm-1", "Wijaya", "b@example.com"]], "2.csv")),
        "--as",
        "maya",
    )

    contact = Contact.objects.get()
    assert (contact.last_name, contact.email) == ("Wijaya", "b@example.com")


def test_duplicates_within_one_file_are_reported(manager, write_csv):
    again = ["Ayu", "Lestari", "Ayu@Example.com", "", "ID", "Medan"]
    path = write_csv([HEADER, GOOD, again])

    _, output = run_failing("contacts", str(path), "--as", "maya")

    assert "row 3, email: same email as row 2" in output
    assert Contact.objects.count() == 1


def test_a_contact_the_importer_cannot_see_is_not_matched(manager, org, write_csv):
    stranger = factories.user("sara", unit=org["milan"], roles=["Sales Representative"])
    Contact.objects.create(
        last_name="Hidden", email="ayu@example.com", owner_user=stranger, owning_unit=org["milan"]
    )

    run("contacts", str(write_csv([HEADER, GOOD])), "--as", "maya")

    assert Contact.objects.filter(email="ayu@example.com").count() == 2


def test_map_fills_a_field_from_any_column_and_can_ignore_one(manager, write_csv):
    path = write_csv([["Nachname", "Mail", "Notiz"], ["Weber", "w@example.com", "x"]])

    output = run(
        "contacts",
        str(path),
        "--as",
        "maya",
        "--map",
        "Nachname=last_name",
        "--map",
        "mail=email",
        "--map",
        "Notiz=",
    )

    assert "1 created" in output
    assert Contact.objects.get().last_name == "Weber"


def test_a_map_to_an_unknown_field_stops_with_exit_code_2(manager, write_csv):
    path = write_csv([HEADER, GOOD])

    error, _ = run_failing("contacts", str(path), "--as", "maya", "--map", "Phone=fax")

    assert error.returncode == 2
    assert "'fax' is not a field of contacts" in str(error)


def test_an_xlsx_file_imports_like_a_csv_file(manager, write_xlsx):
    path = write_xlsx(
        [HEADER, GOOD, ["Eko", "Prasetyo", "eko@example.com", 6281298765432, "ID", "Depok"]]
    )

    run("contacts", str(path), "--as", "maya")

    assert Contact.objects.get(last_name="Prasetyo").phone == "+6281298765432"
    assert Contact.objects.count() == 2


def test_accounts_import_and_contacts_link_to_them_by_name(manager, write_csv):
    accounts = write_csv(
        [
            ["Company", "Industry", "Country", "Employees"],
            ["Garuda Logistics", "Transport", "id", "1,200"],
        ],
        "accounts.csv",
    )
    run("accounts", str(accounts), "--as", "maya")
    contacts = write_csv(
        [["Last Name", "Company", "Mobile"], ["Lestari", "Garuda Logistics", "0812 3456 7890"]]
    )

    run("contacts", str(contacts), "--as", "maya")

    account = Account.objects.get()
    assert (account.country, account.employees, account.size_segment) == ("ID", 1200, "enterprise")
    contact = Contact.objects.get()
    assert contact.account == account
    assert contact.mobile == "+6281234567890"  # dialled from the account's country


def test_history_keeps_created_at_modified_at_and_the_owner(manager, org, write_csv):
    seller = factories.user("sari", unit=org["jakarta"], roles=["Sales Representative"])
    path = write_csv(
        [
            ["last_name", "owner", "created_at", "modified_at"],
            ["Lestari", "sari", "2019-04-01", "2020-01-02T10:30:00+07:00"],
        ]
    )

    run("contacts", str(path), "--as", "maya")

    contact = Contact.objects.get()
    assert contact.created_at.date() == dt.date(2019, 4, 1)
    assert contact.modified_at == dt.datetime(2020, 1, 2, 3, 30, tzinfo=dt.UTC)
    assert (contact.owner_user, contact.owning_unit) == (seller, org["jakarta"])
    assert contact.created_by == manager


def test_an_owner_the_importer_may_not_assign_to_is_refused_per_row(org, write_csv):
    role = factories.custom_role(
        {"contact": {"create": "own", "read": "own", "write": "own", "assign": "own"}},
        {"import": "org"},
    )
    factories.user("ina", unit=org["jakarta"], roles=[role])
    factories.user("sari", unit=org["jakarta"], roles=["Sales Representative"])
    path = write_csv([["last_name", "owner"], ["Mine", "ina"], ["Theirs", "sari"]])

    error, output = run_failing("contacts", str(path), "--as", "ina")

    assert error.returncode == 1
    assert "row 3, owner: you may not give contacts to sari" in output
    assert list(Contact.objects.values_list("last_name", flat=True)) == ["Mine"]


def test_an_owner_outside_the_import_privilege_depth_is_refused(manager, org, write_csv):
    factories.user("marco", unit=org["milan"], roles=["Sales Representative"])
    path = write_csv([["last_name", "owner"], ["Rossi", "marco"]])

    _, output = run_failing("contacts", str(path), "--as", "maya")

    assert "row 2, owner: your import privilege does not reach marco's unit (Milan)" in output
    assert Contact.objects.count() == 0


def test_without_the_import_privilege_nothing_is_read_and_exit_code_is_3(rep, write_csv):
    path = write_csv([HEADER, GOOD])

    error, _ = run_failing("contacts", str(path), "--as", "rudi")

    assert error.returncode == 3
    assert "lack the import privilege" in str(error)
    assert Contact.objects.count() == 0


def test_an_unreadable_file_exits_with_code_2(manager, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is no workbook")

    error, _ = run_failing("contacts", str(path), "--as", "maya")

    assert error.returncode == 2
    assert "not an XLSX workbook" in str(error)


def test_a_written_batch_has_one_batch_event_and_an_import_event_per_record(manager, write_csv):
    path = write_csv([HEADER, GOOD, GOOD2])

    run("contacts", str(path), "--as", "maya")

    batch = AuditEvent.objects.get(action="import", object_id=None)
    ids = sorted(Contact.objects.values_list("pk", flat=True))
    assert sorted(batch.changes["created"]) == ids
    per_record = AuditEvent.objects.filter(action="import", entity="contact", object_id__in=ids)
    assert sorted(per_record.values_list("object_id", flat=True)) == ids
    assert {event.actor for event in per_record} == {manager}


def test_imported_contacts_are_found_by_search_at_once(manager, write_csv):
    from trellis.search.selectors import search

    path = write_csv([HEADER, GOOD])
    run("contacts", str(path), "--as", manager.username)
    imported = Contact.objects.get(email="ayu@example.com")

    hits = search(manager, imported.last_name)
    assert (imported.pk, "contact") in [(hit.id, hit.entity) for hit in hits]
