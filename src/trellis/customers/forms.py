"""Forms of the account and contact pages. They parse and validate input; the services
decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.customers import selectors
from trellis.customers.models import Account, Contact, SizeSegment, Tier
from trellis.org.models import User
from trellis.web.forms import RecordAssignForm, RecordShareForm, TrellisFormMixin

# Ids are 64-bit; a larger number in a URL must be refused before it reaches the database.
MAX_ID = 2**63 - 1
# Sort keys shown in URLs -> the ordering they stand for.
SORTS: dict[str, str] = {
    "-modified": "-modified_at",
    "modified": "modified_at",
    "name": "name",
    "-name": "-name",
}
SORT_CHOICES = [
    ("-modified", _("Recently changed first")),
    ("modified", _("Least recently changed first")),
    ("name", _("Name, A to Z")),
    ("-name", _("Name, Z to A")),
]


class SearchInput(forms.TextInput):
    input_type = "search"


class PhoneInput(forms.TextInput):
    input_type = "tel"


class AccountFilterForm(TrellisFormMixin, forms.Form):
    """Search, filters and sort of the account list. Invalid values are ignored, so a
    hand-edited URL shows the unfiltered list instead of an error."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=SearchInput(attrs={"placeholder": _("Name, city or email"), "autocomplete": "off"}),
    )
    tier = forms.ChoiceField(
        label=_("Tier"),
        required=False,
        choices=[("", _("All tiers")), *Tier.choices],
        widget=forms.Select(attrs={"class": "account-filter"}),
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=60)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=80)
    mine = forms.BooleanField(
        label=_("Only accounts I own"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "account-filter"}),
    )
    parent = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=SORT_CHOICES,
        widget=forms.Select(attrs={"class": "account-filter"}),
    )

    def __init__(self, data: Any, *, actor: User, with_options: bool = False) -> None:
        super().__init__(data)
        self.actor = actor
        self.is_valid()
        if with_options:
            # The choices come from accounts the actor can see, so they leak nothing.
            visible = selectors.account_list(actor).order_by()
            for name, label in (("region", _("All regions")), ("industry", _("All industries"))):
                values = list(
                    visible.exclude(**{name: ""})
                    .order_by(name)
                    .values_list(name, flat=True)
                    .distinct()
                )
                current = self.cleaned_data.get(name)
                if current and current not in values:
                    values.append(current)
                self.fields[name].widget = forms.Select(
                    attrs={"class": "account-filter"},
                    choices=[("", label), *((value, value) for value in values)],
                )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `selectors.account_list` from the valid fields."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "q": (data.get("q") or "").strip(),
            "tier": data.get("tier") or "",
            "region": data.get("region") or "",
            "industry": data.get("industry") or "",
        }
        if data.get("mine"):
            out["owner_user_id"] = self.actor.pk
        if data.get("parent"):
            out["parent_id"] = data["parent"]
        return out

    def order(self) -> str:
        return SORTS.get(self.cleaned_data.get("sort") or "", SORTS["-modified"])

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())


