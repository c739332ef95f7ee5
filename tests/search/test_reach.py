"""The entries' copies of the access columns, and the narrowing built on them."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from tests import factories
from tests.search.conftest import contact
from trellis.access import can, visible
from trellis.access.models import Share
from trellis.customers.models import Contact
from trellis.dataio.signals import records_imported
from trellis.org.models import BusinessUnit
from trellis.org.services import team_update, unit_update, user_update
from trellis.search.models import SearchEntry
from trellis.search.selectors import search


def entry(record) -> SearchEntry:
    return SearchEntry.objects.get(entity="contact", record_id=record.pk)


def found_ids(user, q) -> set[int]:
    return {hit.id for hit in search(user, q, entities=["contact"], limit=50)}


def test_an_entry_copies_its_records_owner_and_unit(people, records):
    copied = entry(records["jose"])
    assert (copied.owner_user_id, copied.owner_team_id, copied.owning_unit_id) == (
        people["jakarta"].pk,
        None,
        people["jakarta"].unit_id,
    )


def test_an_entry_follows_a_new_owner(people, records):
    jose = records["jose"]
    jose.owner_user = people["milan"]
    jose.owning_unit_id = people["milan"].unit_id
    jose.save()
    assert (entry(jose).owner_user_id, entry(jose).owning_unit_id) == (
        people["milan"].pk,
        people["milan"].unit_id,
    )


def test_an_entry_follows_its_owner_to_a_new_unit(admin, org, people, records):
    user_update(admin, user=people["jakarta"], unit=org["milan"])
    assert entry(records["jose"]).owning_unit_id == org["milan"].pk
    assert found_ids(people["milan"], "jose") == {records["jose"].pk}


def test_an_entry_follows_its_owner_teams_move(admin, org, people):
    team = factories.team("Jakarta desk", unit=org["jakarta"])
    owned = Contact.objects.create(
        owner_team=team, owning_unit_id=team.unit_id, first_name="Rina", last_name="Kusuma"
    )
    team_update(admin, team=team, unit=org["milan"])
    assert entry(owned).owning_unit_id == org["milan"].pk
    assert found_ids(people["milan"], "kusuma") == {owned.pk}


def test_entries_follow_their_unit_when_it_moves(admin, org, people, records):
    europe_manager = factories.user("eu_manager", unit=org["europe"], roles=["Sales Manager"])
    assert found_ids(europe_manager, "jose") == set()
    unit_update(admin, unit=org["jakarta"], parent=org["europe"])
    jakarta = BusinessUnit.objects.get(pk=org["jakarta"].pk)
    assert entry(records["jose"]).unit_path == jakarta.path
    assert found_ids(europe_manager, "jose") == {records["jose"].pk}
    assert found_ids(people["manager"], "jose") == set()


def test_imported_records_are_indexed_with_their_owner_in_one_batch(
    people, django_assert_max_num_queries
):
    owner = people["jakarta"]
    rows = [
        Contact(owner_user=owner, owning_unit_id=owner.unit_id, last_name=f"Imported {i}")
        for i in range(50)
    ]
    made = Contact.objects.bulk_create(rows)
    with django_assert_max_num_queries(6):
        records_imported.send(Contact, actor=owner, ids=[c.pk for c in made])
    assert (
        SearchEntry.objects.filter(
            entity="contact", owner_user_id=owner.pk, owning_unit_id=owner.unit_id
        ).count()
        == 50
    )


def test_a_stale_copy_never_reveals_a_record(people, records):
    # The copy says Milan owns José's record; the record itself still says Jakarta.
    SearchEntry.objects.filter(entity="contact", record_id=records["jose"].pk).update(
        owner_user_id=people["milan"].pk, owning_unit_id=people["milan"].unit_id
    )
    assert found_ids(people["milan"], "jose") == set()


def test_a_stale_copy_does_not_cost_a_readable_record_its_place(people, records):
    zeno = contact(people["shanghai"], first_name="Zeno", last_name="Muller")
    # José's copy claims Shanghai, so he is the Shanghai rep's first candidate for
    # "muller"; the check drops him and the page of one is answered again, exactly.
    SearchEntry.objects.filter(entity="contact", record_id=records["jose"].pk).update(
        owner_user_id=people["shanghai"].pk, owning_unit_id=people["shanghai"].unit_id
    )
    hits = search(people["shanghai"], "muller", entities=["contact"], limit=1)
    assert [hit.id for hit in hits] == [zeno.pk]


def test_users_who_see_different_things_find_exactly_what_they_may_read(people, records):
    Share.objects.create(
        record_type=ContentType.objects.get_for_model(Contact),
        record_id=records["giulia"].pk,
        user=people["jakarta"],
    )
    everyone = set(Contact.objects.values_list("pk", flat=True))
    for name in ("manager", "jakarta", "shanghai", "milan", "partner"):
        user = people[name]
        readable = set(visible(user, Contact).values_list("pk", flat=True))
        found = found_ids(user, "example") | found_ids(user, "jakarta") | found_ids(user, "wei")
        found |= found_ids(user, "milano") | found_ids(user, "santoso")
        # Partners never find contacts (the partner portal, web.portal), even their own.
        expected = set() if user.is_partner else readable & everyone
        assert found == expected, name
        assert all(can(user, "read", Contact.objects.get(pk=pk)) for pk in found), name
    assert found_ids(people["jakarta"], "giulia") == {records["giulia"].pk}
    assert found_ids(people["shanghai"], "giulia") == set()


def test_a_manager_finds_what_the_people_below_them_own_through_the_hierarchy(org, people):
    lead = factories.user("team_lead", unit=org["milan"], roles=["Sales Representative"])
    report = factories.user(
        "report", unit=org["shanghai"], roles=["Sales Representative"], reports_to=lead
    )
    theirs = contact(report, first_name="Hierarchy", last_name="Found")
    contact(people["shanghai"], first_name="Hierarchy", last_name="Hidden")
    assert found_ids(lead, "hierarchy") == {theirs.pk}
    assert found_ids(people["milan"], "hierarchy") == set()


def test_the_narrowing_follows_the_access_apps_read_scope(people):
    from trellis.access.scope import read_scope
    from trellis.search.reach import reach

    manager = people["manager"]
    scope = read_scope(manager, Contact)
    arms = reach(manager, Contact)
    assert scope.subtree_paths and not scope.everything
    assert any(str(manager.pk) in map(str, params) for _sql, params in arms)
    assert len(arms) == len(scope.subtree_paths) + 2  # owned, each subtree, shared
