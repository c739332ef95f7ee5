"""Forms of the routing pages. They only parse text into the shapes the services take;
the services validate rules (fields, operators, targets)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.org.models import Team, TeamKind, User
from trellis.routing.models import Entity, Queue, Strategy


def parse_conditions(text: str) -> list[dict[str, Any]]:
    """One condition per line: `field op value` (`in` takes comma-separated values)."""
    out = []
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 2)
        if not parts:
            continue
        field, op = parts[0], parts[1] if len(parts) > 1 else "eq"
        value: Any = parts[2].strip() if len(parts) > 2 else None
        if op in ("in", "not_in") and value is not None:
            value = [item.strip() for item in value.split(",") if item.strip()]
        out.append({"field": field, "op": op, "value": value})
    return out


def conditions_text(conditions: list[dict[str, Any]]) -> str:
    lines = []
    for c in conditions:
        value = c.get("value")
        value = ", ".join(value) if isinstance(value, list) else (value or "")
        lines.append(f"{c['field']} {c.get('op', 'eq')} {value}".strip())
    return "\n".join(lines)


def parse_skills(text: str) -> list[dict[str, Any]]:
    """One skill per line: `name minimum-level` (level 1 when left out)."""
    out = []
    for line in (text or "").splitlines():
        parts = line.strip().rsplit(None, 1)
        if not parts:
            continue
        if len(parts) == 2 and parts[1].isdigit():
            out.append({"skill": parts[0], "min_level": int(parts[1])})
        else:
            out.append({"skill": line.strip(), "min_level": 1})
    return out


class RuleForm(forms.Form):
    entity = forms.ChoiceField(label=_("Records"), choices=Entity.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    strategy = forms.ChoiceField(label=_("Strategy"), choices=Strategy.choices)
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line: field operator value, e.g. “priority eq urgent” or "
            "“region in APAC, EMEA”. Empty: the rule catches everything (a default rule)."
        ),
    )
    target_user = forms.ModelChoiceField(
        label=_("Target person"), queryset=User.objects.none(), required=False
    )
    target_team = forms.ModelChoiceField(
        label=_("Target team"), queryset=Team.objects.none(), required=False
    )
    target_queue = forms.ModelChoiceField(
        label=_("Queue"),
        queryset=Queue.objects.none(),
        required=False,
        help_text=_("For the queue strategy; for team strategies, where overflow waits."),
    )
    skills = forms.CharField(
        label=_("Required skills"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("skill_match only. One per line: skill minimum-level, e.g. “Networking 3”."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_user"].queryset = User.objects.filter(is_active=True)
        self.fields["target_team"].queryset = Team.objects.filter(kind=TeamKind.OWNER)
        self.fields["target_queue"].queryset = Queue.objects.all()

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["conditions"] = parse_conditions(data["conditions"])
        data["skills"] = parse_skills(data["skills"])
        return data


class QueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    entity = forms.ChoiceField(label=_("Records"), choices=Entity.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(kind=TeamKind.OWNER)


class SimulateForm(forms.Form):
    entity = forms.ChoiceField(label=_("Records"), choices=Entity.choices)
    rules = forms.MultipleChoiceField(
        label=_("Rules to try"),
        required=False,
        choices=(),
        help_text=_("Leave empty for the enabled rules; pick disabled ones to try them first."),
    )
    file = forms.FileField(
        label=_("CSV file (optional)"),
        required=False,
        help_text=_("One column per field (e.g. case_type, priority, region); else open records."),
    )

    def __init__(self, *args: Any, rule_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rules"].choices = rule_choices
