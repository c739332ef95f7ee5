"""The import upload form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.dataio.entities import ENTITIES
from trellis.web.forms import TrellisFormMixin

ENTITY_LABELS = {
    "accounts": _("Accounts"),
    "contacts": _("Contacts"),
    "leads": _("Leads"),
    "opportunities": _("Opportunities"),
    "cases": _("Cases"),
}


class ImportForm(TrellisFormMixin, forms.Form):
    entity = forms.ChoiceField(
        label=_("Records"),
        # Translated names; an entity without one shows its key.
        choices=[(name, ENTITY_LABELS.get(name, name)) for name in ENTITIES],
    )
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(
        label=_("Check only (write nothing)"), required=False, initial=True
    )
    atomic = forms.BooleanField(label=_("Write nothing unless every row is good"), required=False)
