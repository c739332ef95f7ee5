"""The `report` entity in the role model: built-in depths and the data migration that
gives existing roles their report row."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tests import factories
from trellis.core import periodic
from trellis.org.models import SecurityRole

pytestmark = pytest.mark.django_db

migration = importlib.import_module("trellis.org.migrations.0004_report_permissions")


def test_the_built_in_data_analyst_reads_every_report():
    role = SecurityRole.objects.get(name="Data Analyst")
    assert role.permissions["report"]["read"] == "org"


def test_the_built_in_sales_representative_reads_only_own_reports():
    role = SecurityRole.objects.get(name="Sales Representative")
    assert role.permissions["report"]["read"] == "own"


def test_the_migration_gives_a_custom_role_with_view_reports_own_reports():
    role = factories.custom_role({}, {"view_reports": "unit"}, name="Reporter")
    migration.add_report_rows(apps, None)
    role.refresh_from_db()
    assert role.permissions["report"]["create"] == "own"


def test_the_migration_gives_a_custom_role_without_view_reports_no_reports():
    role = factories.custom_role({}, {}, name="Clerk")
    migration.add_report_rows(apps, None)
    role.refresh_from_db()
    assert role.permissions["report"]["read"] == "none"


def test_the_scheduled_report_job_is_registered_with_the_worker():
    assert "analytics.reports" in [job.name for job in periodic.jobs()]
