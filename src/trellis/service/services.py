"""Writes to cases. Each checks access, runs in one transaction, bumps the version and is
audited.

The status moves along `models.TRANSITIONS`. `case_update` makes the working moves
(`in_progress`, `waiting`); resolving, closing and reopening are their own services because
they carry a resolution, a satisfaction score or a reason. A move the status does not allow
answers 409 (Conflict) naming `status`.

`first_response_at` is set on the case's first move out of `new`, whichever it is
(starting work, waiting on the customer or resolving at once): answering the customer is
what moves a case on, so no separate "respond" action is needed. It is never cleared.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.access import can
from trellis.access.services import owner_fields, record_assign, require
from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trellis.core.fields import diff, snapshot
from trellis.customers.models import Account, Contact
from trellis.org.models import Team, User
from trellis.org.services import check_version
from trellis.service.models import (
    DONE_STATUSES,
    TRANSITIONS,
    Case,
    CaseStatusChange,
    CaseType,
    Channel,
    Priority,
    Status,
)

NUMBER_PREFIX = "CS-"
# Fields a caller sets directly; status goes through `_move`, links through their checks.
CASE_FIELDS = (
    "subject",
    "description",
    "type",
    "priority",
    "channel",
    "product_name",
    "product_id",
    "external_id",
)
CHOICES = {"type": CaseType, "priority": Priority, "channel": Channel}
# Statuses `case_update` may move to; the others have their own services.
WORKING_STATUSES = (Status.IN_PROGRESS, Status.WAITING)
MAX_PRODUCT_ID = 2**63 - 1


def case_number(pk: int) -> str:
    return f"{NUMBER_PREFIX}{pk:06d}"


def _clean(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    if creating or "subject" in out:
        subject = (out.get("subject") or "").strip()
        if not subject:
            raise InvalidInput.field("subject", "must not be empty")
        out["subject"] = subject
    for name, choices in CHOICES.items():
        if name in out and out[name] not in choices.values:
            raise InvalidInput.field(name, f"must be one of {', '.join(choices.values)}")
    if out.get("product_id") is not None:
        try:
            product_id = int(out["product_id"])
        except (TypeError, ValueError):
            raise InvalidInput.field("product_id", "must be an integer") from None
        if not 1 <= product_id <= MAX_PRODUCT_ID:
            raise InvalidInput.field("product_id", "must be a positive 64-bit integer")
        out["product_id"] = product_id
    for key, value in out.items():
        limit = getattr(Case._meta.get_field(key), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise InvalidInput.field(key, f"must be at most {limit} characters")
    return out


def case_clean(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated case fields (`CASE_FIELDS`), as `case_create`/`case_update` clean them
    (for callers that build cases themselves, such as an import)."""
    return _clean(fields, creating)


def case_check_satisfaction(case: Case, satisfaction: Any) -> int | None:
    """A satisfaction score as the case services accept it: a whole number from 1 to 5,
    on a resolved or closed case only (None passes)."""
    return _check_satisfaction(case, satisfaction)


def _check_links(actor: User, *, account: Account | None, contact: Contact | None) -> None:
    """Linking needs read on the account and contact; one the actor cannot read answers
    like a missing one. A contact of another account than the case's is refused."""
    if account is not None and not can(actor, "read", account):
        raise NotFound.field("account_id", f"account {account.pk} not found")
    if contact is not None and not can(actor, "read", contact):
        raise NotFound.field("contact_id", f"contact {contact.pk} not found")
    if (
        account is not None
        and contact is not None
        and contact.account_id is not None
        and contact.account_id != account.pk
    ):
        raise InvalidInput.field("contact_id", "this contact belongs to another account")


def _check_satisfaction(case: Case, satisfaction: Any) -> int | None:
    if satisfaction is None:
        return None
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int):
        raise InvalidInput.field("satisfaction", "must be a whole number from 1 to 5")
    if not 1 <= satisfaction <= 5:
        raise InvalidInput.field("satisfaction", "must be from 1 to 5")
    if case.status not in DONE_STATUSES:
        raise Conflict.field(
            "satisfaction", f"can be given only once the case is resolved (it is {case.status})"
        )
    return satisfaction


