"""Form pieces every app's pages share: the sign-in form, and turning a service's
TrellisError into errors on a form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.core.errors import TrellisError

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
