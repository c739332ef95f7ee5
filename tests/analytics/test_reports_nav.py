"""The "Reports" entry of the navigation leads to the saved-report list, whose page
opens the report builder; analysts get it, people without `view_reports` do not."""

from __future__ import annotations

from django.urls import reverse

from tests import factories
from tests.analytics.conftest import login


def test_the_reports_entry_leads_an_analyst_to_the_report_list_and_builder(people):
    client = login(people.analyst)
    home = client.get(reverse("web:home")).content.decode()
    reports = client.get(reverse("web:report_list"))
    builder = client.get(reverse("web:analytics_report"), {"entity": "opportunity"})

    assert f'href="{reverse("web:report_list")}"' in home
    assert reports.status_code == 200
    assert reports.templates[0].name == "analytics/saved_report_list.html"
    page = reports.content.decode()
    assert f'href="{reverse("web:analytics_report")}"' in page
    assert f'href="{reverse("web:report_create")}"' in page
    assert builder.status_code == 200


def test_someone_without_the_view_reports_privilege_has_no_reports_entry(org):
    role = factories.custom_role({"opportunity": {"read": "own"}}, {}, name="Reader")
    reader = factories.user("reader", unit=org["jakarta"], roles=[role])
    home = login(reader).get(reverse("web:home")).content.decode()

    assert f'href="{reverse("web:report_list")}"' not in home
