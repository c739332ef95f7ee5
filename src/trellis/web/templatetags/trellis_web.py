"""Small template helpers shared by every app's pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import template
from django.urls import reverse

from trellis.web.forms import RIGHT_LABELS

register = template.Library()


@register.filter
def http_url(value: str | None) -> str:
    """`value` as a link target when it is a web address, else "" (so a stored
    "javascript:..." never becomes a link). A bare host name gets https://."""
    text = (value or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        return ""
    return text


@register.filter
def reasons(grants: list[dict] | None) -> list[str]:
    """The distinct `detail` texts of an access row's grants, in order (a System
    Administrator's "holds System Administrator" is one reason, not one per action)."""
    return list(dict.fromkeys(grant["detail"] for grant in grants or ()))


@register.filter
def right_label(right: str) -> str:
    """A record right ("write") as people read it, in their language."""
    return str(RIGHT_LABELS.get(right, right))


@register.inclusion_tag("web/_export_links.html", takes_context=True)
def export_links(context: Any, entity: str) -> dict[str, Any]:
    """CSV and XLSX links exporting the `entity` list as the request filters it; nothing
    for people without the export privilege. The page cursor is left out: an export holds
    every matching record, not one page."""
    from trellis.dataio.exporting import FORMATS, may_export

    request = context.get("request")
    if request is None or not may_export(request.user):
        return {"links": []}
    query = request.GET.copy()
    query.pop("cursor", None)
    suffix = f"?{query.urlencode()}" if query else ""
    links = [
        (fmt.upper(), reverse("web:export_list", args=[entity, fmt]) + suffix) for fmt in FORMATS
    ]
    return {"links": links}
