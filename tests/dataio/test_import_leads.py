"""`trellis import leads`: report, modes, dedupe, owners, campaign links and history."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.sales.models import Campaign, Lead

HEADER = ["First Name", "Last Name", "Company", "E-mail", "Phone", "Country", "Lead Source"]
AYU = ["Ayu", "Lestari", "Garuda Logistics", "ayu@example.com", "0812 3456 7890", "ID", "event"]
BUDI = ["Budi", "Santoso", "Nusantara Foods", "budi@example.com", "", "ID", "referral"]
BAD_EMAIL = ["Citra", "Dewi", "Citra Co", "not-an-email", "", "ID", "event"]
BAD_SOURCE = ["Dodi", "Saputra", "Dodi Co", "dodi@example.com", "", "ID", "billboard"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_failing(*args: str) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", *args, stdout=out, stderr=StringIO())
    return caught.value, out.getvalue()


def campaign(owner, name: str) -> Campaign:
    return Campaign.objects.create(
        name=name, owner_user=owner, owning_unit_id=owner.unit_id, created_by=owner
    )


def test_good_rows_become_leads_with_the_phone_in_e164_and_as_typed(manager, write_csv):
    output = run("leads", str(write_csv([HEADER, AYU, BUDI])), "--as", "maya")

    assert "2 created" in output
    ayu = Lead.objects.get(email="ayu@example.com")
    assert (ayu.phone, ayu.phone_raw) == ("+6281234567890", "0812 3456 7890")
    assert (ayu.company_name, ayu.source, ayu.status) == ("Garuda Logistics", "event", "new")
    assert (ayu.owner_user, ayu.owning_unit_id, ayu.created_by) == (
        manager,
        manager.unit_id,
        manager,
    )


def test_bad_lead_rows_are_reported_with_row_field_and_message(manager, write_csv):
    error, output = run_failing(
        "leads", str(write_csv([HEADER, AYU, BAD_EMAIL, BAD_SOURCE])), "--as", "maya"
    )

    assert error.returncode == 1
    assert "row 3, email: 'not-an-email' is not a valid email address" in output
    assert "row 4, source: must be one of" in output
    assert list(Lead.objects.values_list("last_name", flat=True)) == ["Lestari"]


def test_a_lead_row_with_a_known_email_updates_that_lead(manager, write_csv):
    run("leads", str(write_csv([HEADER, AYU])), "--as", "maya")
    again = ["Ayu", "Lestari", "Garuda Group", "AYU@example.com", "", "ID", "event"]

    output = run("leads", str(write_csv([HEADER, again], "again.csv")), "--as", "maya")

    assert "0 created, 1 updated" in output
    lead = Lead.objects.get()
    assert (lead.company_name, lead.version, lead.phone) == ("Garuda Group", 2, "+6281234567890")
    assert AuditEvent.objects.filter(action="update", entity="lead", object_id=lead.pk).exists()


def test_a_lead_row_with_a_known_external_id_updates_that_lead(manager, write_csv):
    header = ["External ID", "Last Name", "Email"]
    run("leads", str(write_csv([header, ["crm-7", "Lestari", "a@example.com"]])), "--as", "maya")

    run(
        "leads",
        str(write_csv([header, ["crm-7", "Wijaya", "b@example.com"]], "2.csv")),
        "--as",
        "maya",
    )

    lead = Lead.objects.get()
    assert (lead.last_name, lead.email) == ("Wijaya", "b@example.com")


def test_the_same_lead_twice_in_one_file_is_reported_once(manager, write_csv):
    twice = ["Ayu", "L", "Garuda", "Ayu@Example.com", "", "ID", "event"]

    _, output = run_failing("leads", str(write_csv([HEADER, AYU, twice])), "--as", "maya")

    assert "row 3, email: same email as row 2" in output
    assert Lead.objects.count() == 1


def test_atomic_writes_no_lead_when_one_row_is_bad(manager, write_csv):
    error, output = run_failing(
        "leads", str(write_csv([HEADER, AYU, BUDI, BAD_EMAIL])), "--as", "maya", "--atomic"
    )

    assert "Nothing written" in output
    assert Lead.objects.count() == 0


def test_a_dry_run_writes_no_lead_and_no_audit_event(manager, write_csv):
    events = AuditEvent.objects.count()

    output = run("leads", str(write_csv([HEADER, AYU, BUDI])), "--as", "maya", "--dry-run")

    assert "2 would be created" in output
    assert (Lead.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_lead_history_keeps_status_and_its_dates(manager, write_csv):
    header = ["Last Name", "Status", "Created", "First Contacted", "Qualified", "Modified"]
    path = write_csv(
        [header, ["Lestari", "qualified", "2020-01-02", "2020-01-05", "2020-02-01T09:00:00Z", ""]]
    )

    run("leads", str(path), "--as", "maya")

    lead = Lead.objects.get()
    assert lead.status == "qualified"
    assert lead.created_at == dt.datetime(2020, 1, 2, tzinfo=dt.UTC)
    assert lead.first_contacted_at == dt.datetime(2020, 1, 5, tzinfo=dt.UTC)
    assert lead.qualified_at == dt.datetime(2020, 2, 1, 9, tzinfo=dt.UTC)


def test_a_lead_past_new_without_a_contact_date_was_contacted_when_created(manager, write_csv):
    path = write_csv([["Last Name", "Status", "Created"], ["Lestari", "contacted", "2021-06-01"]])

    run("leads", str(path), "--as", "maya")

    assert Lead.objects.get().first_contacted_at == dt.datetime(2021, 6, 1, tzinfo=dt.UTC)


def test_a_disqualified_lead_needs_a_reason(manager, write_csv):
    header = ["Last Name", "Status", "Disqualify Reason"]
    path = write_csv(
        [header, ["Lestari", "disqualified", ""], ["Santoso", "disqualified", "no budget"]]
    )

    _, output = run_failing("leads", str(path), "--as", "maya")

    assert "row 2, disqualify_reason: say why the lead is disqualified" in output
    assert Lead.objects.get().disqualify_reason == "no budget"


def test_a_contact_date_before_creation_is_refused(manager, write_csv):
    header = ["Last Name", "Status", "Created", "First Contacted"]
    path = write_csv([header, ["Lestari", "contacted", "2021-06-01", "2021-01-01"]])

    _, output = run_failing("leads", str(path), "--as", "maya")

    assert "row 2, first_contacted_at: must not be before created_at" in output


def test_an_update_may_not_rewrite_a_leads_status(manager, write_csv):
    header = ["Email", "Last Name", "Status"]
    run("leads", str(write_csv([header, ["a@example.com", "Lestari", "new"]])), "--as", "maya")

    _, output = run_failing(
        "leads",
        str(write_csv([header, ["a@example.com", "Lestari", "contacted"]], "2.csv")),
        "--as",
        "maya",
    )

    assert "row 2, status: an import does not change an existing lead's history" in output
    assert Lead.objects.get().status == "new"


def test_an_owner_team_named_in_the_owner_column_owns_the_lead(manager, org, write_csv):
    team = factories.team("Jakarta Inside Sales", unit=org["jakarta"])
    path = write_csv([["Last Name", "Owner"], ["Lestari", "Jakarta Inside Sales"]])

    run("leads", str(path), "--as", "maya")

    lead = Lead.objects.get()
    assert (lead.owner_team, lead.owner_user, lead.owning_unit) == (team, None, org["jakarta"])


def test_a_lead_links_to_a_campaign_the_importer_can_read(manager, write_csv):
    fair = campaign(manager, "Jakarta Fair")

    run(
        "leads",
        str(write_csv([["Last Name", "Campaign"], ["Lestari", "Jakarta Fair"]])),
        "--as",
        "maya",
    )

    assert Lead.objects.get().campaign == fair


def test_a_campaign_the_importer_cannot_read_is_not_linked(manager, org, write_csv):
    marco = factories.user("marco", unit=org["milan"], roles=["Sales Manager"])
    campaign(marco, "Milano Expo")

    _, output = run_failing(
        "leads",
        str(write_csv([["Last Name", "Campaign"], ["Lestari", "Milano Expo"]])),
        "--as",
        "maya",
    )

    assert "row 2, campaign: no campaign 'Milano Expo' that you can see" in output
    assert Lead.objects.count() == 0


def test_the_campaign_is_linked_for_an_importer_who_can_read_it(org, write_csv):
    marco = factories.user("marco", unit=org["milan"], roles=["Sales Manager"])
    expo = campaign(marco, "Milano Expo")

    run(
        "leads",
        str(write_csv([["Last Name", "Campaign"], ["Rossi", "Milano Expo"]])),
        "--as",
        "marco",
    )

    assert Lead.objects.get().campaign == expo


def test_importing_leads_needs_the_import_privilege(rep, write_csv):
    error, _ = run_failing("leads", str(write_csv([HEADER, AYU])), "--as", "rudi")

    assert error.returncode == 3
    assert Lead.objects.count() == 0


def test_each_imported_lead_has_an_import_event_in_its_timeline(manager, write_csv):
    run("leads", str(write_csv([HEADER, AYU, BUDI])), "--as", "maya")

    ids = sorted(Lead.objects.values_list("pk", flat=True))
    created = AuditEvent.objects.filter(action="import", entity="lead", object_id__isnull=False)
    assert sorted(created.values_list("object_id", flat=True)) == ids
    assert {event.actor for event in created} == {manager}
    assert created.get(object_id=ids[0]).changes["email"] == "ayu@example.com"
    batch = AuditEvent.objects.get(action="import", entity="lead", object_id=None)
    assert sorted(batch.changes["created"]) == ids