def _move(actor: User, case: Case, to_status: str, *, note: str = "") -> None:
    """Move `case` (locked by the caller) to `to_status`, keeping the timestamps and the
    history in step. Refuses moves the current status does not allow."""
    allowed = TRANSITIONS.get(case.status, ())
    if to_status not in allowed:
        where = ", ".join(allowed) or "nowhere"
        raise Conflict.field(
            "status", f"a {case.status} case cannot move to {to_status} (it can move to {where})"
        )
    now = timezone.now()
    if case.first_response_at is None:
        case.first_response_at = now
    if to_status == Status.RESOLVED:
        case.resolved_at = now
    elif to_status == Status.CLOSED:
        case.closed_at = now
    elif case.status in DONE_STATUSES:
        # Reopened: the case is open again, so the earlier outcome no longer holds.
        case.resolved_at = None
        case.closed_at = None
        case.satisfaction = None
    CaseStatusChange.objects.create(
        case=case,
        from_status=case.status,
        to_status=to_status,
        changed_by=actor if getattr(actor, "pk", None) else None,
        changed_at=now,
        note=note,
    )
    case.status = to_status


def _locked(case: Case, actor: User, action: str, version: int | None) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    require(actor, action, case)
    check_version(case, version)
    return case


def _save(actor: User, case: Case, action: str, before: dict[str, Any]) -> Case:
    case.version += 1
    case.modified_at = timezone.now()
    case.modified_by = actor
    case.save()
    audit_record(actor, action, case, changes=diff(before, snapshot(case)))
    return case


