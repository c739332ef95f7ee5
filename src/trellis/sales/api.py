"""/api/v1 resources of the sales app."""

from ninja import Router

router = Router(tags=["sales"])
