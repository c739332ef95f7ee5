"""Writes that change who may reach a record: assign, share, unshare, access-team members.

Domain services (accounts, leads, ...) call these for the access part of their actions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import BigIntegerField, Case, DateTimeField, F, Value, When
from django.db.models.signals import post_save
from django.utils import timezone

from trellis.access.engine import can
from trellis.access.models import RIGHTS, SecurableModel, Share
from trellis.access.signals import record_assigned
from trellis.audit.models import AuditEvent
from trellis.audit.services import audit_record, entity_of
from trellis.core.errors import Forbidden, InvalidInput, NotFound
from trellis.org.models import AccessTeamTemplate, Team, TeamKind, User
from trellis.org.services import team_member_add, team_member_remove

logger = logging.getLogger(__name__)


def require(actor: Any, action: str, record: SecurableModel) -> None:
    """Raise NotFound when `actor` cannot read `record`, Forbidden when they cannot `action` it."""
    if not can(actor, "read", record):
        raise NotFound(f"{record.access_entity} {record.pk} not found")
    if action != "read" and not can(actor, action, record):
        raise Forbidden(f"you may read this {record.access_entity} but not {action} it")


def owner_fields(owner_user: User | None, owner_team: Team | None) -> dict[str, Any]:
    """The owner columns for a new owner, with the owning unit that follows from it."""
    if (owner_user is None) == (owner_team is None):
        raise InvalidInput(
            "give exactly one of owner_user_id and owner_team_id",
            [("owner_user_id", "give this or owner_team_id")],
        )
    if owner_user is not None:
        if not owner_user.is_active:
            raise InvalidInput.field("owner_user_id", f"{owner_user.username} is deactivated")
        if owner_user.unit_id is None:
            raise InvalidInput.field("owner_user_id", f"{owner_user.username} has no unit")
        return {"owner_user": owner_user, "owner_team": None, "owning_unit_id": owner_user.unit_id}
    if owner_team.kind != TeamKind.OWNER:
        raise InvalidInput.field("owner_team_id", "only owner teams can own records")
    return {"owner_user": None, "owner_team": owner_team, "owning_unit_id": owner_team.unit_id}


def record_assign(
    actor: Any,
    record: SecurableModel,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    check: bool = True,
    announce: bool = True,
) -> SecurableModel:
    """Give `record` a new owner (its owning unit follows). Needs `assign` on the record.

    Runs inside the caller's transaction when there is one. When the owner changed and
    `announce` is on, `record_assigned` is sent once that transaction commits."""
    with transaction.atomic():
        if check:
            require(actor, "assign", record)
        fields = owner_fields(owner_user, owner_team)
        before = {
            "owner_user_id": record.owner_user_id,
            "owner_team_id": record.owner_team_id,
            "owning_unit_id": record.owning_unit_id,
        }
        for key, value in fields.items():
            setattr(record, key, value)
        record.modified_by = actor if getattr(actor, "pk", None) else None
        record.modified_at = timezone.now()
        record.version += 1
        record.save()
        after = {
            "owner_user_id": record.owner_user_id,
            "owner_team_id": record.owner_team_id,
            "owning_unit_id": record.owning_unit_id,
        }
        audit_record(
            actor,
            "assign",
            record,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
        if announce and _owner_changed(before, after):
            _announce_on_commit(actor, [record], owner_user=owner_user, owner_team=owner_team)
        return record


def _owner_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return (before["owner_user_id"], before["owner_team_id"]) != (
        after["owner_user_id"],
        after["owner_team_id"],
    )


def _announce_on_commit(
    actor: Any, records: list[SecurableModel], *, owner_user: User | None, owner_team: Team | None
) -> None:
    """Send `record_assigned` after the commit, so nothing hears of a rolled-back assign."""
    if not records:
        return
    transaction.on_commit(
        lambda: record_assigned.send(
            type(records[0]),
            actor=actor,
            records=records,
            owner_user=owner_user,
            owner_team=owner_team,
        ),
        # A receiver that fails is logged; it cannot undo or fail the assign, already saved.
        robust=True,
    )


def assign_all(
    actor: Any,
    records: Iterable[SecurableModel],
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
) -> int:
    """Give each of `records` the new owner (a cascade). The caller passes records from
    `visible(actor, Model, "assign")`, so each is one the actor may assign; records that
    already have this owner are left alone (no empty audit events). Returns how many moved."""
    moved = []
    for record in records:
        if record.owner_user_id == getattr(owner_user, "pk", None) and (
            record.owner_team_id == getattr(owner_team, "pk", None)
        ):
            continue
        record_assign(
            actor, record, owner_user=owner_user, owner_team=owner_team, check=False, announce=False
        )
        moved.append(record)
    # One signal for the whole cascade, so its new owner hears of it once, not per record.
    _announce_on_commit(actor, moved, owner_user=owner_user, owner_team=owner_team)
    return len(moved)


def records_assign_bulk(
    actor: Any,
    assignments: Iterable[tuple[SecurableModel, User | None, Team | None]],
    *,
    announce: bool = True,
) -> int:
    """Give each record of `assignments` (record, owner_user, owner_team) its new owner
    with set-based writes, for system work that already decided (routing a batch): no
    access check. Like `record_assign`, the owning unit follows the owner, the version is
    bumped and each move is audited; unlike it, one UPDATE per model sets the owners of
    all its records (a CASE per column, `OWNERS_PER_UPDATE` owners at a time), the audit
    events are inserted together, and after the commit `record_assigned` is sent
    once per model and new owner (so each owner hears of the batch once; with `announce`
    off the caller sends them, e.g. once for several batches, with `records_announce`).
    Records that already have their new owner are left alone. Returns how many moved."""
    now = timezone.now()
    modified_by = actor if getattr(actor, "pk", None) else None
    actor_repr = (getattr(actor, "username", "") or "system")[:150]
    groups: dict[tuple[type, Any, Any], tuple[dict[str, Any], list[SecurableModel]]] = {}
    events: list[AuditEvent] = []
    with transaction.atomic():
        for record, owner_user, owner_team in assignments:
            if record.owner_user_id == getattr(owner_user, "pk", None) and (
                record.owner_team_id == getattr(owner_team, "pk", None)
            ):
                continue
            fields = owner_fields(owner_user, owner_team)
            before = (record.owner_user_id, record.owner_team_id, record.owning_unit_id)
            for key, value in fields.items():
                setattr(record, key, value)
            record.modified_by, record.modified_at = modified_by, now
            record.version += 1
            after = (record.owner_user_id, record.owner_team_id, record.owning_unit_id)
            names = ("owner_user_id", "owner_team_id", "owning_unit_id")
            events.append(
                AuditEvent(
                    # An expression makes PostgreSQL's bulk insert use VALUES rows rather
                    # than UNNEST arrays, whose Python-side quoting of JSON is slow.
                    at=Value(now, output_field=DateTimeField()),
                    actor=modified_by,
                    actor_repr=actor_repr,
                    action="assign",
                    entity=entity_of(record),
                    object_id=record.pk,
                    object_repr=str(record)[:200],
                    changes={
                        name: [old, new]
                        for name, old, new in zip(names, before, after, strict=True)
                        if old != new
                    },
                )
            )
            key = (type(record), owner_user, owner_team)
            groups.setdefault(key, (fields, []))[1].append(record)
        by_model: dict[type, list[tuple[dict[str, Any], list[SecurableModel]]]] = {}
        for (model, _user, _team), group in groups.items():
            by_model.setdefault(model, []).append(group)
        for model, owners in by_model.items():
            _update_owners(model, owners, modified_by=modified_by, now=now)
        AuditEvent.objects.bulk_create(events, batch_size=1000)
    announcements = [
        (model, records, owner_user, owner_team)
        for (model, owner_user, owner_team), (_fields, records) in groups.items()
    ]
    if announce:
        records_announce(actor, announcements)
    return len(events)


# Owners per UPDATE statement in `records_assign_bulk` (each owner adds a CASE branch).
OWNERS_PER_UPDATE = 200


def _update_owners(
    model: type,
    owners: list[tuple[dict[str, Any], list[SecurableModel]]],
    *,
    modified_by: Any,
    now: Any,
) -> None:
    """Write the new owner columns of many records: one UPDATE for up to
    `OWNERS_PER_UPDATE` owners, each column a CASE over the owners' record ids."""
    for start in range(0, len(owners), OWNERS_PER_UPDATE):
        part = owners[start : start + OWNERS_PER_UPDATE]
        ids = [record.pk for _fields, records in part for record in records]
        columns = {}
        for column, field in (
            ("owner_user_id", "owner_user"),
            ("owner_team_id", "owner_team"),
            ("owning_unit_id", "owning_unit_id"),
        ):
            values = [_pk(fields[field]) for fields, _records in part]
            if all(value is None for value in values):
                # A CASE of NULLs only has no type PostgreSQL accepts for the column.
                columns[column] = None
                continue
            whens = [
                When(
                    pk__in=[record.pk for record in records],
                    then=Value(value, output_field=BigIntegerField()),
                )
                for value, (_fields, records) in zip(values, part, strict=True)
            ]
            columns[column] = Case(*whens, output_field=BigIntegerField())
        model._default_manager.filter(pk__in=ids).update(
            **columns, modified_by=modified_by, modified_at=now, version=F("version") + 1
        )
        if post_save.has_listeners(model):
            # The UPDATE sends no post_save; receivers (a search index copying the owner
            # columns) still hear of each saved record, as with record_assign.
            for _fields, records in part:
                for record in records:
                    post_save.send(
                        sender=model, instance=record, created=False, raw=False,
                        using=record._state.db, update_fields=None,
                    )  # fmt: skip


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def records_announce(actor: Any, announcements: list[tuple[type, list, Any, Any]]) -> None:
    """Once the current transaction commits (at once outside one), send `record_assigned`
    for each (model, records, owner_user, owner_team) of a bulk assignment."""
    if announcements:
        transaction.on_commit(lambda: _announce_all(actor, announcements), robust=True)


