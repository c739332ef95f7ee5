"""`trellis import cases`: links, dedupe, modes, the status history and service levels."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from trellis.analytics import selectors as analytics
from trellis.analytics.selectors import Context, parse_filters
from trellis.customers.models import Contact
from trellis.routing.models import AssignmentRule
from trellis.service.models import Case, CaseStatusChange
from trellis.sla.models import SlaPolicy

HEADER = ["Subject", "Account", "Contact Email", "Priority", "Status", "Case Number", "Owner"]
HISTORY = ["Subject", "Status", "Created", "First Response", "Resolved", "Closed", "CSAT"]


@pytest.fixture
def importer(org):
    """A service lead in Asia-Pacific who may import and work cases across the subtree."""
    role = factories.custom_role(
        {
            "case": {k: "subtree" for k in ("create", "read", "write", "assign")},
            "account": {"read": "subtree"},
            "contact": {"read": "subtree"},
        },
        {"import": "subtree", "view_reports": "subtree"},
    )
    return factories.user("sari", unit=org["asia"], roles=[role], email="sari@example.com")


@pytest.fixture
def agent(org):
    return factories.user("agus", unit=org["jakarta"], roles=["Customer Service Representative"])


@pytest.fixture
def garuda(importer):
    return factories.account(importer, name="Garuda Logistics", external_id="acc-1")


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


def steps(case: Case) -> list[tuple[str, str, dt.datetime]]:
    changes = CaseStatusChange.objects.filter(case=case).order_by("changed_at", "id")
    return [(c.from_status, c.to_status, c.changed_at) for c in changes]


def test_good_case_rows_are_created_with_links_owner_and_number(importer, agent, garuda, write_csv):
    contact = Contact.objects.create(
        last_name="Lestari",
        email="ayu@example.com",
        account=garuda,
        owner_user=importer,
        owning_unit=importer.unit,
    )
    path = write_csv(
        [
            [*HEADER, "Account External ID"],
            ["Truck late", "Garuda Logistics", "AYU@example.com", "High", "new", "T-1", "agus", ""],
            ["Invoice wrong", "", "", "low", "", "T-2", "", "acc-1"],
            ["Crane", "", "", "low", "", "T-3", "", ""],
        ]
    )

    output = run("cases", str(path), "--as", "sari")

    assert "3 created, 0 updated" in output
    late, invoice, crane = Case.objects.order_by("external_id")
    assert (late.account, late.contact, late.priority, late.owner_user) == (
        garuda,
        contact,
        "high",
        agent,
    )
    assert late.number == f"CS-{late.pk:06d}"
    # No owner column value: the importer owns it (imports are never routed).
    assert (invoice.account, invoice.status) == (garuda, "new")
    assert (crane.owner_user, crane.account) == (importer, None)
    assert steps(late) == [("", "new", late.created_at)]


def test_cases_without_an_owner_are_not_routed_by_the_assignment_rules(importer, agent, write_csv):
    AssignmentRule.objects.create(
        name="All cases to Agus", entity="case", strategy="fixed", target_user=agent
    )
    path = write_csv([["Subject"], ["Truck late"]])

    run("cases", str(path), "--as", "sari")

    assert Case.objects.get().owner_user == importer


def test_bad_case_rows_are_reported_with_row_field_and_message(importer, garuda, write_csv):
    path = write_csv(
        [
            HEADER,
            ["Truck late", "Garuda Logistics", "", "high", "new", "T-1", ""],
            ["", "Garuda Logistics", "", "high", "new", "T-2", ""],
            ["Invoice", "Nowhere Ltd", "", "low", "new", "T-3", ""],
            ["Crane", "", "", "whenever", "new", "T-4", ""],
            ["Forklift", "", "", "low", "sideways", "T-5", ""],
            ["Boat", "", "", "low", "new", "T-6", "nobody"],
        ]
    )

    error, output = run_failing("cases", str(path), "--as", "sari")

    assert error.returncode == 1
    assert "row 3, subject: must not be empty" in output
    assert "row 4, account: no account 'Nowhere Ltd' that you can see" in output
    assert "row 5, priority: must be one of low, normal, high, urgent" in output
    assert "row 6, status: must be one of" in output
    assert "row 7, owner: no user or owner team 'nobody'" in output
    assert list(Case.objects.values_list("subject", flat=True)) == ["Truck late"]


def test_a_row_with_a_known_external_id_updates_that_case(importer, write_csv):
    run(
        "cases", str(write_csv([["Subject", "External ID"], ["Truck late", "T-1"]])), "--as", "sari"
    )
    again = write_csv(
        [["Subject", "External ID", "Priority"], ["Truck very late", "T-1", "urgent"]], "b.csv"
    )

    output = run("cases", str(again), "--as", "sari")

    assert "0 created, 1 updated" in output
    case = Case.objects.get()
    assert (case.subject, case.priority, case.version) == ("Truck very late", "urgent", 2)


def test_an_update_may_not_rewrite_a_cases_history(importer, write_csv):
    run(
        "cases", str(write_csv([["Subject", "External ID"], ["Truck late", "T-1"]])), "--as", "sari"
    )
    again = write_csv([["Subject", "External ID", "Status"], ["Truck", "T-1", "closed"]], "b.csv")

    _, output = run_failing("cases", str(again), "--as", "sari")

    assert "row 2, status: an import does not change an existing case's history" in output
    assert Case.objects.get().status == "new"


def test_two_rows_with_one_external_id_import_the_first_only(importer, write_csv):
    path = write_csv([["Subject", "Ticket ID"], ["Truck late", "T-1"], ["Truck again", "T-1"]])

    _, output = run_failing("cases", str(path), "--as", "sari")

    assert "row 3, external_id: same external_id as row 2; row skipped" in output
    assert list(Case.objects.values_list("subject", flat=True)) == ["Truck late"]


def test_a_dry_run_writes_nothing_and_atomic_writes_nothing_when_a_row_is_bad(importer, write_csv):
    path = write_csv([["Subject", "Priority"], ["Truck late", "high"], ["Crane", "whenever"]])

    dry = run_failing("cases", str(path), "--as", "sari", "--dry-run")[1]
    atomic = run_failing("cases", str(path), "--as", "sari", "--atomic")[1]

    assert "1 would be created" in dry
    assert "Nothing written (--atomic)" in atomic
    assert (Case.objects.count(), CaseStatusChange.objects.count()) == (0, 0)


def test_closed_history_keeps_its_dates_and_gets_its_status_history(importer, write_csv):
    path = write_csv(
        [
            HISTORY,
            [
                "Truck late",
                "closed",
                "2024-03-01 09:00",
                "2024-03-01 10:00",
                "2024-03-02 09:00",
                "2024-03-05",
                "4",
            ],
        ]
    )

    run("cases", str(path), "--as", "sari")

    case = Case.objects.get()
    assert (case.status, case.satisfaction) == ("closed", 4)
    assert (case.created_at, case.first_response_at, case.resolved_at, case.closed_at) == (
        day("2024-03-01 09:00"),
        day("2024-03-01 10:00"),
        day("2024-03-02 09:00"),
        day("2024-03-05"),
    )
    assert case.modified_at == day("2024-03-05")
    assert steps(case) == [
        ("", "new", day("2024-03-01 09:00")),
        ("new", "in_progress", day("2024-03-01 10:00")),
        ("in_progress", "resolved", day("2024-03-02 09:00")),
        ("resolved", "closed", day("2024-03-05")),
    ]
    # History gets no service-level targets: the past's are not known.
    assert (case.first_response_due_at, case.resolve_due_at) == (None, None)


def test_a_resolved_case_without_dates_is_resolved_and_answered_at_the_import(importer, write_csv):
    path = write_csv([["Subject", "Status", "Created"], ["Truck late", "resolved", "2024-03-01"]])

    run("cases", str(path), "--as", "sari")

    case = Case.objects.get()
    assert case.resolved_at > day("2025-01-01")
    assert case.first_response_at == case.resolved_at
    assert steps(case) == [("", "new", day("2024-03-01")), ("new", "resolved", case.resolved_at)]


def test_history_dates_must_not_run_backwards_or_contradict_the_status(importer, write_csv):
    path = write_csv(
        [
            HISTORY,
            ["A", "resolved", "2024-03-05", "", "2024-03-01", "", ""],
            ["B", "new", "2024-03-01", "2024-03-02", "", "", ""],
            ["C", "in_progress", "2024-03-01", "", "", "", "5"],
            ["D", "resolved", "2024-03-01", "", "", "2024-03-02", ""],
            ["E", "closed", "2024-03-01", "", "", "", "9"],
        ]
    )

    _, output = run_failing("cases", str(path), "--as", "sari")

    assert "row 2, resolved_at: must not be before created_at" in output
    assert "row 3, first_response_at: only a case past new has one (this case is new)" in output
    assert "row 4, satisfaction: only a resolved or closed case has one" in output
    assert "row 5, closed_at: only a closed case has one (this case is resolved)" in output
    assert "row 6, satisfaction: must be from 1 to 5" in output
    assert Case.objects.count() == 0


def test_an_open_case_gets_its_due_times_from_the_policy_counted_from_its_creation(
    importer, write_csv
):
    SlaPolicy.objects.create(
        name="High", priority="high", first_response_minutes=60, resolution_minutes=480
    )
    path = write_csv(
        [["Subject", "Priority", "Status", "Created"], ["Truck late", "high", "new", "2024-03-01"]]
    )

    run("cases", str(path), "--as", "sari")

    case = Case.objects.get()
    assert (case.first_response_due_at, case.resolve_due_at) == (
        day("2024-03-01 01:00"),
        day("2024-03-01 08:00"),
    )


def test_imported_history_shows_in_the_resolution_times_of_its_period(importer, org, write_csv):
    path = write_csv(
        [
            ["Subject", "Priority", "Status", "Created", "Resolved", "CSAT"],
            ["Truck late", "high", "resolved", "2024-03-01 09:00", "2024-03-01 15:00", "5"],
            ["Crane", "high", "closed", "2024-03-04 09:00", "2024-03-04 11:00", "3"],
        ]
    )
    outsider = factories.user("otto", unit=org["milan"], roles=["Service Manager"])
    run("cases", str(path), "--as", "sari")
    march = parse_filters({"period": "month", "start": "2024-03-01"})

    mine = analytics.response_times(Context(importer, march)).rows
    theirs = analytics.response_times(Context(outsider, march)).rows

    assert [(r["cases"], r["resolution_hours"], r["satisfaction"]) for r in mine] == [(2, 4.0, 4.0)]
    assert theirs == []


def test_a_contact_of_another_account_is_refused(importer, garuda, write_csv):
    other = factories.account(importer, name="Other Ltd")
    Contact.objects.create(
        last_name="Lestari",
        email="ayu@example.com",
        account=other,
        owner_user=importer,
        owning_unit=importer.unit,
    )
    path = write_csv(
        [["Subject", "Account", "Contact"], ["Truck", "Garuda Logistics", "ayu@example.com"]]
    )

    _, output = run_failing("cases", str(path), "--as", "sari")

    assert "row 2, contact_email: the contact belongs to another account" in output
    assert Case.objects.count() == 0


def test_a_case_importer_without_case_create_rights_gets_each_row_refused(org, write_csv):
    factories.user("mike", unit=org["asia"], roles=["Sales Manager"])
    path = write_csv([["Subject"], ["Truck late"]])

    _, output = run_failing("cases", str(path), "--as", "mike")

    assert "row 2: you may not create cases" in output
    assert Case.objects.count() == 0
