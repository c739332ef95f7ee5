"""Small template helpers shared by every app's pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from trellis.org.roles import ENTITY_LABELS
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


# The code words inside an access reason, in the page's language (English keeps the codes).
_REASON_WORDS = {
    "create": pgettext_lazy("a right in an access reason", "create"),
    "read": pgettext_lazy("a right in an access reason", "read"),
    "write": pgettext_lazy("a right in an access reason", "write"),
    "delete": pgettext_lazy("a right in an access reason", "delete"),
    "assign": pgettext_lazy("a right in an access reason", "assign"),
    "share": pgettext_lazy("a right in an access reason", "share"),
    "none": pgettext_lazy("a depth in an access reason", "none"),
    "own": pgettext_lazy("a depth in an access reason", "own"),
    "unit": pgettext_lazy("a depth in an access reason", "unit"),
    "subtree": pgettext_lazy("a depth in an access reason", "subtree"),
    "org": pgettext_lazy("a depth in an access reason", "org"),
}
_REASONS = {
    "system_administrator": gettext_lazy("holds %(role)s"),
    "role": gettext_lazy("role %(role)s grants %(action)s at %(depth)s depth"),
    "team_role": gettext_lazy("team %(team)s's role %(role)s grants %(action)s at %(depth)s depth"),
    "share": gettext_lazy("shared with them (%(action)s)%(until)s"),
    "access_team": gettext_lazy("member of the record's access team %(team)s%(until)s"),
    "team_share": gettext_lazy("shared with their team %(team)s%(until)s"),
    "hierarchy": gettext_lazy("manager of the owner (%(levels)s level(s) above in reports_to)"),
}
_LEVELS = re.compile(r"\((\d+) level")


def _reason(grant: dict) -> str:
    """One grant (access.Grant.as_dict) as a sentence in the page's language; the access
    engine's `detail` is English (the API's words)."""
    detail = grant.get("detail") or ""
    template_text = _REASONS.get(grant.get("source") or "")
    if template_text is None:
        return detail
    _head, found, date = detail.partition(" until ")
    levels = _LEVELS.search(detail)
    return str(template_text) % {
        "role": grant.get("role") or "",
        "team": grant.get("team") or "",
        "action": _REASON_WORDS.get(grant.get("action") or "", grant.get("action") or ""),
        "depth": _REASON_WORDS.get(grant.get("depth") or "", grant.get("depth") or ""),
        "until": _(" until %(date)s") % {"date": date} if found else "",
        "levels": levels.group(1) if levels else "",
    }


@register.filter
def reasons(grants: list[dict] | None) -> list[str]:
    """The distinct reasons of an access row's grants, in order and in the page's language
    (a System Administrator's "holds System Administrator" is one reason, not one per
    action)."""
    return list(dict.fromkeys(_reason(grant) for grant in grants or ()))


@register.filter
def right_label(right: str) -> str:
    """A record right ("write") as people read it, in their language."""
    return str(RIGHT_LABELS.get(right, right))


_AUDIT_ACTIONS = {
    "create": pgettext_lazy("an audit event", "created"),
    "update": pgettext_lazy("an audit event", "changed"),
    "delete": pgettext_lazy("an audit event", "deleted"),
    "assign": pgettext_lazy("an audit event", "assigned"),
    "assign_reason": pgettext_lazy("an audit event", "assignment reason"),
    "share": pgettext_lazy("an audit event", "shared"),
    "unshare": pgettext_lazy("an audit event", "share removed"),
    "qualify": pgettext_lazy("an audit event", "qualified"),
    "disqualify": pgettext_lazy("an audit event", "disqualified"),
    "contacted": pgettext_lazy("an audit event", "contacted"),
    "reopen": pgettext_lazy("an audit event", "reopened"),
    "stage": pgettext_lazy("an audit event", "stage changed"),
    "close": pgettext_lazy("an audit event", "closed"),
    "resolve": pgettext_lazy("an audit event", "resolved"),
    "escalate": pgettext_lazy("an audit event", "escalated"),
    "complete": pgettext_lazy("an audit event", "completed"),
    "cancel": pgettext_lazy("an audit event", "cancelled"),
    "respond": pgettext_lazy("an audit event", "answered"),
    "attendee_add": pgettext_lazy("an audit event", "attendee added"),
    "attendee_remove": pgettext_lazy("an audit event", "attendee removed"),
    "import": pgettext_lazy("an audit event", "imported"),
    "export": pgettext_lazy("an audit event", "exported"),
}


@register.filter
def audit_action(action: str) -> str:
    """An audit event's action ("share") as people read it, in their language."""
    return str(_AUDIT_ACTIONS.get(action, action))


def _field_of(record: Any, key: str) -> Any:
    """The model field an audit change's key names (an attname such as "owner_user_id")."""
    meta = getattr(record, "_meta", None)
    if meta is None:
        return None
    return next((f for f in meta.concrete_fields if key in (f.attname, f.name)), None)


@register.simple_tag
def change_field(record: Any, key: str) -> str:
    """The label of a changed field on a record's timeline, in the page's language."""
    field = _field_of(record, key)
    return str(capfirst(field.verbose_name)) if field is not None else key


@register.simple_tag
def change_value(record: Any, key: str, value: Any) -> Any:
    """A changed field's old or new value: a choice's label in the page's language, "—"
    for nothing, else the stored value."""
    if value in (None, ""):
        return "—"
    field = _field_of(record, key)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return value


@register.filter
def entity_label(entity: str) -> str:
    """A securable entity's role name ("opportunity") as people read it, in their language."""
    return str(ENTITY_LABELS.get(entity, entity))


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
