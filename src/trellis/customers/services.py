"""Writes to accounts and contacts. Each checks access, runs in one transaction and is audited."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone

from trellis.access import can, visible
from trellis.access.models import Share
from trellis.access.services import (
    assign_all,
    owner_fields,
    record_assign,
    record_share,
    record_unshare,
    require,
)
from trellis.audit.services import audit_record
from trellis.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from trellis.core.fields import diff, snapshot
from trellis.customers.models import Account, Contact, SizeSegment, Tier, segment_for
from trellis.customers.signals import (
    CascadeTally,
    account_shared,
    account_unshared,
    accounts_reassigned,
)
from trellis.org.models import Team, User
from trellis.org.services import check_version

# The largest value the employees column holds on every supported database.
MAX_EMPLOYEES = 2_147_483_647

ACCOUNT_FIELDS = (
    "name",
    "industry",
    "size_segment",
    "region",
    "tier",
    "annual_revenue",
    "currency",
    "employees",
    "website",
    "phone",
    "email",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "description",
    "external_id",
)


def _clean(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    if creating or "name" in out:
        name = (out.get("name") or "").strip()
        if not name:
            raise InvalidInput.field("name", "must not be empty")
        out["name"] = name
    if "tier" in out and out["tier"] not in Tier.values:
        raise InvalidInput.field("tier", f"must be one of {', '.join(Tier.values)}")
    if out.get("size_segment") and out["size_segment"] not in SizeSegment.values:
        raise InvalidInput.field("size_segment", f"must be one of {', '.join(SizeSegment.values)}")
    if out.get("annual_revenue") not in (None, ""):
        try:
            value = Decimal(str(out["annual_revenue"]))
        except InvalidOperation:
            raise InvalidInput.field("annual_revenue", "must be a decimal number") from None
        if not value.is_finite() or value < 0 or value >= Decimal("1e14"):
            raise InvalidInput.field("annual_revenue", "must be between 0 and 10^14")
        out["annual_revenue"] = value.quantize(Decimal("0.01"))
    elif "annual_revenue" in out:
        out["annual_revenue"] = None
    if "currency" in out:
        currency = (out["currency"] or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput.field("currency", "must be a three-letter ISO 4217 code")
        out["currency"] = currency
    if "country" in out:
        country = (out["country"] or "").upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise InvalidInput.field("country", "must be a two-letter ISO 3166 code")
        out["country"] = country
    for key, value in out.items():
        limit = getattr(Account._meta.get_field(key), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise InvalidInput.field(key, f"must be at most {limit} characters")
    if out.get("employees") is not None:
        if int(out["employees"]) < 0:
            raise InvalidInput.field("employees", "must be zero or more")
        if int(out["employees"]) > MAX_EMPLOYEES:
            raise InvalidInput.field("employees", f"must be at most {MAX_EMPLOYEES}")
        if not out.get("size_segment"):
            out["size_segment"] = segment_for(int(out["employees"]))
    return out


def _check_parent(actor: User, account: Account | None, parent: Account | None) -> None:
    """Linking to a parent needs read on the parent; the parent chain must not loop."""
    if parent is None:
        return
    if not can(actor, "read", parent):
        raise NotFound.field("parent_id", f"account {parent.pk} not found")
    if account is None:
        return
    node, seen = parent, set()
    while node is not None and node.pk not in seen:
        if node.pk == account.pk:
            raise InvalidInput.field("parent_id", "an account cannot be its own ancestor")
        seen.add(node.pk)
        node = node.parent


@transaction.atomic
def account_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    parent: Account | None = None,
    **fields: Any,
) -> Account:
    """Create an account owned by the actor unless another owner is given (needs assign)."""
    if owner_user is None and owner_team is None:
        owner_user = actor
    account = Account(
        **_clean(fields, creating=True),
        parent=parent,
        **owner_fields(owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    if not can(actor, "create", account):
        raise Forbidden("you may not create accounts")
    if owner_user != actor and not can(actor, "assign", account):
        field = "owner_team_id" if owner_team is not None else "owner_user_id"
        raise Forbidden(
            "you may not create accounts owned by someone else",
            [(field, "you lack assign rights for this owner")],
        )
    _check_parent(actor, None, parent)
    account.save()
    audit_record(actor, "create", account, changes=snapshot(account))
    return account


@transaction.atomic
def account_update(
    actor: User,
    *,
    account: Account,
    version: int | None = None,
    parent: Account | None | Any = ...,
    **fields: Any,
) -> Account:
    """Change an account's fields (needs write). `version` guards against lost updates."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    require(actor, "write", account)
    check_version(account, version)
    before = snapshot(account)
    for key, value in _clean(fields, creating=False).items():
        setattr(account, key, value)
    if parent is not ...:
        _check_parent(actor, account, parent)
        account.parent = parent
    account.version += 1
    account.modified_at = timezone.now()
    account.modified_by = actor
    account.save()
    audit_record(actor, "update", account, changes=diff(before, snapshot(account)))
    return account


