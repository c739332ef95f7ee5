"""Template context shared by every page: the navigation the user may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    from trellis.org.selectors import has_privilege

    items = [("web:home", "Home"), ("web:account_list", "Accounts")]
    if has_privilege(user, "manage_org"):
        items.append(("web:admin_units", "Organization"))
    return {"nav_items": items}
