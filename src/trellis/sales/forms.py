"""Forms of the sales pages. They parse and validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from trellis.customers.forms import MAX_ID, SearchInput
from trellis.customers.models import Account, Contact
from trellis.customers.selectors import account_list
from trellis.org.models import Team, TeamKind, User
from trellis.sales import selectors
from trellis.sales.models import (
    Campaign,
    CampaignStatus,
    CampaignType,
    Lead,
    LeadRating,
    LeadSource,
    LeadStatus,
    Opportunity,
    ProductLine,
    SalesTarget,
    Stage,
)
from trellis.web.forms import TrellisFormMixin, UserChoiceField, active_users

__all__ = [
    "CampaignFilterForm",
    "CampaignForm",
    "CloseForm",
    "DisqualifyForm",
    "LeadFilterForm",
    "LeadForm",
    "OpportunityFilterForm",
    "OpportunityForm",
    "ProductFilterForm",
    "QualifyForm",
]

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
OPPORTUNITY_SORTS = {**SORTS, "-amount": "-amount", "amount": "amount"}
OPPORTUNITY_SORT_CHOICES = [
    *SORT_CHOICES,
    ("-amount", _("Largest amount first")),
    ("amount", _("Smallest amount first")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _search(placeholder: str) -> forms.CharField:
    return forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=SearchInput(attrs={"placeholder": placeholder, "autocomplete": "off"}),
    )


def _choice(label: str, everything: str, choices: list) -> forms.ChoiceField:
    """A drop-down filter whose empty choice (`everything`) leaves the list unfiltered."""
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", everything), *choices],
        widget=forms.Select(attrs={"class": "list-filter"}),
    )


def _open_or_closed() -> forms.ChoiceField:
    return _choice(
        _("Open or closed"), _("Open and closed"), [("open", _("Open")), ("closed", _("Closed"))]
    )


def _mine(label: str) -> forms.BooleanField:
    return forms.BooleanField(
        label=label, required=False, widget=forms.CheckboxInput(attrs={"class": "list-filter"})
    )


def _campaign() -> forms.IntegerField:
    """Narrows a list to one campaign (the campaign page's "show all" links); hidden."""
    return forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )


def _sort(choices: list) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=choices,
        widget=forms.Select(attrs={"class": "list-filter"}),
    )


class _ListFilterForm(TrellisFormMixin, forms.Form):
    """Search, filters and sort of a list. Invalid values are ignored, so a hand-edited
    URL shows the unfiltered list instead of an error.

    `filters()` turns the fields into selector arguments: `q`, each of `choice_filters`
    as given, `state` into `is_open`, `mine` into `owner_user_id` and `campaign` into
    `campaign_id`."""

    sorts: dict[str, str] = SORTS
    choice_filters: tuple[str, ...] = ()

    def __init__(self, data: Any, *, actor: User) -> None:
        super().__init__(data)
        self.actor = actor
        self.is_valid()

    def order(self) -> str:
        return self.sorts.get(self.cleaned_data.get("sort") or "", "-modified_at")

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        found: dict[str, Any] = {"q": (data.get("q") or "").strip()}
        for name in self.choice_filters:
            found[name] = data.get(name) or ""
        if "state" in self.fields:
            found["is_open"] = {"open": True, "closed": False}.get(data.get("state") or "")
        if "mine" in self.fields:
            found["owner_user_id"] = self.actor.pk if data.get("mine") else None
        if data.get("campaign"):
            found["campaign_id"] = data["campaign"]
        return found

    @property
    def is_filtered(self) -> bool:
        return any(value not in (None, "") for value in self.filters().values())


class OpportunityFilterForm(_ListFilterForm):
    sorts = OPPORTUNITY_SORTS
    choice_filters = ("stage",)

    q = _search(_("Opportunity name"))
    stage = _choice(_("Stage"), _("All stages"), Stage.choices)
    state = _open_or_closed()
    mine = _mine(_("Only opportunities I own"))
    sort = _sort(OPPORTUNITY_SORT_CHOICES)
    campaign = _campaign()


LEAD_SORTS = {
    "-modified": "-modified_at",
    "modified": "modified_at",
    "name": "last_name",
    "-name": "-last_name",
    "company": "company_name",
    "-created": "-created_at",
}


class LeadFilterForm(_ListFilterForm):
    sorts = LEAD_SORTS
    choice_filters = ("status", "source", "rating")

    q = _search(_("Name, company, email or phone"))
    status = _choice(_("Status"), _("All statuses"), LeadStatus.choices)
    state = _open_or_closed()
    source = _choice(_("Source"), _("All sources"), LeadSource.choices)
    rating = _choice(_("Rating"), _("All ratings"), LeadRating.choices)
    mine = _mine(_("Only leads I own"))
    campaign = _campaign()
    sort = _sort(
        [
            ("-modified", _("Recently changed first")),
            ("modified", _("Least recently changed first")),
            ("-created", _("Newest first")),
            ("name", _("Last name, A to Z")),
            ("-name", _("Last name, Z to A")),
            ("company", _("Company, A to Z")),
        ]
    )


