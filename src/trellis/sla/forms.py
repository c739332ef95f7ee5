"""Forms of the service-level pages. They parse what people type; the services decide
whether it is allowed (clashing policies, missing calendars, ...)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.sales.models import LeadSource
from trellis.service.models import CaseType, Priority
from trellis.sla.models import BusinessCalendar, NotifyWhom, ReassignTo
from trellis.web.forms import TrellisFormMixin

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class _Versioned(TrellisFormMixin, forms.Form):
    """`version` rides along hidden so a save over someone else's change answers 412."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    # Fields the services take under another name, or not at all.
    skip: tuple[str, ...] = ("version",)

    def service_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in self.skip}


class BusinessCalendarForm(_Versioned):
    name = forms.CharField(label=_("Name"), max_length=120)
    time_zone = forms.ChoiceField(label=_("Time zone"), initial="UTC")
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 2, 3, 4],
    )
    start_time = forms.TimeField(label=_("Working day starts"), initial=dt.time(9))
    end_time = forms.TimeField(label=_("Working day ends"), initial=dt.time(17))
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One date a line, as YYYY-MM-DD."),
    )

    def __init__(self, *args: Any, instance: BusinessCalendar | None = None, **kwargs: Any):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "time_zone": instance.time_zone,
                    "weekdays": instance.weekdays,
                    "start_time": instance.start_time,
                    "end_time": instance.end_time,
                    "holidays": "\n".join(instance.holidays),
                    "version": instance.version,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            (name, name) for name in sorted(zoneinfo.available_timezones())
        ]

    def clean_holidays(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["holidays"].splitlines()]
        days = []
        for line in filter(None, lines):
            try:
                days.append(dt.date.fromisoformat(line).isoformat())
            except ValueError:
                raise forms.ValidationError(
                    _("%(line)s is not a date (YYYY-MM-DD)."), params={"line": line}
                ) from None
        return days


def _policy_initial(instance: Any, names: tuple[str, ...]) -> dict[str, Any]:
    initial = {name: getattr(instance, name) for name in names}
    initial["calendar"] = instance.calendar_id
    initial["version"] = instance.version
    return initial


class _EscalationForm(_Versioned):
    business_hours = forms.BooleanField(label=_("Count business hours only"), required=False)
    calendar = forms.ModelChoiceField(
        label=_("Business calendar"),
        queryset=BusinessCalendar.objects.all(),
        required=False,
        help_text=_("Needed when counting business hours."),
    )
    reassign_to = forms.ChoiceField(
        label=_("On a breach, reassign to"), choices=ReassignTo.choices, initial="none"
    )
    notify = forms.MultipleChoiceField(
        label=_("On a breach, notify"),
        choices=NotifyWhom.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class SlaPolicyForm(_EscalationForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="normal")
    case_type = forms.ChoiceField(
        label=_("Case type"),
        choices=[("", _("Any type")), *CaseType.choices],
        required=False,
    )
    first_response_minutes = forms.IntegerField(
        label=_("First response within (minutes)"), required=False, min_value=1
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution within (minutes)"), required=False, min_value=1
    )
    raise_priority = forms.BooleanField(
        label=_("On a breach, raise the priority one step"), required=False
    )

    field_order = [
        "name",
        "priority",
        "case_type",
        "first_response_minutes",
        "resolution_minutes",
        "business_hours",
        "calendar",
        "reassign_to",
        "raise_priority",
        "notify",
        "is_active",
    ]
    editable = (
        "name",
        "priority",
        "case_type",
        "first_response_minutes",
        "resolution_minutes",
        "business_hours",
        "reassign_to",
        "raise_priority",
        "notify",
        "is_active",
    )

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", _policy_initial(instance, self.editable))
        super().__init__(*args, **kwargs)


class SpeedToLeadPolicyForm(_EscalationForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    source = forms.ChoiceField(
        label=_("Lead source"),
        choices=[("", _("Any source")), *LeadSource.choices],
        required=False,
    )
    hours = forms.IntegerField(label=_("First contact within (hours)"), min_value=1)

    field_order = [
        "name",
        "source",
        "hours",
        "business_hours",
        "calendar",
        "reassign_to",
        "notify",
        "is_active",
    ]
    editable = ("name", "source", "hours", "business_hours", "reassign_to", "notify", "is_active")

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault("initial", _policy_initial(instance, self.editable))
        super().__init__(*args, **kwargs)
