"""Bulk actions on the record lists: assign, share and export ticked rows, with a mix of
rows the person may and may not touch."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests import factories
from tests.sales.conftest import lead, opportunity
from tests.service.conftest import make_case
from trellis.access.models import Share
from trellis.audit.models import AuditEvent
from trellis.core.errors import InvalidInput
from trellis.routing.models import AssignmentDecision
from trellis.sales.models import Lead
from trellis.web import bulk

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    """rep and colleague sell in Jakarta (each assigns and shares only their own records
    but reads the unit's); milan_rep sells in Milan; the manager runs Asia-Pacific and
    may export."""
    return SimpleNamespace(
        rep=factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"]),
        colleague=factories.user("colleague", unit=org["jakarta"], roles=["Sales Representative"]),
        milan_rep=factories.user("milan_rep", unit=org["milan"], roles=["Sales Representative"]),
        manager=factories.user("manager", unit=org["asia"], roles=["Sales Manager"]),
    )


@pytest.fixture
def leads(people):
    return SimpleNamespace(
        mine=lead(people.rep, last_name="Mine"),
        colleagues=lead(people.colleague, last_name="Colleagues"),
        hidden=lead(people.milan_rep, last_name="Hidden"),
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_bulk(client: Client, list_name: str, ids, **fields):
    data = {"ids": [record.pk for record in ids], "bulk-confirm": "on", **fields}
    return client.post(f"/bulk/{list_name}/", data)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# The lists offer it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/leads/", "/opportunities/", "/cases/", "/accounts/", "/contacts/"]
)
def test_each_list_has_the_bulk_bar(org, people, url):
    # Sales reps assign no cases; a service rep does.
    user = people.rep
    if url == "/cases/":
        user = factories.user(
            "agent", unit=org["jakarta"], roles=["Customer Service Representative"]
        )
    body = signed_in(user).get(url).content.decode()
    assert 'id="bulk-form"' in body


def test_a_list_with_rows_offers_select_all_on_the_page(people, leads):
    body = signed_in(people.rep).get("/leads/").content.decode()
    assert "data-bulk-all" in body


def test_the_lead_list_offers_a_checkbox_only_for_leads_the_user_sees(people, leads):
    body = signed_in(people.rep).get("/leads/").content.decode()
    assert f'name="ids" value="{leads.mine.pk}"' in body
    assert f'name="ids" value="{leads.hidden.pk}"' not in body


def test_assigning_without_confirmation_asks_whom_to(people, leads):
    response = signed_in(people.rep).post(
        "/bulk/leads/", {"ids": [leads.mine.pk], "bulk-action": "assign"}
    )
    assert response.status_code == 200
    assert 'name="bulk-owner_user"' in response.content.decode()
    leads.mine.refresh_from_db()
    assert leads.mine.owner_user == people.rep


# Assign ---------------------------------------------------------------------------------


def test_bulk_assign_changes_only_the_rows_the_user_may_assign(people, leads):
    post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine, leads.colleagues, leads.hidden],
        **{"bulk-action": "assign", "bulk-owner_user": people.colleague.pk},
    )
    owners = {
        name: Lead.objects.get(pk=record.pk).owner_user for name, record in vars(leads).items()
    }
    assert owners == {
        "mine": people.colleague,
        "colleagues": people.colleague,
        "hidden": people.milan_rep,
    }


def test_bulk_assign_reports_done_refused_and_not_allowed(people, leads):
    response = post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine, leads.colleagues, leads.hidden],
        **{"bulk-action": "assign", "bulk-owner_user": people.milan_rep.pk},
    )
    [text] = message_texts(response)
    assert text.startswith("Assigned 1 of 3.")
    assert "Colleagues" in text
    assert "1 not allowed." in text


def test_bulk_assign_never_names_a_row_the_user_cannot_see(people, leads):
    response = post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.hidden],
        **{"bulk-action": "assign", "bulk-owner_user": people.rep.pk},
    )
    [text] = message_texts(response)
    assert "Hidden" not in text
    assert str(leads.hidden.pk) not in text


def test_bulk_assign_writes_nothing_for_refused_rows(people, leads):
    post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.colleagues, leads.hidden],
        **{"bulk-action": "assign", "bulk-owner_user": people.rep.pk},
    )
    assert not AuditEvent.objects.filter(action="assign").exists()
    assert not AssignmentDecision.objects.exists()


def test_bulk_assign_of_leads_keeps_the_reason_with_the_decision(people, leads):
    post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine],
        **{
            "bulk-action": "assign",
            "bulk-owner_user": people.colleague.pk,
            "bulk-reason": "Covering holidays",
        },
    )
    decision = AssignmentDecision.objects.get(object_id=leads.mine.pk)
    assert decision.reason == "Covering holidays"


def test_bulk_assign_of_accounts_keeps_the_reason_in_the_audit_trail(people):
    account = factories.account(people.rep, name="Batik")
    post_bulk(
        signed_in(people.rep),
        "accounts",
        [account],
        **{
            "bulk-action": "assign",
            "bulk-owner_user": people.colleague.pk,
            "bulk-reason": "New territory",
        },
    )
    account.refresh_from_db()
    assert account.owner_user == people.colleague
    event = AuditEvent.objects.get(action="assign_reason", object_id=account.pk)
    assert event.changes == {"reason": "New territory"}


def test_bulk_assign_to_a_team(people, org, leads):
    team = factories.team("Jakarta desk", unit=org["jakarta"], members=(people.rep,))
    post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine],
        **{"bulk-action": "assign", "bulk-owner_team": team.pk},
    )
    leads.mine.refresh_from_db()
    assert leads.mine.owner_team == team


def test_bulk_assign_of_cases_goes_through_routing(people, admin):
    case = make_case(people.manager, subject="Broken pump")
    post_bulk(
        signed_in(admin),
        "cases",
        [case],
        **{"bulk-action": "assign", "bulk-owner_user": people.rep.pk},
    )
    case.refresh_from_db()
    assert case.owner_user == people.rep
    assert AssignmentDecision.objects.filter(object_id=case.pk).exists()


def test_bulk_assign_needs_a_person_or_a_team(people, leads):
    response = post_bulk(signed_in(people.rep), "leads", [leads.mine], **{"bulk-action": "assign"})
    assert message_texts(response) == ["Choose a person or a team, not both."]


def test_bulk_assign_without_ticked_rows_says_so(people):
    response = signed_in(people.rep).post(
        "/bulk/leads/", {"bulk-action": "assign", "bulk-confirm": "on"}
    )
    assert message_texts(response) == ["Tick at least one row (at most 200)."]


def test_a_list_without_bulk_actions_answers_404(people):
    response = signed_in(people.rep).post("/bulk/products/", {"bulk-action": "export"})
    assert response.status_code == 404


def test_bulk_assign_goes_back_to_the_filtered_list(people, leads):
    response = post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine],
        **{
            "bulk-action": "assign",
            "bulk-owner_user": people.rep.pk,
            "bulk-next": "/leads/?status=new",
        },
    )
    assert response.url == "/leads/?status=new"


def test_bulk_assign_does_not_redirect_off_site(people, leads):
    response = post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine],
        **{
            "bulk-action": "assign",
            "bulk-owner_user": people.rep.pk,
            "bulk-next": "https://evil.example/",
        },
    )
    assert response.url == "/leads/"


def test_bulk_assign_is_one_transaction(people, leads, monkeypatch):
    def fail_on_second(actor, record, **kwargs):
        if record.pk == leads.colleagues.pk:
            raise RuntimeError("the database went away")
        bulk._assign_routed(actor, record, **kwargs)

    spec = dataclasses.replace(bulk.BULK_LISTS["leads"], assign=fail_on_second)
    monkeypatch.setitem(bulk.BULK_LISTS, "leads", spec)
    manager_leads = [leads.mine, leads.colleagues]
    with pytest.raises(RuntimeError):
        bulk.bulk_assign(
            people.manager,
            list_name="leads",
            ids=[r.pk for r in manager_leads],
            owner_user=people.manager,
        )
    leads.mine.refresh_from_db()
    assert leads.mine.owner_user == people.rep


def test_bulk_assign_refuses_too_many_rows(people):
    with pytest.raises(InvalidInput):
        bulk.bulk_assign(
            people.rep, list_name="leads", ids=list(range(1, 202)), owner_user=people.rep
        )


# Share ----------------------------------------------------------------------------------


def test_bulk_share_shares_only_the_rows_the_user_may_share(people, leads):
    response = post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine, leads.colleagues, leads.hidden],
        **{"bulk-action": "share", "bulk-owner_user": people.milan_rep.pk, "bulk-rights": "read"},
    )
    shared = set(Share.objects.filter(user=people.milan_rep).values_list("record_id", flat=True))
    assert shared == {leads.mine.pk}
    [text] = message_texts(response)
    assert text.startswith("Shared 1 of 3.")


def test_bulk_share_with_a_team(people, org, leads):
    team = factories.team("Milan desk", unit=org["milan"], members=(people.milan_rep,))
    post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine],
        **{"bulk-action": "share", "bulk-owner_team": team.pk, "bulk-rights": "read"},
    )
    assert Share.objects.filter(team=team, record_id=leads.mine.pk).exists()


def test_bulk_share_lets_the_other_person_see_the_row(people, leads):
    post_bulk(
        signed_in(people.rep),
        "leads",
        [leads.mine],
        **{"bulk-action": "share", "bulk-owner_user": people.milan_rep.pk, "bulk-rights": "read"},
    )
    body = signed_in(people.milan_rep).get("/leads/").content.decode()
    assert f'name="ids" value="{leads.mine.pk}"' in body


# Export ---------------------------------------------------------------------------------


def test_bulk_export_holds_only_the_ticked_rows_the_user_may_read(people, leads):
    response = post_bulk(
        signed_in(people.manager),
        "leads",
        [leads.mine, leads.hidden],
        **{"bulk-action": "export"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("id,first_name,last_name")
    assert len(lines) == 2
    assert lines[1].startswith(f"{leads.mine.pk},")


def test_bulk_export_of_opportunities_has_their_columns(people, leads):
    account = factories.account(people.rep, name="Batik")
    deal = opportunity(people.rep, account, name="Batik deal", amount=500)
    response = post_bulk(
        signed_in(people.manager), "opportunities", [deal], **{"bulk-action": "export"}
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Batik deal" in body
    assert "stage" in body.splitlines()[0]


def test_bulk_export_needs_the_export_privilege(people, leads):
    response = post_bulk(signed_in(people.rep), "leads", [leads.mine], **{"bulk-action": "export"})
    assert response.status_code == 302
    assert "export" in message_texts(response)[0]


def bulk_choices(client: Client, path: str) -> list[str]:
    """The actions the list's bulk bar offers ([] when there is no bar)."""
    html = client.get(path).content.decode()
    if 'id="bulk-form"' not in html:
        return []
    return [key for key in ("assign", "share", "export") if f'<option value="{key}"' in html]


def test_the_bulk_bar_offers_only_what_the_roles_allow(org, people, leads):
    reader = factories.user(
        "reader",
        unit=org["jakarta"],
        roles=[factories.custom_role({"lead": {"read": "unit"}, "account": {"read": "unit"}})],
    )
    exporter = factories.user(
        "exporter",
        unit=org["jakarta"],
        roles=[factories.custom_role({"lead": {"read": "unit"}}, {"export": "unit"})],
    )
    # A rep assigns and shares their own leads; the manager may also export.
    assert bulk_choices(signed_in(people.rep), "/leads/")[:2] == ["assign", "share"]
    assert bulk_choices(signed_in(people.manager), "/leads/") == ["assign", "share", "export"]
    # Someone who may only read the leads gets no bar at all, though the rows show.
    page = signed_in(reader).get("/leads/").content.decode()
    assert "Colleagues" in page and "Mine" in page
    assert bulk_choices(signed_in(reader), "/leads/") == []
    assert bulk_choices(signed_in(reader), "/accounts/") == []
    # With the export privilege the bar offers export only.
    assert bulk_choices(signed_in(exporter), "/leads/") == ["export"]