@transaction.atomic
def case_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    account: Account | None = None,
    contact: Contact | None = None,
    **fields: Any,
) -> Case:
    """Open a new case (status `new`), owned by the actor unless another owner is given
    (that needs assign). It gets its number ("CS-000123") in the same transaction."""
    routed = owner_user is None and owner_team is None
    if routed:
        owner_user = actor
    case = Case(
        **_clean(fields, creating=True),
        account=account,
        contact=contact,
        status=Status.NEW,
        **owner_fields(owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    if not can(actor, "create", case):
        raise Forbidden("you may not create cases")
    if owner_user != actor and not can(actor, "assign", case):
        field = "owner_team_id" if owner_team is not None else "owner_user_id"
        raise Forbidden(
            "you may not create cases owned by someone else",
            [(field, "you lack assign rights for this owner")],
        )
    _check_links(actor, account=account, contact=contact)
    case.created_at = case.modified_at = timezone.now()
    case.save()
    # The number follows from the id, which the database gives on insert; until the
    # update below (same transaction) the column is NULL, which UNIQUE allows.
    case.number = case_number(case.pk)
    Case.objects.filter(pk=case.pk).update(number=case.number)
    CaseStatusChange.objects.create(
        case=case,
        from_status="",
        to_status=Status.NEW,
        changed_by=actor,
        changed_at=case.created_at,
    )
    audit_record(actor, "create", case, changes=snapshot(case))
    if routed:
        # No owner given: the routing rules decide (a system decision, see routing.services).
        from trellis.routing.services import route_new

        route_new(actor, case)
    return case


@transaction.atomic
def case_update(
    actor: User,
    *,
    case: Case,
    version: int | None = None,
    account: Account | None | Any = ...,
    contact: Contact | None | Any = ...,
    status: str | None = None,
    resolution: str | None = None,
    satisfaction: int | None | Any = ...,
    **fields: Any,
) -> Case:
    """Change a case's fields (needs write); `version` guards against lost updates.

    `status` may move the case to `in_progress` or `waiting`; resolve, close and reopen
    with their own services. `resolution` may be corrected and `satisfaction` given only
    on a resolved or closed case."""
    case = _locked(case, actor, "write", version)
    before = snapshot(case)
    for key, value in _clean(fields, creating=False).items():
        setattr(case, key, value)
    if account is not ... or contact is not ...:
        # Only the links being changed must be readable; one left as it is may point at a
        # record the editor cannot see.
        _check_links(
            actor,
            account=None if account is ... else account,
            contact=None if contact is ... else contact,
        )
        new_account = case.account if account is ... else account
        new_contact = case.contact if contact is ... else contact
        if (
            new_account is not None
            and new_contact is not None
            and new_contact.account_id not in (None, new_account.pk)
        ):
            raise InvalidInput.field("contact_id", "this contact belongs to another account")
        case.account, case.contact = new_account, new_contact
    if resolution is not None:
        if case.status not in DONE_STATUSES:
            raise Conflict.field("resolution", "can be changed only on a resolved or closed case")
        case.resolution = resolution.strip()
    if satisfaction is not ...:
        case.satisfaction = _check_satisfaction(case, satisfaction)
    if status is not None and status != case.status:
        if status in WORKING_STATUSES and case.status in DONE_STATUSES:
            raise Conflict.field(
                "status", f"a {case.status} case goes back to work with the reopen action"
            )
        if status in (Status.RESOLVED, Status.CLOSED):
            raise Conflict.field(
                "status", f"use the {'resolve' if status == Status.RESOLVED else 'close'} action"
            )
        if status not in WORKING_STATUSES:
            raise InvalidInput.field(
                "status",
                f"may be set to {' or '.join(WORKING_STATUSES)} (a case never goes back to new)",
            )
        _move(actor, case, status)
    return _save(actor, case, "update", before)


@transaction.atomic
def case_set_status(actor: User, *, case: Case, status: str, version: int | None = None) -> Case:
    """Move the case to `in_progress` or `waiting` (the working statuses)."""
    return case_update(actor, case=case, status=status, version=version)


@transaction.atomic
def case_resolve(actor: User, *, case: Case, resolution: str, version: int | None = None) -> Case:
    """Resolve an open case with what was done about it (needs write)."""
    case = _locked(case, actor, "write", version)
    text = (resolution or "").strip()
    if not text:
        raise InvalidInput.field("resolution", "say how the case was resolved")
    before = snapshot(case)
    _move(actor, case, Status.RESOLVED, note=text)
    case.resolution = text
    return _save(actor, case, "resolve", before)


@transaction.atomic
def case_close(
    actor: User, *, case: Case, satisfaction: int | None = None, version: int | None = None
) -> Case:
    """Close a resolved case, optionally with the customer's satisfaction (1-5)."""
    case = _locked(case, actor, "write", version)
    before = snapshot(case)
    _move(actor, case, Status.CLOSED)
    if satisfaction is not None:
        case.satisfaction = _check_satisfaction(case, satisfaction)
    return _save(actor, case, "close", before)


@transaction.atomic
def case_reopen(actor: User, *, case: Case, reason: str, version: int | None = None) -> Case:
    """Take a resolved or closed case back to `in_progress`, saying why (needs write).
    Its resolved/closed times and satisfaction are cleared; the history keeps them."""
    case = _locked(case, actor, "write", version)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput.field("reason", "say why the case is reopened")
    if case.status not in DONE_STATUSES:
        raise Conflict.field(
            "status", f"only a resolved or closed case can be reopened (it is {case.status})"
        )
    before = snapshot(case)
    _move(actor, case, Status.IN_PROGRESS, note=text)
    return _save(actor, case, "reopen", before)


@transaction.atomic
def case_set_satisfaction(
    actor: User, *, case: Case, satisfaction: int | None, version: int | None = None
) -> Case:
    """Record (or clear, with None) the customer's satisfaction on a resolved or closed case."""
    case = _locked(case, actor, "write", version)
    before = snapshot(case)
    if satisfaction is None and case.status not in DONE_STATUSES:
        raise Conflict.field("satisfaction", "the case is not resolved")
    case.satisfaction = _check_satisfaction(case, satisfaction)
    return _save(actor, case, "set_satisfaction", before)


@transaction.atomic
def case_delete(actor: User, *, case: Case) -> None:
    """Delete a case and its status history (needs delete); the audit trail keeps it."""
    require(actor, "delete", case)
    before = snapshot(case)
    pk = case.pk
    case.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="case",
        object_id=pk,
        object_repr=f"{before['number']} {before['subject']}",
        changes=before,
    )


@transaction.atomic
def case_assign(
    actor: User,
    *,
    case: Case,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    cascade: bool = False,
) -> Case:
    """Give the case a new owner (needs assign). Cases have no children: `cascade` is
    accepted for the shared assign action and changes nothing."""
    return record_assign(actor, case, owner_user=owner_user, owner_team=owner_team)
