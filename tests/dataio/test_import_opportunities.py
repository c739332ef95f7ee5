"""`trellis import opportunities`: account links, dedupe, modes and the stage history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.customers.models import Contact
from trellis.sales.models import Opportunity, OpportunityStageChange

HEADER = ["Opportunity Name", "Account", "Stage", "Amount", "Currency", "External ID"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_failing(*args: str) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", *args, stdout=out, stderr=StringIO())
    return caught.value, out.getvalue()


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def history(opportunity: Opportunity) -> list[tuple[str, str, dt.datetime]]:
    changes = OpportunityStageChange.objects.filter(opportunity=opportunity)
    return [(c.from_stage, c.to_stage, c.changed_at) for c in changes.order_by("changed_at", "id")]


@pytest.fixture
def garuda(manager):
    return factories.account(manager, name="Garuda Logistics", external_id="acc-1")


def test_good_rows_become_opportunities_on_the_named_account(manager, garuda, write_csv):
    path = write_csv(
        [HEADER, ["Trucks", "Garuda Logistics", "proposal", "12,500.50", "idr", "o-1"]]
    )

    output = run("opportunities", str(path), "--as", "maya")

    assert "1 created" in output
    deal = Opportunity.objects.get()
    assert (deal.account, deal.stage, deal.probability) == (garuda, "proposal", 50)
    assert (deal.amount, deal.currency, deal.owner_user) == (Decimal("12500.50"), "IDR", manager)
    assert history(deal) == [("", "proposal", deal.created_at)]


def test_the_account_can_be_named_by_its_external_id(manager, garuda, write_csv):
    path = write_csv([["Name", "Account External ID"], ["Trucks", "acc-1"]])

    run("opportunities", str(path), "--as", "maya")

    assert Opportunity.objects.get().account == garuda


def test_a_row_without_an_account_is_reported(manager, garuda, write_csv):
    _, output = run_failing(
        "opportunities",
        str(write_csv([HEADER, ["Trucks", "", "proposal", "1", "USD", ""]])),
        "--as",
        "maya",
    )

    assert "row 2, account: name the account (a account is required)" in output
    assert Opportunity.objects.count() == 0


def test_an_account_the_importer_cannot_read_cannot_be_linked(manager, org, write_csv):
    marco = factories.user("marco", unit=org["milan"], roles=["Sales Representative"])
    factories.account(marco, name="Ferrari Trasporti")
    path = write_csv([HEADER, ["Trucks", "Ferrari Trasporti", "proposal", "1", "EUR", ""]])

    _, output = run_failing("opportunities", str(path), "--as", "maya")

    assert "row 2, account: no account 'Ferrari Trasporti' that you can see" in output
    assert Opportunity.objects.count() == 0


def test_an_importer_who_can_read_the_account_links_to_it(org, write_csv):
    boss = factories.user("marta", unit=org["europe"], roles=["Sales Manager"])
    marco = factories.user("marco", unit=org["milan"], roles=["Sales Representative"])
    ferrari = factories.account(marco, name="Ferrari Trasporti")
    path = write_csv([HEADER, ["Trucks", "Ferrari Trasporti", "proposal", "1", "EUR", ""]])

    run("opportunities", str(path), "--as", boss.username)

    assert Opportunity.objects.get().account == ferrari


def test_bad_opportunity_rows_are_reported_with_row_field_and_message(manager, garuda, write_csv):
    path = write_csv(
        [
            HEADER,
            ["Trucks", "Garuda Logistics", "proposal", "100", "USD", "o-1"],
            ["Vans", "Garuda Logistics", "sideways", "100", "USD", "o-2"],
            ["Boats", "Garuda Logistics", "proposal", "-5", "USD", "o-3"],
        ]
    )

    error, output = run_failing("opportunities", str(path), "--as", "maya")

    assert error.returncode == 1
    assert "row 3, stage: must be one of" in output
    assert "row 4, amount: must be between 0 and 10^14" in output
    assert list(Opportunity.objects.values_list("name", flat=True)) == ["Trucks"]


def test_a_row_with_a_known_external_id_updates_that_opportunity(manager, garuda, write_csv):
    run(
        "opportunities",
        str(write_csv([HEADER, ["Trucks", "Garuda Logistics", "proposal", "100", "USD", "o-1"]])),
        "--as",
        "maya",
    )
    again = write_csv(
        [HEADER, ["Trucks and vans", "", "proposal", "250", "USD", "o-1"]], "again.csv"
    )

    output = run("opportunities", str(again), "--as", "maya")

    assert "0 created, 1 updated" in output
    deal = Opportunity.objects.get()
    assert (deal.name, deal.amount, deal.version, deal.account) == (
        "Trucks and vans",
        Decimal("250.00"),
        2,
        garuda,
    )
    assert len(history(deal)) == 1


def test_an_update_may_not_move_an_opportunitys_stage(manager, garuda, write_csv):
    run(
        "opportunities",
        str(write_csv([HEADER, ["Trucks", "Garuda Logistics", "proposal", "100", "USD", "o-1"]])),
        "--as",
        "maya",
    )
    again = write_csv([HEADER, ["Trucks", "", "won", "100", "USD", "o-1"]], "again.csv")

    _, output = run_failing("opportunities", str(again), "--as", "maya")

    assert "row 2, stage: an import does not move an existing opportunity" in output
    assert Opportunity.objects.get().stage == "proposal"


def test_the_same_external_id_twice_in_one_file_is_reported(manager, garuda, write_csv):
    row = ["Trucks", "Garuda Logistics", "proposal", "100", "USD", "o-1"]

    _, output = run_failing("opportunities", str(write_csv([HEADER, row, row])), "--as", "maya")

    assert "row 3, external_id: same external_id as row 2" in output
    assert Opportunity.objects.count() == 1


def test_atomic_writes_no_opportunity_when_one_row_is_bad(manager, garuda, write_csv):
    path = write_csv(
        [
            HEADER,
            ["Trucks", "Garuda Logistics", "proposal", "1", "USD", ""],
            ["Vans", "Nowhere", "proposal", "1", "USD", ""],
        ]
    )

    _, output = run_failing("opportunities", str(path), "--as", "maya", "--atomic")

    assert "Nothing written" in output
    assert (Opportunity.objects.count(), OpportunityStageChange.objects.count()) == (0, 0)


def test_a_dry_run_writes_no_opportunity_and_no_stage_history(manager, garuda, write_csv):
    path = write_csv([HEADER, ["Trucks", "Garuda Logistics", "won", "1", "USD", ""]])

    output = run("opportunities", str(path), "--as", "maya", "--dry-run")

    assert "1 would be created" in output
    assert (Opportunity.objects.count(), OpportunityStageChange.objects.count()) == (0, 0)


def test_the_stage_history_keeps_the_files_dates(manager, garuda, write_csv):
    header = [
        "Name",
        "Account",
        "Stage",
        "Created",
        "Qualification Date",
        "Proposal Date",
        "Closed",
        "Reason",
    ]
    row = [
        "Trucks",
        "Garuda Logistics",
        "won",
        "2020-01-01",
        "2020-01-10",
        "2020-02-01",
        "2020-03-15",
        "best price",
    ]

    run("opportunities", str(write_csv([header, row])), "--as", "maya")

    deal = Opportunity.objects.get()
    assert (deal.stage, deal.probability, deal.close_reason) == ("won", 100, "best price")
    assert (deal.created_at, deal.closed_at) == (day("2020-01-01"), day("2020-03-15"))
    assert history(deal) == [
        ("", "prospecting", day("2020-01-01")),
        ("prospecting", "qualification", day("2020-01-10")),
        ("qualification", "proposal", day("2020-02-01")),
        ("proposal", "won", day("2020-03-15")),
    ]


def test_without_a_creation_date_the_earliest_stage_date_is_the_creation(
    manager, garuda, write_csv
):
    header = ["Name", "Account", "Stage", "Qualification Date", "Negotiation Date"]
    row = ["Trucks", "Garuda Logistics", "negotiation", "2021-04-01", "2021-05-01"]

    run("opportunities", str(write_csv([header, row])), "--as", "maya")

    deal = Opportunity.objects.get()
    assert (deal.created_at, deal.modified_at) == (day("2021-04-01"), day("2021-05-01"))
    assert history(deal) == [
        ("", "qualification", day("2021-04-01")),
        ("qualification", "negotiation", day("2021-05-01")),
    ]


def test_a_closing_date_on_an_open_opportunity_is_refused(manager, garuda, write_csv):
    header = ["Name", "Account", "Stage", "Closed"]

    _, output = run_failing(
        "opportunities",
        str(write_csv([header, ["Trucks", "Garuda Logistics", "proposal", "2021-01-01"]])),
        "--as",
        "maya",
    )

    assert "row 2, closed_at: only a won or lost opportunity has one" in output


def test_a_stage_date_before_creation_is_refused(manager, garuda, write_csv):
    header = ["Name", "Account", "Stage", "Created", "Proposal Date"]

    _, output = run_failing(
        "opportunities",
        str(
            write_csv(
                [header, ["Trucks", "Garuda Logistics", "proposal", "2021-02-01", "2021-01-01"]]
            )
        ),
        "--as",
        "maya",
    )

    assert "row 2, proposal_at: must not be before created_at" in output


def test_the_contact_must_work_for_the_opportunitys_account(manager, garuda, write_csv):
    other = factories.account(manager, name="Other Co")
    Contact.objects.create(
        last_name="Lestari",
        email="ayu@example.com",
        account=other,
        owner_user=manager,
        owning_unit=manager.unit,
    )
    Contact.objects.create(
        last_name="Santoso",
        email="budi@example.com",
        account=garuda,
        owner_user=manager,
        owning_unit=manager.unit,
    )
    header = ["Name", "Account", "Contact Email"]
    path = write_csv(
        [
            header,
            ["Trucks", "Garuda Logistics", "ayu@example.com"],
            ["Vans", "Garuda Logistics", "Budi@Example.com"],
        ]
    )

    _, output = run_failing("opportunities", str(path), "--as", "maya")

    assert "row 2, contact_email: the contact works for another account" in output
    assert Opportunity.objects.get().contact.last_name == "Santoso"


def test_importing_opportunities_needs_the_import_privilege(rep, garuda, write_csv):
    error, _ = run_failing(
        "opportunities",
        str(write_csv([HEADER, ["Trucks", "Garuda Logistics", "proposal", "1", "USD", ""]])),
        "--as",
        "rudi",
    )

    assert error.returncode == 3
    assert Opportunity.objects.count() == 0


def test_each_imported_opportunity_has_an_import_event(manager, garuda, write_csv):
    run(
        "opportunities",
        str(write_csv([HEADER, ["Trucks", "Garuda Logistics", "proposal", "1", "USD", ""]])),
        "--as",
        "maya",
    )

    deal = Opportunity.objects.get()
    event = AuditEvent.objects.get(action="import", entity="opportunity", object_id=deal.pk)
    assert (event.actor, event.changes["account_id"]) == (manager, garuda.pk)


def test_an_opportunity_export_names_its_account_and_imports_back_as_an_update(
    manager, garuda, write_csv, tmp_path
):
    from trellis.dataio.files import csv_lines
    from trellis.dataio.selectors import export_rows

    row = ["Trucks", "Garuda Logistics", "proposal", "100", "USD", "o-1"]
    run("opportunities", str(write_csv([HEADER, row])), "--as", "maya")
    headers, rows = export_rows(manager, entity="opportunities")
    exported = tmp_path / "exported.csv"
    exported.write_text("".join(csv_lines(headers, rows)), encoding="utf-8")

    output = run("opportunities", str(exported), "--as", "maya", "--map", "id=")

    assert "Garuda Logistics" in exported.read_text(encoding="utf-8")
    assert "0 created, 1 updated" in output


def test_an_undated_current_stage_ends_the_history_at_the_latest_date(manager, garuda, write_csv):
    header = ["Name", "Account", "Stage", "Created", "Proposal Date"]
    row = ["Trucks", "Garuda Logistics", "negotiation", "2021-01-01", "2021-02-01"]

    run("opportunities", str(write_csv([header, row])), "--as", "maya")

    assert history(Opportunity.objects.get()) == [
        ("", "prospecting", day("2021-01-01")),
        ("prospecting", "proposal", day("2021-02-01")),
        ("proposal", "negotiation", day("2021-02-01")),
    ]
