"""Forms of the activity, calendar and note pages. They parse and validate input; the
services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from trellis.activities.models import (
    TIMED_KINDS,
    ActivityKind,
    ActivityPriority,
    ActivityStatus,
)
from trellis.activities.records import entity_of_type, regardable_entities
from trellis.org.models import BusinessUnit, Team, TeamKind
from trellis.org.roles import ENTITY_LABELS
from trellis.web.forms import TrellisFormMixin, UserChoiceField, active_users

MAX_ID = 2**63 - 1
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# The reminder choices: minutes before the activity's start (calls, meetings) or due time.
REMINDER_CHOICES = [
    ("", _("No reminder")),
    ("0", _("At the start or due time")),
    ("5", _("5 minutes before")),
    ("15", _("15 minutes before")),
    ("30", _("30 minutes before")),
    ("60", _("1 hour before")),
    ("1440", _("1 day before")),
]
# An existing reminder that matches none of the choices is kept as it is.
KEEP_REMINDER = "keep"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _datetime(label: str, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=DateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        **kwargs,
    )


class ActivityFilterForm(TrellisFormMixin, forms.Form):
    """Filters of the activity list. Mine by default; invalid values are ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("mine", _("Mine (owned or attending)")), ("all", _("All I can see"))],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *ActivityKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ActivityStatus.choices],
    )
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)

    def __init__(self, data: Any, *, actor: Any) -> None:
        super().__init__(data)
        self.actor = actor
        self.is_valid()

    def filters(self) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        return {
            "q": (data.get("q") or "").strip(),
            "mine": (data.get("scope") or "mine") == "mine",
            "kind": data.get("kind") or "",
            "status": data.get("status") or "",
            "overdue": bool(data.get("overdue")),
        }


class ActivityForm(TrellisFormMixin, forms.Form):
    """Create or edit an activity. Editing carries the version it started from."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=ActivityPriority.choices, initial=ActivityPriority.NORMAL
    )
    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices)
    start_at = _datetime(_("Starts"), help_text=_("Calls and meetings."))
    end_at = _datetime(
        _("Ends"), help_text=_("Left empty: 30 minutes for a call, an hour for a meeting.")
    )
    due_at = _datetime(_("Due"), help_text=_("Tasks and e-mails."))
    all_day = forms.BooleanField(label=_("All day"), required=False)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    reminder = forms.ChoiceField(label=_("Reminder"), required=False, choices=REMINDER_CHOICES)
    regarding_type = forms.ChoiceField(label=_("Regarding (record type)"), required=False)
    regarding_id = forms.IntegerField(
        label=_("Regarding (record id)"), required=False, min_value=1, max_value=MAX_ID
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, activity: Any = None, **kwargs: Any) -> None:
        if activity is not None and (not args or args[0] is None):
            # A bound form keeps what was posted; an unbound one starts from the activity.
            kwargs.setdefault("initial", self.initial_for(activity))
        super().__init__(*args, **kwargs)
        self.fields["regarding_type"].choices = [
            ("", _("Nothing")),
            *((name, ENTITY_LABELS.get(name, name.title())) for name in regardable_entities()),
        ]
        self.activity = activity
        if activity is None:
            del self.fields["version"]
            del self.fields["status"]
        else:
            del self.fields["kind"]
            if activity.reminder_at is not None and _reminder_choice(activity) == KEEP_REMINDER:
                when = formats.date_format(
                    timezone.localtime(activity.reminder_at), "SHORT_DATETIME_FORMAT"
                )
                self.fields["reminder"].choices = [
                    *REMINDER_CHOICES,
                    (KEEP_REMINDER, _("As set: %(when)s") % {"when": when}),
                ]

    @staticmethod
    def initial_for(activity: Any) -> dict[str, Any]:
        return {
            "subject": activity.subject,
            "priority": activity.priority,
            "status": activity.status,
            "start_at": activity.start_at,
            "end_at": activity.end_at,
            "due_at": activity.due_at,
            "all_day": activity.all_day,
            "location": activity.location,
            "reminder": _reminder_choice(activity),
            "regarding_type": entity_of_type(activity.regarding_type_id) or "",
            "regarding_id": activity.regarding_id,
            "description": activity.description,
            "version": activity.version,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind") or (self.activity.kind if self.activity else None)
        # Only the times that fit the kind are kept, so switching the kind in the form
        # does not leave a stray value behind.
        if kind in TIMED_KINDS:
            data["due_at"] = None
        else:
            data["start_at"] = data["end_at"] = None
        if bool(data.get("regarding_type")) != bool(data.get("regarding_id")):
            missing = "regarding_id" if data.get("regarding_type") else "regarding_type"
            self.add_error(missing, _("Give both the record type and its id, or neither."))
        data["reminder_at"] = self._reminder_at(data, kind)
        return data

    def _reminder_at(self, data: dict[str, Any], kind: str | None) -> dt.datetime | None:
        """The reminder time the chosen reminder gives, counted back from the start (calls,
        meetings) or the due time (tasks, e-mails)."""
        choice = data.get("reminder") or ""
        if not choice:
            return None
        if choice == KEEP_REMINDER:
            return self.activity.reminder_at if self.activity is not None else None
        moment = data.get("start_at") if kind in TIMED_KINDS else data.get("due_at")
        if moment is None:
            if "reminder" in self.fields and not self.has_error("reminder"):
                self.add_error("reminder", _("A reminder needs a start or due time."))
            return None
        return moment - dt.timedelta(minutes=int(choice))

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for `activity_create` / `activity_update` (without regarding)."""
        names = [
            "kind",
            "subject",
            "priority",
            "status",
            "start_at",
            "end_at",
            "due_at",
            "all_day",
            "location",
            "description",
        ]
        fields = {name: self.cleaned_data[name] for name in names if name in self.fields}
        fields["reminder_at"] = self.cleaned_data.get("reminder_at")
        return fields


