"""Keeping the search index in step with the records (the indexer).

Saves and deletes of registered models update their entry through signals
(`receivers.py`). Bulk writes that bypass signals (`QuerySet.update`, `bulk_create`, raw
loads) call `index_records` afterwards, or run `trellis search_reindex`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, models, transaction
from django.db.models import OuterRef, Subquery

from trellis.org.models import BusinessUnit
from trellis.search import layout
from trellis.search.models import UNIT_IDS_SQL, SearchEntry
from trellis.search.registry import Searchable, for_model, installed, registered

BATCH = 20_000
COLUMNS = (
    "entity",
    "record_id",
    "title",
    "subtitle",
    "names",
    "text",
    "owner_user_id",
    "owner_team_id",
    "owning_unit_id",
    "unit_path",
)
# The record's access columns copied into its entry (see models.SearchEntry), and the
# owning unit's path under the name `values()` gives it.
ACCESS = ("owner_user_id", "owner_team_id", "owning_unit_id")
UNIT_PATH = "owning_unit__path"
TRGM_INDEX = "search_entry_reach_trgm"


def _row(searchable: Searchable, values: dict[str, Any]) -> tuple:
    doc = searchable.document(values)
    return (
        searchable.entity,
        values["pk"],
        doc.title,
        doc.subtitle,
        doc.names,
        doc.text,
        *(values.get(name) for name in ACCESS),
        values.get(UNIT_PATH) or "",
    )


def _access_columns(model: type[models.Model]) -> list[str]:
    present = {f.attname for f in model._meta.concrete_fields}
    wanted = [name for name in ACCESS if name in present]
    return [*wanted, UNIT_PATH] if "owning_unit_id" in wanted else wanted


def index_record(record: models.Model) -> None:
    """Create or refresh the entry of one record of a registered model."""
    searchable = for_model(type(record))
    if searchable is None or record.pk is None:
        return
    values = {name: getattr(record, name, None) for name in searchable.columns(type(record))}
    for name in ACCESS:
        values[name] = getattr(record, name, None)
    if values["owning_unit_id"] is not None:
        values[UNIT_PATH] = _unit_path(values["owning_unit_id"])
    values["pk"] = record.pk
    row = dict(zip(COLUMNS, _row(searchable, values), strict=True))
    SearchEntry.objects.update_or_create(
        entity=row.pop("entity"), record_id=row.pop("record_id"), defaults=row
    )


def _unit_path(unit_id: int) -> str:
    return BusinessUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or ""


def follow_unit_paths(unit: BusinessUnit) -> int:
    """Refresh the unit paths copied on the entries owned in `unit`'s subtree (after the
    unit moved, its subtree's paths changed in one UPDATE without signals); one UPDATE of
    only the entries whose copy differs. Returns how many changed."""
    path = BusinessUnit.objects.filter(pk=OuterRef("owning_unit_id")).values("path")[:1]
    subtree = BusinessUnit.objects.filter(path__startswith=unit.path).values("id")
    stale = SearchEntry.objects.filter(owning_unit_id__in=subtree).exclude(unit_path=Subquery(path))
    return stale.update(unit_path=Subquery(path))


def remove_record(record: models.Model) -> None:
    """Drop the entry of a deleted record."""
    searchable = for_model(type(record))
    if searchable is not None and record.pk is not None:
        SearchEntry.objects.filter(entity=searchable.entity, record_id=record.pk).delete()


def follow_owner_unit(
    new_unit_id: int, *, owner_user_id: int | None = None, owner_team_id: int | None = None
) -> int:
    """Give the entries of the records an owner (user or team) owns that owner's new
    owning unit, as one UPDATE; returns how many entries changed."""
    if owner_user_id is not None:
        entries = SearchEntry.objects.filter(owner_user_id=owner_user_id)
    elif owner_team_id is not None:
        entries = SearchEntry.objects.filter(owner_team_id=owner_team_id)
    else:
        return 0
    return entries.update(owning_unit_id=new_unit_id, unit_path=_unit_path(new_unit_id))


def _batches(
    searchable: Searchable, model: type[models.Model], ids: Iterable[int] | None = None
) -> Iterator[list[tuple]]:
    """Index rows in batches, read by primary-key ranges (a COPY cannot run on the
    connection while a server-side cursor is being read, so each batch is read whole).
    Given `ids` (a bulk write's records, usually one dense run of new keys), their range
    is read and the rows not asked for are skipped, which is cheaper than an IN list of
    thousands of parameters; scattered ids are read with IN."""
    qs = model._default_manager.order_by("pk")
    wanted: set[int] | None = None
    if ids is not None:
        wanted = set(ids)
        if not wanted:
            return
        low, high = min(wanted), max(wanted)
        if high - low < 2 * len(wanted):
            qs = qs.filter(pk__gte=low, pk__lte=high)
        else:
            qs = qs.filter(pk__in=sorted(wanted))
    columns = [*searchable.columns(model), *_access_columns(model)]
    last = None
    while True:
        page = qs if last is None else qs.filter(pk__gt=last)
        values = list(page.values("pk", *columns)[:BATCH])
        if not values:
            return
        last, full = values[-1]["pk"], len(values) == BATCH
        if wanted is not None:
            values = [row for row in values if row["pk"] in wanted]
        yield [_row(searchable, row) for row in values]
        if not full:
            return


def _insert(rows: list[tuple], *, copy: bool = True) -> int:
    """Bulk insert: COPY on PostgreSQL, executemany elsewhere (or with `copy` False)."""
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


def _delete(entries: models.QuerySet) -> int:
    """One DELETE statement. `QuerySet.delete()` would load every entry first, because a
    project-wide post_delete receiver (access) forbids Django's fast path; entries have
    no dependants and nobody listens for their deletion."""
    sql, params = entries.values("pk").query.sql_with_params()
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({sql})", params)
        return cursor.rowcount


def _rows_of(
    searchable: Searchable, model: type[models.Model], records: list[models.Model]
) -> list[tuple]:
    """Index rows from instances as just written (no read back), one query for the
    unit paths."""
    columns = [*searchable.columns(model), *_access_columns(model)]
    names = [name for name in columns if name != UNIT_PATH]
    units = {getattr(record, "owning_unit_id", None) for record in records} - {None}
    paths = dict(BusinessUnit.objects.filter(pk__in=units).values_list("pk", "path"))
    rows = []
    for record in records:
        values = {name: getattr(record, name) for name in names}
        values["pk"] = record.pk
        if UNIT_PATH in columns:
            values[UNIT_PATH] = paths.get(values["owning_unit_id"])
        rows.append(_row(searchable, values))
    return rows


def index_records(
    model: type[models.Model],
    ids: Iterable[int],
    records: list[models.Model] | None = None,
) -> int:
    """Re-index the given records of `model` (after a bulk write); returns the count.

    One DELETE of their old entries, one read of the records per batch (skipped when
    the bulk write passes its `records`, the instances as written, in the order of
    `ids`), and on PostgreSQL one COPY per batch, sorted by unit path so a unit's new
    entries share pages. The trigram index takes the new entries into its pending list
    (GIN `fastupdate`), which searches read too: they are found as soon as this commits."""
    searchable = for_model(model)
    if searchable is None:
        return 0
    ids = list(ids)
    if not ids:
        return 0
    postgres = connection.vendor == "postgresql"
    given = records is not None and [record.pk for record in records] == ids
    with transaction.atomic():
        _delete_records(searchable.entity, ids)
        count = 0
        batches = (
            [_rows_of(searchable, model, records)] if given else _batches(searchable, model, ids)
        )
        for batch in batches:
            if postgres:
                batch.sort(key=lambda row: row[-1])  # unit_path is the last column
            count += _insert(batch)
        return count


def _delete_records(entity: str, ids: list[int]) -> int:
    """Drop the entries of these records: one DELETE (ids as one array on PostgreSQL)."""
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE entity = %s AND record_id = ANY(%s::bigint[])",
                [entity, ids],
            )
            return cursor.rowcount
    return _delete(SearchEntry.objects.filter(entity=entity, record_id__in=ids))


def reindex(
    entities: Iterable[str] | None = None, out: Any = None, *, cluster: bool = False
) -> dict[str, int]:
    """Rebuild the index from the records, in bulk; returns the entry count per entity.

    On PostgreSQL the trigram index is dropped for the load and built once at the end,
    which is many times faster than maintaining it row by row (the table is locked
    meanwhile); `cluster` then rewrites the table in unit-path order
    (`layout.reorder`, which the worker otherwise does on its own when the order decays)."""
    wanted = set(entities) if entities else set(registered())
    models_ = {e: pair for e, pair in installed().items() if e in wanted}
    counts: dict[str, int] = {}
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                # Not while `layout.reorder` copies the table (it holds the same key).
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [layout.ADVISORY_KEY])
        _delete(SearchEntry.objects.filter(entity__in=wanted))
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
        for entity, (searchable, model) in sorted(models_.items()):
            counts[entity] = sum(_insert(batch) for batch in _batches(searchable, model))
            if out:
                out(f"{entity}: {counts[entity]} indexed")
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL maintenance_work_mem = '{layout.BUILD_MEMORY}'")
                cursor.execute(CREATE_TRGM_INDEX)
                cursor.execute(f"ANALYZE {SearchEntry._meta.db_table}")
    if cluster and layout.reorder(out=out) and out:
        out("search index: rewritten in unit-path order")
    return counts


# One GIN index over the unit path's list of unit ids and the trigrams of the text (see
# reach._under and migration 0002): the narrowing and the match are one index scan.
CREATE_TRGM_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON search_searchentry USING gin"
    f" (({UNIT_IDS_SQL.format('unit_path')}), text gin_trgm_ops)"
)
