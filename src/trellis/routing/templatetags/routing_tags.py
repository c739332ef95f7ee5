"""The "why did this go to X?" panel on lead and case pages."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.routing.selectors import record_decisions

register = template.Library()


@register.simple_tag(takes_context=True)
def record_assignments(context: Any, record: Any, limit: int = 10) -> list:
    """The latest routing decisions about `record`. The page found the record through its
    entity's selector, so the viewer may read it."""
    request = context.get("request")
    if record is None or request is None:
        return []
    return list(record_decisions(request.user, record)[:limit])
