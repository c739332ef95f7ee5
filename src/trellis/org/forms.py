"""Forms of the Admin area: units, users, teams, security roles, access-team templates.

Choices (units, managers, roles, teams) are always limited by the view to what the admin
manages or may grant, so a forged id fails form validation instead of reaching a service.
The org app may not import the web app (import contract), so the two small form helpers
every page uses are kept here too."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from trellis.core.errors import TrellisError
from trellis.org.models import JobClass, SecurityRole, User, UserType
from trellis.org.roles import (
    ACTION_LABELS,
    ACTIONS,
    DEPTH_LABELS,
    DEPTHS,
    ENTITIES,
    ENTITY_LABELS,
    PRIVILEGE_LABELS,
    PRIVILEGES,
)
from trellis.org.services import TEMPLATE_RIGHTS

DEPTH_CHOICES = [(name, DEPTH_LABELS.get(name, name)) for name in DEPTHS]


class AdminForm(forms.Form):
    """No colon after labels; required labels marked for the stylesheet."""

    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def add_service_error(form: forms.BaseForm, exc: TrellisError) -> int:
    """Put a service's refusal on the form field it names (`unit_id` names `unit`), or
    above the form, and return the status to answer with (a 404 about a submitted id is
    bad input here, 400)."""
    unplaced = not exc.errors
    for name, message in exc.errors:
        field = next(
            (c for c in (name, name.removesuffix("_id")) if c in form.fields),
            None,
        )
        if field is None:
            unplaced = True
        else:
            form.add_error(field, message)
    if unplaced:
        form.add_error(None, exc.detail)
    return 400 if exc.status == 404 else exc.status


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.username})"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Indent by depth so the select reads like the tree.
        return "\u2003" * obj.depth + obj.name


# Units ------------------------------------------------------------------------------------


class UnitCreateForm(AdminForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = UnitChoiceField(label=_("Parent unit"), queryset=None)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "create")
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = units


class UnitRenameForm(AdminForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "rename")
        super().__init__(*args, **kwargs)


class UnitMoveForm(AdminForm):
    parent = UnitChoiceField(label=_("New parent unit"), queryset=None)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = units


# Users ------------------------------------------------------------------------------------


class UserFilterForm(AdminForm):
    q = forms.CharField(label=_("Search"), required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=None, required=False)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Everyone")), ("yes", _("Active")), ("no", _("Deactivated"))],
    )

    def __init__(self, *args: Any, units: Any, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["role"].queryset = roles


def _skills_text(text: str) -> dict[str, int]:
    """Parse "name level" lines (level 1..5, default 1) into {name: level}."""
    skills: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, _sep, level = line.rpartition(" ")
        if not name or not level.isdigit():
            name, level = line, "1"
        if not 1 <= int(level) <= 5:
            raise forms.ValidationError(
                _("Line %(number)d: the level must be 1 to 5."), params={"number": number}
            )
        skills[name.strip()] = int(level)
    return skills


class UserForm(AdminForm):
    """Create or edit a person. `roles` and `teams` list only what the admin may change."""

    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=None)
    reports_to = PersonChoiceField(label=_("Reports to"), queryset=None, required=False)
    job_class = forms.ChoiceField(label=_("Job class"), choices=JobClass.choices)
    user_type = forms.ChoiceField(label=_("User type"), choices=UserType.choices)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=0, max_value=10000)
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        help_text=_("Language codes separated by commas, e.g. en, id."),
    )
    region = forms.CharField(label=_("Region"), max_length=60, required=False)
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: the skill, then its level 1 to 5 (e.g. “billing 3”)."),
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Security roles"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only roles you may grant are listed."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Owner teams"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_out_of_office = forms.BooleanField(label=_("Out of office"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current one (a new person cannot sign in yet)."),
    )

    def __init__(
        self, *args: Any, units: Any, managers: Any, roles: Any, teams: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["reports_to"].queryset = managers
        self.fields["roles"].queryset = roles
        self.fields["teams"].queryset = teams

    def clean_languages(self) -> list[str]:
        text = self.cleaned_data.get("languages") or ""
        return [code.strip().lower() for code in text.split(",") if code.strip()]

    def clean_skills(self) -> dict[str, int]:
        return _skills_text(self.cleaned_data.get("skills") or "")

    def profile(self) -> dict[str, Any]:
        """The fields `user_create`/`user_update` take as keywords."""
        data = self.cleaned_data
        keys = (
            "first_name",
            "last_name",
            "email",
            "title",
            "job_class",
            "user_type",
            "capacity",
            "languages",
            "region",
            "is_out_of_office",
            "is_active",
        )
        return {key: data[key] for key in keys}


def skills_text(user: User) -> str:
    return "\n".join(f"{s.skill.name} {s.level}" for s in user.skills.select_related("skill"))


# Teams ------------------------------------------------------------------------------------


class TeamForm(AdminForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    unit = UnitChoiceField(label=_("Unit"), queryset=None)
    leader = PersonChoiceField(label=_("Team leader"), queryset=None, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Security roles"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only roles you may grant are listed."),
    )

    def __init__(self, *args: Any, units: Any, people: Any, roles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["leader"].queryset = people
        self.fields["roles"].queryset = roles


class MemberAddForm(AdminForm):
    user = PersonChoiceField(label=_("Person"), queryset=None)
    expires_at = forms.DateTimeField(
        label=_("Member until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for no end."),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "member")
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people


# Security roles ---------------------------------------------------------------------------


def cell_name(entity: str, action: str) -> str:
    return f"perm__{entity}__{action}"


def privilege_name(privilege: str) -> str:
    return f"priv__{privilege}"


class RoleForm(AdminForm):
    """A role's name and description, one depth select per (entity, action) cell of the
    matrix, and one depth select per privilege (privileges carry a depth too)."""

    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, role: SecurityRole | None = None, **kwargs: Any) -> None:
        if role is not None and "initial" not in kwargs:
            kwargs["initial"] = role_initial(role)
        super().__init__(*args, **kwargs)
        for entity in ENTITIES:
            for action in ACTIONS:
                # Not required: a cell left out of the post means "none".
                self.fields[cell_name(entity, action)] = forms.ChoiceField(
                    label=format_lazy(
                        "{} · {}", ENTITY_LABELS.get(entity, entity), ACTION_LABELS[action]
                    ),
                    choices=DEPTH_CHOICES,
                    initial="none",
                    required=False,
                )
        for privilege in PRIVILEGES:
            self.fields[privilege_name(privilege)] = forms.ChoiceField(
                label=PRIVILEGE_LABELS.get(privilege, privilege),
                choices=DEPTH_CHOICES,
                initial="none",
                required=False,
            )

    def action_labels(self) -> list[Any]:
        """The matrix's column headings, in the language of the page."""
        return [ACTION_LABELS[action] for action in ACTIONS]

    def matrix_rows(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """(the entity's label, its cells) for each row of the matrix."""
        return [
            (ENTITY_LABELS.get(entity, entity), [self[cell_name(entity, a)] for a in ACTIONS])
            for entity in ENTITIES
        ]

    def privilege_fields(self) -> list[forms.BoundField]:
        return [self[privilege_name(p)] for p in PRIVILEGES]

    def permissions(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            entity: {action: data[cell_name(entity, action)] or "none" for action in ACTIONS}
            for entity in ENTITIES
        }

    def privileges(self) -> dict[str, str]:
        data = self.cleaned_data
        # "none" is left out so a role's privileges read like the built-in ones.
        chosen = {p: data[privilege_name(p)] for p in PRIVILEGES}
        return {p: depth for p, depth in chosen.items() if depth not in {"", "none"}}


def role_initial(role: SecurityRole) -> dict[str, Any]:
    initial: dict[str, Any] = {"name": role.name, "description": role.description}
    for entity in ENTITIES:
        row = (role.permissions or {}).get(entity, {})
        for action in ACTIONS:
            initial[cell_name(entity, action)] = row.get(action, "none")
    for privilege in PRIVILEGES:
        initial[privilege_name(privilege)] = (role.privileges or {}).get(privilege, "none")
    return initial


class RoleCopyForm(AdminForm):
    name = forms.CharField(label=_("Name of the copy"), max_length=80)


# Access-team templates --------------------------------------------------------------------


class TemplateForm(AdminForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    entity = forms.ChoiceField(
        label=_("Entity"), choices=[(e, ENTITY_LABELS.get(e, e)) for e in ENTITIES]
    )
    rights = forms.MultipleChoiceField(
        label=_("Rights"),
        choices=[(r, ACTION_LABELS.get(r, r)) for r in TEMPLATE_RIGHTS],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
        help_text=_("Read is always included."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