def _reminder_choice(activity: Any) -> str:
    """The reminder choice an activity's `reminder_at` matches ("" for none)."""
    if activity.reminder_at is None:
        return ""
    moment = activity.start_at if activity.kind in TIMED_KINDS else activity.due_at
    if moment is not None:
        minutes = (moment - activity.reminder_at) / dt.timedelta(minutes=1)
        for value, _label in REMINDER_CHOICES:
            if value and float(value) == minutes:
                return value
    return KEEP_REMINDER


class ScheduleForm(ActivityForm):
    """A manager schedules an activity for a person, an owner team or a business unit."""

    target = forms.ChoiceField(
        label=_("Schedule for"),
        choices=[("user", _("A person")), ("team", _("A team")), ("unit", _("A business unit"))],
        widget=forms.RadioSelect,
        initial="user",
    )
    for_user = UserChoiceField(label=_("Person"), required=False, queryset=active_users())
    for_team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.filter(kind=TeamKind.OWNER).order_by("name"),
        empty_label=_("Choose a team"),
    )
    for_unit = forms.ModelChoiceField(
        label=_("Business unit"),
        required=False,
        queryset=BusinessUnit.objects.order_by("path"),
        empty_label=_("Choose a unit"),
    )

    field_order = ["target", "for_user", "for_team", "for_unit"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        target = data.get("target")
        if target and data.get(f"for_{target}") is None:
            self.add_error(f"for_{target}", _("Choose whom to schedule for."))
        return data

    def target_kwargs(self) -> dict[str, Any]:
        """`for_user`, `for_team` or `for_unit` for `activity_schedule`."""
        target = self.cleaned_data["target"]
        return {f"for_{target}": self.cleaned_data[f"for_{target}"]}


class RescheduleForm(TrellisFormMixin, forms.Form):
    """Move an activity to a day (keeping its time of day) or to a day and a time: the
    calendar's drag and drop and the "Move to" form of the activity page."""

    date = forms.DateField(label=_("Date"), input_formats=["%Y-%m-%d"])
    time = forms.TimeField(label=_("Time"), required=False, input_formats=["%H:%M", "%H:%M:%S"])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class NoteForm(TrellisFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Add a note"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    pinned = forms.BooleanField(label=_("Pin to the top"), required=False)


class CalendarForm(forms.Form):
    """Which calendar to show. Invalid values fall back to the defaults."""

    view = forms.ChoiceField(
        required=False, choices=[("month", _("Month")), ("week", _("Week")), ("day", _("Day"))]
    )
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    scope = forms.ChoiceField(
        required=False, choices=[("me", _("Me")), ("team", _("Team")), ("unit", _("Unit"))]
    )
    team = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    unit = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def __init__(self, data: Any, *, today: dt.date) -> None:
        super().__init__(data)
        self.today = today
        self.is_valid()

    def value(self, name: str, default: Any) -> Any:
        if name in self.errors:
            return default
        return self.cleaned_data.get(name) or default
