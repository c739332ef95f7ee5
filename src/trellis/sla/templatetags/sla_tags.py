"""`{% case_sla case %}` and `{% lead_sla lead %}`: the SLA box of a record's page.

The page has already found the record through its own access check, so the box reads
only the record's targets and breaches."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.sla.selectors import case_sla as case_sla_view
from trellis.sla.selectors import lead_sla as lead_sla_view

register = template.Library()


@register.inclusion_tag("sla/_case_sla.html", takes_context=True)
def case_sla(context: template.Context, case: Any) -> dict[str, Any]:
    return {"sla": case_sla_view(context["request"].user, case)}


@register.inclusion_tag("sla/_lead_sla.html", takes_context=True)
def lead_sla(context: template.Context, lead: Any) -> dict[str, Any]:
    return {"sla": lead_sla_view(context["request"].user, lead)}
