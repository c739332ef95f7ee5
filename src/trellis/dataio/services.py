"""Import: rows of a CSV or XLSX file become accounts, contacts, leads or opportunities,
through the same validation and access rules as the entity's services.

The rules (also in `trellis import --help`):

* The actor needs the `import` privilege, at a depth covering the business unit of each
  record's owner (`unit`: the actor's unit, `subtree`: it and below, `org`: all).
* Each row is cleaned by the entity's own service cleaning (`clean_contact_fields`, ...);
  phones are normalized to E.164 as the services do (the typed text kept). Creating
  needs `create`; giving a record another owner than the actor (the `owner` column: a
  username, a unique e-mail address or an owner team's name) needs `assign` on it.
* Links (a contact's or opportunity's account, an opportunity's contact, a lead's or
  opportunity's campaign) name the parent by name (an e-mail for a contact) or external
  id, and are found only among the parents the actor may read: linking needs read on
  the parent, and a parent the actor cannot read is reported like one that does not
  exist. An opportunity needs an account.
* Dedupe: a row with an `external_id` updates the record the actor can see with that
  external id; otherwise (not for opportunities) a row with an `email` updates the
  visible record with that e-mail address (stored as in the file or in lower case)
  whose external id is empty or equal. Several matches is an error for the row. A match
  the actor may read but not write is an error for the row; records the actor cannot
  see are never matched (their existence must not leak), so such a row creates a new
  record. An update changes only the columns whose cells are not empty (an import
  never clears a field) and keeps `created_at`.
* Two rows of one file with the same external id or e-mail: the first is imported, the
  later ones are reported as duplicates.
* History: `created_at` and `modified_at` (ISO 8601) are kept when given (not in the
  future; modified not before created); a lead's status dates and an opportunity's
  stages become its history (`dataio.history`).
* Modes: by default the good rows are written (one transaction per batch) and the bad
  ones reported; `atomic` writes nothing unless every row is good; `dry_run` writes
  nothing and reports what would be created and updated.
* Audit: each written batch appends one `import` event without a record (entity,
  source, row range, the ids created and updated) plus one `import` event per created
  record (its snapshot, as a service's `create` event has, so the record's timeline says
  who imported it and when; `record_events=False` leaves them out) and one `update`
  event per updated record (its diff), bulk-inserted; bench/importer.py measures what
  the per-record events cost.

Created records are inserted in bulk (multi-row INSERT ... RETURNING), which sends no
`post_save`; each written batch sends `dataio.signals.records_imported(sender=Model,
actor, ids)` instead, for listeners such as a search index. Updated records are saved
one by one, so their signals fire as usual.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import operator
import sqlite3
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from trellis.access import can, visible
from trellis.access.services import owner_fields
from trellis.audit.models import AuditEvent
from trellis.core.errors import Forbidden, InvalidInput, TrellisError
from trellis.core.fields import diff, snapshot, to_jsonable
from trellis.dataio.entities import EntitySpec, Link, entity_spec, header_key, parse_when
from trellis.dataio.files import format_of, read_table, unescape_cell
from trellis.dataio.history import Plan
from trellis.dataio.signals import records_imported
from trellis.org.models import Team, TeamKind, User
from trellis.org.selectors import has_privilege, privilege_covers_unit

BATCH_SIZE = 2000
# Rows written per transaction in the default mode (a multiple of the batches planned).
WRITE_ROWS = 10_000
# SQLite page cache of an importing connection, in KiB (the default is 2 MB): each row
# is written into every index of its table, and a cache that holds the indexes' upper
# pages saves re-reading them for every batch.
SQLITE_IMPORT_CACHE_KIB = 65_536
# Service error fields that name a column under another name in a file.
FIELD_NAMES = {
    "owner_user_id": "owner",
    "owner_team_id": "owner",
    "account_id": "account",
    "contact_id": "contact_email",
    "campaign_id": "campaign",
}
# Rows the report lists at most (the counts stay exact beyond that).
MAX_REPORTED_ERRORS = 10_000


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportReport:
    entity: str
    dry_run: bool = False
    atomic: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_rows == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "dry_run": self.dry_run,
            "atomic": self.atomic,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": [error.as_dict() for error in self.errors],
            "ignored_columns": self.ignored_columns,
        }


def column_mapping(
    spec: EntitySpec, headers: list[str], overrides: dict[str, str] | None = None
) -> tuple[list[str | None], list[str]]:
    """The field each column fills (None: ignored) and the headers that were ignored.

    Headers match field names and aliases case-insensitively ("E-mail" -> email);
    `overrides` ({"column": "field"}, "" or "-" to ignore a column) take precedence."""
    wanted = {header_key(column): target for column, target in (overrides or {}).items()}
    known = {header_key(header) for header in headers}
    for column in wanted:
        if column not in known:
            raise InvalidInput.field("mapping", f"the file has no column {column!r}")
    fields: list[str | None] = []
    for header in headers:
        key = header_key(header)
        if key in wanted:
            target = (wanted[key] or "").strip()
            if target in ("", "-"):
                fields.append(None)
                continue
            if target not in spec.importable:
                raise InvalidInput.field(
                    "mapping",
                    f"{target!r} is not a field of {spec.name}; use one of "
                    f"{', '.join(spec.importable)}",
                )
            fields.append(target)
        else:
            fields.append(spec.field_for(header) if header else None)
    seen: dict[str, str] = {}
    for header, target in zip(headers, fields, strict=True):
        if target is None:
            continue
        if target in seen:
            raise InvalidInput.field(
                "mapping",
                f"columns {seen[target]!r} and {header!r} both fill {target}; "
                f"map one of them to another field or to -",
            )
        seen[target] = header
    ignored = [h for h, target in zip(headers, fields, strict=True) if target is None and h]
    return fields, ignored


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    record: Any = None
    creating: bool = True
    before: dict[str, Any] | None = None
    extra: Any = None  # what the entity's `after_insert` needs (the stage history)


# Field types whose Python value is what the database driver takes as is; the others go
# through the field's own conversion (dates, decimals, JSON).
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


class _Inserter:
    """Bulk insert of prepared, unsaved instances of one model: multi-row
    `INSERT ... RETURNING id` on SQLite, `COPY` with ids drawn from the table's sequence
    on PostgreSQL (psycopg 3).

    `bulk_create` spent most of an import converting each value through the SQL
    compiler; here each column's conversion is chosen once. The instances must be
    complete (defaults applied), as for bulk_create; no signals are sent. Ids returned
    by one INSERT are sorted: that is insertion order, as the table hands them out row
    by row."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.model = model
        self.attnames = [f.attname for f in fields]
        self.converters = [None if isinstance(f, _PLAIN_FIELDS) else f for f in fields]
        # The conversion depends on the field's type only (and its decimal places).
        self.kinds = [(f.get_internal_type(), getattr(f, "decimal_places", None)) for f in fields]
        # The columns whose values need converting; the others are read in one go.
        self.converted = [
            (index, field_, kind)
            for index, (field_, kind) in enumerate(zip(self.converters, self.kinds, strict=True))
            if field_ is not None
        ]
        self.take = _getter(self.attnames)
        # The connection itself: `django.db.connection` is a proxy that looks the
        # thread's connection up on every attribute access (an import runs in one thread).
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.use_copy = (
            self.connection.vendor == "postgresql"
            and self.connection.Database.__name__ == "psycopg"
        )
        quote = self.connection.ops.quote_name
        self.table = model._meta.db_table
        self.pk_column = model._meta.pk.column
        self.columns = [f.column for f in fields]
        self.prefix = (
            f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) VALUES "
        )
        self.suffix = f" RETURNING {quote(model._meta.pk.column)}"
        self.one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        limit = _max_params()
        self.chunk = max(1, min(2000, limit // len(fields)))
        self.index = {attname: i for i, attname in enumerate(self.attnames)}
        blank = model()
        self.blank = [
            None if value is None else (f.get_db_prep_save(value, self.connection) if f else value)
            for value, f in zip(
                (getattr(blank, name) for name in self.attnames), self.converters, strict=True
            )
        ]

    def values(self, obj: Any, memo: dict[tuple[Any, Any], Any]) -> list[Any]:
        # Read the instance's dict: `getattr` on a foreign key's `_id` goes through a
        # descriptor, a measurable cost at 35 columns times 100,000 rows.
        state = obj.__dict__
        try:
            out = list(self.take(state))
        except KeyError:  # a field not loaded: its descriptor knows
            out = [state[name] if name in state else getattr(obj, name) for name in self.attnames]
        conn = self.connection
        for index, field_, kind in self.converted:
            value = out[index]
            if value is None:
                continue
            # Created and modified are often one moment, and most JSON lists are
            # empty: convert each distinct value of a column type once.
            if isinstance(value, Hashable):
                key = (kind, value)
            elif not value and isinstance(value, list | dict):
                key = (kind, type(value))
            else:
                key = None
            if key is None:
                value = field_.get_db_prep_save(value, conn)
            elif key in memo:
                value = memo[key]
            else:
                value = memo[key] = field_.get_db_prep_save(value, conn)
            out[index] = value
        return out

    def field(self, name: str) -> models.Field:
        return self.model._meta.get_field(name)

    def row(self, **values: Any) -> list[Any]:
        """A row of database-ready values; columns not given get their database default."""
        out = list(self.blank)
        for name, value in values.items():
            out[self.index[name]] = value
        return out

    def insert_values(self, rows: list[list[Any]]) -> None:
        """Insert rows of database-ready values (in column order); no ids come back."""
        if self.use_copy:
            self._copy(self.columns, rows)
            return
        with self.connection.cursor() as cursor:
            for start in range(0, len(rows), self.chunk):
                part = rows[start : start + self.chunk]
                sql = self.prefix + ", ".join([self.one] * len(part))
                cursor.execute(sql, [value for row in part for value in row])

    def insert(self, objs: list[Any]) -> None:
        """Insert `objs` and set their primary keys."""
        if self.use_copy:
            self._copy_with_ids(objs)
        elif not self.connection.features.can_return_rows_from_bulk_insert:
            self.model.objects.bulk_create(objs, batch_size=500)
            return
        else:
            with self.connection.cursor() as cursor:
                for start in range(0, len(objs), self.chunk):
                    part = objs[start : start + self.chunk]
                    params: list[Any] = []
                    memo: dict[tuple[Any, Any], Any] = {}
                    for obj in part:
                        params.extend(self.values(obj, memo))
                    sql = self.prefix + ", ".join([self.one] * len(part)) + self.suffix
                    cursor.execute(sql, params)
                    ids = sorted(row[0] for row in cursor.fetchall())
                    for obj, pk in zip(part, ids, strict=True):
                        obj.pk = pk
        for obj in objs:
            obj._state.adding = False
            obj._state.db = self.connection.alias

    # PostgreSQL: COPY, several times faster than INSERT for thousands of rows. The ids
    # are taken from the table's own sequence first, so they are what INSERT would give.

    def _copy_with_ids(self, objs: list[Any]) -> None:
        if not objs:
            return
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [self.table, self.pk_column, len(objs)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        memo: dict[tuple[Any, Any], Any] = {}
        rows = []
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            rows.append([pk, *self.values(obj, memo)])
        self._copy([self.pk_column, *self.columns], rows)

    def _copy(self, columns: list[str], rows: list[list[Any]]) -> None:
        if not rows:
            return
        quote = self.connection.ops.quote_name
        sql = (
            f"COPY {quote(self.table)} ({', '.join(quote(column) for column in columns)}) "
            f"FROM STDIN"
        )
        with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


class _Factory:
    """New unsaved instances of one model, as `Model(**values)` builds them but without
    its per-field argument handling (a third of an import's time went there). Falls
    back to the constructor when anything listens to the model's init signals."""

    def __init__(self, model: type[models.Model], now: dt.datetime) -> None:
        self.model = model
        self.fast = not (pre_init.has_listeners(model) or post_init.has_listeners(model))
        self.constant: dict[str, Any] = {}
        self.computed: list[tuple[str, Callable[[], Any]]] = []
        self.plain: set[str] = set()
        self.relations: dict[str, models.ForeignKey] = {}
        for field_ in model._meta.concrete_fields:
            if field_.primary_key:
                self.constant[field_.attname] = None
            elif field_.default is timezone.now:
                self.constant[field_.attname] = now  # "now" is the import's moment
            elif field_.has_default() and callable(field_.default):
                self.computed.append((field_.attname, field_.default))
            else:
                self.constant[field_.attname] = field_.get_default()
            if field_.name == field_.attname:
                self.plain.add(field_.name)
            elif isinstance(field_, models.ForeignKey):
                self.relations[field_.name] = field_

    def new(self, values: dict[str, Any]) -> Any:
        if not self.fast:
            return self.model(**values)
        obj = self.model.__new__(self.model)
        state = obj.__dict__
        state.update(self.constant)
        for attname, default in self.computed:
            state[attname] = default()
        state["_state"] = ModelState()
        for name, value in values.items():
            if name in self.plain:
                state[name] = value
            else:
                self.set(obj, name, value)
        return obj

    def set(self, obj: Any, name: str, value: Any) -> None:
        """`obj.<name> = value`; a foreign key's id and cached object are set directly
        (the related descriptor's checks cost more than the rest of a row's work)."""
        relation = self.relations.get(name)
        if relation is None or (
            value is not None and not isinstance(value, relation.related_model)
        ):
            setattr(obj, name, value)
            return
        obj.__dict__[relation.attname] = (
            None if value is None else getattr(value, relation.target_field.attname)
        )
        relation.set_cached_value(obj, value)


def _getter(names: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of `names` from a dict, as a tuple, in one C call (KeyError if any is
    missing)."""
    if len(names) == 1:
        return lambda state: (state[names[0]],)
    return operator.itemgetter(*names)


def _max_params() -> int:
    """How many parameters one statement may carry on this database."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # Python < 3.11
            return 999
    return connection.features.max_query_params or 65_535


def _enlarge_sqlite_cache() -> None:
    """Give this SQLite connection the import's page cache (`SQLITE_IMPORT_CACHE_KIB`).
    It lasts as long as the connection: a request's or the command's."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            if -cursor.fetchone()[0] < SQLITE_IMPORT_CACHE_KIB:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")


def _snapshotter(model: type[models.Model]) -> Callable[[Any], dict[str, Any]]:
    """`core.fields.snapshot` for many records of one model (the fields are read once)."""
    concrete = [f for f in model._meta.concrete_fields if f.name != "password"]
    fields = [f.attname for f in concrete]
    # Only these fields hold values `to_jsonable` changes (dates, decimals); the others
    # are copied as they are.
    converted = [
        f.attname for f in concrete if isinstance(f, models.DateField | models.DecimalField)
    ]
    special = (dt.datetime, dt.date, decimal.Decimal)

    get = _getter(fields)

    def take(obj: Any) -> dict[str, Any]:
        state = obj.__dict__
        try:
            out = dict(zip(fields, get(state), strict=True))
        except KeyError:  # a field not loaded: its descriptor knows
            out = {name: state[name] if name in state else getattr(obj, name) for name in fields}
        for name in converted:
            value = out[name]
            if isinstance(value, special):
                out[name] = to_jsonable(value)
        return out

    return take


Owner = User | Team


class _Importer:
    """One import run: caches (owners, parents, access answers) live as long as it does."""

    def __init__(
        self,
        actor: User,
        spec: EntitySpec,
        report: ImportReport,
        *,
        default_owner: User | None,
        source: str,
        record_events: bool = True,
    ) -> None:
        if not has_privilege(actor, "import"):
            raise Forbidden("you may not import: your roles lack the import privilege")
        self.actor, self.spec, self.report = actor, spec, report
        self.default_owner: Owner = default_owner or actor
        self.source = source
        self.record_events = record_events
        self.now = timezone.now()
        self.keys_seen: dict[tuple[str, str], int] = {}
        self.matched: set[int] = set()
        self.owners: dict[str, Owner | None] = {}
        self.parents: dict[tuple[str, str, str], Any] = {}
        self.allowed: dict[tuple, bool] = {}
        self.covered: dict[int, bool] = {}
        self.inserters: dict[type, _Inserter] = {}
        self.events = _Inserter(AuditEvent)
        self.owner_columns: dict[tuple[type, int], Any] = {}
        # As `owner != actor` compares them (the actor may be a request's lazy user).
        self.actor_key = (actor._meta.concrete_model, actor.pk)
        self.memo: dict[Any, Any] = {}  # the entity rules' own lookups (Plan.memo)
        self.snapshot = _snapshotter(spec.model)
        self.factory = _Factory(spec.model, self.now)
        self.fields = set(spec.fields)
        self.history = set(spec.history)
        self.dedupe = tuple(name for name in spec.dedupe if hasattr(spec.model, name))
        self._check_owner(self.default_owner, "owner")

    # Errors.

    def fail(self, row: _Row, name: str, message: str) -> None:
        self.report.error_rows += 1
        if len(self.report.errors) < MAX_REPORTED_ERRORS:
            self.report.errors.append(RowError(row.number, name, message))

    # Access, cached per owner (a record not yet saved is judged by its owner alone).

    def _may(self, action: str, record: Any) -> bool:
        state = record.__dict__  # the columns are there; their descriptors cost per row
        if "owning_unit_id" in state:
            key = (action, state["owner_user_id"], state["owner_team_id"], state["owning_unit_id"])
        else:
            key = (action, record.owner_user_id, record.owner_team_id, record.owning_unit_id)
        if key not in self.allowed:
            self.allowed[key] = can(self.actor, action, record)
        return self.allowed[key]

    def _check_owner(self, owner: Owner, name: str) -> None:
        who = _who(owner)
        if owner.unit_id is None:
            raise InvalidInput.field(name, f"{who} has no business unit")
        if owner.unit_id not in self.covered:
            self.covered[owner.unit_id] = privilege_covers_unit(self.actor, "import", owner.unit)
        if not self.covered[owner.unit_id]:
            raise Forbidden.field(
                name, f"your import privilege does not reach {who}'s unit ({owner.unit.name})"
            )

    # Lookups, one query per batch for what is not known yet.

    def _load_owners(self, rows: list[_Row]) -> None:
        names = {r.values["owner"] for r in rows if r.values.get("owner")} - set(self.owners)
        if not names:
            return
        found = list(
            User.objects.select_related("unit").filter(Q(username__in=names) | Q(email__in=names))
        )
        by_username = {user.username: user for user in found}
        by_email: dict[str, list[User]] = {}
        for user in found:
            by_email.setdefault(user.email, []).append(user)
        teams: dict[str, list[Team]] = {}
        for team in Team.objects.select_related("unit").filter(name__in=names, kind=TeamKind.OWNER):
            teams.setdefault(team.name, []).append(team)
        for name in names:
            # A username names one person; an e-mail address or a team name only when
            # exactly one person or owner team has it.
            emailed = by_email.get(name, [])
            named = teams.get(name, [])
            self.owners[name] = (
                by_username.get(name)
                or (emailed[0] if len(emailed) == 1 else None)
                or (named[0] if len(named) == 1 else None)
            )

    def _load_parents(self, rows: list[_Row], link: Link) -> None:
        """The parents the batch names that the actor may read (linking needs read)."""
        wanted: dict[str, set[str]] = {}
        for kind, column in (("name", link.by_name), ("external_id", link.by_external)):
            if not column:
                continue
            keys = {r.values[column] for r in rows if r.values.get(column)}
            if kind == "name" and link.name_attr == "email":
                keys = {key.lower() for key in keys}
            wanted[kind] = {key for key in keys if (link.field, kind, key) not in self.parents}
        if not any(wanted.values()):
            return
        condition = Q(pk__in=[])
        names = wanted.get("name", set())
        if names:
            condition |= Q(**{f"{link.name_attr}__in": names})
        if wanted.get("external_id"):
            condition |= Q(external_id__in=wanted["external_id"])
        for parent in visible(self.actor, link.model, "read").filter(condition).order_by("pk"):
            name = getattr(parent, link.name_attr)
            if link.name_attr == "email":
                name = name.lower()
            for kind, key in (("name", name), ("external_id", getattr(parent, "external_id", ""))):
                if key and key in wanted.get(kind, ()):
                    known = self.parents.get((link.field, kind, key))
                    self.parents[(link.field, kind, key)] = parent if known is None else _AMBIGUOUS
        for kind, keys in wanted.items():
            for key in keys:
                self.parents.setdefault((link.field, kind, key), None)

    def _load_matches(self, rows: list[_Row]) -> dict[str, dict[str, list]]:
        """The records the batch's dedupe keys name, among those the actor can see."""
        found: dict[str, dict[str, list]] = {name: {} for name in self.dedupe}
        keys = {
            name: {r.values[name].strip() for r in rows if r.values.get(name, "").strip()}
            for name in self.dedupe
        }
        if not any(keys.values()):
            return found
        condition = Q(pk__in=[])
        if keys.get("external_id"):
            condition |= Q(external_id__in=keys["external_id"])
        emails = {email.lower() for email in keys.get("email", ())}
        if emails:
            # The indexed column, as typed or in lower case: LOWER(email) would scan the
            # whole table once per batch (quadratic over a large import).
            condition |= Q(email__in=keys["email"] | emails)
        model = self.spec.model
        ids = _unscoped_ids(model, condition)
        if not ids:
            return found
        related = ["owner_user", *(link.field for link in self.spec.links)]
        qs = visible(self.actor, model, "read").filter(pk__in=ids).select_related(*related)
        for record in qs.order_by("pk"):
            if record.external_id and record.external_id in keys.get("external_id", ()):
                found["external_id"].setdefault(record.external_id, []).append(record)
            if "email" in found and record.email.lower() in emails:
                found["email"].setdefault(record.email.lower(), []).append(record)
        return found

    # One row.

    def _duplicate_in_file(self, row: _Row) -> bool:
        keys = []
        for name in self.dedupe:
            value = row.values.get(name, "").strip()
            if value:
                keys.append((name, value.lower() if name == "email" else value))
        for key in keys:
            if key in self.keys_seen:
                name = key[0]
                self.fail(row, name, f"same {name} as row {self.keys_seen[key]}; row skipped")
                return True
        for key in keys:
            self.keys_seen[key] = row.number
        return False

    def _match(self, row: _Row, found: dict[str, dict[str, list]]) -> Any:
        external = row.values.get("external_id", "").strip()
        candidates, by = [], ""
        if external and "external_id" in found:
            candidates, by = found["external_id"].get(external, []), "external_id"
        email = row.values.get("email", "").strip().lower()
        if not candidates and email and "email" in found:
            # A record with another external id is another record, whatever its e-mail.
            candidates = [
                r for r in found["email"].get(email, []) if r.external_id in ("", external)
            ]
            by = "email"
        if not candidates:
            return None
        label = self.spec.label
        if len(candidates) > 1:
            raise InvalidInput.field(
                by,
                f"matches {len(candidates)} {self.spec.name}; add an external_id to tell them "
                f"apart",
            )
        record = candidates[0]
        if record.pk in self.matched:
            raise InvalidInput.field(by, f"{label} {record.pk} is already updated by another row")
        if not can(self.actor, "write", record):
            raise Forbidden.field(by, f"matches {label} {record.pk}, which you may not change")
        return record

    def _owner(self, row: _Row) -> Owner | None:
        name = row.values.get("owner", "").strip()
        if not name:
            return None
        owner = self.owners.get(name)
        if owner is None:
            raise InvalidInput.field("owner", f"no user or owner team {name!r}")
        self._check_owner(owner, "owner")
        return owner

    def _parent(self, row: _Row, link: Link) -> Any:
        for kind, column in (("external_id", link.by_external), ("name", link.by_name)):
            key = row.values.get(column, "").strip() if column else ""
            if not key:
                continue
            if kind == "name" and link.name_attr == "email":
                key = key.lower()
            parent = self.parents.get((link.field, kind, key))
            entity = link.model.access_entity
            if parent is None:
                raise InvalidInput.field(column, f"no {entity} {key!r} that you can see")
            if parent is _AMBIGUOUS:
                hint = f"; use {link.by_external}" if link.by_external else ""
                raise InvalidInput.field(column, f"several {entity}s are {key!r}{hint}")
            return parent
        return None

    def _fields(self, row: _Row) -> tuple[dict[str, Any], dict[str, Any]]:
        """The service fields and the history columns of `row`, parsed."""
        parse = self.spec.parse
        fields, history = {}, {}
        for name, value in row.values.items():
            if name in self.fields:
                fields[name] = parse(name, value)
            elif name in self.history:
                history[name] = parse(name, value)
        return fields, history

    def _dates(self, row: _Row) -> tuple[dt.datetime | None, dt.datetime | None]:
        created = modified = None
        if row.values.get("created_at"):
            created = parse_when(row.values["created_at"], "created_at")
        if row.values.get("modified_at"):
            modified = parse_when(row.values["modified_at"], "modified_at")
        if created and modified and modified < created:
            raise InvalidInput.field("modified_at", "must not be before created_at")
        return created, modified

    def _owner_setter(self, owner: Owner) -> list[tuple[str, Any, Any, Any]] | InvalidInput:
        """How a record gets `owner`: (column, value, relation, related object) for each
        owner column, or the error `owner_fields` gives for this owner."""
        try:
            if isinstance(owner, Team):
                columns = owner_fields(None, owner)
            else:
                columns = owner_fields(owner, None)
        except InvalidInput as exc:
            message = exc.errors[0][1] if exc.errors else exc.detail
            return InvalidInput.field("owner", message)
        setter = []
        for name, value in columns.items():
            relation = self.factory.relations.get(name)
            related = relation is not None and (
                value is None or isinstance(value, relation.related_model)
            )
            if related:
                target = None if value is None else getattr(value, relation.target_field.attname)
                setter.append((relation.attname, target, relation, value))
            else:
                setter.append((name, value, None, None))
        return setter

    def _set_owner(self, record: Any, owner: Owner) -> None:
        """The new owner, after the checks `contact_create`/`record_assign` make."""
        key = (owner._meta.concrete_model, owner.pk)
        setter = self.owner_columns.get(key)
        if setter is None:
            setter = self.owner_columns[key] = self._owner_setter(owner)
        if isinstance(setter, InvalidInput):
            raise setter
        state = record.__dict__
        # As `Factory.set` does, without looking the columns up again for every record.
        for name, value, relation, related in setter:
            if relation is None:
                setattr(record, name, value)
            else:
                state[name] = value
                relation.set_cached_value(record, related)
        if key != self.actor_key and not self._may("assign", record):
            raise Forbidden.field(
                "owner",
                f"you may not give {self.spec.name} to {_who(owner)} (you lack assign "
                f"rights for this owner)",
            )

    def plan(self, row: _Row, found: dict[str, dict[str, list]]) -> None:
        """Validate `row` and build (not save) its record; raises TrellisError when bad."""
        spec, actor = self.spec, self.actor
        existing = self._match(row, found)
        owner = self._owner(row)
        parents = [(link, self._parent(row, link)) for link in spec.links]
        created_at, modified_at = self._dates(row)
        fields, history = self._fields(row)
        clean = spec.clean(fields, creating=existing is None)
        # Phones are normalized once the record's region (its country, account, owner) is set.
        typed = {key: clean.pop(key) for key in spec.phone_fields if key in clean}
        if existing is None:
            record = self.factory.new(clean)
            # The columns themselves: a new record has no related objects cached to drop.
            record.__dict__["created_by_id"] = record.__dict__["modified_by_id"] = actor.pk
            self._set_owner(record, owner or self.default_owner)
            if not self._may("create", record):
                raise Forbidden(f"you may not create {spec.name}")
            record.created_at = created_at or self.now
            record.modified_at = modified_at or record.created_at
            for link, parent in parents:
                if parent is None and link.required:
                    raise InvalidInput.field(
                        link.by_name,
                        f"name the {link.model.access_entity} (a {link.field} is required)",
                    )
        else:
            # A copy: a row that fails half-way must leave the matched record as it was.
            record = copy.copy(existing)
            row.before = snapshot(record)
            for key, value in clean.items():
                setattr(record, key, value)
            if owner is not None and (owner.pk, isinstance(owner, Team)) != (
                record.owner_team_id or record.owner_user_id,
                record.owner_team_id is not None,
            ):
                if not can(actor, "assign", record):
                    raise Forbidden.field(
                        "owner", f"you may not assign {spec.label} {record.pk} to someone else"
                    )
                self._set_owner(record, owner)
            record.version += 1
            record.modified_by = actor
            record.modified_at = modified_at or self.now
        for link, parent in parents:
            if parent is not None:
                self.factory.set(record, link.field, parent)
        if spec.prepare is not None:
            row.extra = spec.prepare(
                Plan(
                    record=record,
                    creating=existing is None,
                    clean=clean,
                    typed=typed,
                    history=history,
                    before=row.before,
                    created_given=created_at is not None,
                    modified_given=modified_at is not None,
                    memo=self.memo,
                )
            )
        row.record, row.creating = record, existing is None
        if existing is not None:
            self.matched.add(record.pk)

    def plan_batch(self, rows: list[_Row]) -> list[_Row]:
        """The rows of a batch that are good, each with its record built."""
        fresh = [row for row in rows if not self._duplicate_in_file(row)]
        self._load_owners(fresh)
        for link in self.spec.links:
            self._load_parents(fresh, link)
        found = self._load_matches(fresh)
        good = []
        for row in fresh:
            try:
                self.plan(row, found)
            except TrellisError as exc:
                name, message = exc.errors[0] if exc.errors else ("", exc.detail)
                self.fail(row, FIELD_NAMES.get(name, name), message)
                continue
            good.append(row)
        return good

    # Writing.

    def _insert(self, objs: list[Any]) -> None:
        if objs:
            model = type(objs[0])
            if model not in self.inserters:
                self.inserters[model] = _Inserter(model)
            self.inserters[model].insert(objs)

    def write(self, rows: list[_Row]) -> None:
        """Save the planned rows of one batch with their audit events (caller's transaction)."""
        if not rows:
            return
        model, actor, spec = self.spec.model, self.actor, self.spec
        new_rows = [row for row in rows if row.creating]
        new = [row.record for row in new_rows]
        changed = [row for row in rows if not row.creating]
        self._insert(new)
        if spec.after_insert is not None:
            self._insert(spec.after_insert(actor, [(row.record, row.extra) for row in new_rows]))
        if new:
            # No post_save was sent: listeners (a search index) hear this instead.
            records_imported.send(
                model, actor=actor, ids=[record.pk for record in new], records=new
            )
        actor_repr = actor.username[:150]
        entity = spec.label
        events = self.events
        # Each created record's timeline shows that this import created it (who, when,
        # the values it got: the snapshot a service's `create` event holds). The rows are
        # written as plain values: building an AuditEvent per record cost as much as
        # the record itself.
        rows_out = []
        if self.record_events:
            base = events.values(AuditEvent(at=self.now, actor_id=actor.pk), {})
            at, actor_id = base[events.index["at"]], actor.pk
            changes = events.field("changes")
            for record in new:
                rows_out.append(
                    events.row(
                        at=at,
                        actor_id=actor_id,
                        actor_repr=actor_repr,
                        action="import",
                        entity=entity,
                        object_id=record.pk,
                        object_repr=str(record)[:200],
                        changes=changes.get_db_prep_save(self.snapshot(record), events.connection),
                    )
                )
        others = []
        for row in changed:
            row.record.save()
            others.append(
                AuditEvent(
                    at=self.now,
                    actor=actor,
                    actor_repr=actor_repr,
                    action="update",
                    entity=entity,
                    object_id=row.record.pk,
                    object_repr=str(row.record)[:200],
                    changes=diff(row.before, snapshot(row.record)),
                )
            )
        others.append(
            AuditEvent(
                at=self.now,
                actor=actor,
                actor_repr=actor_repr,
                action="import",
                entity=entity,
                object_repr=f"{self.source} rows {rows[0].number}-{rows[-1].number}"[:200],
                changes={
                    "source": self.source,
                    "rows": [rows[0].number, rows[-1].number],
                    "created": [record.pk for record in new],
                    "updated": [row.record.pk for row in changed],
                },
            )
        )
        memo: dict[tuple[Any, Any], Any] = {}
        events.insert_values(rows_out + [events.values(event, memo) for event in others])
        self.report.created += len(new)
        self.report.updated += len(changed)


_AMBIGUOUS = object()


def _unscoped_ids(model: type[models.Model], condition: Q) -> list[int]:
    """Ids of all records matching `condition` (dedupe keys), whoever may see them: never
    shown, only narrowed by `visible` afterwards. Found through the keys' own indexes;
    with the access filter in the same query PostgreSQL's planner could walk every record
    the actor may see and test each e-mail (a batch then cost as much as the table)."""
    return list(model._default_manager.filter(condition).order_by().values_list("pk", flat=True))


def _who(owner: Owner) -> str:
    return owner.name if isinstance(owner, Team) else owner.username


def _rows(
    fields: list[str | None], numbered: Iterable[tuple[int, list[str]]], report: ImportReport
) -> Iterator[_Row]:
    width = len(fields)
    for number, cells in numbered:
        values: dict[str, str] = {}
        for name, cell in zip(fields, cells[:width], strict=False):
            if name is not None and cell:
                values[name] = unescape_cell(cell.strip())
        report.rows += 1
        if not any(values.values()):
            report.skipped += 1  # a blank line
            continue
        yield _Row(number, values)


def import_rows(
    actor: User,
    *,
    entity: str,
    headers: list[str],
    rows: Iterable[tuple[int, list[str]]],
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    atomic: bool = False,
    owner: User | None = None,
    source: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
    record_events: bool = True,
) -> ImportReport:
    """Import a table (`headers`, then numbered rows of cells) as `entity` records.

    See the module docstring for the rules. Raises Forbidden without the import privilege
    and InvalidInput for a bad mapping; bad rows are reported, not raised."""
    started = time.perf_counter()
    spec = entity_spec(entity)
    report = ImportReport(entity=spec.name, dry_run=dry_run, atomic=atomic)
    fields, report.ignored_columns = column_mapping(spec, headers, mapping)
    report.columns = {h: f for h, f in zip(headers, fields, strict=True) if f is not None}
    importer = _Importer(
        actor,
        spec,
        report,
        default_owner=owner,
        source=source or "import",
        record_events=record_events,
    )
    if not dry_run:
        _enlarge_sqlite_cache()
    stream = _rows(fields, rows, report)
    planned: list[list[_Row]] = []
    pending: list[_Row] = []
    while batch := list(islice(stream, batch_size)):
        good = importer.plan_batch(batch)
        if dry_run:
            report.created += sum(1 for row in good if row.creating)
            report.updated += sum(1 for row in good if not row.creating)
        elif atomic:
            planned.append(good)
        else:
            # Planned rows are written a few batches at a time: fewer, larger
            # transactions (a commit, and on SQLite a WAL checkpoint, costs about as much
            # as planning a batch). Lookups stay per batch, where IN lists are cheap.
            pending.extend(good)
            if len(pending) >= WRITE_ROWS:
                _write_batch(importer, pending)
                pending = []
        if progress is not None:
            progress(report)
    if pending:
        _write_batch(importer, pending)
    if atomic and not dry_run and report.ok:
        try:
            with transaction.atomic():
                for good in planned:
                    importer.write(good)
        except DatabaseError as exc:
            report.created = report.updated = 0
            first = planned[0][0] if planned and planned[0] else _Row(0, {})
            importer.fail(first, "", f"the database refused the import ({exc}); nothing written")
    if atomic and not report.ok:
        report.created = report.updated = 0
    report.skipped = report.rows - report.created - report.updated
    report.seconds = time.perf_counter() - started
    return report


def _write_batch(importer: _Importer, good: list[_Row]) -> None:
    try:
        with transaction.atomic():
            importer.write(good)
    except DatabaseError as exc:
        for row in good:
            importer.fail(row, "", f"could not be saved ({exc})")


def import_file(
    actor: User,
    *,
    entity: str,
    stream: IO[bytes],
    filename: str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    atomic: bool = False,
    owner: User | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
    record_events: bool = True,
) -> ImportReport:
    """Import a .csv or .xlsx file (`stream` opened in binary mode); see `import_rows`."""
    spec = entity_spec(entity)
    if not has_privilege(actor, "import"):
        raise Forbidden("you may not import: your roles lack the import privilege")
    headers, rows = read_table(stream, format_of(filename))
    return import_rows(
        actor,
        entity=spec.name,
        headers=headers,
        rows=rows,
        mapping=mapping,
        dry_run=dry_run,
        atomic=atomic,
        owner=owner,
        source=filename,
        batch_size=batch_size,
        progress=progress,
        record_events=record_events,
    )
