"""Bulk actions on the record lists: assign, share and export the rows a person ticked.

One generic action serves the leads, opportunities, cases, accounts and contacts lists;
a `BulkList` says which model a list shows and which entity services assign and share
its records. Each action:

* finds the ticked ids through `access.visible`, so an id the person may not read (or
  that does not exist) is only counted as "not allowed", never named;
* runs in one transaction, in id order (rows are locked in one fixed order); each record
  goes through its entity's own service in a savepoint of its own, so a refused record
  writes nothing while the others go through;
* reports how many succeeded and names the refused records the person can see.

Leads and cases are assigned through routing's manual assignment, which keeps the reason
given with the assignment decision; for the other entities the reason is written to the
audit trail next to the assign event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from trellis.access import scope_for, visible
from trellis.access.models import SecurableModel
from trellis.access.services import record_assign, record_share
from trellis.audit.services import audit_record
from trellis.core.errors import Forbidden, InvalidInput, TrellisError
from trellis.customers import services as customer_services
from trellis.customers.models import Account, Contact
from trellis.dataio.exporting import download
from trellis.org.models import Team, TeamKind, User
from trellis.org.roles import NONE
from trellis.org.selectors import has_privilege
from trellis.routing.services import assignment_make
from trellis.sales.models import Lead, Opportunity
from trellis.service.models import Case
from trellis.web.forms import RIGHT_LABELS, TrellisFormMixin, UserChoiceField, active_users

# Ticked rows per action: a few pages' worth. More is a job for the import/export tools.
MAX_BULK = 200
ACTIONS = ("assign", "share", "export")
SHARE_RIGHTS = ("read", "write")
OWNER_COLUMNS = ("owner", "owner_team", "owning_unit", "modified_at")


# What each list's records need --------------------------------------------------------


def _keep_reason(actor: User, record: SecurableModel, reason: str) -> None:
    """The assign services of these entities take no reason; keep it in an event of its
    own next to their assign event."""
    if reason:
        audit_record(actor, "assign_reason", record, changes={"reason": reason})


def _assign_plain(actor: User, record: SecurableModel, *, user: Any, team: Any, reason: str):
    record_assign(actor, record, owner_user=user, owner_team=team)
    _keep_reason(actor, record, reason)


def _assign_routed(actor: User, record: SecurableModel, *, user: Any, team: Any, reason: str):
    # Routing's manual assignment stores the reason with the decision ("why did Bob get
    # this?"), as the assign action of the lead and case pages does.
    assignment_make(actor, record=record, owner_user=user, owner_team=team, reason=reason)


def _assign_account(actor: User, record: Account, *, user: Any, team: Any, reason: str):
    customer_services.account_assign(actor, account=record, owner_user=user, owner_team=team)
    _keep_reason(actor, record, reason)


def _assign_contact(actor: User, record: Contact, *, user: Any, team: Any, reason: str):
    customer_services.contact_assign(actor, contact=record, owner_user=user, owner_team=team)
    _keep_reason(actor, record, reason)


def _share_plain(actor: User, record: SecurableModel, *, user: Any, team: Any, rights: list):
    record_share(actor, record, user=user, team=team, rights=rights)


def _share_account(actor: User, record: Account, *, user: Any, team: Any, rights: list):
    customer_services.account_share(actor, account=record, user=user, team=team, rights=rights)


def _share_contact(actor: User, record: Contact, *, user: Any, team: Any, rights: list):
    customer_services.contact_share(actor, contact=record, user=user, team=team, rights=rights)


@dataclass(frozen=True)
class BulkList:
    """One list that offers bulk actions: its model, how its records are assigned and
    shared, and the columns of its "export selected"."""

    name: str
    model: type[SecurableModel]
    columns: tuple[str, ...]
    assign: Callable[..., Any] = _assign_plain
    share: Callable[..., Any] = _share_plain


BULK_LISTS: dict[str, BulkList] = {
    spec.name: spec
    for spec in (
        BulkList(
            "leads",
            Lead,
            ("first_name", "last_name", "company_name", "email", "status", "source", "rating"),
            assign=_assign_routed,
        ),
        BulkList(
            "opportunities",
            Opportunity,
            ("name", "stage", "amount", "currency", "probability", "expected_close_date"),
        ),
        BulkList(
            "cases",
            Case,
            ("number", "subject", "status", "priority", "type", "channel"),
            assign=_assign_routed,
        ),
        BulkList(
            "accounts",
            Account,
            ("name", "industry", "tier", "region", "country", "email", "phone"),
            assign=_assign_account,
            share=_share_account,
        ),
        BulkList(
            "contacts",
            Contact,
            ("first_name", "last_name", "job_title", "email", "phone", "country"),
            assign=_assign_contact,
            share=_share_contact,
        ),
    )
}


def offered_actions(actor: User, spec: BulkList, privileges: set[str]) -> list[str]:
    """The bulk actions the bar offers `actor` on `spec`'s list: assign and share when a role
    of theirs (or of an owner team of theirs) grants them at some depth on the entity,
    export when `privileges` (what `actor` holds) has export. The services still check
    every record; this only keeps the bar from offering what can never succeed. Costs no
    query (the scope is cached per request)."""
    offered = []
    scope = scope_for(actor)
    if scope is not None:
        entity = spec.model.access_entity
        for action in ("assign", "share"):
            depth = max(
                [scope.user_depth(entity, action)]
                + [scope.team_depth(team, entity, action) for team in scope.owner_teams]
            )
            if scope.full_access_role or depth > NONE:
                offered.append(action)
    if "export" in privileges:
        offered.append("export")
    return offered


def bulk_list(name: str) -> BulkList:
    """The bulk set-up of the list `name`; InvalidInput for a list without one."""
    try:
        return BULK_LISTS[name]
    except KeyError:
        raise InvalidInput.field("list", f"{name!r} has no bulk actions") from None


# The actions ---------------------------------------------------------------------------


@dataclass
class BulkResult:
    """What a bulk action did: how many records it changed, the refused records the
    actor can see (with why), and how many ticked ids were not theirs to touch."""

    done: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    not_allowed: int = 0

    @property
    def asked(self) -> int:
        return self.done + len(self.refused) + self.not_allowed


def _records(actor: User, spec: BulkList, ids: list[int]) -> tuple[list[SecurableModel], int]:
    """The ticked records `actor` may read, in id order, and how many ids were not."""
    found = list(visible(actor, spec.model).filter(pk__in=ids).order_by("pk"))
    return found, len(set(ids)) - len(found)


def _apply(
    actor: User, spec: BulkList, ids: list[int], change: Callable[[SecurableModel], Any]
) -> BulkResult:
    records, hidden = _records(actor, spec, ids)
    result = BulkResult(not_allowed=hidden)
    with transaction.atomic():
        for record in records:
            try:
                # A savepoint per record: a refusal undoes that record's writes only.
                with transaction.atomic():
                    change(record)
            except TrellisError as exc:
                result.refused.append((str(record), exc.detail))
            else:
                result.done += 1
    return result


def _check_ids(ids: list[int]) -> None:
    if not ids:
        raise InvalidInput.field("ids", "tick at least one row")
    if len(ids) > MAX_BULK:
        raise InvalidInput.field("ids", f"at most {MAX_BULK} rows at once")


def _check_principal(user: User | None, team: Team | None, field_name: str) -> None:
    if (user is None) == (team is None):
        raise InvalidInput.field(field_name, "choose a person or a team")


def bulk_assign(
    actor: User,
    *,
    list_name: str,
    ids: list[int],
    owner_user: User | None = None,
    owner_team: Team | None = None,
    reason: str = "",
) -> BulkResult:
    """Give each ticked record of `list_name` a new owner (a person or a team), through
    the entity's assign service; the reason goes with each assignment. One transaction;
    records the actor may not assign are refused and keep their owner."""
    spec = bulk_list(list_name)
    _check_ids(ids)
    _check_principal(owner_user, owner_team, "owner_user")
    reason = (reason or "").strip()
    return _apply(
        actor,
        spec,
        ids,
        lambda record: spec.assign(actor, record, user=owner_user, team=owner_team, reason=reason),
    )


def bulk_share(
    actor: User,
    *,
    list_name: str,
    ids: list[int],
    user: User | None = None,
    team: Team | None = None,
    rights: list[str] | tuple[str, ...] = ("read",),
) -> BulkResult:
    """Share each ticked record of `list_name` with a person or a team, through the
    entity's share service (the actor passes on only rights they hold). One
    transaction; refused records are not shared."""
    spec = bulk_list(list_name)
    _check_ids(ids)
    _check_principal(user, team, "share_user")
    chosen = sorted({"read", *rights})
    return _apply(
        actor,
        spec,
        ids,
        lambda record: spec.share(actor, record, user=user, team=team, rights=chosen),
    )


def _value(record: Any, name: str) -> Any:
    if name == "owner":
        return record.owner_user.username if record.owner_user_id else ""
    if name == "owner_team":
        return record.owner_team.name if record.owner_team_id else ""
    if name == "owning_unit":
        return record.owning_unit.name
    return getattr(record, name)


def bulk_export_rows(
    actor: User, *, list_name: str, ids: list[int]
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of the ticked records of `list_name` the actor may read (the
    others are left out). Needs the export privilege."""
    spec = bulk_list(list_name)
    _check_ids(ids)
    if not has_privilege(actor, "export"):
        raise Forbidden("you may not export: your roles lack the export privilege")
    qs = (
        visible(actor, spec.model)
        .filter(pk__in=ids)
        .select_related("owner_user", "owner_team", "owning_unit")
        .order_by("pk")
    )
    columns = ["id", *spec.columns, *OWNER_COLUMNS]
    rows = ([record.pk, *(_value(record, name) for name in columns[1:])] for record in qs)
    return columns, rows


