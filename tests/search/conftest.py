from __future__ import annotations

import pytest

from tests import factories
from trellis.customers.models import Contact


def contact(owner, **fields) -> Contact:
    return Contact.objects.create(
        owner_user=owner,
        owning_unit_id=owner.unit_id,
        last_name=fields.pop("last_name", "Person"),
        **fields,
    )


@pytest.fixture
def people(org):
    """Reps in Jakarta, Shanghai and Milan, a manager over Asia, a partner in Jakarta."""
    manager = factories.user("asia_manager", unit=org["asia"], roles=["Sales Manager"])
    return {
        "manager": manager,
        "jakarta": factories.user(
            "rep_jakarta", unit=org["jakarta"], roles=["Sales Representative"]
        ),
        "shanghai": factories.user(
            "rep_shanghai", unit=org["shanghai"], roles=["Sales Representative"]
        ),
        "milan": factories.user("rep_milan", unit=org["milan"], roles=["Sales Representative"]),
        "partner": factories.user(
            "partner_jakarta", unit=org["jakarta"], roles=["Partner"], user_type="partner"
        ),
    }


@pytest.fixture
def records(people):
    """One customer in each city, plus one the partner owns."""
    return {
        "jose": contact(
            people["jakarta"],
            first_name="José",
            last_name="Müller",
            email="jose.muller@example.co.id",
            phone="+62215550123",
            phone_raw="(021) 555-0123",
            city="Jakarta",
        ),
        "giulia": contact(
            people["milan"],
            first_name="Giulia",
            last_name="Bianchi",
            email="giulia@example.it",
            mobile="+393471234567",
            city="Milano",
        ),
        "li": contact(people["shanghai"], first_name="Li", last_name="Wei", city="Shanghai"),
        "agent": contact(people["partner"], first_name="Budi", last_name="Santoso", city="Jakarta"),
        "acme_jakarta": factories.account(people["jakarta"], name="Acme Indonesia", city="Jakarta"),
        "acme_milan": factories.account(people["milan"], name="Acme Italia", city="Milano"),
    }
