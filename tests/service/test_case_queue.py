"""The queue view inside Cases (/cases/queue/): routing's case queues, take-next order,
the "Take next" button, as a member of the queue's team and as an agent outside it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories
from trellis.routing.models import AssignmentRule, Queue
from trellis.service.models import Case
from trellis.service.services import case_create

pytestmark = pytest.mark.django_db

URL = "/cases/queue/"
CSR = "Customer Service Representative"


@pytest.fixture
def desk(org):
    """A Jakarta support team (ana, budi) with a case queue every new case goes to; milan
    is an agent outside the team; the manager holds manage_routing over Asia-Pacific."""
    ana = factories.user("ana", unit=org["jakarta"], roles=[CSR], capacity=5)
    budi = factories.user("budi", unit=org["jakarta"], roles=[CSR], capacity=5)
    team = factories.team("Jakarta Support", unit=org["jakarta"], members=(ana, budi))
    queue = Queue.objects.create(name="Jakarta cases", entity="case", team=team)
    AssignmentRule.objects.create(
        entity="case", name="All to the queue", position=0, strategy="queue", target_queue=queue
    )
    return SimpleNamespace(
        ana=ana,
        budi=budi,
        team=team,
        queue=queue,
        milan=factories.user("milan", unit=org["milan"], roles=[CSR]),
        manager=factories.user("manager", unit=org["asia"], roles=["Service Manager"]),
    )


def waiting_subjects(response) -> list[str]:
    return [case.subject for _item, case in response.context["waiting"]]


def test_a_member_sees_the_queue_with_its_count_and_a_take_next_button(browser, desk):
    case_create(desk.ana, subject="Printer jam")
    case_create(desk.ana, subject="Login fails")

    response = browser(desk.budi).get(URL)

    assertContains(response, "Jakarta cases")
    assertContains(response, 'data-waiting="2"')
    assertContains(response, ">Take next</button>", count=1)
    assert waiting_subjects(response) == ["Printer jam", "Login fails"]


def test_an_agent_outside_the_team_sees_no_queue_and_cannot_take(browser, desk):
    case = case_create(desk.ana, subject="Printer jam")
    client = browser(desk.milan)

    response = client.get(URL)
    assertNotContains(response, "Jakarta cases")
    assertNotContains(response, "Printer jam")
    assertContains(response, "No case queues for your teams.")
    assert client.post(f"/cases/queue/{desk.queue.pk}/take-next/").status_code == 404
    assert Case.objects.get(pk=case.pk).owner_team == desk.team


def test_waiting_cases_are_listed_as_take_next_takes_them(browser, desk):
    case_create(desk.ana, subject="Old normal", priority="normal")
    case_create(desk.ana, subject="High outage", priority="high")
    case_create(desk.ana, subject="New normal", priority="normal")
    client = browser(desk.budi)

    listed = waiting_subjects(client.get(URL))
    taken = client.post(f"/cases/queue/{desk.queue.pk}/take-next/")

    assert listed == ["High outage", "Old normal", "New normal"]
    high = Case.objects.get(subject="High outage")
    assert taken.status_code == 302
    assert taken["Location"] == f"/cases/{high.pk}/"
    assert high.owner_user == desk.budi
    assert waiting_subjects(client.get(URL)) == ["Old normal", "New normal"]


def test_taking_the_next_case_says_so_on_the_case_page(browser, desk):
    case = case_create(desk.ana, subject="Printer jam")

    response = browser(desk.budi).post(f"/cases/queue/{desk.queue.pk}/take-next/", follow=True)

    assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/"
    assertContains(response, f"{case.number} Printer jam is yours now.")


def test_sla_due_times_are_shown(browser, desk):
    case = case_create(desk.ana, subject="Printer jam")
    due = timezone.now().replace(microsecond=0) + dt.timedelta(hours=4)
    Case.objects.filter(pk=case.pk).update(resolve_due_at=due)

    response = browser(desk.budi).get(URL)

    assertContains(response, f'datetime="{due.isoformat()}"')


def test_an_empty_queue_gives_a_message_not_an_error(browser, desk):
    response = browser(desk.budi).post(f"/cases/queue/{desk.queue.pk}/take-next/", follow=True)

    assert response.redirect_chain == [(f"{URL}?queue={desk.queue.pk}", 302)]
    assertContains(response, "Nothing is waiting in Jakarta cases.")


def test_a_full_capacity_gives_a_message_and_takes_nothing(browser, desk):
    case = case_create(desk.ana, subject="Printer jam")
    desk.budi.capacity = 1
    desk.budi.save(update_fields=["capacity"])
    Case.objects.create(
        subject="Already mine", owner_user=desk.budi, owning_unit_id=desk.budi.unit_id
    )

    response = browser(desk.budi).post(f"/cases/queue/{desk.queue.pk}/take-next/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"{URL}?queue={desk.queue.pk}", 302)]
    assertContains(response, "as many open items as your capacity allows (1)")
    assert Case.objects.get(pk=case.pk).owner_team == desk.team


def test_a_routing_manager_outside_the_team_sees_the_queue_without_the_button(browser, desk):
    case_create(desk.ana, subject="Printer jam")

    response = browser(desk.manager).get(URL)

    assertContains(response, "Jakarta cases")
    assertNotContains(response, ">Take next</button>")
    assertContains(response, 'href="/routing/queues/"')
    assertNotContains(browser(desk.budi).get(URL), 'href="/routing/queues/"')


def test_the_queue_page_is_part_of_cases_and_queues_left_the_navigation(browser, desk):
    response = browser(desk.budi).get(URL)

    assert response.context["nav_current"]() == "web:case_list"
    assert "web:routing_queues" not in [name for name, _label in response.context["nav_items"]]
    assertContains(response, 'href="/cases/queue/" aria-current="page"')


def test_the_case_list_has_the_list_and_queue_tabs(browser, desk):
    response = browser(desk.budi).get("/cases/")

    assertContains(response, 'href="/cases/" aria-current="page"')
    assertContains(response, 'href="/cases/queue/"')
