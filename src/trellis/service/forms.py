"""Forms of the case pages. They parse and validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.access import visible
from trellis.customers.models import Account, Contact
from trellis.org.models import User
from trellis.service.models import Case, CaseType, Channel, Priority, Status
from trellis.web.forms import TrellisFormMixin

# Sort keys shown in URLs -> the ordering they stand for.
SORTS: dict[str, str] = {
    "-modified": "-modified_at",
    "modified": "modified_at",
    "queue": "queue_key",
    "-created": "-created_at",
    "created": "created_at",
}
SORT_CHOICES = [
    ("-modified", _("Recently changed first")),
    ("modified", _("Least recently changed first")),
    ("queue", _("Queue: most urgent, then oldest")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
]
OPEN_CHOICES = [("", _("Open and done")), ("open", _("Open only")), ("done", _("Done only"))]


class SearchInput(forms.TextInput):
    input_type = "search"


def _filter_select(choices: list, empty: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        required=False,
        choices=[("", empty), *choices],
        widget=forms.Select(attrs={"class": "case-filter"}),
    )


class CaseFilterForm(TrellisFormMixin, forms.Form):
    """Search, filters and sort of the case list. Invalid values are ignored, so a
    hand-edited URL shows the unfiltered list instead of an error."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=SearchInput(attrs={"placeholder": _("Subject or number"), "autocomplete": "off"}),
    )
    status = _filter_select(Status.choices, _("All statuses"))
    priority = _filter_select(Priority.choices, _("All priorities"))
    type = _filter_select(CaseType.choices, _("All types"))
    channel = _filter_select(Channel.choices, _("All channels"))
    state = forms.ChoiceField(
        label=_("Open or done"),
        required=False,
        choices=OPEN_CHOICES,
        widget=forms.Select(attrs={"class": "case-filter"}),
    )
    mine = forms.BooleanField(
        label=_("Only cases I own"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "case-filter"}),
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=SORT_CHOICES,
        widget=forms.Select(attrs={"class": "case-filter"}),
    )

    def __init__(self, data: Any, *, actor: User) -> None:
        super().__init__(data)
        self.actor = actor
        for name, label in (
            ("status", _("Status")),
            ("priority", _("Priority")),
            ("type", _("Type")),
            ("channel", _("Channel")),
        ):
            self.fields[name].label = label
        self.is_valid()

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `selectors.case_list` from the valid fields."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "q": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "priority": data.get("priority") or "",
            "type": data.get("type") or "",
            "channel": data.get("channel") or "",
        }
        state = data.get("state")
        if state:
            out["open"] = state == "open"
        if data.get("mine"):
            out["owner_user_id"] = self.actor.pk
        return out

    def order(self) -> str:
        return SORTS.get(self.cleaned_data.get("sort") or "", SORTS["-modified"])

    @property
    def is_filtered(self) -> bool:
        return any(value not in ("", None) for value in self.filters().values())


class LinkField(forms.ModelChoiceField):
    """A record picked by id from those the editor can read."""

    widget = forms.NumberInput(attrs={"min": 1})


class CaseForm(TrellisFormMixin, forms.ModelForm):
    """Create or edit a case. Editing carries the version it started from, so a change made
    meanwhile by someone else is refused instead of overwritten."""

    account = LinkField(
        label=_("Account (id)"),
        queryset=Account.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("No account you can see has this id.")},
    )
    contact = LinkField(
        label=_("Contact (id)"),
        queryset=Contact.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("No contact you can see has this id.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Case
        fields = [
            "subject",
            "type",
            "priority",
            "channel",
            "account",
            "contact",
            "product_name",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_links: list[str] = []
        for name, model in (("account", Account), ("contact", Contact)):
            readable = visible(actor, model)
            self.fields[name].queryset = readable
            linked = getattr(self.instance, f"{name}_id", None)
            if linked and not readable.filter(pk=linked).exists():
                # Linked to a record the editor cannot see: leave that link as it is.
                del self.fields[name]
                self.hidden_links.append(name)
        if self.instance.pk is None:
            del self.fields["version"]
        else:
            self.fields["version"].initial = self.instance.version

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for `case_create` / `case_update`."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class ResolveForm(TrellisFormMixin, forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done for the customer."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "resolve")
        super().__init__(*args, **kwargs)


class CloseForm(TrellisFormMixin, forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("Customer satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Not given")), *((n, str(n)) for n in range(1, 6))],
        help_text=_("1 is very unhappy, 5 very happy."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "close")
        super().__init__(*args, **kwargs)


class ReopenForm(TrellisFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why reopen?"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(Status.IN_PROGRESS, ""), (Status.WAITING, "")])
