"""Keyset ("cursor") pagination for list pages.

Pages are found by the last row seen, not by an offset, so page 500 costs what page 1
costs and rows added while someone pages do not shift what they see. The order is one
column plus the primary key as tie-breaker. A cursor that cannot be read (hand-edited,
from another sort) simply starts again at the first page.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

# Counting stops here: "1,000+ accounts" is as useful as the exact number and much cheaper.
COUNT_CAP = 1000


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    count: int
    count_capped: bool

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)


def _encode(value: Any, pk: int, direction: str) -> str:
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    raw = json.dumps([value, pk, direction])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, field: Any) -> tuple[Any, int, str] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk, direction = json.loads(base64.urlsafe_b64decode(padded.encode()))
        pk = int(pk)
        if direction not in ("next", "prev") or not 0 < pk < 2**63:
            return None
        return field.to_python(value), pk, direction
    except (ValueError, TypeError, ValidationError):
        return None


def capped_count(qs: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, capped): counts at most `cap` + 1 rows in one query."""
    found = qs.order_by()[: cap + 1].count()
    return min(found, cap), found > cap


def keyset_page(qs: QuerySet, *, order: str, cursor: str | None, per_page: int) -> KeysetPage:
    """One page of `qs` sorted by `order` ("name" or "-name"; the pk breaks ties).

    Two queries: a capped count and the page itself (one row more than shown, to learn
    whether another page follows)."""
    name = order.lstrip("-")
    descending = order.startswith("-")
    field = qs.model._meta.get_field(name)
    count, capped = capped_count(qs)
    decoded = _decode(cursor, field) if cursor else None
    backwards = decoded is not None and decoded[2] == "prev"
    # Walking back means walking the reversed order from the cursor, then flipping the rows.
    walk_descending = descending != backwards
    ordering = [f"-{name}", "-pk"] if walk_descending else [name, "pk"]
    page_qs = qs.order_by(*ordering)
    if decoded is not None:
        value, pk, _direction = decoded
        op = "lt" if walk_descending else "gt"
        page_qs = page_qs.filter(
            Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"pk__{op}": pk})
        )
    rows = list(page_qs[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        if not rows:
            return keyset_page(qs, order=order, cursor=None, per_page=per_page)
        return KeysetPage(
            items=rows,
            next_cursor=_encode(getattr(rows[-1], name), rows[-1].pk, "next"),
            prev_cursor=_encode(getattr(rows[0], name), rows[0].pk, "prev") if more else None,
            count=count,
            count_capped=capped,
        )
    return KeysetPage(
        items=rows,
        next_cursor=_encode(getattr(rows[-1], name), rows[-1].pk, "next") if more else None,
        prev_cursor=(
            _encode(getattr(rows[0], name), rows[0].pk, "prev")
            if decoded is not None and rows
            else None
        ),
        count=count,
        count_capped=capped,
    )