def _announce_all(actor: Any, announcements: list[tuple[type, list, Any, Any]]) -> None:
    """Send the signals all in one transaction, so their notifications cost one commit,
    not one each; a failing receiver is logged and undoes only its own savepoint."""
    with transaction.atomic():
        for model, records, owner_user, owner_team in announcements:
            try:
                with transaction.atomic():
                    record_assigned.send(
                        model, actor=actor, records=records, owner_user=owner_user,
                        owner_team=owner_team,
                    )  # fmt: skip
            except Exception:
                logger.exception("a record_assigned receiver failed after a bulk assignment")


def _rights(rights: Iterable[str]) -> set[str]:
    chosen = set(rights)
    unknown = chosen - set(RIGHTS)
    if unknown:
        raise InvalidInput.field("rights", f"unknown right(s) {sorted(unknown)}; use {RIGHTS}")
    if not chosen:
        raise InvalidInput.field("rights", "give at least one right")
    chosen.add("read")  # every other right needs the record to be visible
    return chosen


def record_share(
    actor: Any,
    record: SecurableModel,
    *,
    user: User | None = None,
    team: Team | None = None,
    rights: Iterable[str] = ("read",),
    expires_at: dt.datetime | None = None,
) -> Share:
    """Share `record` with a user or a team. The actor needs `share` on the record and may
    pass on only rights they hold themselves. Sharing again replaces the rights."""
    with transaction.atomic():
        require(actor, "share", record)
        if (user is None) == (team is None):
            raise InvalidInput(
                "give exactly one of user_id and team_id", [("user_id", "give this or team_id")]
            )
        chosen = _rights(rights)
        lacking = sorted(right for right in chosen if not can(actor, right, record))
        if lacking:
            raise Forbidden(
                f"you cannot share rights you do not hold: {', '.join(lacking)}",
                [("rights", f"you lack {', '.join(lacking)}")],
            )
        if expires_at is not None and expires_at <= timezone.now():
            raise InvalidInput.field("expires_at", "must be in the future")
        if user is not None and not user.is_active:
            raise InvalidInput.field("user_id", f"{user.username} is deactivated")
        ct = ContentType.objects.get_for_model(record)
        share, _ = Share.objects.update_or_create(
            record_type=ct,
            record_id=record.pk,
            user=user,
            team=team,
            defaults={
                **{f"can_{right}": right in chosen for right in RIGHTS},
                "expires_at": expires_at,
                "created_by": actor,
            },
        )
        audit_record(
            actor,
            "share",
            record,
            changes={
                "with": [None, f"user:{user.username}" if user else f"team:{team.name}"],
                "rights": [None, sorted(chosen)],
                "expires_at": [None, expires_at.isoformat() if expires_at else None],
            },
        )
        return share


