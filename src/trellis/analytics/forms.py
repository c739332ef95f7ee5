"""The saved-report form: the ad-hoc builder's fields plus a name and a schedule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.analytics import selectors
from trellis.analytics.models import DeliverTo, Schedule

# Shown names of the report records, time buckets and periods; the pages translate the
# same words.
LABELS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "custom": _("Custom"),
    "opportunity": _("Opportunity"),
    "lead": _("Lead"),
    "case": _("Case"),
    "activity": _("Activity"),
    "campaign": _("Campaign"),
}


def _names(raw: str) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


class SavedReportForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    entity = forms.ChoiceField(
        label=_("Records"),
        choices=[(name, LABELS.get(name, name)) for name in selectors.REPORT_ENTITIES],
    )
    group_by = forms.CharField(
        label=_("Group by (up to two, comma separated)"), required=False, max_length=200
    )
    measures = forms.CharField(label=_("Measures"), required=False, initial="count")
    bucket = forms.ChoiceField(
        label=_("Time bucket"),
        required=False,
        choices=[("", _("None"))] + [(name, LABELS.get(name, name)) for name in selectors.BUCKETS],
    )
    date_field = forms.CharField(label=_("Date field"), initial="created_at", max_length=40)
    period = forms.ChoiceField(
        label=_("Period"),
        choices=[(p, LABELS.get(p, p)) for p in selectors.PERIODS],
        initial="month",
    )
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To (custom)"), required=False)
    schedule = forms.ChoiceField(label=_("Schedule"), choices=Schedule.choices)
    schedule_time = forms.TimeField(label=_("Time of day"), initial="07:00")
    deliver_to = forms.ChoiceField(label=_("Deliver to"), choices=DeliverTo.choices)

    @classmethod
    def initial_from(cls, report: Any) -> dict[str, Any]:
        """The form's initial values for an existing report."""
        filters = report.filters or {}
        return {
            "name": report.name,
            "description": report.description,
            "entity": report.entity,
            "group_by": ",".join(report.group_by or []),
            "measures": ",".join(report.measures or []),
            "bucket": report.bucket,
            "date_field": report.date_field,
            "period": filters.get("period", "month"),
            "start": filters.get("start"),
            "end": filters.get("end"),
            "schedule": report.schedule,
            "schedule_time": report.schedule_time,
            "deliver_to": report.deliver_to,
        }

    def service_fields(self) -> dict[str, Any]:
        """The cleaned data in the shape `report_create` / `report_update` take."""
        data = self.cleaned_data
        filters = {"period": data["period"]}
        for name in ("start", "end"):
            if data.get(name):
                filters[name] = data[name].isoformat()
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "entity": data["entity"],
            "group_by": _names(data.get("group_by", "")),
            "measures": _names(data.get("measures", "")) or ["count"],
            "bucket": data.get("bucket") or "",
            "date_field": data.get("date_field") or "created_at",
            "filters": filters,
            "schedule": data["schedule"],
            "schedule_time": data["schedule_time"],
            "deliver_to": data["deliver_to"],
        }
