"""A service rep takes the next case from the queue (the urgent one) and resolves it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import NoReverseMatch, reverse

from tests import factories
from tests.browser import data
from trellis.routing.models import Queue, QueueItem
from trellis.service.models import Case

pytestmark = pytest.mark.browser
HOUR = dt.timedelta(hours=1)


def queue_page(queue: Queue) -> str:
    """The Cases section's queue view when it exists, else the routing queue page."""
    try:
        return reverse("web:case_queue")
    except NoReverseMatch:
        return reverse("web:routing_queue", args=[queue.pk])


def test_a_service_rep_takes_the_urgent_case_first_and_resolves_it(org, journey):
    csr = "Customer Service Representative"
    sari = factories.user("sari", unit=org["jakarta"], roles=[csr], first_name="Sari")
    mate = factories.user("tono", unit=org["jakarta"], roles=[csr])
    team = factories.team("Jakarta Support", unit=org["jakarta"], members=(sari, mate))
    queue = Queue.objects.create(name="Jakarta cases", entity="case", team=team)
    # Waiting, oldest first: a low, a normal, then two urgent ones.
    data.queued_case(queue, "Invoice copy", "low", 5 * HOUR)
    data.queued_case(queue, "Password reset", "normal", 3 * HOUR)
    urgent = data.queued_case(queue, "Line down at the warehouse", "urgent", 2 * HOUR)
    data.queued_case(queue, "Payment terminal offline", "urgent", HOUR / 2)
    # A case of another unit Sari must not see.
    milan = factories.user("marco", unit=org["milan"], roles=[csr])
    data.case(milan, "Milan printer jam")

    j = journey("service-rep")
    page = j.page()
    j.login(page, "sari")
    j.visit(page, "/cases/", "cases")
    cases = page.locator("#main").inner_text()
    assert "Line down at the warehouse" in cases
    assert "Milan printer jam" not in cases

    j.visit(page, queue_page(queue), "case-queue")
    waiting = page.locator("table#queue-cases tbody tr, table#queue-items tbody tr")
    order = ["Line down", "Payment terminal", "Password reset", "Invoice copy"]
    rows = waiting.all_inner_texts()
    assert len(rows) == len(order)
    assert all(subject in row for subject, row in zip(order, rows, strict=True)), rows

    page.get_by_role("button", name="Take next").first.click()
    page.wait_for_url(f"**/cases/{urgent.pk}/")
    assert page.locator("h1").inner_text() == "Line down at the warehouse"
    assert "is yours now" in page.locator(".messages").inner_text()
    j.shot(page, "case-taken")
    taken = Case.objects.get(pk=urgent.pk)
    assert (taken.owner_user, taken.owner_team) == (sari, None)
    assert QueueItem.objects.get(object_id=urgent.pk).taken_by == sari

    page.fill("#id_resolve-resolution", "Replaced the router; the line is back up.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_url(f"**/cases/{urgent.pk}/")
    assert page.locator("#case-status").inner_text() == "Resolved"
    j.shot(page, "case-resolved")
    resolved = Case.objects.get(pk=urgent.pk)
    assert resolved.status == "resolved"
    assert resolved.resolution == "Replaced the router; the line is back up."

    j.visit(page, queue_page(queue), "case-queue-after")
    left = page.locator("table#queue-cases tbody tr, table#queue-items tbody tr")
    assert left.count() == 3
    assert "Payment terminal offline" in left.first.inner_text()
