"""How an import finds the records its rows update: by the dedupe keys' own indexes first,
then only among the records the importer can see (`access.visible`)."""

from __future__ import annotations

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from trellis.customers.models import Contact
from trellis.dataio.services import import_file


def _import(actor, rows: list[list[str]]):
    text = "\n".join(",".join(row) for row in rows) + "\n"
    return import_file(
        actor, entity="contacts", stream=io.BytesIO(text.encode()), filename="people.csv"
    )


def test_a_visible_match_is_updated_when_an_invisible_record_has_the_same_email(manager, org):
    stranger = factories.user("sara", unit=org["milan"], roles=["Sales Representative"])
    hidden = Contact.objects.create(
        last_name="Hidden", email="ayu@example.com", owner_user=stranger, owning_unit=org["milan"]
    )
    mine = Contact.objects.create(
        last_name="Lestari", email="ayu@example.com", owner_user=manager, owning_unit=org["asia"]
    )

    report = _import(
        manager, [["last_name", "email", "city"], ["Lestari", "Ayu@Example.com", "Medan"]]
    )

    assert (report.created, report.updated, report.error_rows) == (0, 1, 0)
    mine.refresh_from_db()
    hidden.refresh_from_db()
    assert (mine.city, mine.version) == ("Medan", 2)
    assert (hidden.city, hidden.version) == ("", 1)


def test_the_stranger_sees_their_own_record_matched_and_not_the_managers(manager, org):
    stranger = factories.user(
        "sara", unit=org["milan"], roles=["Sales Manager"], email="sara@example.com"
    )
    hidden = Contact.objects.create(
        last_name="Lestari", email="ayu@example.com", owner_user=manager, owning_unit=org["asia"]
    )
    theirs = Contact.objects.create(
        last_name="Rossi", email="ayu@example.com", owner_user=stranger, owning_unit=org["milan"]
    )

    report = _import(
        stranger, [["last_name", "email", "city"], ["Rossi", "ayu@example.com", "Roma"]]
    )

    assert (report.created, report.updated) == (0, 1)
    theirs.refresh_from_db()
    hidden.refresh_from_db()
    assert (theirs.city, hidden.city) == ("Roma", "")


def test_rows_whose_keys_match_nothing_skip_the_access_query(manager):
    rows = [["last_name", "email"]] + [[f"Person {i}", f"p{i}@example.com"] for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        report = _import(manager, rows)

    assert report.created == 5
    sqls = [query["sql"] for query in queries]
    # The insert: INSERT on SQLite; on PostgreSQL COPY (not captured), after the ids are
    # drawn from the sequence.
    insert = next(
        i
        for i, sql in enumerate(sqls)
        if 'INSERT INTO "customers_contact"' in sql or "nextval(" in sql
    )
    # Before it: the one lookup by e-mail; it names no contact, so no access-filtered
    # read of contacts follows.
    contact_reads = [
        sql
        for sql in sqls[:insert]
        if sql.lstrip().upper().startswith("SELECT") and '"customers_contact"' in sql
    ]
    assert len(contact_reads) == 1
    assert '"customers_contact"."email" IN' in contact_reads[0]


def test_the_imported_signal_carries_the_created_records_with_their_ids(manager):
    from trellis.dataio.signals import records_imported

    heard = []

    def listener(sender, ids, records, **kwargs):
        heard.append((sender, ids, [(record.pk, record.email) for record in records]))

    records_imported.connect(listener)
    try:
        _import(manager, [["last_name", "email"], ["Lestari", "a@example.com"], ["Tan", "b@x.id"]])
    finally:
        records_imported.disconnect(listener)

    ids = sorted(Contact.objects.values_list("pk", flat=True))
    assert heard == [(Contact, ids, [(ids[0], "a@example.com"), (ids[1], "b@x.id")])]
