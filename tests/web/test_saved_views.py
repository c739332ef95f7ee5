"""Saved views of the lists: private to their owner unless shared with the owner's team."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.core.errors import Conflict, InvalidInput
from trellis.web.models import SavedView
from trellis.web.saved_views import saved_view_create, saved_view_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    """rep and teammate are in the Jakarta desk team; outsider is in Jakarta but in no
    team with them."""
    rep = factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])
    teammate = factories.user("teammate", unit=org["jakarta"], roles=["Sales Representative"])
    outsider = factories.user("outsider", unit=org["jakarta"], roles=["Sales Representative"])
    factories.team("Jakarta desk", unit=org["jakarta"], members=(rep, teammate))
    return SimpleNamespace(rep=rep, teammate=teammate, outsider=outsider)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def save(user, name: str, *, shared: bool = False, query: str = "status=new") -> SavedView:
    return saved_view_create(
        user, list_name="leads", name=name, query_string=query, shared_with_team=shared
    )


def names(user, list_name: str = "leads") -> list[str]:
    return [view.name for view in saved_view_list(user, list_name=list_name)]


def test_saving_the_current_filters_from_the_list(people):
    response = signed_in(people.rep).post(
        "/views/leads/save/",
        {"view-name": "New leads", "view-query_string": "status=new&sort=name&cursor=abc"},
    )
    view = SavedView.objects.get(owner=people.rep)
    assert (view.list_name, view.name, view.query_string) == (
        "leads",
        "New leads",
        "status=new&sort=name",
    )
    assert response.url == "/leads/?status=new&sort=name"


def test_saving_a_view_is_audited(people):
    view = save(people.rep, "New leads")
    assert AuditEvent.objects.filter(
        entity="saved_view", action="create", object_id=view.pk
    ).exists()


def test_a_private_view_is_seen_only_by_its_owner(people):
    save(people.rep, "My new leads")
    assert names(people.rep) == ["My new leads"]
    assert names(people.teammate) == []


def test_a_shared_view_is_seen_by_the_owners_team(people):
    save(people.rep, "Team hot leads", shared=True)
    assert names(people.teammate) == ["Team hot leads"]


def test_a_shared_view_is_not_seen_outside_the_owners_team(people):
    save(people.rep, "Team hot leads", shared=True)
    assert names(people.outsider) == []


def test_a_view_belongs_to_one_list(people):
    save(people.rep, "New leads")
    assert names(people.rep, "accounts") == []


def test_the_list_page_offers_the_users_views(people):
    save(people.rep, "My new leads")
    body = signed_in(people.rep).get("/leads/").content.decode()
    assert "My new leads" in body
    assert "/leads/?status=new" in body


def test_the_list_page_does_not_offer_someone_elses_private_view(people):
    save(people.rep, "My new leads")
    body = signed_in(people.teammate).get("/leads/").content.decode()
    assert "My new leads" not in body


def test_the_list_page_names_the_view_in_use(people):
    save(people.rep, "My new leads")
    body = signed_in(people.rep).get("/leads/", {"status": "new"}).content.decode()
    assert "View: My new leads" in body


def test_the_owner_deletes_their_view(people):
    view = save(people.rep, "Old")
    response = signed_in(people.rep).post(f"/views/{view.pk}/delete/")
    assert response.url == "/leads/"
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_teammate_may_not_delete_a_shared_view(people):
    view = save(people.rep, "Team view", shared=True)
    response = signed_in(people.teammate).post(f"/views/{view.pk}/delete/")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Only the person who saved a view may delete it."]
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_deleting_a_view_the_user_cannot_see_answers_404(people):
    view = save(people.rep, "Private")
    response = signed_in(people.outsider).post(f"/views/{view.pk}/delete/")
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_a_view_needs_a_name(people):
    with pytest.raises(InvalidInput) as caught:
        save(people.rep, "   ")
    assert caught.value.errors[0][0] == "name"


def test_a_name_is_used_once_per_list(people):
    save(people.rep, "Mine")
    with pytest.raises(Conflict):
        save(people.rep, "Mine")


def test_saving_a_duplicate_name_from_the_list_says_so(people):
    save(people.rep, "Mine")
    response = signed_in(people.rep).post(
        "/views/leads/save/", {"view-name": "Mine", "view-query_string": "status=new"}
    )
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["you already have a view with this name"]
    assert SavedView.objects.filter(owner=people.rep).count() == 1


def test_a_list_without_saved_views_answers_404(people):
    response = signed_in(people.rep).post("/views/products/save/", {"view-name": "X"})
    assert response.status_code == 404
