"""Export: the rows of a list the actor can see, ready to write as CSV or XLSX.

An export is the entity's list selector (which starts from `access.visible`) with the
list's own filters, so it holds exactly the records the list shows; it needs the
`export` privilege on top.

Import jobs are seen by the person who uploaded the file only (they hold a report
about rows of their file; the records it wrote follow the normal access rules).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef

from trellis.access import visible
from trellis.core.errors import Forbidden, NotFound
from trellis.customers.models import Account
from trellis.dataio.entities import EntitySpec, entity_spec
from trellis.dataio.models import ImportJob
from trellis.org.models import User
from trellis.org.selectors import has_privilege

CHUNK = 2000
# Columns after the entity's own fields: who owns it and the bookkeeping.
TRAILING = ("owner", "owner_team", "owning_unit", "created_at", "modified_at", "version")


def _has_account(spec: EntitySpec) -> bool:
    return any(link.field == "account" for link in spec.links)


def export_columns(spec: EntitySpec) -> list[str]:
    links = ["account", "account_external_id"] if _has_account(spec) else []
    return ["id", *spec.fields, *links, *TRAILING]


def _row(spec: EntitySpec, record: Any) -> list[Any]:
    values: list[Any] = [record.pk]
    for name in spec.fields:
        value = getattr(record, name)
        if name in spec.phone_fields:
            value = value or getattr(record, f"{name}_raw")
        if isinstance(value, list):
            value = "; ".join(map(str, value))
        values.append(value)
    if _has_account(spec):
        # An account's name is shown only to those who may read the account.
        account = record.account if getattr(record, "account_visible", False) else None
        values += [account.name if account else "", account.external_id if account else ""]
    values += [
        record.owner_user.username if record.owner_user_id else "",
        record.owner_team.name if record.owner_team_id else "",
        record.owning_unit.name,
        record.created_at,
        record.modified_at,
        record.version,
    ]
    return values


def export_rows(
    actor: User, *, entity: str, q: str = "", **filters: Any
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows of `entity` the actor can see, narrowed like its list.

    Forbidden without the export privilege."""
    spec = entity_spec(entity)
    if not has_privilege(actor, "export"):
        raise Forbidden("you may not export: your roles lack the export privilege")
    qs = spec.selector(actor, q=q, **filters).order_by("pk")
    if _has_account(spec) and "account_visible" not in qs.query.annotations:
        # The account's name and external id are written only where the actor may read
        # the account (the contact list marks this itself).
        readable = visible(actor, Account).filter(pk=OuterRef("account_id"))
        qs = qs.annotate(account_visible=Exists(readable))

    def rows() -> Iterator[list[Any]]:
        for record in qs.iterator(chunk_size=CHUNK):
            yield _row(spec, record)

    return export_columns(spec), rows()


def import_job_get(actor: User, job_id: int) -> ImportJob:
    """One of the actor's import jobs; NotFound for anyone else's or a missing id alike."""
    job = ImportJob.objects.filter(pk=job_id, created_by_id=actor.pk).defer("content").first()
    if job is None:
        raise NotFound(f"import {job_id} not found")
    return job


def import_job_list(actor: User, *, limit: int = 10) -> list[ImportJob]:
    """The actor's latest import jobs, newest first."""
    return list(ImportJob.objects.filter(created_by_id=actor.pk).defer("content")[:limit])
