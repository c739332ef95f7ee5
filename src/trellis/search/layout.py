"""The physical order of the search index on PostgreSQL, kept by the app.

A search reads, for every match the caller can reach, that entry's row in the table: a
manager who sees a tenth of a million contacts and types a city reads ~1,500 rows. In
insertion order those rows lie on ~1,500 pages spread over the whole table (240 MB at
1M contacts, more than a default `shared_buffers`), so most are cache misses. Stored in
unit-path order, every subtree's entries are one stretch of the table (and of each GIN
posting list), and one person's searches keep re-reading the same few megabytes.

Records arrive in any order, so the order decays. `maintain()` is a periodic job
(registered in `apps.py`, run by `trellis worker` or `trellis tick`): it measures the
order on a sample of the table's pages (`order()`: the rank correlation of physical
position and unit path, a few milliseconds), and when the table is big enough to matter
and the order has decayed below `MIN_ORDER` (about 5% of the entries rewritten since the
last reorder, measured at 1M contacts), calls `reorder()`.

`reorder()` rewrites the table online, without CLUSTER's long exclusive lock:
  1. a trigger notes the id of every entry written from now on in a log table;
  2. a copy of the table is written in unit-path order, and its indexes built (the live
     table is read, never locked against writes, meanwhile);
  3. the entries written during the copy are copied again (twice: once while writers go
     on, then under a lock that holds writers back, not readers, for the few left);
  4. the copy takes the table's place (a rename, under a lock held for milliseconds).
Only one worker runs it at a time (an advisory lock). Nothing is done on SQLite, whose
FTS5 index answers from its own structure.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError, connection, transaction

from trellis.search.models import SearchEntry

logger = logging.getLogger(__name__)

# Below this many entries the table and its index stay cached whatever their order.
MIN_ENTRIES = 50_000
# Reorder when the correlation between the table's physical order and the unit paths
# falls below this (1 = in order; entries inserted in random order give ~0).
MIN_ORDER = 0.9
# How long the final swap may wait for a lock before giving up until the next run (a long
# report reading the table must not be stuck behind the swap, nor the swap behind it).
LOCK_TIMEOUT = "5s"
# Memory for building the copy's indexes (a GIN index builds many times faster in memory).
BUILD_MEMORY = "256MB"
ADVISORY_KEY = 7_362_001  # any constant unique to this job
# Pages read to measure the order (a few milliseconds).
SAMPLE_PAGES = 300

TABLE = SearchEntry._meta.db_table
COPY = f"{TABLE}_ordered"
LOG = f"{TABLE}_written"
TRIGGER = f"{TABLE}_note_written"
FUNCTION = f"{TABLE}_note_written"


def order() -> tuple[int, float | None]:
    """(estimated entries, rank correlation of the table's physical order with the unit
    paths in byte order), measured on a sample of about `SAMPLE_PAGES` pages; (0, None)
    on other databases or an empty table. Byte order ("C") because that is the order in
    which every subtree's paths are adjacent, whatever the database's collation."""
    if connection.vendor != "postgresql":
        return 0, None
    table = _q(TABLE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint, relpages FROM pg_class WHERE oid = %s::regclass", [TABLE]
        )
        entries, pages = cursor.fetchone()
        percent = 100.0 if pages <= SAMPLE_PAGES else 100.0 * SAMPLE_PAGES / pages
        cursor.execute(
            "SELECT count(*), corr(place, rank) FROM (SELECT"
            " row_number() OVER (ORDER BY ctid) AS place,"
            ' row_number() OVER (ORDER BY unit_path COLLATE "C", id) AS rank'
            f" FROM {table} TABLESAMPLE SYSTEM (%s)) AS sample",
            [percent],
        )
        sampled, correlation = cursor.fetchone()
    if not sampled:
        return 0, None
    return max(int(entries or 0), int(sampled)), correlation


def needs_reorder() -> bool:
    entries, correlation = order()
    return entries >= MIN_ENTRIES and correlation is not None and correlation < MIN_ORDER


def maintain() -> bool:
    """The periodic job: reorder the index table when it is big and out of order. True
    when it did."""
    if not needs_reorder():
        return False
    return reorder()


def reorder(out: Any = None) -> bool:
    """Rewrite the index table in unit-path order, online (see the module notes). False
    when not on PostgreSQL, when another process is already at it, or when the final lock
    could not be had within `LOCK_TIMEOUT` (the next run tries again)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
        if not cursor.fetchone()[0]:
            return False
    try:
        _clean_up()
        _start_log()
        _write_copy()
        if out:
            out("search index: ordered copy written")
        _catch_up()
        swapped = _swap()
        if swapped:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {_q(TABLE)}")
        return swapped
    finally:
        _clean_up()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _clean_up() -> None:
    """Remove what an interrupted run left behind (or this run's log and trigger)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {_q(TRIGGER)} ON {_q(TABLE)}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {_q(FUNCTION)}()")
        cursor.execute(f"DROP TABLE IF EXISTS {_q(LOG)}, {_q(COPY)}")


def _start_log() -> None:
    # CREATE TRIGGER waits for the writers in flight; every write after it is noted.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE {_q(LOG)} (id bigint NOT NULL)")
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {_q(FUNCTION)}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF TG_OP = 'DELETE' THEN INSERT INTO {_q(LOG)} VALUES (OLD.id);"
            f" ELSE INSERT INTO {_q(LOG)} VALUES (NEW.id); END IF; RETURN NULL; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER {_q(TRIGGER)} AFTER INSERT OR UPDATE OR DELETE ON {_q(TABLE)}"
            f" FOR EACH ROW EXECUTE FUNCTION {_q(FUNCTION)}()"
        )


def _indexes(cursor: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The live table's (constraint name, definition) for its primary key and unique
    constraints, and (index name, CREATE INDEX statement) for its other indexes."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), conindid FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY conname",
        [TABLE],
    )
    constraints = cursor.fetchall()
    backing = [index_oid for _name, _sql, index_oid in constraints]
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass AND NOT (i.indexrelid = ANY(%s)) ORDER BY c.relname",
        [TABLE, backing],
    )
    return [(name, sql) for name, sql, _oid in constraints], cursor.fetchall()


def _temporary(name: str) -> str:
    return f"{name[:50]}_ord"


def _write_copy() -> None:
    """The ordered copy with its own indexes and constraints under temporary names."""
    table, copy = _q(TABLE), _q(COPY)
    with transaction.atomic(), connection.cursor() as cursor:
        constraints, indexes = _indexes(cursor)
        cursor.execute(
            f"CREATE TABLE {copy} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
            " INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION)"
        )
        cursor.execute(f"SET LOCAL work_mem = '{BUILD_MEMORY}'")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        cursor.execute(
            f'INSERT INTO {copy} SELECT * FROM {table} ORDER BY unit_path COLLATE "C", id'
        )
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {copy} ADD CONSTRAINT {_q(_temporary(name))} {definition}")
        for name, statement in indexes:
            head, _on, rest = statement.partition(" ON ")
            # "CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING ..."
            _schema_table, _, method = rest.partition(" USING ")
            head = head[: -len(name)] if head.endswith(name) else head.rsplit(" ", 1)[0] + " "
            cursor.execute(f"{head}{_q(_temporary(name))} ON {copy} USING {method}")


def _copy_again(cursor: Any, *, take: bool) -> None:
    """Bring the copy's entries noted in the log in step with the live table: those written
    since the copy began. `take` removes the ids it handles from the log (a write not yet
    committed is not seen, so it stays for the next pass)."""
    table, copy, log = _q(TABLE), _q(COPY), _q(LOG)
    cursor.execute("CREATE TEMPORARY TABLE search_written_ids (id bigint)")
    if take:
        cursor.execute(
            f"WITH taken AS (DELETE FROM {log} RETURNING id)"
            " INSERT INTO search_written_ids SELECT DISTINCT id FROM taken"
        )
    else:
        cursor.execute(f"INSERT INTO search_written_ids SELECT DISTINCT id FROM {log}")
    cursor.execute(f"DELETE FROM {copy} WHERE id IN (SELECT id FROM search_written_ids)")
    cursor.execute(
        f"INSERT INTO {copy} SELECT * FROM {table} WHERE id IN (SELECT id FROM search_written_ids)"
    )
    cursor.execute("DROP TABLE search_written_ids")


def _catch_up() -> None:
    """Copy again the entries written since the copy began, while writers go on. A write
    not yet committed stays in the log for the swap."""
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_again(cursor, take=True)


def _swap() -> bool:
    table, copy = _q(TABLE), _q(COPY)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            constraints, indexes = _indexes(cursor)
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            # Writers wait from here; searches go on until the rename.
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            _copy_again(cursor, take=False)
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
            old_sequence = cursor.fetchone()[0]
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [COPY])
            new_sequence = cursor.fetchone()[0]
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            if old_sequence and new_sequence:
                cursor.execute(f"SELECT last_value FROM {old_sequence}")
                cursor.execute("SELECT setval(%s, %s)", [new_sequence, cursor.fetchone()[0]])
            cursor.execute(f"DROP TABLE {table}")
            cursor.execute(f"ALTER TABLE {copy} RENAME TO {table}")
            for name, _definition in constraints:
                cursor.execute(
                    f"ALTER TABLE {table} RENAME CONSTRAINT {_q(_temporary(name))} TO {_q(name)}"
                )
            for name, _statement in indexes:
                cursor.execute(f"ALTER INDEX {_q(_temporary(name))} RENAME TO {_q(name)}")
            if old_sequence and new_sequence:
                bare = old_sequence.rsplit(".", 1)[-1]
                cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {bare}")
    except OperationalError as exc:
        # A lock not had in time leaves the live table as it was.
        logger.warning("search index reorder gave up at the swap: %s", exc)
        return False
    return True
