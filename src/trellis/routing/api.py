"""REST endpoints of the routing app."""

from ninja import Router

router = Router(tags=["routing"])
