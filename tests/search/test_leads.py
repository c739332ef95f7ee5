from __future__ import annotations

import pytest
from django.apps import apps

from trellis.search.selectors import search

try:
    Lead = apps.get_model("sales", "Lead")
except LookupError:  # leads land with the sales app; until then there is nothing to test
    Lead = None

pytestmark = pytest.mark.skipif(Lead is None, reason="sales.Lead is not installed yet")


def lead(owner, **fields):
    return Lead.objects.create(owner_user=owner, owning_unit_id=owner.unit_id, **fields)


def test_a_lead_is_found_by_company_name_email_and_phone(admin, org):
    made = lead(
        admin,
        first_name="Dewi",
        last_name="Lestari",
        company_name="Nusantara Kopi",
        email="dewi@nusantara.example",
        phone="+62215559876",
    )
    for q in ("nusantara kopi", "dewi@nus", "021 555 9876", "LESTARI"):
        assert [(h.entity, h.id) for h in search(admin, q)] == [("lead", made.pk)], q


def test_leads_are_found_only_by_those_who_may_read_them(people):
    lead(people["jakarta"], first_name="Dewi", last_name="Lestari", company_name="Kopi")
    assert [h.title for h in search(people["jakarta"], "lestari")] == ["Dewi Lestari"]
    assert search(people["milan"], "lestari") == []