class AccountForm(TrellisFormMixin, forms.ModelForm):
    """Create or edit an account. Editing carries the version it started from, so a
    change made meanwhile by someone else is refused instead of overwritten."""

    parent = forms.ModelChoiceField(
        label=_("Parent account (id)"),
        queryset=Account.objects.none(),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1}),
        help_text=_("The id of an account you can see, for example a group headquarters."),
        error_messages={"invalid_choice": _("No account you can see has this id.")},
    )
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Account
        fields = [
            "name",
            "tier",
            "industry",
            "region",
            "size_segment",
            "employees",
            "annual_revenue",
            "currency",
            "parent",
            "website",
            "phone",
            "email",
            "street",
            "city",
            "state",
            "postal_code",
            "country",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "phone": PhoneInput(attrs={"autocomplete": "tel"}),
            "country": forms.TextInput(attrs={"size": 2, "autocomplete": "country"}),
            "currency": forms.TextInput(attrs={"size": 3}),
        }
        help_texts = {
            "country": _("Two-letter ISO code, e.g. ID, CN, IT."),
            "currency": _("Three-letter ISO code, e.g. USD, IDR, EUR."),
            "size_segment": _("Left empty, it follows from the number of employees."),
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["size_segment"].choices = [
            ("", _("From the number of employees")),
            *SizeSegment.choices,
        ]
        visible = selectors.account_list(actor)
        self.fields["parent"].queryset = visible
        self.parent_hidden = False
        if self.instance.pk is None:
            del self.fields["version"]
            return
        self.fields["version"].initial = self.instance.version
        if self.instance.parent_id and not visible.filter(pk=self.instance.parent_id).exists():
            # Linked to a parent the editor cannot see: leave that link as it is.
            del self.fields["parent"]
            self.parent_hidden = True

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for `account_create` / `account_update`."""
        data = {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name != "parent" and name in self.fields
        }
        if "parent" in self.fields:
            data["parent"] = self.cleaned_data["parent"]
        return data


class AssignForm(RecordAssignForm):
    """Assigning an account can carry its children along."""

    cascade = forms.BooleanField(
        label=_("Also move the child accounts and active contacts I may assign"), required=False
    )


class AccountShareForm(RecordShareForm):
    """Sharing an account can share its related records along."""

    cascade = forms.BooleanField(
        label=_(
            "Also share its contacts and open opportunities, cases and activities I may "
            "share, with the same rights"
        ),
        required=False,
    )


# Contacts.

CONTACT_SORTS: dict[str, str] = {
    "-modified": "-modified_at",
    "modified": "modified_at",
    "name": "last_name",
    "-name": "-last_name",
}
CONTACT_SORT_CHOICES = [
    ("-modified", _("Recently changed first")),
    ("modified", _("Least recently changed first")),
    ("name", _("Last name, A to Z")),
    ("-name", _("Last name, Z to A")),
]
ACTIVE_CHOICES = [("", _("Active and inactive")), ("yes", _("Active")), ("no", _("Inactive"))]


class ContactFilterForm(TrellisFormMixin, forms.Form):
    """Search, filters and sort of the contact list. Invalid values are ignored, so a
    hand-edited URL shows the unfiltered list instead of an error."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=SearchInput(
            attrs={"placeholder": _("Name, email, phone or city"), "autocomplete": "off"}
        ),
    )
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=ACTIVE_CHOICES,
        widget=forms.Select(attrs={"class": "contact-filter"}),
    )
    mine = forms.BooleanField(
        label=_("Only contacts I own"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "contact-filter"}),
    )
    account = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=CONTACT_SORT_CHOICES,
        widget=forms.Select(attrs={"class": "contact-filter"}),
    )

    def __init__(self, data: Any, *, actor: User, with_options: bool = False) -> None:
        super().__init__(data)
        self.actor = actor
        self.is_valid()
        if with_options:
            # The choices come from contacts the actor can see, so they leak nothing.
            values = list(
                selectors.contact_list(actor)
                .exclude(country="")
                .order_by("country")
                .values_list("country", flat=True)
                .distinct()
            )
            current = (self.cleaned_data.get("country") or "").upper()
            if current and current not in values:
                values.append(current)
            self.fields["country"].widget = forms.Select(
                attrs={"class": "contact-filter"},
                choices=[("", _("All countries")), *((value, value) for value in values)],
            )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `selectors.contact_list` from the valid fields."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "q": (data.get("q") or "").strip(),
            "country": (data.get("country") or "").upper(),
        }
        if data.get("active"):
            out["is_active"] = data["active"] == "yes"
        if data.get("mine"):
            out["owner_user_id"] = self.actor.pk
        if data.get("account"):
            out["account_id"] = data["account"]
        return out

    def order(self) -> str:
        return CONTACT_SORTS.get(self.cleaned_data.get("sort") or "", CONTACT_SORTS["-modified"])

    @property
    def is_filtered(self) -> bool:
        return any(value not in ("", None) for value in self.filters().values())


class EmailListField(forms.CharField):
    """Email addresses, one per line or separated by commas; the service validates each."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return [part for part in text.replace(",", " ").split() if part]


class ContactForm(TrellisFormMixin, forms.ModelForm):
    """Create or edit a contact. Phones may be typed in any format; the service stores
    them in E.164 and keeps what was typed. Editing carries the version it started from."""

    account = forms.ModelChoiceField(
        label=_("Account (id)"),
        queryset=Account.objects.none(),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1}),
        help_text=_("The id of an account you can see."),
        error_messages={"invalid_choice": _("No account you can see has this id.")},
    )
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    other_emails = EmailListField(
        label=_("Other emails"),
        required=False,
        help_text=_("One per line."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "job_title",
            "account",
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
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "phone": PhoneInput(attrs={"autocomplete": "tel"}),
            "mobile": PhoneInput(attrs={"autocomplete": "tel"}),
            "country": forms.TextInput(attrs={"size": 2, "autocomplete": "country"}),
            "preferred_language": forms.TextInput(attrs={"size": 10}),
        }
        help_texts = {
            "phone": _("Any format. Without +country code it is read in the contact's country."),
            "country": _("Two-letter ISO code, e.g. ID, CN, IT."),
            "preferred_language": _("A language tag, e.g. id, en, zh-Hans, it."),
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Typed phones are longer than E.164 ones; the service checks the stored length.
        for name in ("phone", "mobile"):
            self.fields[name].max_length = Contact._meta.get_field(f"{name}_raw").max_length
            self.fields[name].widget.attrs["maxlength"] = self.fields[name].max_length
        visible = selectors.account_list(actor)
        self.fields["account"].queryset = visible
        self.account_hidden = False
        if self.instance.pk is None:
            del self.fields["version"]
            return
        self.fields["version"].initial = self.instance.version
        for name in ("phone", "mobile"):
            self.initial[name] = getattr(self.instance, f"{name}_raw") or getattr(
                self.instance, name
            )
        if self.instance.account_id and not visible.filter(pk=self.instance.account_id).exists():
            # Linked to an account the editor cannot see: leave that link as it is.
            del self.fields["account"]
            self.account_hidden = True

    def _post_clean(self) -> None:
        # The service, not the model, normalizes and validates; skip model validation so
        # a typed phone is not checked against the E.164 column.
        pass

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for `contact_create` / `contact_update`."""
        data = {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name != "account" and name in self.fields
        }
        if "account" in self.fields:
            data["account"] = self.cleaned_data["account"]
        return data