@transaction.atomic
def account_delete(actor: User, *, account: Account) -> None:
    require(actor, "delete", account)
    before = snapshot(account)
    pk = account.pk
    try:
        with transaction.atomic():
            account.delete()
    except ProtectedError as exc:
        kinds = sorted({obj._meta.verbose_name_plural for obj in exc.protected_objects})
        raise Conflict(
            f"account {account.name!r} still has {len(exc.protected_objects)} linked "
            f"record(s) ({', '.join(map(str, kinds))}); delete or move them first"
        ) from None
    audit_record(
        actor,
        "delete",
        None,
        entity="account",
        object_id=pk,
        object_repr=before["name"],
        changes=before,
    )


@transaction.atomic
def account_assign(
    actor: User,
    *,
    account: Account,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    cascade: bool = False,
) -> Account:
    """Give the account a new owner. With `cascade`, its child accounts, their children and
    so on move with it, and so do the active contacts of every account that moved, except
    records the actor may not assign (they keep their owner); later entities hook into the
    same option."""
    record_assign(actor, account, owner_user=owner_user, owner_team=owner_team)
    if cascade:
        moved = [account.pk]
        seen, level = {account.pk}, [account.pk]
        while level:
            children = list(
                Account.objects.filter(parent_id__in=level).exclude(pk__in=seen).order_by("pk")
            )
            seen.update(child.pk for child in children)
            level = [child.pk for child in children]
            for child in children:
                if can(actor, "assign", child):
                    record_assign(
                        actor, child, owner_user=owner_user, owner_team=owner_team, check=False
                    )
                    moved.append(child.pk)
        _carry_contacts(actor, moved, owner_user=owner_user, owner_team=owner_team)
        # Opportunities, cases and activities live in other apps; they follow through this.
        accounts_reassigned.send(
            Account, actor=actor, account_ids=moved, owner_user=owner_user, owner_team=owner_team
        )
    return account


def _carry_contacts(
    actor: User, account_ids: list[int], *, owner_user: User | None, owner_team: Team | None
) -> None:
    """Move the active contacts of `account_ids` that the actor may assign to the new owner;
    inactive ones and those the actor may not assign keep their owner."""
    contacts = (
        visible(actor, Contact, "assign")
        .filter(account_id__in=account_ids, is_active=True)
        .order_by("pk")
    )
    assign_all(actor, contacts, owner_user=owner_user, owner_team=owner_team)


@dataclass(frozen=True)
class AccountShareResult:
    """The account's own share, and how many related records a cascade shared or skipped."""

    share: Share
    children_shared: int = 0
    children_skipped: int = 0


@dataclass(frozen=True)
class AccountUnshareResult:
    """How many related records a cascading unshare cleared or skipped."""

    children_unshared: int = 0
    children_skipped: int = 0