# The form and the view ----------------------------------------------------------------


def _owner_teams() -> Any:
    return Team.objects.filter(kind=TeamKind.OWNER).select_related("unit").order_by("name")


class BulkForm(TrellisFormMixin, forms.Form):
    """A bulk action on the ticked rows (the `ids` checkboxes).

    The bar under a list holds only the action, so the list costs no query for it;
    assign and share then show a second page asking whom to (with the rows carried as
    hidden `ids`), and its post carries `confirm`."""

    action = forms.ChoiceField(
        label=gettext_lazy("With the selected rows"),
        choices=[
            ("assign", gettext_lazy("Assign…")),
            ("share", gettext_lazy("Share…")),
            ("export", gettext_lazy("Export CSV")),
        ],
    )
    owner_user = UserChoiceField(
        label=gettext_lazy("To a person"), queryset=active_users(), required=False
    )
    owner_team = forms.ModelChoiceField(
        label=gettext_lazy("Or a team"),
        queryset=_owner_teams(),
        required=False,
        empty_label=gettext_lazy("Choose a team"),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)
    rights = forms.MultipleChoiceField(
        label=gettext_lazy("Rights"),
        choices=[(right, RIGHT_LABELS[right]) for right in SHARE_RIGHTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=["read"],
        help_text=gettext_lazy("Read is always included. You can pass on only rights you hold."),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actions: list[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "bulk")
        super().__init__(*args, **kwargs)
        if actions is not None:
            field = self.fields["action"]
            field.choices = [(key, label) for key, label in field.choices if key in actions]

    def ids(self) -> list[int]:
        """The ticked row ids; anything that is not a positive id is ignored."""
        found = []
        for raw in self.data.getlist("ids") if hasattr(self.data, "getlist") else []:
            if str(raw).isdigit() and 0 < int(raw) < 2**63:
                found.append(int(raw))
        return list(dict.fromkeys(found))


def _summary(result: BulkResult, done_text: str) -> str:
    text = done_text % {"done": result.done, "asked": result.asked}
    if result.refused:
        names = "; ".join(f"{name} ({why})" for name, why in result.refused[:10])
        text += " " + _("Refused: %(names)s.") % {"names": names}
        if len(result.refused) > 10:
            text += " " + _("and %(count)d more.") % {"count": len(result.refused) - 10}
    if result.not_allowed:
        text += " " + ngettext(
            "%(count)d not allowed.", "%(count)d not allowed.", result.not_allowed
        ) % {"count": result.not_allowed}
    return text


def _back(request: HttpRequest, form: BulkForm, list_name: str) -> HttpResponse:
    target = form.data.get(f"{form.prefix}-next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    return redirect(target or reverse(LIST_URLS[list_name]))


LIST_URLS = {
    "leads": "web:lead_list",
    "opportunities": "web:opportunity_list",
    "cases": "web:case_list",
    "accounts": "web:account_list",
    "contacts": "web:contact_list",
}


@login_required
@require_POST
def bulk_action(request: HttpRequest, list_name: str) -> HttpResponse:
    """Run the chosen bulk action on the ticked rows and go back to the list with what it
    did (an export answers the CSV file instead)."""
    if list_name not in BULK_LISTS:
        raise Http404(_("No such list."))
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the selected rows."))
        return _back(request, form, list_name)
    data = form.cleaned_data
    action = data["action"]
    if action in ("assign", "share") and not data["confirm"]:
        return _confirm_page(request, form, list_name)
    try:
        if action == "export":
            headers, rows = bulk_export_rows(request.user, list_name=list_name, ids=form.ids())
            return download(f"{list_name}-selected", "csv", headers, rows)
        if action == "assign":
            result = bulk_assign(
                request.user,
                list_name=list_name,
                ids=form.ids(),
                owner_user=data["owner_user"],
                owner_team=data["owner_team"],
                reason=data["reason"],
            )
            done = _("Assigned %(done)d of %(asked)d.")
        else:
            result = bulk_share(
                request.user,
                list_name=list_name,
                ids=form.ids(),
                user=data["owner_user"],
                team=data["owner_team"],
                rights=data["rights"],
            )
            done = _("Shared %(done)d of %(asked)d.")
    except TrellisError as exc:
        messages.error(request, _bulk_refusal(exc))
        return _back(request, form, list_name)
    level = messages.SUCCESS if result.done and not result.refused else messages.WARNING
    messages.add_message(request, level, _summary(result, done))
    return _back(request, form, list_name)


def _confirm_page(request: HttpRequest, form: BulkForm, list_name: str) -> HttpResponse:
    """Whom to assign or share the ticked rows to; the rows ride along as hidden ids."""
    ids = form.ids()
    if not ids:
        messages.error(request, _bulk_refusal(InvalidInput.field("ids", "tick a row")))
        return _back(request, form, list_name)
    data = form.cleaned_data
    confirm = BulkForm(
        initial={
            "action": data["action"],
            "next": data["next"],
            "confirm": True,
            "rights": ["read"],
        }
    )
    context = {
        "form": confirm,
        "action": data["action"],
        "ids": ids[:MAX_BULK],
        "list_name": list_name,
        "back": form.data.get(f"{form.prefix}-next") or reverse(LIST_URLS[list_name]),
    }
    return render(request, "web/_bulk_confirm.html", context)


def _bulk_refusal(exc: TrellisError) -> str:
    """A whole-action refusal as a person reads it."""
    field_name = exc.errors[0][0] if exc.errors else ""
    if field_name == "ids":
        return _("Tick at least one row (at most %(max)d).") % {"max": MAX_BULK}
    if field_name in ("owner_user", "share_user"):
        return _("Choose a person or a team, not both.")
    return exc.detail


urlpatterns = [path("bulk/<slug:list_name>/", bulk_action, name="bulk_action")]