def record_unshare(
    actor: Any, record: SecurableModel, *, user: User | None = None, team: Team | None = None
) -> None:
    with transaction.atomic():
        require(actor, "share", record)
        if (user is None) == (team is None):
            raise InvalidInput(
                "give exactly one of user_id and team_id", [("user_id", "give this or team_id")]
            )
        ct = ContentType.objects.get_for_model(record)
        deleted, _ = Share.objects.filter(
            record_type=ct, record_id=record.pk, user=user, team=team
        ).delete()
        if not deleted:
            field = "user_id" if user else "team_id"
            raise NotFound.field(field, "the record is not shared with them")
        audit_record(
            actor,
            "unshare",
            record,
            changes={"with": [f"user:{user.username}" if user else f"team:{team.name}", None]},
        )


def default_template(entity: str) -> AccessTeamTemplate:
    template = AccessTeamTemplate.objects.filter(entity=entity).order_by("pk").first()
    if template is None:
        template = AccessTeamTemplate.objects.create(
            name=f"{entity.title()} team", entity=entity, rights=["read", "write"]
        )
    return template


def access_team_for(record: SecurableModel, template: AccessTeamTemplate) -> Team:
    """The record's access team for `template`, created (with its share) on first use."""
    ct = ContentType.objects.get_for_model(record)
    team = Team.objects.filter(
        kind=TeamKind.ACCESS, template=template, record_type=ct, record_id=record.pk
    ).first()
    if team is None:
        team = Team.objects.create(
            kind=TeamKind.ACCESS,
            template=template,
            record_type=ct,
            record_id=record.pk,
            unit_id=record.owning_unit_id,
            name=f"{template.name}: {record}"[:120],
        )
        Share.objects.create(
            record_type=ct,
            record_id=record.pk,
            team=team,
            **{f"can_{right}": right in set(template.rights) | {"read"} for right in RIGHTS},
        )
    return team


