"""GET /api/v1/search: one search over accounts, contacts and leads."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from trellis.api.common import ERRORS
from trellis.search.selectors import search

router = Router(tags=["search"])


class HitOut(Schema):
    entity: str
    id: int
    title: str
    subtitle: str
    url: str
    score: int


class SearchOut(Schema):
    items: list[HitOut]


@router.get("/search", response={200: SearchOut, **ERRORS})
def search_records(request: HttpRequest, q: str = "", entities: str = "", limit: int = 20) -> dict:
    """Records the caller may read matching `q` (2+ characters) by any part of a name,
    e-mail, phone (any format), company or city; best first. `entities` is a comma list
    of account, contact, lead (default: all)."""
    wanted = entities.split(",") if entities.strip() else None
    return {"items": search(request.auth, q, entities=wanted, limit=limit)}
