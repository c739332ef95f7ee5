"""The index table's physical order (PostgreSQL) and the bulk upkeep of its entries."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.search.conftest import contact
from trellis.core import periodic
from trellis.customers.models import Contact
from trellis.search import layout
from trellis.search.models import SearchEntry
from trellis.search.selectors import search
from trellis.search.services import index_records

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the table's physical order is PostgreSQL's"
)


def found_ids(user, q) -> set[int]:
    return {hit.id for hit in search(user, q, entities=["contact"], limit=50)}


def physical_unit_paths() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT unit_path FROM search_searchentry ORDER BY ctid")
        return [row[0] for row in cursor.fetchall()]


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search_searchentry'")
        return {row[0] for row in cursor.fetchall()}


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchentry")


@pytest.fixture
def mixed(people):
    """Contacts written in an order that interleaves Milan, Shanghai and Jakarta."""
    owners = [people["milan"], people["shanghai"], people["jakarta"]] * 10
    return [
        contact(owner, first_name=f"Mixed{i}", city="Bandung") for i, owner in enumerate(owners)
    ]


@postgres_only
def test_a_reorder_writes_the_entries_in_unit_path_order(mixed):
    before = physical_unit_paths()
    assert before != sorted(before)
    assert layout.reorder() is True
    after = physical_unit_paths()
    assert after == sorted(before)


@postgres_only
def test_a_reorder_keeps_every_entry_index_and_constraint(people, records, mixed):
    entries = set(SearchEntry.objects.values_list("id", "entity", "record_id", "text"))
    indexes = index_names()
    assert layout.reorder() is True
    assert set(SearchEntry.objects.values_list("id", "entity", "record_id", "text")) == entries
    assert index_names() == indexes
    assert found_ids(people["milan"], "bandung") == {
        c.pk for c in mixed if c.owner_user == people["milan"]
    }
    assert found_ids(people["jakarta"], "jose") == {records["jose"].pk}
    assert found_ids(people["milan"], "jose") == set()


@postgres_only
def test_new_entries_after_a_reorder_get_fresh_ids(people, records):
    highest = max(SearchEntry.objects.values_list("id", flat=True))
    assert layout.reorder() is True
    newcomer = contact(people["jakarta"], first_name="Newcomer")
    assert SearchEntry.objects.get(entity="contact", record_id=newcomer.pk).id > highest


@postgres_only
def test_entries_written_while_the_copy_is_made_are_carried_over(monkeypatch, people, records):
    write_copy = layout._write_copy
    written = {}

    def copy_then_write() -> None:
        write_copy()
        # Another session's writes, after the copy read the table.
        written["new"] = contact(people["milan"], first_name="Latecomer", city="Bandung")
        records["li"].delete()
        jose = records["jose"]
        jose.city = "Bandung"
        jose.save()

    monkeypatch.setattr(layout, "_write_copy", copy_then_write)
    assert layout.reorder() is True
    assert found_ids(people["milan"], "latecomer") == {written["new"].pk}
    assert found_ids(people["shanghai"], "wei") == set()
    assert not SearchEntry.objects.filter(entity="contact", record_id=records["li"].pk).exists()
    assert found_ids(people["jakarta"], "bandung") == {records["jose"].pk}


@postgres_only
def test_a_reorder_leaves_no_trigger_log_or_copy_behind(records):
    assert layout.reorder() is True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relname IN (%s, %s)", [layout.LOG, layout.COPY]
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'search_searchentry'::regclass"
        )
        assert cursor.fetchone()[0] == 0


@postgres_only
def test_the_job_reorders_a_big_table_out_of_order_and_then_leaves_it(monkeypatch, mixed):
    monkeypatch.setattr(layout, "MIN_ENTRIES", 10)
    analyze()
    assert layout.order()[1] < layout.MIN_ORDER
    assert layout.maintain() is True
    assert layout.order()[1] > layout.MIN_ORDER
    assert layout.maintain() is False


@postgres_only
def test_the_job_leaves_a_small_table_alone(mixed):
    analyze()
    before = physical_unit_paths()
    assert layout.maintain() is False
    assert physical_unit_paths() == before


def test_the_layout_job_runs_on_the_workers_clock():
    assert "search.layout" in {job.name for job in periodic.jobs()}


def test_the_layout_job_does_nothing_on_sqlite(mixed):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert layout.maintain() is False
    assert layout.reorder() is False


def test_a_bulk_reindex_writes_exactly_the_records_given(people):
    owner = people["jakarta"]
    made = Contact.objects.bulk_create(
        [
            Contact(owner_user=owner, owning_unit_id=owner.unit_id, last_name=f"Bulk {i}")
            for i in range(6)
        ]
    )
    chosen = [made[0].pk, made[2].pk, made[5].pk]
    assert index_records(Contact, chosen) == 3
    indexed = set(SearchEntry.objects.filter(entity="contact").values_list("record_id", flat=True))
    assert indexed & {c.pk for c in made} == set(chosen)


def test_a_bulk_reindex_of_scattered_records_replaces_their_entries(people, records):
    jose, li = records["jose"], records["li"]
    Contact.objects.filter(pk__in=[jose.pk, li.pk]).update(city="Bogor")
    assert index_records(Contact, [li.pk, jose.pk, 10**9]) == 2
    assert found_ids(people["manager"], "bogor") == {jose.pk, li.pk}
    assert SearchEntry.objects.filter(entity="contact", record_id=jose.pk).count() == 1