def share_args(signal_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The share details an `account_shared` receiver passes on to `share_related`."""
    return {key: signal_kwargs[key] for key in ("user", "team", "rights", "expires_at")}


def share_related(
    actor: User,
    records: QuerySet,
    *,
    user: User | None,
    team: Team | None,
    rights: Iterable[str],
    expires_at: dt.datetime | None,
    tally: CascadeTally,
) -> None:
    """Share each of `records` as the account was shared, where the actor holds share and
    every right passed on; the others they can see are skipped and counted in `tally`."""
    model = records.model
    seen = records.filter(pk__in=visible(actor, model, "read").values("pk"))
    allowed = seen
    for right in {*rights, "share"}:
        allowed = allowed.filter(pk__in=visible(actor, model, right).values("pk"))
    shared = 0
    for record in allowed.order_by("pk"):
        record_share(actor, record, user=user, team=team, rights=rights, expires_at=expires_at)
        shared += 1
    tally.add(shared, seen.count() - shared)


def unshare_related(
    actor: User, records: QuerySet, *, user: User | None, team: Team | None, tally: CascadeTally
) -> None:
    """Remove the share with `user` or `team` from each of `records` that has one and that
    the actor may share; the others they can see are skipped and counted in `tally`."""
    model = records.model
    shares = Share.objects.filter(
        record_type=ContentType.objects.get_for_model(model), user=user, team=team
    )
    shared = records.filter(pk__in=shares.values("record_id"))
    seen = shared.filter(pk__in=visible(actor, model, "read").values("pk"))
    allowed = seen.filter(pk__in=visible(actor, model, "share").values("pk"))
    # Counted before the loop: each unshare takes its record out of `seen`.
    seen_count = seen.count()
    cleared = 0
    for record in allowed.order_by("pk"):
        record_unshare(actor, record, user=user, team=team)
        cleared += 1
    tally.add(cleared, seen_count - cleared)


@transaction.atomic
def account_share(
    actor: User,
    *,
    account: Account,
    user: User | None = None,
    team: Team | None = None,
    rights: Iterable[str] = ("read",),
    expires_at: dt.datetime | None = None,
    cascade: bool = False,
) -> AccountShareResult:
    """Share the account with a user or team (needs share; only rights the actor holds).

    With `cascade`, its contacts and its open opportunities, cases and activities are
    shared too, with the same rights and expiry. Those on which the actor lacks share or
    any of the rights keep their shares as they are: the share of the account still
    happens, and the result counts them as skipped (the usual CRM behaviour, rather than
    refusing the whole action over one record)."""
    share = record_share(actor, account, user=user, team=team, rights=rights, expires_at=expires_at)
    if not cascade:
        return AccountShareResult(share)
    tally = CascadeTally()
    related = {"user": user, "team": team, "rights": share.rights, "expires_at": expires_at}
    share_related(actor, Contact.objects.filter(account=account), **related, tally=tally)
    # Opportunities, cases and activities live in other apps; they follow through this.
    account_shared.send(Account, actor=actor, account=account, **related, tally=tally)
    return AccountShareResult(share, tally.done, tally.skipped)


@transaction.atomic
def account_unshare(
    actor: User,
    *,
    account: Account,
    user: User | None = None,
    team: Team | None = None,
    cascade: bool = False,
) -> AccountUnshareResult:
    """Stop sharing the account with a user or team (needs share).

    With `cascade`, the same person's or team's shares on its contacts, opportunities,
    cases and activities go too, open or closed (a revoke should not leave access behind
    on work that closed since it was shared); those the actor may not share are skipped
    and counted."""
    record_unshare(actor, account, user=user, team=team)
    if not cascade:
        return AccountUnshareResult()
    tally = CascadeTally()
    unshare_related(
        actor, Contact.objects.filter(account=account), user=user, team=team, tally=tally
    )
    account_unshared.send(Account, actor=actor, account=account, user=user, team=team, tally=tally)
    return AccountUnshareResult(tally.done, tally.skipped)


# Contacts.

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "email",
    "other_emails",
    "phone",
    "mobile",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "preferred_language",
    "consent_email",
    "consent_phone",
    "consent_sms",
    "is_active",
    "description",
    "external_id",
)
CONSENT_FIELDS = ("consent_email", "consent_phone", "consent_sms")
BOOLEAN_FIELDS = (*CONSENT_FIELDS, "is_active")
PHONE_FIELDS = ("phone", "mobile")
MAX_OTHER_EMAILS = 20
# A BCP 47 tag as people use them: "id", "en-GB", "zh-Hans".
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_CONTACT_FIELD_SET = frozenset(CONTACT_FIELDS)


@functools.cache
def _contact_limits() -> dict[str, int]:
    """The max_length of each text field a contact's cleaning checks, and of the phones'
    `*_raw` columns (read once: cleaning runs per row in an import)."""
    limits = {}
    for name in (*CONTACT_FIELDS, *(f"{key}_raw" for key in PHONE_FIELDS)):
        limit = getattr(Contact._meta.get_field(name), "max_length", None)
        if limit:
            limits[name] = limit
    return limits


def _country(value: str | None, field: str = "country") -> str:
    country = (value or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput.field(field, "must be a two-letter ISO 3166 code")
    return country


def _email(value: str, field: str) -> str:
    email = value.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput.field(field, f"{email!r} is not a valid email address") from None
    return email


def _clean_contact(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Validated contact fields; phones are left as typed (see `_normalize_phones`)."""
    unknown = fields.keys() - _CONTACT_FIELD_SET
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "unknown field")
    out = dict(fields)
    if creating or "last_name" in out:
        last_name = (out.get("last_name") or "").strip()
        if not last_name:
            raise InvalidInput.field("last_name", "must not be empty")
        out["last_name"] = last_name
    for key in ("first_name", "job_title", "street", "city", "state", "postal_code"):
        if key in out:
            out[key] = (out[key] or "").strip()
    for key in BOOLEAN_FIELDS:
        if key in out and not isinstance(out[key], bool):
            raise InvalidInput.field(key, "must be true or false")
    if "email" in out:
        out["email"] = _email(out["email"], "email") if (out["email"] or "").strip() else ""
    if "other_emails" in out:
        values = out["other_emails"] or []
        if isinstance(values, str) or not isinstance(values, list | tuple):
            raise InvalidInput.field("other_emails", "must be a list of email addresses")
        if len(values) > MAX_OTHER_EMAILS:
            raise InvalidInput.field("other_emails", f"at most {MAX_OTHER_EMAILS} addresses")
        emails: list[str] = []
        for value in values:
            if not isinstance(value, str):
                raise InvalidInput.field("other_emails", "must be a list of email addresses")
            if value.strip():
                email = _email(value, "other_emails")
                if email.lower() not in (known.lower() for known in emails):
                    emails.append(email)
        out["other_emails"] = emails
    limits = _contact_limits()
    for key in PHONE_FIELDS:
        if key in out:
            out[key] = (out[key] or "").strip()
            if len(out[key]) > limits[f"{key}_raw"]:
                raise InvalidInput.field(key, "is too long for a phone number")
    if "country" in out:
        out["country"] = _country(out["country"])
    if out.get("preferred_language"):
        language = out["preferred_language"].strip()
        if not LANGUAGE_TAG.match(language):
            raise InvalidInput.field(
                "preferred_language", "must be a language tag such as en, id or zh-Hans"
            )
        out["preferred_language"] = language
    elif "preferred_language" in out:
        out["preferred_language"] = ""
    for key, value in out.items():
        limit = limits.get(key)
        if limit and isinstance(value, str) and len(value) > limit:
            raise InvalidInput.field(key, f"must be at most {limit} characters")
    return out


