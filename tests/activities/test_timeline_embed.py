"""Record pages load their timeline."""

import pytest
from django.test import Client

from tests import factories


@pytest.mark.parametrize("entity", ["account"])
def test_the_account_page_embeds_its_timeline(org, entity):
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    account = factories.account(rep, name="Timeline Co")
    client = Client()
    client.force_login(rep)

    page = client.get(f"/accounts/{account.pk}/")
    timeline = client.get(f"/timeline/account/{account.pk}/", HTTP_HX_REQUEST="true")

    assert f'hx-get="/timeline/account/{account.pk}/"' in page.content.decode()
    assert timeline.status_code == 200


def test_the_timeline_of_an_invisible_account_answers_404(org):
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    other = factories.user("other", unit=org["milan"], roles=["Sales Representative"])
    account = factories.account(other, name="Hidden Co")
    client = Client()
    client.force_login(rep)

    assert client.get(f"/timeline/account/{account.pk}/").status_code == 404
