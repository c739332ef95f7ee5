"""Import: rows of a CSV or XLSX file become accounts or contacts, through the same
validation and access rules as the entity's services.

The rules (also in `trellis import --help`):

* The actor needs the `import` privilege, at a depth covering the business unit of each
  record's owner (`unit`: the actor's unit, `subtree`: it and below, `org`: all).
* Each row is cleaned by the entity's own service cleaning (`clean_contact_fields`, ...);
  phones are normalized to E.164 as `contact_create` does. Creating needs `create`;
  giving a record another owner than the actor needs `assign` on it, as in the services.
* Dedupe: a row with an `external_id` updates the record the actor can see with that
  external id; otherwise a row with an `email` updates the visible record with that
  e-mail address (stored as in the file or in lower case) whose external id is empty
  or equal. Several matches is an error for the row. A match the actor may read but
  not write is an error for the row; records the actor cannot see are never matched
  (their existence must not leak), so such a row creates a new record. An update
  changes only the columns whose cells are not empty (an import never clears a field)
  and keeps `created_at`.
* Two rows of one file with the same external id or e-mail: the first is imported, the
  later ones are reported as duplicates.
* History: `created_at` and `modified_at` (ISO 8601) are kept when given (not in the
  future; modified not before created), and `owner` (a username or e-mail) sets the owner.
* Modes: by default the good rows are written (one transaction per batch) and the bad
  ones reported; `atomic` writes nothing unless every row is good; `dry_run` writes
  nothing and reports what would be created and updated.
* Audit: each written batch appends one `import` event (entity, source, row range, the
  ids created and updated) plus one `create` event per created record (with its
  snapshot, like `contact_create`; `record_events=False` leaves them out) and one
  `update` event per updated record (its diff), bulk-inserted; bench/importer.py
  measures what the per-record events cost.

Created records are written with `bulk_create`, which sends no `post_save`; each written
batch sends `dataio.signals.records_imported(sender=Model, actor, ids)` instead, for
listeners such as a search index (`index_records(model, ids)`). Updated records are
saved one by one, so their signals fire as usual.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from trellis.access import can, visible
from trellis.access.services import owner_fields
from trellis.audit.models import AuditEvent
from trellis.core.errors import Forbidden, InvalidInput, TrellisError
from trellis.core.fields import diff, snapshot
from trellis.customers import services as customer_services
from trellis.customers.models import Account
from trellis.dataio.entities import EntitySpec, entity_spec, header_key
from trellis.dataio.files import format_of, read_table, unescape_cell
from trellis.dataio.signals import records_imported
from trellis.org.models import User
from trellis.org.selectors import has_privilege, privilege_covers_unit

BATCH_SIZE = 1000
# Service error fields that name a column under another name in a file.
FIELD_NAMES = {"owner_user_id": "owner", "owner_team_id": "owner", "account_id": "account"}
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


def _when(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value.replace("/", "-"))
    if parsed is None:
        day = parse_date(value.replace("/", "-"))
        if day is None:
            raise InvalidInput.field(
                name, f"{value!r} is not an ISO 8601 date or date-time (2021-03-04 10:00)"
            )
        parsed = dt.datetime.combine(day, dt.time())
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    record: Any = None
    creating: bool = True
    before: dict[str, Any] | None = None


class _Importer:
    """One import run: caches (owners, accounts, access answers) live as long as it does."""

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
        self.default_owner = default_owner or actor
        self.source = source
        self.record_events = record_events
        self.now = timezone.now()
        self.keys_seen: dict[tuple[str, str], int] = {}
        self.matched: set[int] = set()
        self.users: dict[str, User | None] = {}
        self.accounts: dict[tuple[str, str], Account | None | str] = {}
        self.allowed: dict[tuple, bool] = {}
        self.covered: dict[int, bool] = {}
        self._check_owner(self.default_owner, "owner")

    # Errors.

    def fail(self, row: _Row, name: str, message: str) -> None:
        self.report.error_rows += 1
        if len(self.report.errors) < MAX_REPORTED_ERRORS:
            self.report.errors.append(RowError(row.number, name, message))

    # Access, cached per owner (a record not yet saved is judged by its owner alone).

    def _may(self, action: str, record: Any) -> bool:
        key = (action, record.owner_user_id, record.owner_team_id, record.owning_unit_id)
        if key not in self.allowed:
            self.allowed[key] = can(self.actor, action, record)
        return self.allowed[key]

    def _check_owner(self, owner: User, name: str) -> None:
        if owner.unit_id is None:
            raise InvalidInput.field(name, f"{owner.username} has no business unit")
        if owner.unit_id not in self.covered:
            self.covered[owner.unit_id] = privilege_covers_unit(self.actor, "import", owner.unit)
        if not self.covered[owner.unit_id]:
            raise Forbidden.field(
                name,
                f"your import privilege does not reach {owner.username}'s unit ({owner.unit.name})",
            )

    # Lookups, one query per batch for what is not known yet.

    def _load_owners(self, rows: list[_Row]) -> None:
        names = {r.values["owner"] for r in rows if r.values.get("owner")} - set(self.users)
        if not names:
            return
        found = User.objects.select_related("unit").filter(
            Q(username__in=names) | Q(email__in=names)
        )
        by_username = {user.username: user for user in found}
        by_email: dict[str, list[User]] = {}
        for user in found:
            by_email.setdefault(user.email, []).append(user)
        for name in names:
            # A username names one person; an e-mail address only when one person has it.
            emailed = by_email.get(name, [])
            self.users[name] = by_username.get(name) or (emailed[0] if len(emailed) == 1 else None)

    def _load_accounts(self, rows: list[_Row]) -> None:
        names = {r.values["account"] for r in rows if r.values.get("account")}
        externals = {r.values[k] for r in rows for k in ("account_external_id",) if r.values.get(k)}
        names -= {key for kind, key in self.accounts if kind == "name"}
        externals -= {key for kind, key in self.accounts if kind == "external_id"}
        if not names and not externals:
            return
        found = visible(self.actor, Account, "read").filter(
            Q(name__in=names) | Q(external_id__in=externals)
        )
        for account in found.only("id", "name", "external_id", "country"):
            for kind, key, wanted in (
                ("name", account.name, names),
                ("external_id", account.external_id, externals),
            ):
                if key in wanted:
                    known = self.accounts.get((kind, key))
                    self.accounts[(kind, key)] = account if known is None else "ambiguous"
        for name in names:
            self.accounts.setdefault(("name", name), None)
        for name in externals:
            self.accounts.setdefault(("external_id", name), None)

    def _load_matches(self, rows: list[_Row]) -> tuple[dict[str, list], dict[str, list]]:
        externals = {r.values["external_id"] for r in rows if r.values.get("external_id")}
        typed = {r.values["email"].strip() for r in rows if r.values.get("email")}
        emails = {email.lower() for email in typed}
        by_external: dict[str, list] = {}
        by_email: dict[str, list] = {}
        if not externals and not emails:
            return by_external, by_email
        model = self.spec.model
        condition = Q(external_id__in=externals) if externals else Q(pk__in=[])
        if emails:
            # The indexed column, as typed or in lower case: LOWER(email) would scan the
            # whole table once per batch (quadratic over a large import).
            condition |= Q(email__in=typed | emails)
        qs = visible(self.actor, model, "read").filter(condition)
        related = ["owner_user"]
        if hasattr(model, "account"):
            related.append("account")
        for record in qs.select_related(*related).order_by("pk"):
            if record.external_id in externals:
                by_external.setdefault(record.external_id, []).append(record)
            if record.email.lower() in emails:
                by_email.setdefault(record.email.lower(), []).append(record)
        return by_external, by_email

    # One row.

    def _duplicate_in_file(self, row: _Row) -> bool:
        for name in ("external_id", "email"):
            value = row.values.get(name, "").strip()
            if not value:
                continue
            key = (name, value.lower() if name == "email" else value)
            if key in self.keys_seen:
                self.fail(row, name, f"same {name} as row {self.keys_seen[key]}; row skipped")
                return True
        for name in ("external_id", "email"):
            value = row.values.get(name, "").strip()
            if value:
                self.keys_seen[(name, value.lower() if name == "email" else value)] = row.number
        return False

    def _match(self, row: _Row, by_external: dict, by_email: dict) -> Any:
        external = row.values.get("external_id", "").strip()
        email = row.values.get("email", "").strip().lower()
        found, by = [], ""
        if external:
            found, by = by_external.get(external, []), "external_id"
        if not found and email:
            candidates = by_email.get(email, [])
            found = [r for r in candidates if r.external_id in ("", external)]
            by = "email"
        if not found:
            return None
        label = self.spec.label
        if len(found) > 1:
            raise InvalidInput.field(
                by, f"matches {len(found)} {self.spec.name}; add an external_id to tell them apart"
            )
        record = found[0]
        if record.pk in self.matched:
            raise InvalidInput.field(by, f"{label} {record.pk} is already updated by another row")
        if not can(self.actor, "write", record):
            raise Forbidden.field(by, f"matches {label} {record.pk}, which you may not change")
        return record

    def _owner(self, row: _Row) -> User | None:
        name = row.values.get("owner", "").strip()
        if not name:
            return None
        owner = self.users.get(name)
        if owner is None:
            raise InvalidInput.field("owner", f"no user {name!r}")
        self._check_owner(owner, "owner")
        return owner

    def _account(self, row: _Row) -> Account | None:
        for kind, name in (("external_id", "account_external_id"), ("name", "account")):
            key = row.values.get(name, "").strip()
            if not key:
                continue
            account = self.accounts.get((kind, key))
            if account is None:
                raise InvalidInput.field(name, f"no account {key!r} that you can see")
            if account == "ambiguous":
                raise InvalidInput.field(
                    name, f"several accounts are {key!r}; use account_external_id"
                )
            return account
        return None

    def _fields(self, row: _Row) -> dict[str, Any]:
        spec = self.spec
        return {
            name: spec.parse(name, value)
            for name, value in row.values.items()
            if name in spec.fields and value != ""
        }

    def _dates(self, row: _Row) -> tuple[dt.datetime | None, dt.datetime | None]:
        created = modified = None
        if row.values.get("created_at"):
            created = _when(row.values["created_at"], "created_at")
            if created > self.now:
                raise InvalidInput.field("created_at", "must not be in the future")
        if row.values.get("modified_at"):
            modified = _when(row.values["modified_at"], "modified_at")
            if modified > self.now:
                raise InvalidInput.field("modified_at", "must not be in the future")
        if created and modified and modified < created:
            raise InvalidInput.field("modified_at", "must not be before created_at")
        return created, modified

    def _set_owner(self, record: Any, owner: User) -> None:
        """The new owner, after the checks `contact_create`/`record_assign` make."""
        try:
            columns = owner_fields(owner, None)
        except InvalidInput as exc:
            message = exc.errors[0][1] if exc.errors else exc.detail
            raise InvalidInput.field("owner", message) from None
        for key, value in columns.items():
            setattr(record, key, value)
        if owner != self.actor and not self._may("assign", record):
            raise Forbidden.field(
                "owner",
                f"you may not give {self.spec.name} to {owner.username} (you lack assign "
                f"rights for this owner)",
            )

    def plan(self, row: _Row, by_external: dict, by_email: dict) -> None:
        """Validate `row` and build (not save) its record; raises TrellisError when bad."""
        spec, actor = self.spec, self.actor
        existing = self._match(row, by_external, by_email)
        owner = self._owner(row)
        account = self._account(row) if "account" in spec.links else None
        created_at, modified_at = self._dates(row)
        fields = self._fields(row)
        clean = spec.clean(fields, creating=existing is None)
        # Phones are normalized once the record's region (its country, account, owner) is set.
        typed = {key: clean.pop(key) for key in spec.phone_fields if key in clean}
        if existing is None:
            record = spec.model(**clean, created_by=actor, modified_by=actor)
            self._set_owner(record, owner or self.default_owner)
            if not self._may("create", record):
                raise Forbidden(f"you may not create {spec.name}")
            record.created_at = created_at or self.now
            record.modified_at = modified_at or record.created_at
        else:
            # A copy: a row that fails half-way must leave the matched record as it was.
            record = copy.copy(existing)
            row.before = snapshot(record)
            for key, value in clean.items():
                setattr(record, key, value)
            if owner is not None and owner.pk != record.owner_user_id:
                if not can(actor, "assign", record):
                    raise Forbidden.field(
                        "owner", f"you may not assign {spec.label} {record.pk} to someone else"
                    )
                self._set_owner(record, owner)
            record.version += 1
            record.modified_by = actor
            record.modified_at = modified_at or self.now
        if account is not None:
            record.account = account
        if spec.phone_fields:
            customer_services.contact_normalize_phones(record, typed)
        if spec.consent_fields:
            consent = spec.consent_fields
            if existing is None and any(getattr(record, key) for key in consent):
                record.consent_updated_at = record.created_at
            elif existing is not None and any(
                getattr(record, key) != row.before[key] for key in consent
            ):
                record.consent_updated_at = record.modified_at
        row.record, row.creating = record, existing is None
        if existing is not None:
            self.matched.add(record.pk)

    def plan_batch(self, rows: list[_Row]) -> list[_Row]:
        """The rows of a batch that are good, each with its record built."""
        fresh = [row for row in rows if not self._duplicate_in_file(row)]
        self._load_owners(fresh)
        if "account" in self.spec.links:
            self._load_accounts(fresh)
        by_external, by_email = self._load_matches(fresh)
        good = []
        for row in fresh:
            try:
                self.plan(row, by_external, by_email)
            except TrellisError as exc:
                name, message = exc.errors[0] if exc.errors else ("", exc.detail)
                self.fail(row, FIELD_NAMES.get(name, name), message)
                continue
            good.append(row)
        return good

    # Writing.

    def write(self, rows: list[_Row]) -> None:
        """Save the planned rows of one batch with their audit events (caller's transaction)."""
        if not rows:
            return
        model, actor = self.spec.model, self.actor
        new = [row.record for row in rows if row.creating]
        changed = [row for row in rows if not row.creating]
        model.objects.bulk_create(new, batch_size=500)
        if new:
            # bulk_create sends no post_save: listeners (a search index) hear this instead.
            records_imported.send(model, actor=actor, ids=[record.pk for record in new])
        actor_repr = actor.username[:150]
        entity = self.spec.label
        events = [
            AuditEvent(
                at=self.now,
                actor=actor,
                actor_repr=actor_repr,
                action="create",
                entity=entity,
                object_id=record.pk,
                object_repr=str(record)[:200],
                changes=snapshot(record),
            )
            for record in new
            if self.record_events
        ]
        for row in changed:
            row.record.save()
            events.append(
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
        events.append(
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
        AuditEvent.objects.bulk_create(events, batch_size=500)
        self.report.created += len(new)
        self.report.updated += len(changed)


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
    stream = _rows(fields, rows, report)
    planned: list[list[_Row]] = []
    while batch := list(islice(stream, batch_size)):
        good = importer.plan_batch(batch)
        if dry_run:
            report.created += sum(1 for row in good if row.creating)
            report.updated += sum(1 for row in good if not row.creating)
        elif atomic:
            planned.append(good)
        else:
            _write_batch(importer, good)
        if progress is not None:
            progress(report)
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
