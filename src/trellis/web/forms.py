"""Form pieces every app's pages share: the sign-in form, the assign, share and unshare
forms of every record page, and turning a service's TrellisError into errors on a form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.access.models import RIGHTS
from trellis.core.errors import TrellisError
from trellis.org.models import Team, User

# The words for record rights (access.models.RIGHTS) as people read them.
RIGHT_LABELS = {
    "read": _("Read"),
    "write": _("Write"),
    "delete": _("Delete"),
    "assign": _("Assign"),
    "share": _("Share"),
}


class TrellisFormMixin:
    """Our forms: no colon after labels, required labels marked for the stylesheet."""

    required_css_class = "required"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(TrellisFormMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class UserChoiceField(forms.ModelChoiceField):
    """A person picked by name, with their business unit to tell namesakes apart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("Choose a person"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.unit.name})" if obj.unit_id else str(obj)


def active_users() -> Any:
    """The people a record can be assigned or shared to."""
    return (
        User.objects.filter(is_active=True, unit__isnull=False)
        .select_related("unit")
        .order_by("first_name", "last_name", "username")
    )


class RecordAssignForm(TrellisFormMixin, forms.Form):
    owner_user = UserChoiceField(label=_("New owner"), queryset=active_users())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)


class RecordShareForm(TrellisFormMixin, forms.Form):
    user = UserChoiceField(label=_("Share with"), queryset=active_users())
    rights = forms.MultipleChoiceField(
        label=_("Rights"),
        choices=[(right, RIGHT_LABELS[right]) for right in RIGHTS],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
        help_text=_("Read is always included. You can pass on only rights you hold."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "share")
        super().__init__(*args, **kwargs)


class UnshareForm(forms.Form):
    """The hidden fields of a share's Remove button."""

    user = forms.ModelChoiceField(queryset=User.objects.all(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    cascade = forms.BooleanField(required=False)


def add_service_error(form: forms.BaseForm, exc: TrellisError) -> int:
    """Show a service's refusal on `form` and return the HTTP status to answer with.

    Errors naming a field of the form (the API's `parent_id` names the form's `parent`)
    go on that field; the rest, and errors naming no field, show above the form. A
    NotFound about a submitted id is bad input here (400): the record being edited was
    already found by the view."""
    unplaced = not exc.errors
    for name, message in exc.errors:
        field = next(
            (
                candidate
                for candidate in (name, name.removesuffix("_id"))
                if candidate in form.fields and not form.fields[candidate].widget.is_hidden
            ),
            None,
        )
        if field is None:
            unplaced = True
        else:
            form.add_error(field, message)
    if unplaced:
        form.add_error(None, exc.detail)
    return 400 if exc.status == 404 else exc.status
