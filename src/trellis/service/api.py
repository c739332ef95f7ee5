"""/api/v1 resources of the service app."""

from ninja import Router

router = Router(tags=["service"])
