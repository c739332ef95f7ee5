"""Keeping the search index in step with the records (the indexer).

Saves and deletes of registered models update their entry through signals
(`receivers.py`). Bulk writes that bypass signals (`QuerySet.update`, `bulk_create`, raw
loads) call `index_records` afterwards, or run `trellis search_reindex`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, models, transaction

from trellis.search.models import SearchEntry
from trellis.search.registry import Searchable, for_model, installed, registered

BATCH = 20_000
COLUMNS = ("entity", "record_id", "title", "subtitle", "names", "text")
TRGM_INDEX = "search_entry_text_trgm"


def _row(searchable: Searchable, values: dict[str, Any]) -> tuple:
    doc = searchable.document(values)
    return (searchable.entity, values["pk"], doc.title, doc.subtitle, doc.names, doc.text)


def index_record(record: models.Model) -> None:
    """Create or refresh the entry of one record of a registered model."""
    searchable = for_model(type(record))
    if searchable is None or record.pk is None:
        return
    values = {name: getattr(record, name, None) for name in searchable.columns(type(record))}
    values["pk"] = record.pk
    _, _, title, subtitle, names, text = _row(searchable, values)
    SearchEntry.objects.update_or_create(
        entity=searchable.entity,
        record_id=record.pk,
        defaults={"title": title, "subtitle": subtitle, "names": names, "text": text},
    )


def remove_record(record: models.Model) -> None:
    """Drop the entry of a deleted record."""
    searchable = for_model(type(record))
    if searchable is not None and record.pk is not None:
        SearchEntry.objects.filter(entity=searchable.entity, record_id=record.pk).delete()


def _batches(
    searchable: Searchable, model: type[models.Model], ids: Iterable[int] | None = None
) -> Iterator[list[tuple]]:
    """Index rows in batches, read by primary-key ranges (a COPY cannot run on the
    connection while a server-side cursor is being read, so each batch is read whole)."""
    qs = model._default_manager.order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    columns = searchable.columns(model)
    last = None
    while True:
        page = qs if last is None else qs.filter(pk__gt=last)
        values = list(page.values("pk", *columns)[:BATCH])
        if not values:
            return
        yield [_row(searchable, row) for row in values]
        last = values[-1]["pk"]


def _insert(rows: list[tuple], *, copy: bool = False) -> int:
    """Bulk insert: executemany, or COPY on PostgreSQL for a full rebuild (`copy`). Small
    re-indexes stay off COPY: the caller may have another command open on the connection."""
    if not rows:
        return 0
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    with connection.cursor() as cursor:
        if copy and connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
    return len(rows)


def index_records(model: type[models.Model], ids: Iterable[int]) -> int:
    """Re-index the given records of `model` (after a bulk write); returns the count."""
    searchable = for_model(model)
    if searchable is None:
        return 0
    ids = list(ids)
    with transaction.atomic():
        SearchEntry.objects.filter(entity=searchable.entity, record_id__in=ids).delete()
        return sum(_insert(batch) for batch in _batches(searchable, model, ids))


def reindex(entities: Iterable[str] | None = None, out: Any = None) -> dict[str, int]:
    """Rebuild the index from the records, in bulk; returns the entry count per entity.

    On PostgreSQL the trigram index is dropped for the load and built once at the end,
    which is many times faster than maintaining it row by row."""
    wanted = set(entities) if entities else set(registered())
    models_ = {e: pair for e, pair in installed().items() if e in wanted}
    counts: dict[str, int] = {}
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        SearchEntry.objects.filter(entity__in=wanted).delete()
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
        for entity, (searchable, model) in sorted(models_.items()):
            counts[entity] = sum(_insert(batch, copy=True) for batch in _batches(searchable, model))
            if out:
                out(f"{entity}: {counts[entity]} indexed")
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(CREATE_TRGM_INDEX)
                cursor.execute(f"ANALYZE {SearchEntry._meta.db_table}")
    return counts


CREATE_TRGM_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON search_searchentry USING gin (text gin_trgm_ops)"
)
