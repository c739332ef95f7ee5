"""Imported records indexed from the instances the import passes (no read back)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.customers.models import Contact
from trellis.dataio.signals import records_imported
from trellis.search.models import SearchEntry
from trellis.search.selectors import search
from trellis.search.services import COLUMNS, index_records


def _entries(ids: list[int]) -> dict[int, tuple]:
    rows = SearchEntry.objects.filter(entity="contact", record_id__in=ids).values_list(*COLUMNS)
    return {row[1]: row for row in rows}


def _made(owner, n: int = 20) -> list[Contact]:
    rows = [
        Contact(
            owner_user=owner,
            owning_unit_id=owner.unit_id,
            first_name="Zoë" if i % 2 else "Ahmad",
            last_name=f"Importé {i}",
            email=f"imp{i}@example.com",
            other_emails=[f"alt{i}@example.org"],
            phone="+62215550123",
            phone_raw="(021) 555-0123",
            city="Jakarta",
        )
        for i in range(n)
    ]
    return Contact.objects.bulk_create(rows)


def test_entries_from_passed_records_equal_those_read_back(people):
    made = _made(people["jakarta"])
    ids = [c.pk for c in made]
    with CaptureQueriesContext(connection) as queries:
        records_imported.send(Contact, actor=people["jakarta"], ids=ids, records=made)
    table = Contact._meta.db_table
    assert not [q for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]
    from_records = _entries(ids)
    assert len(from_records) == len(made)
    index_records(Contact, ids)  # the same records read back from the table
    assert _entries(ids) == from_records


def test_passed_records_are_found_only_by_those_who_may_read_them(people):
    made = _made(people["jakarta"], 3)
    records_imported.send(Contact, actor=people["jakarta"], ids=[c.pk for c in made], records=made)
    mine = {hit.id for hit in search(people["jakarta"], "importe", entities=["contact"])}
    assert mine == {c.pk for c in made}
    assert {hit.id for hit in search(people["milan"], "importe", entities=["contact"])} == set()
    assert {hit.id for hit in search(people["jakarta"], "0215550123", entities=["contact"])} >= {
        c.pk for c in made
    }


def test_records_not_matching_the_ids_are_read_back(people):
    made = _made(people["jakarta"], 4)
    ids = [c.pk for c in made]
    # A sender whose `records` do not line up with `ids`: the table is the truth.
    assert index_records(Contact, ids, records=made[:2]) == 4
    assert set(_entries(ids)) == set(ids)