def access_team_member_add(
    actor: Any,
    record: SecurableModel,
    *,
    user: User,
    template: AccessTeamTemplate | None = None,
    expires_at: dt.datetime | None = None,
) -> Team:
    """Add `user` to the record's access team (rights from the template), optionally until
    `expires_at`. Needs `share` on the record."""
    with transaction.atomic():
        require(actor, "share", record)
        template = template or default_template(record.access_entity)
        if template.entity != record.access_entity:
            raise InvalidInput.field(
                "template_id", f"template {template.name!r} is for {template.entity} records"
            )
        lacking = sorted(r for r in set(template.rights) | {"read"} if not can(actor, r, record))
        if lacking:
            raise Forbidden(f"the template grants rights you do not hold: {', '.join(lacking)}")
        if not user.is_active:
            raise InvalidInput.field("user_id", f"{user.username} is deactivated")
        team = access_team_for(record, template)
        team_member_add(actor, team=team, user=user, expires_at=expires_at, check=False)
        return team


def access_team_member_remove(
    actor: Any, record: SecurableModel, *, user: User, template: AccessTeamTemplate | None = None
) -> None:
    with transaction.atomic():
        require(actor, "share", record)
        ct = ContentType.objects.get_for_model(record)
        teams = Team.objects.filter(kind=TeamKind.ACCESS, record_type=ct, record_id=record.pk)
        if template is not None:
            teams = teams.filter(template=template)
        team = teams.filter(memberships__user=user).first()
        if team is None:
            raise NotFound.field("user_id", f"{user.username} is not on the record's access team")
        team_member_remove(actor, team=team, user=user, check=False)