def _phone_region(contact: Contact) -> str | None:
    """Where a number typed without a country code is dialled from: the contact's country,
    else its account's, else the owner's region when that is an ISO country code."""
    candidates = [contact.country]
    if contact.account_id:
        candidates.append(contact.account.country)
    if contact.owner_user_id:
        candidates.append(contact.owner_user.region)
    for candidate in candidates:
        code = (candidate or "").strip().upper()
        if code in phonenumbers.SUPPORTED_REGIONS:
            return code
    return None


def normalize_phone(raw: str, region: str | None, field: str) -> str:
    """`raw` in E.164 ("+622155501234"); InvalidInput naming `field` when it is no number."""
    if not raw:
        return ""
    international = raw.lstrip().startswith("+")
    if not international and region is None:
        raise InvalidInput.field(
            field,
            "start the number with + and its country code, or give the contact (or its "
            "account) a country",
        )
    e164 = _e164(_phone_key(raw), None if international else region)
    if e164 is None:
        raise InvalidInput.field(field, f"{raw!r} is not a phone number")
    if not e164:
        where = "" if international else f" in {region}"
        raise InvalidInput.field(field, f"{raw!r} is not a valid phone number{where}")
    return e164


# A number typed as digits with the separators people put between them ("+62 21-555
# 0123", "(021) 555.0123"). The parser reads such text by its digits (and a leading +)
# alone, so it is parsed, and cached, in that form: one parse for every way of typing it.
_PLAIN_PHONE = re.compile(r"\+?[0-9 ().\-]*")
_SEPARATORS = str.maketrans("", "", " ().-+")


def _phone_key(raw: str) -> str:
    """`raw` as `_e164` parses it: "+" and digits for plainly typed numbers, else as is."""
    text = raw.strip()
    if not _PLAIN_PHONE.fullmatch(text):
        return raw
    digits = text.translate(_SEPARATORS)
    # Fewer than three digits may read differently with separators; keep those as typed.
    if len(digits) < 3:
        return raw
    return "+" + digits if text.startswith("+") else digits