class CampaignFilterForm(_ListFilterForm):
    choice_filters = ("type", "status")

    q = _search(_("Campaign name"))
    type = _choice(_("Type"), _("All types"), CampaignType.choices)
    status = _choice(_("Status"), _("All statuses"), CampaignStatus.choices)
    mine = _mine(_("Only campaigns I own"))
    sort = _sort(SORT_CHOICES)


class ProductFilterForm(_ListFilterForm):
    sorts = {"name": "name", "-name": "-name", "code": "code"}

    q = _search(_("Name or code"))
    product_line = forms.ModelChoiceField(
        label=_("Product line"),
        required=False,
        queryset=ProductLine.objects.none(),
        empty_label=_("All product lines"),
    )
    inactive = forms.BooleanField(label=_("Include inactive products"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("name", _("Name, A to Z")), ("-name", _("Name, Z to A")), ("code", _("Code"))],
    )

    def __init__(self, data: Any, *, actor: User) -> None:
        forms.Form.__init__(self, data, label_suffix="")
        self.actor = actor
        self.fields["product_line"].queryset = selectors.product_line_list(actor)
        self.is_valid()

    def order(self) -> str:
        return self.sorts.get(self.cleaned_data.get("sort") or "", "name")

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        line = data.get("product_line")
        return {
            "q": (data.get("q") or "").strip(),
            "product_line_id": line.pk if line else None,
            "active": None if data.get("inactive") else True,
        }


class _RecordForm(TrellisFormMixin, forms.ModelForm):
    """Create or edit a record. Editing carries the version it started from, so a change
    made meanwhile by someone else is refused instead of overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Foreign keys chosen by the user; each is resolved among what the actor may read.
    links: tuple[str, ...] = ()

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.hidden_links: list[str] = []
        self.limit_choices(actor)
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):
                # Money is never negative; said on the field, not as a broken constraint.
                field.validators.append(MinValueValidator(0))
                field.widget.attrs["min"] = 0
        if self.instance.pk is None:
            del self.fields["version"]
        else:
            self.fields["version"].initial = self.instance.version
        for name in self.links:
            field = self.fields[name]
            current = getattr(self.instance, f"{name}_id", None)
            if current and not field.queryset.filter(pk=current).exists():
                # Linked to a record the editor cannot see: leave that link as it is.
                del self.fields[name]
                self.hidden_links.append(name)

    def limit_choices(self, actor: User) -> None:
        """Offer only linked records the actor may read."""
        if "product_line" in self.fields:
            self.fields["product_line"].queryset = selectors.product_line_list(actor)

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for the create / update services."""
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name in self.fields and name != "version"
        }


def _id_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": 1})


class OpportunityForm(_RecordForm):
    links = ("account", "contact", "campaign", "product_line")

    account = forms.ModelChoiceField(
        label=_("Account (id)"),
        queryset=Account.objects.none(),
        widget=_id_input(),
        help_text=_("The id of an account you can see."),
        error_messages={"invalid_choice": _("No account you can see has this id.")},
    )
    contact = forms.ModelChoiceField(
        label=_("Contact (id)"),
        queryset=Contact.objects.none(),
        required=False,
        widget=_id_input(),
        help_text=_("Optional: the id of a contact you can see at the account."),
        error_messages={"invalid_choice": _("No contact you can see has this id.")},
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("No campaign"),
    )
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Left empty, it follows from the stage."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "account",
            "contact",
            "stage",
            "amount",
            "currency",
            "probability",
            "expected_close_date",
            "campaign",
            "product_line",
            "close_reason",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "currency": forms.TextInput(attrs={"size": 3}),
            "expected_close_date": DateInput(),
        }
        help_texts = {"currency": _("Three-letter ISO code, e.g. USD, IDR, EUR.")}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        # What the record was before the form wrote into it: a stage change with the
        # probability left as it was gives the new stage's default probability.
        self.original = (instance.stage, instance.probability) if instance else (None, None)
        super().__init__(*args, actor=actor, **kwargs)
        if instance is not None:
            self.fields["probability"].initial = instance.probability

    def limit_choices(self, actor: User) -> None:
        super().limit_choices(actor)
        self.fields["account"].queryset = account_list(actor)
        self.fields["contact"].queryset = selectors.linkable(actor, Contact)
        self.fields["campaign"].queryset = selectors.campaign_list(actor).order_by("name")

    def service_fields(self) -> dict[str, Any]:
        data = super().service_fields()
        stage, probability = self.original
        if stage is not None and data["stage"] != stage and data["probability"] == probability:
            data["probability"] = None
        return data


