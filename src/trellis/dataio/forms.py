"""The import upload form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trellis.dataio.entities import ENTITIES
from trellis.web.forms import TrellisFormMixin


class ImportForm(TrellisFormMixin, forms.Form):
    entity = forms.ChoiceField(
        label=_("Records"), choices=[(name, name.capitalize()) for name in ENTITIES]
    )
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(
        label=_("Check only (write nothing)"), required=False, initial=True
    )
    atomic = forms.BooleanField(label=_("Write nothing unless every row is good"), required=False)