@functools.lru_cache(maxsize=65_536)
def _e164(raw: str, region: str | None) -> str | None:
    """The E.164 form of `raw`, "" when it parses but is not valid, None when it does not
    parse. Cached: parsing dominates bulk imports, where the same numbers (a switchboard,
    a typed placeholder) recur; the answer depends only on the two arguments."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalize_phones(contact: Contact, typed: dict[str, str]) -> None:
    """Store each typed phone as entered (`*_raw`) and in E.164."""
    region = _phone_region(contact)
    for key, raw in typed.items():
        setattr(contact, f"{key}_raw", raw)
        setattr(contact, key, normalize_phone(raw, region, key))


def _check_account(actor: User, account: Account | None) -> None:
    """Linking a contact to an account needs read on the account (DESIGN.md)."""
    if account is not None and not can(actor, "read", account):
        raise NotFound.field("account_id", f"account {account.pk} not found")


@transaction.atomic
def contact_create(
    actor: User,
    *,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    account: Account | None = None,
    **fields: Any,
) -> Contact:
    """Create a contact owned by the actor unless another owner is given (needs assign).

    Phones are normalized to E.164 (the typed text kept in `phone_raw`/`mobile_raw`);
    linking to `account` needs read on it."""
    if owner_user is None and owner_team is None:
        owner_user = actor
    clean = _clean_contact(fields, creating=True)
    typed = {key: clean.pop(key) for key in PHONE_FIELDS if key in clean}
    contact = Contact(
        **clean,
        account=account,
        **owner_fields(owner_user, owner_team),
        created_by=actor,
        modified_by=actor,
    )
    if not can(actor, "create", contact):
        raise Forbidden("you may not create contacts")
    if owner_user != actor and not can(actor, "assign", contact):
        field = "owner_team_id" if owner_team is not None else "owner_user_id"
        raise Forbidden(
            "you may not create contacts owned by someone else",
            [(field, "you lack assign rights for this owner")],
        )
    _check_account(actor, account)
    _normalize_phones(contact, typed)
    if any(getattr(contact, key) for key in CONSENT_FIELDS):
        contact.consent_updated_at = timezone.now()
    contact.save()
    audit_record(actor, "create", contact, changes=snapshot(contact))
    return contact


@transaction.atomic
def contact_update(
    actor: User,
    *,
    contact: Contact,
    version: int | None = None,
    account: Account | None | Any = ...,
    **fields: Any,
) -> Contact:
    """Change a contact's fields (needs write; a new account needs read on it). `version`
    guards against lost updates; a change of any consent flag stamps `consent_updated_at`."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    require(actor, "write", contact)
    check_version(contact, version)
    before = snapshot(contact)
    clean = _clean_contact(fields, creating=False)
    typed = {key: clean.pop(key) for key in PHONE_FIELDS if key in clean}
    for key, value in clean.items():
        setattr(contact, key, value)
    if account is not ... and account != contact.account:
        _check_account(actor, account)
        contact.account = account
    _normalize_phones(contact, typed)
    now = timezone.now()
    if any(getattr(contact, key) != before[key] for key in CONSENT_FIELDS):
        contact.consent_updated_at = now
    contact.version += 1
    contact.modified_at = now
    contact.modified_by = actor
    contact.save()
    audit_record(actor, "update", contact, changes=diff(before, snapshot(contact)))
    return contact


@transaction.atomic
def contact_delete(actor: User, *, contact: Contact) -> None:
    require(actor, "delete", contact)
    before = snapshot(contact)
    pk = contact.pk
    contact.delete()
    audit_record(
        actor,
        "delete",
        None,
        entity="contact",
        object_id=pk,
        object_repr=str(contact),
        changes=before,
    )


@transaction.atomic
def contact_assign(
    actor: User,
    *,
    contact: Contact,
    owner_user: User | None = None,
    owner_team: Team | None = None,
    cascade: bool = False,
) -> Contact:
    """Give the contact a new owner (needs assign). Contacts have no children, so
    `cascade` changes nothing; it is accepted like on every record."""
    record_assign(actor, contact, owner_user=owner_user, owner_team=owner_team)
    return contact


@transaction.atomic
def contact_share(
    actor: User,
    *,
    contact: Contact,
    user: User | None = None,
    team: Team | None = None,
    rights: Iterable[str] = ("read",),
    expires_at: dt.datetime | None = None,
) -> Share:
    """Share the contact with a user or team (needs share; only rights the actor holds)."""
    return record_share(actor, contact, user=user, team=team, rights=rights, expires_at=expires_at)


# For bulk writers (dataio's import): the same cleaning the services above apply.


def clean_account_fields(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated account fields, exactly as `account_create`/`account_update` clean them."""
    return _clean(fields, creating)


def clean_contact_fields(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated contact fields as `contact_create`/`contact_update` clean them (phones are
    left as typed: pass them to `contact_normalize_phones`)."""
    return _clean_contact(fields, creating)


def contact_normalize_phones(contact: Contact, typed: dict[str, str]) -> None:
    """Set each typed phone on `contact` as entered and in E.164, as the services do."""
    _normalize_phones(contact, typed)