class CampaignForm(_RecordForm):
    links = ("product_line",)

    class Meta:
        model = Campaign
        fields = [
            "name",
            "type",
            "status",
            "start_date",
            "end_date",
            "budget",
            "actual_cost",
            "expected_revenue",
            "currency",
            "product_line",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "currency": forms.TextInput(attrs={"size": 3}),
            "start_date": DateInput(),
            "end_date": DateInput(),
        }
        help_texts = {"currency": _("Three-letter ISO code, e.g. USD, IDR, EUR.")}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must not be before the start date."))
        return data


class LeadForm(_RecordForm):
    links = ("campaign", "product_line")

    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=64,
        help_text=_("With + and the country code, or as dialled in the lead's country."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("No campaign"),
    )

    class Meta:
        model = Lead
        fields = [
            "first_name",
            "last_name",
            "company_name",
            "job_title",
            "email",
            "phone",
            "source",
            "rating",
            "campaign",
            "product_line",
            "product_interest",
            "region",
            "country",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "country": forms.TextInput(attrs={"size": 2}),
        }
        help_texts = {"country": _("Two-letter ISO code, e.g. ID, IT, CN.")}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        if self.instance.pk is not None:
            self.initial["phone"] = self.instance.phone_raw or self.instance.phone

    def limit_choices(self, actor: User) -> None:
        super().limit_choices(actor)
        self.fields["campaign"].queryset = selectors.campaign_list(actor).order_by("name")

    def _post_clean(self) -> None:
        # The typed phone is normalized by the service; the model's E.164 column is
        # shorter than what people type, so it is not checked against it here.
        phone = self.cleaned_data.pop("phone", None)
        super()._post_clean()
        if phone is not None:
            self.cleaned_data["phone"] = phone


class QualifyForm(TrellisFormMixin, forms.Form):
    account = forms.ModelChoiceField(
        label=_("Existing account (id)"),
        queryset=Account.objects.none(),
        required=False,
        widget=_id_input(),
        help_text=_("Leave empty to create an account from the company name."),
        error_messages={"invalid_choice": _("No account you can see has this id.")},
    )
    create_opportunity = forms.BooleanField(
        label=_("Create an opportunity"), required=False, initial=True
    )
    opportunity_name = forms.CharField(
        label=_("Opportunity name"),
        required=False,
        max_length=200,
        help_text=_("Left empty, it follows from the company and the product interest."),
    )
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "qualify")
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_list(actor)


class DisqualifyForm(TrellisFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "disqualify")
        super().__init__(*args, **kwargs)


class CloseForm(TrellisFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("won", _("Won")), ("lost", _("Lost"))]
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "close")
        super().__init__(*args, **kwargs)


# Sales targets --------------------------------------------------------------------------


def _owner_teams() -> Any:
    return Team.objects.filter(kind=TeamKind.OWNER).select_related("unit").order_by("name")


class TargetFilterForm(TrellisFormMixin, forms.Form):
    """The target list's filters: whose targets, and a period the targets lie inside.
    Invalid values are ignored, as on the other lists."""

    user = UserChoiceField(label=_("Person"), required=False, queryset=active_users())
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=_owner_teams(), empty_label=_("All teams")
    )
    period_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    period_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, data: Any, *, actor: User) -> None:
        super().__init__(data)
        self.actor = actor
        self.fields["user"].empty_label = _("Everyone")
        self.is_valid()

    def filters(self) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        user, team = data.get("user"), data.get("team")
        return {
            "user_id": user.pk if user else None,
            "team_id": team.pk if team else None,
            "period_start__gte": data.get("period_from"),
            "period_end__lte": data.get("period_to"),
        }

    @property
    def is_filtered(self) -> bool:
        return any(value is not None for value in self.filters().values())


class TargetForm(_RecordForm):
    """A target for a person or an owner team; whose target it is is fixed once set."""

    user = UserChoiceField(label=_("Person"), required=False, queryset=active_users())
    team = forms.ModelChoiceField(
        label=_("Owner team"),
        required=False,
        queryset=_owner_teams(),
        help_text=_("Choose a person or a team."),
    )

    class Meta:
        model = SalesTarget
        fields = ("user", "team", "period_start", "period_end", "amount", "currency", "description")
        widgets = {"period_start": DateInput(), "period_end": DateInput()}

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        if self.instance.pk is not None:
            del self.fields["user"]
            del self.fields["team"]
